//! Engagement per account: the decayed sum `weight · 2^(−age / half-life)`
//! over each account's activities at or before `--now`, written as
//! `account_id,engagement` sorted by `account_id` at full round-trip precision.
//!
//! ```sh
//! cargo run --release --example engagement -- --events events.csv [--accounts accounts.csv] \
//!     --now 1767225600 --half-life-days email=14,call=30,meeting=60 \
//!     --weights email=1,call=3,meeting=10 --out scores.csv
//! ```
//!
//! With `--accounts`, every account of that file appears (0 when it has no
//! activity; a repeated id once) and activities of accounts not in it are
//! counted on stderr and left out. Files are read by the pool's readers and
//! account ids interned in parallel into dense indices for the batch
//! aggregation. Activities after `--now` are left out and counted. A kind with
//! neither a weight nor a half-life is an error naming it. Progress goes to
//! stderr; a bad argument or file exits non-zero with a one-line reason.

use acctscore::core::Timestamp;
use acctscore::engagement::{EngagementModel, EngagementParams};
use acctscore::pool::{
    DuplicateIds, EventOptions, PoolError, read_accounts_frame, read_touches_discovering, read_touches_path_with,
};
#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use rayon::prelude::*;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Decayed sales engagement per account from an activity log.
#[derive(Parser, Debug)]
#[command(version, about)]
pub(crate) struct Args {
    /// Activity log (`account_id,kind,timestamp[,rep_id]`).
    #[arg(long)]
    events: PathBuf,
    /// Account pool (`accounts.csv` schema): report exactly its accounts.
    #[arg(long)]
    accounts: Option<PathBuf>,
    /// Score time, Unix seconds; later activities are left out.
    #[arg(long)]
    now: i64,
    /// Half-life in days per kind, `kind=days,...` (defaults: email=14,call=30,meeting=60;
    /// a kind named only here gets weight 1).
    #[arg(long, value_delimiter = ',', value_parser = parse_half_life)]
    half_life_days: Vec<(String, f64)>,
    /// Weight per kind, `kind=weight,...` (defaults: email=1,call=3,meeting=10;
    /// a kind named only here gets a 30-day half-life).
    #[arg(long, value_delimiter = ',', value_parser = parse_weight)]
    weights: Vec<(String, f64)>,
    /// Write `account_id,engagement` here (default: stdout).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `kind=days` with days a finite number above 0.
fn parse_half_life(s: &str) -> Result<(String, f64), String> {
    parse_pair(s, common::positive)
}

/// `kind=weight` with a finite weight of 0 or more.
fn parse_weight(s: &str) -> Result<(String, f64), String> {
    parse_pair(s, |v| common::finite_in(v, 0.0, f64::MAX))
}

fn parse_pair(s: &str, check: impl Fn(&str) -> Result<f64, String>) -> Result<(String, f64), String> {
    let (k, v) = s.split_once('=').ok_or_else(|| format!("`{s}` is not kind=value"))?;
    let k = k.trim();
    if k.is_empty() {
        return Err(format!("`{s}` has an empty kind"));
    }
    let v = check(v).map_err(|e| format!("`{s}`: {e}"))?;
    Ok((k.to_owned(), v))
}

/// A pool error as one line naming the file (I/O errors and the path
/// readers' errors name it already).
fn pool_error(path: &std::path::Path, e: PoolError) -> String {
    match e {
        PoolError::Io { .. } | PoolError::InFile { .. } => e.to_string(),
        other => format!("{}: {other}", path.display()),
    }
}

pub(crate) fn run(args: Args) -> Result<(), String> {
    let mut params = EngagementParams::new();
    for (kind, days) in &args.half_life_days {
        params = params.half_life_days(kind.as_str(), *days);
    }
    for (kind, w) in &args.weights {
        params = params.weight(kind.as_str(), *w);
    }
    let model = params.fit().map_err(|e| e.to_string())?;
    let now = Timestamp::from_unix_seconds(args.now);

    // With --accounts: its ids are the rows; events go straight to touches.
    if let Some(path) = &args.accounts {
        return run_listed(&args, path, &model, now);
    }
    // Without --accounts every account with an activity gets a row.
    let t = Instant::now();
    let data = std::fs::read(&args.events).map_err(|e| format!("{}: {e}", args.events.display()))?;
    let (names, log) = read_touches_discovering(&data, &model).map_err(|e| pool_error(&args.events, e))?;
    drop(data);
    eprintln!("read {} events of {} accounts in {:.2?}", log.rows, names.len(), t.elapsed());
    let n_accounts = names.len();
    let touches = log.touches;
    let unknown_accounts = 0u64;

    let t = Instant::now();
    let batch = model.aggregate(now, n_accounts, &touches).map_err(|e| e.to_string())?;
    eprintln!(
        "aggregated in {:.2?}: {} activities used, {} after --now left out, {} of accounts not in --accounts left out",
        t.elapsed(),
        batch.used(),
        batch.ignored_future(),
        unknown_accounts
    );

    let ids: Vec<&str> = names.iter().map(String::as_str).collect();
    write_scores(args.out.as_deref(), &ids, batch.scores())
}

/// Writes `account_id,engagement` sorted by id, each distinct id once (its
/// first row holds its activities), with numbers in their shortest form that
/// parses back to the same value.
fn write_scores(out: Option<&std::path::Path>, ids: &[&str], scores: &[f64]) -> Result<(), String> {
    let t = Instant::now();
    let mut keyed: Vec<(&str, u32)> = ids.iter().enumerate().map(|(i, id)| (*id, i as u32)).collect();
    keyed.par_sort_unstable_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
    keyed.dedup_by(|b, a| a.0 == b.0);
    common::to_file_or_stdout(out, |sink| {
        let mut w = csv::WriterBuilder::new().buffer_capacity(1 << 20).from_writer(sink);
        w.write_record(["account_id", "engagement"])?;
        for &(id, i) in &keyed {
            let score = scores.get(i as usize).ok_or("fewer scores than accounts")?;
            w.write_record([id, &format!("{score:?}")])?;
        }
        w.flush()?;
        Ok(())
    })
    .map_err(|e| format!("write failed: {e}"))?;
    eprintln!("wrote {} accounts in {:.2?}", keyed.len(), t.elapsed());
    Ok(())
}

/// The --accounts path: the accounts file gives the rows; the events file is
/// streamed straight into touches keyed by row (no per-event allocation).
fn run_listed(args: &Args, path: &std::path::Path, model: &EngagementModel, now: Timestamp) -> Result<(), String> {
    let t = Instant::now();
    let frame = read_accounts_frame(path).map_err(|e| pool_error(path, e))?;
    let ids = frame.column("account_id").map_err(|e| e.to_string())?;
    eprintln!("read {} accounts in {:.2?}", frame.nrows(), t.elapsed());
    let t = Instant::now();
    // A repeated id is listed once (`write_scores`), its first row holding its activities.
    let options = EventOptions::new().duplicates(DuplicateIds::First);
    let log = read_touches_path_with(&args.events, ids, model, &options).map_err(|e| pool_error(&args.events, e))?;
    let batch = model.aggregate(now, frame.nrows(), &log.touches).map_err(|e| e.to_string())?;
    eprintln!(
        "read {} events and aggregated in {:.2?}: {} activities used, {} after --now left out, {} of accounts not in --accounts left out",
        log.rows,
        t.elapsed(),
        batch.used(),
        batch.ignored_future(),
        log.unknown_accounts
    );
    let names: Vec<&str> = match ids {
        acctscore::frame::Column::Text(v) => v.iter().map(|s| s.unwrap_or("")).collect(),
        _ => return Err("account_id is not a text column".to_string()),
    };
    write_scores(args.out.as_deref(), &names, batch.scores())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("error: {reason}");
            ExitCode::FAILURE
        }
    }
}
