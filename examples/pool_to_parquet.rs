//! Writes an account pool as Parquet files with the pool's writers: the
//! events grouped by account (sorted by id, then time) with their
//! `account_id` dictionary-encoded in every row group (the layout the events
//! reader maps once per dictionary), or plain with `--plain-ids`.
//!
//! ```sh
//! # a pool in CSV, converted:
//! cargo run --release --example pool_to_parquet -- --accounts accounts.csv --events events.csv --out-dir pool_pq
//! # a seeded pool generated straight to Parquet:
//! cargo run --release --example pool_to_parquet -- --generate 10000 --seed 7 --out-dir pool_pq
//! # a partitioned pool of 10 × 1M accounts (the distributed run's input):
//! cargo run --release --example pool_to_parquet -- --generate 1000000 --parts 10 --out-dir pool10m
//! ```
//!
//! Writes `accounts.parquet` and `events.parquet` in `--out-dir` (each
//! whole); with `--parts K`, K generated pools (seeds `seed`, `seed + 1`, …,
//! account ids prefixed `p<k>_` so that they stay unique) as
//! `accounts/part=<k>/data.parquet` and `events/part=<k>/data.parquet`, a
//! part's events all of its own accounts: Hive-style buckets, which
//! `datafusion_rank --bucket part` reads one partition per bucket (any
//! reader of the folders reads them as one pool).

#[path = "common/mod.rs"]
mod common;

use acctscore::pool::{
    IdEncoding, PoolGenerator, read_accounts_path, read_events_path, write_accounts_parquet, write_events_parquet_with,
};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Write an account pool as Parquet.
#[derive(Parser, Debug)]
#[command(version, about)]
pub(crate) struct Args {
    /// accounts.csv to convert.
    #[arg(long, requires = "events", conflicts_with = "generate")]
    accounts: Option<PathBuf>,
    /// events.csv to convert.
    #[arg(long, requires = "accounts")]
    events: Option<PathBuf>,
    /// Generate a seeded pool of this many accounts instead.
    #[arg(long, value_parser = common::accounts)]
    generate: Option<usize>,
    /// Seed of the generated pool.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Folder to write accounts.parquet and events.parquet in.
    #[arg(long)]
    out_dir: PathBuf,
    /// Write the events' account ids as plain strings (to measure what the
    /// dictionary layout saves).
    #[arg(long)]
    plain_ids: bool,
    /// Generate this many pools of `--generate` accounts each, as a
    /// partitioned pool (folders `accounts/` and `events/`).
    #[arg(long, requires = "generate", value_parser = clap::value_parser!(u32).range(1..))]
    parts: Option<u32>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pool_to_parquet: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn run(args: Args) -> Result<(), common::BoxError> {
    let ids = if args.plain_ids { IdEncoding::Plain } else { IdEncoding::Dictionary };
    if let (Some(parts), Some(n)) = (args.parts, args.generate) {
        for k in 0..u64::from(parts) {
            for dir in ["accounts", "events"] {
                std::fs::create_dir_all(args.out_dir.join(format!("{dir}/part={k}")))?;
            }
            let t = Instant::now();
            let mut pool = PoolGenerator::new(n).seed(args.seed + k).generate();
            let prefix = format!("p{k}_");
            pool.accounts.iter_mut().for_each(|a| a.account_id.insert_str(0, &prefix));
            pool.events.iter_mut().for_each(|e| e.account_id.insert_str(0, &prefix));
            write_accounts_parquet(args.out_dir.join(format!("accounts/part={k}/data.parquet")), &pool.accounts)?;
            write_events_parquet_with(args.out_dir.join(format!("events/part={k}/data.parquet")), &pool.events, ids)?;
            eprintln!("part {k}: {} accounts, {} events in {:.1} s", n, pool.events.len(), t.elapsed().as_secs_f64());
        }
        return Ok(());
    }
    let t = Instant::now();
    let (accounts, events) = match (&args.accounts, &args.events, args.generate) {
        (Some(a), Some(e), None) => (read_accounts_path(a)?, read_events_path(e)?),
        (None, None, Some(n)) => {
            let pool = PoolGenerator::new(n).seed(args.seed).generate();
            (pool.accounts, pool.events)
        }
        _ => return Err("give --accounts and --events, or --generate N".into()),
    };
    eprintln!("read {} accounts and {} events in {:.1} s", accounts.len(), events.len(), t.elapsed().as_secs_f64());
    std::fs::create_dir_all(&args.out_dir)?;
    let t = Instant::now();
    write_accounts_parquet(args.out_dir.join("accounts.parquet"), &accounts)?;
    write_events_parquet_with(args.out_dir.join("events.parquet"), &events, ids)?;
    eprintln!("wrote {} in {:.1} s", args.out_dir.display(), t.elapsed().as_secs_f64());
    Ok(())
}
