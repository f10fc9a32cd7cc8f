//! A CSV of another schema: a CRM export with its own column names and `;`
//! as the delimiter, read with `Frame::from_csv_path` and `CsvOptions`, its
//! columns named for the scorer with `ColumnMapping`, fitted on the deals
//! won or lost, and the open ones ranked with their reasons.
//!
//! ```sh
//! cargo run --release --example custom_schema [-- --accounts 10000 --dir /tmp/crm]
//! ```
//!
//! The export is written first from a generated pool into `--dir` (default: temp).

#[path = "common/mod.rs"]
mod common;

use acctscore::pool::{PoolGenerator, write_accounts};
use acctscore::prelude::*;
use clap::Parser;
use std::path::{Path, PathBuf};

/// Fit and score a CSV of another schema through a column mapping.
#[derive(Parser, Debug)]
pub(crate) struct Args {
    /// Accounts to generate (the first 80% are closed deals, the rest open).
    #[arg(long, default_value_t = 10_000, value_parser = common::accounts)]
    accounts: usize,
    /// Folder for the export (default: a temporary folder).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// The CRM's names for some of the pool's columns (the others keep theirs).
const RENAMED: [(&str, &str); 5] = [
    ("account_id", "Company ID"),
    ("industry", "Sector"),
    ("employees", "Headcount"),
    ("monthly_revenue_usd", "MRR (USD)"),
    ("converted", "Won"),
];

/// Writes `accounts` as the CRM exports them: renamed columns, `;`-separated.
fn write_export(path: &Path, accounts: &[AccountRecord]) -> Result<(), common::BoxError> {
    let mut pool_csv = Vec::new();
    write_accounts(&mut pool_csv, accounts)?;
    let mut reader = csv::Reader::from_reader(pool_csv.as_slice());
    let mut out = csv::WriterBuilder::new().delimiter(b';').from_path(path)?;
    let header = reader.headers()?.iter().map(|c| RENAMED.iter().find(|(p, _)| *p == c).map_or(c, |(_, crm)| crm));
    out.write_record(header)?;
    for row in reader.records() {
        out.write_record(&row?)?;
    }
    Ok(out.flush()?)
}

pub(crate) fn run(args: &Args) -> Result<(), common::BoxError> {
    let dir = args.dir.clone().unwrap_or_else(|| std::env::temp_dir().join("acctscore-custom-schema"));
    std::fs::create_dir_all(&dir)?;
    let mut closed = PoolGenerator::try_new(args.accounts)?.seed(5).events(false).generate().accounts;
    let open: Vec<AccountRecord> =
        closed.split_off(args.accounts * 4 / 5).into_iter().map(|a| AccountRecord { converted: None, ..a }).collect();
    let (closed_csv, open_csv) = (dir.join("crm_closed.csv"), dir.join("crm_open.csv"));
    write_export(&closed_csv, &closed)?;
    write_export(&open_csv, &open)?;

    // Read: the delimiter, and the id column kept as text (never a number).
    let frame = Frame::from_csv_path(&closed_csv, &CsvOptions::new().delimiter(b';').id("Company ID"))?;
    // Map: which column holds what the components read (the others are ICP features).
    let mapping = ColumnMapping::new()
        .id("Company ID")
        .label("Won")
        .industry("Sector")
        .employees("Headcount")
        .monthly_revenue("MRR (USD)")
        .business_model("business_model")
        .not_feature("job_title_of_contact");
    let scorer = ScorerParams::new().mapping(mapping).fit(&frame)?;
    println!("{}", scorer.fit_report());

    // Score: the model reads a batch with the kinds it was fitted on.
    let batch = scorer.read_csv_path(&open_csv, &CsvOptions::new().delimiter(b';'))?;
    for (rank, s) in scorer.top_n(&batch, None, 10)?.iter().enumerate() {
        let why: Vec<String> =
            s.reasons.iter().take(3).map(|r| format!("{} ({:+.3})", r.text, r.contribution)).collect();
        println!("{:>2}. {} priority {:.3} tier {}: {}", rank + 1, s.account_id, s.priority, s.tier, why.join(", "));
    }
    Ok(())
}

fn main() {
    if let Err(e) = run(&Args::parse()) {
        eprintln!("custom_schema: {e}");
        std::process::exit(1);
    }
}
