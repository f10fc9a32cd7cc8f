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
        writeln!(out, "     {}", icp_sum_line(s))?;
        if let Some(a) = s.anomaly.as_ref().filter(|a| a.penalty > 0.0) {
            writeln!(out, "     data doubt (p(rev) × {:.2}): {}", 1.0 - a.penalty, a.messages.join(" "))?;
        }
    }
    Ok(())
}

/// `p(icp) 12.3% = 4.0% baseline + 5.1 <reason> - 0.2 <reason> …`, the parts
/// rounded to add up to the total as shown.
pub(crate) fn icp_sum_line(s: &AccountScore) -> String {
    let parts: Vec<f64> = std::iter::once(s.icp_baseline).chain(s.reasons.iter().map(|r| r.contribution)).collect();
    let shown = add_up_rounded(&parts, s.icp.get());
    let mut line =
        format!("p(icp) {:.1}% = {:.1}% baseline", s.icp.get() * 100.0, shown.first().copied().unwrap_or(0.0));
    for (r, pp) in s.reasons.iter().zip(shown.iter().skip(1)) {
        line.push_str(&format!(" {} {:.1} {}", if *pp < 0.0 { '-' } else { '+' }, pp.abs(), r.text));
    }
    line
}

/// `parts` (probabilities that add up to `total`) in percentage points with
/// one decimal, rounded by largest remainder so that the rounded parts add
/// up to the rounded total.
pub(crate) fn add_up_rounded(parts: &[f64], total: f64) -> Vec<f64> {
    let tenths: Vec<f64> = parts.iter().map(|p| p * 1000.0).collect();
    let mut floors: Vec<i64> = tenths.iter().map(|t| t.floor() as i64).collect();
    let deficit = (total * 1000.0).round() as i64 - floors.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| (tenths[b] - tenths[b].floor()).total_cmp(&(tenths[a] - tenths[a].floor())));
    for &k in order.iter().take(usize::try_from(deficit).unwrap_or(0)) {
        if let Some(f) = floors.get_mut(k) {
            *f += 1;
        }
    }
    floors.into_iter().map(|f| f as f64 / 10.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_parts_add_up() {
        let parts = [0.0404, 0.0511, -0.0021, 0.0333];
        let total: f64 = parts.iter().sum();
        let shown = add_up_rounded(&parts, total);
        let sum: f64 = shown.iter().sum();
        assert!((sum - (total * 1000.0).round() / 10.0).abs() < 1e-9, "{shown:?}");
    }
}
