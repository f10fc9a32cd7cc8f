//! Ranks an account pool in Parquet with one SQL query in DataFusion:
//! the events aggregated per account with `acctscore_engagement`, joined to
//! the accounts, ordered by `acctscore_priority`, limited, and the rows kept
//! explained with `acctscore_score`.
//!
//! ```sh
//! cargo run --release -p acctscore-datafusion --example datafusion_rank -- \
//!     --accounts pool/accounts.parquet --events pool/events.parquet --model model.json \
//!     --out ranked.csv [--top 1000] [--now UNIX_SECONDS] [--print-sql] [--set KEY=VALUE]
//! ```
//!
//! `--accounts` and `--events` may be files or folders of Parquet files
//! (a partitioned pool). `--now` defaults to the latest event's time (read
//! first with `SELECT max("timestamp") FROM events`). The ranked accounts
//! are written in the ranked-output format (the columns of `bench_pool --out`); stdout ends
//! with `rows=<n>` and `seconds=<s>`.

use acctscore_datafusion::datafusion::arrow::array::RecordBatch;
use acctscore_datafusion::datafusion::prelude::SessionContext;
use acctscore_datafusion::{ranking_sql, register, write_ranked_file};
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
    let mut config = acctscore_datafusion::session_config();
    for setting in &args.settings {
        let (key, value) = setting.split_once('=').ok_or_else(|| format!("--set {setting:?}: expected KEY=VALUE"))?;
        config.options_mut().set(key, value)?;
    }
    let ctx = SessionContext::new_with_config(config);
    register(&ctx, &scorer);
    let now = args.pool.register(&ctx).await?;
    let sql = ranking_sql(&scorer, now, args.pool.top);
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
