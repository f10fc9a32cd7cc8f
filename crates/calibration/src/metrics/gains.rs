//! Lift and cumulative gains.

use crate::rank::Ranked;
use crate::{CalibrationError, Result};
use acctscore_core::{CoreError, check};
use serde::{Deserialize, Serialize};

/// One group (for example a decile) of a gains table, best scores first.
///
/// Rows are ranked by descending score; group `k` (1-based) of `G` holds the
/// ranks `⌈(k−1)·n/G⌉ .. ⌈k·n/G⌉`, so the first group has `⌈n/G⌉` rows.
/// When tied scores straddle a group boundary their positives are shared
/// in proportion (the average over every order of the ties), so
/// `positives` may be fractional and the table never depends on row order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GainsRow {
    /// Group number, 1 = best scores.
    pub group: usize,
    /// Rows in the group.
    pub rows: u64,
    /// Positives in the group (expected value when ties straddle a boundary).
    pub positives: f64,
    /// Positive rate in the group.
    pub rate: f64,
    /// Group rate over the overall positive rate.
    pub lift: f64,
    /// Rows in this and all better groups.
    pub cumulative_rows: u64,
    /// Positives in this and all better groups.
    pub cumulative_positives: f64,
    /// Share of all positives captured by this and all better groups (the gains curve).
    pub cumulative_gain: f64,
    /// Cumulative positive rate over the overall positive rate.
    pub cumulative_lift: f64,
}

fn require_positive(r: &Ranked) -> Result<()> {
    if r.total_pos == 0 {
        return Err(CoreError::SingleClass { positives: 0, negatives: r.total_neg as usize }.into());
    }
    Ok(())
}

/// Lift and cumulative gains by group; `n_groups = 10` gives deciles.
///
/// # Errors
/// Empty input, length mismatch, a non-finite score, no positive label
/// (lift is undefined), `n_groups == 0`, or fewer rows than groups
/// ([`CalibrationError::TooFewRows`]).
pub fn gains_table(scores: &[f64], labels: &[bool], n_groups: usize) -> Result<Vec<GainsRow>> {
    check::param(n_groups >= 1, "n_groups", "must be at least 1")?;
    let r = Ranked::checked("scores", scores, labels)?;
    require_positive(&r)?;
    let n = r.n();
    if (n as usize) < n_groups {
        return Err(CalibrationError::TooFewRows { what: "gains table", needed: n_groups, found: n as usize });
    }
    let base = r.total_pos as f64 / n as f64;
    let g = n_groups as u128;
    let boundary = |k: usize| -> u64 { ((k as u128 * n as u128).div_ceil(g)) as u64 };
    let mut walker = r.top_walker();
    let mut rows_out = Vec::with_capacity(n_groups);
    let mut prev_rows = 0u64;
    let mut prev_pos = 0.0f64;
    for k in 1..=n_groups {
        let cum_rows = boundary(k);
        let cum_pos = if k == n_groups { r.total_pos as f64 } else { walker.positives_in_top(cum_rows) };
        let rows = cum_rows - prev_rows;
        let positives = cum_pos - prev_pos;
        let rate = positives / rows as f64;
        let cum_rate = cum_pos / cum_rows as f64;
        rows_out.push(GainsRow {
            group: k,
            rows,
            positives,
            rate,
            lift: rate / base,
            cumulative_rows: cum_rows,
            cumulative_positives: cum_pos,
            cumulative_gain: cum_pos / r.total_pos as f64,
            cumulative_lift: cum_rate / base,
        });
        prev_rows = cum_rows;
        prev_pos = cum_pos;
    }
    Ok(rows_out)
}

/// Lift among the `top` highest scores: their positive rate over the
/// overall positive rate (ties at the cut shared in proportion).
///
/// # Errors
/// Empty input, length mismatch, a non-finite score, no positive label,
/// or `top` of 0 or more than the rows.
pub fn lift_top_rows(scores: &[f64], labels: &[bool], top: usize) -> Result<f64> {
    let r = Ranked::checked("scores", scores, labels)?;
    require_positive(&r)?;
    lift_top_of(&r, top)
}

pub(crate) fn lift_top_of(r: &Ranked, top: usize) -> Result<f64> {
    let n = r.n();
    if top == 0 || top as u64 > n {
        return Err(
            CoreError::InvalidParameter { name: "top", reason: "must be between 1 and the number of rows" }.into()
        );
    }
    let pos = r.top_walker().positives_in_top(top as u64);
    Ok((pos / top as f64) / (r.total_pos as f64 / n as f64))
}

/// Lift in the top decile: the positive rate among the `⌈n/10⌉` highest
/// scores over the overall positive rate.
///
/// # Errors
/// As [`lift_top_rows`].
pub fn lift_top_decile(scores: &[f64], labels: &[bool]) -> Result<f64> {
    lift_top_rows(scores, labels, scores.len().div_ceil(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gains_rows_hold_each_groups_values() {
        // Scores 9..0 (best first); positives at ranks 0, 1, 4, 9; 3 groups of 4, 3, 3 rows.
        let scores: Vec<f64> = (0..10).rev().map(f64::from).collect();
        let labels = [true, true, false, false, true, false, false, false, false, true];
        let t = gains_table(&scores, &labels, 3).expect("table");
        let base = 0.4;
        let want = [
            // group, rows, positives, cumulative rows, cumulative positives
            (1, 4, 2.0, 4, 2.0),
            (2, 3, 1.0, 7, 3.0),
            (3, 3, 1.0, 10, 4.0),
        ];
        assert_eq!(t.len(), 3);
        for (row, (group, rows, pos, cum_rows, cum_pos)) in t.iter().zip(want) {
            let rate = pos / rows as f64;
            let cum_rate = cum_pos / cum_rows as f64;
            assert_eq!((row.group, row.rows, row.cumulative_rows), (group, rows, cum_rows));
            let close = |got: f64, want: f64| got.is_finite() && (got - want).abs() < 1e-12;
            assert!(close(row.positives, pos), "{row:?}");
            assert!(close(row.cumulative_positives, cum_pos), "{row:?}");
            assert!(close(row.rate, rate), "{row:?}");
            assert!(close(row.lift, rate / base), "{row:?}");
            assert!(close(row.cumulative_gain, cum_pos / 4.0), "{row:?}");
            assert!(close(row.cumulative_lift, cum_rate / base), "{row:?}");
        }
        // Ties straddling a boundary share their positives: 4 equal scores, 1 positive, 2 groups.
        let t = gains_table(&[1.0; 4], &[true, false, false, false], 2).expect("tied");
        assert!((t[0].positives - 0.5).abs() < 1e-15 && (t[1].positives - 0.5).abs() < 1e-15);
        assert!(matches!(gains_table(&scores, &labels, 0), Err(CalibrationError::Core(_))));
        // As many groups as rows is allowed (one row each); no positive is refused.
        let one_each = gains_table(&scores, &labels, 10).expect("one row a group");
        assert!(one_each.iter().all(|r| r.rows == 1));
        let none = [false; 10];
        assert!(matches!(
            gains_table(&scores, &none, 2),
            Err(CalibrationError::Core(CoreError::SingleClass { positives: 0, negatives: 10 }))
        ));
        assert!(matches!(lift_top_rows(&scores, &none, 2), Err(CalibrationError::Core(CoreError::SingleClass { .. }))));
        assert!(lift_top_rows(&scores, &labels, 0).is_err() && lift_top_rows(&scores, &labels, 11).is_err());
        assert!((lift_top_rows(&scores, &labels, 2).expect("lift") - 2.5).abs() < 1e-12);
        assert!((lift_top_rows(&scores, &labels, 10).expect("every row") - 1.0).abs() < 1e-12);
    }

    #[test]
    fn deciles_sum_up() {
        let scores: Vec<f64> = (0..25).map(f64::from).collect();
        let labels: Vec<bool> = (0..25).map(|i| i % 3 == 0).collect();
        let t = gains_table(&scores, &labels, 10).expect("table");
        assert_eq!(t.len(), 10);
        assert_eq!(t[0].rows, 3);
        assert_eq!(t.iter().map(|r| r.rows).sum::<u64>(), 25);
        assert!((t[9].cumulative_gain - 1.0).abs() < 1e-15);
        assert!((t[9].cumulative_lift - 1.0).abs() < 1e-15);
        // top 3 scores: 24 (pos), 23, 22 -> 1 positive of 3; base 9/25
        assert!((lift_top_decile(&scores, &labels).expect("lift") - (1.0 / 3.0) / (9.0 / 25.0)).abs() < 1e-12);
        assert!(matches!(gains_table(&scores[..5], &labels[..5], 10), Err(CalibrationError::TooFewRows { .. })));
    }
}
