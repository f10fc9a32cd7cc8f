//! What the two ranking examples share: the pool's files, the model and the
//! output, and registering the pool's tables in a session.

use acctscore_datafusion::datafusion::prelude::{ParquetReadOptions, SessionContext};
use acctscore_datafusion::latest_event_time;
use std::path::PathBuf;

/// An error of either example.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The pool, the model, how many accounts to keep, and where they go.
#[derive(clap::Args, Debug)]
pub(crate) struct RankArgs {
    /// Accounts of the pool format: a Parquet file or a folder of them.
    #[arg(long)]
    pub accounts: PathBuf,
    /// Events of the pool format: a Parquet file or a folder of them.
    #[arg(long)]
    pub events: PathBuf,
    /// The model file (from `bench_pool --stage fit` or `acctscore fit`);
    /// in a distributed run every worker reads it too.
    #[arg(long)]
    pub model: PathBuf,
    /// How many accounts to keep.
    #[arg(long, default_value_t = 1000)]
    pub top: usize,
    /// Time to score engagement at, Unix seconds (default: the latest event).
    #[arg(long)]
    pub now: Option<i64>,
    /// Where to write the ranked accounts (CSV, the ranked-output format).
    #[arg(long)]
    pub out: PathBuf,
}

impl RankArgs {
    /// Registers the `accounts` and `events` tables in `ctx` (read with
    /// `options`) and gives the
    /// time to score at: `--now`, or the latest event's (printed with how
    /// long it took to find).
    pub(crate) async fn register(
        &self,
        ctx: &SessionContext,
        options: ParquetReadOptions<'_>,
    ) -> Result<i64, BoxError> {
        let path = |p: &PathBuf| p.to_string_lossy().into_owned();
        ctx.register_parquet("accounts", path(&self.accounts), options.clone()).await?;
        ctx.register_parquet("events", path(&self.events), options).await?;
        if let Some(now) = self.now {
            return Ok(now);
        }
        let t = std::time::Instant::now();
        let now = latest_event_time(ctx).await?.ok_or("no events to take the latest time of: give --now")?;
        eprintln!("now = {now} (the latest event), in {:.3} s", t.elapsed().as_secs_f64());
        Ok(now)
    }
}
