//! acctscore on several machines, with
//! [datafusion-distributed](https://github.com/datafusion-contrib/datafusion-distributed):
//! workers are gRPC services that run stages of a DataFusion plan; the
//! coordinator plans the query and sends the stages to them.
//!
//! **Where the model lives.** Every worker loads the same model file and
//! registers acctscore's functions under their names ([`worker`]). The
//! model cannot travel in the plan: a worker resolves a function of the
//! plan by its name in its own session (datafusion-proto), and the engine's
//! codec never asks a user codec to encode a function. A model file is
//! small (kilobytes to a few megabytes) and is put where every worker reads
//! it (shared storage, the worker's image); [`Scorer::load`] refuses a file
//! of another format version, so a worker cannot score with a model it does
//! not understand.
//!
//! **What crosses the network.** The engagement aggregate runs partially on
//! the workers (one partial state per account and half-life class, the
//! engagement crate's running sums) and its states are shuffled by account
//! and merged exactly; the accounts are scanned, joined and ordered by
//! `acctscore_priority` on the workers, each keeping its best rows; the
//! coordinator merges them and explains the rows kept with
//! `acctscore_score`.
//!
//! [`worker_main`] is the whole worker process (the `acctscore-worker`
//! binary); [`LocalWorkers`] starts such processes on 127.0.0.1 and stops
//! them; [`ClusterParams`] makes the coordinator's context.

use crate::register;
use acctscore_scorer::Scorer;
use datafusion::error::DataFusionError;
use datafusion::execution::{FunctionRegistry, SessionState, SessionStateBuilder};
use datafusion::prelude::SessionContext;
use datafusion_distributed::{DistributedExt, SessionStateBuilderExt, Worker, WorkerQueryContext, WorkerResolver};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The datafusion-distributed this module is built with.
pub use datafusion_distributed;
pub use url::Url;

/// The distributed plan as text: its stages, the tasks of each, and their
/// operators (run the query's physical plan through the coordinator's
/// context first).
pub fn display_plan(plan: &dyn datafusion::physical_plan::ExecutionPlan) -> String {
    datafusion_distributed::display_plan_ascii(plan, false)
}

/// A worker whose sessions have acctscore's functions of `scorer`
/// registered; each task it runs adds one to `tasks`. Serve it with
/// `tonic::transport::Server::builder().add_service(worker.into_worker_server())`.
pub fn worker(scorer: Arc<Scorer>, tasks: Arc<AtomicUsize>) -> Worker {
    Worker::from_session_builder(move |ctx: WorkerQueryContext| {
        let (scorer, tasks) = (Arc::clone(&scorer), Arc::clone(&tasks));
        async move {
            tasks.fetch_add(1, Ordering::Relaxed);
            worker_session(ctx.builder.build(), &scorer)
        }
    })
}

/// Registers the functions after `build()`: the builder's
/// `with_scalar_functions` would replace DataFusion's built-in functions
/// (`coalesce`, `cast`…) instead of adding to them.
fn worker_session(mut state: SessionState, scorer: &Arc<Scorer>) -> Result<SessionState, DataFusionError> {
    state.register_udf(Arc::new(crate::score_udf(Arc::clone(scorer))))?;
    state.register_udf(Arc::new(crate::priority_udf(Arc::clone(scorer))))?;
    state.register_udaf(Arc::new(crate::engagement_udaf(Arc::new(scorer.engagement_model().clone()))))?;
    Ok(state)
}

/// The coordinator's settings: the workers and how finely a scan is split.
///
/// ```
/// use acctscore_datafusion::distributed::{ClusterParams, Url};
///
/// let params = ClusterParams::new(vec![Url::parse("http://127.0.0.1:50051")?])
///     .target_partitions(4)
///     .bytes_per_partition(64 << 20);
/// assert_eq!(params.workers().len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClusterParams {
    workers: Vec<Url>,
    target_partitions: usize,
    bytes_per_partition: usize,
}

impl ClusterParams {
    /// The workers' URLs (`http://host:port`); partitions per task: the
    /// machine's cores; 16 MiB of file per partition (the engine's default).
    pub fn new(workers: Vec<Url>) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        ClusterParams { workers, target_partitions: cores, bytes_per_partition: 16 << 20 }
    }

    /// Partitions a task reads in parallel (at least 1).
    pub fn target_partitions(mut self, n: usize) -> Self {
        self.target_partitions = n.max(1);
        self
    }

    /// Bytes of Parquet per partition when the engine decides how many
    /// tasks a scan gets (capped at the number of workers): a small value
    /// spreads even a small pool over every worker (at least 1).
    pub fn bytes_per_partition(mut self, bytes: usize) -> Self {
        self.bytes_per_partition = bytes.max(1);
        self
    }

    /// The workers.
    pub fn workers(&self) -> &[Url] {
        &self.workers
    }

    /// A context that plans queries over the workers, with acctscore's
    /// functions of `scorer` registered and [`session_config`](crate::session_config)'s
    /// batch size (the coordinator plans the SQL and
    /// runs the last stage). The workers must serve the same model.
    ///
    /// # Errors
    ///
    /// No worker, or a setting the engine refuses.
    pub fn context(&self, scorer: &Scorer) -> Result<SessionContext, DataFusionError> {
        if self.workers.is_empty() {
            return Err(DataFusionError::Configuration("a distributed context needs at least one worker".into()));
        }
        let state = SessionStateBuilder::new()
            .with_default_features()
            .with_config(crate::session_config().with_target_partitions(self.target_partitions))
            .with_distributed_planner()
            .with_distributed_worker_resolver(Workers(self.workers.clone()))
            .with_distributed_file_scan_config_bytes_per_partition(self.bytes_per_partition)?
            .build();
        let ctx = SessionContext::from(state);
        register(&ctx, scorer);
        Ok(ctx)
    }
}

/// A fixed list of workers.
struct Workers(Vec<Url>);

impl WorkerResolver for Workers {
    fn get_urls(&self) -> Result<Vec<Url>, DataFusionError> {
        Ok(self.0.clone())
    }
}

/// What a worker process reports when it stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerReport {
    /// Tasks it ran (its session was built once per task).
    pub tasks: usize,
    /// Its peak resident memory in KiB (`VmHWM`; `None` where the system
    /// does not say).
    pub peak_rss_kib: Option<u64>,
}

/// This process's peak resident memory in KiB (`VmHWM` of
/// `/proc/self/status`; `None` off Linux).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

const USAGE: &str = "usage: acctscore-worker --model MODEL [--listen ADDR (default 127.0.0.1:0)]";

/// The worker process: `--model MODEL [--listen ADDR]`. It loads the
/// model, listens (port 0: one the system picks), prints
/// `listening=<addr>` on stdout, serves until its stdin closes, then prints
/// `tasks=<n>` and `peak_rss_kib=<k>` and exits 0. A bad argument or model
/// is one line on stderr and exit code 1 (2 for usage).
pub fn worker_main(args: impl IntoIterator<Item = String>) -> ExitCode {
    let mut args = args.into_iter();
    let (mut model, mut listen) = (None, String::from("127.0.0.1:0"));
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--model", Some(v)) => model = Some(v),
            ("--listen", Some(v)) => listen = v,
            _ => {
                eprintln!("acctscore-worker: unexpected argument {arg:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(model) = model else {
        eprintln!("acctscore-worker: --model is required\n{USAGE}");
        return ExitCode::from(2);
    };
    match serve_until_stdin_closes(Path::new(&model), &listen) {
        Ok(tasks) => {
            println!("tasks={tasks}");
            println!("peak_rss_kib={}", peak_rss_kib().map_or(String::from("unknown"), |k| k.to_string()));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("acctscore-worker: {e}");
            ExitCode::FAILURE
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn serve_until_stdin_closes(model: &Path, listen: &str) -> Result<usize, BoxError> {
    let scorer = Scorer::load(model).map_err(|e| format!("model {}: {e}", model.display()))?;
    let addr: SocketAddr = listen.parse().map_err(|e| format!("--listen {listen:?}: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let tasks = Arc::new(AtomicUsize::new(0));
    let worker = worker(Arc::new(scorer), Arc::clone(&tasks));
    runtime.block_on(async {
        let incoming =
            tonic::transport::server::TcpIncoming::bind(addr).map_err(|e| format!("listen on {addr}: {e}"))?;
        let bound = incoming.local_addr()?;
        println!("listening={bound}");
        std::io::stdout().flush()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            // Until the coordinator closes the pipe (or dies): no signal handling needed.
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            let _ = stop.send(());
        });
        tonic::transport::Server::builder()
            .add_service(worker.into_worker_server())
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stopped.await;
            })
            .await?;
        Ok::<(), BoxError>(())
    })?;
    Ok(tasks.load(Ordering::Relaxed))
}

/// Worker processes on 127.0.0.1, each running [`worker_main`]; they stop
/// when [`stop`](LocalWorkers::stop) closes their stdin, or are killed when
/// this value is dropped.
#[derive(Debug)]
pub struct LocalWorkers {
    workers: Vec<LocalWorker>,
}

#[derive(Debug)]
struct LocalWorker {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    url: Url,
}

impl LocalWorkers {
    /// Starts `n` processes of `program` with `args` followed by `--model
    /// MODEL --listen 127.0.0.1:0`, and waits until each listens.
    ///
    /// # Errors
    ///
    /// A process that cannot start, or exits (a bad model) or prints
    /// something else before it listens, with what it wrote to stderr;
    /// those started are killed.
    pub fn spawn(program: &Path, args: &[&str], model: &Path, n: usize) -> std::io::Result<Self> {
        let mut started = LocalWorkers { workers: Vec::with_capacity(n) };
        for k in 0..n {
            let mut child = Command::new(program)
                .args(args)
                .arg("--model")
                .arg(model)
                .args(["--listen", "127.0.0.1:0"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                // Read on failure only: a worker writes to stderr only when it fails.
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| std::io::Error::new(e.kind(), format!("worker {k}: {}: {e}", program.display())))?;
            let (stdin, stdout) = (child.stdin.take(), child.stdout.take());
            let Some(stdout) = stdout else {
                let _ = child.kill();
                return Err(std::io::Error::other(format!("worker {k}: no stdout")));
            };
            let mut stdout = BufReader::new(stdout);
            let mut line = String::new();
            stdout.read_line(&mut line)?;
            let url =
                line.trim().strip_prefix("listening=").and_then(|addr| Url::parse(&format!("http://{addr}")).ok());
            let Some(url) = url else {
                let _ = child.kill();
                let _ = child.wait();
                return Err(std::io::Error::other(format!(
                    "worker {k}: expected listening=<addr> on its stdout, found {:?}; its stderr: {}",
                    line.trim(),
                    stderr_of(&mut child)
                )));
            };
            started.workers.push(LocalWorker { child, stdin, stdout, url });
        }
        Ok(started)
    }

    /// The workers' URLs, for [`ClusterParams::new`].
    pub fn urls(&self) -> Vec<Url> {
        self.workers.iter().map(|w| w.url.clone()).collect()
    }

    /// Closes every worker's stdin, waits for it to exit and reads its
    /// report, in the order of [`urls`](Self::urls).
    ///
    /// # Errors
    ///
    /// A worker that fails or reports something unreadable.
    pub fn stop(mut self) -> std::io::Result<Vec<WorkerReport>> {
        for w in &mut self.workers {
            drop(w.stdin.take());
        }
        let mut reports = Vec::with_capacity(self.workers.len());
        for (k, mut w) in std::mem::take(&mut self.workers).into_iter().enumerate() {
            let mut rest = String::new();
            w.stdout.read_to_string(&mut rest)?;
            let status = w.child.wait()?;
            let value = |key: &str| rest.lines().find_map(|l| l.strip_prefix(key)).map(str::trim);
            let tasks = value("tasks=").and_then(|v| v.parse().ok());
            match (status.success(), tasks) {
                (true, Some(tasks)) => reports
                    .push(WorkerReport { tasks, peak_rss_kib: value("peak_rss_kib=").and_then(|v| v.parse().ok()) }),
                _ => {
                    return Err(std::io::Error::other(format!(
                        "worker {k} ({}): exit {status}, report {rest:?}; its stderr: {}",
                        w.url,
                        stderr_of(&mut w.child)
                    )));
                }
            }
        }
        Ok(reports)
    }
}

/// What an exited worker wrote to stderr.
fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut text);
    }
    text.trim().to_string()
}

impl Drop for LocalWorkers {
    fn drop(&mut self) {
        for w in &mut self.workers {
            let _ = w.child.kill();
            let _ = w.child.wait();
        }
    }
}
