//! Findings, severities, missing inputs and the per-account report.

use serde::{Deserialize, Serialize};

/// A stable check code. The string form ([`CheckCode::as_str`]) never
/// changes between releases; new checks get new codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CheckCode {
    /// Reported revenue is negative.
    RevenueNegative,
    /// Reported revenue is ±infinity.
    RevenueNonFinite,
    /// Head count below 1 or not finite.
    EmployeesInvalid,
    /// Founding year after the reference date.
    FoundedInFuture,
    /// Negative or infinite web traffic.
    TrafficInvalid,
    /// 90-day traffic growth below −100% or above the configured maximum, or infinite.
    TrafficGrowthImpossible,
    /// Revenue per employee outside the industry's plausibility bounds
    /// (the 1-employee, $1M-a-month company).
    RevenuePerEmployeeImplausible,
    /// Revenue looks 1000× too large (entered in the wrong unit).
    LikelyUnitErrorX1000,
    /// Revenue per employee far from peers (median/MAD within industry × size band).
    RevenuePerEmployeeOutlier,
}

impl CheckCode {
    /// Whether a finding of this check makes the reported revenue figure
    /// untrustworthy (negative, infinite, implausible or outlying for the
    /// head count, or a likely unit error): a revenue model should neither
    /// learn from it nor score with it.
    pub fn doubts_revenue(self) -> bool {
        matches!(
            self,
            CheckCode::RevenueNegative
                | CheckCode::RevenueNonFinite
                | CheckCode::RevenuePerEmployeeImplausible
                | CheckCode::LikelyUnitErrorX1000
                | CheckCode::RevenuePerEmployeeOutlier
        )
    }

    /// Every code, in a fixed order.
    pub const ALL: [CheckCode; 9] = [
        CheckCode::RevenueNegative,
        CheckCode::RevenueNonFinite,
        CheckCode::EmployeesInvalid,
        CheckCode::FoundedInFuture,
        CheckCode::TrafficInvalid,
        CheckCode::TrafficGrowthImpossible,
        CheckCode::RevenuePerEmployeeImplausible,
        CheckCode::LikelyUnitErrorX1000,
        CheckCode::RevenuePerEmployeeOutlier,
    ];

    /// The stable snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckCode::RevenueNegative => "revenue_negative",
            CheckCode::RevenueNonFinite => "revenue_non_finite",
            CheckCode::EmployeesInvalid => "employees_invalid",
            CheckCode::FoundedInFuture => "founded_in_future",
            CheckCode::TrafficInvalid => "traffic_invalid",
            CheckCode::TrafficGrowthImpossible => "traffic_growth_impossible",
            CheckCode::RevenuePerEmployeeImplausible => "revenue_per_employee_implausible",
            CheckCode::LikelyUnitErrorX1000 => "likely_unit_error_x1000",
            CheckCode::RevenuePerEmployeeOutlier => "revenue_per_employee_outlier",
        }
    }
}

impl std::fmt::Display for CheckCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a finding undermines trust in the account's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Unusual but possible.
    Low,
    /// Probably wrong.
    Medium,
    /// Almost certainly wrong.
    High,
    /// Impossible (negative revenue).
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 4] = [Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    /// Position in [`Severity::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The expected range of the observed quantity (`None` = unbounded on that side).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ExpectedRange {
    /// Lower end.
    pub min: Option<f64>,
    /// Upper end.
    pub max: Option<f64>,
}

/// One finding about one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Finding {
    /// Stable check code.
    pub code: CheckCode,
    /// How much it undermines trust.
    pub severity: Severity,
    /// What the data says (in the unit of the check: revenue, revenue per
    /// employee, head count, year or growth).
    pub observed: f64,
    /// What would be plausible.
    pub expected: ExpectedRange,
    /// A sentence a sales rep understands.
    pub message: String,
}

/// Inputs an account lacks. Missing data changes which revenue estimator
/// runs; it is not an anomaly and carries no penalty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct MissingInputs(u8);

/// One input that can be missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MissingInput {
    /// Reported monthly revenue.
    Revenue,
    /// Head count.
    Employees,
    /// Industry.
    Industry,
    /// Founding year.
    FoundedYear,
    /// Monthly web traffic.
    WebTraffic,
    /// 90-day web traffic growth.
    WebTrafficGrowth,
}

impl MissingInput {
    const ALL: [MissingInput; 6] = [
        MissingInput::Revenue,
        MissingInput::Employees,
        MissingInput::Industry,
        MissingInput::FoundedYear,
        MissingInput::WebTraffic,
        MissingInput::WebTrafficGrowth,
    ];

    /// A stable snake_case name (`revenue_missing` reads as `revenue`).
    pub fn as_str(self) -> &'static str {
        match self {
            MissingInput::Revenue => "revenue",
            MissingInput::Employees => "employees",
            MissingInput::Industry => "industry",
            MissingInput::FoundedYear => "founded_year",
            MissingInput::WebTraffic => "web_traffic",
            MissingInput::WebTrafficGrowth => "web_traffic_growth",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl MissingInputs {
    pub(crate) fn insert(&mut self, m: MissingInput) {
        self.0 |= m.bit();
    }
    /// Whether `m` is missing.
    pub fn contains(&self, m: MissingInput) -> bool {
        self.0 & m.bit() != 0
    }
    /// Whether nothing is missing.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
    /// The missing inputs, in a fixed order.
    pub fn iter(&self) -> impl Iterator<Item = MissingInput> + '_ {
        MissingInput::ALL.into_iter().filter(|m| self.contains(*m))
    }
}

impl Serialize for MissingInputs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// The anomaly checks' verdict on one account: findings, missing inputs and
/// a penalty in `[0, 1]`.
///
/// The penalty is `1 − Π (1 − w(severity))` over the findings, with the
/// severity weights of [`crate::AnomalyParams`] (default Low 0.1, Medium
/// 0.3, High 0.6, Critical 0.9): 0 exactly when there is no finding, and
/// every extra finding raises it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnomalyReport {
    /// The findings, in check order (empty for clean data; no allocation then).
    pub findings: Vec<Finding>,
    /// Inputs the account lacks (no penalty).
    pub missing: MissingInputs,
    /// Penalty in `[0, 1]`.
    pub penalty: f64,
}

impl AnomalyReport {
    /// Whether there is no finding (missing data does not count).
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
    /// Whether a finding doubts the reported revenue (see [`CheckCode::doubts_revenue`]).
    pub fn revenue_doubted(&self) -> bool {
        self.findings.iter().any(|f| f.code.doubts_revenue())
    }
    /// Whether a finding has this code.
    pub fn has(&self, code: CheckCode) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
    /// The check codes joined by `sep` (empty when clean).
    pub fn codes_joined(&self, sep: &str) -> String {
        let mut s = String::new();
        for (i, f) in self.findings.iter().enumerate() {
            if i > 0 {
                s.push_str(sep);
            }
            s.push_str(f.code.as_str());
        }
        s
    }
}

/// Formats money for rep-readable sentences: `$1.4M`, `$540k`, `$75.83`.
pub(crate) fn money(v: f64) -> String {
    let a = v.abs();
    let sign = if v < 0.0 { "-" } else { "" };
    if !v.is_finite() {
        format!("{v}")
    } else if a >= 1e9 {
        format!("{sign}${:.1}B", a / 1e9)
    } else if a >= 1e6 {
        format!("{sign}${:.1}M", a / 1e6)
    } else if a >= 1e4 {
        format!("{sign}${:.0}k", a / 1e3)
    } else if a >= 1e3 {
        format!("{sign}${:.1}k", a / 1e3)
    } else {
        format!("{sign}${a:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_codes() {
        assert_eq!(money(1_400_000.0), "$1.4M");
        assert_eq!(money(540_000.0), "$540k");
        assert_eq!(money(-75.834), "-$75.83");
        assert_eq!(money(2_500.0), "$2.5k");
        let codes: std::collections::BTreeSet<_> = CheckCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(codes.len(), CheckCode::ALL.len());
        let mut m = MissingInputs::default();
        m.insert(MissingInput::Revenue);
        assert!(m.contains(MissingInput::Revenue) && !m.contains(MissingInput::Employees));
        assert_eq!(serde_json::to_string(&m).expect("serialises"), "[\"revenue\"]");
    }
}
