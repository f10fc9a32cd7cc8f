//! The ranked-accounts output: the CSV `score` and `demo` write (the
//! library's `pool::write_ranked`, as `examples/bench_pool.rs` writes it),
//! and the text a person reads (the top accounts with their reasons).

use crate::common::Result;
use acctscore::AccountScore;
use std::io::Write;

/// Writes ranked accounts as CSV ([`acctscore::pool::write_ranked`]: its
/// columns, then `carried`).
///
/// # Errors
/// Writing failed.
pub(crate) fn write_csv(
    sink: &mut dyn Write,
    ranked: &[AccountScore],
    carried: &[(String, Vec<String>)],
) -> Result<()> {
    Ok(acctscore::pool::write_ranked(sink, ranked, carried)?)
}

/// The top accounts for a person: one line of numbers per account, then its
/// ICP probability as baseline + reasons (percentage points rounded so that
/// the shown parts add up to the shown total), then its data doubts.
///
/// # Errors
/// Writing failed.
pub(crate) fn write_text(out: &mut dyn Write, ranked: &[AccountScore]) -> Result<()> {
    writeln!(
        out,
        "{:>3}  {:<14} {:>8} {:>7} {:>4} {:>6} {:>9} {:>6} {:>6}",
        "#", "account", "priority", "quality", "tier", "p(icp)", "revenue", "p(rev)", "eng"
    )?;
    for (rank, s) in ranked.iter().enumerate() {
        let (revenue, p_rev) = s.revenue.as_ref().map_or((String::from("-"), String::from("-")), |r| {
            (format!("${:.0}k", r.estimate / 1000.0), format!("{:.2}", r.in_range.get()))
        });
        writeln!(
            out,
            "{:>3}. {:<14} {:>8.3} {:>7.3} {:>4} {:>6.3} {:>9} {:>6} {:>6}",
            rank + 1,
            s.account_id,
            s.priority,
            s.quality,
            s.tier,
            s.icp.get(),
            revenue,
            p_rev,
            s.engagement.map_or(String::from("-"), |e| format!("{e:.1}")),
        )?;
        writeln!(out, "     {}", s.icp_sum_line())?;
        if let Some(a) = s.anomaly.as_ref().filter(|a| a.penalty > 0.0) {
            writeln!(out, "     data doubt (p(rev) × {:.2}): {}", 1.0 - a.penalty, a.messages.join(" "))?;
        }
    }
    Ok(())
}
