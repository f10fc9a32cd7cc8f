//! Quickstart: generate an account pool, fit an ICP model, and print the 20
//! accounts most worth a call, each with its tier and the reasons behind it.
//!
//! ```sh
//! cargo run --release --example quickstart [-- --accounts 30000 --seed 42 --top 20]
//! ```
//!
//! Everything runs on data the repository generates: no files needed.

use acctscore::prelude::*;
use clap::Parser;
use std::process::ExitCode;
use std::time::Instant;

/// Rank a generated account pool for sales outreach.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Accounts to generate (the first 80% have known outcomes and train the model).
    #[arg(long, default_value_t = 30_000)]
    accounts: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// How many accounts to print.
    #[arg(long, default_value_t = 20)]
    top: usize,
}

const RULES: &str = include_str!("rules/icp_rules.toml");

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quickstart: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Error> {
    let start = Instant::now();
    let pool = PoolGenerator::new(args.accounts).seed(args.seed).events(false).generate();
    let split = args.accounts * 4 / 5;
    let (history, prospects) = pool.accounts.split_at(split);
    // Prospects are open: their outcome is not known yet.
    let prospects: Vec<AccountRecord> =
        prospects.iter().cloned().map(|mut a| { a.converted = None; a }).collect();

    let generated = start.elapsed();
    let scorer = ScorerParams::new().fit(history)?;
    let fitted = start.elapsed();
    let rules = RuleSet::from_toml_str(RULES)?;
    let by_rules = ScorerParams::new().rules(rules.clone()).fit(history)?.score(&prospects)?;
    let top = scorer.top_n(&prospects, args.top)?;

    if let Some((pipeline, model)) = scorer.logistic() {
        eprintln!(
            "trained logistic regression on {} accounts ({} features, {} iterations, converged: {})",
            history.len(),
            pipeline.feature_names().len(),
            model.report().iterations,
            model.report().converged
        );
    }
    eprintln!(
        "generated in {:.2?}, fitted in {:.2?}, ranked {} prospects in {:.2?}\n",
        generated,
        fitted - generated,
        prospects.len(),
        start.elapsed() - fitted
    );

    println!("{:>3}  {:<13} {:>7} {:>4} {:>6}  reasons (log-odds vs an average account)", "#", "account", "p", "tier", "rules");
    for (rank, s) in top.iter().enumerate() {
        let points = by_rules.iter().find(|r| r.account_id == s.account_id).map_or(0.0, |r| r.raw);
        let reasons: Vec<String> =
            s.reasons.iter().map(|r| format!("{} ({:+.2})", r.text, r.contribution)).collect();
        println!(
            "{:>3}. {:<13} {:>7.3} {:>4} {:>4}{}  {}",
            rank + 1,
            s.account_id,
            s.score,
            s.tier,
            points,
            if rules.is_qualified(points) { "✓" } else { " " },
            reasons.join("; ")
        );
    }
    println!("\n✓ = qualified by the weighted rules in examples/rules/icp_rules.toml (≥ {} points)", rules.threshold());
    Ok(())
}
