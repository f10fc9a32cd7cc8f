//! Ranks an account pool in Parquet with one SQL query in DataFusion:
//! the events aggregated per account with `acctscore_engagement`, joined to
//! the accounts, ordered by `acctscore_priority`, limited, and the rows kept
//! explained with `acctscore_score`.
//!
//! ```sh
//! cargo run --release -p acctscore-datafusion --example datafusion_rank -- \
//!     --accounts pool/accounts.parquet --events pool/events.parquet --model model.json \
//!     [--top 1000] [--now UNIX_SECONDS] [--out ranked.csv] [--print-sql]
//! ```
//!
//! `--accounts` and `--events` may be files or folders of Parquet files
//! (a partitioned pool). `--now` defaults to the latest event's time (read
//! first with `SELECT max("timestamp") FROM events`). The ranked accounts
//! are written as CSV in the columns of `bench_pool --out`'s; stdout ends
//! with `rows=<n>` and `seconds=<s>`.

use acctscore_datafusion::datafusion::arrow::array::{Array, AsArray, RecordBatch};
use acctscore_datafusion::datafusion::arrow::compute::cast;
use acctscore_datafusion::datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use acctscore_datafusion::datafusion::prelude::{ParquetReadOptions, SessionContext};
use acctscore_datafusion::{register, score_arguments};
use acctscore_scorer::Scorer;
use clap::Parser;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Rank a Parquet account pool with one SQL query in DataFusion.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// accounts.parquet (or a folder of Parquet files) of the pool format.
    #[arg(long)]
    accounts: PathBuf,
    /// events.parquet (or a folder of Parquet files) of the pool format.
    #[arg(long)]
    events: PathBuf,
    /// The model file (from `bench_pool --stage fit` or `acctscore fit`).
    #[arg(long)]
    model: PathBuf,
    /// How many accounts to keep.
    #[arg(long, default_value_t = 1000)]
    top: usize,
    /// Time to score engagement at, Unix seconds (default: the latest event).
    #[arg(long)]
    now: Option<i64>,
    /// Where to write the ranked accounts (CSV; default: stdout).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the query to stderr.
    #[arg(long)]
    print_sql: bool,
    /// Print the query's plan with each operator's time (EXPLAIN ANALYZE) to stderr.
    #[arg(long)]
    analyze: bool,
}

/// The ranking query: one statement.
fn ranking_sql(scorer: &Scorer, now: i64, top: usize) -> String {
    let (columns, joined) = (score_arguments(scorer, None), score_arguments(scorer, Some("a")));
    format!(
        r#"WITH engagement AS (
  SELECT CAST(account_id AS VARCHAR) AS id, acctscore_engagement(kind, "timestamp", {now}) AS engagement
  FROM events GROUP BY id
),
ranked AS (
  SELECT a.*, COALESCE(e.engagement, 0.0) AS engagement,
         acctscore_priority({joined}, COALESCE(e.engagement, 0.0)) AS priority
  FROM accounts a LEFT JOIN engagement e ON a.account_id = e.id
  ORDER BY priority DESC, a.account_id
  LIMIT {top}
)
SELECT account_id, acctscore_score({columns}, engagement) AS s
FROM ranked ORDER BY priority DESC, account_id"#
    )
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
    let scorer = Scorer::load(&args.model)?;
    let ctx = SessionContext::new();
    register(&ctx, &scorer);
    let path = |p: &PathBuf| p.to_string_lossy().into_owned();
    ctx.register_parquet("accounts", path(&args.accounts), ParquetReadOptions::default()).await?;
    ctx.register_parquet("events", path(&args.events), ParquetReadOptions::default()).await?;
    let now = match args.now {
        Some(now) => now,
        None => {
            let t = Instant::now();
            let batches = ctx.sql(r#"SELECT max("timestamp") FROM events"#).await?.collect().await?;
            let now = batches
                .first()
                .and_then(|b| b.column(0).as_primitive_opt::<Int64Type>().filter(|c| c.is_valid(0)).map(|c| c.value(0)))
                .ok_or("no events to take the latest time of: give --now")?;
            eprintln!("now = {now} (the latest event), in {:.3} s", t.elapsed().as_secs_f64());
            now
        }
    };
    let sql = ranking_sql(&scorer, now, args.top);
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
    write_ranked(args.out.as_ref(), &batches)?;
    println!("rows={rows}");
    println!("seconds={:.4}", t0.elapsed().as_secs_f64());
    Ok(())
}

/// Writes the ranked rows as CSV (the columns of `bench_pool --out`'s that
/// the score struct holds), whole.
fn write_ranked(out: Option<&PathBuf>, batches: &[RecordBatch]) -> Result<(), BoxError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "rank",
        "account_id",
        "priority",
        "quality",
        "tier",
        "icp",
        "revenue_in_range",
        "anomaly_penalty",
        "anomaly_checks",
        "engagement",
        "engagement_effect",
        "reasons",
    ])?;
    let mut rank = 0;
    for b in batches {
        let ids = cast(b.column(0), &DataType::Utf8)?;
        let ids = ids.as_string::<i32>();
        let s = b.column(1).as_struct();
        let field = |name: &str| s.column_by_name(name).ok_or_else(|| format!("no field {name} in the score"));
        let num = |name: &str| -> Result<Vec<String>, BoxError> {
            let c = field(name)?;
            let c = c.as_primitive_opt::<Float64Type>().ok_or_else(|| format!("{name} is not Float64"))?;
            Ok(c.iter().map(|v| v.map_or(String::new(), |v| v.to_string())).collect())
        };
        let text = |name: &str| -> Result<Vec<String>, BoxError> {
            let c = field(name)?;
            let c = c.as_string_opt::<i32>().ok_or_else(|| format!("{name} is not Utf8"))?;
            Ok(c.iter().map(|v| v.unwrap_or_default().to_string()).collect())
        };
        let columns = [
            num("priority")?,
            num("quality")?,
            text("tier")?,
            num("icp")?,
            num("revenue_in_range")?,
            num("anomaly_penalty")?,
            text("anomaly_checks")?,
            num("engagement")?,
            num("engagement_effect")?,
            text("reasons")?,
        ];
        for i in 0..b.num_rows() {
            rank += 1;
            let mut record = vec![rank.to_string(), ids.value(i).to_string()];
            record.extend(columns.iter().map(|c| c[i].clone()));
            w.write_record(&record)?;
        }
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    match out {
        Some(path) => acctscore_core::write_atomic(path, |f| -> Result<(), BoxError> { Ok(f.write_all(&bytes)?) })?,
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(())
}
