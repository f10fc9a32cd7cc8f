//! `acctscore`: the command line of acctscore — one tool for the whole
//! workflow on account files: generate a pool, check a file's data quality,
//! fit every model, score and rank, explain one account, evaluate a scoring,
//! keep engagement fresh, deal accounts to reps, and draw the HTML report.
//!
//! Conventions shared by every subcommand: long options; `--out` for the
//! files written (whole: a failed run leaves a previous file as it was);
//! `--format text|csv|json` where a table is printed on stdout; `-q`/`-v`
//! for less or more on stderr; exit code 0 on success, 1 for a failed run,
//! 2 for a usage error; an error is one line on stderr,
//! `error: <what>: <cause>: <cause>`.

mod cmd;
mod common;
mod mapfile;
mod ranked;

use clap::{Parser, Subcommand};
use common::{Ui, UsageError, Verbosity, error_line};
use std::process::ExitCode;

/// Score B2B accounts for sales outreach: generate, check, fit, score, explain, evaluate, assign, report.
#[derive(Parser, Debug)]
#[command(name = "acctscore", version, about, propagate_version = true)]
struct Cli {
    /// Errors and warnings only on stderr (no notes, no progress).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Also a line per stage with its seconds on stderr.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

/// The subcommands, each with a module in `cmd/`.
#[derive(Subcommand, Debug)]
enum Command {
    /// Generate a pool, fit every model, rank the open accounts and print the top 20 with reasons.
    Demo(cmd::demo::Args),
    /// Write a generated account pool: history, open accounts, events with reps, reps, truth.
    Generate(cmd::generate::Args),
    /// The data-quality report of a CSV against a target (leakage, placeholders, id-like, ...).
    Quality(cmd::quality::Args),
    /// Fit every model on accounts with outcomes and save the model file.
    Fit(cmd::fit::Args),
    /// Rank accounts with priority, tier, every component and the reasons.
    Score(cmd::score::Args),
    /// One account in full: each number, its reasons adding up, anomalies, engagement by kind.
    Explain(cmd::explain::Args),
    /// Evaluate a score column against outcomes: AUC, lift, calibration, thresholds, drift.
    Evaluate(cmd::evaluate::Args),
    /// Keep a pool's engagement in a state file: `init` from the whole log, `update` with new activities only.
    Engagement(cmd::engagement::Args),
    /// Deal ranked accounts to reps within capacity, value shares following capacity shares, owners kept.
    Assign(cmd::assign::Args),
    /// One self-contained HTML report (SVG charts with their tables) of a scored file with outcomes.
    Report(cmd::report::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(&e),
    };
    let verbosity = if cli.quiet {
        Verbosity::Quiet
    } else if cli.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let ui = Ui::new(verbosity);
    let result = match cli.command {
        Command::Demo(a) => cmd::demo::run(&ui, a),
        Command::Generate(a) => cmd::generate::run(&ui, a),
        Command::Quality(a) => cmd::quality::run(&ui, a),
        Command::Fit(a) => cmd::fit::run(&ui, a),
        Command::Score(a) => cmd::score::run(&ui, a),
        Command::Explain(a) => cmd::explain::run(&ui, a),
        Command::Evaluate(a) => cmd::evaluate::run(&ui, a),
        Command::Engagement(a) => cmd::engagement::run(&ui, a),
        Command::Assign(a) => cmd::assign::run(&ui, a),
        Command::Report(a) => cmd::report::run(&ui, a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            common::to_stderr(format_args!("error: {}\n", error_line(&*e)));
            if e.downcast_ref::<UsageError>().is_some() { ExitCode::from(2) } else { ExitCode::FAILURE }
        }
    }
}

/// Help and version on stdout (exit 0); a usage error as one line on
/// stderr, with where to find help (exit 2, as clap's own).
fn clap_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        // Help read through `| head` ends quietly, not with a panic.
        use std::io::Write;
        let _ = write!(std::io::stdout().lock(), "{e}");
        return ExitCode::SUCCESS;
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        common::to_stderr(e);
        return ExitCode::from(2);
    }
    let text = e.to_string();
    let line: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:"))
        .filter(|l| !l.is_empty() && !l.starts_with("tip:"))
        .collect();
    common::to_stderr(format_args!(
        "error: {} (see `acctscore --help`)\n",
        line.join(" ").trim_start_matches("error: ")
    ));
    ExitCode::from(2)
}
