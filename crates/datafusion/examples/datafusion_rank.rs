//! Ranks an account pool in Parquet with one SQL query in DataFusion:
//! the events aggregated per account with `acctscore_engagement`, joined to
//! the accounts, ordered by `acctscore_priority`, limited, and the rows kept
//! explained with `acctscore_score`.
//!
//! ```sh
//! cargo run --release -p acctscore-datafusion --example datafusion_rank -- \
//!     --accounts pool/accounts.parquet --events pool/events.parquet --model model.json \
//!     --out ranked.csv [--top 1000] [--now UNIX_SECONDS] [--bucket part] [--count-unmatched] [--print-sql] [--set KEY=VALUE]
//! ```
//!
//! `--accounts` and `--events` may be files or folders of Parquet files
//! (a partitioned pool). `--now` defaults to the latest event's time (read
//! first with `SELECT max("timestamp") FROM events`). The ranked accounts
//! are written in the ranked-output format (the columns of `bench_pool --out`); stdout ends
//! with `rows=<n>` and `seconds=<s>`.

use acctscore_datafusion::datafusion::arrow::array::AsArray;
use acctscore_datafusion::datafusion::arrow::array::RecordBatch;
use acctscore_datafusion::datafusion::arrow::datatypes::Int64Type;
use acctscore_datafusion::datafusion::prelude::{ParquetReadOptions, SessionContext};
use acctscore_datafusion::{Buckets, ranking_sql, register, unmatched_events_sql, write_ranked_file};
use acctscore_scorer::Scorer;
use clap::Parser;
use std::process::ExitCode;
use std::time::Instant;

mod common;
use common::{BoxError, RankArgs};

/// Rank a Parquet account pool with one SQL query in DataFusion.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    pool: RankArgs,
    /// Print the query to stderr.
    #[arg(long)]
    print_sql: bool,
    /// Print the query's plan with each operator's time (EXPLAIN ANALYZE) to stderr.
    #[arg(long)]
    analyze: bool,
    /// The pool is stored in buckets of this Hive partition column
    /// (`accounts/<NAME>=<k>/…`, `events/<NAME>=<k>/…`, every account's
    /// events in its bucket, as `pool_to_parquet --parts` writes them with
    /// `part`): each bucket is read, aggregated and joined in a partition
    /// of its own, without hashing the events into new partitions.
    #[arg(long, value_name = "NAME")]
    bucket: Option<String>,
    /// First count the events the ranking leaves out (their account is not
    /// among the accounts, or not in their bucket): prints
    /// `unmatched_events=<n>`, and a warning when there are any.
    #[arg(long)]
    count_unmatched: bool,
    /// A DataFusion setting, `KEY=VALUE` (e.g.
    /// `datafusion.execution.target_partitions=4`); may be repeated.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    settings: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("datafusion_rank: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("datafusion_rank: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), BoxError> {
    let t0 = Instant::now();
    let scorer = Scorer::load(&args.pool.model)?;
    let buckets = match &args.bucket {
        Some(column) => Some(Buckets::of_folder(&args.pool.accounts, column)?),
        None => None,
    };
    let mut config = acctscore_datafusion::session_config();
    if let Some(b) = &buckets {
        config = b.session_config(config);
    }
    for setting in &args.settings {
        let (key, value) = setting.split_once('=').ok_or_else(|| format!("--set {setting:?}: expected KEY=VALUE"))?;
        config.options_mut().set(key, value)?;
    }
    let ctx = SessionContext::new_with_config(config);
    register(&ctx, &scorer);
    let options = buckets.as_ref().map_or_else(ParquetReadOptions::default, Buckets::read_options);
    let now = args.pool.register(&ctx, options).await?;
    if args.count_unmatched {
        let check = buckets.as_ref().map_or_else(unmatched_events_sql, Buckets::unmatched_events_sql);
        let counted = ctx.sql(&check).await?.collect().await?;
        let n = counted
            .first()
            .and_then(|b| b.column(0).as_primitive_opt::<Int64Type>())
            .filter(|a| a.len() == 1)
            .map(|a| a.value(0))
            .ok_or("the count of unmatched events is not one Int64")?;
        println!("unmatched_events={n}");
        if n > 0 {
            eprintln!(
                "datafusion_rank: warning: {n} events are left out of the ranking: their account is not among the accounts{}",
                if buckets.is_some() { ", or not in their bucket" } else { "" }
            );
        }
    }
    let sql = match &buckets {
        Some(b) => b.ranking_sql(&scorer, now, args.pool.top),
        None => ranking_sql(&scorer, now, args.pool.top),
    };
    if args.print_sql {
        eprintln!("{sql}");
    }
    if args.analyze {
        let plan = ctx.sql(&format!("EXPLAIN ANALYZE {sql}")).await?.collect().await?;
        let text = acctscore_datafusion::datafusion::arrow::util::pretty::pretty_format_batches(&plan)?;
        eprintln!("{text}");
    }
    let t = Instant::now();
    let batches = ctx.sql(&sql).await?.collect().await?;
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    eprintln!("ranked {rows} accounts with one query in {:.3} s", t.elapsed().as_secs_f64());
    write_ranked_file(&args.pool.out, &batches)?;
    println!("rows={rows}");
    println!("seconds={:.4}", t0.elapsed().as_secs_f64());
    Ok(())
}
