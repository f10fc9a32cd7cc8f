//! Activity kinds, per-kind weights and half-lives, and the validated model.

use crate::{EngagementError, Result};
use acctscore_core::{Probability, Timestamp};
use serde::{Deserialize, Serialize};

/// Largest weight accepted for a kind or an activity.
///
/// The bound keeps every internal sum finite even when values are scaled up
/// by the incremental state's forward-decay factor (at most `e^64`).
pub const MAX_WEIGHT: f64 = 1e200;

/// Seconds in a day.
const SECONDS_PER_DAY: f64 = 86_400.0;

/// The kind of a sales activity: one of the built-in kinds or a user-defined one.
///
/// Parsing a name never fails; whether a kind is known is decided by the
/// [`EngagementModel`] (see [`EngagementModel::kind_id`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ActivityKind {
    /// An email (`email`).
    Email,
    /// A call (`call`).
    Call,
    /// A meeting (`meeting`).
    Meeting,
    /// Any other kind, by name (for example `demo` or `linkedin`).
    Custom(String),
}

impl ActivityKind {
    /// The kind's name: `email`, `call`, `meeting` or the custom name.
    pub fn as_str(&self) -> &str {
        match self {
            ActivityKind::Email => "email",
            ActivityKind::Call => "call",
            ActivityKind::Meeting => "meeting",
            ActivityKind::Custom(name) => name,
        }
    }

    /// The kind named `name` (exact, case-sensitive; built-in names map to
    /// the built-in variants).
    pub(crate) fn from_name(name: &str) -> Self {
        match name {
            "email" => ActivityKind::Email,
            "call" => ActivityKind::Call,
            "meeting" => ActivityKind::Meeting,
            other => ActivityKind::Custom(other.to_owned()),
        }
    }
}

impl From<&str> for ActivityKind {
    fn from(name: &str) -> Self {
        ActivityKind::from_name(name)
    }
}

impl From<String> for ActivityKind {
    fn from(name: String) -> Self {
        match name.as_str() {
            "email" => ActivityKind::Email,
            "call" => ActivityKind::Call,
            "meeting" => ActivityKind::Meeting,
            _ => ActivityKind::Custom(name),
        }
    }
}

impl From<ActivityKind> for String {
    fn from(kind: ActivityKind) -> String {
        match kind {
            ActivityKind::Custom(name) => name,
            other => other.as_str().to_owned(),
        }
    }
}

impl std::fmt::Display for ActivityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind resolved against one [`EngagementModel`]: a small dense index.
///
/// Obtain it from [`EngagementModel::kind_id`] or
/// [`EngagementModel::kind_id_by_name`] once, then use it on the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KindId(pub(crate) u16);

impl KindId {
    /// The id of the kind at `index` in a model's kind list (definition
    /// order). An id a model does not define is rejected where it is used
    /// ([`EngagementError::UnknownKindId`]).
    pub const fn new(index: u16) -> Self {
        KindId(index)
    }

    /// The index of the kind in its model's kind list.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// Weight and half-life of one kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct KindSpec {
    kind: ActivityKind,
    weight: f64,
    half_life_days: f64,
}

/// Engagement parameters: per-kind weight and half-life, and the saturation
/// scale. Set with the builder methods, then [`EngagementParams::fit`] checks them
/// once and returns the [`EngagementModel`].
///
/// Defaults ([`EngagementParams::new`]): email weight 1, half-life 14 days;
/// call weight 3, 30 days; meeting weight 10, 60 days; half-saturation 10.
///
/// An activity of weight `w` and age `a` days contributes `w · 2^(−a / half_life)`.
///
/// ```
/// use acctscore_engagement::{EngagementParams, EngagementState, Timestamp};
///
/// const DAY: i64 = 86_400;
/// let then = Timestamp::from_unix_seconds(1_767_225_600);
/// let later = |days: i64| Timestamp::from_unix_seconds(then.unix_seconds() + days * DAY);
/// // The built-in kinds plus a custom one: a demo weighs 5, half-life 21 days.
/// let model = EngagementParams::new().kind("demo", 5.0, 21.0).fit()?;
/// let demo = model.kind_id_by_name("demo")?;
/// let mut state = EngagementState::new();
/// state.apply(&model, demo, then, None)?;
/// assert!((state.score_at(&model, later(21))? - 2.5).abs() < 1e-12); // half after one half-life
/// assert!((state.score_at(&model, later(42))? - 1.25).abs() < 1e-12);
/// # Ok::<(), acctscore_engagement::EngagementError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngagementParams {
    kinds: Vec<KindSpec>,
    half_saturation: f64,
}

/// Weight given to a kind first named by [`EngagementParams::half_life_days`].
const DEFAULT_WEIGHT: f64 = 1.0;
/// Half-life given to a kind first named by [`EngagementParams::weight`].
const DEFAULT_HALF_LIFE_DAYS: f64 = 30.0;

impl Default for EngagementParams {
    fn default() -> Self {
        Self::new()
    }
}

impl EngagementParams {
    /// The default kinds: email (1, 14 d), call (3, 30 d), meeting (10, 60 d); half-saturation 10.
    pub fn new() -> Self {
        Self::empty().kind(ActivityKind::Email, 1.0, 14.0).kind(ActivityKind::Call, 3.0, 30.0).kind(
            ActivityKind::Meeting,
            10.0,
            60.0,
        )
    }

    /// No kinds at all (add them with [`EngagementParams::kind`]); half-saturation 10.
    pub fn empty() -> Self {
        EngagementParams { kinds: Vec::new(), half_saturation: 10.0 }
    }

    fn spec_mut(&mut self, kind: ActivityKind) -> &mut KindSpec {
        let pos = match self.kinds.iter().position(|s| s.kind == kind) {
            Some(pos) => pos,
            None => {
                self.kinds.push(KindSpec { kind, weight: DEFAULT_WEIGHT, half_life_days: DEFAULT_HALF_LIFE_DAYS });
                self.kinds.len() - 1
            }
        };
        &mut self.kinds[pos]
    }

    /// Defines (or redefines) a kind with its weight and half-life in days.
    /// Values are checked by [`EngagementParams::fit`].
    pub fn kind(mut self, kind: impl Into<ActivityKind>, weight: f64, half_life_days: f64) -> Self {
        let spec = self.spec_mut(kind.into());
        spec.weight = weight;
        spec.half_life_days = half_life_days;
        self
    }

    /// Sets a kind's weight (adding the kind with a 30-day half-life if new).
    pub fn weight(mut self, kind: impl Into<ActivityKind>, weight: f64) -> Self {
        self.spec_mut(kind.into()).weight = weight;
        self
    }

    /// Sets a kind's half-life in days (adding the kind with weight 1 if new).
    pub fn half_life_days(mut self, kind: impl Into<ActivityKind>, days: f64) -> Self {
        self.spec_mut(kind.into()).half_life_days = days;
        self
    }

    /// Sets the engagement at which the saturating map reaches 0.5
    /// (see [`EngagementModel::saturate`]).
    pub fn half_saturation(mut self, engagement: f64) -> Self {
        self.half_saturation = engagement;
        self
    }

    /// Checks the parameters once and returns the model with its decay
    /// rates precomputed.
    ///
    /// ```
    /// use acctscore_engagement::EngagementParams;
    /// let model = EngagementParams::new().kind("demo", 5.0, 21.0).fit()?;
    /// assert_eq!(model.n_kinds(), 4);
    /// assert!(EngagementParams::new().half_saturation(-1.0).fit().is_err());
    /// # Ok::<(), acctscore_engagement::EngagementError>(())
    /// ```
    ///
    /// # Errors
    /// [`EngagementError::InvalidWeight`], [`EngagementError::InvalidHalfLife`],
    /// [`CoreError::ParameterOutOfRange`](acctscore_core::CoreError::ParameterOutOfRange) (no kinds, more than 65,535
    /// kinds, or a half-saturation that is not finite and > 0).
    pub fn fit(&self) -> Result<EngagementModel> {
        self.validate()?;
        let mut kinds = Vec::with_capacity(self.kinds.len());
        let mut class_rates: Vec<f64> = Vec::new();
        for spec in &self.kinds {
            let rate = half_life_rate(spec.half_life_days);
            let class = match class_rates.iter().position(|&r| r == rate) {
                Some(c) => c,
                None => {
                    class_rates.push(rate);
                    class_rates.len() - 1
                }
            };
            kinds.push(KindRate { weight: spec.weight, rate, class });
        }
        let builtin = [ActivityKind::Email, ActivityKind::Call, ActivityKind::Meeting]
            .map(|k| self.kinds.iter().position(|s| s.kind == k).map(|p| KindId(p as u16)));
        Ok(EngagementModel {
            names: self.kinds.iter().map(|s| s.kind.clone()).collect(),
            kinds,
            class_rates,
            builtin,
            half_saturation: self.half_saturation,
            params: self.clone(),
        })
    }

    /// Checks every value, in definition order (what [`EngagementParams::fit`] runs first).
    fn validate(&self) -> Result<()> {
        if self.kinds.is_empty() {
            return Err(acctscore_core::CoreError::ParameterOutOfRange {
                name: "kinds",
                value: 0.0,
                reason: "at least one activity kind is needed",
            }
            .into());
        }
        if self.kinds.len() > usize::from(u16::MAX) {
            return Err(acctscore_core::CoreError::ParameterOutOfRange {
                name: "kinds",
                value: self.kinds.len() as f64,
                reason: "at most 65535 kinds",
            }
            .into());
        }
        if !(self.half_saturation.is_finite() && self.half_saturation > 0.0) {
            return Err(acctscore_core::CoreError::ParameterOutOfRange {
                name: "half_saturation",
                value: self.half_saturation,
                reason: "must be finite and > 0",
            }
            .into());
        }
        for spec in &self.kinds {
            check_weight(&spec.kind, spec.weight)?;
            let rate = half_life_rate(spec.half_life_days);
            if !(spec.half_life_days.is_finite() && spec.half_life_days > 0.0 && rate.is_finite() && rate > 0.0) {
                return Err(EngagementError::InvalidHalfLife {
                    kind: spec.kind.as_str().to_owned(),
                    days: spec.half_life_days,
                });
            }
        }
        Ok(())
    }
}

/// Decay rate per second of a half-life in days: `ln 2 / half-life`.
fn half_life_rate(half_life_days: f64) -> f64 {
    std::f64::consts::LN_2 / (half_life_days * SECONDS_PER_DAY)
}

pub(crate) fn check_weight(kind: &ActivityKind, weight: f64) -> Result<()> {
    if weight.is_finite() && (0.0..=MAX_WEIGHT).contains(&weight) {
        Ok(())
    } else {
        Err(EngagementError::InvalidWeight { kind: kind.as_str().to_owned(), value: weight })
    }
}

/// Precomputed weight and decay rate (per second) of one kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct KindRate {
    pub(crate) weight: f64,
    /// `ln 2 / half-life` in 1/seconds.
    pub(crate) rate: f64,
    /// Index of the kind's half-life class (kinds with equal half-lives share one).
    pub(crate) class: usize,
}

/// Validated engagement parameters with precomputed decay rates
/// (`ln 2 / half-life`): the object every engagement computation uses.
///
/// Kinds sharing a half-life share one *half-life class*; an incremental
/// [`EngagementState`](crate::EngagementState) stores one value per class.
#[derive(Debug, Clone, PartialEq)]
pub struct EngagementModel {
    names: Vec<ActivityKind>,
    pub(crate) kinds: Vec<KindRate>,
    pub(crate) class_rates: Vec<f64>,
    builtin: [Option<KindId>; 3],
    half_saturation: f64,
    params: EngagementParams,
}

impl EngagementModel {
    /// The parameters this model was built from.
    pub fn params(&self) -> &EngagementParams {
        &self.params
    }

    /// Number of kinds.
    pub fn n_kinds(&self) -> usize {
        self.kinds.len()
    }

    /// Number of distinct half-lives (the size of an incremental state).
    #[cfg(test)]
    pub(crate) fn n_classes(&self) -> usize {
        self.class_rates.len()
    }

    /// Resolves a kind to its id.
    ///
    /// # Errors
    /// [`EngagementError::UnknownKind`] naming the kind when the model does not define it.
    pub fn kind_id(&self, kind: &ActivityKind) -> Result<KindId> {
        let found = match kind {
            ActivityKind::Email => self.builtin[0],
            ActivityKind::Call => self.builtin[1],
            ActivityKind::Meeting => self.builtin[2],
            ActivityKind::Custom(_) => self.names.iter().position(|k| k == kind).map(|p| KindId(p as u16)),
        };
        found.ok_or_else(|| EngagementError::UnknownKind { kind: kind.as_str().to_owned() })
    }

    /// Resolves a kind by name (`email`, `call`, `meeting` or a custom name), without allocating.
    ///
    /// # Errors
    /// [`EngagementError::UnknownKind`] naming the kind when the model does not define it.
    pub fn kind_id_by_name(&self, name: &str) -> Result<KindId> {
        let found = match name {
            "email" => self.builtin[0],
            "call" => self.builtin[1],
            "meeting" => self.builtin[2],
            _ => self.names.iter().position(|k| k.as_str() == name).map(|p| KindId(p as u16)),
        };
        found.ok_or_else(|| EngagementError::UnknownKind { kind: name.to_owned() })
    }

    /// The kind of an id.
    ///
    /// # Errors
    /// [`EngagementError::UnknownKindId`] when the id is not from this model.
    pub fn kind(&self, id: KindId) -> Result<&ActivityKind> {
        self.names.get(id.index()).ok_or(EngagementError::UnknownKindId { id: id.0, n_kinds: self.names.len() })
    }

    #[inline]
    pub(crate) fn rate_of(&self, id: KindId) -> Result<&KindRate> {
        self.kinds.get(id.index()).ok_or(EngagementError::UnknownKindId { id: id.0, n_kinds: self.kinds.len() })
    }

    /// The weight of an activity: its own weight if given (checked), else its kind's.
    #[inline]
    pub(crate) fn weight_of(&self, id: KindId, k: &KindRate, weight: Option<f64>) -> Result<f64> {
        match weight {
            None => Ok(k.weight),
            Some(w) if w.is_finite() && (0.0..=MAX_WEIGHT).contains(&w) => Ok(w),
            Some(w) => Err(EngagementError::InvalidWeight {
                kind: self.names.get(id.index()).map(|k| k.as_str().to_owned()).unwrap_or_default(),
                value: w,
            }),
        }
    }

    /// Natural log of an activity's contribution decayed (or grown) to `reference`:
    /// `ln w − ln 2 · (reference − at) / half_life`. Never overflows; `−inf` for weight 0.
    ///
    /// # Errors
    /// [`EngagementError::UnknownKindId`], [`EngagementError::InvalidWeight`].
    pub(crate) fn log_contribution(
        &self,
        kind: KindId,
        at: Timestamp,
        weight: Option<f64>,
        reference: Timestamp,
    ) -> Result<f64> {
        let k = self.rate_of(kind)?;
        let w = self.weight_of(kind, k, weight)?;
        Ok(w.ln() - k.rate * reference.seconds_since(at))
    }

    /// An activity's contribution decayed to a fixed `reference` time, for
    /// engines that can only SUM: `w · 2^((at − reference) / half_life)`.
    ///
    /// With one reference `R` for all rows, the engagement at `now ≥` every
    /// activity is `Σ_classes 2^(−(now − R)/half_life_c) · Σ_{rows of class c} contribution`,
    /// one sum per half-life class (kinds with equal half-lives may share a sum).
    /// Choose `R` near the newest activities: a contribution grows by a factor 2
    /// per half-life after `R` and is reported as an error when it would not fit in an `f64`.
    ///
    /// # Errors
    /// [`EngagementError::UnknownKindId`], [`EngagementError::InvalidWeight`],
    /// [`EngagementError::Overflow`] when the value exceeds `f64::MAX`
    /// (choose a reference nearer the activities).
    pub fn contribution(&self, kind: KindId, at: Timestamp, weight: Option<f64>, reference: Timestamp) -> Result<f64> {
        let log_value = self.log_contribution(kind, at, weight, reference)?;
        let value = log_value.exp();
        if value.is_finite() { Ok(value) } else { Err(EngagementError::Overflow { what: "contribution", log_value }) }
    }

    /// The decay factor `2^(−(to − from) / half_life)` of a kind over an interval
    /// (`to ≥ from` gives a factor in `[0, 1]`).
    ///
    /// # Errors
    /// [`EngagementError::UnknownKindId`]; [`EngagementError::Overflow`] when
    /// `to` is so far before `from` that the factor does not fit in an `f64`.
    pub fn decay_factor(&self, kind: KindId, from: Timestamp, to: Timestamp) -> Result<f64> {
        let log_value = -self.rate_of(kind)?.rate * to.seconds_since(from);
        let value = log_value.exp();
        if value.is_finite() { Ok(value) } else { Err(EngagementError::Overflow { what: "decay factor", log_value }) }
    }

    /// The saturating map of an engagement `e ≥ 0` to `[0, 1]`: `e / (e + h)`
    /// with `h` the half-saturation (0 → 0, `h` → 0.5, `+inf` → 1; monotone).
    ///
    /// # Errors
    /// [`acctscore_core::CoreError::NonFinite`] for NaN and
    /// [`acctscore_core::CoreError::OutOfRange`] for a negative engagement.
    pub fn saturate(&self, engagement: f64) -> Result<Probability> {
        if engagement.is_nan() {
            return Err(acctscore_core::CoreError::NonFinite { what: "engagement", index: 0, value: engagement }.into());
        }
        if engagement < 0.0 {
            return Err(acctscore_core::CoreError::OutOfRange {
                what: "engagement",
                value: engagement,
                min: 0.0,
                max: f64::INFINITY,
            }
            .into());
        }
        if engagement == f64::INFINITY {
            return Ok(Probability::ONE);
        }
        Ok(Probability::clamped(engagement / (engagement + self.half_saturation))?)
    }

    /// [`EngagementModel::saturate`] of every engagement, in order (for
    /// example of [`BatchEngagement::scores`](crate::BatchEngagement::scores)).
    ///
    /// # Errors
    /// As [`EngagementModel::saturate`], for the first bad value.
    pub fn saturate_all(&self, engagement: &[f64]) -> Result<Vec<Probability>> {
        engagement.iter().map(|&e| self.saturate(e)).collect()
    }

    /// The half-saturation engagement `h` of [`EngagementModel::saturate`].
    pub fn half_saturation(&self) -> f64 {
        self.half_saturation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_defaults_and_resolves_kinds() {
        let m = EngagementParams::new().fit().expect("valid");
        assert_eq!(m.n_kinds(), 3);
        assert_eq!(m.n_classes(), 3);
        assert_eq!(m.kind_id_by_name("call").expect("known").index(), 1);
        assert_eq!(m.kind_id(&ActivityKind::Meeting).expect("known").index(), 2);
        match m.kind_id_by_name("fax") {
            Err(EngagementError::UnknownKind { kind }) => assert_eq!(kind, "fax"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(m.kind(KindId(9)), Err(EngagementError::UnknownKindId { id: 9, n_kinds: 3 })));
    }

    #[test]
    fn custom_kinds_and_shared_classes() {
        let m = EngagementParams::new().kind("demo", 5.0, 14.0).half_life_days("call", 14.0).fit().expect("valid");
        assert_eq!(m.n_kinds(), 4);
        assert_eq!(m.n_classes(), 2);
        assert_eq!(m.kind_id(&ActivityKind::from("demo")).expect("known").index(), 3);
        assert_eq!(m.kind(KindId(3)).expect("known").as_str(), "demo");
    }

    #[test]
    fn the_model_keeps_its_parameters_and_half_saturation() {
        let p = EngagementParams::new().kind("demo", 5.0, 14.0).half_saturation(4.0);
        let m = p.fit().expect("valid");
        assert_eq!(m.params(), &p);
        let last = p.kinds.last().map(|s| (s.kind.as_str().to_string(), s.weight, s.half_life_days));
        assert_eq!(last, Some(("demo".to_string(), 5.0, 14.0)));
        assert_eq!(m.half_saturation(), 4.0);
        assert_eq!(m.saturate(4.0).expect("ok").get(), 0.5);
    }

    #[test]
    fn rejects_bad_weights_and_half_lives() {
        for w in [-1.0, f64::NAN, f64::INFINITY, 1e300] {
            let err = EngagementParams::new().weight("email", w).fit().expect_err("invalid weight");
            assert!(matches!(err, EngagementError::InvalidWeight { ref kind, .. } if kind == "email"), "{err:?}");
        }
        for d in [0.0, -3.0, f64::NAN, f64::INFINITY, 1e-320] {
            let err = EngagementParams::new().half_life_days("call", d).fit().expect_err("invalid half-life");
            assert!(matches!(err, EngagementError::InvalidHalfLife { ref kind, .. } if kind == "call"), "{err:?}");
        }
        assert!(EngagementParams::empty().fit().is_err());
        assert!(EngagementParams::new().half_saturation(0.0).fit().is_err());
    }

    #[test]
    fn contribution_and_saturation() {
        let m = EngagementParams::new().fit().expect("valid");
        let email = m.kind_id_by_name("email").expect("known");
        let t0 = Timestamp::from_unix_seconds(1_700_000_000);
        let later = Timestamp::from_unix_seconds(1_700_000_000 + 14 * 86_400);
        let c = m.contribution(email, t0, None, later).expect("finite");
        assert!((c - 0.5).abs() < 1e-15);
        let c2 = m.contribution(email, later, Some(4.0), t0).expect("finite");
        assert!((c2 - 8.0).abs() < 1e-12);
        let far = Timestamp::from_unix_seconds(i64::MAX);
        assert!(matches!(
            m.contribution(email, far, None, Timestamp::from_unix_seconds(i64::MIN)),
            Err(EngagementError::Overflow { .. })
        ));
        assert_eq!(m.contribution(email, Timestamp::from_unix_seconds(i64::MIN), None, far).expect("tiny"), 0.0);
        assert!(m.log_contribution(email, far, None, Timestamp::from_unix_seconds(i64::MIN)).expect("log").is_finite());
        assert_eq!(m.saturate(0.0).expect("ok").get(), 0.0);
        assert_eq!(m.saturate(10.0).expect("ok").get(), 0.5);
        assert_eq!(m.saturate(f64::INFINITY).expect("ok").get(), 1.0);
        assert!(m.saturate(-1.0).is_err());
        assert!(m.saturate(f64::NAN).is_err());
        let all = m.saturate_all(&[0.0, 10.0]).expect("ok");
        assert_eq!(all.iter().map(|p| p.get()).collect::<Vec<_>>(), vec![0.0, 0.5]);
        assert!(m.saturate_all(&[1.0, -1.0]).is_err());
    }

    #[test]
    fn kind_serde_is_its_name() {
        let json = serde_json::to_string(&vec![ActivityKind::Email, ActivityKind::from("demo")]).expect("ser");
        assert_eq!(json, r#"["email","demo"]"#);
        let back: Vec<ActivityKind> = serde_json::from_str(&json).expect("de");
        assert_eq!(back, vec![ActivityKind::Email, ActivityKind::Custom("demo".into())]);
        let p = EngagementParams::new().kind("demo", 2.0, 7.0);
        let back: EngagementParams = serde_json::from_str(&serde_json::to_string(&p).expect("ser")).expect("de");
        assert_eq!(back, p);
    }
}
