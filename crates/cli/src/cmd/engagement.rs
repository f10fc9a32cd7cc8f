//! `acctscore engagement`: a pool's engagement kept in a state file, so that
//! a refresh every few hours folds in only the new activities instead of
//! reading the whole history again.
//!
//! - `engagement init --model MODEL --accounts FILE --events FILE --out STATE`
//!   reads the whole activity log once;
//! - `engagement update --model MODEL --state STATE --events NEW_EVENTS`
//!   folds only the new activities into the state (written whole, in place
//!   or to `--out`);
//! - `score --engagement-state STATE` scores with it instead of `--events`.
//!
//! The state holds the accounts' ids and one running sum per account and
//! half-life class ([`EngagementStore`]); its engagement equals a
//! recomputation from the whole log within 1e-12 relative (the sums are added
//! in another order).

use crate::common::{self, Context, Result, Schema, Ui, fail, load_model};
use acctscore::pool::{EngagementStore, FoldReport};
use std::path::{Path, PathBuf};

/// Options of `engagement`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Build the engagement state of the accounts from their whole activity log.
    Init(InitArgs),
    /// Fold new activities into a saved engagement state.
    Update(UpdateArgs),
}

/// Options of `engagement init`.
#[derive(clap::Args, Debug)]
pub(crate) struct InitArgs {
    /// The model (its engagement settings and id column) and the accounts
    /// whose engagement the state keeps.
    #[command(flatten)]
    pub(crate) input: common::ModelAccounts,
    /// The whole activity log (`account_id,kind,timestamp[,rep_id]`, or the
    /// columns of the mapping file's `[events]` section).
    #[arg(long, value_name = "FILE")]
    pub(crate) events: PathBuf,
    /// State file to write.
    #[arg(long, value_name = "STATE")]
    pub(crate) out: PathBuf,
}

/// Options of `engagement update`.
#[derive(clap::Args, Debug)]
pub(crate) struct UpdateArgs {
    /// Model file the state was made with.
    #[arg(long, value_name = "MODEL")]
    pub(crate) model: PathBuf,
    /// State file written by `engagement init` or a previous update.
    #[arg(long, value_name = "STATE")]
    pub(crate) state: PathBuf,
    /// The activities that arrived since the state was last brought up to date.
    #[arg(long, value_name = "NEW_EVENTS")]
    pub(crate) events: PathBuf,
    /// Where to write the updated state (default: replace `--state`, whole).
    #[arg(long, value_name = "STATE")]
    pub(crate) out: Option<PathBuf>,
    /// Mapping file whose `[events]` section says how the activity log is read.
    #[arg(long, value_name = "FILE")]
    pub(crate) map: Option<PathBuf>,
}

/// Runs `engagement`.
///
/// # Errors
/// Unreadable files, a state of another model, a file that cannot be written.
pub(crate) fn run(ui: &Ui, args: Args) -> Result<()> {
    match args.command {
        Command::Init(a) => init(ui, a),
        Command::Update(a) => update(ui, a),
    }
}

fn init(ui: &Ui, args: InitArgs) -> Result<()> {
    let (scorer, schema, frame) = args.input.load(ui, &[])?;
    let id = common::id_column(&scorer)
        .ok_or_else(|| fail("engagement needs the model's account id column (map `id` in the mapping file)"))?;
    let options = schema.event_options()?;
    let (store, read) = ui.stage("reading the activity log", || {
        EngagementStore::from_events_path_with(&args.events, frame.column(id)?, scorer.engagement_model(), &options)
    })?;
    report(ui, &args.events, &read, false);
    save(ui, &store, &args.out)
}

fn update(ui: &Ui, args: UpdateArgs) -> Result<()> {
    let scorer = load_model(ui, &args.model)?;
    let options = Schema::from_option(args.map.as_deref())?.event_options()?;
    let mut store = ui
        .stage("reading the engagement state", || EngagementStore::load(&args.state, scorer.engagement_model()))
        .with_context(|| format!("engagement state {}", args.state.display()))?;
    let folded = ui.stage("folding the new activities", || {
        store.fold_events_path_with(&args.events, scorer.engagement_model(), &options)
    })?;
    report(ui, &args.events, &folded, true);
    save(ui, &store, args.out.as_deref().unwrap_or(&args.state))
}

/// Prints what a read of `events` added, with the activities of accounts the
/// state does not hold (left out, as when scoring) counted.
fn report(ui: &Ui, events: &Path, read: &FoldReport, update: bool) {
    ui.note(format_args!("{}: {} activities read", events.display(), read.rows));
    common::warn_undated(ui, events, read.undated);
    if read.unknown_accounts > 0 {
        ui.note(format_args!(
            "{}: {} activities whose account id (empty, or not {}) is left out{}",
            events.display(),
            read.unknown_accounts,
            if update { "one the state holds" } else { "in the accounts file" },
            if update { "; an account added since `engagement init` needs a new init" } else { "" }
        ));
    }
}

fn save(ui: &Ui, store: &EngagementStore, path: &Path) -> Result<()> {
    ui.stage("writing the engagement state", || store.save(path))?;
    let latest = store.latest().map_or_else(|| "none".to_string(), |t| t.to_string());
    common::to_stdout(|out| {
        writeln!(out, "{}\t{} accounts\tlatest activity {latest}", path.display(), store.n_accounts())?;
        Ok(())
    })
}
