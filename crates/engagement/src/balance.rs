//! Team balance (effort per rep and account, underserved and shared accounts,
//! concentration) and capacity-aware assignment.

use crate::{Activity, EngagementError, EngagementModel, Result};
use acctscore_core::{Probability, Timestamp};
use serde::{Deserialize, Serialize};

/// Parameters of [`EngagementModel::team_balance`].
///
/// Defaults: good quality ≥ 0.5, underserved below engagement 1 (one fresh
/// email), top tier = best 10 % of accounts by quality, shared when several
/// reps worked the account within the last 30 days.
///
/// ```
/// use acctscore_engagement::{Activity, BalanceParams, EngagementParams, Probability, Timestamp};
///
/// let now = Timestamp::from_unix_seconds(1_767_225_600);
/// let ago = |days: i64| Timestamp::from_unix_seconds(now.unix_seconds() - days * 86_400);
/// let model = EngagementParams::new().fit()?;
/// let (email, meeting) = (model.kind_id_by_name("email")?, model.kind_id_by_name("meeting")?);
/// let quality = [0.9, 0.8, 0.6].into_iter().map(Probability::new).collect::<Result<Vec<_>, _>>()?;
/// let activities = [
///     Activity::new(0, meeting, ago(2)).with_rep(0),
///     Activity::new(0, email, ago(5)).with_rep(1),
///     Activity::new(1, email, ago(40)).with_rep(0),
/// ];
/// // Good from quality 0.7; shared when two reps worked an account within a week.
/// let params = BalanceParams::new().good_quality(0.7).overlap_window_days(7.0);
/// let balance = model.team_balance(now, &quality, 2, activities, &params)?;
/// assert_eq!(balance.underserved, vec![1]); // account 2 is not good enough to count
/// assert_eq!(balance.shared[0].reps, vec![0, 1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BalanceParams {
    good_quality: f64,
    underserved_below: f64,
    top_tier_fraction: f64,
    overlap_window_days: f64,
}

impl Default for BalanceParams {
    fn default() -> Self {
        Self::new()
    }
}

impl BalanceParams {
    /// The defaults (0.5, 1.0, 0.1, 30 days).
    pub fn new() -> Self {
        BalanceParams { good_quality: 0.5, underserved_below: 1.0, top_tier_fraction: 0.1, overlap_window_days: 30.0 }
    }

    /// Quality at or above which an account is *good* (in `[0, 1]`).
    pub fn good_quality(mut self, q: f64) -> Self {
        self.good_quality = q;
        self
    }

    /// Engagement below which a good account is *underserved* (≥ 0).
    pub fn underserved_below(mut self, e: f64) -> Self {
        self.underserved_below = e;
        self
    }

    /// Fraction of accounts, best quality first, forming the top tier (in `(0, 1]`).
    pub fn top_tier_fraction(mut self, f: f64) -> Self {
        self.top_tier_fraction = f;
        self
    }

    /// Window in days before `now` in which distinct reps on one account count as working it at once (> 0).
    pub fn overlap_window_days(mut self, days: f64) -> Self {
        self.overlap_window_days = days;
        self
    }

    fn validate(&self) -> Result<()> {
        let checks: [(&'static str, f64, bool, &'static str); 4] = [
            ("good_quality", self.good_quality, (0.0..=1.0).contains(&self.good_quality), "must be in [0, 1]"),
            (
                "underserved_below",
                self.underserved_below,
                self.underserved_below >= 0.0 && self.underserved_below.is_finite(),
                "must be finite and >= 0",
            ),
            (
                "top_tier_fraction",
                self.top_tier_fraction,
                self.top_tier_fraction > 0.0 && self.top_tier_fraction <= 1.0,
                "must be in (0, 1]",
            ),
            (
                "overlap_window_days",
                self.overlap_window_days,
                self.overlap_window_days > 0.0 && self.overlap_window_days.is_finite(),
                "must be finite and > 0",
            ),
        ];
        for (name, value, ok, reason) in checks {
            if !ok {
                return Err(acctscore_core::CoreError::ParameterOutOfRange { name, value, reason }.into());
            }
        }
        Ok(())
    }
}

/// An account worked by several reps within the overlap window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedAccount {
    /// Account index.
    pub account: u32,
    /// The distinct reps, ascending.
    pub reps: Vec<u32>,
}

/// How the team's decayed effort is spread (see [`EngagementModel::team_balance`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamBalance {
    /// Decayed effort per rep index.
    pub effort_per_rep: Vec<f64>,
    /// Decayed effort (engagement) per account index, attributed or not.
    pub effort_per_account: Vec<f64>,
    /// Decayed effort of activities without a rep.
    pub unattributed: f64,
    /// Good accounts (quality ≥ the threshold) with engagement below the
    /// underserved bound, best quality first (ties: lower index first).
    pub underserved: Vec<u32>,
    /// Accounts worked by two or more reps within the overlap window, by account index.
    pub shared: Vec<SharedAccount>,
    /// The top-tier accounts, best quality first (ties: lower index first).
    pub top_tier: Vec<u32>,
    /// Gini coefficient of effort over the top tier: 0 = evenly spread,
    /// near 1 = piled onto few accounts (0 when there is no effort).
    pub top_tier_gini: f64,
    /// Activities after `now`, left out.
    pub ignored_future: u64,
}

/// Gini coefficient of non-negative values: `Σ_i (2i − n − 1) x_(i) / (n Σ x)`
/// over the values sorted ascending (`i` from 1). 0 for an empty slice or all zeros.
///
/// # Errors
/// [`acctscore_core::CoreError::NonFinite`] or
/// [`acctscore_core::CoreError::OutOfRange`] for a NaN, infinite or negative value.
pub(crate) fn gini(values: &[f64]) -> Result<f64> {
    acctscore_core::check::finite_slice("gini values", values)?;
    if let Some(&v) = values.iter().find(|v| **v < 0.0) {
        return Err(acctscore_core::CoreError::OutOfRange {
            what: "gini values",
            value: v,
            min: 0.0,
            max: f64::INFINITY,
        }
        .into());
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let total: f64 = sorted.iter().sum();
    if sorted.is_empty() || total <= 0.0 {
        return Ok(0.0);
    }
    let weighted: f64 = sorted.iter().enumerate().map(|(i, &x)| (2.0 * (i as f64 + 1.0) - n - 1.0) * x).sum();
    Ok((weighted / (n * total)).clamp(0.0, 1.0))
}

/// Account indices sorted by value descending, ties by lower index.
fn ranked(values: &[Probability]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..values.len() as u32).collect();
    order.sort_by(|&a, &b| values[b as usize].get().total_cmp(&values[a as usize].get()).then(a.cmp(&b)));
    order
}

impl EngagementModel {
    /// Team balance at `now` from activities carrying reps: effort per rep
    /// and per account, good-but-underserved accounts, accounts worked by
    /// several reps at once, and the Gini coefficient of effort over the top tier.
    ///
    /// `quality[i]` is account `i`'s quality (for example
    /// [`Priority::quality`](crate::Priority::quality)); the number of
    /// accounts is `quality.len()`. Activities after `now` are left out and counted.
    ///
    /// # Errors
    /// [`CoreError::ParameterOutOfRange`](acctscore_core::CoreError::ParameterOutOfRange), [`EngagementError::AccountOutOfRange`],
    /// [`EngagementError::RepOutOfRange`], [`EngagementError::UnknownKindId`],
    /// [`EngagementError::InvalidWeight`].
    pub fn team_balance<I>(
        &self,
        now: Timestamp,
        quality: &[Probability],
        n_reps: usize,
        activities: I,
        params: &BalanceParams,
    ) -> Result<TeamBalance>
    where
        I: IntoIterator<Item = Activity>,
    {
        params.validate()?;
        let n_accounts = quality.len();
        let mut effort_per_account = vec![0.0; n_accounts];
        let mut effort_per_rep = vec![0.0; n_reps];
        let mut unattributed = 0.0;
        let mut ignored_future = 0u64;
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        let window = params.overlap_window_days * 86_400.0;
        for a in activities {
            let k = self.rate_of(a.kind)?;
            let w = self.weight_of(a.kind, k, a.weight)?;
            if a.account as usize >= n_accounts {
                return Err(EngagementError::AccountOutOfRange { account: a.account, n_accounts });
            }
            if let Some(rep) = a.rep
                && rep as usize >= n_reps
            {
                return Err(EngagementError::RepOutOfRange { rep, n_reps });
            }
            if a.at > now {
                ignored_future += 1;
                continue;
            }
            let age = now.seconds_since(a.at);
            let e = w * (-k.rate * age).exp();
            effort_per_account[a.account as usize] += e;
            match a.rep {
                Some(rep) => {
                    effort_per_rep[rep as usize] += e;
                    if age < window {
                        pairs.push((a.account, rep));
                    }
                }
                None => unattributed += e,
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut shared = Vec::new();
        for group in pairs.chunk_by(|a, b| a.0 == b.0) {
            if group.len() > 1 {
                shared.push(SharedAccount { account: group[0].0, reps: group.iter().map(|p| p.1).collect() });
            }
        }
        let order = ranked(quality);
        let underserved = order
            .iter()
            .copied()
            .filter(|&i| {
                quality[i as usize].get() >= params.good_quality
                    && effort_per_account[i as usize] < params.underserved_below
            })
            .collect();
        let n_top = ((n_accounts as f64 * params.top_tier_fraction).ceil() as usize).min(n_accounts);
        let top_tier: Vec<u32> = order[..n_top].to_vec();
        let top_effort: Vec<f64> = top_tier.iter().map(|&i| effort_per_account[i as usize]).collect();
        let top_tier_gini = gini(&top_effort)?;
        Ok(TeamBalance {
            effort_per_rep,
            effort_per_account,
            unattributed,
            underserved,
            shared,
            top_tier,
            top_tier_gini,
            ignored_future,
        })
    }
}

/// Accounts assigned to reps (see [`assign`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// Per rep, its accounts in the order they were assigned (best first).
    pub by_rep: Vec<Vec<u32>>,
    /// Per account, its rep (`None` when not assigned).
    pub rep_of: Vec<Option<u32>>,
}

impl Assignment {
    /// Number of accounts assigned.
    pub fn n_assigned(&self) -> usize {
        self.by_rep.iter().map(Vec::len).sum()
    }
}

/// How far past its capacity share of the assigned value a rep may go by
/// keeping the accounts it owns (0.04: 4%); beyond, they are dealt to others.
pub const MAX_OWNER_EXCESS: f64 = 0.04;

/// Assigns the best accounts to reps within their capacities, each account
/// at most once, so that each rep's share of the assigned value follows its
/// share of the capacity.
///
/// An account's value is its priority. Accounts are taken by priority,
/// highest first (ties: lower index first), until every rep is out of room
/// or no account is left; so the accounts assigned are the best
/// `min(Σ capacities, accounts)`, and their total value is known up front.
/// Each goes to its current owner (`owners[i]`, e.g. the rep who engaged it
/// lately) so that work stays with one rep, unless that rep is full: out of
/// room, or holding so much value that this account would take it past its
/// capacity share of the total by more than [`MAX_OWNER_EXCESS`]. Otherwise
/// it goes to the rep with room whose assigned value per unit of capacity is
/// lowest (ties: lower rep index). Dealing the best accounts this way keeps
/// every rep's value close to its capacity share. The result is fully
/// deterministic; the cost is O(accounts · log accounts) for the ranking and
/// O(assigned · log reps) for the dealing.
///
/// ```
/// use acctscore_engagement::{Probability, assign};
///
/// let priorities: Vec<Probability> = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
///     .into_iter()
///     .map(Probability::new)
///     .collect::<Result<_, _>>()?;
/// // Dealt best first to the rep with the least value per unit of capacity:
/// let a = assign(&priorities, &[3, 3], None)?;
/// assert_eq!(a.by_rep, vec![vec![0, 3, 4], vec![1, 2, 5]]);
/// // Rep 0 engaged account 2 lately: it stays with rep 0.
/// let owners = [None, None, Some(0), None, None, None];
/// let a = assign(&priorities, &[3, 3], Some(&owners))?;
/// assert_eq!(a.by_rep, vec![vec![0, 2, 5], vec![1, 3, 4]]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`EngagementError::LengthMismatch`] when `owners` does not have one entry
/// per account; [`EngagementError::RepOutOfRange`] for an owner that is not a rep.
pub fn assign(priorities: &[Probability], capacities: &[usize], owners: Option<&[Option<u32>]>) -> Result<Assignment> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let n_reps = capacities.len();
    if let Some(o) = owners {
        if o.len() != priorities.len() {
            return Err(EngagementError::LengthMismatch {
                what: "owners vs accounts",
                expected: priorities.len(),
                found: o.len(),
            });
        }
        if let Some(&rep) = o.iter().flatten().find(|&&r| r as usize >= n_reps) {
            return Err(EngagementError::RepOutOfRange { rep, n_reps });
        }
    }
    let mut remaining: Vec<usize> = capacities.to_vec();
    let mut left: usize = remaining.iter().fold(0usize, |s, &c| s.saturating_add(c));
    let order = ranked(priorities);
    // Each rep's ceiling of value for the accounts it keeps as their owner.
    let total_value: f64 = order.iter().take(left).map(|&a| priorities[a as usize].get()).sum();
    let total_capacity = left as f64;
    let ceiling: Vec<f64> =
        capacities.iter().map(|&c| c as f64 / total_capacity * total_value * (1.0 + MAX_OWNER_EXCESS)).collect();
    let mut value = vec![0.0f64; n_reps];
    // Value per unit of capacity, as bits: non-negative floats order as their bits.
    let load = |value: f64, rep: usize| (value / capacities[rep] as f64).to_bits();
    // Lazily updated: an entry whose load is no longer its rep's is skipped.
    let mut lightest: BinaryHeap<Reverse<(u64, usize)>> =
        (0..n_reps).filter(|&r| capacities[r] > 0).map(|r| Reverse((0, r))).collect();
    let mut by_rep = vec![Vec::new(); n_reps];
    let mut rep_of = vec![None; priorities.len()];
    for account in order {
        if left == 0 {
            break;
        }
        let v = priorities[account as usize].get();
        let owner = owners
            .and_then(|o| o[account as usize])
            .filter(|&r| remaining[r as usize] > 0 && value[r as usize] + v <= ceiling[r as usize]);
        let rep = match owner {
            Some(r) => r as usize,
            None => loop {
                match lightest.pop() {
                    Some(Reverse((bits, r))) if remaining[r] > 0 && bits == load(value[r], r) => break r,
                    Some(_) => {}
                    // `left > 0` means some rep has room, and a rep with room always has a current entry.
                    None => return Ok(Assignment { by_rep, rep_of }),
                }
            },
        };
        remaining[rep] -= 1;
        left -= 1;
        value[rep] += v;
        if remaining[rep] > 0 {
            lightest.push(Reverse((load(value[rep], rep), rep)));
        }
        by_rep[rep].push(account);
        rep_of[account as usize] = Some(rep as u32);
    }
    Ok(Assignment { by_rep, rep_of })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EngagementParams, KindId};

    fn p(v: f64) -> Probability {
        Probability::new(v).expect("valid")
    }

    #[test]
    fn gini_values() {
        assert_eq!(gini(&[]).expect("ok"), 0.0);
        assert_eq!(gini(&[0.0, 0.0]).expect("ok"), 0.0);
        assert_eq!(gini(&[3.0, 3.0, 3.0]).expect("ok"), 0.0);
        assert!((gini(&[0.0, 0.0, 0.0, 4.0]).expect("ok") - 0.75).abs() < 1e-12);
        assert!(gini(&[1.0, -1.0]).is_err());
        assert!(gini(&[f64::NAN]).is_err());
    }

    #[test]
    fn balance_finds_underserved_and_shared() {
        let m = EngagementParams::new().fit().expect("valid");
        let now = Timestamp::from_unix_seconds(1_767_225_600);
        let day = 86_400;
        let at = |d: i64| Timestamp::from_unix_seconds(now.unix_seconds() - d * day);
        let email = KindId(0);
        let meeting = KindId(2);
        let quality = [p(0.9), p(0.8), p(0.2), p(0.7)];
        let acts = vec![
            Activity::new(0, meeting, at(1)).with_rep(0),
            Activity::new(0, email, at(2)).with_rep(1),
            Activity::new(0, email, at(3)).with_rep(1),
            Activity::new(2, meeting, at(100)).with_rep(1),
            Activity::new(3, email, at(1)),
            Activity::new(3, email, at(-1)).with_rep(0),
        ];
        let b =
            m.team_balance(now, &quality, 2, acts.clone(), &BalanceParams::new().top_tier_fraction(0.5)).expect("ok");
        assert_eq!(b.ignored_future, 1);
        assert_eq!(b.shared, vec![SharedAccount { account: 0, reps: vec![0, 1] }]);
        assert_eq!(b.underserved, vec![1, 3]);
        assert_eq!(b.top_tier, vec![0, 1]);
        assert!((b.top_tier_gini - 0.5).abs() < 1e-12);
        // One email a day old (half-life 14 days), and one meeting a day old (weight 10, half-life 60 days).
        assert!((b.unattributed - 0.5f64.powf(1.0 / 14.0)).abs() < 1e-12, "{}", b.unattributed);
        assert!((b.effort_per_rep[0] - 10.0 * 0.5f64.powf(1.0 / 60.0)).abs() < 1e-12, "{:?}", b.effort_per_rep);
        // No effort is below 0: nobody is underserved.
        let none = m.team_balance(now, &quality, 2, acts, &BalanceParams::new().underserved_below(0.0)).expect("ok");
        assert!(none.underserved.is_empty(), "{:?}", none.underserved);
        // One rep on an account is not sharing it.
        let alone =
            m.team_balance(now, &quality, 2, vec![Activity::new(1, email, at(1)).with_rep(0)], &BalanceParams::new());
        assert!(alone.expect("ok").shared.is_empty());
        let total: f64 = b.effort_per_account.iter().sum();
        assert!((total - b.effort_per_rep.iter().sum::<f64>() - b.unattributed).abs() < 1e-12);
        let bad = vec![Activity::new(0, email, at(1)).with_rep(5)];
        assert!(matches!(
            m.team_balance(now, &quality, 2, bad, &BalanceParams::new()),
            Err(EngagementError::RepOutOfRange { rep: 5, n_reps: 2 })
        ));
        assert!(m.team_balance(now, &quality, 2, vec![], &BalanceParams::new().good_quality(2.0)).is_err());
    }

    #[test]
    fn assignment_respects_capacity_owners_and_ties() {
        let pr = [p(0.5), p(0.9), p(0.5), p(0.1), p(0.7)];
        let a = assign(&pr, &[2, 1], None).expect("ok");
        assert_eq!(a.by_rep, vec![vec![1, 0], vec![4]]);
        assert_eq!(a.n_assigned(), 3);
        assert_eq!(a.rep_of, vec![Some(0), Some(0), None, None, Some(1)]);
        let owners = [None, Some(1), None, None, None];
        let a = assign(&pr, &[2, 2], Some(&owners)).expect("ok");
        assert_eq!(a.by_rep, vec![vec![4, 0], vec![1, 2]]);
        // An owner that would pass its share of the value by more than 4% gives the account up.
        let a = assign(&pr, &[2, 1], Some(&owners)).expect("ok");
        assert_eq!(a.by_rep, vec![vec![1, 0], vec![4]]);
        let a = assign(&pr, &[10, 10], None).expect("ok");
        assert_eq!(a.n_assigned(), 5);
        assert!(assign(&pr, &[], None).expect("ok").by_rep.is_empty());
        assert!(assign(&pr, &[1], Some(&owners)).is_err());
        assert!(assign(&pr, &[1], Some(&owners[..2])).is_err());
    }

    #[test]
    fn assigned_value_follows_the_capacity_shares() {
        // 20k accounts of skewed priority; 7 reps of unequal capacity, one empty.
        let pr: Vec<Probability> = (0..20_000u64)
            .map(|i| p(((i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / (1u64 << 53) as f64).powi(3)))
            .collect();
        let capacities = [500, 1000, 1500, 250, 0, 2000, 750];
        let owners: Vec<Option<u32>> = (0..20_000u32).map(|i| (i % 97 == 0).then_some(i % 7)).collect();
        let a = assign(&pr, &capacities, Some(&owners)).expect("ok");
        let total_cap: usize = capacities.iter().sum();
        assert_eq!(a.n_assigned(), total_cap);
        let values: Vec<f64> = a.by_rep.iter().map(|acc| acc.iter().map(|&i| pr[i as usize].get()).sum()).collect();
        let total: f64 = values.iter().sum();
        for (r, &c) in capacities.iter().enumerate() {
            assert_eq!(a.by_rep[r].len(), c);
            let (share, target) = (values[r] / total, c as f64 / total_cap as f64);
            assert!((share - target).abs() <= 0.05 * target, "rep {r}: {share} vs {target}");
        }
        // The best accounts were dealt (every assigned one ranks above every other).
        let worst_in = a.rep_of.iter().zip(&pr).filter(|(r, _)| r.is_some()).map(|(_, p)| p.get()).fold(1.0, f64::min);
        let best_out = a.rep_of.iter().zip(&pr).filter(|(r, _)| r.is_none()).map(|(_, p)| p.get()).fold(0.0, f64::max);
        assert!(worst_in >= best_out);
        // Owners keep their accounts while they have room.
        for (i, o) in owners.iter().enumerate() {
            if let (Some(o), Some(r)) = (o, a.rep_of[i]) {
                assert!(r == *o || a.by_rep[*o as usize].len() == capacities[*o as usize]);
            }
        }
    }
}
