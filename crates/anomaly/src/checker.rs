//! The checks: plausibility rules, unit errors and segment outliers.

use crate::bounds::{Bounds, BoundsTable};
use crate::error::Result;
use crate::finding::{AnomalyReport, CheckCode, ExpectedRange, Finding, MissingInput, MissingInputs, Severity, money};
use crate::inputs::AnomalyInputs;
use crate::segments::SegmentModel;
use crate::segments::SegmentStats;
use acctscore_core::Timestamp;
use rustc_hash::FxHashMap as FxMap;

/// Default severity weights (Low, Medium, High, Critical) in the penalty.
pub const DEFAULT_SEVERITY_WEIGHTS: [f64; 4] = [0.1, 0.3, 0.6, 0.9];

/// Settings of the checks. Built with [`AnomalyParams::new`] (the reference
/// date is required, so that results never depend on the wall clock) and
/// `with_*` setters, including the [`BoundsTable`] and an optional fitted
/// [`SegmentModel`]; [`AnomalyParams::fit`] checks them once and returns the
/// [`AnomalyChecker`].
///
/// ```
/// use acctscore_anomaly::{AnomalyInputs, AnomalyParams, CheckCode};
/// use acctscore_core::Timestamp;
/// let checker = AnomalyParams::new(Timestamp::from_unix_seconds(1_767_225_600)) // 2026-01-01
///     .with_max_traffic_growth_90d(5.0)
///     .with_outlier_z(5.0)
///     .fit()?;
/// let report = checker.check(&AnomalyInputs::new().with_founded_year(2031.0));
/// assert!(report.has(CheckCode::FoundedInFuture));
/// assert!(AnomalyParams::new(Timestamp::from_unix_seconds(0)).with_outlier_z(-1.0).fit().is_err());
/// # Ok::<(), acctscore_anomaly::AnomalyError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyParams {
    as_of_year: i64,
    max_traffic_growth_90d: f64,
    outlier_z: f64,
    unit_error_min_z: f64,
    unit_error_fit_z: f64,
    severity_weights: [f64; 4],
    bounds: BoundsTable,
    segments: Option<SegmentModel>,
}

impl AnomalyParams {
    /// Defaults, with `as_of` as the reference date for "founded in the future":
    /// maximum 90-day traffic growth 10 (+1000%); segment outlier at
    /// |z| ≥ 4.5 robust standard deviations; unit error when z ≥ 5 and the
    /// revenue ÷ 1000 lies within 3 robust standard deviations of the
    /// segment's median; severity weights [`DEFAULT_SEVERITY_WEIGHTS`]; the
    /// default [`BoundsTable`] and no segment model (rules only).
    pub fn new(as_of: Timestamp) -> Self {
        AnomalyParams {
            as_of_year: as_of.year(),
            max_traffic_growth_90d: 10.0,
            outlier_z: 4.5,
            unit_error_min_z: 5.0,
            unit_error_fit_z: 3.0,
            severity_weights: DEFAULT_SEVERITY_WEIGHTS,
            bounds: BoundsTable::default(),
            segments: None,
        }
    }
    /// Sets the largest plausible 90-day traffic growth (positive; 10 = +1000%).
    pub fn with_max_traffic_growth_90d(mut self, g: f64) -> Self {
        self.max_traffic_growth_90d = g;
        self
    }
    /// Sets the robust z-score beyond which revenue per employee is a segment outlier (positive).
    pub fn with_outlier_z(mut self, z: f64) -> Self {
        self.outlier_z = z;
        self
    }
    /// Sets the unit-error thresholds: the revenue's z-score must reach
    /// `min_z`, and revenue ÷ 1000 must lie within `fit_z` of the median.
    pub fn with_unit_error_z(mut self, min_z: f64, fit_z: f64) -> Self {
        self.unit_error_min_z = min_z;
        self.unit_error_fit_z = fit_z;
        self
    }
    /// Sets the penalty weight of each severity (Low, Medium, High,
    /// Critical), each in `(0, 1]`.
    pub fn with_severity_weights(mut self, w: [f64; 4]) -> Self {
        self.severity_weights = w;
        self
    }
    /// Uses this bounds table (default: [`BoundsTable::default`]).
    pub fn with_bounds(mut self, bounds: BoundsTable) -> Self {
        self.bounds = bounds;
        self
    }
    /// Uses a fitted segment model (enables the segment outlier check and
    /// the statistical unit-error check); see [`SegmentParams::fit`](crate::SegmentParams::fit).
    pub fn with_segments(mut self, segments: SegmentModel) -> Self {
        self.segments = Some(segments);
        self
    }

    /// Checks the settings once and returns the checker, with bounds and
    /// segment statistics resolved per industry.
    ///
    /// # Errors
    /// [`CoreError::ParameterOutOfRange`](acctscore_core::CoreError::ParameterOutOfRange) for invalid settings.
    pub fn fit(&self) -> Result<AnomalyChecker> {
        self.validate()?;
        let resolved = Resolved::build(&self.bounds, self.segments.as_ref(), self);
        Ok(AnomalyChecker { params: self.clone(), resolved })
    }

    fn validate(&self) -> Result<()> {
        let pos = |name: &'static str, v: f64| -> Result<()> {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(acctscore_core::CoreError::ParameterOutOfRange {
                    name,
                    value: v,
                    reason: "must be positive and finite",
                }
                .into())
            }
        };
        pos("max_traffic_growth_90d", self.max_traffic_growth_90d)?;
        pos("outlier_z", self.outlier_z)?;
        pos("unit_error_min_z", self.unit_error_min_z)?;
        pos("unit_error_fit_z", self.unit_error_fit_z)?;
        for w in self.severity_weights {
            if !(w.is_finite() && w > 0.0 && w <= 1.0) {
                return Err(acctscore_core::CoreError::ParameterOutOfRange {
                    name: "severity_weights",
                    value: w,
                    reason: "must be in (0, 1]",
                }
                .into());
            }
        }
        Ok(())
    }
}

/// Runs every check on one account and returns an [`AnomalyReport`].
///
/// Checks, in order (codes in [`CheckCode`]):
/// 1. revenue negative (critical) or ±inf (high); NaN/`None` is *missing*;
/// 2. employees below 1 or ±inf (high);
/// 3. founded after the reference year (medium);
/// 4. traffic negative or ±inf (medium); 90-day growth below −100%, above the
///    maximum, or ±inf (medium);
/// 5. with positive revenue and employees ≥ 1, on revenue per employee:
///    - *likely ×1000 unit error* (high): the revenue is far above its
///      segment (robust z ≥ 5) while revenue ÷ 1000 is typical (|z| ≤ 3);
///      without a fitted segment model: above the industry bound while
///      ÷ 1000 is within it. A figure above the bound counts as a unit
///      error only if it is a whole multiple of 10 (what ×1000 makes of an
///      amount in cents); otherwise it is reported as
///    - *implausible* (high): outside the industry bounds of the
///      [`BoundsTable`] (the 1-employee, $1M-a-month company);
///    - otherwise *segment outlier* (low; medium beyond 1.5× the threshold):
///      robust |z| ≥ 4.5 within industry × size band (needs a [`SegmentModel`]).
///
/// Missing values are listed in [`AnomalyReport::missing`] with no penalty.
/// Checking never fails and never allocates for a clean account.
#[derive(Debug, Clone)]
pub struct AnomalyChecker {
    params: AnomalyParams,
    resolved: Resolved,
}

/// Bounds and per-band segment statistics resolved per industry, so that
/// one hash lookup serves every check of an account.
#[derive(Debug, Clone, Default)]
struct Resolved {
    index: FxMap<Box<str>, usize>,
    /// `entries[0]`: no or unknown industry.
    entries: Vec<Entry>,
    /// Per size band: the open interval of revenue per employee inside
    /// which no industry's entry can raise a revenue-per-employee finding
    /// (the intersection over entries), so that a clean account needs no
    /// industry lookup.
    safe: Vec<(f64, f64)>,
}

#[derive(Debug, Clone)]
struct Entry {
    bounds: Bounds,
    /// Per size band (empty without a segment model).
    bands: Vec<BandThresholds>,
}

/// A segment's statistics and the z-score thresholds of the checks turned
/// into revenue-per-employee thresholds (`z ≥ k` ⟺ `rpe ≥ exp(median + k·scale)`),
/// so that a clean account needs no logarithm.
#[derive(Debug, Clone, Copy)]
struct BandThresholds {
    stats: SegmentStats,
    outlier_low: f64,
    outlier_high: f64,
    unit_min: f64,
    unit_low: f64,
    unit_high: f64,
}

impl BandThresholds {
    fn new(s: SegmentStats, p: &AnomalyParams) -> Self {
        let at = |z: f64| (s.median + z * s.scale).exp();
        let ln_unit = UNIT.ln();
        BandThresholds {
            stats: s,
            outlier_low: at(-p.outlier_z),
            outlier_high: at(p.outlier_z),
            unit_min: at(p.unit_error_min_z),
            unit_low: (s.median + ln_unit - p.unit_error_fit_z * s.scale).exp(),
            unit_high: (s.median + ln_unit + p.unit_error_fit_z * s.scale).exp(),
        }
    }
}

impl Resolved {
    fn build(bounds: &BoundsTable, segments: Option<&SegmentModel>, params: &AnomalyParams) -> Self {
        let entry = |industry: Option<&str>| Entry {
            bounds: bounds.for_industry(industry),
            bands: segments.map_or_else(Vec::new, |m| {
                (0..m.band_count()).map(|b| BandThresholds::new(m.stats_in_band(industry, b), params)).collect()
            }),
        };
        let mut r = Resolved { index: FxMap::default(), entries: vec![entry(None)], safe: Vec::new() };
        let keys = bounds.industries().chain(segments.into_iter().flat_map(|m| m.industries()));
        for k in keys {
            if !r.index.contains_key(k) {
                r.index.insert(k.into(), r.entries.len());
                r.entries.push(entry(Some(k)));
            }
        }
        let n_bands = segments.map_or(1, SegmentModel::band_count);
        r.safe = (0..n_bands)
            .map(|b| {
                r.entries.iter().fold((0.0f64, f64::INFINITY), |(lo, hi), ent| {
                    let (mut l, mut h) = (ent.bounds.min, ent.bounds.max);
                    if let Some(t) = ent.bands.get(b) {
                        l = l.max(t.outlier_low);
                        h = h.min(t.outlier_high).min(t.unit_min).min(t.unit_low);
                    }
                    (lo.max(l), hi.min(h))
                })
            })
            .collect();
        r
    }

    #[inline]
    fn entry(&self, industry: Option<&str>) -> &Entry {
        let i = match industry {
            None => 0,
            Some(s) => match self.index.get(s) {
                Some(&i) => i,
                None => {
                    let t = s.trim();
                    self.index.iter().find(|(k, _)| k.eq_ignore_ascii_case(t)).map_or(0, |(_, &i)| i)
                }
            },
        };
        &self.entries[i.min(self.entries.len() - 1)]
    }
}

const UNIT: f64 = 1000.0;

#[inline]
fn whole_multiple_of_ten(r: f64) -> bool {
    // A ×1000 amount in cents is a multiple of 10 (1341.48 → 1341480).
    let q = r / 10.0;
    (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
}

impl AnomalyChecker {
    /// The settings it was fitted from.
    pub fn params(&self) -> &AnomalyParams {
        &self.params
    }

    /// The segment model, if any.
    pub fn segments(&self) -> Option<&SegmentModel> {
        self.params.segments.as_ref()
    }

    /// Checks one account.
    pub fn check(&self, x: &AnomalyInputs<'_>) -> AnomalyReport {
        let mut report = Report { findings: Vec::new(), missing: MissingInputs::default() };
        self.visit(x, &mut report);
        let Report { findings, missing } = report;
        let penalty = self.penalty_of(findings.iter().map(|f| f.severity));
        AnomalyReport { findings, missing, penalty }
    }

    /// `1 − Π (1 − weight of each finding's severity)`, in finding order; 0 without findings.
    fn penalty_of(&self, severities: impl Iterator<Item = Severity>) -> f64 {
        let mut penalty = Penalty { weights: &self.params.severity_weights, keep: 1.0, any: false, revenue: false };
        for s in severities {
            penalty.add(s);
        }
        penalty.value()
    }

    /// Runs every check on `x`, handing findings and missing inputs to `out`.
    fn visit(&self, x: &AnomalyInputs<'_>, out: &mut impl Findings) {
        // Empty is missing; the label's bytes are not read for clean accounts.
        let industry = x.industry.filter(|s| !s.is_empty());
        if industry.is_none() {
            out.missing(MissingInput::Industry);
        }

        match x.monthly_revenue {
            None => out.missing(MissingInput::Revenue),
            Some(r) if r.is_nan() => out.missing(MissingInput::Revenue),
            Some(r) if r.is_infinite() => {
                out.push(CheckCode::RevenueNonFinite, Severity::High, r, Some(0.0), None, || {
                    "Reported revenue is infinite, which is a data error.".into()
                })
            }
            Some(r) if r < 0.0 => out.push(CheckCode::RevenueNegative, Severity::Critical, r, Some(0.0), None, || {
                format!("Reported monthly revenue is negative ({}); revenue cannot be below zero.", money(r))
            }),
            Some(_) => {}
        }

        match x.employees {
            None => out.missing(MissingInput::Employees),
            Some(e) if e.is_nan() => out.missing(MissingInput::Employees),
            Some(e) if !(e.is_finite() && e >= 1.0) => {
                out.push(CheckCode::EmployeesInvalid, Severity::High, e, Some(1.0), None, || {
                    format!("Head count is {e}; a company has at least one employee.")
                })
            }
            Some(_) => {}
        }

        match x.founded_year {
            None => out.missing(MissingInput::FoundedYear),
            Some(y) if y.is_nan() => out.missing(MissingInput::FoundedYear),
            Some(y) if !(y.is_finite() && y <= self.params.as_of_year as f64) => out.push(
                CheckCode::FoundedInFuture,
                Severity::Medium,
                y,
                None,
                Some(self.params.as_of_year as f64),
                || format!("Founded in {y}, which is after {}.", self.params.as_of_year),
            ),
            Some(_) => {}
        }

        match x.web_traffic_monthly {
            None => out.missing(MissingInput::WebTraffic),
            Some(t) if t.is_nan() => out.missing(MissingInput::WebTraffic),
            Some(t) if !(t.is_finite() && t >= 0.0) => {
                out.push(CheckCode::TrafficInvalid, Severity::Medium, t, Some(0.0), None, || {
                    format!("Monthly web traffic is {t}; visits cannot be negative or infinite.")
                })
            }
            Some(_) => {}
        }

        let gmax = self.params.max_traffic_growth_90d;
        match x.web_traffic_growth_90d {
            None => out.missing(MissingInput::WebTrafficGrowth),
            Some(g) if g.is_nan() => out.missing(MissingInput::WebTrafficGrowth),
            Some(g) if !(g.is_finite() && (-1.0..=gmax).contains(&g)) => {
                out.push(CheckCode::TrafficGrowthImpossible, Severity::Medium, g, Some(-1.0), Some(gmax), || {
                    format!(
                        "Web traffic changed by {:+.0}% in 90 days; between -100% and {:+.0}% is plausible.",
                        g * 100.0,
                        gmax * 100.0
                    )
                })
            }
            Some(_) => {}
        }

        if let (Some(r), Some(e)) = (x.monthly_revenue, x.employees)
            && r.is_finite()
            && r > 0.0
            && e.is_finite()
            && e >= 1.0
        {
            let rpe = r / e;
            let band = self.params.segments.as_ref().map_or(0, |m| m.band(e));
            let (safe_low, safe_high) = self.resolved.safe.get(band).copied().unwrap_or((f64::INFINITY, 0.0));
            if !(rpe > safe_low && rpe < safe_high) {
                self.check_revenue_per_employee(industry, r, e, band, out);
            }
        }
    }

    /// The revenue-per-employee checks (unit error, implausible, segment
    /// outlier) for an account outside its band's safe interval.
    #[cold]
    fn check_revenue_per_employee(&self, industry: Option<&str>, r: f64, e: f64, band: usize, out: &mut impl Findings) {
        let rpe = r / e;
        let ent = self.resolved.entry(industry);
        let b = ent.bounds;
        let above = rpe > b.max;
        let below = rpe < b.min;
        let ind_name = industry.unwrap_or("its industry");
        let th = ent.bands.get(band).copied();
        let seg = th.map(|t| t.stats);
        let unit_candidate = match th {
            Some(t) => rpe >= t.unit_min && rpe >= t.unit_low && rpe <= t.unit_high,
            None => above && (rpe / UNIT) >= b.min && (rpe / UNIT) <= b.max,
        };
        if unit_candidate && (!above || whole_multiple_of_ten(r)) {
            let (lo, hi) = match seg {
                Some(s) => {
                    let k = self.params.unit_error_fit_z;
                    (e * (s.median - k * s.scale).exp(), e * (s.median + k * s.scale).exp())
                }
                None => (e * b.min, e * b.max),
            };
            out.push(CheckCode::LikelyUnitErrorX1000, Severity::High, r, Some(lo), Some(hi), || {
                format!(
                    "Reported revenue of {} a month looks 1000x too large (entered in the wrong unit?); \
                     {} a month would be typical for a company of {} employees.",
                    money(r),
                    money(r / UNIT),
                    e
                )
            });
        } else if above || below {
            let msg = || {
                if above {
                    format!(
                        "Reports {} a month with {} employee{} ({} per employee); companies in {} rarely exceed {} \
                     per employee a month.",
                        money(r),
                        e,
                        if e == 1.0 { "" } else { "s" },
                        money(rpe),
                        ind_name,
                        money(b.max)
                    )
                } else {
                    format!(
                        "Reports only {} a month per employee; companies in {} rarely earn below {}.",
                        money(rpe),
                        ind_name,
                        money(b.min)
                    )
                }
            };
            out.push(CheckCode::RevenuePerEmployeeImplausible, Severity::High, rpe, Some(b.min), Some(b.max), msg);
        } else if let Some(t) = th
            && (rpe >= t.outlier_high || rpe <= t.outlier_low)
        {
            let s = t.stats;
            let z = (rpe.ln() - s.median) / s.scale;
            let k = self.params.outlier_z;
            let sev = if z.abs() >= 1.5 * k { Severity::Medium } else { Severity::Low };
            let (lo, hi) = ((s.median - k * s.scale).exp(), (s.median + k * s.scale).exp());
            out.push(CheckCode::RevenuePerEmployeeOutlier, sev, rpe, Some(lo), Some(hi), || {
                format!(
                    "Revenue per employee of {} a month is far {} peers in {} of similar size (typically {} \
                     to {}).",
                    money(rpe),
                    if z > 0.0 { "above" } else { "below" },
                    ind_name,
                    money(lo),
                    money(hi)
                )
            });
        }
    }

    /// Checks every account, in order (equal to calling [`AnomalyChecker::check`] on each).
    pub fn check_batch(&self, rows: &[AnomalyInputs<'_>]) -> Vec<AnomalyReport> {
        rows.iter().map(|r| self.check(r)).collect()
    }

    /// The penalty alone (no report, no allocation): equal to
    /// `self.check(x).penalty`.
    pub fn penalty(&self, x: &AnomalyInputs<'_>) -> f64 {
        self.penalty_and_revenue_doubt(x).0
    }

    /// The penalty and whether a finding doubts the reported revenue (no
    /// report, no allocation): equal to `(r.penalty, r.revenue_doubted())`
    /// of `r = self.check(x)`.
    pub fn penalty_and_revenue_doubt(&self, x: &AnomalyInputs<'_>) -> (f64, bool) {
        let mut penalty = Penalty { weights: &self.params.severity_weights, keep: 1.0, any: false, revenue: false };
        self.visit(x, &mut penalty);
        (penalty.value(), penalty.revenue)
    }
}

/// Where [`AnomalyChecker::visit`] puts what it finds.
trait Findings {
    /// A finding of `severity`; `finding` is built only by sinks that keep it.
    fn found(&mut self, code: CheckCode, severity: Severity, finding: impl FnOnce() -> Finding);

    /// An input the account lacks.
    fn missing(&mut self, input: MissingInput);

    /// A finding from its parts; `message` is called only by sinks that keep it.
    #[inline]
    fn push(
        &mut self,
        code: CheckCode,
        severity: Severity,
        observed: f64,
        min: Option<f64>,
        max: Option<f64>,
        message: impl FnOnce() -> String,
    ) {
        self.found(code, severity, || Finding {
            code,
            severity,
            observed,
            expected: ExpectedRange { min, max },
            message: message(),
        });
    }
}

/// The full report's findings and missing inputs.
struct Report {
    findings: Vec<Finding>,
    missing: MissingInputs,
}

impl Findings for Report {
    fn found(&mut self, _: CheckCode, _: Severity, finding: impl FnOnce() -> Finding) {
        self.findings.push(finding());
    }

    fn missing(&mut self, input: MissingInput) {
        self.missing.insert(input);
    }
}

/// The penalty of the findings so far (severities only: no message is built).
struct Penalty<'a> {
    weights: &'a [f64; 4],
    keep: f64,
    any: bool,
    /// Whether a finding doubts the reported revenue.
    revenue: bool,
}

impl Penalty<'_> {
    fn add(&mut self, severity: Severity) {
        self.keep *= 1.0 - self.weights[severity.index()];
        self.any = true;
    }

    fn value(&self) -> f64 {
        if self.any { (1.0 - self.keep).clamp(0.0, 1.0) } else { 0.0 }
    }
}

impl Findings for Penalty<'_> {
    fn found(&mut self, code: CheckCode, severity: Severity, _: impl FnOnce() -> Finding) {
        self.revenue |= code.doubts_revenue();
        self.add(severity);
    }

    fn missing(&mut self, _: MissingInput) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SegmentParams;

    fn checker() -> AnomalyChecker {
        AnomalyParams::new(Timestamp::from_unix_seconds(1_767_225_600)).fit().expect("valid")
    }

    fn clean<'a>() -> AnomalyInputs<'a> {
        AnomalyInputs::new()
            .with_industry("Software")
            .with_employees(12.0)
            .with_monthly_revenue(6_000.0)
            .with_founded_year(2015.0)
            .with_web_traffic_monthly(2_000.0)
            .with_web_traffic_growth_90d(0.05)
    }

    #[test]
    fn rules_fire() {
        let c = checker();
        assert!(c.check(&clean()).is_clean());
        assert_eq!(c.check(&clean()).penalty, 0.0);
        let cases = [
            (clean().with_monthly_revenue(-5.0), CheckCode::RevenueNegative),
            (clean().with_monthly_revenue(f64::INFINITY), CheckCode::RevenueNonFinite),
            (clean().with_employees(0.0), CheckCode::EmployeesInvalid),
            (clean().with_employees(f64::NEG_INFINITY), CheckCode::EmployeesInvalid),
            (clean().with_founded_year(2031.0), CheckCode::FoundedInFuture),
            (clean().with_web_traffic_monthly(-3.0), CheckCode::TrafficInvalid),
            (clean().with_web_traffic_growth_90d(-1.5), CheckCode::TrafficGrowthImpossible),
            (clean().with_web_traffic_growth_90d(40.0), CheckCode::TrafficGrowthImpossible),
            (clean().with_employees(1.0).with_monthly_revenue(2_345_678.91), CheckCode::RevenuePerEmployeeImplausible),
            (clean().with_employees(10.0).with_monthly_revenue(60_001_230.0), CheckCode::LikelyUnitErrorX1000),
        ];
        for (row, code) in cases {
            let rep = c.check(&row);
            assert_eq!(rep.findings.len(), 1, "{code}: {rep:?}");
            assert_eq!(rep.findings[0].code, code);
            assert!(rep.penalty > 0.0 && rep.penalty <= 1.0);
            assert!(!rep.findings[0].message.is_empty());
        }
    }

    #[test]
    fn missing_revenue_is_not_an_anomaly() {
        let c = checker();
        for row in [AnomalyInputs { monthly_revenue: None, ..clean() }, clean().with_monthly_revenue(f64::NAN)] {
            let rep = c.check(&row);
            assert!(rep.is_clean());
            assert_eq!(rep.penalty, 0.0);
            assert!(rep.missing.contains(MissingInput::Revenue));
        }
    }

    #[test]
    fn segment_checks() {
        let rows: Vec<AnomalyInputs> = (0..400)
            .map(|i| {
                let e = 5.0 + (i % 20) as f64;
                clean().with_employees(e).with_monthly_revenue(e * 500.0 * (1.0 + 0.3 * ((i % 7) as f64 - 3.0) / 3.0))
            })
            .collect();
        let seg = SegmentParams::new().fit(rows.iter().copied()).expect("fits");
        let c =
            AnomalyParams::new(Timestamp::from_unix_seconds(1_767_225_600)).with_segments(seg).fit().expect("valid");
        let normal = c.check(&clean().with_employees(10.0).with_monthly_revenue(5_123.45));
        assert!(normal.is_clean(), "{normal:?}");
        // ×1000 of a typical figure, below the hard bound.
        let unit = c.check(&clean().with_employees(10.0).with_monthly_revenue(5_123_450.0));
        assert_eq!(unit.codes_joined(";"), "likely_unit_error_x1000");
        // Tiny company with an implausible, non-round figure.
        let tiny = c.check(&clean().with_employees(1.0).with_monthly_revenue(3_456_789.12));
        assert_eq!(tiny.codes_joined(";"), "revenue_per_employee_implausible");
        // Unusually low against peers.
        let low = c.check(&clean().with_employees(10.0).with_monthly_revenue(1.5));
        assert_eq!(low.codes_joined(";"), "revenue_per_employee_outlier");
        assert!(c.check(&clean().with_employees(f64::NAN).with_monthly_revenue(f64::NAN)).is_clean());
    }

    #[test]
    fn params_are_validated() {
        let p = || AnomalyParams::new(Timestamp::from_unix_seconds(0));
        assert!(p().with_outlier_z(0.0).fit().is_err());
        assert!(p().with_outlier_z(f64::NAN).fit().is_err());
        assert!(p().with_severity_weights([0.1, 0.2, 0.3, 1.5]).fit().is_err());
        assert!(p().with_unit_error_z(5.0, -1.0).fit().is_err());
        assert!(p().with_max_traffic_growth_90d(f64::INFINITY).fit().is_err());
    }
}
