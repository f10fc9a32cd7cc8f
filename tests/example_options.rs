//! The examples' shared option checks and output helpers (examples/common).

#[path = "../examples/common/mod.rs"]
mod common;

use common::*;
use std::io::{self, Write};

#[test]
fn non_finite_numbers_are_refused() {
    for s in ["NaN", "nan", "inf", "-inf", "infinity", "1e400"] {
        assert_eq!(finite(s), Err(format!("`{s}` is not a finite number")), "{s}");
        assert!(auc_threshold(s).is_err(), "{s}");
        assert!(probability(s).is_err(), "{s}");
        assert!(positive(s).is_err(), "{s}");
    }
    assert_eq!(finite("x"), Err("`x` is not a number".to_string()));
    assert_eq!(finite(" 0.25 "), Ok(0.25));
}

#[test]
fn numbers_out_of_range_are_refused() {
    assert_eq!(auc_threshold("0.9"), Ok(0.9));
    assert_eq!(auc_threshold("1"), Ok(1.0));
    assert_eq!(auc_threshold("0.4"), Err("`0.4` is not in [0.5, 1]".to_string()));
    assert_eq!(auc_threshold("-0.9"), Err("`-0.9` is not in [0.5, 1]".to_string()));
    assert_eq!(auc_threshold("1.2"), Err("`1.2` is not in [0.5, 1]".to_string()));
    assert_eq!(probability("-0.1"), Err("`-0.1` is not in [0, 1]".to_string()));
    assert_eq!(probability("0"), Ok(0.0));
    assert_eq!(positive("0"), Err("`0` is not greater than 0".to_string()));
    assert_eq!(positive("-3"), Err("`-3` is not greater than 0".to_string()));
    assert_eq!(positive("14"), Ok(14.0));
}

#[test]
fn counts_are_whole_and_bounded() {
    assert_eq!(accounts("30000"), Ok(30_000));
    assert_eq!(
        accounts("18446744073709551615"),
        Err(format!("`18446744073709551615` is not in [1, {}]", acctscore::pool::MAX_ACCOUNTS))
    );
    assert_eq!(accounts("0"), Err(format!("`0` is not in [1, {}]", acctscore::pool::MAX_ACCOUNTS)));
    assert_eq!(accounts("-5"), Err("`-5` is not a whole number".to_string()));
    assert_eq!(accounts("99999999999999999999999"), Err("`99999999999999999999999` is not a whole number".to_string()));
    assert_eq!(count("1"), Ok(1));
    assert!(count("100000001").is_err());
    assert_eq!(count_in("0", 0, 5), Ok(0));
}

#[test]
fn inverted_thresholds_are_refused() {
    assert_eq!(ordered("--suspect-auc", 0.8, "--leakage-auc", 0.9), Ok(()));
    assert_eq!(ordered("--suspect-auc", 0.9, "--leakage-auc", 0.9), Ok(()));
    assert_eq!(
        ordered("--suspect-auc", 0.95, "--leakage-auc", 0.9),
        Err("--suspect-auc (0.95) must not be above --leakage-auc (0.9)".to_string())
    );
}

#[test]
fn a_misspelt_column_is_named_with_the_columns_there_are() {
    let cols: Vec<String> = ["id", "industry", "converted"].map(String::from).to_vec();
    assert_eq!(columns_exist("--drop", &["industry".to_string()], &cols), Ok(()));
    assert_eq!(columns_exist("--drop", &[], &cols), Ok(()));
    assert_eq!(
        columns_exist("--drop", &["industry".to_string(), "industy".to_string()], &cols),
        Err("--drop: no column `industy`; the columns are: id, industry, converted".to_string())
    );
    let many: Vec<String> = (0..25).map(|k| format!("c{k}")).collect();
    let e = columns_exist("--drop", &["x".to_string()], &many).expect_err("missing");
    assert!(e.ends_with("c18, c19, and 5 more"), "{e}");
}

/// A writer whose reader went away after `room` bytes.
struct ClosedPipe {
    room: usize,
}

impl Write for ClosedPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.room == 0 {
            return Err(io::Error::from(io::ErrorKind::BrokenPipe));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_broken_pipe_ends_output_quietly_other_errors_do_not() {
    let write_lines = |w: &mut dyn Write| -> Result<(), BoxError> {
        for k in 0..1_000_000 {
            writeln!(w, "line {k}")?;
        }
        Ok(())
    };
    let mut pipe = ClosedPipe { room: 100 };
    assert!(quiet_broken_pipe(write_lines(&mut pipe)).is_ok());
    // Through a csv writer too (its error wraps the I/O error).
    let mut pipe = ClosedPipe { room: 10 };
    let csv_rows = |w: &mut dyn Write| -> Result<(), BoxError> {
        let mut out = csv::Writer::from_writer(w);
        for k in 0..100_000 {
            out.write_record([k.to_string(), "x".to_string()])?;
        }
        out.flush()?;
        Ok(())
    };
    assert!(quiet_broken_pipe(csv_rows(&mut pipe)).is_ok());
    let other: Result<(), BoxError> = Err(io::Error::from(io::ErrorKind::PermissionDenied).into());
    assert!(quiet_broken_pipe(other).is_err());
    let text: Result<(), BoxError> = Err("broken pipe".into());
    assert!(quiet_broken_pipe(text).is_err(), "only the error kind counts");
}

#[test]
fn file_output_is_written_whole() {
    let dir = std::env::temp_dir().join(format!("acctscore-example-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("scores.csv");
    to_file_or_stdout(Some(&path), |w| Ok(w.write_all(b"id,score\na,0.5\n")?)).expect("written");
    let failed = to_file_or_stdout(Some(&path), |w| {
        w.write_all(b"id,score\nb,")?;
        Err("the model failed mid-way".into())
    });
    assert_eq!(failed.expect_err("body failed").to_string(), "the model failed mid-way");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "id,score\na,0.5\n");
    assert_eq!(std::fs::read_dir(&dir).expect("dir").count(), 1, "no temporary file left");
    std::fs::remove_dir_all(&dir).ok();
}
