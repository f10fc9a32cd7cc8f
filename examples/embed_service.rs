//! Embedding a scorer in a service: load the saved `Scorer` once, `prepare`
//! the frame of open accounts once (schema checked, columns resolved), then
//! answer "score account X" by id with `PreparedScorer::score` (microseconds
//! each), with engagement from an `EngagementStore` that is built once from
//! the whole activity log and refreshed by folding in only new activities.
//!
//! ```sh
//! cargo run --release --example embed_service [-- --accounts 20000 --dir /tmp/svc]
//! ```
//!
//! It first writes what a service finds on disk (model, open accounts, activity
//! log, later activities) from a generated pool into `--dir` (default: temp).

#[path = "common/mod.rs"]
mod common;

use acctscore::pool::{AccountIndex, EngagementStore, PoolGenerator, read_accounts_frame};
use acctscore::pool::{write_accounts_path, write_events_path};
use acctscore::prelude::*;
use clap::Parser;
use std::path::PathBuf;

/// Score single accounts of a prepared frame, with engagement kept fresh.
#[derive(Parser, Debug)]
pub(crate) struct Args {
    /// Accounts to generate (the first 80% train the model, the rest are open).
    #[arg(long, default_value_t = 20_000, value_parser = common::accounts)]
    accounts: usize,
    /// Folder for the files the service reads (default: a temporary folder).
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> Result<(), common::BoxError> {
    let dir = args.dir.clone().unwrap_or_else(|| std::env::temp_dir().join("acctscore-embed-service"));
    std::fs::create_dir_all(&dir)?;
    // Offline, once: a model fitted on accounts with outcomes (`acctscore fit` does the same).
    let mut pool = PoolGenerator::try_new(args.accounts)?.seed(11).generate();
    let open = pool.accounts.split_off(args.accounts * 4 / 5);
    ScorerParams::new().fit(&accounts_to_frame(&pool.accounts)?)?.save(dir.join("model.json"))?;
    let open: Vec<AccountRecord> = open.into_iter().map(|a| AccountRecord { converted: None, ..a }).collect();
    write_accounts_path(dir.join("open.csv"), &open)?;
    pool.events.sort_by_key(|e| e.timestamp); // the activities of the last week arrive later
    let week = pool.events.last().map_or(0, |e| e.timestamp) - 7 * 86_400;
    let new = pool.events.split_off(pool.events.partition_point(|e| e.timestamp <= week));
    write_events_path(dir.join("events.csv"), &pool.events)?;
    write_events_path(dir.join("new_events.csv"), &new)?;

    // The service starts: everything per request is prepared here, once.
    let scorer = Scorer::load(dir.join("model.json"))?;
    let frame = read_accounts_frame(dir.join("open.csv"))?;
    let prepared = scorer.prepare(&frame)?; // schema checked, columns resolved: once
    let ids = frame.column("account_id")?;
    let index = AccountIndex::new(ids)?;
    let (mut store, read) = EngagementStore::from_events_path(dir.join("events.csv"), ids, scorer.engagement_model())?;
    let mut engagement = store.engagement_for(ids, None)?;
    println!("{} open accounts prepared; engagement of {} activities at {}", frame.nrows(), read.rows, engagement.now);

    // A request: score one account by id (here one that the new activities touch).
    let id = new.iter().map(|e| e.account_id.as_str()).find(|id| index.get(id.as_bytes()).is_some());
    let id = id.unwrap_or(open[0].account_id.as_str());
    let row = index.get(id.as_bytes()).ok_or_else(|| format!("no open account `{id}`"))?;
    let before = prepared.score(row, Some(engagement.scores[row]))?;

    // New activities arrive: fold only them in, keep the state on disk for a restart.
    let folded = store.fold_events_path(dir.join("new_events.csv"), scorer.engagement_model())?;
    store.save(dir.join("engagement.state"))?;
    engagement = store.engagement_for(ids, None)?;
    let after = prepared.score(row, Some(engagement.scores[row]))?;
    println!("folded {} new activities; engagement now at {}", folded.rows, engagement.now);
    for (when, s) in [("before", before), ("after", after)] {
        let why: Vec<String> =
            s.reasons.iter().take(2).map(|r| format!("{} ({:+.3})", r.text, r.contribution)).collect();
        let engaged = s.engagement.unwrap_or(0.0);
        println!(
            "{id} {when}: priority {:.3}, tier {}, engagement {engaged:.2}; {}",
            s.priority,
            s.tier,
            why.join(", ")
        );
    }
    Ok(())
}

fn main() {
    if let Err(e) = run(&Args::parse()) {
        eprintln!("embed_service: {e}");
        std::process::exit(1);
    }
}
