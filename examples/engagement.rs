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
//! activity) and activities of accounts not in it are counted on stderr and
//! left out. Activities after `--now` are left out and counted. A kind with
//! neither a weight nor a half-life is an error naming it. Progress goes to
//! stderr; a bad argument or file exits non-zero with a one-line reason.

use acctscore::core::Timestamp;
use acctscore::engagement::{EngagementParams, KindId, Touch, intern};
use acctscore::pool::{read_accounts_path, read_events_path};
use clap::Parser;
use rayon::prelude::*;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Decayed sales engagement per account from an activity log.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
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
    #[arg(long, value_delimiter = ',', value_parser = parse_pair)]
    half_life_days: Vec<(String, f64)>,
    /// Weight per kind, `kind=weight,...` (defaults: email=1,call=3,meeting=10;
    /// a kind named only here gets a 30-day half-life).
    #[arg(long, value_delimiter = ',', value_parser = parse_pair)]
    weights: Vec<(String, f64)>,
    /// Write `account_id,engagement` here (default: stdout).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn parse_pair(s: &str) -> Result<(String, f64), String> {
    let (k, v) = s.split_once('=').ok_or_else(|| format!("`{s}` is not kind=value"))?;
    let k = k.trim();
    if k.is_empty() {
        return Err(format!("`{s}` has an empty kind"));
    }
    let v: f64 = v.trim().parse().map_err(|_| format!("`{s}`: `{v}` is not a number"))?;
    Ok((k.to_owned(), v))
}

fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn run(args: Args) -> Result<(), String> {
    let mut params = EngagementParams::new();
    for (kind, days) in &args.half_life_days {
        params = params.half_life_days(kind.as_str(), *days);
    }
    for (kind, w) in &args.weights {
        params = params.weight(kind.as_str(), *w);
    }
    let model = params.build().map_err(|e| e.to_string())?;
    let now = Timestamp::from_unix_seconds(args.now);

    let t = Instant::now();
    let accounts = match &args.accounts {
        Some(path) => {
            let rows = read_accounts_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("read {} accounts in {:.2?}", rows.len(), t.elapsed());
            Some(rows)
        }
        None => None,
    };

    let t = Instant::now();
    let events = read_events_path(&args.events).map_err(|e| format!("{}: {e}", args.events.display()))?;
    eprintln!("read {} events in {:.2?}", events.len(), t.elapsed());

    let t = Instant::now();
    let kinds = events
        .par_iter()
        .map(|e| model.kind_id_by_name(&e.kind))
        .collect::<Result<Vec<KindId>, _>>()
        .map_err(|e| e.to_string())?;
    // Dense account indices: the accounts file's ids first (when given), then the events'.
    let account_ids = accounts.iter().flatten().map(|a| a.account_id.as_str());
    let all_ids: Vec<&str> = account_ids.chain(events.iter().map(|e| e.account_id.as_str())).collect();
    let n_listed = all_ids.len() - events.len();
    let interned = intern(&all_ids).map_err(|e| e.to_string())?;
    drop(all_ids);
    let (ids, indices) = (interned.ids, interned.indices);
    // With --accounts, only its (distinct) ids are reported; the ids of listed accounts come first.
    let n_accounts =
        if accounts.is_some() { indices[..n_listed].iter().max().map_or(0, |&m| m as usize + 1) } else { ids.len() };
    let mut unknown_accounts = 0u64;
    let mut touches = Vec::with_capacity(events.len());
    for ((e, &account), &kind) in events.iter().zip(&indices[n_listed..]).zip(&kinds) {
        if account as usize >= n_accounts {
            unknown_accounts += 1;
        } else {
            touches.push(Touch::new(account, kind, Timestamp::from_unix_seconds(e.timestamp)));
        }
    }
    drop(events);
    drop(accounts);
    eprintln!("indexed {} activities over {} accounts in {:.2?}", touches.len(), n_accounts, t.elapsed());

    let t = Instant::now();
    let batch = model.aggregate(now, n_accounts, &touches).map_err(|e| e.to_string())?;
    eprintln!(
        "aggregated in {:.2?}: {} activities used, {} after --now left out, {} of accounts not in --accounts left out",
        t.elapsed(),
        batch.used(),
        batch.ignored_future(),
        unknown_accounts
    );

    let t = Instant::now();
    let ids = &ids[..n_accounts];
    // Sort by a 16-byte big-endian prefix first (in cache), the full id only on ties.
    let prefix = |id: &str| {
        let mut key = [0u8; 16];
        let n = id.len().min(16);
        key[..n].copy_from_slice(&id.as_bytes()[..n]);
        u128::from_be_bytes(key)
    };
    let mut keyed: Vec<(u128, u32)> = ids.par_iter().enumerate().map(|(i, id)| (prefix(id), i as u32)).collect();
    keyed.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| ids[a.1 as usize].cmp(&ids[b.1 as usize])));
    let order: Vec<u32> = keyed.into_iter().map(|(_, i)| i).collect();
    let sink: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = std::io::BufWriter::with_capacity(1 << 20, sink);
    let write_err = |e: std::io::Error| format!("write failed: {e}");
    writeln!(w, "account_id,engagement").map_err(write_err)?;
    let scores = batch.scores();
    for &i in &order {
        // `{}` prints an f64 in its shortest form that parses back to the same value.
        writeln!(w, "{},{}", csv_field(&ids[i as usize]), scores[i as usize]).map_err(write_err)?;
    }
    w.flush().map_err(write_err)?;
    eprintln!("wrote {} accounts in {:.2?}", order.len(), t.elapsed());
    Ok(())
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
