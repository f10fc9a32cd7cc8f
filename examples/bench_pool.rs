//! The whole pipeline on an account pool, stage by stage, with timings.
//!
//! ```sh
//! cargo run --release --example bench_pool -- --accounts accounts.csv --events events.csv \
//!     --model FILE.json [--stage fit|score|both] [--now UNIX_SECONDS] [--top 1000] [--out ranked.csv] \
//!     [--family auto|rules|logistic|trees]
//! ```
//!
//! Either file may be `.parquet` instead of `.csv` (the same pool format;
//! `examples/pool_to_parquet.rs` writes one).
//!
//! `fit`: CSV files → fitted scorer with every model (encoders, ICP,
//! calibration, revenue, anomaly segments, engagement parameters) → model
//! file. `score`: model file + CSV files → ranked top N with reasons, nothing
//! refitted. Each stage's seconds go to stderr; stdout ends with
//! `fit_seconds=<number>` and/or `score_seconds=<number>` (`score_seconds`
//! covers loading the model file, reading both CSVs, scoring and ranking).
//! `--now` defaults to the latest event's time.

use acctscore::core::Timestamp;
#[path = "common/mod.rs"]
mod common;

use acctscore::icp::propensity::FamilyChoice;
use acctscore::pool::{read_accounts_frame, read_accounts_frame_only, read_engagement_path};
use acctscore::{AccountScore, Scorer, ScorerParams};
use clap::{Parser, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Stage {
    Fit,
    Score,
    Both,
}

/// Fit and/or score an account pool, with timings.
#[derive(Parser, Debug)]
#[command(version, about)]
pub(crate) struct Args {
    /// accounts.csv (or .parquet) of the pool format.
    #[arg(long)]
    accounts: PathBuf,
    /// events.csv (or .parquet) of the pool format.
    #[arg(long)]
    events: PathBuf,
    /// Model file written by `fit` and read by `score`.
    #[arg(long)]
    model: PathBuf,
    /// Which stage to run.
    #[arg(long, value_enum, default_value = "both")]
    stage: Stage,
    /// Reference time for engagement (default: the latest event).
    #[arg(long)]
    now: Option<i64>,
    /// How many accounts to rank (at most 100 million).
    #[arg(long, default_value_t = 1000, value_parser = common::count)]
    top: usize,
    /// Write the ranked accounts here (CSV).
    #[arg(long)]
    out: Option<PathBuf>,
    /// ICP family to fit (the fit stage; scoring uses the model file's).
    #[arg(long, default_value = "auto")]
    family: FamilyChoice,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_pool: {e}");
            ExitCode::FAILURE
        }
    }
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

pub(crate) fn run(args: Args) -> Result<(), common::BoxError> {
    let mut lines = Vec::new();
    if matches!(args.stage, Stage::Fit | Stage::Both) {
        let t0 = Instant::now();
        let frame = read_accounts_frame(&args.accounts)?;
        eprintln!("fit: read {} accounts in {:.3} s", frame.nrows(), secs(t0));
        let t = Instant::now();
        let (scorer, stages) = ScorerParams::new().icp_family(args.family).fit_timed(&frame)?;
        eprintln!("fit: quality gate {:.3} s", stages.quality_gate);
        eprintln!("fit: ICP model {:.3} s", stages.icp);
        eprintln!("fit: anomaly segments {:.3} s", stages.anomaly);
        eprintln!("fit: revenue-in-range classifier {:.3} s", stages.revenue);
        eprintln!("fit: tier cut points (scoring the fit frame) {:.3} s", stages.tiers);
        eprintln!("fit: fitted every model in {:.3} s ({})", secs(t), scorer.metrics().icp_choice);
        for line in scorer.fit_report().to_string().lines() {
            eprintln!("fit: {line}");
        }
        for w in scorer.icp().warnings() {
            eprintln!("fit: warning: {w}");
        }
        // Engagement has no fitted parameters, but the fit stage reads the log
        // once, as the peer's fit path does, to check every kind is known.
        let t = Instant::now();
        let ids = frame.column("account_id")?;
        let log = read_engagement_path(&args.events, ids, scorer.engagement_model(), None)?;
        eprintln!("fit: read {} events in {:.3} s", log.rows, secs(t));
        let t = Instant::now();
        scorer.save(&args.model)?;
        eprintln!("fit: wrote {} in {:.3} s", args.model.display(), secs(t));
        lines.push(format!("fit_seconds={:.4}", secs(t0)));
    }
    if matches!(args.stage, Stage::Score | Stage::Both) {
        let t0 = Instant::now();
        let scorer = Scorer::load(&args.model)?;
        eprintln!("score: loaded the model in {:.3} s", secs(t0));
        let t = Instant::now();
        // Only the columns the model reads (its schema).
        let columns: Vec<&str> = scorer.schema().iter().map(|(name, _)| name.as_str()).collect();
        let frame = read_accounts_frame_only(&args.accounts, &columns)?;
        eprintln!("score: read {} accounts ({} columns) in {:.3} s", frame.nrows(), frame.ncols(), secs(t));
        let t = Instant::now();
        let ids = frame.column("account_id")?;
        let now = args.now.map(Timestamp::from_unix_seconds);
        // The events are read while the engagement-free parts of every
        // priority are computed: both run on the same thread pool.
        let prepared = scorer.prepare(&frame)?;
        let (log, base) = rayon::join(
            || read_engagement_path(&args.events, ids, scorer.engagement_model(), now),
            || prepared.base_scores(),
        );
        let (log, base) = (log?, base?);
        if log.unknown_accounts > 0 {
            eprintln!("score: {} events of accounts not in the accounts file left out", log.unknown_accounts);
        }
        let engagement = log.engagement;
        if engagement.ignored_future() > 0 {
            eprintln!("score: {} events after --now left out", engagement.ignored_future());
        }
        eprintln!("score: read {} events into engagement, and scored every account, in {:.3} s", log.rows, secs(t));
        let t = Instant::now();
        let top = prepared.top_n(&base, Some(engagement.scores()), args.top)?;
        eprintln!("score: ranked and explained the top {} in {:.3} s", top.len(), secs(t));
        let score_seconds = secs(t0);
        if let Some(out) = &args.out {
            write_ranked(out, &top)?;
            eprintln!("score: wrote {} rows to {}", top.len(), out.display());
        }
        lines.push(format!("score_seconds={score_seconds:.4}"));
    }
    common::to_stdout(|out| {
        for l in &lines {
            writeln!(out, "{l}")?;
        }
        Ok(())
    })
}

/// Writes the ranked accounts to `path`, whole (a failed run leaves a previous file as it was).
fn write_ranked(path: &std::path::Path, top: &[AccountScore]) -> Result<(), common::BoxError> {
    common::to_file_or_stdout(Some(path), |sink| write_ranked_rows(sink, top))
}

fn write_ranked_rows(sink: &mut dyn std::io::Write, top: &[AccountScore]) -> Result<(), common::BoxError> {
    Ok(acctscore::pool::write_ranked(sink, top, &[])?)
}
