//! `acctscore demo`: the first command to run. Generates a pool (as
//! `generate`, into `--dir`), fits every model on its history (as `fit`),
//! ranks the open accounts with their activity (as `score --all`), writes
//! `ranked.csv`, and prints the top 20 with their reasons and the paths of
//! the files written — which the other subcommands then take as inputs.

use crate::cmd::{generate, score};
use crate::common::{self, Context, Result, Schema, Ui};
use crate::ranked;
use acctscore::core::Timestamp;
use acctscore::pool::read_accounts_frame;
use acctscore::{AccountScore, Scorer, ScorerParams};
use std::path::{Path, PathBuf};

/// Options of `demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Folder for the generated pool, the model and the outputs (created if absent).
    #[arg(long, value_name = "DIR", default_value = "acctscore-demo")]
    pub dir: PathBuf,
    /// Accounts to generate (the last fifth are the open accounts ranked).
    #[arg(long, value_name = "N", default_value_t = 20_000, value_parser = common::accounts)]
    pub accounts: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Accounts to print.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = common::count)]
    pub top: usize,
}

/// The model file `demo` writes.
pub const MODEL: &str = "scorer.json";
/// The ranked open accounts `demo` writes.
pub const RANKED: &str = "ranked.csv";

/// The HTML report of a ranking: the hook `demo` calls once `ranked.csv` is
/// written.
///
/// TODO(issue 19, `acctscore report`): write `report.html` in `dir` from
/// the ranked accounts (and the truth for the charts) and return its path.
/// Until the report subcommand exists it writes nothing and returns `None`,
/// so `demo` lists no report among its files.
///
/// # Errors
/// None yet; the report's own once it exists.
pub fn write_report(_ui: &Ui, _dir: &Path, _ranked: &[AccountScore]) -> Result<Option<PathBuf>> {
    Ok(None)
}

/// Runs `demo`.
///
/// # Errors
/// A folder or file that cannot be written; a fit or scoring error.
pub fn run(ui: &Ui, args: Args) -> Result<()> {
    let split = generate::generate(ui, args.accounts, args.seed, generate::DEFAULT_OPEN_SHARE, generate::DEFAULT_REPS)?;
    let written = generate::write(ui, &args.dir, &split)?;
    let mut files: Vec<(PathBuf, String)> =
        written.files.iter().map(|(p, n)| (p.clone(), format!("{n} rows"))).collect();

    let history_path = args.dir.join(generate::HISTORY);
    let history = ui.stage("reading the history", || read_accounts_frame(&history_path))?;
    let scorer = ui
        .stage("fitting every model", || ScorerParams::new().fit(&history))
        .with_context(|| format!("fitting on {}", history_path.display()))?;
    let model_path = args.dir.join(MODEL);
    scorer.save(&model_path).with_context(|| format!("writing {}", model_path.display()))?;
    files.push((model_path.clone(), scorer.icp().choice().family.name().to_string()));

    // Scored as `acctscore score` scores: the file read back, with the model's kinds.
    let scorer = Scorer::load(&model_path).with_context(|| format!("model file {}", model_path.display()))?;
    let open_path = args.dir.join(generate::OPEN);
    let open = ui.stage("reading the open accounts", || common::read_batch(&scorer, &Schema::Pool, &open_path))?;
    let now = Timestamp::from_unix_seconds(split.now);
    let events = args.dir.join(generate::EVENTS);
    let ranked = score::rank(ui, &scorer, &open, score::Engagement::Events(&events), Some(now), None)?;
    let ranked_path = args.dir.join(RANKED);
    ui.stage("writing the ranked accounts", || common::to_file(&ranked_path, |w| ranked::write_csv(w, &ranked, &[])))?;
    files.push((ranked_path, format!("{} rows", ranked.len())));
    if let Some(report) = write_report(ui, &args.dir, &ranked)? {
        files.push((report, "report".to_string()));
    }

    let m = scorer.metrics();
    common::to_stdout(|out| {
        writeln!(
            out,
            "fitted on {} accounts ({} converted); ICP model: {}",
            m.labelled_rows,
            m.positives,
            scorer.icp().choice()
        )?;
        writeln!(
            out,
            "ranked {} open accounts with their activity at {now}; the top {}:\n",
            ranked.len(),
            args.top.min(ranked.len())
        )?;
        ranked::write_text(out, &ranked[..args.top.min(ranked.len())])?;
        writeln!(
            out,
            "\nquality = ICP x revenue fit (the tier is a band of it); priority = quality damped by engagement (effort already spent)"
        )?;
        writeln!(out, "p(rev) = P(monthly revenue in $10k-$100k); reasons in percentage points of p(icp)\n")?;
        writeln!(out, "files written:")?;
        for (path, what) in &files {
            writeln!(out, "  {}  ({what})", path.display())?;
        }
        Ok(())
    })
}
