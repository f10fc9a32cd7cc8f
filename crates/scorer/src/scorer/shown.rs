//! An account's ICP probability as a rep reads it: baseline plus reasons in
//! percentage points that add up to the total shown.

use super::AccountScore;

impl AccountScore {
    /// The ICP probability split into its baseline and reasons, as one line
    /// in percentage points with one decimal:
    /// `p(icp) 59.9% = 2.6% baseline + 12.3 industry = Manufacturing + …`.
    ///
    /// The parts are rounded by largest remainder, so that the numbers shown
    /// add up to the total shown (rounding each on its own can be off by a
    /// few tenths).
    ///
    /// ```
    /// # use acctscore_scorer::AccountScore;
    /// fn print(s: &AccountScore) {
    ///     println!("{}: {}", s.account_id, s.icp_sum_line());
    /// }
    /// ```
    pub fn icp_sum_line(&self) -> String {
        let parts: Vec<f64> =
            std::iter::once(self.icp_baseline).chain(self.reasons.iter().map(|r| r.contribution)).collect();
        let shown = add_up_rounded(&parts, self.icp.get());
        let mut line =
            format!("p(icp) {:.1}% = {:.1}% baseline", self.icp.get() * 100.0, shown.first().copied().unwrap_or(0.0));
        for (r, pp) in self.reasons.iter().zip(shown.iter().skip(1)) {
            line.push_str(&format!(" {} {:.1} {}", if *pp < 0.0 { '-' } else { '+' }, pp.abs(), r.text));
        }
        line
    }
}

/// `parts` (probabilities that add up to `total`) in percentage points with
/// one decimal, rounded by largest remainder so that the rounded parts add
/// up to the rounded total.
fn add_up_rounded(parts: &[f64], total: f64) -> Vec<f64> {
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
