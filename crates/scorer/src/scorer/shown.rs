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

    /// The anomaly checks' doubt about the revenue score, as one line: the
    /// factor P(revenue in range) was multiplied by, then one sentence per
    /// finding: `data doubt (p(rev) × 0.40): 1 employee for $1.2M a month …`.
    /// `None` when the checks found nothing (penalty 0) or did not run.
    ///
    /// ```
    /// # use acctscore_scorer::AccountScore;
    /// fn print(s: &AccountScore) {
    ///     if let Some(doubt) = s.data_doubt_line() {
    ///         println!("{}: {doubt}", s.account_id);
    ///     }
    /// }
    /// ```
    pub fn data_doubt_line(&self) -> Option<String> {
        let a = self.anomaly.as_ref().filter(|a| a.penalty > 0.0)?;
        Some(format!("data doubt (p(rev) × {:.2}): {}", 1.0 - a.penalty, a.messages.join(" ")))
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
    use crate::core::Probability;
    use crate::icp::propensity::Family;
    use crate::scorer::AnomalyScore;

    fn score(anomaly: Option<AnomalyScore>) -> AccountScore {
        let p = Probability::new(0.5).expect("a probability");
        AccountScore {
            account_id: "a".into(),
            icp: p,
            icp_baseline: 0.5,
            icp_raw: 0.0,
            icp_family: Family::Logistic,
            revenue: None,
            anomaly,
            engagement: None,
            engagement_effect: 0.0,
            quality: 0.5,
            priority: 0.5,
            tier: 'B',
            reasons: Vec::new(),
            skipped: Vec::new(),
        }
    }

    #[test]
    fn data_doubt_only_with_a_penalty() {
        let found = |penalty: f64| AnomalyScore {
            penalty,
            checks: vec!["revenue_per_employee".into()],
            messages: vec!["1 employee for $1.2M a month.".into(), "Founded in 2031.".into()],
        };
        assert_eq!(score(None).data_doubt_line(), None);
        assert_eq!(score(Some(found(0.0))).data_doubt_line(), None);
        assert_eq!(
            score(Some(found(0.6))).data_doubt_line().as_deref(),
            Some("data doubt (p(rev) × 0.40): 1 employee for $1.2M a month. Founded in 2031.")
        );
    }

    #[test]
    fn rounded_parts_add_up() {
        let parts = [0.0404, 0.0511, -0.0021, 0.0333];
        let total: f64 = parts.iter().sum();
        let shown = add_up_rounded(&parts, total);
        let sum: f64 = shown.iter().sum();
        assert!((sum - (total * 1000.0).round() / 10.0).abs() < 1e-9, "{shown:?}");
    }
}
