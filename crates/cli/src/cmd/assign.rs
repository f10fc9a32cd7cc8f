//! `acctscore assign`: deal the ranked accounts to reps within their
//! capacities so that each rep's share of the assigned value follows its
//! share of the capacity, keeping an account with the rep who engaged it
//! lately.
//!
//! - An account's value is its `priority` (the ranked file of `score`).
//! - The reps file has `rep_id` and `capacity` (in accounts) and optionally
//!   `segment` (other names through the mapping file's `[reps]` section; a
//!   file without capacities takes `--capacity N` for every rep); with segments, `--segment-col` names the ranked file's column
//!   holding each account's segment, and each segment is dealt among its own
//!   reps (accounts of a segment no rep covers stay unassigned, counted).
//! - With `--events`, an account a rep engaged within `--window-days` (30)
//!   before `--now` (default: the latest activity) stays with that rep (its
//!   latest such activity decides) unless the rep is full.
//! - The rest is dealt best first to the rep with room whose assigned value
//!   per unit of capacity is lowest ([`acctscore::engagement::assign`]).
//!
//! Prints each rep's load and value before (the accounts it engaged lately)
//! and after, with its share of the value against its share of the
//! capacity, and how many accounts changed hands; `--out` writes
//! `account_id,rep_id,priority,previous_rep`, best first.

use crate::common::{self, Context, Format, RepsSection, Result, Schema, Ui, fail, usage};
use crate::ranked;
use acctscore::core::{Probability, Timestamp};
use acctscore::engagement::assign;
use acctscore::frame::csv::CsvOptions;
use acctscore::frame::{Column, ColumnKind, Frame, TextColumn};
use acctscore::pool::{EventOptions, PoolError, read_latest_reps_path, read_recent_reps_path};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Options of `assign`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Ranked accounts written by `score` (`account_id` and `priority` columns).
    #[arg(long, value_name = "FILE")]
    pub(crate) ranked: PathBuf,
    /// Reps: `rep_id,capacity[,segment]`, capacity in accounts.
    #[arg(long, value_name = "FILE")]
    pub(crate) reps: PathBuf,
    /// Every rep's capacity in accounts, for a reps file without a capacity column.
    #[arg(long, value_name = "N", value_parser = common::count)]
    pub(crate) capacity: Option<usize>,
    /// Activity log with `rep_id` (`account_id,kind,timestamp,rep_id`): who engaged which account lately.
    #[arg(long, value_name = "FILE")]
    pub(crate) events: Option<PathBuf>,
    /// Mapping file: its `[events]` section says how the activity log is
    /// read, its `[reps]` section names the reps file's columns.
    #[arg(long, value_name = "FILE")]
    pub(crate) map: Option<PathBuf>,
    /// End of the continuity window: Unix seconds, YYYY-MM-DD or
    /// YYYY-MM-DDTHH:MM:SSZ (default: the latest activity).
    #[arg(long, value_name = "T", value_parser = common::time, requires = "events")]
    pub(crate) now: Option<Timestamp>,
    /// Days before `--now` in which an activity keeps the account with its rep.
    #[arg(long, value_name = "DAYS", default_value_t = 30, value_parser = |s: &str| common::count_in(s, 36_500))]
    pub(crate) window_days: usize,
    /// Column of the ranked file holding each account's segment (needed when the reps have segments).
    #[arg(long, value_name = "COL")]
    pub(crate) segment_col: Option<String>,
    /// Assignment CSV to write (`account_id,rep_id,priority,previous_rep`).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Format of the per-rep table on stdout.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: Format,
}

/// One rep of the reps file.
#[derive(Debug, Clone)]
struct Rep {
    id: String,
    capacity: usize,
    segment: Option<String>,
}

/// One row of the per-rep table.
#[derive(Debug, Clone, Serialize)]
struct RepLoad {
    rep_id: String,
    segment: String,
    capacity: usize,
    capacity_share: f64,
    before_accounts: usize,
    before_value: f64,
    after_accounts: usize,
    after_value: f64,
    value_share: f64,
    /// value_share / capacity_share − 1.
    off_share: f64,
}

/// Runs `assign`.
///
/// # Errors
/// Unreadable files, a missing column, a bad capacity or priority, a rep of
/// the activity log not in the reps file, segments without `--segment-col`.
pub(crate) fn run(ui: &Ui, args: Args) -> Result<()> {
    let Ranked { id_column, priorities, segments } = ui.stage("reading the ranked accounts", || read_ranked(&args))?;
    let Column::Text(ids) = &id_column else {
        return Err(fail(format!("{}: column `account_id` is not read as text", args.ranked.display())));
    };
    let schema = Schema::from_option(args.map.as_deref())?;
    let reps = read_reps(&args.reps, &schema.reps(), args.capacity)?;
    let has_segments = reps.iter().any(|r| r.segment.is_some());
    match (&segments, has_segments) {
        (None, true) => {
            return Err(usage(format!(
                "{} gives reps segments: name the ranked file's segment column with --segment-col",
                args.reps.display()
            )));
        }
        (Some(_), false) => {
            let column = schema.reps().segment.unwrap_or_else(|| "segment".to_string());
            return Err(usage(format!(
                "--segment-col given, but {} gives no rep a segment (no `{column}` column, or all empty)",
                args.reps.display()
            )));
        }
        _ => {}
    }
    let owners = match &args.events {
        Some(path) => {
            let options = schema.event_options()?;
            ui.stage("reading who engaged which account", || {
                recent_owners(ui, &args, (path, &options), &id_column, &reps)
            })?
        }
        None => vec![None; ids.len()],
    };
    // Deal each segment among its reps (one group without segments).
    let mut groups: BTreeMap<Option<&str>, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (r, rep) in reps.iter().enumerate() {
        groups.entry(rep.segment.as_deref()).or_default().0.push(r);
    }
    let mut uncovered = 0usize;
    for a in 0..ids.len() {
        let segment = segments.as_ref().map(|s| s[a].as_str());
        match groups.get_mut(&segment) {
            Some(g) => g.1.push(a),
            None => uncovered += 1,
        }
    }
    let mut rep_of: Vec<Option<usize>> = vec![None; ids.len()];
    ui.stage("assigning", || -> Result<()> {
        for (rep_rows, accounts) in groups.values() {
            let local_rep: HashMap<usize, u32> = rep_rows.iter().enumerate().map(|(k, &r)| (r, k as u32)).collect();
            let p: Vec<Probability> = accounts.iter().map(|&a| priorities[a]).collect();
            let caps: Vec<usize> = rep_rows.iter().map(|&r| reps[r].capacity).collect();
            // An owner of another segment does not hold the account here.
            let own: Vec<Option<u32>> =
                accounts.iter().map(|&a| owners[a].and_then(|r| local_rep.get(&r).copied())).collect();
            let dealt = assign(&p, &caps, Some(&own))?;
            for (k, rep) in dealt.rep_of.iter().enumerate() {
                rep_of[accounts[k]] = rep.map(|r| rep_rows[r as usize]);
            }
        }
        Ok(())
    })?;
    if uncovered > 0 {
        ui.warn(format_args!("{uncovered} accounts are in segments no rep covers; left unassigned"));
    }
    let loads = loads(&reps, &priorities, &owners, &rep_of);
    let kept = owners.iter().zip(&rep_of).filter(|(o, r)| o.is_some() && o == r).count();
    let moved = owners.iter().zip(&rep_of).filter(|(o, r)| o.is_some() && r.is_some() && o != r).count();
    let released = owners.iter().zip(&rep_of).filter(|(o, r)| o.is_some() && r.is_none()).count();
    if let Some(out) = &args.out {
        ui.stage("writing the assignment", || write_assignment(out, ids, &priorities, &reps, &owners, &rep_of))?;
    }
    let assigned = rep_of.iter().filter(|r| r.is_some()).count();
    common::to_stdout(|out| match args.format {
        Format::Json => {
            let doc = serde_json::json!({
                "assigned": assigned, "accounts": ids.len(), "kept_with_owner": kept,
                "changed_hands": moved, "released": released, "uncovered": uncovered, "reps": loads,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
            Ok(())
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            for l in &loads {
                w.serialize(l)?;
            }
            w.flush()?;
            Ok(())
        }
        Format::Text => {
            writeln!(
                out,
                "{:<14} {:<12} {:>8} {:>9} {:>10} {:>9} {:>10} {:>8} {:>8}",
                "rep", "segment", "capacity", "before_n", "before_val", "after_n", "after_val", "share", "vs_cap"
            )?;
            for l in &loads {
                writeln!(
                    out,
                    "{:<14} {:<12} {:>8} {:>9} {:>10.2} {:>9} {:>10.2} {:>8.4} {:>+7.1}%",
                    l.rep_id,
                    l.segment,
                    l.capacity,
                    l.before_accounts,
                    l.before_value,
                    l.after_accounts,
                    l.after_value,
                    l.value_share,
                    100.0 * l.off_share
                )?;
            }
            let worst = loads.iter().map(|l| l.off_share.abs()).fold(0.0, f64::max);
            writeln!(
                out,
                "assigned {assigned} of {} accounts; of those a rep engaged lately, {kept} stayed with that rep, {moved} changed hands and {released} fell below the capacity cut; largest gap between a rep's value share and capacity share: {:.1}%",
                ids.len(),
                100.0 * worst
            )?;
            Ok(())
        }
    })
}

/// The ranked file's ids (a text column), priorities and segments.
struct Ranked {
    id_column: Column,
    priorities: Vec<Probability>,
    segments: Option<Vec<String>>,
}

/// Reads the ranked file's id, priority and segment columns (the others
/// are not parsed): streamed ([`ranked::read_ranked_columns`]), or, for a
/// file with quoted fields, with the frame's parallel loader; ids and
/// segments as text, trimmed as every reader of the tool trims them.
fn read_ranked(args: &Args) -> Result<Ranked> {
    let path = &args.ranked;
    let read = match ranked::read_ranked_columns(path, args.segment_col.as_deref())? {
        Some(r) => r,
        None => read_ranked_frame(args)?,
    };
    let priorities = read
        .priorities
        .into_iter()
        .enumerate()
        .map(|(k, v)| {
            Probability::new(v).map_err(|_| {
                let shown = if v.is_nan() { "empty".to_string() } else { format!("`{v}`") };
                fail(format!("{}: data row {}: priority {shown} is not a number in [0, 1]", path.display(), k + 1))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Ranked { id_column: Column::Text(read.ids), priorities, segments: read.segments })
}

/// [`read_ranked`] through the frame's loader (quoted fields allowed).
fn read_ranked_frame(args: &Args) -> Result<ranked::RankedColumns> {
    let path = &args.ranked;
    let mut columns = vec!["account_id".to_string(), "priority".to_string()];
    columns.extend(args.segment_col.iter().cloned());
    let mut options = CsvOptions::new().delimiter(b',').id("account_id").kind("priority", ColumnKind::Numeric);
    if let Some(s) = &args.segment_col {
        options = options.kind(s, ColumnKind::Text);
    }
    let frame = Frame::from_csv_path(path, &options.only(columns.iter().cloned()))
        .with_context(|| format!("reading {}", path.display()))?;
    for c in &columns {
        crate::cmd::fit::column_exists(&frame, path, "the ranked file", c)?;
    }
    let text = |name: &str| -> Result<Vec<String>> {
        match frame.column(name)? {
            Column::Text(t) => Ok(t.iter().map(|v| v.unwrap_or("").to_string()).collect()),
            _ => Err(fail(format!("{}: column `{name}` is not read as text", path.display()))),
        }
    };
    let Column::Numeric(p) = frame.column("priority")? else {
        return Err(fail(format!("{}: column `priority` is not read as numbers", path.display())));
    };
    let Column::Text(ids) = frame.column("account_id")? else {
        return Err(fail(format!("{}: column `account_id` is not read as text", path.display())));
    };
    Ok(ranked::RankedColumns {
        ids: ids.clone(),
        priorities: p.iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
        segments: args.segment_col.as_deref().map(text).transpose()?,
    })
}

/// The reps file: the rep id, capacity and optional segment columns
/// (`rep_id`, `capacity`, `segment` unless `names` says otherwise); with
/// `capacity_each`, every rep's capacity, and the file must have no capacity column.
fn read_reps(path: &Path, names: &RepsSection, capacity_each: Option<usize>) -> Result<Vec<Rep>> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let headers = r.headers().with_context(|| path.display())?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (id_name, cap_name) =
        (names.id.as_deref().unwrap_or("rep_id"), names.capacity.as_deref().unwrap_or("capacity"));
    let seg_name = names.segment.as_deref().unwrap_or("segment");
    let missing = |name: &str| {
        fail(format!(
            "{}: no column `{name}`; expected {id_name},{cap_name}[,{seg_name}] (or --capacity N for a file without capacities), found {}",
            path.display(),
            headers.iter().collect::<Vec<_>>().join(",")
        ))
    };
    let id = col(id_name).ok_or_else(|| missing(id_name))?;
    let cap = match (col(cap_name), capacity_each) {
        (Some(_), Some(_)) => {
            return Err(usage(format!(
                "--capacity given, but {} has capacities (column `{cap_name}`): keep one",
                path.display()
            )));
        }
        (None, None) => return Err(missing(cap_name)),
        (cap, _) => cap,
    };
    let seg = match (col(seg_name), &names.segment) {
        (None, Some(_)) => return Err(missing(seg_name)),
        (seg, _) => seg,
    };
    let mut reps: Vec<Rep> = Vec::new();
    for (k, row) in r.records().enumerate() {
        let row = row.with_context(|| path.display())?;
        let line = k + 2;
        // Trimmed, as the ranked file's segments and the log's reps are.
        let rep_id = row.get(id).unwrap_or("").trim().to_string();
        if rep_id.is_empty() {
            return Err(fail(format!("{}: line {line}: empty rep_id", path.display())));
        }
        if reps.iter().any(|r| r.id == rep_id) {
            return Err(fail(format!("{}: line {line}: rep `{rep_id}` is listed twice", path.display())));
        }
        let capacity = match (cap, capacity_each) {
            (Some(cap), _) => {
                let c = row.get(cap).unwrap_or("");
                c.trim().parse::<usize>().map_err(|_| {
                    fail(format!("{}: line {line}: capacity `{c}` is not a whole number of accounts", path.display()))
                })?
            }
            (None, each) => each.unwrap_or(0),
        };
        let segment = seg.and_then(|s| row.get(s)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        reps.push(Rep { id: rep_id, capacity, segment });
    }
    if reps.is_empty() {
        return Err(fail(format!("{}: no reps", path.display())));
    }
    Ok(reps)
}

/// Per ranked account, the rep of its latest activity within the window
/// (`None`: no such activity, or one without a rep), read by the library's
/// parallel events reader.
fn recent_owners(
    ui: &Ui,
    args: &Args,
    (path, options): (&Path, &EventOptions),
    id_column: &Column,
    reps: &[Rep],
) -> Result<Vec<Option<usize>>> {
    let in_ranked_file = |e: PoolError| match e {
        // A repeated id is the ranked file's, not the log's.
        PoolError::InFile { source, .. } if matches!(*source, PoolError::DuplicateId { .. }) => {
            fail(format!("{}: {source}", args.ranked.display()))
        }
        e => fail(e.to_string()),
    };
    // The window ends at `--now`, else at the latest activity (found as the
    // log is read: one pass either way).
    let days = u32::try_from(args.window_days).unwrap_or(u32::MAX);
    let log = match args.now {
        Some(now) => {
            let since = Timestamp::from_unix_seconds(now.unix_seconds().saturating_sub(i64::from(days) * 86_400));
            read_latest_reps_path(path, id_column, Some(since), Some(now), options)
        }
        None => read_recent_reps_path(path, id_column, days, options),
    }
    .map_err(in_ranked_file)?;
    common::warn_undated(ui, path, log.undated);
    let rep_index: HashMap<&str, usize> = reps.iter().enumerate().map(|(k, r)| (r.id.as_str(), k)).collect();
    let mut owners = vec![None; id_column.len()];
    for (owner, latest) in owners.iter_mut().zip(&log.latest) {
        let Some(l) = latest else { continue };
        let rep = log.reps.get(l.rep as usize).map_or("", String::as_str);
        *owner = Some(*rep_index.get(rep).ok_or_else(|| {
            fail(format!("{}: line {}: rep `{rep}` is not in {}", path.display(), l.line, args.reps.display()))
        })?);
    }
    Ok(owners)
}

fn loads(reps: &[Rep], priorities: &[Probability], owners: &[Option<usize>], rep_of: &[Option<usize>]) -> Vec<RepLoad> {
    let total_cap: usize = reps.iter().map(|r| r.capacity).sum();
    let mut before = vec![(0usize, 0.0f64); reps.len()];
    let mut after = vec![(0usize, 0.0f64); reps.len()];
    for (a, p) in priorities.iter().enumerate() {
        if let Some(r) = owners[a] {
            before[r].0 += 1;
            before[r].1 += p.get();
        }
        if let Some(r) = rep_of[a] {
            after[r].0 += 1;
            after[r].1 += p.get();
        }
    }
    let total_value: f64 = after.iter().map(|a| a.1).sum();
    reps.iter()
        .enumerate()
        .map(|(r, rep)| {
            let capacity_share = if total_cap > 0 { rep.capacity as f64 / total_cap as f64 } else { 0.0 };
            let value_share = if total_value > 0.0 { after[r].1 / total_value } else { 0.0 };
            RepLoad {
                rep_id: rep.id.clone(),
                segment: rep.segment.clone().unwrap_or_default(),
                capacity: rep.capacity,
                capacity_share,
                before_accounts: before[r].0,
                before_value: before[r].1,
                after_accounts: after[r].0,
                after_value: after[r].1,
                value_share,
                off_share: if capacity_share > 0.0 { value_share / capacity_share - 1.0 } else { 0.0 },
            }
        })
        .collect()
}

fn write_assignment(
    path: &Path,
    ids: &TextColumn,
    priorities: &[Probability],
    reps: &[Rep],
    owners: &[Option<usize>],
    rep_of: &[Option<usize>],
) -> Result<()> {
    common::to_file(path, |w| {
        let mut w = csv::WriterBuilder::new().buffer_capacity(1 << 20).from_writer(w);
        w.write_record(["account_id", "rep_id", "priority", "previous_rep"])?;
        for (a, id) in ids.iter().enumerate() {
            let Some(r) = rep_of[a] else { continue };
            let previous = owners[a].map_or("", |o| reps[o].id.as_str());
            w.write_record([id.unwrap_or(""), reps[r].id.as_str(), &priorities[a].get().to_string(), previous])?;
        }
        w.flush()?;
        Ok(())
    })
}
