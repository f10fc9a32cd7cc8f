//! # acctscore-report
//!
//! Turns scored accounts into one self-contained HTML file a go-to-market
//! lead can open offline: styles inline, charts as inline SVG drawn with
//! `plotters`, no script, no link outside the file.
//!
//! ```
//! use acctscore_report::{ScoreReason, ReportInput, render_html};
//!
//! // 40 accounts: probabilities, whether each converted, and their tiers.
//! let scores: Vec<f64> = (0..40).map(|i| f64::from(i) / 40.0).collect();
//! let outcomes: Vec<bool> = (0..40).map(|i| i % 4 == 0 || i > 34).collect();
//! let tiers: Vec<char> = scores.iter().map(|&s| match s {
//!     s if s >= 0.75 => 'A',
//!     s if s >= 0.5 => 'B',
//!     s if s >= 0.25 => 'C',
//!     _ => 'D',
//! }).collect();
//! let reasons: Vec<Vec<ScoreReason>> = scores
//!     .iter()
//!     .map(|&s| vec![ScoreReason::new("industry_software", s / 2.0), ScoreReason::new("small_team", -0.05)])
//!     .collect();
//!
//! let input = ReportInput::new(&scores, &outcomes, &tiers)?
//!     .with_factors(&reasons)?
//!     .title("Q3 pool");
//! let html = render_html(&input);
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! assert!(html.contains("<svg") && !html.contains("<script"));
//! assert_eq!(html, render_html(&input)); // the same bytes every time
//! // acctscore_report::write_html("report.html", &input)?; writes it whole
//! # Ok::<(), acctscore_report::ReportError>(())
//! ```
//!
//! The page holds a header with the headline figures (AUC, qualified →
//! converted, conversions qualified, lift at the top decile, ECE) and five
//! charts, each with its numbers in a table beside it:
//!
//! 1. cumulative gains and lift by decile of the score;
//! 2. the reliability diagram (predicted against observed per bin, with the
//!    diagonal);
//! 3. the score distribution by tier (A–D);
//! 4. tier migration against a baseline scoring, as a matrix, with the
//!    population stability index (when a baseline is given; the page says
//!    so otherwise);
//! 5. the top factors across the pool (reason codes by how much and how
//!    often they drive scores), when reasons are given.
//!
//! Every metric comes from `acctscore-calibration` (AUC, gains and lift,
//! reliability and ECE, the qualified/converted counts, PSI, the migration
//! matrix); this crate only lays them out. [`ReportInput`] is built from
//! typed slices or from a scored frame ([`ReportInput::from_frame`], the
//! ranked file the scorer writes) and checked once, with a typed
//! [`ReportError`] naming what was wrong; rendering then cannot fail and
//! gives the same bytes for the same input.

mod charts;
mod error;
mod figures;
mod frame;
mod html;
mod input;

pub use error::{ReportError, Result};
pub use frame::FrameColumns;
pub use input::{MIN_ACCOUNTS, ReportInput, ScoreReason, Tier};

use acctscore_core::{FileWriteError, WriteStep};
use std::path::Path;

/// The report as one HTML document. Deterministic: the same input gives the
/// same bytes. Never fails: the input was checked when it was built (a chart
/// that cannot be drawn is replaced by a line saying why).
pub fn render_html(input: &ReportInput) -> String {
    html::page(input)
}

/// Renders the report and writes it to `path` whole (a temporary file beside
/// it, synced, then renamed over it), so a failed write leaves any previous
/// file as it was.
///
/// # Errors
/// [`ReportError::Write`] naming the file and the step that failed.
pub fn write_html(path: impl AsRef<Path>, input: &ReportInput) -> Result<()> {
    let path = path.as_ref();
    let page = render_html(input);
    acctscore_core::write_atomic(path, |w| {
        w.write_all(page.as_bytes()).map_err(|source| FileWriteError::new(path, WriteStep::Write, source).into())
    })
}
