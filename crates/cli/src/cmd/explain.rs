//! `acctscore explain --id ID`: one account in full — priority, quality,
//! tier and each component's numbers; the ICP reasons adding up from the
//! baseline to the ICP probability (with the sum checked); the anomaly
//! findings with their expected ranges; engagement by activity kind
//! (adding up to the engagement the score used).

use crate::cmd::score;
use crate::common::{self, Context, Format, Result, Ui, fail};
use acctscore::core::Timestamp;
use acctscore::frame::Column;
use acctscore::pool::read_touches_path_with;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Options of `explain`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The account id.
    #[arg(long, value_name = "ID")]
    pub(crate) id: String,
    #[command(flatten)]
    pub(crate) input: common::ModelAccounts,
    /// Activity log, for engagement by activity kind.
    #[arg(long, value_name = "FILE")]
    pub(crate) events: Option<PathBuf>,
    /// Time engagement is computed at (as `score --now`; default: the latest activity).
    #[arg(long, value_name = "T", value_parser = common::time, requires = "events")]
    pub(crate) now: Option<Timestamp>,
    /// Output format on stdout (`csv` is not offered: one account is not a table).
    #[arg(long, default_value = "text", value_parser = |s: &str| match s {
        "text" => Ok(Format::Text),
        "json" => Ok(Format::Json),
        _ => Err(format!("`{s}`: an explanation is printed as text or json")),
    })]
    pub(crate) format: Format,
}

/// Engagement of one kind of activity.
#[derive(Debug, Clone, serde::Serialize)]
struct KindPart {
    kind: String,
    activities: u64,
    after_now: u64,
    decayed: f64,
}

/// Runs `explain`.
///
/// # Errors
/// Unreadable files; an id not in the accounts file, or on two rows.
pub(crate) fn run(ui: &Ui, args: Args) -> Result<()> {
    let (scorer, schema, frame) = args.input.load(ui, &[])?;
    let ids = score::account_ids(&scorer, &frame)?;
    let rows: Vec<usize> = ids.iter().enumerate().filter(|(_, id)| **id == args.id).map(|(i, _)| i).collect();
    let row = match rows.as_slice() {
        [row] => *row,
        [] => return Err(fail(format!("no account `{}` in {}", args.id, args.input.accounts.display()))),
        [a, b, ..] => {
            return Err(fail(format!(
                "account `{}` is on data rows {} and {} of {}; explain needs it once",
                args.id,
                a + 1,
                b + 1,
                args.input.accounts.display()
            )));
        }
    };
    let (engagement, by_kind, now) = match &args.events {
        None => (None, Vec::new(), None),
        Some(events) => {
            let options = schema.event_options()?;
            let log = common::read_engagement(ui, &scorer, &frame, events, args.now, &options)?;
            let now = log.engagement.now();
            let total = log.engagement.scores().get(row).copied();
            let model = scorer.engagement_model();
            // The account's own activities: the log read against its id alone.
            let one = Column::text(vec![Some(args.id.as_str())]);
            let mine =
                ui.stage("reading the account's activities", || read_touches_path_with(events, &one, model, &options))?;
            let mut parts: BTreeMap<String, KindPart> = BTreeMap::new();
            for t in &mine.touches {
                let name = model.kind(t.kind)?.as_str();
                let part = parts.entry(name.to_string()).or_insert_with(|| KindPart {
                    kind: name.to_string(),
                    activities: 0,
                    after_now: 0,
                    decayed: 0.0,
                });
                let at = t.at;
                if at > now {
                    part.after_now += 1;
                    continue;
                }
                part.activities += 1;
                part.decayed += model.contribution(t.kind, at, None, now)?;
            }
            (total, parts.into_values().collect(), Some(now))
        }
    };
    let prepared = scorer.prepare(&frame)?;
    let s = prepared.score(row, engagement).with_context(|| format!("scoring account `{}`", args.id))?;
    let reasons_sum: f64 = s.icp_baseline + s.reasons.iter().map(|r| r.contribution).sum::<f64>();
    let kinds_sum: f64 = by_kind.iter().map(|k| k.decayed).sum();
    let (a, b, c) = scorer.fit_report().tiers.cuts();

    if args.format == Format::Json {
        let doc = serde_json::json!({
            "account_id": s.account_id,
            "file": args.input.accounts.display().to_string(),
            "row": row + 1,
            "score": s,
            "icp_sum_check": { "baseline_plus_reasons": reasons_sum, "icp": s.icp.get(), "difference": reasons_sum - s.icp.get() },
            "tier_cuts": { "a": a, "b": b, "c": c },
            "engagement_now": now.map(|t| t.unix_seconds()),
            "engagement_by_kind": by_kind,
            "engagement_sum_check": engagement.map(|e| serde_json::json!({ "sum_of_kinds": kinds_sum, "engagement": e })),
        });
        return common::to_stdout(|out| Ok(writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?));
    }

    let mut o = String::new();
    use std::fmt::Write as _;
    writeln!(o, "account {} (data row {} of {})", s.account_id, row + 1, args.input.accounts.display())?;
    writeln!(
        o,
        "priority  {:.4} = quality {:.4} {:+.4} engagement effect",
        s.priority, s.quality, s.engagement_effect
    )?;
    writeln!(
        o,
        "quality   {:.4}: ICP {:.4} combined with revenue fit {} (weighted geometric mean)",
        s.quality,
        s.icp.get(),
        s.revenue.as_ref().map_or("(skipped)".to_string(), |r| format!("{:.4}", r.in_range.get()))
    )?;
    writeln!(o, "tier      {} (quality cuts: A >= {a:.4}, B >= {b:.4}, C >= {c:.4}, else D)", s.tier)?;
    writeln!(o)?;
    writeln!(o, "ICP ({}): p {:.4}, raw score {:.4}", s.icp_family.name(), s.icp.get(), s.icp_raw)?;
    writeln!(o, "  {:>+9.4}  baseline (the model's baseline account)", s.icp_baseline)?;
    for r in &s.reasons {
        writeln!(o, "  {:>+9.4}  {} [{}]", r.contribution, r.text, r.code)?;
    }
    writeln!(
        o,
        "  {:>9.4}  = baseline + reasons; icp {:.4} (difference {:.1e})",
        reasons_sum,
        s.icp.get(),
        reasons_sum - s.icp.get()
    )?;
    writeln!(o)?;
    match &s.revenue {
        Some(r) => {
            writeln!(
                o,
                "revenue: estimate ${:.0} a month (interval ${:.0} to ${:.0}; method {})",
                r.estimate, r.low, r.high, r.method
            )?;
            writeln!(
                o,
                "  P(in range) {:.4} = {:.4} before the anomaly penalty x (1 - {:.4}); from the {} revenue",
                r.in_range.get(),
                r.in_range_before_penalty.get(),
                s.anomaly.as_ref().map_or(0.0, |a| a.penalty),
                r.source.as_str()
            )?;
        }
        None => writeln!(o, "revenue: skipped (no revenue inputs mapped)")?,
    }
    match &s.anomaly {
        Some(a) if a.checks.is_empty() => writeln!(o, "anomaly: no finding (penalty 0)")?,
        Some(a) => {
            writeln!(o, "anomaly: penalty {:.4}, {} finding(s):", a.penalty, a.checks.len())?;
            for (code, message) in a.checks.iter().zip(&a.messages) {
                writeln!(o, "  - [{code}] {message}")?;
            }
        }
        None => writeln!(o, "anomaly: skipped (needs revenue and employees mapped)")?,
    }
    match (engagement, now) {
        (Some(e), Some(now)) => {
            writeln!(o, "engagement at {now}: {e:.4} (priority effect {:+.4})", s.engagement_effect)?;
            writeln!(o, "  {:<12} {:>10} {:>10} {:>12}", "kind", "activities", "after now", "decayed")?;
            for k in &by_kind {
                writeln!(o, "  {:<12} {:>10} {:>10} {:>12.4}", k.kind, k.activities, k.after_now, k.decayed)?;
            }
            writeln!(o, "  {:<12} {:>34.4} = engagement {e:.4} (difference {:.1e})", "sum", kinds_sum, kinds_sum - e)?;
        }
        _ => writeln!(o, "engagement: none (no --events)")?,
    }
    if !s.skipped.is_empty() {
        writeln!(o, "skipped components: {:?}", s.skipped)?;
    }
    common::to_stdout(|out| Ok(out.write_all(o.as_bytes())?))
}
