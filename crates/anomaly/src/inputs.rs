//! Plain typed inputs of the anomaly checks.

/// One account's inputs to the anomaly checks. Money is monthly.
///
/// Build with [`AnomalyInputs::new`] and the `with_*` setters; every field
/// is optional. `None` (or NaN, which many sources use to spell "missing")
/// is missing data: it is reported in [`crate::MissingInputs`] and never
/// penalised.
///
/// ```
/// use acctscore_anomaly::AnomalyInputs;
/// let row = AnomalyInputs::new()
///     .with_industry("Software")
///     .with_employees(1.0)
///     .with_monthly_revenue(2_500_000.0);
/// assert_eq!(row.founded_year, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub struct AnomalyInputs<'a> {
    /// Industry label (segments and bounds are per industry).
    pub industry: Option<&'a str>,
    /// Head count.
    pub employees: Option<f64>,
    /// Reported monthly revenue.
    pub monthly_revenue: Option<f64>,
    /// Year the company was founded (NaN = missing).
    pub founded_year: Option<f64>,
    /// Monthly website visits.
    pub web_traffic_monthly: Option<f64>,
    /// Relative change in web traffic over 90 days (0.1 = +10%).
    pub web_traffic_growth_90d: Option<f64>,
}

impl<'a> AnomalyInputs<'a> {
    /// Inputs with nothing known.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the industry label.
    pub fn with_industry(mut self, industry: &'a str) -> Self {
        self.industry = Some(industry);
        self
    }
    /// Sets the head count.
    pub fn with_employees(mut self, employees: f64) -> Self {
        self.employees = Some(employees);
        self
    }
    /// Sets the reported monthly revenue.
    pub fn with_monthly_revenue(mut self, revenue: f64) -> Self {
        self.monthly_revenue = Some(revenue);
        self
    }
    /// Sets the founding year.
    pub fn with_founded_year(mut self, year: f64) -> Self {
        self.founded_year = Some(year);
        self
    }
    /// Sets the monthly web traffic.
    pub fn with_web_traffic_monthly(mut self, visits: f64) -> Self {
        self.web_traffic_monthly = Some(visits);
        self
    }
    /// Sets the 90-day web traffic growth (0.1 = +10%).
    pub fn with_web_traffic_growth_90d(mut self, growth: f64) -> Self {
        self.web_traffic_growth_90d = Some(growth);
        self
    }
}
