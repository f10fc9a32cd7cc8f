//! `acctscore fit`: fit every model (quality gate, ICP, revenue, anomaly,
//! tiers) on accounts with known outcomes and save the model file; print
//! the fit report: the ICP family and why (with the cross-validated AUCs
//! when `auto` compared families), the columns left out and why, the
//! revenue model, the tier cut points, and the fit's warnings.
//!
//! Without `--map` the accounts file is in the pool format (`accounts.csv`'s
//! columns); with it, any CSV whose columns the mapping file names.
//!
//! The model file also holds the engagement settings `score` and
//! `engagement` use: `--weights` and `--half-life-days` per activity kind
//! (defaults: email 1 / 14 days, call 3 / 30 days, meeting 10 / 60 days);
//! and the anomaly checks' reference time `--as-of` (for "founded in the
//! future"; default 2026-01-01).

use crate::common::{self, Context, Format, Result, Schema, Ui, fail};
use acctscore::core::Timestamp;
use acctscore::engagement::EngagementParams;
use acctscore::icp::propensity::FamilyChoice;
use acctscore::icp::rules::RuleSet;
use acctscore::revenue::RevenueRange;
use acctscore::{Scorer, ScorerParams};
use std::path::{Path, PathBuf};

/// Options of `fit`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Accounts with outcomes (the pool format, or any CSV with `--map`).
    #[arg(long, value_name = "FILE")]
    pub(crate) accounts: PathBuf,
    /// Activity log (`account_id,kind,timestamp[,rep_id]`): checked (every
    /// activity kind must be known to the engagement model); engagement has
    /// no fitted parameters.
    #[arg(long, value_name = "FILE")]
    pub(crate) events: Option<PathBuf>,
    /// Outcome column.
    #[arg(long, value_name = "COL")]
    pub(crate) target: String,
    /// Outcome value read as positive (needed for a text or many-valued
    /// outcome; default: the outcome must be boolean or 0/1).
    #[arg(long, value_name = "V")]
    pub(crate) positive: Option<String>,
    /// ICP model family: `auto` picks logistic regression or boosted trees by
    /// cross-validated AUC (rules with too few positives).
    #[arg(long, default_value = "auto", value_name = "auto|rules|logistic|trees|lookalike|hybrid")]
    pub(crate) family: FamilyChoice,
    /// Weighted rules (TOML) for the rules family and auto's fallback.
    #[arg(long, value_name = "FILE")]
    pub(crate) rules: Option<PathBuf>,
    /// Keep these columns as features even when the quality gate flags them
    /// leakage or id-like (only for columns known before the outcome).
    #[arg(long, value_name = "COL", value_delimiter = ',', num_args = 1..)]
    pub(crate) keep: Vec<String>,
    /// Mapping file (TOML): which column holds what, how to read the CSV.
    #[arg(long, value_name = "FILE")]
    pub(crate) map: Option<PathBuf>,
    /// Engagement weight per activity kind, `kind=weight,...` (a finite
    /// weight of 0 or more; a kind named only here gets a 30-day half-life).
    #[arg(long, value_name = "KIND=W", value_delimiter = ',', value_parser = weight)]
    pub(crate) weights: Vec<(String, f64)>,
    /// Engagement half-life in days per activity kind, `kind=days,...` (above
    /// 0; a kind named only here gets weight 1).
    #[arg(long, value_name = "KIND=DAYS", value_delimiter = ',', value_parser = half_life)]
    pub(crate) half_life_days: Vec<(String, f64)>,
    /// Reference time of the anomaly checks ("founded in the future"): Unix
    /// seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (default 2026-01-01).
    #[arg(long, value_name = "T", value_parser = common::time)]
    pub(crate) as_of: Option<Timestamp>,
    /// The preferred monthly revenue range in USD, `LOW..HIGH` (default
    /// 10000..100000): the revenue score is the probability that an
    /// account's revenue is in it.
    #[arg(long, value_name = "LOW..HIGH", value_parser = revenue_range)]
    pub(crate) revenue_range: Option<RevenueRange>,
    /// Model file to write.
    #[arg(long, value_name = "MODEL")]
    pub(crate) out: PathBuf,
    /// Format of the fit report on stdout (`csv` is not offered: the report is not a table).
    #[arg(long, default_value = "text", value_parser = text_or_json)]
    pub(crate) format: Format,
}

/// `LOW..HIGH` with `0 < LOW < HIGH`, both finite.
fn revenue_range(s: &str) -> std::result::Result<RevenueRange, String> {
    let (low, high) = s.split_once("..").ok_or_else(|| format!("`{s}` is not LOW..HIGH"))?;
    let (low, high) = (common::finite(low)?, common::finite(high)?);
    RevenueRange::new(low, high).map_err(|_| format!("`{s}`: the range needs 0 < LOW < HIGH"))
}

/// `kind=weight` with a finite weight of 0 or more.
fn weight(s: &str) -> std::result::Result<(String, f64), String> {
    common::kind_value(s, |v| {
        let w = common::finite(v)?;
        if w >= 0.0 { Ok(w) } else { Err(format!("`{v}` is below 0")) }
    })
}

/// `kind=days` with days a finite number above 0.
fn half_life(s: &str) -> std::result::Result<(String, f64), String> {
    common::kind_value(s, |v| {
        let d = common::finite(v)?;
        if d > 0.0 { Ok(d) } else { Err(format!("`{v}` is not greater than 0")) }
    })
}

fn text_or_json(s: &str) -> std::result::Result<Format, String> {
    match s {
        "text" => Ok(Format::Text),
        "json" => Ok(Format::Json),
        _ => Err(format!("`{s}`: the fit report is printed as text or json")),
    }
}

/// Checks that `column` (named by `option`) is a column of `frame`, read from `path`.
pub(crate) fn column_exists(frame: &acctscore::frame::Frame, path: &Path, option: &str, column: &str) -> Result<()> {
    if frame.column(column).is_ok() {
        return Ok(());
    }
    Err(fail(format!(
        "{}: no column `{column}` ({option}); the columns are: {}",
        path.display(),
        acctscore::core::names_in_words(frame.names())
    )))
}

/// Fits the scorer as `args` say; returns it with the fit's warnings.
///
/// # Errors
/// Unreadable files, absent columns, a fit that fails.
pub(crate) fn fit(ui: &Ui, args: &Args) -> Result<(Scorer, Vec<String>, acctscore::FitTimings)> {
    let schema = Schema::from_option(args.map.as_deref())?;
    let mapping = schema.mapping(&args.target);
    let mut params = ScorerParams::new().mapping(mapping.clone()).icp_family(args.family).keep(&args.keep);
    if let Some(p) = &args.positive {
        params = params.positive_label(p);
    }
    if !args.weights.is_empty() || !args.half_life_days.is_empty() {
        let mut engagement = EngagementParams::new();
        for (kind, w) in &args.weights {
            engagement = engagement.weight(kind.as_str(), *w);
        }
        for (kind, days) in &args.half_life_days {
            engagement = engagement.half_life_days(kind.as_str(), *days);
        }
        params = params.engagement(engagement);
    }
    if let Some(t) = args.as_of {
        params = params.as_of(t);
    }
    if let Some(r) = args.revenue_range {
        params = params.revenue_range(r);
    }
    if let Some(path) = &args.rules {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading rules file {}", path.display()))?;
        params =
            params.icp_rules(RuleSet::from_toml_str(&text).with_context(|| format!("rules file {}", path.display()))?);
    }
    let frame = ui.stage("reading the accounts", || schema.read_fit_frame(&args.accounts, &mapping))?;
    column_exists(&frame, &args.accounts, "--target", &args.target)?;
    for k in &args.keep {
        column_exists(&frame, &args.accounts, "--keep", k)?;
    }
    let (scorer, timings) = ui
        .stage("fitting every model", || params.fit_timed(&frame))
        .with_context(|| format!("fitting on {}", args.accounts.display()))?;
    if let Some(events) = &args.events {
        common::read_engagement(ui, &scorer, &frame, events, None, &schema.event_options()?)?;
    }
    let warnings: Vec<String> = scorer.icp().warnings().iter().map(ToString::to_string).collect();
    Ok((scorer, warnings, timings))
}

/// The fit report as text: rows, the family and why, then the report.
pub(crate) fn report_text(scorer: &Scorer, warnings: &[String]) -> String {
    let m = scorer.metrics();
    let mut o = format!(
        "fitted on {} rows: {} labelled ({} positive){}\nICP model: {}\n",
        m.rows,
        m.labelled_rows,
        m.positives,
        if m.unlabelled_rows > 0 {
            format!(", {} without a label left out of the ICP fit", m.unlabelled_rows)
        } else {
            String::new()
        },
        scorer.icp().choice()
    );
    let left_out: Vec<&str> = scorer.fit_report().left_out().collect();
    o.push_str(&format!(
        "columns left out by the quality gate: {}\n",
        if left_out.is_empty() { "none".to_string() } else { left_out.join(", ") }
    ));
    o.push_str(&scorer.fit_report().to_string());
    o.push('\n');
    let range = scorer.revenue_range();
    o.push_str(&format!(
        "preferred monthly revenue: {}..{} USD (the revenue score is P(revenue in it); --revenue-range)\n",
        range.low(),
        range.high()
    ));
    let inputs = scorer.icp().input_columns();
    o.push_str(&format!("ICP inputs ({}): {}\n", inputs.len(), inputs.join(", ")));
    for w in warnings {
        o.push_str(&format!("warning: {w}\n"));
    }
    o
}

/// Runs `fit`.
///
/// # Errors
/// As [`fit`], and a model file that cannot be written.
pub(crate) fn run(ui: &Ui, args: Args) -> Result<()> {
    let (scorer, warnings, timings) = fit(ui, &args)?;
    ui.stage("writing the model file", || scorer.save(&args.out))
        .with_context(|| format!("writing {}", args.out.display()))?;
    ui.detail(format_args!(
        "fit stages: quality gate {:.2} s, ICP {:.2} s, anomaly {:.2} s, revenue {:.2} s, tiers {:.2} s",
        timings.quality_gate, timings.icp, timings.anomaly, timings.revenue, timings.tiers
    ));
    let text = match args.format {
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({
                "model": args.out.display().to_string(),
                "metrics": scorer.metrics(),
                "choice": scorer.icp().choice(),
                "report": scorer.fit_report(),
                "icp_inputs": scorer.icp().input_columns(),
                "revenue_range": { "low": scorer.revenue_range().low(), "high": scorer.revenue_range().high() },
                "warnings": warnings,
            }))?
        ),
        _ => format!("{}wrote {}\n", report_text(&scorer, &warnings), args.out.display()),
    };
    common::to_stdout(|out| Ok(out.write_all(text.as_bytes())?))
}
