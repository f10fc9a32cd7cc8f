//! Evaluate a score column against a label column: ranking quality (ROC AUC,
//! average precision), probability quality (log loss, Brier, calibration
//! error), lift and gains by decile, the threshold view a go-to-market team
//! works with, and optionally drift against a baseline score column.
//!
//! ```sh
//! cargo run --release --example evaluate -- scored.csv --target converted --score-col p \
//!     [--positive 1] [--ignore open,unknown] [--delimiter ';'] [--json]
//! ```
//!
//! Also: `--threshold T` (default 0.5) for precision / recall / F1 and the
//! two go-to-market shares, `--target-precision`, `--target-recall` and
//! `--capacity N` for threshold choice, and `--baseline-col COL` (with
//! `--tiers 0.3,0.7`) for drift against an earlier scoring: population
//! stability index and tier-migration matrix.
//!
//! Rows whose label is in `--ignore` are left out (open deals are not
//! negatives); every other present label is positive when it equals
//! `--positive` (as text, case-insensitively, or as the same number) and
//! negative otherwise. Rows with a missing label or score are left out with
//! a warning on stderr. Log loss, Brier and calibration error need scores
//! that are probabilities; for raw scores outside `[0, 1]` they are `null`.
//!
//! With `--json`, stdout holds one JSON object: the numbers `auc`, `pr_auc`
//! (average precision, as scikit-learn's `average_precision_score`),
//! `log_loss`, `brier`, `ece` (10 uniform bins, weighted by count), `mce`,
//! `lift_top_decile`, … and the curves (`roc_curve`, `pr_curve`,
//! `reliability`, `gains`) as arrays.

use acctscore_calibration::metrics::{self, BinStrategy};
use acctscore_calibration::monitor::{PsiParams, Tiers, tier_migration};
use acctscore_frame::csv::CsvOptions;
use acctscore_frame::{Column, ColumnKind, Frame};
#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::ExitCode;

/// Evaluate a score column against a label column (AUC, average precision,
/// log loss, Brier, calibration error, lift, thresholds).
#[derive(Parser, Debug)]
#[command(version, about)]
pub(crate) struct Args {
    /// CSV file holding the label and score columns.
    file: PathBuf,
    /// Label column.
    #[arg(long, value_name = "COL")]
    target: String,
    /// Score column (higher = more likely positive).
    #[arg(long, value_name = "COL")]
    score_col: String,
    /// Label value that counts as positive.
    #[arg(long, value_name = "VALUE", default_value = "1")]
    positive: String,
    /// Label values whose rows are left out, comma-separated.
    #[arg(long, value_name = "V1,V2", value_delimiter = ',')]
    ignore: Vec<String>,
    /// Field delimiter (one byte), instead of detection.
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// Threshold for the precision / recall / F1 view (qualified: score >= it).
    #[arg(long, default_value_t = 0.5, value_parser = common::finite)]
    threshold: f64,
    /// Precision the chosen threshold must reach.
    #[arg(long, default_value_t = 0.5, value_parser = common::probability)]
    target_precision: f64,
    /// Recall the chosen threshold must reach.
    #[arg(long, default_value_t = 0.8, value_parser = common::probability)]
    target_recall: f64,
    /// Accounts the team can work (default: a tenth of the rows, rounded up).
    #[arg(long, value_parser = common::count)]
    capacity: Option<usize>,
    /// A baseline score column (an earlier scoring) for drift: PSI and tier migration.
    #[arg(long, value_name = "COL")]
    baseline_col: Option<String>,
    /// Tier cuts for the migration matrix, comma-separated and increasing.
    #[arg(long, value_name = "C1,C2", value_delimiter = ',', default_values_t = vec![0.3, 0.7], value_parser = common::finite)]
    tiers: Vec<f64>,
    /// Most points per curve in the output (curves are thinned evenly).
    #[arg(long, default_value_t = 101, value_parser = |s: &str| common::count_in(s, 2, common::MAX_COUNT))]
    curve_points: usize,
    /// Print one JSON object on stdout and nothing else there.
    #[arg(long)]
    json: bool,
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    let unescaped = if s == "\\t" || s == "tab" { "\t" } else { s };
    match unescaped.as_bytes() {
        [b] => Ok(*b),
        _ => Err(format!("delimiter must be one byte, got {s:?}")),
    }
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
fn text_values(frame: &Frame, name: &str) -> Result<Vec<Option<String>>, String> {
    let col = frame.column(name).map_err(|e| e.to_string())?;
    let n = col.len();
    Ok(match col {
        Column::Categorical(c) => (0..n).map(|i| c.get(i).map(str::to_string)).collect(),
        Column::Text(v) => v.clone().into(),
        Column::Numeric(v) => v.iter().map(|x| x.map(|x| x.to_string())).collect(),
        Column::Boolean(v) => v.iter().map(|x| x.map(|x| x.to_string())).collect(),
        Column::Timestamp(v) => v.iter().map(|x| x.map(|x| x.to_string())).collect(),
        _ => return Err(format!("column {name:?} has an unsupported kind")),
    })
}

fn numeric_values(frame: &Frame, name: &str) -> Result<Vec<Option<f64>>, String> {
    match frame.column(name).map_err(|e| e.to_string())? {
        Column::Numeric(v) => Ok(v.iter().collect()),
        other => Err(format!("column {name:?} must be numeric, it is {:?}", other.kind())),
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
fn or_null(what: &str, r: acctscore_calibration::Result<Value>) -> Value {
    match r {
        Ok(v) => v,
        Err(e) => {
            eprintln!("evaluate: warning: {what}: {e}");
            Value::Null
        }
    }
}

pub(crate) fn run(args: &Args) -> Result<(), String> {
    if args.curve_points < 2 {
        return Err("--curve-points must be at least 2".into());
    }
    let mut opts = CsvOptions::new()
        .kind(args.target.clone(), ColumnKind::Categorical)
        .kind(args.score_col.clone(), ColumnKind::Numeric);
    if let Some(b) = &args.baseline_col {
        opts = opts.kind(b.clone(), ColumnKind::Numeric);
    }
    if let Some(d) = args.delimiter {
        opts = opts.delimiter(d);
    }
    let frame = Frame::from_csv_path(&args.file, &opts).map_err(|e| format!("{}: {e}", args.file.display()))?;
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
        eprintln!("evaluate: warning: left out {missing_label} rows with a missing label");
    }
    if missing_score > 0 {
        eprintln!("evaluate: warning: left out {missing_score} rows with a missing score");
    }
    if scores.is_empty() {
        return Err("no rows left to evaluate".into());
    }
    let n = scores.len();
    let positives = labels.iter().filter(|&&l| l).count();
    if positives == 0 || positives == n {
        return Err(format!(
            "labels hold a single class ({positives} positives of {n} rows; is --positive {:?} right?)",
            args.positive
        ));
    }

    let e = |r: acctscore_calibration::Result<f64>| r.map_err(|e| e.to_string());
    let auc = e(metrics::roc_auc(&scores, &labels))?;
    let pr_auc = e(metrics::average_precision(&scores, &labels))?;
    let lift_top_decile = e(metrics::lift_top_decile(&scores, &labels))?;
    let are_probabilities = scores.iter().all(|s| (0.0..=1.0).contains(s));
    if !are_probabilities {
        eprintln!(
            "evaluate: warning: scores are not all within [0, 1]; log loss, Brier and calibration error are null"
        );
    }
    let prob = |f: &dyn Fn() -> acctscore_calibration::Result<Value>| -> Value {
        if are_probabilities { f().unwrap_or(Value::Null) } else { Value::Null }
    };
    let log_loss = prob(&|| metrics::log_loss(&scores, &labels).map(|v| json!(v)));
    let brier = prob(&|| metrics::brier_score(&scores, &labels).map(|v| json!(v)));
    let uniform = prob(&|| metrics::calibration_errors(&scores, &labels, 10, BinStrategy::Uniform).map(|v| json!(v)));
    let quantile = prob(&|| metrics::calibration_errors(&scores, &labels, 10, BinStrategy::Quantile).map(|v| json!(v)));
    let reliability =
        prob(&|| metrics::reliability_curve(&scores, &labels, 10, BinStrategy::Uniform).map(|v| json!(v)));

    let roc = metrics::roc_curve(&scores, &labels).map_err(|e| e.to_string())?;
    let pr = metrics::pr_curve(&scores, &labels).map_err(|e| e.to_string())?;
    let roc_idx = thin(roc.fpr.len(), args.curve_points);
    let pr_idx = thin(pr.precision.len(), args.curve_points);
    let gains = metrics::gains_table(&scores, &labels, 10.min(n)).map_err(|e| e.to_string())?;

    let confusion = metrics::confusion_at(&scores, &labels, args.threshold).map_err(|e| e.to_string())?;
    let capacity = args.capacity.unwrap_or(n.div_ceil(10));
    let at_precision = or_null(
        "threshold for target precision",
        metrics::threshold_for_precision(&scores, &labels, args.target_precision).map(|c| json!(c)),
    );
    let at_recall = or_null(
        "threshold for target recall",
        metrics::threshold_for_recall(&scores, &labels, args.target_recall).map(|c| json!(c)),
    );
    let at_capacity =
        or_null("threshold for capacity", metrics::threshold_for_capacity(&scores, capacity).map(|c| json!(c)));

    let drift = match &args.baseline_col {
        None => Value::Null,
        Some(_) => {
            let tiers = Tiers::new(args.tiers.clone()).map_err(|e| format!("--tiers: {e}"))?;
            let psi = PsiParams::new().compute(&baseline, &scores).map_err(|e| e.to_string())?;
            let m = tier_migration(&tiers, &baseline, &scores).map_err(|e| e.to_string())?;
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

    let text = if args.json { format!("{report}\n") } else { render_text(&report) };
    common::to_stdout(|out| Ok(out.write_all(text.as_bytes())?)).map_err(|e| format!("writing the report: {e}"))
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

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = common::to_stdout(|out| Ok(write!(out, "{e}")?));
                return ExitCode::SUCCESS;
            }
            // One line: the error and its details, without the usage block.
            let text = e.to_string();
            let line: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:"))
                .filter(|l| !l.is_empty() && !l.starts_with("tip:") && !l.starts_with("For more information"))
                .collect();
            eprintln!("evaluate: {}", line.join(" ").trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("evaluate: {e}");
            ExitCode::FAILURE
        }
    }
}
