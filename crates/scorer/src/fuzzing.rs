//! Harness bodies shared by the `cargo-fuzz` targets in `fuzz/` and by the
//! proptest suite `tests/fuzz_bodies.rs`, so that what is fuzzed on nightly
//! outside CI also runs on stable in `cargo test`.
//!
//! Each body takes arbitrary input, must never panic on it (a panic is the
//! finding), and asserts what a successful read promises: lengths agree,
//! present numbers are finite, rows are in range, reading whole equals
//! reading in blocks, and a written value reads back equal. The loaders'
//! errors are expected outcomes and are ignored.
//!
//! The assertions and `expect`s here panic by design: they are the fuzzer's
//! oracle, on values the library itself produced. The module exists only
//! with the `fuzzing` feature (off by default), never in a service's build.
//!
//! See `docs/testing.md` for the fuzzing commands.

use crate::Scorer;
use crate::engagement::{EngagementModel, EngagementParams};
use crate::frame::csv::{CsvOptions, load_bytes};
use crate::frame::{Column, Frame};
use crate::icp::rules::RuleSet;
use crate::pool::{PoolGenerator, accounts_to_frame, read_touches, read_touches_discovering};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The CSV loader with default options on arbitrary bytes: a loaded frame
/// has columns of its row count, present numbers finite, and a report that
/// agrees with it.
///
/// # Panics
/// When the loader breaks one of these promises (or panics itself).
pub fn csv_loader(data: &[u8]) {
    let Ok(load) = load_bytes(data, &CsvOptions::default()) else { return };
    let frame = &load.frame;
    assert_eq!(load.report.rows, frame.nrows(), "report rows");
    assert_eq!(load.report.columns.len(), frame.ncols(), "report columns");
    assert_eq!(frame.skipped_rows(), &load.report.skipped[..], "skipped rows");
    for (name, column) in frame.names().iter().zip(frame.columns()) {
        assert_eq!(column.len(), frame.nrows(), "column `{name}` length");
        if let Column::Numeric(values) = column {
            assert!(values.values().iter().all(|v| v.is_finite() || v.is_nan()), "column `{name}`: infinite value");
        }
    }
    // A reader gives the same frame as the bytes.
    let again = Frame::from_csv_reader(data, &CsvOptions::default()).expect("read again");
    assert_eq!(&again, frame, "reader and bytes disagree");
}

/// The engagement model the events body reads with.
fn events_model() -> &'static EngagementModel {
    static MODEL: OnceLock<EngagementModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        EngagementParams::new()
            .kind("email", 1.0, 14.0)
            .kind("call", 3.0, 30.0)
            .kind("meeting", 8.0, 45.0)
            .fit()
            .expect("a valid model")
    })
}

/// A fresh temporary path for one events file.
fn temp_events_path() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("acctscore-fuzz-events-{}-{n}.csv", std::process::id()))
}

/// The events reader on arbitrary bytes with a small id list (hashed and
/// numbered ids): touches name rows of the list, every row is a touch or an
/// unknown account, discovering ids agrees with a given list, and reading
/// the bytes from a file in small blocks (touches and engagement) equals
/// reading them whole.
///
/// # Panics
/// When the reader breaks one of these promises (or panics itself).
pub fn events_reader(data: &[u8]) {
    let model = events_model();
    let hashed = Column::text([Some("a"), Some("b"), Some("x,y")]);
    let numbered = Column::text([Some("acct_0001"), Some("acct_0002"), Some("acct_0003")]);
    for ids in [&hashed, &numbered] {
        if let Ok(log) = read_touches(data, ids, model) {
            assert_eq!(log.touches.len() as u64 + log.unknown_accounts, log.rows, "rows");
            assert!(log.touches.iter().all(|t| (t.account as usize) < ids.len()), "account out of range");
            assert!(log.touches.iter().all(|t| Some(t.at.unix_seconds()) <= log.latest), "latest");
        }
    }
    let whole = read_touches(data, &hashed, model);
    if let Ok((found, log)) = read_touches_discovering(data, model) {
        assert_eq!(log.touches.len() as u64, log.rows, "discovering keeps every row");
        assert!(log.touches.iter().all(|t| (t.account as usize) < found.len()), "discovered row out of range");
        let mut sorted = found.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), found.len(), "discovered ids repeat");
        if let Ok(given) = &whole {
            assert_eq!(log.rows, given.rows, "discovering and a given list read different rows");
        }
    }
    let path = temp_events_path();
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let streamed = crate::pool::touches_in_blocks(&path, &hashed, model, 7);
    let engagement = crate::pool::engagement_in_blocks(&path, &hashed, model, 7);
    let _ = std::fs::remove_file(&path);
    match (&whole, &streamed) {
        (Ok(w), Ok(s)) => assert_eq!(w, s, "streamed touches"),
        (Err(w), Err(s)) => assert_eq!(w.to_string(), s.to_string(), "streamed error"),
        _ => panic!("whole {whole:?} but streamed {streamed:?}"),
    }
    match (&whole, &engagement) {
        (Ok(log), Ok(got)) => {
            assert_eq!((got.rows, got.unknown_accounts), (log.rows, log.unknown_accounts), "engagement rows");
            let e = &got.engagement;
            if let Ok(want) = model.aggregate(e.now(), hashed.len(), &log.touches) {
                for (g, w) in e.scores().iter().zip(want.scores()) {
                    assert!(g.is_finite() && w.is_finite(), "non-finite engagement {g} vs {w}");
                    assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "engagement {g} vs {w}");
                }
            }
        }
        (Err(w), Err(s)) => assert_eq!(w.to_string(), s.to_string(), "engagement error"),
        _ => panic!("whole {whole:?} but engagement {engagement:?}"),
    }
}

/// A small frame with the pool's rule fields (and a text column).
fn rules_frame() -> &'static Frame {
    static FRAME: OnceLock<Frame> = OnceLock::new();
    FRAME.get_or_init(|| {
        Frame::new(vec![
            ("has_ecommerce".into(), Column::Boolean(vec![Some(true), Some(false), None])),
            ("business_model".into(), Column::categorical([Some("ecommerce"), None, Some("services")])),
            ("employees".into(), Column::numeric(vec![Some(50.0), Some(5_000.0), None])),
            ("country".into(), Column::categorical([Some("US"), Some("FR"), None])),
            ("web_traffic_growth_90d".into(), Column::numeric(vec![Some(0.3), None, Some(-0.1)])),
            ("funding_last_round_days_ago".into(), Column::numeric(vec![None, Some(100.0), Some(900.0)])),
            ("job_title_of_contact".into(), Column::text([Some("CEO"), None, Some("cto")])),
        ])
        .expect("a valid frame")
    })
}

/// The rules TOML on an arbitrary string: a parsed set writes back to TOML
/// that reads as an equal set, and when it binds to a small frame every
/// row's points are a number (never NaN) with a tier.
///
/// # Panics
/// When the parser breaks one of these promises (or panics itself).
pub fn rules_toml(text: &str) {
    let Ok(set) = RuleSet::from_toml_str(text) else { return };
    let written = set.to_toml_string().expect("a valid set writes");
    assert_eq!(RuleSet::from_toml_str(&written).expect("written set reads back"), set, "round trip");
    let frame = rules_frame();
    let Ok(bound) = set.bind(frame) else { return };
    for i in 0..=frame.nrows() {
        let points = bound.points(i);
        assert!(!points.is_nan(), "row {i}: NaN points");
        let _ = set.tiers().tier(points);
        let _ = bound.explain(i);
    }
}

/// A small pool frame a saved model scores (accounts of the pool's schema).
fn model_frame() -> &'static Frame {
    static FRAME: OnceLock<Frame> = OnceLock::new();
    FRAME.get_or_init(|| {
        let pool = PoolGenerator::new(20).seed(5).events(false).generate();
        accounts_to_frame(&pool.accounts).expect("a finite pool")
    })
}

/// The model file on an arbitrary string: a loaded scorer writes back to
/// the same file, and when it accepts a small pool frame its priorities are
/// finite probabilities-based numbers.
///
/// # Panics
/// When the loader breaks one of these promises (or panics itself).
pub fn model_json(text: &str) {
    let Ok(scorer) = Scorer::from_json(text) else { return };
    let written = scorer.to_json().expect("a loaded model writes");
    let back = Scorer::from_json(&written).expect("a written model reads back");
    assert_eq!(back.to_json().expect("writes again"), written, "round trip");
    let frame = model_frame();
    if scorer.check_schema(frame).is_err() {
        return;
    }
    if let Ok(priorities) = scorer.priorities(frame, None) {
        assert_eq!(priorities.len(), frame.nrows(), "one priority a row");
        assert!(priorities.iter().all(|p| p.is_finite()), "non-finite priority");
    }
}
