//! Ranks a partitioned Parquet pool on worker processes of
//! datafusion-distributed: starts the workers on 127.0.0.1 (this program,
//! re-run as `distributed_score worker …`, the same code as the
//! `acctscore-worker` binary), runs the ranking query of
//! `acctscore_datafusion::ranking_sql` over them, writes the top accounts
//! in the ranked-output format and stops the workers.
//!
//! ```sh
//! cargo run --release -p acctscore-datafusion --example distributed_score -- \
//!     --workers 3 --accounts pool/accounts --events pool/events --model model.json \
//!     --top 1000 --out ranked.csv [--now UNIX_SECONDS] [--plan]
//! ```
//!
//! `--accounts` and `--events` are folders of Parquet files (or single
//! files). stdout ends with `workers_used=<n>` (workers that ran at least
//! one task, as each reports when it stops), `rows=<n>`, `seconds=<s>`, and
//! each process's peak memory.

use acctscore_datafusion::datafusion::arrow::array::RecordBatch;
use acctscore_datafusion::datafusion::physical_plan::collect;
use acctscore_datafusion::datafusion::prelude::{ParquetReadOptions, SessionContext};
use acctscore_datafusion::distributed::{ClusterParams, LocalWorkers, display_plan, peak_rss_kib, worker_main};
use acctscore_datafusion::{ranking_sql, write_ranked_file};
use acctscore_scorer::Scorer;
use clap::Parser;
use std::process::ExitCode;
use std::time::Instant;

mod common;
use common::{BoxError, RankArgs};

/// Rank a partitioned Parquet pool on local worker processes.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// How many worker processes to start on 127.0.0.1.
    #[arg(long, default_value_t = 3)]
    workers: usize,
    #[command(flatten)]
    pool: RankArgs,
    /// Partitions each task reads in parallel (default: the cores).
    #[arg(long)]
    target_partitions: Option<usize>,
    /// Bytes of Parquet per partition when the engine splits a scan into
    /// tasks (1: every scan over every worker).
    #[arg(long, default_value_t = 1)]
    bytes_per_partition: usize,
    /// Print the distributed plan (stages and tasks) to stderr.
    #[arg(long)]
    plan: bool,
}

fn main() -> ExitCode {
    let mut argv = std::env::args().skip(1).peekable();
    if argv.peek().map(String::as_str) == Some("worker") {
        return worker_main(argv.skip(1));
    }
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("distributed_score: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), BoxError> {
    let t0 = Instant::now();
    let scorer = Scorer::load(&args.pool.model)?;
    let workers = LocalWorkers::spawn(&std::env::current_exe()?, &["worker"], &args.pool.model, args.workers)?;
    eprintln!("{} workers: {}", args.workers, workers.urls().iter().map(|u| u.as_str()).collect::<Vec<_>>().join(" "));
    let mut params = ClusterParams::new(workers.urls()).bytes_per_partition(args.bytes_per_partition);
    if let Some(n) = args.target_partitions {
        params = params.target_partitions(n);
    }
    let ctx = params.context(&scorer)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let batches = runtime.block_on(rank(&ctx, &scorer, args))?;
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    write_ranked_file(&args.pool.out, &batches)?;
    let seconds = t0.elapsed().as_secs_f64();
    let reports = workers.stop()?;
    let kib = |k: Option<u64>| k.map_or(String::from("unknown"), |k| k.to_string());
    for (k, r) in reports.iter().enumerate() {
        println!("worker{k} tasks={} peak_rss_kib={}", r.tasks, kib(r.peak_rss_kib));
    }
    println!("coordinator peak_rss_kib={}", kib(peak_rss_kib()));
    println!("workers_used={}", reports.iter().filter(|r| r.tasks > 0).count());
    println!("rows={rows}");
    println!("seconds={seconds:.4}");
    Ok(())
}

async fn rank(ctx: &SessionContext, scorer: &Scorer, args: &Args) -> Result<Vec<RecordBatch>, BoxError> {
    let now = args.pool.register(ctx, ParquetReadOptions::default()).await?;
    let t = Instant::now();
    let plan = ctx.sql(&ranking_sql(scorer, now, args.pool.top)).await?.create_physical_plan().await?;
    if args.plan {
        eprintln!("{}", display_plan(plan.as_ref()));
    }
    let batches = collect(plan, ctx.task_ctx()).await?;
    eprintln!("ranked with one query in {:.3} s (now = {now})", t.elapsed().as_secs_f64());
    Ok(batches)
}
