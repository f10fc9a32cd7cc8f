//! The composed scorer: directions of effects, reasons, batch = one by one,
//! determinism (bytes and thread counts), model files and their corruption.

use acctscore::calibration::{CalibrationMethod, PlattParams};
use acctscore::core::EnvelopeError;
use acctscore::engagement::{EngagementParams, PriorityParams};
use acctscore::features::quality::QualityParams;
use acctscore::features::{Column, ColumnKind};
use acctscore::icp::propensity::{Family, FamilyChoice, IcpParams};
use acctscore::pool::PoolGenerator;
use acctscore::prelude::*;
use acctscore::revenue::{LearnedParams, RevenueRange};
use acctscore::{Component, Error, GateAction, ModelFileError, TierSource};

fn pool_frame(n: usize, seed: u64) -> (Frame, acctscore::pool::GeneratedPool) {
    let pool = PoolGenerator::new(n).seed(seed).generate();
    let frame = accounts_to_frame(&pool.accounts).expect("finite pool");
    (frame, pool)
}

fn fitted(n: usize, seed: u64) -> (Scorer, Frame, acctscore::pool::GeneratedPool) {
    let (frame, pool) = pool_frame(n, seed);
    let scorer = ScorerParams::new().fit(&frame).expect("fits");
    (scorer, frame, pool)
}

#[test]
fn logistic_recovers_the_generators_direction_of_effects() {
    let (scorer, frame, pool) = fitted(20_000, 5);
    assert_eq!(scorer.icp().family(), Family::Logistic);
    let scores = scorer.score_frame(&frame, None).expect("scores");
    // The generator adds +1.0 log-odds for e-commerce: among otherwise
    // random accounts, e-commerce ones must score higher on average.
    let mean = |flag: bool| {
        let v: Vec<f64> = scores
            .iter()
            .zip(&pool.accounts)
            .filter(|(_, a)| a.has_ecommerce == Some(flag))
            .map(|(s, _)| s.icp_raw)
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(mean(true) - mean(false) > 0.5, "ecommerce effect {}", mean(true) - mean(false));
    // Ranking agrees with the true propensity.
    let truth: Vec<f64> = pool.truth.iter().map(|t| t.p_true).collect();
    let ours: Vec<f64> = scores.iter().map(|s| s.icp.get()).collect();
    let rho = spearman(&ours, &truth);
    assert!(rho > 0.8, "Spearman correlation with the true propensity {rho}");
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let ranks = |v: &[f64]| {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0.0; v.len()];
        for (k, &i) in idx.iter().enumerate() {
            r[i] = k as f64;
        }
        r
    };
    let (ra, rb) = (ranks(a), ranks(b));
    let mean = (a.len() as f64 - 1.0) / 2.0;
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - mean) * (y - mean)).sum();
    let var: f64 = ra.iter().map(|x| (x - mean) * (x - mean)).sum();
    cov / var
}

#[test]
fn every_component_contributes_and_reasons_are_clean() {
    let (scorer, frame, pool) = fitted(4_000, 9);
    let ids: Vec<&str> = pool.accounts.iter().map(|a| a.account_id.as_str()).collect();
    let now = Timestamp::from_unix_seconds(1_767_225_600);
    let (engagement, tally) = scorer.engagement_from_events(&ids, &pool.events, now).expect("known kinds");
    assert_eq!(tally.used as usize, pool.events.len());
    let scores = scorer.score_frame(&frame, Some(&engagement)).expect("scores");
    assert!(scores.iter().all(|s| s.skipped.is_empty()));
    assert!(scores.iter().all(|s| s.revenue.is_some() && s.anomaly.is_some() && s.engagement.is_some()));
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(&s.priority)));
    assert!(scores.iter().any(|s| s.anomaly.as_ref().is_some_and(|a| a.penalty > 0.0)));
    for s in &scores {
        for r in &s.reasons {
            assert!(!r.code.contains(':') && !r.code.contains(';'), "{}", r.code);
        }
    }
    // Same quality, more engagement → lower priority.
    let one = scorer.score_row(&frame, 0, Some(0.0)).expect("row");
    let worked = scorer.score_row(&frame, 0, Some(50.0)).expect("row");
    assert!(worked.priority < one.priority);
    assert!(worked.engagement_effect < 0.0 && one.engagement_effect == 0.0);
    assert!((worked.priority - (worked.quality + worked.engagement_effect)).abs() < 1e-12);
    // Engagement changes the priority, never the quality or the tier.
    assert_eq!((worked.quality, worked.tier), (one.quality, one.tier));
    // The reasons explain the ICP probability only.
    assert!(worked.reasons.iter().all(|r| r.component == Component::Icp));
}

#[test]
fn batch_equals_one_by_one() {
    let (scorer, frame, _) = fitted(3_000, 2);
    let engagement: Vec<f64> = (0..frame.nrows()).map(|i| (i % 7) as f64).collect();
    let batch = scorer.score_frame(&frame, Some(&engagement)).expect("batch");
    // The fast ranking path gives the same priorities, and top_n agrees with a full sort.
    let quick = scorer.priorities(&frame, Some(&engagement)).expect("priorities");
    assert_eq!(quick, batch.iter().map(|s| s.priority).collect::<Vec<_>>());
    let top = scorer.top_n(&frame, Some(&engagement), 25).expect("top");
    let mut sorted = batch.clone();
    sorted.sort_by(|a, b| b.priority.total_cmp(&a.priority).then_with(|| a.account_id.cmp(&b.account_id)));
    assert_eq!(top, sorted[..25].to_vec());
    for i in (0..frame.nrows()).step_by(97) {
        let one = scorer.score_row(&frame, i, Some(engagement[i])).expect("one");
        assert_eq!(one, batch[i], "row {i}");
    }
    // Base scores computed apart (as a service does while it reads the
    // events) rank the same; a base of another frame is refused.
    let prepared = scorer.prepare(&frame).expect("prepares");
    let base = prepared.base_scores().expect("base");
    assert_eq!(prepared.top_n(&base, Some(&engagement), 25).expect("top"), top);
    let smaller = frame.take(&[0, 1, 2]);
    let other = scorer.prepare(&smaller).expect("prepares").base_scores().expect("base");
    assert!(prepared.priorities(&other, Some(&engagement)).is_err());
}

#[test]
fn deterministic_bytes_and_thread_counts() {
    let (frame, _) = pool_frame(3_000, 4);
    let fit_in = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
        pool.install(|| {
            let s = ScorerParams::new().fit(&frame).expect("fits");
            let json = s.to_json().expect("json");
            let scores = s.score_frame(&frame, None).expect("scores");
            (json, scores)
        })
    };
    let (json1, scores1) = fit_in(1);
    let (json2, scores2) = fit_in(2);
    assert_eq!(json1, json2, "model bytes differ between 1 and 2 threads");
    assert_eq!(scores1, scores2);
    let (json3, _) = fit_in(2);
    assert_eq!(json2, json3);
}

#[test]
fn model_file_round_trip_and_corruption() {
    let (scorer, frame, _) = fitted(2_000, 3);
    let json = scorer.to_json().expect("json");
    let back = Scorer::from_json(&json).expect("reads back");
    assert_eq!(back.to_json().expect("json"), json);
    assert_eq!(back.score_frame(&frame, None).expect("scores"), scorer.score_frame(&frame, None).expect("scores"));

    // Truncated.
    assert!(matches!(
        Scorer::from_json(&json[..json.len() / 2]),
        Err(Error::ModelFile(ModelFileError::Envelope(EnvelopeError::Malformed { .. })))
    ));
    // Not JSON at all, and empty.
    assert!(matches!(
        Scorer::from_json("hello"),
        Err(Error::ModelFile(ModelFileError::Envelope(EnvelopeError::Malformed { .. })))
    ));
    assert!(matches!(
        Scorer::from_json(""),
        Err(Error::ModelFile(ModelFileError::Envelope(EnvelopeError::Malformed { .. })))
    ));
    // Another version.
    let other_version = format!("\"format_version\":{}", acctscore::MODEL_FORMAT_VERSION + 1);
    let v = json.replacen(&format!("\"format_version\":{}", acctscore::MODEL_FORMAT_VERSION), &other_version, 1);
    assert!(matches!(
        Scorer::from_json(&v),
        Err(Error::ModelFile(ModelFileError::Envelope(EnvelopeError::Version { .. })))
    ));
    // An edited number inside the model body.
    let pos = json.find("\"model\":").expect("model key") + 200;
    let digit = json[pos..].find(|c: char| c.is_ascii_digit()).expect("a digit") + pos;
    let mut edited = json.clone().into_bytes();
    edited[digit] = if edited[digit] == b'9' { b'8' } else { edited[digit] + 1 };
    let edited = String::from_utf8(edited).expect("utf8");
    assert!(matches!(
        Scorer::from_json(&edited),
        Err(Error::ModelFile(ModelFileError::Envelope(EnvelopeError::Checksum { .. })))
    ));
    // Another format.
    let other = json.replacen("acctscore-scorer", "something-else", 1);
    assert!(matches!(
        Scorer::from_json(&other),
        Err(Error::ModelFile(ModelFileError::Envelope(EnvelopeError::Format { .. })))
    ));
    // A frame of another schema.
    let smaller = frame.without(&["industry"]);
    assert!(matches!(scorer.score_frame(&smaller, None), Err(Error::Schema { .. })));
    // A missing file, and a file refused: both name it.
    assert!(matches!(Scorer::load("/no/such/model.json"), Err(Error::ModelFile(ModelFileError::Io { .. }))));
    let path = std::env::temp_dir().join(format!("acctscore-refused-{}.json", std::process::id()));
    std::fs::write(&path, &json[..json.len() / 2]).expect("writes");
    let err = Scorer::load(&path).expect_err("a truncated file");
    let _ = std::fs::remove_file(&path);
    assert!(
        matches!(&err, Error::ModelFile(ModelFileError::Refused { source: EnvelopeError::Malformed { .. }, .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains(&path.display().to_string()), "{err}");
}

#[test]
fn sufficiency_guard_falls_back_to_rules() {
    // 600 accounts at a 5% base rate: about 30 positives, far below 100.
    let (frame, _) = pool_frame(600, 8);
    let scorer = ScorerParams::new().fit(&frame).expect("falls back");
    assert_eq!(scorer.icp().family(), Family::Rules);
    assert!(scorer.metrics().icp_choice.contains("rules"), "{}", scorer.metrics().icp_choice);
    // Asking for a learned family explicitly is an error, not a silent fit.
    let err = ScorerParams::new().icp(IcpParams::new().family(FamilyChoice::Logistic)).fit(&frame);
    assert!(matches!(err, Err(Error::Icp(acctscore::icp::IcpError::TooFewPositives { .. }))), "{err:?}");
}

#[test]
fn bad_engagement_is_an_error() {
    let (scorer, frame, _) = fitted(1_500, 1);
    let mut e = vec![0.0; frame.nrows()];
    e[3] = f64::NAN;
    assert!(scorer.score_frame(&frame, Some(&e)).is_err());
    e[3] = -1.0;
    assert!(scorer.score_frame(&frame, Some(&e)).is_err());
    assert!(scorer.score_frame(&frame, Some(&e[..10])).is_err());
    // Infinite engagement would saturate to 1: refused before it gets there.
    e[3] = f64::INFINITY;
    assert!(scorer.score_frame(&frame, Some(&e)).is_err());
    // The same checks on one prepared row; zero and positive pass.
    let prepared = scorer.prepare(&frame).expect("prepares");
    for bad in [f64::NAN, f64::INFINITY, -1.0] {
        assert!(prepared.score(0, Some(bad)).is_err(), "{bad}");
    }
    for good in [0.0, 5.0] {
        assert!(prepared.score(0, Some(good)).is_ok(), "{good}");
    }
    assert!(prepared.score(frame.nrows(), None).is_err());
    assert!(prepared.score(frame.nrows() - 1, None).is_ok());
}

#[test]
fn schema_is_the_columns_scoring_reads() {
    let (scorer, frame, _) = fitted(3_000, 6);
    let schema: Vec<&str> = scorer.schema().iter().map(|(n, _)| n.as_str()).collect();
    // The label and the columns no component reads are not required.
    let unused: Vec<&str> = frame.names().iter().map(String::as_str).filter(|n| !schema.contains(n)).collect();
    assert!(unused.contains(&"converted"), "{schema:?}");
    assert!(unused.contains(&"job_title_of_contact"), "{schema:?}");
    let slim = frame.without(&unused);
    assert_eq!(scorer.score_frame(&slim, None).expect("slim"), scorer.score_frame(&frame, None).expect("full"));
    // A schema column is still required, and named.
    let missing = frame.without(&["employees"]);
    assert!(scorer.score_frame(&missing, None).is_err());
}

#[test]
fn trees_without_a_prepared_form_score_as_their_model() {
    let (frame, _) = pool_frame(4_000, 6);
    let scorer = ScorerParams::new().icp_family(FamilyChoice::Trees).fit(&frame).expect("fits");
    assert_eq!(scorer.icp().family(), Family::Trees);
    let batch = scorer.score_frame(&frame, None).expect("batch");
    let direct = scorer.icp().score_frame(&frame).expect("icp scores");
    for (i, (b, d)) in batch.iter().zip(&direct).enumerate() {
        assert_eq!((b.icp, b.icp_raw), (d.probability, d.raw), "row {i}");
    }
    for i in (0..frame.nrows()).step_by(61) {
        assert_eq!(scorer.score_row(&frame, i, None).expect("one"), batch[i], "row {i}");
    }
    let top = scorer.top_n(&frame, None, 20).expect("top");
    let mut sorted = batch.clone();
    sorted.sort_by(|a, b| b.priority.total_cmp(&a.priority).then_with(|| a.account_id.cmp(&b.account_id)));
    assert_eq!(top, sorted[..20].to_vec());
    assert!(top.iter().all(|s| !s.reasons.is_empty()));
}

#[test]
fn every_setting_reaches_the_fitted_scorer() {
    let (frame, _) = pool_frame(3_000, 12);
    let n = frame.nrows();
    // The last 100 labels unknown: left out of the ICP fit and counted.
    let Column::Boolean(labels) = frame.column("converted").expect("label").clone() else { panic!("boolean label") };
    let labels = labels.iter().enumerate().map(|(i, y)| if i < n - 100 { *y } else { None }).collect();
    let frame = with_column(&frame, "converted", Column::Boolean(labels));
    let range = RevenueRange::new(5_000.0, 50_000.0).expect("range");
    let priority = PriorityParams::new().icp_weight(2.0);
    // Every setter chained: a setter that dropped the settings before it, or
    // its own, shows in one of the checks below.
    let scorer = ScorerParams::new()
        .mapping(ColumnMapping::pool().not_feature("country"))
        .icp_family(FamilyChoice::Logistic)
        .tier_shares(0.5, 0.0, 0.25)
        .revenue_range(range)
        .engagement(EngagementParams::new().kind("webinar", 2.0, 7.0))
        .priority(priority)
        .as_of(Timestamp::from_unix_seconds(946_684_800)) // 2000-01-01
        .quality(QualityParams::new().suspect_auc(0.5))
        .revenue_learning(
            LearnedParams::new().with_folds(3).with_calibration(CalibrationMethod::Platt(PlattParams::new())),
        )
        .fit(&frame)
        .expect("fits");
    let m = scorer.metrics();
    assert_eq!((m.rows, m.labelled_rows, m.unlabelled_rows), (n, n - 100, 100));
    assert_eq!(scorer.icp().family(), Family::Logistic);
    assert!(!scorer.icp().input_columns().contains(&"country"));
    let report = scorer.fit_report();
    assert_eq!(report.tier_source, TierSource::Shares { shares: [0.5, 0.0, 0.25] });
    assert_eq!(report.revenue.learned().expect("a learned revenue model").range(), range);
    assert_eq!(scorer.revenue_range(), range);
    let json: serde_json::Value = serde_json::from_str(&scorer.to_json().expect("json")).expect("json");
    assert_eq!(json["model"]["report"]["revenue"]["model"]["calibrator"]["method"], "platt");
    let suspects = report.gated.iter().filter(|g| g.action == GateAction::KeptSuspect).count();
    assert!(suspects >= 1, "{report}");
    assert!(scorer.engagement_model().kind_id_by_name("webinar").is_ok());
    let scores = scorer.score_frame(&frame, None).expect("scores");
    let built = priority.fit().expect("valid");
    for s in &scores {
        let revenue = s.revenue.as_ref().map_or(Probability::ONE, |r| r.in_range);
        assert_eq!(s.quality, built.quality(s.icp, revenue).get(), "{}", s.account_id);
    }
    assert!(!scores.iter().any(|s| s.tier == 'B'), "tier B has a share of 0");
    assert!(
        scores.iter().any(|s| s.anomaly.as_ref().is_some_and(|a| a.checks.iter().any(|c| c == "founded_in_future"))),
        "as of 2000, accounts founded since are in the future"
    );
}

#[test]
fn an_empty_column_of_another_kind_is_read_as_the_schemas_kind() {
    let (scorer, frame, _) = fitted(3_000, 6);
    let n = frame.nrows();
    let kind = |name: &str| scorer.schema().iter().find(|(c, _)| c == name).map(|(_, k)| *k);
    assert_eq!(kind("has_ecommerce"), Some(ColumnKind::Boolean));
    assert_eq!(kind("employees"), Some(ColumnKind::Numeric));
    assert_eq!(kind("industry"), Some(ColumnKind::Categorical));
    for (name, own, other) in [
        ("has_ecommerce", Column::Boolean(vec![None; n]), Column::numeric(vec![None; n])),
        ("employees", Column::numeric(vec![None; n]), Column::categorical(vec![None::<&str>; n])),
        ("industry", Column::categorical(vec![None::<&str>; n]), Column::Boolean(vec![None; n])),
    ] {
        let as_other = with_column(&frame, name, other);
        let conformed = scorer.conform(&as_other).expect("conforms");
        assert_eq!(conformed.column(name).expect("kept").kind(), own.kind(), "{name}");
        assert_eq!(
            scorer.score_frame(&as_other, None).expect("scores"),
            scorer.score_frame(&with_column(&frame, name, own), None).expect("scores"),
            "{name}"
        );
    }
}

#[test]
fn employees_alone_give_a_revenue_estimate_but_no_anomaly_checks() {
    let (frame, _) = pool_frame(1_500, 3);
    let slim = frame.without(&["monthly_revenue_usd", "web_traffic_monthly"]);
    let scorer = ScorerParams::new().fit(&slim).expect("fits");
    assert!(matches!(scorer.fit_report().revenue, acctscore::RevenueModel::Analytic { .. }));
    for s in scorer.score_frame(&slim, None).expect("scores") {
        let revenue = s.revenue.as_ref().expect("a revenue estimate from the head count");
        assert_eq!(revenue.source, acctscore::RevenueSource::Analytic);
        // The anomaly checks need both the revenue and the head count.
        assert!(s.anomaly.is_none());
        assert_eq!(s.skipped, [Component::Anomaly, Component::Engagement]);
    }
}

#[test]
fn top_n_breaks_ties_by_account_id_of_either_string_kind() {
    let (scorer, frame, _) = fitted(1_500, 1);
    // One account three times: equal priorities, ids in reverse order.
    let same = frame.take(&[5, 5, 5]);
    let ids = ["c", "b", "a"];
    for column in [Column::categorical(ids.map(Some)), Column::text(ids.map(Some))] {
        let kind = column.kind();
        let batch = with_column(&same, "account_id", column);
        let top: Vec<String> =
            scorer.top_n(&batch, None, 3).expect("ranks").into_iter().map(|s| s.account_id).collect();
        assert_eq!(top, ["a", "b", "c"], "{kind:?} ids");
        let first: Vec<String> =
            scorer.top_n(&batch, None, 2).expect("ranks").into_iter().map(|s| s.account_id).collect();
        assert_eq!(first, ["a", "b"], "{kind:?} ids");
    }
}

#[test]
fn an_id_column_read_only_as_the_id_is_left_as_it_is() {
    let (scorer, frame, _) = fitted(1_500, 1);
    assert!(scorer.schema().contains(&("account_id".to_string(), ColumnKind::Text)));
    let ids: Vec<String> = (0..frame.nrows()).map(|i| format!("acc-{i}")).collect();
    let batch = with_column(&frame, "account_id", Column::categorical(ids.iter().map(|s| Some(s.as_str()))));
    let conformed = scorer.conform(&batch).expect("conforms");
    assert!(matches!(conformed, std::borrow::Cow::Borrowed(_)), "nothing to convert");
    // `prepare` takes the frame as it is: categorical ids are fine there.
    let prepared = scorer.prepare(&batch).expect("prepares");
    assert_eq!(prepared.score(7, None).expect("scores").account_id, "acc-7");
}

#[test]
fn negative_reported_revenues_are_not_revenue_labels() {
    let (frame, pool) = pool_frame(1_500, 3);
    let revenue: Vec<Option<f64>> = pool
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| if i % 10 == 0 { Some(-5_000.0) } else { a.monthly_revenue_usd })
        .collect();
    let usable = revenue.iter().filter(|r| r.is_some_and(|r| r >= 0.0)).count();
    // Without the head count there are no anomaly checks to doubt them.
    let frame = with_column(&frame.without(&["employees"]), "monthly_revenue_usd", Column::numeric(revenue));
    let scorer = ScorerParams::new().fit(&frame).expect("fits");
    match &scorer.fit_report().revenue {
        acctscore::RevenueModel::Learned { labelled_rows, .. } => assert_eq!(*labelled_rows, usable),
        other => panic!("expected a learned revenue model, got {other:?}"),
    }
}

/// `frame` with `name` replaced by `column`.
fn with_column(frame: &Frame, name: &str, column: Column) -> Frame {
    frame.with_column(name, column).expect("valid frame")
}
