//! `acctscore generate`: a seeded account pool on disk, split into the
//! history (accounts with outcomes) and the open accounts, with the
//! activity log, the reps and the hidden truth.
//!
//! Files written in `--out DIR` (each whole):
//!
//! | file | what |
//! |---|---|
//! | `history.csv` | the first accounts (1 − `--open-share`), pool format, `converted` 1/0 |
//! | `open_accounts.csv` | the rest, pool format, `converted` empty (unknown) |
//! | `events.csv` | every activity of both: `account_id,kind,timestamp,rep_id`, in time order |
//! | `reps.csv` | `rep_id,capacity`: every rep of `events.csv`; capacities in accounts, unequal (as senior and junior reps') |
//! | `truth.csv` | `account_id,set,p_true,converted,anomaly`: the generator's hidden truth |
//!
//! The names are those the README's embedding example reads.

use crate::common::{self, Context, Result, Ui};
use acctscore::pool::{AccountRecord, GeneratedPool, PoolGenerator, write_accounts_path, write_events_path};
use std::path::{Path, PathBuf};

/// Options of `generate`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Accounts to generate.
    #[arg(long, value_parser = common::accounts)]
    pub(crate) accounts: usize,
    /// Seed of the generator (the same seed gives the same files, byte for byte).
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Share of the accounts that are open (no outcome yet), the last ones.
    #[arg(long, default_value_t = DEFAULT_OPEN_SHARE, value_parser = common::open_share)]
    pub(crate) open_share: f64,
    /// Reps the activities are spread over.
    #[arg(long, default_value_t = DEFAULT_REPS, value_parser = |s: &str| common::count_in(s, 1000))]
    pub(crate) reps: usize,
    /// Folder to write the files in (created if absent).
    #[arg(long)]
    pub(crate) out: PathBuf,
}

/// The share of open accounts without `--open-share`.
pub(crate) const DEFAULT_OPEN_SHARE: f64 = 0.2;
/// The reps without `--reps`.
pub(crate) const DEFAULT_REPS: usize = 12;

/// File names of a generated pool: the history (accounts with outcomes).
pub(crate) const HISTORY: &str = "history.csv";
/// Open accounts (no outcome).
pub(crate) const OPEN: &str = "open_accounts.csv";
/// The activity log.
pub(crate) const EVENTS: &str = "events.csv";
/// The reps and their capacities.
pub(crate) const REPS: &str = "reps.csv";
/// The hidden truth.
pub(crate) const TRUTH: &str = "truth.csv";

/// Capacity weights dealt to the reps in turn, so that capacities differ
/// (a rep of large accounts works fewer of them).
const CAPACITY_WEIGHTS: [f64; 3] = [1.25, 1.0, 0.75];

/// A pool generated and split, as written.
#[derive(Debug)]
pub(crate) struct SplitPool {
    /// The generator's output (accounts with every outcome).
    pub(crate) pool: GeneratedPool,
    /// Accounts in the history.
    pub(crate) history: usize,
    /// The open accounts, outcome cleared.
    pub(crate) open: Vec<AccountRecord>,
    /// The generator's reference time (events lie in the year before it).
    pub(crate) now: i64,
}

/// Generates `accounts` accounts and splits them: the last `open_share` are open.
///
/// # Errors
/// A count above the generator's maximum.
pub(crate) fn generate(ui: &Ui, accounts: usize, seed: u64, open_share: f64, reps: usize) -> Result<SplitPool> {
    let generator = PoolGenerator::try_new(accounts)?.seed(seed).reps(reps);
    let pool = ui.stage("generating the pool", || generator.generate());
    let open_rows = ((accounts as f64) * open_share).round() as usize;
    let history = accounts - open_rows.min(accounts);
    let open = pool.accounts[history..]
        .iter()
        .cloned()
        .map(|mut a| {
            a.converted = None;
            a
        })
        .collect();
    Ok(SplitPool { pool, history, open, now: generator.reference_time() })
}

/// The files of a pool written in `dir`, with their row counts.
#[derive(Debug)]
pub(crate) struct Written {
    /// (path, data rows) of each file, in the order written.
    pub(crate) files: Vec<(PathBuf, usize)>,
}

/// Writes the split pool's five files in `dir` (created if absent).
///
/// # Errors
/// A folder or file that cannot be written, naming it.
pub(crate) fn write(ui: &Ui, dir: &Path, split: &SplitPool) -> Result<Written> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut files = Vec::new();
    ui.stage("writing the pool files", || -> Result<()> {
        let path = dir.join(HISTORY);
        write_accounts_path(&path, &split.pool.accounts[..split.history])?;
        files.push((path, split.history));
        let path = dir.join(OPEN);
        write_accounts_path(&path, &split.open)?;
        files.push((path, split.open.len()));
        let path = dir.join(EVENTS);
        write_events_path(&path, &split.pool.events)?;
        files.push((path, split.pool.events.len()));
        let path = dir.join(REPS);
        let reps = write_reps(&path, split)?;
        files.push((path, reps));
        let path = dir.join(TRUTH);
        write_truth(&path, split)?;
        files.push((path, split.pool.truth.len()));
        Ok(())
    })?;
    Ok(Written { files })
}

/// Writes `rep_id,capacity`: every rep of the activity log, sorted by id;
/// capacities (in accounts) shared out of the open accounts' count by the
/// weights dealt in turn (each at least 1). Returns the number of reps.
fn write_reps(path: &Path, split: &SplitPool) -> Result<usize> {
    let mut reps: Vec<&str> = split.pool.events.iter().filter_map(|e| e.rep_id.as_deref()).collect();
    reps.sort_unstable();
    reps.dedup();
    let weights: Vec<f64> = (0..reps.len()).map(|k| CAPACITY_WEIGHTS[k % CAPACITY_WEIGHTS.len()]).collect();
    let total: f64 = weights.iter().sum();
    common::to_file(path, |w| {
        let mut w = csv::Writer::from_writer(w);
        w.write_record(["rep_id", "capacity"])?;
        for (k, rep) in reps.iter().enumerate() {
            let capacity = ((split.open.len() as f64) * weights[k] / total).round().max(1.0) as u64;
            w.write_record([*rep, &capacity.to_string()])?;
        }
        w.flush()?;
        Ok(())
    })?;
    Ok(reps.len())
}

/// Writes `account_id,set,p_true,converted,anomaly` for every account:
/// `set` is `history` or `open`, `converted` the generated outcome (also
/// for the open accounts, whose files leave it empty).
fn write_truth(path: &Path, split: &SplitPool) -> Result<()> {
    common::to_file(path, |w| {
        let mut w = csv::WriterBuilder::new().buffer_capacity(1 << 20).from_writer(w);
        w.write_record(["account_id", "set", "p_true", "converted", "anomaly"])?;
        for (k, (t, a)) in split.pool.truth.iter().zip(&split.pool.accounts).enumerate() {
            let converted = match a.converted {
                Some(true) => "1",
                Some(false) => "0",
                None => "",
            };
            let set = if k < split.history { "history" } else { "open" };
            w.write_record([t.account_id.as_str(), set, &t.p_true.to_string(), converted, t.anomaly])?;
        }
        w.flush()?;
        Ok(())
    })
}

/// Runs `generate`.
///
/// # Errors
/// As [`generate()`] and [`write()`].
pub(crate) fn run(ui: &Ui, args: Args) -> Result<()> {
    let split = generate(ui, args.accounts, args.seed, args.open_share, args.reps)?;
    let written = write(ui, &args.out, &split)?;
    common::to_stdout(|out| {
        for (path, rows) in &written.files {
            writeln!(out, "{}\t{rows} rows", path.display())?;
        }
        Ok(())
    })
}
