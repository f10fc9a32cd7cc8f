//! `acctscore demo`: the first command to run. Generates a pool (as
//! `generate`, into `--dir`), fits every model on its history (as `fit`),
//! ranks the open accounts with their activity (as `score --all`), writes
//! `ranked.csv`, and prints the top 20 with their reasons and the paths of
//! the files written — which the other subcommands then take as inputs.

use crate::cmd::{generate, score};
use crate::common::{self, Context, Result, Schema, Ui, fail};
use crate::ranked;
use acctscore::core::Timestamp;
use acctscore::pool::read_accounts_frame;
use acctscore::{AccountScore, Scorer, ScorerParams};
use acctscore_report::{ReportInput, ScoreReason, write_html};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Options of `demo`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Folder for the generated pool, the model and the outputs (created if absent).
    #[arg(long, value_name = "DIR", default_value = "acctscore-demo")]
    pub(crate) dir: PathBuf,
    /// Accounts to generate (the last fifth are the open accounts ranked).
    #[arg(long, value_name = "N", default_value_t = 20_000, value_parser = common::accounts)]
    pub(crate) accounts: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Accounts to print.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = common::count)]
    pub(crate) top: usize,
}

/// The model file `demo` writes.
pub(crate) const MODEL: &str = "scorer.json";
/// The ranked open accounts `demo` writes.
pub(crate) const RANKED: &str = "ranked.csv";
/// The HTML report's file name.
pub(crate) const REPORT: &str = "report.html";

/// The HTML report of a ranking: the hook `demo` calls once `ranked.csv` is
/// written.
///
/// Writes `report.html` in `dir`: the ranking of the open accounts judged
/// against their outcomes, which the generator knows (`truth.csv`), as
/// `acctscore report` draws it; returns its path.
///
/// # Errors
/// An account without its outcome in the truth; a report that cannot be written.
pub(crate) fn write_report(
    ui: &Ui,
    dir: &Path,
    ranked: &[AccountScore],
    split: &generate::SplitPool,
) -> Result<PathBuf> {
    let outcome: HashMap<&str, bool> = split
        .pool
        .truth
        .iter()
        .zip(&split.pool.accounts)
        .filter_map(|(t, a)| a.converted.map(|c| (t.account_id.as_str(), c)))
        .collect();
    let outcomes = ranked
        .iter()
        .map(|s| {
            outcome.get(s.account_id.as_str()).copied().ok_or_else(|| fail(format!("no outcome for {}", s.account_id)))
        })
        .collect::<Result<Vec<bool>>>()?;
    let scores: Vec<f64> = ranked.iter().map(|s| s.icp.get()).collect();
    let tiers: Vec<char> = ranked.iter().map(|s| s.tier).collect();
    let factors: Vec<Vec<ScoreReason>> = ranked
        .iter()
        .map(|s| s.reasons.iter().map(|r| ScoreReason::new(r.code.clone(), r.contribution)).collect())
        .collect();
    let input = ReportInput::new(&scores, &outcomes, &tiers)?
        .with_factors(&factors)?
        .title("acctscore demo: the open accounts against their (generated) outcomes")
        .score_name("icp");
    let path = dir.join(REPORT);
    ui.stage("writing the report", || write_html(&path, &input))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Runs `demo`.
///
/// # Errors
/// A folder or file that cannot be written; a fit or scoring error.
pub(crate) fn run(ui: &Ui, args: Args) -> Result<()> {
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
    let open = ui.stage("reading the open accounts", || common::read_batch(&scorer, &Schema::Pool, &open_path, &[]))?;
    let now = Timestamp::from_unix_seconds(split.now);
    let events = args.dir.join(generate::EVENTS);
    let ranked = score::rank(
        ui,
        &scorer,
        &open,
        score::Engagement::Events(&events, &acctscore::pool::EventOptions::new()),
        Some(now),
        None,
    )?;
    let ranked_path = args.dir.join(RANKED);
    ui.stage("writing the ranked accounts", || common::to_file(&ranked_path, |w| ranked::write_csv(w, &ranked, &[])))?;
    files.push((ranked_path, format!("{} rows", ranked.len())));
    let report = write_report(ui, &args.dir, &ranked, &split)?;
    files.push((report, "the HTML report: gains, lift, reliability, tiers, factors".to_string()));

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
