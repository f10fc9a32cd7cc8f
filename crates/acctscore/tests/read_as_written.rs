//! Inputs read as written (issue 17): a batch is read with the model's
//! kinds, ids are text, labels of more than two values need their positive
//! value.

use acctscore::features::FeaturesError;
use acctscore::frame::csv::CsvOptions;
use acctscore::frame::{Column, ColumnKind, FrameError};
use acctscore::pool::PoolGenerator;
use acctscore::pool::write_accounts;
use acctscore::prelude::*;

/// The pool's accounts as CSV text, with `ids` as the account ids when given.
fn accounts_csv(n: usize, seed: u64, ids: Option<&dyn Fn(usize) -> String>) -> String {
    let mut pool = PoolGenerator::new(n).seed(seed).events(false).generate();
    if let Some(ids) = ids {
        for (i, a) in pool.accounts.iter_mut().enumerate() {
            a.account_id = ids(i);
        }
    }
    let mut bytes = Vec::new();
    write_accounts(&mut bytes, &pool.accounts).expect("written");
    String::from_utf8(bytes).expect("utf-8")
}

/// The header and the data lines `rows` of a CSV text.
fn lines_of(csv: &str, rows: std::ops::Range<usize>) -> String {
    let mut lines = csv.lines();
    let header = lines.next().expect("header");
    let body: Vec<&str> = lines.skip(rows.start).take(rows.len()).collect();
    format!("{header}\n{}\n", body.join("\n"))
}

#[test]
fn a_small_batch_scores_exactly_like_the_same_rows_in_a_large_file() {
    let csv = accounts_csv(3_000, 17, None);
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let big_path = dir.join("accounts.csv");
    std::fs::write(&big_path, &csv).expect("write");
    // Fitted on the file as read with default options.
    let big = Frame::from_csv_path(&big_path, &CsvOptions::new()).expect("loads");
    let scorer = ScorerParams::new().fit(&big).expect("fits");
    let all = scorer.score_frame(&big, None).expect("scores");

    // Five rows read with default options: ids and industries come out
    // categorical, some columns empty; scored as the same rows of the file.
    let five = Frame::from_csv_reader(lines_of(&csv, 10..15).as_bytes(), &CsvOptions::new()).expect("loads");
    assert_eq!(five.column("account_id").expect("id").kind(), ColumnKind::Categorical);
    assert_eq!(scorer.score_frame(&five, None).expect("scores five"), all[10..15]);
    assert_eq!(scorer.top_n(&five, None, 5).expect("top five").len(), 5);
    assert_eq!(scorer.score_row(&five, 2, None).expect("row"), all[12]);

    // Every single row of the first 40, read for the scorer.
    for (k, want) in all.iter().enumerate().take(40) {
        let one_path = dir.join("one.csv");
        std::fs::write(&one_path, lines_of(&csv, k..k + 1)).expect("write");
        let one = scorer.read_csv_path(&one_path, &CsvOptions::new()).expect("reads");
        for (name, kind) in scorer.schema() {
            assert_eq!(one.column(name).expect("schema column").kind(), *kind, "{name}");
        }
        let prepared = scorer.prepare(&one).expect("prepares as read");
        assert_eq!(&prepared.score(0, None).expect("scores"), want, "row {k}");
    }
}

#[test]
fn text_where_categorical_was_fitted_is_converted_and_prepare_names_both_kinds() {
    let csv = accounts_csv(3_000, 17, None);
    let big = Frame::from_csv_reader(csv.as_bytes(), &CsvOptions::new()).expect("loads");
    let scorer = ScorerParams::new().fit(&big).expect("fits");
    assert!(scorer.schema().contains(&("industry".to_string(), ColumnKind::Categorical)));
    let all = scorer.score_frame(&big, None).expect("scores");
    // The industry as free text: the same values, the other string kind.
    let Column::Categorical(industry) = big.column("industry").expect("industry") else { panic!("categorical") };
    let texts: Vec<Option<&str>> = (0..industry.len()).map(|i| industry.get(i)).collect();
    let cols = big
        .names()
        .iter()
        .zip(big.columns())
        .map(|(n, c)| (n.clone(), if n == "industry" { Column::text(texts.iter().copied()) } else { c.clone() }))
        .collect();
    let as_text = Frame::new(cols).expect("frame");
    scorer.check_schema(&as_text).expect("kinds that read the same values are accepted");
    assert_eq!(scorer.score_frame(&as_text, None).expect("scores"), all);
    let Err(err) = scorer.prepare(&as_text) else { panic!("prepare binds the frame as it is") };
    assert!(matches!(
        &err,
        Error::Schema { column, expected: Some(ColumnKind::Categorical), found: Some(ColumnKind::Text), .. } if column == "industry"
    ));
    assert!(err.to_string().starts_with("column `industry`: expected categorical, found text in the frame"), "{err}");
    let conformed = scorer.conform(&as_text).expect("conforms");
    assert_eq!(scorer.prepare(&conformed).expect("prepares").score(7, None).expect("row"), all[7]);
}

#[test]
fn ids_are_read_as_written_when_fitted_on_parsed_ids() {
    // Zero-padded 19-digit ids: parsed as numbers they lose the zero and,
    // beyond 2^53, collapse into duplicates.
    let id = |i: usize| format!("0{:018}", 123_456_789_012_345_600u64 + i as u64);
    let csv = accounts_csv(3_000, 5, Some(&id));
    let parsed = Frame::from_csv_reader(csv.as_bytes(), &CsvOptions::new()).expect("loads");
    assert_eq!(parsed.column("account_id").expect("id").kind(), ColumnKind::Numeric);
    // Fitted on a frame whose ids were parsed, the scorer still reads a
    // batch's ids as text.
    let scorer = ScorerParams::new().fit(&parsed).expect("fits");
    let batch = scorer.read_csv(lines_of(&csv, 0..4).as_bytes(), &CsvOptions::new()).expect("reads");
    let scores = scorer.score_frame(&batch, None).expect("scores");
    let ids: Vec<&str> = scores.iter().map(|s| s.account_id.as_str()).collect();
    assert_eq!(ids, ["0123456789012345600", "0123456789012345601", "0123456789012345602", "0123456789012345603"]);
    // Read for fitting with the mapping's id declared: text, byte for byte.
    let params = ScorerParams::new();
    let frame = Frame::from_csv_reader(csv.as_bytes(), &params.csv_options(&CsvOptions::new())).expect("loads");
    let Column::Text(ids) = frame.column("account_id").expect("id") else { panic!("text ids") };
    assert_eq!(ids.get(2999), Some("0123456789012348599"));
    let distinct: std::collections::HashSet<&str> = ids.iter().flatten().collect();
    assert_eq!(distinct.len(), 3_000);
}

#[test]
fn a_numeric_label_of_more_than_0_and_1_names_its_values() {
    let pool = PoolGenerator::new(3_000).seed(8).events(false).generate();
    let frame = accounts_to_frame(&pool.accounts).expect("frame");
    // `converted` as numbers 0/1, with every 7th labelled row a third class 2.
    let labels: Vec<Option<f64>> = pool
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| a.converted.map(|c| if i % 7 == 0 { 2.0 } else { f64::from(u8::from(c)) }))
        .collect();
    let mut counts = [0usize; 3];
    for l in labels.iter().flatten() {
        counts[*l as usize] += 1;
    }
    let cols = frame
        .names()
        .iter()
        .zip(frame.columns())
        .map(|(n, c)| (n.clone(), if n == "converted" { Column::numeric(labels.clone()) } else { c.clone() }))
        .collect();
    let three = Frame::new(cols).expect("frame");
    match ScorerParams::new().fit(&three) {
        Err(Error::Features(FeaturesError::TargetValues { column, counts: got })) => {
            assert_eq!(column, "converted");
            let mut want: Vec<(String, usize)> =
                vec![("0".to_string(), counts[0]), ("1".to_string(), counts[1]), ("2".to_string(), counts[2])];
            want.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            assert_eq!(got, want);
        }
        other => panic!("expected TargetValues, got {:?}", other.map(|_| ())),
    }
    // With the positive value declared, 2 and 0 are negatives.
    let scorer = ScorerParams::new().positive_label("1").fit(&three).expect("fits");
    assert_eq!(scorer.metrics().positives, counts[1]);
    // A categorical label needs it too, and works with it.
    let stages: Vec<Option<&str>> = labels.iter().map(|l| l.map(|l| ["lost", "won", "open"][l as usize])).collect();
    let cols = three
        .names()
        .iter()
        .zip(three.columns())
        .map(|(n, c)| {
            (n.clone(), if n == "converted" { Column::categorical(stages.iter().copied()) } else { c.clone() })
        })
        .collect();
    let staged = Frame::new(cols).expect("frame");
    assert!(matches!(
        ScorerParams::new().fit(&staged),
        Err(Error::Features(FeaturesError::Frame(FrameError::WrongKind {
            expected: ColumnKind::Boolean,
            found: ColumnKind::Categorical,
            ..
        })))
    ));
    let scorer = ScorerParams::new().positive_label("Won").fit(&staged).expect("fits");
    assert_eq!(scorer.metrics().positives, counts[1]);
}

#[test]
fn engagement_from_event_rows_refuses_repeated_ids_and_milliseconds() {
    let pool = PoolGenerator::new(3_000).seed(3).events(false).generate();
    let frame = accounts_to_frame(&pool.accounts).expect("frame");
    let scorer = ScorerParams::new().fit(&frame).expect("fits");
    let now = Timestamp::from_unix_seconds(1_767_225_600);
    let event = |id: &str, ts: i64| EventRecord {
        account_id: id.to_string(),
        kind: "email".into(),
        timestamp: ts,
        rep_id: None,
    };
    let events = [event("a", 1_767_000_000), event("b", 1_767_100_000)];
    let (scores, _) = scorer.engagement_from_events(&["a", "b"], &events, now).expect("unique ids");
    assert!(scores.iter().all(|s| *s > 0.0));
    // An activity after `now` and one of an account not in the list are
    // left out, and counted apart.
    let mixed = [event("a", 1_767_000_000), event("b", 1_767_300_000), event("z", 1_767_000_000)];
    let (scores, tally) = scorer.engagement_from_events(&["a", "b"], &mixed, now).expect("known kinds");
    assert!(scores[0] > 0.0 && scores[1] == 0.0, "{scores:?}");
    assert_eq!((tally.used, tally.future, tally.unknown_accounts), (1, 1, 1));
    match scorer.engagement_from_events(&["a", "b", "a"], &events, now) {
        Err(Error::Pool(acctscore::pool::PoolError::DuplicateId { id, first_row: 0, row: 2 })) => assert_eq!(id, "a"),
        other => panic!("expected DuplicateId, got {other:?}"),
    }
    let ms = [event("a", 1_767_000_000), event("b", 1_767_100_000_000)];
    assert!(matches!(
        scorer.engagement_from_events(&["a", "b"], &ms, now),
        Err(Error::Pool(acctscore::pool::PoolError::TimestampUnit {
            line: 3,
            value: 1_767_100_000_000,
            unit: acctscore::pool::TimeUnit::Milliseconds
        }))
    ));
}

#[test]
fn the_fit_report_counts_missing_value_tokens_and_the_column_stays_numeric() {
    let csv = accounts_csv(2_000, 23, None);
    let employees = csv.lines().next().expect("header").split(',').position(|c| c == "employees").expect("column");
    // Eight rows whose employee count is written `n/a`.
    let edited: Vec<String> = csv
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 || i % 250 != 3 {
                return line.to_string();
            }
            let mut fields: Vec<&str> = line.split(',').collect();
            fields[employees] = "n/a";
            fields.join(",")
        })
        .collect();
    assert_eq!(edited.iter().filter(|l| l.contains(",n/a,")).count(), 8);
    let frame = Frame::from_csv_reader(edited.join("\n").as_bytes(), &CsvOptions::new()).expect("loads");
    assert_eq!(frame.column("employees").expect("column").kind(), ColumnKind::Numeric);
    assert_eq!(frame.missing_tokens(), [("employees".to_string(), 8)]);
    let scorer = ScorerParams::new().fit(&frame).expect("fits");
    assert_eq!(scorer.fit_report().missing_tokens, [("employees".to_string(), 8)]);
    let shown = scorer.fit_report().to_string();
    assert!(shown.contains("column `employees`: 8 missing-value tokens"), "{shown}");
    // Kept through the model file.
    let back = Scorer::from_json(&scorer.to_json().expect("saves")).expect("loads");
    assert_eq!(back.fit_report().missing_tokens, scorer.fit_report().missing_tokens);
}
