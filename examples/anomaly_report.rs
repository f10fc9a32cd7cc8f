//! Anomaly report: check every account of a pool file and write, in input
//! order, `account_id,penalty,checks` (check codes joined by `;`, empty
//! when the data looks trustworthy).
//!
//! ```sh
//! cargo run --release --example anomaly_report -- accounts.csv --out flags.csv
//! ```
//!
//! The segment model (median/MAD of log revenue per employee within
//! industry × size band) is fitted on the file itself unless `--segments`
//! names a model saved with `--save-segments`. Missing revenue is missing
//! data, not an anomaly: such accounts get no check and no penalty.

use acctscore::anomaly::{AnomalyParams, SegmentModel, SegmentParams};
use acctscore::core::Timestamp;
use acctscore::pool::{AccountRecord, read_accounts_path};
#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Flag implausible account data (revenue per employee, ×1000 unit errors,
/// negative revenue, impossible traffic growth, ...) with a penalty.
#[derive(Parser, Debug)]
#[command(version, about)]
pub(crate) struct Args {
    /// Pool file (`accounts.csv` schema).
    accounts: PathBuf,
    /// Write `account_id,penalty,checks` here (default: stdout).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Read a fitted segment model (JSON) instead of fitting on the input.
    #[arg(long)]
    segments: Option<PathBuf>,
    /// Save the fitted segment model (JSON) here.
    #[arg(long)]
    save_segments: Option<PathBuf>,
    /// Reference time (Unix seconds) for "founded in the future" (default: now).
    #[arg(long)]
    as_of: Option<i64>,
    /// Print a JSON summary (counts per check) on stdout instead of progress lines on stderr.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &Args) -> Result<(), common::BoxError> {
    let t0 = Instant::now();
    let rows = read_accounts_path(&args.accounts)?;
    eprintln!("read {} accounts in {:.2} s", rows.len(), t0.elapsed().as_secs_f64());
    let as_of = match args.as_of {
        Some(s) => s,
        None => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64,
    };
    let t1 = Instant::now();
    let segments = match &args.segments {
        Some(p) => SegmentModel::from_json(&std::fs::read_to_string(p)?)?,
        None => SegmentParams::new().fit(rows.iter().map(AccountRecord::anomaly_inputs))?,
    };
    if let Some(p) = &args.save_segments {
        let json = segments.to_json()?;
        acctscore::core::write_atomic(p, |w| w.write_all(json.as_bytes()))?;
    }
    let checker = AnomalyParams::new(Timestamp::from_unix_seconds(as_of)).with_segments(segments).fit()?;
    let reports: Vec<_> = rows.par_iter().map(|r| checker.check(&r.anomaly_inputs())).collect();
    eprintln!("fitted segments and checked in {:.2} s", t1.elapsed().as_secs_f64());

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut flagged = 0usize;
    for rep in &reports {
        flagged += usize::from(!rep.is_clean());
        for f in &rep.findings {
            *counts.entry(f.code.as_str()).or_default() += 1;
        }
    }
    common::to_file_or_stdout(args.out.as_deref(), |sink| {
        let mut out = csv::Writer::from_writer(sink);
        out.write_record(["account_id", "penalty", "checks"])?;
        for (r, rep) in rows.iter().zip(&reports) {
            out.write_record([r.account_id.as_str(), &rep.penalty.to_string(), &rep.codes_joined(";")])?;
        }
        out.flush()?;
        Ok(())
    })?;
    let missing_revenue =
        reports.iter().filter(|r| r.missing.contains(acctscore::anomaly::MissingInput::Revenue)).count();
    if args.json {
        let summary = serde_json::json!({
            "accounts": rows.len(),
            "flagged": flagged,
            "missing_revenue": missing_revenue,
            "checks": counts,
            "seconds": t0.elapsed().as_secs_f64(),
        });
        common::to_stdout(|out| Ok(writeln!(out, "{summary}")?))?;
    } else {
        eprintln!(
            "{flagged} of {} accounts flagged; {missing_revenue} with missing revenue (not penalised)",
            rows.len()
        );
        for (code, n) in &counts {
            eprintln!("  {code}: {n}");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("anomaly_report: {e}");
            ExitCode::FAILURE
        }
    }
}
