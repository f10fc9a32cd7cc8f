//! `acctscore score`: rank accounts with a saved model — priority, tier,
//! every component (ICP, revenue, anomaly, engagement) and the reasons —
//! into a CSV (the columns of `acctscore::pool::RANKED_COLUMNS`), best first (ties
//! by account id). Equal to the library's `Scorer::top_n` on the same
//! inputs.

use crate::common::{self, Context, Result, Ui, fail, usage};
use crate::ranked;
use acctscore::core::Timestamp;
use acctscore::frame::{Column, Frame};
use acctscore::pool::EventOptions;
use acctscore::{AccountScore, Scorer};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Options of `score`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) input: common::ModelAccounts,
    /// Activity log (`account_id,kind,timestamp[,rep_id]`) for engagement;
    /// without it, no engagement (priority = quality).
    #[arg(long, value_name = "FILE")]
    pub(crate) events: Option<PathBuf>,
    /// Engagement state kept by `engagement init`/`update`, instead of `--events`.
    #[arg(long, value_name = "STATE", conflicts_with = "events")]
    pub(crate) engagement_state: Option<PathBuf>,
    /// Time engagement is computed at: Unix seconds, YYYY-MM-DD or
    /// YYYY-MM-DDTHH:MM:SSZ (default: the latest activity); with `--events`,
    /// later activities are left out; with `--engagement-state`, it must not
    /// precede the latest activity held.
    #[arg(long, value_name = "T", value_parser = common::time)]
    pub(crate) now: Option<Timestamp>,
    /// How many accounts to write, best first.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = common::count, conflicts_with = "all")]
    pub(crate) top: usize,
    /// Write every account.
    #[arg(long)]
    pub(crate) all: bool,
    /// Input columns copied into the output after the ranked columns (e.g. the outcome, for `evaluate`).
    #[arg(long, value_name = "COL", value_delimiter = ',', num_args = 1..)]
    pub(crate) carry: Vec<String>,
    /// Ranked CSV to write (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
}

/// Every value of column `name` as text (empty for a missing value).
///
/// # Errors
/// A column of a kind without a text form.
pub(crate) fn column_text(frame: &Frame, name: &str) -> Result<Vec<String>> {
    let col = frame.column(name)?;
    let n = col.len();
    Ok(match col {
        Column::Categorical(c) => (0..n).map(|i| c.get(i).unwrap_or("").to_string()).collect(),
        Column::Text(v) => (0..n).map(|i| v.get(i).unwrap_or("").to_string()).collect(),
        Column::Numeric(v) => v.iter().map(|x| x.map(|x| x.to_string()).unwrap_or_default()).collect(),
        Column::Boolean(v) => v.iter().map(|x| x.map(|x| x.to_string()).unwrap_or_default()).collect(),
        Column::Timestamp(v) => v.iter().map(|x| x.map(|x| x.to_string()).unwrap_or_default()).collect(),
        other => return Err(fail(format!("column `{name}` of kind {:?} has no text form", other.kind()))),
    })
}

/// The account id of each row of `frame`, as the scores give them: the
/// model's id column as text, or the row number without one.
///
/// # Errors
/// An id column of a kind without a text form.
pub(crate) fn account_ids(scorer: &Scorer, frame: &Frame) -> Result<Vec<String>> {
    match common::id_column(scorer) {
        Some(id) => column_text(frame, id),
        None => Ok((0..frame.nrows()).map(|i| i.to_string()).collect()),
    }
}

/// The row of each account id of `frame` (ids as the scores give them).
///
/// # Errors
/// An id on two rows (`what` says what needs the ids unique).
pub(crate) fn rows_by_id(scorer: &Scorer, frame: &Frame, path: &Path, what: &str) -> Result<HashMap<String, usize>> {
    let ids = account_ids(scorer, frame)?;
    let mut rows = HashMap::with_capacity(ids.len());
    for (i, id) in ids.into_iter().enumerate() {
        if let Some(first) = rows.insert(id.clone(), i) {
            return Err(fail(format!(
                "{}: account id `{id}` is on data rows {} and {}; {what} needs unique ids",
                path.display(),
                first + 1,
                i + 1
            )));
        }
    }
    Ok(rows)
}

/// Scores `frame` (read from `path`) and ranks the best `n` (`None`: all).
///
/// # Errors
/// The engagement reader's and the scorer's errors.
pub(crate) fn rank(
    ui: &Ui,
    scorer: &Scorer,
    frame: &Frame,
    engagement: Engagement<'_>,
    now: Option<Timestamp>,
    n: Option<usize>,
) -> Result<Vec<AccountScore>> {
    let scores = match engagement {
        Engagement::None => None,
        Engagement::Events(e, options) => {
            Some(common::read_engagement(ui, scorer, frame, e, now, options)?.engagement.into_scores())
        }
        Engagement::State(path) => Some(common::read_engagement_state(ui, scorer, frame, path, now)?),
    };
    let n = n.unwrap_or(frame.nrows());
    Ok(ui.stage("scoring and ranking", || scorer.top_n(frame, scores.as_deref(), n))?)
}

/// Where the engagement of a scoring comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Engagement<'a> {
    /// No engagement (priority = quality).
    None,
    /// Read from the whole activity log, with these options.
    Events(&'a Path, &'a EventOptions),
    /// Read from a state kept by `engagement init`/`update`.
    State(&'a Path),
}

impl<'a> Engagement<'a> {
    /// The source `--events` (read with `options`) or `--engagement-state`
    /// names (clap keeps them exclusive).
    pub(crate) fn from_options(events: Option<&'a Path>, state: Option<&'a Path>, options: &'a EventOptions) -> Self {
        match (events, state) {
            (Some(e), _) => Engagement::Events(e, options),
            (None, Some(s)) => Engagement::State(s),
            (None, None) => Engagement::None,
        }
    }
}

/// Runs `score`.
///
/// # Errors
/// Unreadable files, a file that does not match the model, an absent `--carry` column.
pub(crate) fn run(ui: &Ui, args: Args) -> Result<()> {
    if args.now.is_some() && args.events.is_none() && args.engagement_state.is_none() {
        return Err(usage("--now needs --events or --engagement-state"));
    }
    let (scorer, schema, frame) = args.input.load(ui, &args.carry)?;
    for c in &args.carry {
        crate::cmd::fit::column_exists(&frame, &args.input.accounts, "--carry", c)?;
    }
    let n = (!args.all).then_some(args.top);
    let event_options = schema.event_options()?;
    let engagement = Engagement::from_options(args.events.as_deref(), args.engagement_state.as_deref(), &event_options);
    let ranked = rank(ui, &scorer, &frame, engagement, args.now, n)
        .with_context(|| format!("scoring {}", args.input.accounts.display()))?;
    let carried = if args.carry.is_empty() {
        Vec::new()
    } else {
        let rows = rows_by_id(&scorer, &frame, &args.input.accounts, "--carry")?;
        let order = ranked
            .iter()
            .map(|s| {
                rows.get(&s.account_id)
                    .copied()
                    .ok_or_else(|| fail(format!("scored account `{}` not found among the rows", s.account_id)))
            })
            .collect::<Result<Vec<usize>>>()?;
        let mut carried = Vec::new();
        for c in &args.carry {
            let values = column_text(&frame, c)?;
            carried.push((c.clone(), order.iter().map(|&i| values.get(i).cloned().unwrap_or_default()).collect()));
        }
        carried
    };
    ui.stage("writing the ranked accounts", || {
        common::to_file(&args.out, |w| ranked::write_csv(w, &ranked, &carried))
    })?;
    ui.note(format_args!(
        "ranked {} accounts; wrote the top {} to {}",
        frame.nrows(),
        ranked.len(),
        args.out.display()
    ));
    if let Some(counts) = anomaly_counts(&ranked) {
        ui.note(format_args!("anomaly checks of the accounts written: {counts}"));
    }
    Ok(())
}

/// How many of `ranked` the anomaly checks flag, and how often each check
/// fires (`3 of 200 flagged: revenue_per_employee_high 2, ...`); `None` when none is flagged.
fn anomaly_counts(ranked: &[AccountScore]) -> Option<String> {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    let mut flagged = 0;
    for a in ranked.iter().filter_map(|s| s.anomaly.as_ref()).filter(|a| !a.checks.is_empty()) {
        flagged += 1;
        for c in &a.checks {
            *counts.entry(c.as_str()).or_default() += 1;
        }
    }
    let each: Vec<String> = counts.iter().map(|(c, n)| format!("{c} {n}")).collect();
    (flagged > 0).then(|| format!("{flagged} of {} flagged: {}", ranked.len(), each.join(", ")))
}
