//! Typed rows of the pool files.

use crate::anomaly::AnomalyInputs;
use crate::frame::{Column, ColumnKind, Frame};
use crate::revenue::{BusinessModel, RevenueInputs};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The columns of `accounts.csv` in file order, with the kind each is read
/// as: the one table the pool's column list ([`ACCOUNT_COLUMNS`]) and its
/// CSV options ([`account_csv_options`](super::account_csv_options)) come from.
pub const ACCOUNT_SCHEMA: [(&str, ColumnKind); 16] = [
    ("account_id", ColumnKind::Text),
    ("industry", ColumnKind::Categorical),
    ("business_model", ColumnKind::Categorical),
    ("employees", ColumnKind::Numeric),
    ("founded_year", ColumnKind::Numeric),
    ("funding_total_usd", ColumnKind::Numeric),
    ("funding_last_round_days_ago", ColumnKind::Numeric),
    ("web_traffic_monthly", ColumnKind::Numeric),
    ("web_traffic_growth_90d", ColumnKind::Numeric),
    ("has_ecommerce", ColumnKind::Boolean),
    ("sku_avg_price", ColumnKind::Numeric),
    ("conversion_rate", ColumnKind::Numeric),
    ("country", ColumnKind::Categorical),
    ("job_title_of_contact", ColumnKind::Text),
    ("monthly_revenue_usd", ColumnKind::Numeric),
    // 0/1 in the file; the scorer reads a number or a boolean as the label.
    ("converted", ColumnKind::Numeric),
];

/// Column names of `accounts.csv`, in file order ([`ACCOUNT_SCHEMA`]'s names).
pub const ACCOUNT_COLUMNS: [&str; 16] = {
    let mut names = [""; 16];
    let mut i = 0;
    while i < names.len() {
        names[i] = ACCOUNT_SCHEMA[i].0;
        i += 1;
    }
    names
};

/// One row of `accounts.csv`. `None` is a missing (empty) field.
///
/// A plain data record of a fixed file schema: its fields are public.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRecord {
    /// Unique account identifier.
    pub account_id: String,
    /// Industry label.
    pub industry: Option<String>,
    /// Business model (`ecommerce`, `saas`, `services`, `marketplace`, `other`).
    pub business_model: Option<String>,
    /// Number of employees.
    pub employees: Option<f64>,
    /// Year the company was founded.
    pub founded_year: Option<f64>,
    /// Total funding raised, USD.
    pub funding_total_usd: Option<f64>,
    /// Days since the last funding round (missing when never funded).
    pub funding_last_round_days_ago: Option<f64>,
    /// Monthly website visits.
    pub web_traffic_monthly: Option<f64>,
    /// Relative change in traffic over 90 days (0.1 = +10%).
    pub web_traffic_growth_90d: Option<f64>,
    /// Whether the company sells online.
    pub has_ecommerce: Option<bool>,
    /// Average SKU price, USD.
    pub sku_avg_price: Option<f64>,
    /// Share of visits that buy.
    pub conversion_rate: Option<f64>,
    /// ISO country code.
    pub country: Option<String>,
    /// The contact's job title, as typed.
    pub job_title_of_contact: Option<String>,
    /// Reported monthly revenue, USD.
    pub monthly_revenue_usd: Option<f64>,
    /// Outcome label: converted (`1`) or not (`0`); missing when unknown.
    #[serde(serialize_with = "ser_label", deserialize_with = "de_label")]
    pub converted: Option<bool>,
}

impl AccountRecord {
    /// The account's inputs to the anomaly checks.
    pub fn anomaly_inputs(&self) -> AnomalyInputs<'_> {
        let mut x = AnomalyInputs::new();
        x.industry = self.industry.as_deref();
        x.employees = self.employees;
        x.monthly_revenue = self.monthly_revenue_usd;
        x.founded_year = self.founded_year;
        x.web_traffic_monthly = self.web_traffic_monthly;
        x.web_traffic_growth_90d = self.web_traffic_growth_90d;
        x
    }

    /// The account's inputs to the revenue estimators (an unknown or missing
    /// business model routes as `other`).
    pub fn revenue_inputs(&self) -> RevenueInputs<'_> {
        let model = self.business_model.as_deref().map_or(BusinessModel::Other, BusinessModel::from_label);
        let mut x = RevenueInputs::new(model);
        x.industry = self.industry.as_deref();
        x.employees = self.employees;
        x.reported_monthly_revenue = self.monthly_revenue_usd;
        x.web_traffic_monthly = self.web_traffic_monthly;
        x.conversion_rate = self.conversion_rate;
        x.sku_avg_price = self.sku_avg_price;
        x.has_ecommerce = self.has_ecommerce;
        x
    }

    /// The numeric fields with their column names, for finiteness checks.
    #[cfg(feature = "csv")]
    pub(crate) fn numeric_fields(&self) -> [(&'static str, Option<f64>); 9] {
        [
            ("employees", self.employees),
            ("founded_year", self.founded_year),
            ("funding_total_usd", self.funding_total_usd),
            ("funding_last_round_days_ago", self.funding_last_round_days_ago),
            ("web_traffic_monthly", self.web_traffic_monthly),
            ("web_traffic_growth_90d", self.web_traffic_growth_90d),
            ("sku_avg_price", self.sku_avg_price),
            ("conversion_rate", self.conversion_rate),
            ("monthly_revenue_usd", self.monthly_revenue_usd),
        ]
    }
}

fn ser_label<S: Serializer>(v: &Option<bool>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(true) => s.serialize_str("1"),
        Some(false) => s.serialize_str("0"),
        None => s.serialize_str(""),
    }
}

fn de_label<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some("1") | Some("true") => Ok(Some(true)),
        Some("0") | Some("false") => Ok(Some(false)),
        Some(other) => Err(serde::de::Error::custom(format!("label `{other}` is not 0/1"))),
    }
}

/// One row of `events.csv`: one sales activity on an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The account the activity was spent on.
    pub account_id: String,
    /// Activity kind: `email`, `call`, `meeting` (or a user-defined kind).
    pub kind: String,
    /// When it happened, Unix seconds.
    pub timestamp: i64,
    /// The rep who did it, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rep_id: Option<String>,
}

/// Builds a [`Frame`] with every column of the pool, in file order.
///
/// Kinds: `account_id` and `job_title_of_contact` text; `industry`,
/// `business_model`, `country` categorical; `has_ecommerce` and `converted`
/// boolean; the rest numeric.
///
/// # Errors
/// [`crate::pool::PoolError::Frame`] when a numeric value is not finite.
pub fn accounts_to_frame(rows: &[AccountRecord]) -> Result<Frame, super::PoolError> {
    let num = |f: fn(&AccountRecord) -> Option<f64>| Column::numeric(rows.iter().map(f).collect());
    let cat = |f: fn(&AccountRecord) -> Option<&str>| Column::categorical(rows.iter().map(f));
    let columns = vec![
        ("account_id".to_string(), Column::Text(rows.iter().map(|r| Some(r.account_id.clone())).collect())),
        ("industry".to_string(), cat(|r| r.industry.as_deref())),
        ("business_model".to_string(), cat(|r| r.business_model.as_deref())),
        ("employees".to_string(), num(|r| r.employees)),
        ("founded_year".to_string(), num(|r| r.founded_year)),
        ("funding_total_usd".to_string(), num(|r| r.funding_total_usd)),
        ("funding_last_round_days_ago".to_string(), num(|r| r.funding_last_round_days_ago)),
        ("web_traffic_monthly".to_string(), num(|r| r.web_traffic_monthly)),
        ("web_traffic_growth_90d".to_string(), num(|r| r.web_traffic_growth_90d)),
        ("has_ecommerce".to_string(), Column::Boolean(rows.iter().map(|r| r.has_ecommerce).collect())),
        ("sku_avg_price".to_string(), num(|r| r.sku_avg_price)),
        ("conversion_rate".to_string(), num(|r| r.conversion_rate)),
        ("country".to_string(), cat(|r| r.country.as_deref())),
        (
            "job_title_of_contact".to_string(),
            Column::Text(rows.iter().map(|r| r.job_title_of_contact.clone()).collect()),
        ),
        ("monthly_revenue_usd".to_string(), num(|r| r.monthly_revenue_usd)),
        ("converted".to_string(), Column::Boolean(rows.iter().map(|r| r.converted).collect())),
    ];
    Ok(Frame::new(columns)?)
}
