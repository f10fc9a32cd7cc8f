//! The page's bytes and numbers: deterministic, the tables equal the
//! calibration crate's metrics, a missing or empty baseline is said so,
//! text is escaped, and the file is written whole.

mod common;

use acctscore_calibration::metrics::{self, BinStrategy};
use acctscore_calibration::monitor::{MigrationMatrix, PsiParams};
use acctscore_frame::{Column, Frame};
use acctscore_report::{FrameColumns, ReportInput, Tier, render_html, write_html};

/// The cells of each body row of the table with id `table-{id}`, as text.
fn table(html: &str, id: &str) -> Vec<Vec<String>> {
    let start = html.find(&format!("<table id=\"table-{id}\">")).unwrap_or_else(|| panic!("table {id}"));
    let body = &html[start..];
    let body = &body[body.find("<tbody>").expect("tbody")..body.find("</tbody>").expect("/tbody")];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let text = &cell[cell.find('>').expect("td") + 1..];
                    text[..text.find("</td>").expect("/td")].to_string()
                })
                .collect()
        })
        .collect()
}

/// The full-precision `data-value` of the headline figure `id`.
fn headline(html: &str, id: &str) -> f64 {
    let at = html.find(&format!("id=\"{id}\" data-value=\"")).unwrap_or_else(|| panic!("headline {id}"));
    let rest = &html[at + id.len() + 18..];
    rest[..rest.find('"').expect("end")].parse().expect("number")
}

fn f4(x: f64) -> String {
    format!("{x:.4}")
}

#[test]
fn same_input_same_bytes() {
    let a = render_html(&common::input(300, 11));
    let b = render_html(&common::input(300, 11));
    assert_eq!(a, b);
    assert_ne!(a, render_html(&common::input(300, 12)));
    // Order of charts and sections is fixed.
    let at = |s: &str| a.find(s).unwrap_or_else(|| panic!("{s}"));
    assert!(at("id=\"chart-gains\"") < at("id=\"chart-reliability\""));
    assert!(at("id=\"chart-reliability\"") < at("id=\"chart-tiers\""));
    assert!(at("id=\"chart-tiers\"") < at("id=\"chart-migration\""));
    assert!(at("id=\"chart-migration\"") < at("id=\"chart-factors\""));
}

#[test]
fn tables_and_headline_equal_the_calibration_metrics() {
    let s = common::simulate(300, 5);
    let input = ReportInput::new(&s.scores, &s.outcomes, &s.tiers)
        .and_then(|i| i.with_baseline(&s.baseline_scores, &s.baseline_tiers))
        .expect("input");
    let html = render_html(&input);
    let (p, y) = (&s.scores[..], &s.outcomes[..]);

    assert_eq!(headline(&html, "h-auc"), metrics::roc_auc(p, y).expect("auc"));
    assert_eq!(headline(&html, "h-lift"), metrics::lift_top_decile(p, y).expect("lift"));
    let ece = metrics::expected_calibration_error(p, y, 10, BinStrategy::Uniform).expect("ece");
    assert_eq!(headline(&html, "h-ece"), ece);
    // Qualified: tiers A and B (the default).
    let qualified: Vec<f64> = s.tiers.iter().map(|&t| f64::from(u8::from(t == 'A' || t == 'B'))).collect();
    let c = metrics::confusion_at(&qualified, y, 1.0).expect("confusion");
    assert_eq!(Some(headline(&html, "h-qualified-converted")), c.qualified_conversion_rate());
    assert_eq!(Some(headline(&html, "h-conversions-qualified")), c.conversion_coverage());

    let gains = metrics::gains_table(p, y, 10).expect("gains");
    let rows = table(&html, "gains");
    assert_eq!(rows.len(), 10);
    for (row, g) in rows.iter().zip(&gains) {
        let numbers = [g.positives, g.rate, g.lift, g.cumulative_gain, g.cumulative_lift].map(f4);
        assert_eq!(row[..2], [g.group.to_string(), g.rows.to_string()]);
        assert_eq!(row[2..], numbers[..]);
    }

    let rel = metrics::reliability_curve(p, y, 10, BinStrategy::Uniform).expect("reliability");
    let rows = table(&html, "reliability");
    assert_eq!(rows.len(), rel.len());
    for (row, r) in rows.iter().zip(&rel) {
        assert_eq!(row[1..4], [r.count.to_string(), f4(r.mean_predicted), f4(r.fraction_positive)]);
    }

    // Tier migration: rows baseline tier A..D, columns current tier A..D; the
    // calibration crate counts tiers from the lowest (D = 0).
    let idx = |t: char| 3 - Tier::ALL.iter().position(|x| x.letter() == t).expect("tier");
    let before: Vec<usize> = s.baseline_tiers.iter().map(|&t| idx(t)).collect();
    let after: Vec<usize> = s.tiers.iter().map(|&t| idx(t)).collect();
    let m = MigrationMatrix::from_tier_indices(&before, &after, 4).expect("matrix");
    let rows = table(&html, "migration");
    for (i, row) in rows.iter().enumerate() {
        let want: Vec<String> = (0..4).map(|j| m.count(3 - i, 3 - j).to_string()).collect();
        assert_eq!(row[1..5], want[..], "baseline tier row {i}");
    }
    let summary = format!("{} stayed", m.stayed());
    assert!(html.contains(&summary), "{summary}");
    let psi = PsiParams::new().compute(&s.baseline_scores, p).expect("psi").psi;
    assert!(html.contains(&format!("<b id=\"psi\">{}</b>", f4(psi))));

    // Tier rows count the tiers.
    let rows = table(&html, "tiers");
    for (row, t) in rows.iter().zip(['A', 'B', 'C', 'D']) {
        assert_eq!(row[1], s.tiers.iter().filter(|&&x| x == t).count().to_string());
    }
    // No reasons given: the page says so.
    assert!(html.contains("id=\"factors-absent\"") && !html.contains("id=\"chart-factors\""));
}

#[test]
fn without_a_baseline_the_page_says_so() {
    let s = common::simulate(100, 3);
    let html = render_html(&ReportInput::new(&s.scores, &s.outcomes, &s.tiers).expect("input"));
    assert!(html.contains("id=\"migration-absent\">No baseline scoring was given"));
    assert!(!html.contains("id=\"chart-migration\"") && !html.contains("table-migration"));
    for id in ["chart-gains", "chart-reliability", "chart-tiers"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(!html.contains("could not be"));
}

fn scored_frame(ids: &[String], scores: &[f64], tiers: &[char], outcomes: Option<&[bool]>) -> Frame {
    let mut cols = vec![
        ("account_id".to_string(), Column::text(ids.iter().map(Some))),
        ("icp".to_string(), Column::numeric(scores.iter().map(|&s| Some(s)).collect())),
        ("tier".to_string(), Column::categorical(tiers.iter().map(|t| Some(t.to_string())))),
    ];
    if let Some(y) = outcomes {
        cols.push((
            "converted".to_string(),
            Column::numeric(y.iter().map(|&b| Some(f64::from(u8::from(b)))).collect()),
        ));
    }
    Frame::new(cols).expect("frame")
}

#[test]
fn an_empty_or_disjoint_baseline_is_said_so() {
    let s = common::simulate(60, 9);
    let ids: Vec<String> = (0..60).map(|i| format!("acct_{i}")).collect();
    let current = scored_frame(&ids, &s.scores, &s.tiers, Some(&s.outcomes));
    let cols = FrameColumns::new("converted");
    let input = ReportInput::from_frame(&current, &cols).expect("input");

    let empty = scored_frame(&[], &[], &[], None);
    let html = render_html(&input.clone().with_baseline_frame(&empty, &cols).expect("empty baseline"));
    assert!(html.contains("id=\"migration-absent\">The baseline scoring shares no account"), "empty");
    assert!(html.contains("60 current accounts have no baseline row and 0 baseline rows"));
    assert!(!html.contains("id=\"chart-migration\""));

    let other_ids: Vec<String> = (0..60).map(|i| format!("other_{i}")).collect();
    let disjoint = scored_frame(&other_ids, &s.baseline_scores, &s.baseline_tiers, None);
    let html = render_html(&input.clone().with_baseline_frame(&disjoint, &cols).expect("disjoint"));
    assert!(html.contains("shares no account"));

    // Half the accounts in the baseline: compared, and the rest counted.
    let half = scored_frame(&ids[30..], &s.baseline_scores[30..], &s.baseline_tiers[30..], None);
    let html = render_html(&input.with_baseline_frame(&half, &cols).expect("half"));
    assert!(html.contains("id=\"chart-migration\""));
    assert!(html.contains("30 accounts compared"));
    assert!(html.contains("30 current accounts have no baseline row and 0 baseline rows have no current account"));
}

#[test]
fn text_is_escaped_and_the_file_is_written_whole() {
    let s = common::simulate(50, 1);
    let factors: Vec<Vec<acctscore_report::ScoreReason>> =
        (0..50).map(|i| vec![acctscore_report::ScoreReason::new("<b>&co", 0.01 * f64::from(i))]).collect();
    let input = ReportInput::new(&s.scores, &s.outcomes, &s.tiers)
        .and_then(|i| i.with_factors(&factors))
        .expect("input")
        .title("Q3 <script>alert(1)</script> & co")
        .score_name("p\"icp\"");
    let html = render_html(&input);
    assert!(!html.contains("<script") && !html.contains("<b>&co"));
    assert!(html.contains("Q3 &lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
    assert!(html.contains("&lt;b&gt;&amp;co"));

    let dir = std::env::temp_dir().join(format!("acctscore-report-page-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("report.html");
    write_html(&path, &input).expect("write");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), html);
    let err = write_html(dir.join("missing-folder").join("report.html"), &input).expect_err("an error");
    assert!(matches!(err, acctscore_report::ReportError::Write(_)), "{err}");
    assert!(err.to_string().contains("missing-folder"), "{err}");
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn edge_inputs_draw_every_chart() {
    use acctscore_report::ScoreReason;
    let y = [true, false, false, false, false, false, false, false, false, true];
    let cases: Vec<(Vec<f64>, Vec<Vec<ScoreReason>>)> = vec![
        // Ten accounts, one score for all, one reason code.
        (vec![0.0; 10], (0..10).map(|_| vec![ScoreReason::new("only", 0.2)]).collect()),
        // Every contribution zero.
        (vec![0.5; 10], (0..10).map(|_| vec![ScoreReason::new("zero", 0.0)]).collect()),
        // Every score 1, every contribution negative.
        (vec![1.0; 10], (0..10).map(|i| vec![ScoreReason::new(format!("c{}", i % 3), -0.1)]).collect()),
        // Spread scores, reasons only `other` or none.
        (
            (0..10).map(|i| f64::from(i) / 9.0).collect(),
            (0..10).map(|i| if i % 2 == 0 { vec![ScoreReason::new("other", 0.1)] } else { vec![] }).collect(),
        ),
    ];
    for (k, (scores, factors)) in cases.iter().enumerate() {
        let tiers = ['A', 'A', 'B', 'B', 'C', 'C', 'D', 'D', 'D', 'A'];
        let input = ReportInput::new(scores, &y, &tiers)
            .and_then(|i| i.with_baseline(scores, &['D'; 10]))
            .and_then(|i| i.with_factors(factors))
            .expect("input");
        let html = render_html(&input);
        assert!(!html.contains("could not be"), "case {k}: a chart failed:\n{html}");
        assert!(!html.contains("width=\"-") && !html.contains("height=\"-"), "case {k}: a negative size:\n{html}");
        for id in ["chart-gains", "chart-reliability", "chart-tiers", "chart-migration"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "case {k}: {id}");
        }
        assert_eq!(html.contains("id=\"chart-factors\""), k < 3, "case {k}");
    }
}

/// The ranked file the scorer's examples write (`bench_pool --out`), with an
/// outcome column, read as the CLI will: the frame crate's CSV loader, then
/// [`ReportInput::from_frame`].
#[test]
fn reads_the_ranked_csv() {
    let s = common::simulate(40, 21);
    let mut csv = String::from(
        "rank,account_id,priority,quality,tier,icp,icp_baseline,revenue_estimate,revenue_in_range,revenue_source,\
         anomaly_penalty,anomaly_checks,engagement,engagement_effect,reasons,converted\n",
    );
    for i in 0..40 {
        let reasons: Vec<String> = s.factors[i].iter().map(|f| format!("{}:{:+}", f.code, f.contribution)).collect();
        csv.push_str(&format!(
            "{},acct_{i},{},{},{},{},0.1,1200000,0.8,reported,0,,3.5,-0.01,{},{}\n",
            i + 1,
            s.scores[i] * 0.9,
            s.scores[i],
            s.tiers[i],
            s.scores[i],
            reasons.join(";"),
            u8::from(s.outcomes[i])
        ));
    }
    let frame = Frame::from_csv_reader(csv.as_bytes(), &acctscore_frame::csv::CsvOptions::new()).expect("csv");
    let input = ReportInput::from_frame(&frame, &FrameColumns::new("converted")).expect("input");
    let direct = ReportInput::new(&s.scores, &s.outcomes, &s.tiers)
        .and_then(|i| i.with_factors(&s.factors))
        .expect("direct")
        .score_name("icp");
    assert_eq!(render_html(&input), render_html(&direct));
    // Priority as the score; a baseline file joined on account_id.
    let by_priority =
        ReportInput::from_frame(&frame, &FrameColumns::new("converted").score("priority")).expect("priority");
    let html =
        render_html(&by_priority.with_baseline_frame(&frame, &FrameColumns::new("converted")).expect("baseline"));
    assert!(html.contains("score: <code>priority</code>") && html.contains("40 accounts compared: 40 stayed"));
}
