//! `acctscore report`: one self-contained HTML file (styles and SVG charts
//! inline, no network) from a scored file with outcomes: the headline
//! figures, cumulative gains and lift, the reliability diagram, the score by
//! tier, tier migration against a baseline scoring, and the top factors
//! across the pool, each chart with its numbers in a table beside it
//! ([`acctscore_report`]).
//!
//! The scored file is the ranked CSV of `score` with the outcome carried
//! (`score --carry converted`); rows whose outcome is missing (open
//! accounts) are left out with a named warning.

use crate::common::{Context, Result, Ui, fail};
use acctscore::frame::csv::CsvOptions;
use acctscore::frame::{ColumnKind, Frame};
use acctscore_report::{FrameColumns, ReportInput, write_html};
use std::path::{Path, PathBuf};

/// Options of `report`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Scored accounts (`score --carry TARGET`: `account_id`, the score, `tier`, `reasons`, the outcome).
    #[arg(long, value_name = "FILE")]
    pub(crate) scored: PathBuf,
    /// Outcome column.
    #[arg(long, value_name = "COL")]
    pub(crate) target: String,
    /// Outcome value read as positive (default: boolean, 0/1, true/false or yes/no).
    #[arg(long, value_name = "V")]
    pub(crate) positive: Option<String>,
    /// Score column the charts judge: `icp` (the calibrated probability: the
    /// reliability diagram reads it) or `priority` (the ranking sent to sales).
    #[arg(long, value_name = "COL", default_value = "icp")]
    pub(crate) score_col: String,
    /// An earlier scoring of the same accounts (joined on `account_id`), for tier migration.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Title of the page.
    #[arg(long, default_value = "acctscore evaluation report")]
    pub(crate) title: String,
    /// HTML file to write.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
}

/// Runs `report`.
///
/// # Errors
/// Unreadable files, a missing column, a value that is not a probability or a tier.
pub(crate) fn run(ui: &Ui, args: Args) -> Result<()> {
    let mut columns = FrameColumns::new(&args.target).score(&args.score_col);
    if let Some(p) = &args.positive {
        columns = columns.positive(p);
    }
    // With `--positive`, the outcome is compared as written (`yes` stays `yes`).
    let options = match &args.positive {
        Some(_) => CsvOptions::new().kind(&args.target, ColumnKind::Text),
        None => CsvOptions::new(),
    };
    let scored = labelled(ui, &read(&args.scored, &options)?, &args.target, &args.scored)?;
    let mut input = ReportInput::from_frame(&scored, &columns).with_context(|| args.scored.display())?;
    if let Some(path) = &args.baseline {
        let baseline = read(path, &options)?;
        input = input.with_baseline_frame(&baseline, &columns).with_context(|| path.display())?;
    }
    let input = input.title(&args.title).score_name(&args.score_col);
    ui.stage("writing the report", || write_html(&args.out, &input))
        .with_context(|| format!("writing {}", args.out.display()))?;
    crate::common::to_stdout(|out| {
        writeln!(out, "{}\t{} accounts", args.out.display(), input.len())?;
        Ok(())
    })
}

fn read(path: &Path, options: &CsvOptions) -> Result<Frame> {
    Frame::from_csv_path(path, options).with_context(|| path.display())
}

/// The rows of `frame` whose outcome `target` is present; the others are
/// counted in a warning.
///
/// # Errors
/// A frame without the column.
pub(crate) fn labelled(ui: &Ui, frame: &Frame, target: &str, path: &Path) -> Result<Frame> {
    let col = frame.column(target).map_err(|_| {
        fail(format!(
            "{}: no outcome column `{target}` (carry it into the scored file with `score --carry {target}`); columns: {}",
            path.display(),
            frame.names().join(", ")
        ))
    })?;
    let rows: Vec<usize> = (0..frame.nrows()).filter(|&i| !col.is_missing(i)).collect();
    if rows.len() < frame.nrows() {
        ui.warn(format_args!(
            "{}: left out {} rows with a missing `{target}` (no outcome yet)",
            path.display(),
            frame.nrows() - rows.len()
        ));
        return Ok(frame.take(&rows));
    }
    Ok(frame.clone())
}
