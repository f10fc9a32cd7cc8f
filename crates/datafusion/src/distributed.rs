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
//! the workers: a partial state is one `Float64` per account and task, the
//! decayed sum at `now` of the activities that task read (or one per
//! activity where the engine skips partial aggregation). The states are
//! shuffled by account and added. The accounts are scanned, joined and
//! ordered by `acctscore_priority` on the workers, each task keeping its
//! best rows; the coordinator merges them and explains the rows kept with
//! `acctscore_score`.
//!
//! **Rounding.** Partial sums arrive in the order the tasks finish, so an
//! account's engagement (and its priority) may differ between runs in the
//! last bits: numbers agree to about 1e-15, not bit for bit, and two
//! accounts whose priorities tie to that precision may swap places.
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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The datafusion-distributed this module is built with.
pub use datafusion_distributed;
/// A worker's address, `http://host:port` (the `url` crate's type, as
/// datafusion-distributed takes it).
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
    /// The workers' URLs (`http://host:port`); partitions per task: this
    /// (the coordinator's) machine's cores; 16 MiB of file per partition
    /// (the engine's default).
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
            // The workers build their sessions from the engine's defaults; this carries the batch size to them.
            .with_distributed_shuffle_batch_size(crate::BATCH_SIZE)?
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

const USAGE: &str = "usage: acctscore-worker --model MODEL [--listen ADDR (default 127.0.0.1:0)] [--stop-on-stdin-eof]";

/// How long a stopping worker waits for open connections to finish.
const GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// The worker process: `--model MODEL [--listen ADDR] [--stop-on-stdin-eof]`.
///
/// It loads the model, listens (port 0: one the system picks), prints
/// `listening=<addr>` on stdout and serves until Ctrl-C or SIGTERM, or,
/// with `--stop-on-stdin-eof` (how [`LocalWorkers`] runs it), until its
/// stdin closes. Then it waits up to 10 s for open connections, prints
/// `tasks=<n>` and `peak_rss_kib=<k>` and exits 0. A bad model or address
/// is a message on stderr and exit code 1; a bad argument, exit code 2.
///
/// A worker runs whatever plan reaches it, over plain gRPC without
/// authentication, and reads any file it can: listen on a private network.
pub fn worker_main(args: impl IntoIterator<Item = String>) -> ExitCode {
    let mut args = args.into_iter();
    let (mut model, mut listen, mut stdin_eof) = (None, String::from("127.0.0.1:0"), false);
    while let Some(arg) = args.next() {
        if arg == "--stop-on-stdin-eof" {
            stdin_eof = true;
            continue;
        }
        match (arg.as_str(), args.next()) {
            ("--model", Some(v)) => model = Some(v),
            ("--listen", Some(v)) => listen = v,
            _ => {
                eprintln!("acctscore-worker: unexpected argument {arg:?}; {USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(model) = model else {
        eprintln!("acctscore-worker: --model is required; {USAGE}");
        return ExitCode::from(2);
    };
    match serve(Path::new(&model), &listen, stdin_eof) {
        Ok(tasks) => {
            // The coordinator may be gone: nobody to report to is not an error.
            let peak = peak_rss_kib().map_or(String::from("unknown"), |k| k.to_string());
            let _ = writeln!(std::io::stdout().lock(), "tasks={tasks}\npeak_rss_kib={peak}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("acctscore-worker: {e}");
            ExitCode::FAILURE
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Serves until told to stop; the number of tasks run.
fn serve(model: &Path, listen: &str, stdin_eof: bool) -> Result<usize, BoxError> {
    let scorer = Scorer::load(model).map_err(|e| format!("model: {e}"))?;
    let addr: SocketAddr = listen.parse().map_err(|e| format!("--listen {listen:?}: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let tasks = Arc::new(AtomicUsize::new(0));
    let worker = worker(Arc::new(scorer), Arc::clone(&tasks));
    runtime.block_on(async {
        let incoming =
            tonic::transport::server::TcpIncoming::bind(addr).map_err(|e| format!("listen on {addr}: {e}"))?;
        let bound = incoming.local_addr()?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening={bound}")?;
        out.flush()?;
        drop(out);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(
            tonic::transport::Server::builder().add_service(worker.into_worker_server()).serve_with_incoming_shutdown(
                incoming,
                async {
                    let _ = stopped.await;
                },
            ),
        );
        stop_signal(stdin_eof).await;
        let _ = stop.send(());
        match tokio::time::timeout(GRACE, server).await {
            Ok(joined) => Ok::<(), BoxError>(joined??),
            Err(_) => Err(format!("connections still open {} s after the stop", GRACE.as_secs()).into()),
        }
    })?;
    Ok(tasks.load(Ordering::Relaxed))
}

/// Ctrl-C, SIGTERM, or (when asked) the end of stdin.
async fn stop_signal(stdin_eof: bool) {
    let eof = async {
        if !stdin_eof {
            return std::future::pending().await;
        }
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            // Until the coordinator closes the pipe, or dies.
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            let _ = tx.send(());
        });
        let _ = rx.await;
    };
    let terminate = async {
        #[cfg(unix)]
        if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            term.recv().await;
            return;
        }
        std::future::pending::<()>().await
    };
    tokio::select! {
        _ = eof => {}
        _ = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// Worker processes on 127.0.0.1, each running [`worker_main`] with
/// `--stop-on-stdin-eof`; they stop when [`stop`](LocalWorkers::stop)
/// closes their stdin, and are killed when dropped before that.
#[derive(Debug)]
pub struct LocalWorkers {
    workers: Vec<LocalWorker>,
}

/// One worker process; killed and reaped when dropped (a no-op once it
/// has exited and been waited for).
#[derive(Debug)]
struct LocalWorker {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr: Arc<Mutex<String>>,
    url: Option<Url>,
}

impl Drop for LocalWorker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last bytes of a worker's stderr kept for its error message.
const STDERR_KEPT: usize = 16 << 10;

impl LocalWorker {
    fn start(program: &Path, args: &[&str], model: &Path) -> std::io::Result<Self> {
        let mut child = Command::new(program)
            .args(args)
            .arg("--model")
            .arg(model)
            .args(["--listen", "127.0.0.1:0", "--stop-on-stdin-eof"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", program.display())))?;
        let (stdin, stdout, pipe) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut pipe) = pipe {
            // Drained all along, so that a worker writing much to stderr never blocks on a full pipe.
            let kept = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut buf) {
                    if let Ok(mut text) = kept.lock() {
                        text.push_str(&String::from_utf8_lossy(&buf[..n]));
                        if text.len() > STDERR_KEPT {
                            let cut = text.len() - STDERR_KEPT;
                            let cut = (cut..text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
                            text.drain(..cut);
                        }
                    }
                }
            });
        }
        let Some(stdout) = stdout else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("no stdout"));
        };
        let mut worker = LocalWorker { child, stdin, stdout: BufReader::new(stdout), stderr, url: None };
        let mut line = String::new();
        worker.stdout.read_line(&mut line).map_err(|e| worker.error(format!("reading its stdout: {e}")))?;
        let url = line.trim().strip_prefix("listening=").and_then(|addr| Url::parse(&format!("http://{addr}")).ok());
        match url {
            Some(url) => {
                worker.url = Some(url);
                Ok(worker)
            }
            None => Err(worker.error(format!("expected listening=<addr> on its stdout, found {:?}", line.trim()))),
        }
    }

    /// Stops it (its stdin closed), waits, and reads its report.
    fn stop(mut self) -> std::io::Result<WorkerReport> {
        drop(self.stdin.take());
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).map_err(|e| self.error(format!("reading its report: {e}")))?;
        let status = self.child.wait()?;
        let value = |key: &str| rest.lines().find_map(|l| l.strip_prefix(key)).map(str::trim);
        match (status.success(), value("tasks=").and_then(|v| v.parse().ok())) {
            (true, Some(tasks)) => {
                Ok(WorkerReport { tasks, peak_rss_kib: value("peak_rss_kib=").and_then(|v| v.parse().ok()) })
            }
            _ => Err(self.error(format!("exit {status}, report {rest:?}"))),
        }
    }

    /// An error about this worker, with what it wrote to stderr (after it
    /// exited, or was killed, so that the message is whole).
    fn error(&mut self, what: String) -> std::io::Error {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The drain thread ends at the pipe's end; give it a moment to take the last bytes.
        std::thread::sleep(std::time::Duration::from_millis(50));
        let stderr = self.stderr.lock().map(|t| t.trim().to_string()).unwrap_or_default();
        let url = self.url.as_ref().map_or(String::new(), |u| format!("{u}: "));
        std::io::Error::other(format!("{url}{what}; its stderr: {stderr:?}"))
    }
}

impl LocalWorkers {
    /// Starts `n` processes of `program` with `args` followed by `--model
    /// MODEL --listen 127.0.0.1:0 --stop-on-stdin-eof`, and waits until
    /// each listens.
    ///
    /// # Errors
    ///
    /// A process that cannot start, or exits (a bad model) or prints
    /// something else before it listens, with what it wrote to stderr;
    /// those started are killed.
    pub fn spawn(program: &Path, args: &[&str], model: &Path, n: usize) -> std::io::Result<Self> {
        let mut workers = Vec::with_capacity(n);
        for k in 0..n {
            let worker = LocalWorker::start(program, args, model)
                .map_err(|e| std::io::Error::new(e.kind(), format!("worker {k}: {e}")))?;
            workers.push(worker);
        }
        Ok(LocalWorkers { workers })
    }

    /// The workers' URLs, for [`ClusterParams::new`].
    pub fn urls(&self) -> Vec<Url> {
        self.workers.iter().filter_map(|w| w.url.clone()).collect()
    }

    /// Closes every worker's stdin, waits for it to exit and reads its
    /// report, in the order of [`urls`](Self::urls).
    ///
    /// # Errors
    ///
    /// The first worker that fails or reports something unreadable, with
    /// its stderr; every worker is stopped or killed either way.
    pub fn stop(self) -> std::io::Result<Vec<WorkerReport>> {
        let mut workers = self.workers;
        for w in &mut workers {
            drop(w.stdin.take());
        }
        let reports: Vec<std::io::Result<WorkerReport>> = workers
            .into_iter()
            .enumerate()
            .map(|(k, w)| w.stop().map_err(|e| std::io::Error::new(e.kind(), format!("worker {k}: {e}"))))
            .collect();
        reports.into_iter().collect()
    }
}
