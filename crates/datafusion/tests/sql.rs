//! The SQL ranking equals the single-process `Scorer` on a generated
//! Parquet pool, and wrong input is an error that names it.

use acctscore_core::Timestamp;
use acctscore_datafusion::datafusion::arrow::array::{Array, AsArray, RecordBatch};
use acctscore_datafusion::datafusion::arrow::datatypes::Float64Type;
use acctscore_datafusion::datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use acctscore_datafusion::{Buckets, ranking_sql, register, score_arguments, unmatched_events_sql};
use acctscore_scorer::pool::{
    PoolGenerator, read_accounts_frame, read_engagement_path, write_accounts_parquet, write_events_parquet,
};
use acctscore_scorer::{Scorer, ScorerParams};
use std::path::PathBuf;

type Error = Box<dyn std::error::Error>;

struct Pool {
    dir: PathBuf,
    scorer: Scorer,
    now: i64,
}

impl Drop for Pool {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn pool(name: &str, n: usize) -> Result<Pool, Error> {
    let generated = PoolGenerator::new(n).seed(17).generate();
    let dir = std::env::temp_dir().join(format!("acctscore-df-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    write_accounts_parquet(dir.join("accounts.parquet"), &generated.accounts)?;
    write_events_parquet(dir.join("events.parquet"), &generated.events)?;
    let frame = read_accounts_frame(dir.join("accounts.parquet"))?;
    let scorer = ScorerParams::new().fit(&frame)?;
    let now = generated.events.iter().map(|e| e.timestamp).max().unwrap_or(0);
    Ok(Pool { dir, scorer, now })
}

async fn context(pool: &Pool, partitions: usize) -> Result<SessionContext, Error> {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions));
    register(&ctx, &pool.scorer);
    let path = |f: &str| pool.dir.join(f).to_string_lossy().into_owned();
    ctx.register_parquet("accounts", path("accounts.parquet"), ParquetReadOptions::default()).await?;
    ctx.register_parquet("events", path("events.parquet"), ParquetReadOptions::default()).await?;
    Ok(ctx)
}

fn run<T>(f: impl std::future::Future<Output = Result<T, Error>>) -> Result<T, Error> {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?.block_on(f)
}

fn strings(batches: &[RecordBatch], column: &str) -> Vec<String> {
    let mut out = Vec::new();
    for b in batches {
        let c = b.column_by_name(column).expect("column");
        let c = acctscore_datafusion::datafusion::arrow::compute::cast(
            c,
            &acctscore_datafusion::datafusion::arrow::datatypes::DataType::Utf8,
        )
        .expect("cast");
        out.extend(c.as_string::<i32>().iter().map(|v| v.unwrap_or_default().to_string()));
    }
    out
}

#[test]
fn sql_ranking_equals_the_scorer() -> Result<(), Error> {
    let pool = pool("rank", 3_000)?;
    let top = 200;
    // The single-process path: bench_pool's, with the same `now`.
    let frame = read_accounts_frame(pool.dir.join("accounts.parquet"))?;
    let ids = frame.column("account_id")?;
    let now = Timestamp::from_unix_seconds(pool.now);
    let log = read_engagement_path(pool.dir.join("events.parquet"), ids, pool.scorer.engagement_model(), Some(now))?;
    let expected = pool.scorer.top_n(&frame, Some(log.engagement.scores()), top)?;

    for partitions in [1, 3] {
        let batches = run(async {
            let ctx = context(&pool, partitions).await?;
            Ok(ctx.sql(&ranking_sql(&pool.scorer, pool.now, top)).await?.collect().await?)
        })?;
        let got_ids = strings(&batches, "account_id");
        let want_ids: Vec<String> = expected.iter().map(|s| s.account_id.clone()).collect();
        assert_eq!(got_ids, want_ids, "{partitions} partitions");
        let mut k = 0;
        for b in &batches {
            let s = b.column_by_name("s").expect("s").as_struct();
            let num = |name: &str| s.column_by_name(name).expect("field").as_primitive::<Float64Type>().clone();
            let (priority, quality, icp) = (num("priority"), num("quality"), num("icp"));
            let (revenue, penalty, engagement) = (num("revenue_in_range"), num("anomaly_penalty"), num("engagement"));
            let tier = s.column_by_name("tier").expect("tier").as_string::<i32>().clone();
            let reasons = s.column_by_name("reasons").expect("reasons").as_string::<i32>().clone();
            for i in 0..b.num_rows() {
                let e = &expected[k];
                let close = |a: f64, b: f64, what: &str| {
                    assert!((a - b).abs() <= 1e-9, "{what} of {}: {a} vs {b}", e.account_id);
                };
                close(priority.value(i), e.priority, "priority");
                close(quality.value(i), e.quality, "quality");
                close(icp.value(i), e.icp.get(), "icp");
                close(engagement.value(i), e.engagement.unwrap_or(f64::NAN), "engagement");
                if let Some(r) = &e.revenue {
                    close(revenue.value(i), r.in_range.get(), "revenue_in_range");
                } else {
                    assert!(revenue.is_null(i));
                }
                if let Some(a) = &e.anomaly {
                    close(penalty.value(i), a.penalty, "anomaly_penalty");
                }
                assert_eq!(tier.value(i), e.tier.to_string());
                let codes: Vec<&str> = reasons.value(i).split(';').filter_map(|r| r.split(':').next()).collect();
                let want: Vec<&str> = e.reasons.iter().map(|r| r.code.as_str()).collect();
                assert_eq!(codes, want);
                k += 1;
            }
        }
        assert_eq!(k, top);
    }
    Ok(())
}

#[test]
fn the_score_of_every_row_equals_score_frame() -> Result<(), Error> {
    let pool = pool("every", 1_500)?;
    let frame = read_accounts_frame(pool.dir.join("accounts.parquet"))?;
    let expected = pool.scorer.score_frame(&frame, None)?;
    let sql = format!(
        "SELECT account_id, acctscore_score({c}) AS s, acctscore_priority({c}) AS p FROM accounts",
        c = score_arguments(&pool.scorer, None)
    );
    let batches = run(async {
        let ctx = context(&pool, 2).await?;
        Ok(ctx.sql(&sql).await?.collect().await?)
    })?;
    let mut by_id = std::collections::HashMap::new();
    for b in &batches {
        let ids = strings(std::slice::from_ref(b), "account_id");
        let s = b.column_by_name("s").expect("s").as_struct();
        let priority = s.column_by_name("priority").expect("priority").as_primitive::<Float64Type>();
        let p = b.column_by_name("p").expect("p").as_primitive::<Float64Type>();
        for (i, id) in ids.into_iter().enumerate() {
            by_id.insert(id, (priority.value(i), p.value(i)));
        }
    }
    assert_eq!(by_id.len(), expected.len());
    for e in &expected {
        let (score, priority) = by_id[&e.account_id];
        assert!((score - e.priority).abs() <= 1e-12, "{}", e.account_id);
        assert!((priority - e.priority).abs() <= 1e-12, "{}", e.account_id);
    }
    Ok(())
}

#[test]
fn a_column_of_the_wrong_type_is_an_error_that_names_it() -> Result<(), Error> {
    let pool = pool("wrong", 300)?;
    // The first string column of the model given a number instead.
    let (column, _) = pool
        .scorer
        .schema()
        .iter()
        .find(|(c, k)| {
            matches!(k, acctscore_frame::ColumnKind::Categorical | acctscore_frame::ColumnKind::Text)
                && c != "account_id"
        })
        .expect("a string column");
    let args = score_arguments(&pool.scorer, None).replace(&format!("\"{column}\""), "1.5");
    let err = run(async {
        let ctx = context(&pool, 1).await?;
        match ctx.sql(&format!("SELECT acctscore_score({args}) FROM accounts")).await {
            Ok(df) => Ok(df.collect().await.err().map(|e| e.to_string())),
            Err(e) => Ok(Some(e.to_string())),
        }
    })?
    .expect("an error");
    assert!(err.contains(column.as_str()) && err.contains("string") && err.contains("Float64"), "{err}");

    let err = run(async {
        let ctx = context(&pool, 1).await?;
        let sql = r#"SELECT account_id, acctscore_engagement(kind, "timestamp", "timestamp") FROM events GROUP BY account_id"#;
        match ctx.sql(sql).await {
            Ok(df) => Ok(df.collect().await.err().map(|e| e.to_string())),
            Err(e) => Ok(Some(e.to_string())),
        }
    })?
    .expect("an error");
    assert!(err.contains("now") && err.contains("constant"), "{err}");
    Ok(())
}

#[test]
fn a_pool_in_buckets_ranks_as_one_pool_without_reshuffling_its_events() -> Result<(), Error> {
    // Three buckets (Hive folders `part=k`), each a generated pool with its
    // ids prefixed, as `pool_to_parquet --parts` writes them.
    let dir = std::env::temp_dir().join(format!("acctscore-df-buckets-{}", std::process::id()));
    let model = pool("bucket-model", 1_000)?;
    // Removes the folder when the test ends.
    let pool = Pool { dir: dir.clone(), scorer: model.scorer.clone(), now: 0 };
    let mut now = 0;
    for k in 0..3u64 {
        let mut g = PoolGenerator::new(400).seed(30 + k).generate();
        g.accounts.iter_mut().for_each(|a| a.account_id.insert_str(0, &format!("p{k}_")));
        g.events.iter_mut().for_each(|e| e.account_id.insert_str(0, &format!("p{k}_")));
        now = now.max(g.events.iter().map(|e| e.timestamp).max().unwrap_or(0));
        for table in ["accounts", "events"] {
            std::fs::create_dir_all(dir.join(format!("{table}/part={k}")))?;
        }
        write_accounts_parquet(dir.join(format!("accounts/part={k}/data.parquet")), &g.accounts)?;
        write_events_parquet(dir.join(format!("events/part={k}/data.parquet")), &g.events)?;
    }
    let buckets = Buckets::of_folder(dir.join("accounts"), "part")?;
    assert_eq!((buckets.column(), buckets.count()), ("part", 3));
    let top = 150;
    let path = |t: &str| dir.join(t).to_string_lossy().into_owned();
    let (plain, bucketed, plan) = run(async {
        let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(2));
        register(&ctx, &pool.scorer);
        ctx.register_parquet("accounts", path("accounts"), ParquetReadOptions::default()).await?;
        ctx.register_parquet("events", path("events"), ParquetReadOptions::default()).await?;
        let plain = ctx.sql(&ranking_sql(&pool.scorer, now, top)).await?.collect().await?;

        let ctx = SessionContext::new_with_config(buckets.session_config(SessionConfig::new()));
        register(&ctx, &pool.scorer);
        ctx.register_parquet("accounts", path("accounts"), buckets.read_options()).await?;
        ctx.register_parquet("events", path("events"), buckets.read_options()).await?;
        let sql = buckets.ranking_sql(&pool.scorer, now, top);
        let plan = ctx.sql(&sql).await?.create_physical_plan().await?;
        let plan = acctscore_datafusion::datafusion::physical_plan::displayable(plan.as_ref()).indent(true).to_string();
        Ok((plain, ctx.sql(&sql).await?.collect().await?, plan))
    })?;
    assert_eq!(strings(&bucketed, "account_id"), strings(&plain, "account_id"));
    let priorities = |batches: &[RecordBatch]| -> Vec<f64> {
        batches
            .iter()
            .flat_map(|b| {
                let s = b.column_by_name("s").expect("s").as_struct();
                s.column_by_name("priority").expect("priority").as_primitive::<Float64Type>().values().to_vec()
            })
            .collect()
    };
    let (a, b) = (priorities(&plain), priorities(&bucketed));
    assert_eq!(a.len(), top);
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{x} vs {y}");
    }
    // Each bucket's events are aggregated in the partition that reads them.
    assert!(plan.contains("AggregateExec: mode=SinglePartitioned"), "{plan}");
    assert!(!plan.contains("mode=Partial"), "{plan}");
    // Every event is in its account's bucket; with two buckets' events
    // swapped, those events are counted as left out.
    for k in [0, 1] {
        std::fs::create_dir_all(dir.join(format!("swapped/part={k}")))?;
        std::fs::copy(
            dir.join(format!("events/part={}/data.parquet", 1 - k)),
            dir.join(format!("swapped/part={k}/data.parquet")),
        )?;
    }
    std::fs::create_dir_all(dir.join("swapped/part=2"))?;
    std::fs::copy(dir.join("events/part=2/data.parquet"), dir.join("swapped/part=2/data.parquet"))?;
    let counts = run(async {
        let mut counts = Vec::new();
        for (events, bucketed) in [("events", false), ("events", true), ("swapped", true)] {
            let ctx = SessionContext::new();
            let options = if bucketed { buckets.read_options() } else { ParquetReadOptions::default() };
            ctx.register_parquet("accounts", path("accounts"), options.clone()).await?;
            ctx.register_parquet("events", path(events), options).await?;
            let sql = if bucketed { buckets.unmatched_events_sql() } else { unmatched_events_sql() };
            let batches = ctx.sql(&sql).await?.collect().await?;
            counts.push(
                batches[0]
                    .column(0)
                    .as_primitive::<acctscore_datafusion::datafusion::arrow::datatypes::Int64Type>()
                    .value(0),
            );
        }
        Ok(counts)
    })?;
    let events_of = |k: u64| PoolGenerator::new(400).seed(30 + k).generate().events.len() as i64;
    assert_eq!(counts, [0, 0, events_of(0) + events_of(1)]);
    let e = Buckets::of_folder(dir.join("events"), "bucket").expect_err("no such folders").to_string();
    assert!(e.contains("no `bucket=<value>` folder"), "{e}");
    Ok(())
}
