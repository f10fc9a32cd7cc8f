//! `acctscore evaluate FILE --target COL --score-col COL`: a score column
//! against the outcomes — ranking (ROC AUC, average precision, lift and
//! gains by decile), probabilities (log loss, Brier, calibration error,
//! reliability), the go-to-market view at a threshold (the share of
//! qualified accounts that converted, the share of conversions that were
//! qualified), thresholds for a precision, a recall or a capacity, and with
//! `--baseline-col` drift against an earlier scoring (PSI, tier migration).
//!
//! Rows whose label is in `--ignore` are left out (open deals are not
//! negatives); every other present label is positive when it equals
//! `--positive` (as text ignoring case, or as the same number). Rows with a
//! missing label or score are left out with a named warning. Log loss,
//! Brier and calibration need scores in `[0, 1]`; otherwise they are n/a.
//!
//! `--format text` (default) prints the report; `json` one object with every
//! number and curve; `csv` the gains table (one row per decile).

use crate::common::{self, BoxError, Context, Format, Result, Ui, fail, finite, usage};
use acctscore::calibration::metrics::{self, BinStrategy};
use acctscore::calibration::monitor::{PsiParams, Tiers, tier_migration};
use acctscore::frame::{Column, ColumnKind, Frame};
use serde_json::{Value, json};
use std::path::PathBuf;

/// Options of `evaluate`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// CSV file holding the label and score columns (e.g. `score --carry` output).
    pub(crate) file: PathBuf,
    /// Label column.
    #[arg(long, value_name = "COL")]
    pub(crate) target: String,
    /// Score column (higher = more likely positive).
    #[arg(long, value_name = "COL")]
    pub(crate) score_col: String,
    /// Label value that counts as positive.
    #[arg(long, value_name = "V", default_value = "1")]
    pub(crate) positive: String,
    /// Label values whose rows are left out, comma-separated.
    #[arg(long, value_name = "V1,V2", value_delimiter = ',')]
    pub(crate) ignore: Vec<String>,
    /// A baseline score column (an earlier scoring) for drift: PSI and tier migration.
    #[arg(long, value_name = "COL")]
    pub(crate) baseline_col: Option<String>,
    /// Threshold of the qualified view (qualified: score >= it).
    #[arg(long, default_value_t = 0.5, value_parser = finite)]
    pub(crate) threshold: f64,
    /// Precision the chosen threshold must reach.
    #[arg(long, default_value_t = 0.5, value_parser = probability)]
    pub(crate) target_precision: f64,
    /// Recall the chosen threshold must reach.
    #[arg(long, default_value_t = 0.8, value_parser = probability)]
    pub(crate) target_recall: f64,
    /// Accounts the team can work (default: a tenth of the rows, rounded up).
    #[arg(long, value_parser = common::count)]
    pub(crate) capacity: Option<usize>,
    /// Tier cuts for the migration matrix, comma-separated and increasing.
    #[arg(long, value_name = "C1,C2", value_delimiter = ',', default_values_t = vec![0.3, 0.7], value_parser = finite)]
    pub(crate) tiers: Vec<f64>,
    /// Most points per curve in the JSON output (thinned evenly).
    #[arg(long, default_value_t = 101, value_parser = |s: &str| common::count_in(s, common::MAX_COUNT).and_then(|n| if n >= 2 { Ok(n) } else { Err("must be at least 2".to_string()) }))]
    pub(crate) curve_points: usize,
    /// Mapping file: only its `[csv]` section is used here (delimiter, missing tokens, ...).
    #[arg(long, value_name = "FILE")]
    pub(crate) map: Option<PathBuf>,
    /// Field delimiter: one ASCII character, `\t` for tab (default: the
    /// mapping file's, else detected).
    #[arg(long, value_name = "CHAR", value_parser = common::delimiter)]
    pub(crate) delimiter: Option<u8>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: Format,
}

fn probability(s: &str) -> std::result::Result<f64, String> {
    let v = finite(s)?;
    if (0.0..=1.0).contains(&v) { Ok(v) } else { Err(format!("`{s}` is not in [0, 1]")) }
}

/// Whether a label equals an expected value: same text ignoring case, or the same number.
fn label_matches(label: &str, expected: &str) -> bool {
    if label.eq_ignore_ascii_case(expected) {
        return true;
    }
    match (label.parse::<f64>(), expected.parse::<f64>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The column's values as text (`None` = missing).
fn text_values(frame: &Frame, name: &str) -> Result<Vec<Option<String>>> {
    let col = frame.column(name)?;
    let n = col.len();
    Ok(match col {
        Column::Categorical(c) => (0..n).map(|i| c.get(i).map(str::to_string)).collect(),
        Column::Text(v) => v.clone().into(),
        Column::Numeric(v) => v.iter().map(|x| x.map(|x| x.to_string())).collect(),
        Column::Boolean(v) => v.iter().map(|x| x.map(|x| x.to_string())).collect(),
        Column::Timestamp(v) => v.iter().map(|x| x.map(|x| x.to_string())).collect(),
        _ => return Err(fail(format!("column `{name}` has an unsupported kind"))),
    })
}

fn numeric_values(frame: &Frame, name: &str) -> Result<Vec<Option<f64>>> {
    match frame.column(name)? {
        Column::Numeric(v) => Ok(v.iter().collect()),
        other => Err(fail(format!("column `{name}` must be numeric, it is {:?}", other.kind()))),
    }
}

/// Evenly spaced indices into a curve of `len` points, ends included.
fn thin(len: usize, max_points: usize) -> Vec<usize> {
    if len <= max_points || max_points < 2 {
        return (0..len).collect();
    }
    let mut idx: Vec<usize> = (0..max_points).map(|i| i * (len - 1) / (max_points - 1)).collect();
    idx.dedup();
    idx
}

fn pick(v: &[f64], idx: &[usize]) -> Vec<Value> {
    idx.iter().map(|&i| if v[i].is_finite() { json!(v[i]) } else { Value::Null }).collect()
}

/// `Ok(v)` as a number; an error as `null` with a warning on stderr.
fn or_null(ui: &Ui, what: &str, r: acctscore::calibration::Result<Value>) -> Value {
    match r {
        Ok(v) => v,
        Err(e) => {
            ui.warn(format_args!("{what}: {e}"));
            Value::Null
        }
    }
}

/// Runs `evaluate`.
///
/// # Errors
/// An unreadable file, absent columns, a score column that is not numeric,
/// labels of a single class.
pub(crate) fn run(ui: &Ui, args: Args) -> Result<()> {
    let args = &args;
    let base = common::table_options(args.map.as_deref(), args.delimiter)?;
    let mut opts =
        base.kind(args.target.clone(), ColumnKind::Categorical).kind(args.score_col.clone(), ColumnKind::Numeric);
    if let Some(b) = &args.baseline_col {
        opts = opts.kind(b.clone(), ColumnKind::Numeric);
    }
    let frame = ui
        .stage("reading the file", || Frame::from_csv_path(&args.file, &opts))
        .with_context(|| args.file.display())?;
    for (option, column) in [
        ("--target", Some(&args.target)),
        ("--score-col", Some(&args.score_col)),
        ("--baseline-col", args.baseline_col.as_ref()),
    ] {
        if let Some(column) = column {
            crate::cmd::fit::column_exists(&frame, &args.file, option, column)?;
        }
    }
    let labels_raw = text_values(&frame, &args.target)?;
    let scores_raw = numeric_values(&frame, &args.score_col)?;
    let baseline_raw = match &args.baseline_col {
        Some(b) => Some(numeric_values(&frame, b)?),
        None => None,
    };

    let (mut scores, mut labels, mut baseline) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ignored, mut missing_label, mut missing_score) = (0usize, 0usize, 0usize);
    for i in 0..frame.nrows() {
        let Some(label) = labels_raw[i].as_deref() else {
            missing_label += 1;
            continue;
        };
        if args.ignore.iter().any(|v| label_matches(label, v.trim())) {
            ignored += 1;
            continue;
        }
        let base = baseline_raw.as_ref().map(|b| b[i]);
        match (scores_raw[i], base) {
            (Some(s), None) => scores.push(s),
            (Some(s), Some(Some(b))) => {
                scores.push(s);
                baseline.push(b);
            }
            _ => {
                missing_score += 1;
                continue;
            }
        }
        labels.push(label_matches(label, &args.positive));
    }
    if missing_label > 0 {
        ui.warn(format_args!("{}: left out {missing_label} rows with a missing label", args.file.display()));
    }
    if missing_score > 0 {
        ui.warn(format_args!("{}: left out {missing_score} rows with a missing score", args.file.display()));
    }
    if scores.is_empty() {
        return Err(fail(format!("{}: no rows left to evaluate", args.file.display())));
    }
    let n = scores.len();
    let positives = labels.iter().filter(|&&l| l).count();
    if positives == 0 || positives == n {
        return Err(fail(format!(
            "{}: column `{}` holds a single class ({positives} positives of {n} rows; is --positive `{}` right?)",
            args.file.display(),
            args.target,
            args.positive
        )));
    }

    let e = |r: acctscore::calibration::Result<f64>| r.map_err(BoxError::from);
    let auc = e(metrics::roc_auc(&scores, &labels))?;
    let pr_auc = e(metrics::average_precision(&scores, &labels))?;
    let lift_top_decile = e(metrics::lift_top_decile(&scores, &labels))?;
    let are_probabilities = scores.iter().all(|s| (0.0..=1.0).contains(s));
    if !are_probabilities {
        ui.warn(format_args!(
            "column `{}` is not all within [0, 1]; log loss, Brier and calibration error are n/a",
            args.score_col
        ));
    }
    let prob = |f: &dyn Fn() -> acctscore::calibration::Result<Value>| -> Value {
        if are_probabilities { f().unwrap_or(Value::Null) } else { Value::Null }
    };
    let log_loss = prob(&|| metrics::log_loss(&scores, &labels).map(|v| json!(v)));
    let brier = prob(&|| metrics::brier_score(&scores, &labels).map(|v| json!(v)));
    let uniform = prob(&|| metrics::calibration_errors(&scores, &labels, 10, BinStrategy::Uniform).map(|v| json!(v)));
    let quantile = prob(&|| metrics::calibration_errors(&scores, &labels, 10, BinStrategy::Quantile).map(|v| json!(v)));
    let reliability =
        prob(&|| metrics::reliability_curve(&scores, &labels, 10, BinStrategy::Uniform).map(|v| json!(v)));

    let roc = metrics::roc_curve(&scores, &labels)?;
    let pr = metrics::pr_curve(&scores, &labels)?;
    let roc_idx = thin(roc.fpr.len(), args.curve_points);
    let pr_idx = thin(pr.precision.len(), args.curve_points);
    let gains = metrics::gains_table(&scores, &labels, 10.min(n))?;

    let confusion = metrics::confusion_at(&scores, &labels, args.threshold)?;
    let capacity = args.capacity.unwrap_or(n.div_ceil(10));
    let at_precision = or_null(
        ui,
        "threshold for target precision",
        metrics::threshold_for_precision(&scores, &labels, args.target_precision).map(|c| json!(c)),
    );
    let at_recall = or_null(
        ui,
        "threshold for target recall",
        metrics::threshold_for_recall(&scores, &labels, args.target_recall).map(|c| json!(c)),
    );
    let at_capacity =
        or_null(ui, "threshold for capacity", metrics::threshold_for_capacity(&scores, capacity).map(|c| json!(c)));

    let drift = match &args.baseline_col {
        None => Value::Null,
        Some(_) => {
            let tiers = Tiers::new(args.tiers.clone()).map_err(|e| usage(format!("--tiers: {e}")))?;
            let psi = PsiParams::new().compute(&baseline, &scores)?;
            let m = tier_migration(&tiers, &baseline, &scores)?;
            json!({
                "psi": psi.psi,
                "psi_bins": psi,
                "tier_cuts": tiers.cuts(),
                "tier_migration": m.counts(),
                "stayed": m.stayed(),
                "upgraded": m.upgraded(),
                "downgraded": m.downgraded(),
            })
        }
    };

    let report = json!({
        "file": args.file.display().to_string(),
        "rows": n,
        "positives": positives,
        "ignored_rows": ignored,
        "base_rate": positives as f64 / n as f64,
        "auc": auc,
        "pr_auc": pr_auc,
        "log_loss": log_loss,
        "brier": brier,
        "ece": uniform.get("ece").cloned().unwrap_or(Value::Null),
        "mce": uniform.get("mce").cloned().unwrap_or(Value::Null),
        "ece_quantile": quantile.get("ece").cloned().unwrap_or(Value::Null),
        "mce_quantile": quantile.get("mce").cloned().unwrap_or(Value::Null),
        "lift_top_decile": lift_top_decile,
        "threshold": {
            "threshold": args.threshold,
            "qualified": confusion.qualified(),
            "true_positives": confusion.true_positives,
            "false_positives": confusion.false_positives,
            "true_negatives": confusion.true_negatives,
            "false_negatives": confusion.false_negatives,
            "precision": confusion.precision(),
            "recall": confusion.recall(),
            "f1": confusion.f1(),
            "qualified_conversion_rate": confusion.qualified_conversion_rate(),
            "conversion_coverage": confusion.conversion_coverage(),
        },
        "threshold_for_precision": { "target": args.target_precision, "choice": at_precision },
        "threshold_for_recall": { "target": args.target_recall, "choice": at_recall },
        "threshold_for_capacity": { "capacity": capacity, "choice": at_capacity },
        "drift": drift,
        "gains": gains,
        "reliability": reliability,
        "roc_curve": {
            "fpr": pick(&roc.fpr, &roc_idx),
            "tpr": pick(&roc.tpr, &roc_idx),
            "threshold": pick(&roc.thresholds, &roc_idx),
        },
        "pr_curve": {
            "precision": pick(&pr.precision, &pr_idx),
            "recall": pick(&pr.recall, &pr_idx),
            "threshold": pr_idx.iter().map(|&i| pr.thresholds.get(i).map_or(Value::Null, |t| json!(t))).collect::<Vec<_>>(),
        },
    });

    match args.format {
        Format::Json => common::to_stdout(|out| Ok(writeln!(out, "{report}")?)),
        Format::Text => common::to_stdout(|out| Ok(out.write_all(render_text(&report).as_bytes())?)),
        Format::Csv => common::to_stdout(|out| {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(["group", "rows", "positives", "rate", "lift", "cumulative_gain", "cumulative_lift"])?;
            for g in report["gains"].as_array().into_iter().flatten() {
                let field = |k: &str| match &g[k] {
                    Value::Null => String::new(),
                    v => v.to_string(),
                };
                w.write_record(
                    ["group", "rows", "positives", "rate", "lift", "cumulative_gain", "cumulative_lift"].map(field),
                )?;
            }
            w.flush()?;
            Ok(())
        }),
    }
}

fn fmt(v: &Value) -> String {
    match v {
        Value::Number(x) => x.as_f64().map_or_else(|| x.to_string(), |f| format!("{f:.4}")),
        Value::Null => "n/a".into(),
        other => other.to_string(),
    }
}

fn render_text(r: &Value) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}: {} rows, {} positive (base rate {}), {} ignored",
        r["file"].as_str().unwrap_or(""),
        r["rows"],
        r["positives"],
        fmt(&r["base_rate"]),
        r["ignored_rows"]
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "ranking      ROC AUC {}   average precision (PR AUC) {}   lift in top decile {}",
        fmt(&r["auc"]),
        fmt(&r["pr_auc"]),
        fmt(&r["lift_top_decile"])
    );
    let _ = writeln!(o, "probability  log loss {}   Brier {}", fmt(&r["log_loss"]), fmt(&r["brier"]));
    let _ = writeln!(
        o,
        "calibration  ECE {} / MCE {} (10 uniform bins)   ECE {} / MCE {} (10 quantile bins)",
        fmt(&r["ece"]),
        fmt(&r["mce"]),
        fmt(&r["ece_quantile"]),
        fmt(&r["mce_quantile"])
    );
    let t = &r["threshold"];
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "at threshold {}: {} qualified; precision {}, recall {}, F1 {}",
        fmt(&t["threshold"]),
        t["qualified"],
        fmt(&t["precision"]),
        fmt(&t["recall"]),
        fmt(&t["f1"])
    );
    let _ = writeln!(o, "  share of qualified accounts that converted: {}", fmt(&t["qualified_conversion_rate"]));
    let _ = writeln!(o, "  share of conversions that were qualified:   {}", fmt(&t["conversion_coverage"]));
    for (key, what) in [("threshold_for_precision", "precision"), ("threshold_for_recall", "recall")] {
        let c = &r[key]["choice"];
        if c.is_null() {
            let _ = writeln!(o, "no threshold reaches {what} {}", fmt(&r[key]["target"]));
        } else {
            let _ = writeln!(
                o,
                "for {what} >= {}: threshold {} qualifies {} (precision {}, recall {})",
                fmt(&r[key]["target"]),
                fmt(&c["threshold"]),
                c["qualified"],
                fmt(&c["precision"]),
                fmt(&c["recall"])
            );
        }
    }
    let c = &r["threshold_for_capacity"]["choice"];
    let _ = writeln!(
        o,
        "for a capacity of {}: threshold {} qualifies {}",
        r["threshold_for_capacity"]["capacity"],
        fmt(&c["threshold"]),
        c["qualified"]
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "group   rows  positives   rate    lift  cum. gain  cum. lift");
    for g in r["gains"].as_array().into_iter().flatten() {
        let _ = writeln!(
            o,
            "{:>5} {:>5} {:>10.1} {:>6.3} {:>7.3} {:>10.3} {:>10.3}",
            g["group"].as_u64().unwrap_or(0),
            g["rows"].as_u64().unwrap_or(0),
            g["positives"].as_f64().unwrap_or(0.0),
            g["rate"].as_f64().unwrap_or(0.0),
            g["lift"].as_f64().unwrap_or(0.0),
            g["cumulative_gain"].as_f64().unwrap_or(0.0),
            g["cumulative_lift"].as_f64().unwrap_or(0.0)
        );
    }
    if let Some(points) = r["reliability"].as_array() {
        let _ = writeln!(o);
        let _ = writeln!(o, "reliability (10 uniform bins): mean predicted -> observed (rows)");
        for p in points {
            let _ = writeln!(o, "  {} -> {} ({})", fmt(&p["mean_predicted"]), fmt(&p["fraction_positive"]), p["count"]);
        }
    }
    if !r["drift"].is_null() {
        let d = &r["drift"];
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "drift vs baseline: PSI {}; tiers {}: {} stayed, {} up, {} down",
            fmt(&d["psi"]),
            d["tier_cuts"],
            d["stayed"],
            d["upgraded"],
            d["downgraded"]
        );
        let _ = writeln!(o, "  migration (rows: baseline tier, columns: current tier): {}", d["tier_migration"]);
    }
    o
}
