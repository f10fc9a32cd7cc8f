//! Quickstart: generate an account pool with its activity log, fit every
//! model, and print the 20 accounts most worth a call, each with its
//! priority, tier and the reasons behind it.
//!
//! ```sh
//! cargo run --release --example quickstart [-- --accounts 30000 --seed 42 --top 20]
//! ```
//!
//! Everything runs on data the repository generates: no files needed.

#[path = "common/mod.rs"]
mod common;

use acctscore::pool::PoolGenerator;
use acctscore::prelude::*;
use clap::Parser;
use std::process::ExitCode;
use std::time::Instant;

/// Rank a generated account pool for sales outreach.
#[derive(Parser, Debug)]
#[command(version, about)]
pub(crate) struct Args {
    /// Accounts to generate, at most 100 million (the first 80% have known
    /// outcomes and train the models).
    #[arg(long, default_value_t = 30_000, value_parser = common::accounts)]
    accounts: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// How many accounts to print.
    #[arg(long, default_value_t = 20, value_parser = common::count)]
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

pub(crate) fn run(args: &Args) -> Result<(), common::BoxError> {
    let start = Instant::now();
    let generator = PoolGenerator::try_new(args.accounts)?.seed(args.seed);
    let pool = generator.generate();
    let split = args.accounts * 4 / 5;
    let (history, prospects) = pool.accounts.split_at(split);
    // Prospects are open: their outcome is not known yet.
    let prospects: Vec<AccountRecord> = prospects
        .iter()
        .cloned()
        .map(|mut a| {
            a.converted = None;
            a
        })
        .collect();
    let generated = start.elapsed();

    let scorer = ScorerParams::new().fit(&accounts_to_frame(history)?)?;
    let fitted = start.elapsed();

    let frame = accounts_to_frame(&prospects)?;
    let ids: Vec<&str> = prospects.iter().map(|a| a.account_id.as_str()).collect();
    let now = Timestamp::from_unix_seconds(generator.reference_time());
    let (engagement, _) = scorer.engagement_from_events(&ids, &pool.events, now)?;
    let top = scorer.top_n(&frame, Some(&engagement), args.top)?;
    let rules = RuleSet::from_toml_str(RULES)?;
    let bound = rules.bind(&frame)?;
    let scored = start.elapsed();

    let m = scorer.metrics();
    eprintln!("ICP model: {}", m.icp_choice);
    eprintln!(
        "generated {} accounts and {} activities in {:.2?}; fitted on {} ({} converted) in {:.2?}; ranked {} prospects in {:.2?}\n",
        args.accounts,
        pool.events.len(),
        generated,
        m.labelled_rows,
        m.positives,
        fitted - generated,
        prospects.len(),
        scored - fitted
    );

    common::to_stdout(|out| {
        writeln!(
            out,
            "{:>3}  {:<13} {:>8} {:>7} {:>4} {:>6} {:>8} {:>6} {:>5}",
            "#", "account", "priority", "quality", "tier", "p(icp)", "revenue", "p(rev)", "eng"
        )?;
        for (rank, s) in top.iter().enumerate() {
            let row = ids.iter().position(|id| *id == s.account_id).unwrap_or(0);
            let points = bound.points(row);
            let (revenue, p_rev, source) = s.revenue.as_ref().map_or((String::from("-"), 0.0, ""), |r| {
                (format!("${:.0}k", r.estimate / 1000.0), r.in_range.get(), r.source.as_str())
            });
            writeln!(
                out,
                "{:>3}. {:<13} {:>8.3} {:>7.3} {:>4} {:>6.3} {:>8} {:>6.2} {:>5.1}  {} rules {points} pts{}",
                rank + 1,
                s.account_id,
                s.priority,
                s.quality,
                s.tier,
                s.icp.get(),
                revenue,
                p_rev,
                s.engagement.unwrap_or(0.0),
                if rules.is_qualified(points) { "✓" } else { " " },
                if source.is_empty() { String::new() } else { format!("; p(rev) from {source} revenue") },
            )?;
            // The ICP probability as baseline + reasons, in percentage points
            // rounded so that the shown numbers add up to the shown total.
            writeln!(out, "     {}", s.icp_sum_line())?;
            if let Some(doubt) = s.data_doubt_line() {
                writeln!(out, "     {doubt}")?;
            }
        }
        writeln!(
            out,
            "\nquality = ICP × revenue fit (the tier is a band of it); priority = quality damped by engagement (effort already spent)"
        )?;
        writeln!(out, "p(rev) = P(monthly revenue in $10k–$100k); reasons in percentage points of p(icp)")?;
        writeln!(
            out,
            "rules: the weighted rules in examples/rules/icp_rules.toml (✓ = qualified at ≥ {} points)",
            rules.threshold()
        )?;
        Ok(())
    })
}
