//! Which column of a frame holds which account attribute.

use crate::NeededBy;
use serde::{Deserialize, Serialize};

/// Names the columns the scorer's components read. Any may be absent; a
/// component whose inputs are all absent is skipped (and each score says
/// so). Build with [`ColumnMapping::new`] (nothing mapped) or
/// [`ColumnMapping::pool`] (the account pool format) and the setters.
///
/// ```
/// use acctscore_frame::{Column, Frame};
/// use acctscore_scorer::{ColumnMapping, ScorerParams};
///
/// // A CRM export with its own column names.
/// let n = 600;
/// let frame = Frame::new(vec![
///     ("company".into(), Column::text((0..n).map(|i| Some(format!("c{i}"))))),
///     ("headcount".into(), Column::numeric((0..n).map(|i| Some((i % 50) as f64)).collect())),
///     ("sector".into(), Column::categorical((0..n).map(|i| Some(["software", "retail"][i % 2])))),
///     ("won".into(), Column::numeric((0..n).map(|i| Some(f64::from(i % 2 == 0 && i % 50 > 25))).collect())),
/// ])?;
/// let mapping = ColumnMapping::new().id("company").label("won").employees("headcount").industry("sector");
/// let scorer = ScorerParams::new().mapping(mapping).fit(&frame)?;
/// let inputs = scorer.icp().input_columns();
/// assert!(inputs.contains(&"headcount") && inputs.contains(&"sector"));
/// assert!(!inputs.contains(&"company") && !inputs.contains(&"won"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ColumnMapping {
    id: Option<String>,
    label: Option<String>,
    industry: Option<String>,
    business_model: Option<String>,
    employees: Option<String>,
    monthly_revenue: Option<String>,
    web_traffic: Option<String>,
    traffic_growth: Option<String>,
    conversion_rate: Option<String>,
    sku_price: Option<String>,
    has_ecommerce: Option<String>,
    founded_year: Option<String>,
    not_features: Vec<String>,
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub fn $name(mut self, column: impl Into<String>) -> Self {
            self.$name = Some(column.into());
            self
        }
    };
}

impl ColumnMapping {
    /// Nothing mapped.
    pub fn new() -> Self {
        Self::default()
    }

    /// The account pool format: every column by its pool name. The contact's
    /// free-text title is not an ICP feature (it needs the title
    /// normaliser), and the revenue is the revenue model's input, not an ICP
    /// feature.
    pub fn pool() -> Self {
        ColumnMapping {
            id: Some("account_id".into()),
            label: Some("converted".into()),
            industry: Some("industry".into()),
            business_model: Some("business_model".into()),
            employees: Some("employees".into()),
            monthly_revenue: Some("monthly_revenue_usd".into()),
            web_traffic: Some("web_traffic_monthly".into()),
            traffic_growth: Some("web_traffic_growth_90d".into()),
            conversion_rate: Some("conversion_rate".into()),
            sku_price: Some("sku_avg_price".into()),
            has_ecommerce: Some("has_ecommerce".into()),
            founded_year: Some("founded_year".into()),
            not_features: vec!["job_title_of_contact".into()],
        }
    }

    setter!(
        /// The account id column (never a feature).
        id
    );
    setter!(
        /// The outcome column (boolean or 0/1; never a feature).
        label
    );
    setter!(
        /// Industry (categorical).
        industry
    );
    setter!(
        /// Business model (categorical: ecommerce, saas, services, marketplace, other).
        business_model
    );
    setter!(
        /// Number of employees.
        employees
    );
    setter!(
        /// Reported monthly revenue (a revenue input; not an ICP feature).
        monthly_revenue
    );
    setter!(
        /// Monthly web visits.
        web_traffic
    );
    setter!(
        /// Relative 90-day change of web traffic.
        traffic_growth
    );
    setter!(
        /// Share of visits that buy.
        conversion_rate
    );
    setter!(
        /// Average SKU price.
        sku_price
    );
    setter!(
        /// Whether the company sells online (boolean).
        has_ecommerce
    );
    setter!(
        /// Founding year.
        founded_year
    );

    /// A column never used as an ICP feature.
    pub fn not_feature(mut self, column: impl Into<String>) -> Self {
        self.not_features.push(column.into());
        self
    }

    /// The id column.
    pub fn id_column(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The label column.
    pub fn label_column(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// Every mapped column but the label: the id and the components' inputs.
    pub(crate) fn input_columns(&self) -> Vec<&str> {
        let n = self.get();
        [
            self.id.as_deref(),
            n.industry,
            n.business_model,
            n.employees,
            n.monthly_revenue,
            n.web_traffic,
            n.traffic_growth,
            n.conversion_rate,
            n.sku_price,
            n.has_ecommerce,
            n.founded_year,
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// What reads each of `columns`: the ICP model when it is one of
    /// `icp_inputs`, and the components this mapping feeds it to.
    pub(crate) fn needs<'c>(
        &self,
        columns: impl IntoIterator<Item = &'c str>,
        icp_inputs: &[&str],
    ) -> Vec<(String, Vec<NeededBy>)> {
        let n = self.get();
        let revenue = [
            n.industry, n.business_model, n.employees, n.monthly_revenue, n.web_traffic, n.conversion_rate,
            n.sku_price, n.has_ecommerce,
        ];
        let anomaly = [n.industry, n.employees, n.monthly_revenue, n.founded_year, n.web_traffic, n.traffic_growth];
        columns
            .into_iter()
            .map(|c| {
                let is = |names: &[Option<&str>]| names.contains(&Some(c));
                let needs = [
                    (icp_inputs.contains(&c), NeededBy::Icp),
                    (self.id.as_deref() == Some(c), NeededBy::AccountId),
                    (is(&revenue), NeededBy::Revenue),
                    (is(&anomaly), NeededBy::Anomaly),
                ];
                (c.to_string(), needs.into_iter().filter_map(|(yes, need)| yes.then_some(need)).collect())
            })
            .collect()
    }

    pub(crate) fn get(&self) -> MappedNames<'_> {
        MappedNames {
            industry: self.industry.as_deref(),
            business_model: self.business_model.as_deref(),
            employees: self.employees.as_deref(),
            monthly_revenue: self.monthly_revenue.as_deref(),
            web_traffic: self.web_traffic.as_deref(),
            traffic_growth: self.traffic_growth.as_deref(),
            conversion_rate: self.conversion_rate.as_deref(),
            sku_price: self.sku_price.as_deref(),
            has_ecommerce: self.has_ecommerce.as_deref(),
            founded_year: self.founded_year.as_deref(),
        }
    }

    /// Columns that are never ICP features: id, label, revenue, and the extras.
    pub(crate) fn excluded_from_icp(&self) -> Vec<String> {
        let mut out: Vec<String> = self.not_features.clone();
        out.extend(self.id.iter().cloned());
        out.extend(self.label.iter().cloned());
        out.extend(self.monthly_revenue.iter().cloned());
        out
    }
}

pub(crate) struct MappedNames<'a> {
    pub industry: Option<&'a str>,
    pub business_model: Option<&'a str>,
    pub employees: Option<&'a str>,
    pub monthly_revenue: Option<&'a str>,
    pub web_traffic: Option<&'a str>,
    pub traffic_growth: Option<&'a str>,
    pub conversion_rate: Option<&'a str>,
    pub sku_price: Option<&'a str>,
    pub has_ecommerce: Option<&'a str>,
    pub founded_year: Option<&'a str>,
}
