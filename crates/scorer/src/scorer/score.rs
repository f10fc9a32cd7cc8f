//! What one account's score holds: the numbers a rep sees and their reasons.

use super::{Component, RevenueSource};
use crate::core::Probability;
use crate::icp::propensity::Family;
use serde::{Deserialize, Serialize};

/// The revenue part of a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RevenueScore {
    /// Estimated monthly revenue (median).
    pub estimate: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
    /// The estimation method.
    pub method: String,
    /// P(revenue in the preferred range), after the anomaly penalty.
    pub in_range: Probability,
    /// The same before the penalty.
    pub in_range_before_penalty: Probability,
    /// Where the probability comes from: the reported revenue, or (when it
    /// is missing or doubted by the anomaly checks) the learned model on
    /// firmographics, or the analytic estimate.
    pub source: RevenueSource,
}

/// The anomaly part of a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AnomalyScore {
    /// Penalty in `[0, 1]` (0 when there is no finding).
    pub penalty: f64,
    /// Stable check codes of the findings.
    pub checks: Vec<String>,
    /// One sentence per finding, for a rep.
    pub messages: Vec<String>,
}

/// One reason behind the ICP probability: a factor and its share of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Reason {
    /// The component it comes from (always [`Component::Icp`]: the revenue,
    /// anomaly and engagement effects have their own fields).
    pub component: Component,
    /// Stable machine-readable code (never contains `:` or `;`); `other`
    /// sums the factors left out.
    pub code: String,
    /// Text a rep can read.
    pub text: String,
    /// Signed contribution in probability units: [`AccountScore::icp_baseline`]
    /// plus every reason's contribution equals [`AccountScore::icp`].
    pub contribution: f64,
}

/// The score of one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccountScore {
    /// The account id (or the 0-based row number when no id column is mapped).
    pub account_id: String,
    /// Calibrated ICP probability.
    pub icp: Probability,
    /// The ICP probability of the model's baseline account (log-odds at the
    /// training means, or 0 points): the start of the reasons, which add up
    /// from it to [`AccountScore::icp`].
    pub icp_baseline: f64,
    /// The ICP raw score (points, log-odds or similarity).
    pub icp_raw: f64,
    /// The ICP model family.
    pub icp_family: Family,
    /// Revenue estimate and P(in range), unless skipped.
    pub revenue: Option<RevenueScore>,
    /// Anomaly findings and penalty, unless skipped.
    pub anomaly: Option<AnomalyScore>,
    /// Raw decayed engagement, unless none was given.
    pub engagement: Option<f64>,
    /// Priority lost to engagement (≤ 0; 0 without engagement): `priority − quality`.
    pub engagement_effect: f64,
    /// How good the account is, before engagement: the weighted geometric
    /// mean of the ICP and revenue probabilities (the latter after the
    /// anomaly penalty).
    pub quality: f64,
    /// The ranking score in `[0, 1]`: quality damped by engagement.
    pub priority: f64,
    /// Tier `A` (best) to `D`: a band of [`AccountScore::quality`].
    pub tier: char,
    /// The ICP reasons in probability units, largest first, the factors left
    /// out summed as `other`.
    pub reasons: Vec<Reason>,
    /// Components skipped for lack of inputs.
    pub skipped: Vec<Component>,
}
