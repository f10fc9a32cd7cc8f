//! [`EngagementState`]: exact exponentially decayed engagement of one account in O(1) space.

use crate::{Activity, EngagementError, EngagementModel, KindId, Result};
use acctscore_core::Timestamp;
use serde::{Deserialize, Serialize};

/// Largest exponent by which an activity newer than the state's reference
/// time is scaled up before the state is rescaled to that activity's time.
/// Keeps every stored value below `MAX_WEIGHT · e^64 · n` (finite).
const MAX_GROWTH: f64 = 64.0;

/// The decayed engagement of one account, updated one activity at a time.
///
/// It stores, per half-life class of the model, the engagement *at a
/// reference time* (plus the time of the latest activity), so that:
///
/// - [`apply`](EngagementState::apply) costs one `exp` and is exact for
///   late (out-of-order) activities as well;
/// - [`score_at`](EngagementState::score_at) reads the engagement at any
///   time at or after the latest activity without mutating;
/// - [`merge`](EngagementState::merge) combines two partial states exactly
///   (rescale to the later reference, then add): commutative, and
///   associative up to rounding;
/// - huge time gaps never overflow: a newer activity is added scaled up by
///   `e^(rate·gap)` only while that factor is at most `e^64`; beyond, the
///   whole state is first decayed to the new time (factors ≤ 1, possibly
///   underflowing to an exact-enough 0).
///
/// The empty state ([`EngagementState::new`], also `Default`) holds no
/// activity and scores 0; it takes the model's size at the first `apply`.
/// States are serde-able; deserialisation rejects negative or non-finite values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StateRepr", into = "StateRepr")]
pub struct EngagementState {
    /// Reference time (Unix seconds) of `values`.
    reference: i64,
    /// Latest activity time; `None` for the empty state.
    latest: Option<i64>,
    /// Engagement at `reference`, one value per half-life class.
    values: Vec<f64>,
}

/// Serialised form of [`EngagementState`].
#[derive(Serialize, Deserialize)]
struct StateRepr {
    reference: i64,
    latest: Option<i64>,
    values: Vec<f64>,
}

impl TryFrom<StateRepr> for EngagementState {
    type Error = EngagementError;
    fn try_from(r: StateRepr) -> Result<Self> {
        if r.values.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(EngagementError::CorruptState { reason: "values must be finite and >= 0" });
        }
        match r.latest {
            None if !r.values.is_empty() => {
                Err(EngagementError::CorruptState { reason: "an empty state holds no values" })
            }
            Some(_) if r.values.is_empty() => {
                Err(EngagementError::CorruptState { reason: "a non-empty state holds values" })
            }
            Some(latest) if latest < r.reference => {
                Err(EngagementError::CorruptState { reason: "reference time after the latest activity" })
            }
            _ => Ok(EngagementState { reference: r.reference, latest: r.latest, values: r.values }),
        }
    }
}

impl From<EngagementState> for StateRepr {
    fn from(s: EngagementState) -> Self {
        StateRepr { reference: s.reference, latest: s.latest, values: s.values }
    }
}

impl Default for EngagementState {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl EngagementState {
    /// The state of an account with no activity.
    pub(crate) const EMPTY: EngagementState = EngagementState { reference: 0, latest: None, values: Vec::new() };

    /// The state of an account with no activity (also `Default`).
    pub fn new() -> Self {
        Self::EMPTY
    }

    /// Whether no activity has been applied.
    pub fn is_empty(&self) -> bool {
        self.latest.is_none()
    }

    /// Time of the latest activity applied, if any.
    pub fn latest(&self) -> Option<Timestamp> {
        self.latest.map(Timestamp::from_unix_seconds)
    }

    /// Reference time of the stored values (at or before [`latest`](Self::latest)).
    pub(crate) fn reference(&self) -> Timestamp {
        Timestamp::from_unix_seconds(self.reference)
    }

    fn check_size(&self, model: &EngagementModel) -> Result<()> {
        if self.values.len() == model.class_rates.len() || self.is_empty() {
            Ok(())
        } else {
            Err(EngagementError::StateMismatch { expected: model.class_rates.len(), found: self.values.len() })
        }
    }

    /// Adds one activity of `kind` at `at` with its kind's weight or `weight`.
    /// Any order of activities gives the same state up to rounding.
    ///
    /// # Errors
    /// [`EngagementError::UnknownKindId`], [`EngagementError::InvalidWeight`],
    /// [`EngagementError::StateMismatch`] (state of another model). The state
    /// is unchanged on error.
    #[inline]
    pub fn apply(&mut self, model: &EngagementModel, kind: KindId, at: Timestamp, weight: Option<f64>) -> Result<()> {
        let k = model.rate_of(kind)?;
        let w = model.weight_of(kind, k, weight)?;
        let t = at.unix_seconds();
        let Some(latest) = self.latest else {
            self.values.clear();
            self.values.resize(model.class_rates.len(), 0.0);
            self.values[k.class] = w;
            self.reference = t;
            self.latest = Some(t);
            return Ok(());
        };
        if self.values.len() != model.class_rates.len() {
            return Err(EngagementError::StateMismatch { expected: model.class_rates.len(), found: self.values.len() });
        }
        let gap = at.seconds_since(self.reference());
        let growth = k.rate * gap;
        if growth <= MAX_GROWTH {
            // Late, simultaneous or moderately newer: add the contribution at the reference time.
            self.values[k.class] += w * growth.exp();
        } else {
            // Far newer: decay the whole state to `t` first, so nothing grows unboundedly.
            for (v, &r) in self.values.iter_mut().zip(&model.class_rates) {
                *v *= (-r * gap).exp();
            }
            self.reference = t;
            self.values[k.class] += w;
        }
        self.latest = Some(latest.max(t));
        Ok(())
    }

    /// [`apply`](Self::apply) for an [`Activity`] (its account and rep are ignored).
    ///
    /// # Errors
    /// As [`apply`](Self::apply).
    #[inline]
    pub fn apply_activity(&mut self, model: &EngagementModel, activity: &Activity) -> Result<()> {
        self.apply(model, activity.kind, activity.at, activity.weight)
    }

    /// The engagement at `at` (never negative): `Σ w · 2^(−(at − t) / half_life)`
    /// over the activities applied. The state is not changed.
    ///
    /// # Errors
    /// [`EngagementError::QueryBeforeLatest`] when `at` precedes the latest
    /// activity (the state cannot tell which activities to leave out);
    /// [`EngagementError::StateMismatch`].
    pub fn score_at(&self, model: &EngagementModel, at: Timestamp) -> Result<f64> {
        let Some(latest) = self.latest else { return Ok(0.0) };
        self.check_size(model)?;
        if at.unix_seconds() < latest {
            return Err(EngagementError::QueryBeforeLatest { query: at, latest: Timestamp::from_unix_seconds(latest) });
        }
        let age = at.seconds_since(self.reference());
        Ok(self.values.iter().zip(&model.class_rates).map(|(&v, &r)| v * (-r * age).exp()).sum())
    }

    /// The saturated engagement at `at` (see [`EngagementModel::saturate`]).
    ///
    /// # Errors
    /// As [`score_at`](Self::score_at).
    pub fn saturated_at(&self, model: &EngagementModel, at: Timestamp) -> Result<acctscore_core::Probability> {
        model.saturate(self.score_at(model, at)?)
    }

    /// The exact combination of two states of the same model: both rescaled
    /// to the later reference time and added. `a.merge(b) == b.merge(a)`
    /// bit for bit; `(a ∘ b) ∘ c` equals `a ∘ (b ∘ c)` up to rounding.
    ///
    /// # Errors
    /// [`EngagementError::StateMismatch`].
    pub fn merge(&self, model: &EngagementModel, other: &EngagementState) -> Result<EngagementState> {
        let mut out = self.clone();
        out.merge_from(model, other)?;
        Ok(out)
    }

    /// In-place [`merge`](Self::merge).
    ///
    /// # Errors
    /// [`EngagementError::StateMismatch`]; `self` is unchanged on error.
    pub(crate) fn merge_from(&mut self, model: &EngagementModel, other: &EngagementState) -> Result<()> {
        self.check_size(model)?;
        other.check_size(model)?;
        let (Some(a_latest), Some(b_latest)) = (self.latest, other.latest) else {
            if self.is_empty() {
                self.clone_from(other);
            }
            return Ok(());
        };
        let reference = self.reference.max(other.reference);
        let at = Timestamp::from_unix_seconds(reference);
        let age_a = at.seconds_since(self.reference());
        let age_b = at.seconds_since(other.reference());
        for ((a, &b), &r) in self.values.iter_mut().zip(&other.values).zip(&model.class_rates) {
            *a = *a * (-r * age_a).exp() + b * (-r * age_b).exp();
        }
        self.reference = reference;
        self.latest = Some(a_latest.max(b_latest));
        Ok(())
    }

    /// The first time (rounded up to a whole second, at or after the latest
    /// activity) at which the engagement is at most `threshold`, or `None`
    /// for the empty state (always 0).
    ///
    /// Closed form `t = reference + ln(v / threshold) / rate` when the
    /// engagement lies in one half-life class (always so when all kinds share
    /// a half-life). With several classes the engagement is a convex,
    /// decreasing sum of exponentials: Newton's method started at the largest
    /// one-class time (a lower bound of the root) increases monotonically to
    /// the root in a few steps.
    ///
    /// # Errors
    /// [`CoreError::ParameterOutOfRange`](acctscore_core::CoreError::ParameterOutOfRange) unless `threshold` is finite and
    /// > 0; [`EngagementError::StateMismatch`].
    pub fn falls_below(&self, model: &EngagementModel, threshold: f64) -> Result<Option<Timestamp>> {
        if !(threshold.is_finite() && threshold > 0.0) {
            return Err(acctscore_core::CoreError::ParameterOutOfRange {
                name: "threshold",
                value: threshold,
                reason: "must be finite and > 0",
            }
            .into());
        }
        let Some(latest) = self.latest else { return Ok(None) };
        self.check_size(model)?;
        let reference = self.reference();
        let start = Timestamp::from_unix_seconds(latest).seconds_since(reference);
        // Lower bound: the largest time at which one class alone reaches the threshold.
        let mut u = start;
        let mut active = 0usize;
        for (&v, &r) in self.values.iter().zip(&model.class_rates) {
            if v > 0.0 {
                active += 1;
                u = u.max((v / threshold).ln() / r);
            }
        }
        let value_at = |u: f64| -> f64 {
            self.values.iter().zip(&model.class_rates).map(|(&v, &r)| v * (-r * u).exp()).sum::<f64>()
        };
        if active > 1 {
            for _ in 0..200 {
                let (mut g, mut dg) = (-threshold, 0.0);
                for (&v, &r) in self.values.iter().zip(&model.class_rates) {
                    let term = v * (-r * u).exp();
                    g += term;
                    dg -= r * term;
                }
                if g <= 0.0 || dg >= 0.0 {
                    break;
                }
                let step = -g / dg;
                u += step;
                if step.is_nan() || step <= 1e-3 {
                    break;
                }
            }
        }
        // Whole seconds, consistent with `score_at` (which sees the same integer ages).
        let mut u = u.ceil();
        for _ in 0..4 {
            if u - 1.0 >= start && value_at(u - 1.0) <= threshold {
                u -= 1.0;
            }
        }
        for _ in 0..4 {
            if value_at(u) > threshold {
                u += 1.0;
            }
        }
        let secs = reference.unix_seconds() as f64 + u;
        // `as` saturates at the i64 range; far beyond any realistic time.
        Ok(Some(Timestamp::from_unix_seconds(secs.max(latest as f64) as i64)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EngagementParams;

    use crate::testing::{DAY, ts};
    const T0: i64 = 1_700_000_000;

    #[test]
    fn recovers_a_known_score() {
        let m = EngagementParams::new().fit().expect("valid");
        let (email, call, meeting) = (
            m.kind_id_by_name("email").expect("k"),
            m.kind_id_by_name("call").expect("k"),
            m.kind_id_by_name("meeting").expect("k"),
        );
        let mut s = EngagementState::new();
        assert_eq!(s.score_at(&m, ts(T0)).expect("empty"), 0.0);
        s.apply(&m, email, ts(T0), None).expect("ok");
        s.apply(&m, meeting, ts(T0 + 30 * DAY), None).expect("ok");
        s.apply(&m, call, ts(T0 - 30 * DAY), None).expect("late ok");
        // At T0 + 60 days: email 4 half-lives + 2/7 (1·2^-(60/14)), meeting half a half-life, call 3 half-lives.
        let got = s.score_at(&m, ts(T0 + 60 * DAY)).expect("ok");
        let want = 2f64.powf(-60.0 / 14.0) + 10.0 * 2f64.powf(-0.5) + 3.0 * 2f64.powf(-3.0);
        assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
        assert!(matches!(s.score_at(&m, ts(T0)), Err(EngagementError::QueryBeforeLatest { .. })));
        assert_eq!(s.latest(), Some(ts(T0 + 30 * DAY)));
    }

    #[test]
    fn huge_gaps_neither_overflow_nor_nan() {
        let m = EngagementParams::new().fit().expect("valid");
        let email = m.kind_id_by_name("email").expect("k");
        let mut s = EngagementState::new();
        s.apply(&m, email, ts(i64::MIN), Some(1e200)).expect("ok");
        s.apply(&m, email, ts(i64::MAX), Some(1e200)).expect("ok");
        s.apply(&m, email, ts(i64::MIN), Some(1e200)).expect("ok");
        s.apply(&m, email, ts(0), Some(1e200)).expect("ok");
        let v = s.score_at(&m, ts(i64::MAX)).expect("ok");
        assert!(v.is_finite() && (v - 1e200).abs() <= 1e-9 * 1e200, "{v}");
        let json = serde_json::to_string(&s).expect("ser");
        let back: EngagementState = serde_json::from_str(&json).expect("de");
        assert_eq!(back, s);
        // Many moderately newer activities within the growth bound stay finite.
        let mut s = EngagementState::new();
        for i in 0..10_000 {
            s.apply(&m, email, ts(T0 + i * 7 * DAY), Some(1e200)).expect("ok");
        }
        assert!(s.score_at(&m, ts(T0 + 10_000 * 7 * DAY)).expect("ok").is_finite());
    }

    #[test]
    fn rejects_bad_weights_and_corrupt_states() {
        let m = EngagementParams::new().fit().expect("valid");
        let email = m.kind_id_by_name("email").expect("k");
        let mut s = EngagementState::new();
        for w in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(s.apply(&m, email, ts(T0), Some(w)), Err(EngagementError::InvalidWeight { .. })));
        }
        assert!(s.is_empty());
        assert!(serde_json::from_str::<EngagementState>(r#"{"reference":0,"latest":0,"values":[-1.0,0,0]}"#).is_err());
        assert!(serde_json::from_str::<EngagementState>(r#"{"reference":0,"latest":null,"values":[1.0]}"#).is_err());
        let empty: EngagementState =
            serde_json::from_str(r#"{"reference":0,"latest":null,"values":[]}"#).expect("empty");
        assert!(empty.is_empty());
        let other = EngagementParams::empty().kind("email", 1.0, 3.0).fit().expect("valid");
        s.apply(&m, email, ts(T0), None).expect("ok");
        assert!(matches!(s.score_at(&other, ts(T0)), Err(EngagementError::StateMismatch { .. })));
    }

    #[test]
    fn merge_with_empty_and_falls_below() {
        let m = EngagementParams::new().fit().expect("valid");
        let email = m.kind_id_by_name("email").expect("k");
        let meeting = m.kind_id_by_name("meeting").expect("k");
        let mut s = EngagementState::new();
        s.apply(&m, email, ts(T0), Some(8.0)).expect("ok");
        assert_eq!(s.merge(&m, &EngagementState::EMPTY).expect("ok"), s);
        assert_eq!(EngagementState::EMPTY.merge(&m, &s).expect("ok"), s);
        // One class: 8 → 1 after exactly 3 half-lives.
        // (the exact root, or one second later when rounding leaves the value a hair above 1).
        let t = s.falls_below(&m, 1.0).expect("ok").expect("non-empty").unix_seconds();
        assert!((t - (T0 + 42 * DAY)).abs() <= 1, "{t}");
        assert!(s.score_at(&m, ts(t)).expect("ok") <= 1.0 && s.score_at(&m, ts(t - 1)).expect("ok") > 1.0);
        assert_eq!(s.falls_below(&m, 100.0).expect("ok"), Some(ts(T0)));
        assert_eq!(EngagementState::EMPTY.falls_below(&m, 1.0).expect("ok"), None);
        assert!(s.falls_below(&m, 0.0).is_err());
        // Two classes: Newton.
        s.apply(&m, meeting, ts(T0 + DAY), None).expect("ok");
        let t = s.falls_below(&m, 0.5).expect("ok").expect("non-empty");
        let at = s.score_at(&m, t).expect("ok");
        let before = s.score_at(&m, ts(t.unix_seconds() - 1)).expect("ok");
        assert!(at <= 0.5 && before > 0.5, "{before} {at}");
    }
}
