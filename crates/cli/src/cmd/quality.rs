//! `acctscore quality FILE --target COL`: the data-quality report of a CSV
//! against a binary target, before any training: missing shares,
//! cardinality, placeholders, constant and id-like columns, single-column
//! out-of-fold AUC with leakage flags.
//!
//! `--format text` (default) prints the report's table; `csv` one row per
//! column (`name,kind,missing_share,cardinality,placeholder_share,auc,flags`,
//! flags `;`-separated); `json` the whole report.
//!
//! `--leakage-auc` and `--suspect-auc` set the flags' AUC thresholds
//! (defaults 0.90 and 0.80); `--delimiter` and `--skip-bad-rows` say how the
//! file is read (the delimiter is detected when neither it nor a mapping
//! file's `[csv]` section gives one; skipped rows are warned about with their lines).

use crate::common::{self, Context, Format, Result, Ui, usage};
use acctscore::features::quality::{QualityParams, QualityReport, Target};
use acctscore::frame::csv::load_path;
use std::path::PathBuf;

/// Options of `quality`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The CSV file.
    pub(crate) file: PathBuf,
    /// Target column.
    #[arg(long, value_name = "COL")]
    pub(crate) target: String,
    /// Target value read as positive (default `1`; needed when the target
    /// has more than two values or is text such as yes/no).
    #[arg(long, value_name = "V")]
    pub(crate) positive: Option<String>,
    /// Target values whose rows are left out (comma-separated), e.g. open deals.
    #[arg(long, value_name = "V1,V2", value_delimiter = ',')]
    pub(crate) ignore: Vec<String>,
    /// Mapping file: only its `[csv]` section is used here (delimiter, missing tokens, ...).
    #[arg(long, value_name = "FILE")]
    pub(crate) map: Option<PathBuf>,
    /// Field delimiter: one ASCII character, `\t` for tab (default: the
    /// mapping file's, else detected).
    #[arg(long, value_name = "CHAR", value_parser = common::delimiter)]
    pub(crate) delimiter: Option<u8>,
    /// Skip malformed rows (warned about with their lines) instead of failing.
    #[arg(long)]
    pub(crate) skip_bad_rows: bool,
    /// AUC at or above which a column is flagged `leakage` (in [0.5, 1]).
    #[arg(long, value_name = "AUC", default_value_t = 0.90, value_parser = common::auc_threshold)]
    pub(crate) leakage_auc: f64,
    /// AUC at or above which a column is flagged `suspect_leakage` (in
    /// [0.5, 1], at most --leakage-auc).
    #[arg(long, value_name = "AUC", default_value_t = 0.80, value_parser = common::auc_threshold)]
    pub(crate) suspect_auc: f64,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: Format,
}

/// Runs `quality`.
///
/// # Errors
/// A file that cannot be read, an absent target column, a single-class target.
pub(crate) fn run(ui: &Ui, args: Args) -> Result<()> {
    if args.suspect_auc > args.leakage_auc {
        return Err(usage(format!(
            "--suspect-auc ({}) must not be above --leakage-auc ({})",
            args.suspect_auc, args.leakage_auc
        )));
    }
    let options = common::table_options(args.map.as_deref(), args.delimiter)?.skip_bad_rows(args.skip_bad_rows);
    let load = ui.stage("reading the file", || load_path(&args.file, &options)).with_context(|| args.file.display())?;
    if !load.report.skipped.is_empty() {
        let lines: Vec<String> =
            load.report.skipped.iter().take(5).map(|s| format!("line {}: {}", s.line, s.reason)).collect();
        ui.warn(format_args!(
            "{}: skipped {} malformed rows ({}{})",
            args.file.display(),
            load.report.skipped.len(),
            lines.join("; "),
            if load.report.skipped.len() > 5 { "; ..." } else { "" }
        ));
    }
    if !load.report.widened.is_empty() {
        ui.note(format_args!(
            "{}: read as categorical after later rows disagreed: {}",
            args.file.display(),
            load.report.widened.join(", ")
        ));
    }
    let mut target = Target::new(&args.target).ignore(&args.ignore);
    if let Some(p) = &args.positive {
        target = target.positive(p);
    }
    let params = QualityParams::new().leakage_auc(args.leakage_auc).suspect_auc(args.suspect_auc);
    let report = ui
        .stage("computing the report", || QualityReport::compute(&load.frame, &target, &params))
        .with_context(|| format!("{}: target `{}`", args.file.display(), args.target))?;
    ui.note(format_args!(
        "{}: {} rows x {} columns; {} labelled ({} positive), {} left out",
        args.file.display(),
        load.frame.nrows(),
        load.frame.ncols(),
        report.rows,
        report.positives,
        report.ignored_rows
    ));
    common::to_stdout(|out| {
        match args.format {
            Format::Text => write!(out, "{report}")?,
            Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(["name", "kind", "missing_share", "cardinality", "placeholder_share", "auc", "flags"])?;
                for c in &report.columns {
                    let flags: Vec<&str> = c.flags.iter().map(|f| f.as_str()).collect();
                    w.write_record([
                        c.name.clone(),
                        format!("{:?}", c.kind).to_lowercase(),
                        c.missing_share.to_string(),
                        c.cardinality.to_string(),
                        c.placeholder_share.to_string(),
                        c.auc.to_string(),
                        flags.join(";"),
                    ])?;
                }
                w.flush()?;
            }
        }
        Ok(())
    })
}
