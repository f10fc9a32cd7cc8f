//! Plain typed inputs of revenue estimation.

use serde::{Deserialize, Serialize};

/// How a company makes money; picks the estimator chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BusinessModel {
    /// Sells goods online (traffic × conversion × price applies).
    Ecommerce,
    /// Software sold as a subscription.
    Saas,
    /// Professional or agency services.
    Services,
    /// Two-sided marketplace (estimated like e-commerce, on gross sales).
    Marketplace,
    /// Anything else, and unknown labels.
    #[default]
    Other,
}

impl BusinessModel {
    /// Every business model, in a fixed order.
    pub const ALL: [BusinessModel; 5] = [
        BusinessModel::Ecommerce,
        BusinessModel::Saas,
        BusinessModel::Services,
        BusinessModel::Marketplace,
        BusinessModel::Other,
    ];

    /// Maps a label (case-insensitive, surrounding spaces ignored; `e-commerce`
    /// and `ecom` accepted) to a model; an unknown or empty label is
    /// [`BusinessModel::Other`], never an error.
    ///
    /// ```
    /// use acctscore_revenue::BusinessModel;
    /// assert_eq!(BusinessModel::from_label(" SaaS "), BusinessModel::Saas);
    /// assert_eq!(BusinessModel::from_label("nonsense"), BusinessModel::Other);
    /// ```
    pub fn from_label(label: &str) -> BusinessModel {
        // Fast path: the canonical labels.
        match label {
            "ecommerce" => return BusinessModel::Ecommerce,
            "saas" => return BusinessModel::Saas,
            "services" => return BusinessModel::Services,
            "marketplace" => return BusinessModel::Marketplace,
            "other" => return BusinessModel::Other,
            _ => {}
        }
        let l = label.trim();
        let eq = |s: &str| l.eq_ignore_ascii_case(s);
        if eq("ecommerce") || eq("e-commerce") || eq("ecom") {
            BusinessModel::Ecommerce
        } else if eq("saas") {
            BusinessModel::Saas
        } else if eq("services") || eq("service") {
            BusinessModel::Services
        } else if eq("marketplace") {
            BusinessModel::Marketplace
        } else {
            BusinessModel::Other
        }
    }

    /// The canonical snake_case label (`ecommerce`, `saas`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            BusinessModel::Ecommerce => "ecommerce",
            BusinessModel::Saas => "saas",
            BusinessModel::Services => "services",
            BusinessModel::Marketplace => "marketplace",
            BusinessModel::Other => "other",
        }
    }

    /// Position in [`BusinessModel::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for BusinessModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One account's inputs to revenue estimation. Money is monthly, in USD (or
/// the account's currency, consistently).
///
/// Build with [`RevenueInputs::new`] and the `with_*` setters; every field
/// is optional except the business model. Values are taken as given: NaN,
/// ±inf, zero or negative values are never a panic, the estimators that
/// need them skip (see [`crate::SkipReason`]) and the router falls back.
///
/// ```
/// use acctscore_revenue::{BusinessModel, RevenueInputs};
/// let row = RevenueInputs::new(BusinessModel::Ecommerce)
///     .with_industry("Apparel & Fashion")
///     .with_employees(12.0)
///     .with_web_traffic_monthly(40_000.0)
///     .with_conversion_rate(0.02)
///     .with_sku_avg_price(55.0);
/// assert_eq!(row.reported_monthly_revenue, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub struct RevenueInputs<'a> {
    /// Business model (picks the estimator chain).
    pub business_model: BusinessModel,
    /// Industry label, looked up in the benchmark table.
    pub industry: Option<&'a str>,
    /// Head count.
    pub employees: Option<f64>,
    /// Reported or public-record monthly revenue.
    pub reported_monthly_revenue: Option<f64>,
    /// Monthly website visits.
    pub web_traffic_monthly: Option<f64>,
    /// Visit-to-order conversion rate, in `(0, 1]`.
    pub conversion_rate: Option<f64>,
    /// Average order value or average SKU price.
    pub sku_avg_price: Option<f64>,
    /// Whether the site sells online.
    pub has_ecommerce: Option<bool>,
}

impl<'a> RevenueInputs<'a> {
    /// Inputs with a business model and nothing else known.
    pub fn new(business_model: BusinessModel) -> Self {
        RevenueInputs { business_model, ..Default::default() }
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
    pub fn with_reported_monthly_revenue(mut self, revenue: f64) -> Self {
        self.reported_monthly_revenue = Some(revenue);
        self
    }
    /// Sets the monthly web traffic (visits).
    pub fn with_web_traffic_monthly(mut self, visits: f64) -> Self {
        self.web_traffic_monthly = Some(visits);
        self
    }
    /// Sets the conversion rate (orders per visit).
    pub fn with_conversion_rate(mut self, rate: f64) -> Self {
        self.conversion_rate = Some(rate);
        self
    }
    /// Sets the average order value or SKU price.
    pub fn with_sku_avg_price(mut self, price: f64) -> Self {
        self.sku_avg_price = Some(price);
        self
    }
    /// Sets whether the site sells online.
    pub fn with_has_ecommerce(mut self, has: bool) -> Self {
        self.has_ecommerce = Some(has);
        self
    }
    /// The same inputs without the reported revenue (what the learned model
    /// trains on, so that it learns how indirect estimates relate to truth).
    pub fn without_reported(mut self) -> Self {
        self.reported_monthly_revenue = None;
        self
    }
}
