//! The ranking query over three worker processes on 127.0.0.1 equals the
//! single-process `Scorer` on the same pool: the same ids in the same order,
//! every number within 1e-9, every string equal; and every worker ran
//! tasks.

use acctscore_core::Timestamp;
use acctscore_datafusion::datafusion::arrow::array::RecordBatch;
use acctscore_datafusion::datafusion::physical_plan::collect;
use acctscore_datafusion::datafusion::prelude::ParquetReadOptions;
use acctscore_datafusion::distributed::{ClusterParams, LocalWorkers, display_plan};
use acctscore_datafusion::{ranking_sql, write_ranked};
use acctscore_scorer::pool::{
    PoolGenerator, RANKED_COLUMNS, read_accounts_frame, read_engagement_path, write_accounts_parquet,
    write_events_parquet,
};
use acctscore_scorer::{Scorer, ScorerParams};
use std::path::{Path, PathBuf};

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const WORKERS: usize = 3;

/// A pool as one file each (the single-process path) and as three Parquet
/// files each (the distributed path), and a model file.
fn pool(dir: &Path) -> Result<(Scorer, i64), Error> {
    let generated = PoolGenerator::new(3_000).seed(29).generate();
    for part in ["whole", "accounts", "events"] {
        std::fs::create_dir_all(dir.join(part))?;
    }
    write_accounts_parquet(dir.join("whole/accounts.parquet"), &generated.accounts)?;
    write_events_parquet(dir.join("whole/events.parquet"), &generated.events)?;
    let (a, e) = (generated.accounts.len().div_ceil(WORKERS), generated.events.len().div_ceil(WORKERS));
    for (k, rows) in generated.accounts.chunks(a).enumerate() {
        write_accounts_parquet(dir.join(format!("accounts/part-{k}.parquet")), rows)?;
    }
    for (k, rows) in generated.events.chunks(e).enumerate() {
        write_events_parquet(dir.join(format!("events/part-{k}.parquet")), rows)?;
    }
    let scorer = ScorerParams::new().fit(&read_accounts_frame(dir.join("whole/accounts.parquet"))?)?;
    scorer.save(dir.join("model.json"))?;
    let now = generated.events.iter().map(|e| e.timestamp).max().unwrap_or(0);
    Ok((Scorer::load(dir.join("model.json"))?, now))
}

/// The ranked-output CSV as rows of fields.
fn rows(csv: &[u8]) -> Result<Vec<Vec<String>>, Error> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(csv);
    Ok(r.records().map(|rec| rec.map(|rec| rec.iter().map(str::to_string).collect())).collect::<Result<_, _>>()?)
}

/// Two fields equal: numbers within 1e-9, `code:+c;…` reasons with the same
/// codes and contributions within 1e-9, anything else byte for byte.
fn same_field(column: &str, got: &str, want: &str) -> bool {
    let close = |a: &str, b: &str| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9,
        _ => a == b,
    };
    match column {
        "reasons" => {
            let split = |s: &str| -> Vec<(String, String)> {
                s.split(';')
                    .filter(|r| !r.is_empty())
                    .map(|r| {
                        let (code, c) = r.rsplit_once(':').unwrap_or((r, ""));
                        (code.to_string(), c.to_string())
                    })
                    .collect()
            };
            let (g, w) = (split(got), split(want));
            g.len() == w.len() && g.iter().zip(&w).all(|((gc, gv), (wc, wv))| gc == wc && close(gv, wv))
        }
        "account_id" | "tier" | "revenue_source" | "anomaly_checks" | "rank" => got == want,
        _ => close(got, want),
    }
}

#[test]
fn three_workers_rank_as_the_single_process_scorer() -> Result<(), Error> {
    let dir = Dir(std::env::temp_dir().join(format!("acctscore-distributed-{}", std::process::id())));
    let (scorer, now) = pool(&dir.0)?;
    let top = 150;

    // The single-process path.
    let frame = read_accounts_frame(dir.0.join("whole/accounts.parquet"))?;
    let log = read_engagement_path(
        dir.0.join("whole/events.parquet"),
        frame.column("account_id")?,
        scorer.engagement_model(),
        Some(Timestamp::from_unix_seconds(now)),
    )?;
    let mut want = Vec::new();
    acctscore_scorer::pool::write_ranked(&mut want, &scorer.top_n(&frame, Some(log.engagement.scores()), top)?, &[])?;

    // The distributed path.
    let workers = LocalWorkers::spawn(
        Path::new(env!("CARGO_BIN_EXE_acctscore-worker")),
        &[],
        &dir.0.join("model.json"),
        WORKERS,
    )?;
    let ctx = ClusterParams::new(workers.urls()).target_partitions(2).bytes_per_partition(1).context(&scorer)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let (plan, batches) = runtime.block_on(async {
        let path = |p: &str| dir.0.join(p).to_string_lossy().into_owned();
        ctx.register_parquet("accounts", path("accounts"), ParquetReadOptions::default()).await?;
        ctx.register_parquet("events", path("events"), ParquetReadOptions::default()).await?;
        let plan = ctx.sql(&ranking_sql(&scorer, now, top)).await?.create_physical_plan().await?;
        let text = display_plan(plan.as_ref());
        Ok::<_, Error>((text, collect(plan, ctx.task_ctx()).await?))
    })?;
    let mut got = Vec::new();
    write_ranked(&mut got, &batches)?;
    let reports = workers.stop()?;

    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), top);
    // Where each part runs: the partial aggregate of the events and the
    // priority of every account in the workers' stages, the explanation of
    // the rows kept on the coordinator (the plan's head, before the stages).
    let (head, stages) = plan.split_once("┌───── Stage").unwrap_or((plan.as_str(), ""));
    assert!(stages.contains("AggregateExec: mode=Partial"), "{plan}");
    assert!(stages.contains("acctscore_priority(") && !stages.contains("acctscore_score("), "{plan}");
    assert!(head.contains("acctscore_score("), "{plan}");
    for (k, r) in reports.iter().enumerate() {
        assert!(r.tasks > 0, "worker {k} ran no task: {reports:?}\n{plan}");
    }
    let (got, want) = (rows(&got)?, rows(&want)?);
    assert_eq!(got.len(), want.len());
    assert_eq!(got[0], RANKED_COLUMNS.iter().map(|c| c.to_string()).collect::<Vec<_>>());
    for (g, w) in got.iter().zip(&want).skip(1) {
        for ((column, gf), wf) in RANKED_COLUMNS.iter().zip(g).zip(w) {
            assert!(same_field(column, gf, wf), "{column} of rank {}: {gf:?} (workers) vs {wf:?} (Scorer)", w[0]);
        }
    }
    Ok(())
}

#[test]
fn a_worker_with_a_bad_model_is_an_error_that_names_the_file() -> Result<(), Error> {
    let dir = Dir(std::env::temp_dir().join(format!("acctscore-distributed-bad-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0)?;
    let model = dir.0.join("model.json");
    std::fs::write(&model, "{not a model")?;
    let err = LocalWorkers::spawn(Path::new(env!("CARGO_BIN_EXE_acctscore-worker")), &[], &model, 1)
        .expect_err("a bad model file");
    let message = err.to_string();
    assert!(message.contains("listening=") && message.contains("model.json"), "{message}");
    Ok(())
}
