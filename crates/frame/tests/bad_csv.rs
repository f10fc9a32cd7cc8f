//! Bad CSV inputs give typed errors with their line.
#![cfg(feature = "csv")]

use acctscore_frame::csv::CsvOptions;
use acctscore_frame::{CsvErrorKind, Frame, FrameError, QuotingProblem};

fn err(data: &str) -> (u64, CsvErrorKind) {
    match Frame::from_csv_reader(data.as_bytes(), &CsvOptions::new()) {
        Err(FrameError::Csv { line, kind }) => (line, kind),
        other => panic!("expected a CSV error for {data:?}, got {other:?}"),
    }
}

#[test]
fn empty_file_and_header_only() {
    assert_eq!(err(""), (1, CsvErrorKind::EmptyInput));
    assert_eq!(err("\u{feff}"), (1, CsvErrorKind::EmptyInput));
    assert_eq!(err("a,b,c\r\n"), (2, CsvErrorKind::NoRows));
    assert_eq!(err("a,b,c"), (2, CsvErrorKind::NoRows));
}

#[test]
fn ragged_rows() {
    assert_eq!(err("a,b\n1,2\n3,4\n5\n"), (4, CsvErrorKind::RaggedRow { expected: 2, found: 1 }));
    assert_eq!(err("a;b\n1;2;3\n"), (2, CsvErrorKind::RaggedRow { expected: 2, found: 3 }));
}

#[test]
fn bad_quoting() {
    let bad = |d| match err(d) {
        (line, CsvErrorKind::BadQuoting { detail }) => (line, detail),
        other => panic!("{other:?}"),
    };
    assert_eq!(bad("a,b\n1,\"x\n2,3\n"), (2, QuotingProblem::Unterminated));
    assert_eq!(bad("a,b\n1,2\n3,ab\"c\n"), (3, QuotingProblem::StrayQuote));
    assert_eq!(bad("a,b\n\"x\"y,2\n"), (2, QuotingProblem::TextAfterClosingQuote));
    assert_eq!(bad("\"a,b\nx,y\n"), (1, QuotingProblem::Unterminated));
}

#[test]
fn skipping_counts_every_bad_row() {
    let data = "a,b\n1,2\n3\n\"x\"y,2\n4,5\n";
    let f = Frame::from_csv_reader(data.as_bytes(), &CsvOptions::new().skip_bad_rows(true)).expect("loads");
    assert_eq!(f.nrows(), 2);
    let lines: Vec<u64> = f.skipped_rows().iter().map(|s| s.line).collect();
    assert_eq!(lines, [3, 4]);
}

#[test]
fn errors_display_their_line() {
    let e = Frame::from_csv_reader("a,b\n1\n".as_bytes(), &CsvOptions::new()).expect_err("ragged");
    assert_eq!(e.to_string(), "CSV line 2: expected 2 fields, found 1");
}
