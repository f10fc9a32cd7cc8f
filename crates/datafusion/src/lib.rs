//! # acctscore-datafusion
//!
//! acctscore inside [Apache DataFusion](https://datafusion.apache.org): a
//! fitted [`Scorer`] as SQL functions, so that a query ranks accounts where
//! the data lives (Parquet files, a lake) and a distributed engine built on
//! DataFusion can spread the work.
//!
//! [`register`] adds three functions to a [`SessionContext`]:
//!
//! - `acctscore_score(columns…[, engagement])`: the score of each row as a
//!   struct of [`SCORE_FIELDS`] (the ranked-output columns: `priority`,
//!   `quality`, `tier`, `icp`, `icp_baseline`, `revenue_estimate`,
//!   `revenue_in_range`, `revenue_source`, `anomaly_penalty`,
//!   `anomaly_checks`, `engagement`, `engagement_effect`, `reasons`), equal
//!   to [`Scorer::score_frame`] on the same rows.
//!   The columns are the model's input columns in [`Scorer::schema`] order
//!   ([`score_arguments`] writes the list); the engagement, when given, is
//!   the account's raw decayed engagement (a null: none known).
//! - `acctscore_priority(columns…[, engagement])`: the `priority` alone,
//!   without reasons or strings, to order a large pool cheaply and explain
//!   only the rows kept.
//! - `acctscore_engagement(kind, timestamp, now)`: an aggregate, the
//!   decayed engagement of a group's activities at `now` (a constant, Unix
//!   seconds), with a [`GroupsAccumulator`](datafusion::logical_expr::GroupsAccumulator)
//!   whose partial sums, computed on any partitions, add up to the single
//!   pass (see [`EngagementUdaf`]).
//!
//! ```
//! use acctscore_datafusion::datafusion::prelude::{ParquetReadOptions, SessionContext};
//! use acctscore_datafusion::{register, score_arguments, session_config};
//! use acctscore_scorer::ScorerParams;
//! use acctscore_scorer::pool::{PoolGenerator, accounts_to_frame, write_accounts_parquet, write_events_parquet};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pool = PoolGenerator::new(800).seed(3).generate();
//! let scorer = ScorerParams::new().fit(&accounts_to_frame(&pool.accounts)?)?;
//! let dir = std::env::temp_dir().join(format!("acctscore-datafusion-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! write_accounts_parquet(dir.join("accounts.parquet"), &pool.accounts)?;
//! write_events_parquet(dir.join("events.parquet"), &pool.events)?;
//!
//! let ctx = SessionContext::new_with_config(session_config());
//! register(&ctx, &scorer);
//! let now = pool.events.iter().map(|e| e.timestamp).max().unwrap_or(0);
//! let sql = format!(
//!     r#"SELECT a.account_id, acctscore_priority({columns}, COALESCE(e.engagement, 0.0)) AS priority
//!        FROM accounts a LEFT JOIN (
//!          SELECT CAST(account_id AS VARCHAR) AS id, acctscore_engagement(kind, "timestamp", {now}) AS engagement
//!          FROM events GROUP BY id) e ON a.account_id = e.id
//!        ORDER BY priority DESC, a.account_id LIMIT 5"#,
//!     columns = score_arguments(&scorer, Some("a")),
//! );
//! let batches = tokio::runtime::Runtime::new()?.block_on(async {
//!     let accounts = dir.join("accounts.parquet");
//!     let events = dir.join("events.parquet");
//!     ctx.register_parquet("accounts", accounts.to_string_lossy(), ParquetReadOptions::default()).await?;
//!     ctx.register_parquet("events", events.to_string_lossy(), ParquetReadOptions::default()).await?;
//!     ctx.sql(&sql).await?.collect().await
//! })?;
//! assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 5);
//! std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```
//!
//! Group the events by the account id as a string: a writer may store the
//! events' `account_id` as an Arrow dictionary, and DataFusion 55 groups by
//! a dictionary column about nine times slower than by its values cast to
//! `VARCHAR` (6.2 s against 0.7 s for 10M events of 1M accounts, with `sum`
//! as with `acctscore_engagement`).
//!
//! DataFusion and its dependencies are this crate's alone: the rest of the
//! workspace builds without them.

#[cfg(feature = "distributed")]
pub mod distributed;
mod engagement;
mod score;

pub use engagement::EngagementUdaf;
pub use score::{PriorityUdf, SCORE_FIELDS, ScoreUdf};

/// The DataFusion this crate is built with (re-exported so that callers name
/// the same version of its types).
pub use datafusion;

use acctscore_engagement::EngagementModel;
use acctscore_scorer::Scorer;
use acctscore_scorer::pool::RANKED_COLUMNS;
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use std::sync::Arc;

/// Registers `acctscore_score`, `acctscore_priority` and
/// `acctscore_engagement` of `scorer` (cloned: the context keeps its own)
/// in `ctx`; a function of the same name registered before is replaced.
pub fn register(ctx: &SessionContext, scorer: &Scorer) {
    let scorer = Arc::new(scorer.clone());
    ctx.register_udf(score_udf(Arc::clone(&scorer)));
    ctx.register_udf(priority_udf(Arc::clone(&scorer)));
    ctx.register_udaf(engagement_udaf(Arc::new(scorer.engagement_model().clone())));
}

/// Rows per batch for queries that score: each call of a scoring function
/// conforms and prepares its batch once, so batches larger than
/// DataFusion's default (8192) spread that cost over more rows (the
/// 1M-account ranking query runs about 20% faster with 32768).
pub const BATCH_SIZE: usize = 32_768;

/// Partitions a ranking query is split into at the least. The events'
/// aggregate and the join hash by account id into one table per partition;
/// with as many partitions as cores (DataFusion's default) a 2-core machine
/// holds two tables of millions of accounts each, far outside the caches.
/// Measured on 2 cores with `datafusion_rank --set
/// datafusion.execution.target_partitions=N` (medians): 1M accounts 1.95 s
/// with 2 partitions, 1.5 s with 16–32; 10M accounts 29.4 s with 2, 21–22 s
/// with 16 or 20, 33 s with 200.
pub const MIN_PARTITIONS: usize = 16;

/// A DataFusion session configuration for ranking queries: DataFusion's
/// defaults with [`BATCH_SIZE`] rows per batch and at least
/// [`MIN_PARTITIONS`] partitions (more where there are more cores). The
/// partition count is the same on every machine with at most 16 cores, so
/// the engagement sums are added in the same order there.
pub fn session_config() -> SessionConfig {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    SessionConfig::new().with_batch_size(BATCH_SIZE).with_target_partitions(cores.max(MIN_PARTITIONS))
}

/// `acctscore_score` of `scorer`, to register under its name or call from
/// the DataFrame API.
pub fn score_udf(scorer: Arc<Scorer>) -> ScalarUDF {
    ScalarUDF::from(ScoreUdf::new(scorer))
}

/// `acctscore_priority` of `scorer`.
pub fn priority_udf(scorer: Arc<Scorer>) -> ScalarUDF {
    ScalarUDF::from(PriorityUdf::new(scorer))
}

/// `acctscore_engagement` of an engagement model (a scorer's
/// [`Scorer::engagement_model`]).
pub fn engagement_udaf(model: Arc<EngagementModel>) -> AggregateUDF {
    AggregateUDF::from(EngagementUdaf::new(model))
}

/// The SQL argument list of the model's input columns, in the order the
/// scoring functions take them: `"industry", "employees", …`, each name
/// quoted, prefixed with `table.` when given.
pub fn score_arguments(scorer: &Scorer, table: Option<&str>) -> String {
    let prefix = table.map(|t| format!("{}.", quote(t))).unwrap_or_default();
    scorer.schema().iter().map(|(name, _)| format!("{prefix}{}", quote(name))).collect::<Vec<_>>().join(", ")
}

/// The ranking query over tables `accounts` and `events` of the pool
/// format: the events' decayed engagement at `now` (Unix seconds) per
/// account, joined to the accounts, ordered by `acctscore_priority` (ties
/// by `account_id`), the first `top` kept and explained with
/// `acctscore_score`. It returns `account_id` and the score struct `s`, in
/// rank order; [`write_ranked`] writes it in the ranked-output format.
///
/// The events are grouped by `CAST(account_id AS VARCHAR)`: a writer may
/// store their ids as an Arrow dictionary, and DataFusion 55 groups a
/// dictionary column about nine times slower than its values.
pub fn ranking_sql(scorer: &Scorer, now: i64, top: usize) -> String {
    ranking_query(scorer, now, top, None)
}

/// The query that counts the events [`ranking_sql`] leaves out: those
/// whose account id is not among the accounts' (the native readers count
/// them as `unknown_accounts`). One row, one column `unmatched`. It reads
/// every event again, so it is a check to run when a pool is written or
/// changes, not with every ranking.
pub fn unmatched_events_sql() -> String {
    unmatched_query(None)
}

fn unmatched_query(bucket: Option<&str>) -> String {
    let same_bucket = bucket.map(quote).map(|b| format!(" AND a.{b} = e.{b}")).unwrap_or_default();
    format!(
        "SELECT count(*) AS unmatched FROM events e WHERE NOT EXISTS \
         (SELECT 1 FROM accounts a WHERE a.account_id = CAST(e.account_id AS VARCHAR){same_bucket})"
    )
}

/// A pool stored in buckets: the accounts and the events in Hive-style
/// folders of one partition column (`accounts/bucket=7/…`,
/// `events/bucket=7/…`), every account's events in its account's bucket
/// (`pool_to_parquet --parts K` writes `part=0` … `part=K-1`).
///
/// A session made with [`Buckets::session_config`] reads each bucket in a
/// partition of its own and [`Buckets::ranking_sql`] groups the events,
/// and joins them to the accounts, by bucket and id: the events are
/// aggregated where they are read, not hashed into new partitions, and
/// the work per bucket stays the same as a pool grows by buckets. The
/// ranking is [`ranking_sql`]'s as long as every event is in its account's
/// bucket; [`Buckets::unmatched_events_sql`] counts the events that are not.
///
/// ```no_run
/// # async fn f(scorer: &acctscore_scorer::Scorer) -> Result<(), Box<dyn std::error::Error>> {
/// use acctscore_datafusion::{Buckets, register, session_config};
/// use acctscore_datafusion::datafusion::prelude::SessionContext;
///
/// let buckets = Buckets::of_folder("pool/accounts", "part")?;
/// let ctx = SessionContext::new_with_config(buckets.session_config(session_config()));
/// register(&ctx, scorer);
/// ctx.register_parquet("accounts", "pool/accounts", buckets.read_options()).await?;
/// ctx.register_parquet("events", "pool/events", buckets.read_options()).await?;
/// let top = ctx.sql(&buckets.ranking_sql(scorer, 1_767_225_600, 1000)).await?.collect().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buckets {
    column: String,
    count: usize,
}

impl Buckets {
    /// `count` buckets of partition column `column`.
    pub fn new(column: impl Into<String>, count: usize) -> Self {
        Buckets { column: column.into(), count }
    }

    /// The buckets of a local folder: its `<column>=<value>` subfolders.
    ///
    /// # Errors
    /// The folder cannot be listed ([`std::io::Error`] naming it), or has
    /// no such subfolder ([`std::io::ErrorKind::NotFound`]).
    pub fn of_folder(dir: impl AsRef<std::path::Path>, column: &str) -> std::io::Result<Self> {
        let dir = dir.as_ref();
        let named = |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display()));
        let prefix = format!("{column}=");
        let mut count = 0;
        for entry in std::fs::read_dir(dir).map_err(named)? {
            let entry = entry.map_err(named)?;
            if entry.file_type().map_err(named)?.is_dir() && entry.file_name().to_string_lossy().starts_with(&prefix) {
                count += 1;
            }
        }
        if count == 0 {
            let reason = format!("{}: no `{prefix}<value>` folder (the buckets of column `{column}`)", dir.display());
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, reason));
        }
        Ok(Buckets::new(column, count))
    }

    /// The partition column.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// How many buckets.
    pub fn count(&self) -> usize {
        self.count
    }

    /// `config` with one partition per bucket (so a query runs on at most
    /// as many cores as there are buckets: write at least as many buckets
    /// as cores), each bucket's files kept in their partition
    /// (`datafusion.optimizer.preserve_file_partitions`),
    /// and a partitioning by bucket taken as one by bucket and id however
    /// few the buckets (`datafusion.optimizer.subset_repartition_threshold`
    /// 1; DataFusion's default, 4, reshuffles the events of fewer buckets).
    pub fn session_config(&self, config: SessionConfig) -> SessionConfig {
        let mut config = config.with_target_partitions(self.count.max(1));
        let optimizer = &mut config.options_mut().optimizer;
        optimizer.preserve_file_partitions = 1;
        optimizer.subset_repartition_threshold = 1;
        config
    }

    /// Read options that give both tables the partition column (as `Utf8`).
    pub fn read_options(&self) -> ParquetReadOptions<'_> {
        ParquetReadOptions::default().table_partition_cols(vec![(self.column.clone(), DataType::Utf8)])
    }

    /// [`ranking_sql`], grouped and joined by bucket and id.
    pub fn ranking_sql(&self, scorer: &Scorer, now: i64, top: usize) -> String {
        ranking_query(scorer, now, top, Some(&self.column))
    }

    /// [`unmatched_events_sql`] by bucket: it also counts the events kept
    /// in another bucket than their account's, which the bucketed ranking
    /// leaves out (the pool's layout is then wrong; it should count no
    /// more than [`unmatched_events_sql`] does).
    pub fn unmatched_events_sql(&self) -> String {
        unmatched_query(Some(&self.column))
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn ranking_query(scorer: &Scorer, now: i64, top: usize, bucket: Option<&str>) -> String {
    let (columns, joined) = (score_arguments(scorer, None), score_arguments(scorer, Some("a")));
    let (by, on) = match bucket.map(quote) {
        Some(b) => (format!("{b}, "), format!("a.{b} = e.{b} AND ")),
        None => (String::new(), String::new()),
    };
    format!(
        r#"WITH engagement AS (
  SELECT {by}CAST(account_id AS VARCHAR) AS id, acctscore_engagement(kind, "timestamp", {now}) AS engagement
  FROM events GROUP BY {by}id
),
ranked AS (
  SELECT a.*, COALESCE(e.engagement, 0.0) AS engagement,
         acctscore_priority({joined}, COALESCE(e.engagement, 0.0)) AS priority
  FROM accounts a LEFT JOIN engagement e ON {on}a.account_id = e.id
  ORDER BY priority DESC, a.account_id
  LIMIT {top}
)
SELECT account_id, acctscore_score({columns}, engagement) AS s
FROM ranked ORDER BY priority DESC, account_id"#
    )
}

/// Writes the rows of [`ranking_sql`] (an `account_id` column and the score
/// struct `s`, in rank order) as CSV in the columns of
/// [`RANKED_COLUMNS`], as
/// [`write_ranked`](acctscore_scorer::pool::write_ranked) writes a
/// single-process ranking: numbers at full round-trip precision, a
/// component not computed empty.
///
/// # Errors
///
/// A batch without those columns or with a field of another type, or the
/// writer failing.
pub fn write_ranked<W: std::io::Write>(writer: W, batches: &[RecordBatch]) -> Result<(), DataFusionError> {
    let io = |e: csv::Error| DataFusionError::External(Box::new(e));
    let mut w = csv::WriterBuilder::new().buffer_capacity(1 << 20).from_writer(writer);
    w.write_record(RANKED_COLUMNS).map_err(io)?;
    let mut rank = 0usize;
    for b in batches {
        let column = |name: &str| {
            b.column_by_name(name).ok_or_else(|| exec_error(format!("write_ranked: no column {name} in the result")))
        };
        let ids = cast(column("account_id")?, &DataType::Utf8)?;
        let ids = ids.as_string::<i32>();
        let s = column("s")?
            .as_struct_opt()
            .ok_or_else(|| exec_error("write_ranked: column s is not the score struct".to_string()))?;
        let field = |name: &str| -> Result<Vec<String>, DataFusionError> {
            let c = s.column_by_name(name).ok_or_else(|| exec_error(format!("write_ranked: no field {name} in s")))?;
            if let Some(c) = c.as_primitive_opt::<Float64Type>() {
                Ok(c.iter().map(|v| v.map_or(String::new(), |v| v.to_string())).collect())
            } else if let Some(c) = c.as_string_opt::<i32>() {
                Ok(c.iter().map(|v| v.unwrap_or_default().to_string()).collect())
            } else {
                Err(exec_error(format!("write_ranked: field {name} is {}, not Float64 or Utf8", c.data_type())))
            }
        };
        let fields: Vec<Vec<String>> = SCORE_FIELDS.iter().map(|name| field(name)).collect::<Result<_, _>>()?;
        for i in 0..b.num_rows() {
            rank += 1;
            let mut record = vec![rank.to_string(), ids.value(i).to_string()];
            record.extend(fields.iter().map(|c| c[i].clone()));
            w.write_record(&record).map_err(io)?;
        }
    }
    w.flush().map_err(|e| DataFusionError::External(Box::new(e)))
}

/// [`write_ranked`] to a file at `path`, written whole (a temporary file,
/// synced, renamed over it).
///
/// # Errors
///
/// As [`write_ranked`], or the file cannot be written (named in the error).
pub fn write_ranked_file(path: impl AsRef<std::path::Path>, batches: &[RecordBatch]) -> Result<(), DataFusionError> {
    let mut bytes = Vec::new();
    write_ranked(&mut bytes, batches)?;
    let written: Result<(), Box<dyn std::error::Error + Send + Sync>> =
        acctscore_core::write_atomic(path, |f| Ok(f.write_all(&bytes)?));
    written.map_err(DataFusionError::External)
}

/// The latest `timestamp` of the table `events` registered in `ctx` (the
/// `now` a ranking defaults to); `None` when it has no events.
///
/// # Errors
///
/// No such table or column, or a `timestamp` that is not Unix seconds
/// (`Int64`).
pub async fn latest_event_time(ctx: &SessionContext) -> Result<Option<i64>, DataFusionError> {
    let batches = ctx.sql(r#"SELECT max("timestamp") FROM events"#).await?.collect().await?;
    let Some(column) = batches.first().map(|b| b.column(0)) else { return Ok(None) };
    let times = column.as_primitive_opt::<Int64Type>().ok_or_else(|| {
        plan_error(format!("events.timestamp: expected Unix seconds (Int64), found {}", column.data_type()))
    })?;
    Ok(times.iter().next().flatten())
}

fn plan_error(message: String) -> DataFusionError {
    DataFusionError::Plan(message)
}

fn exec_error(message: String) -> DataFusionError {
    DataFusionError::Execution(message)
}
