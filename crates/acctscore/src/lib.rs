//! # acctscore
//!
//! Score B2B accounts so that sales teams call the prospects most worth
//! their time first. This is the thin facade: it re-exports the focused
//! crates (each usable alone), hosts the account pool format
//! ([`pool`]), and composes the models into one [`Scorer`].
//!
//! | module | crate | owns |
//! |---|---|---|
//! | [`core`] | acctscore-core | `Probability`, `Timestamp`, checks, fit/score traits |
//! | [`features`] | acctscore-features | frames, encoders, data-quality report |
//! | [`icp`] | acctscore-icp | weighted rules, logistic regression, explanations |
//! | [`calibration`] | acctscore-calibration | calibrators and evaluation metrics |
//! | [`revenue`] | acctscore-revenue | revenue estimates and P(revenue in range) |
//! | [`anomaly`] | acctscore-anomaly | plausibility checks and penalties |
//! | [`engagement`] | acctscore-engagement | decayed effort, priority, balance |
//!
//! ```
//! use acctscore::prelude::*;
//!
//! // A seeded pool with a known true propensity (no files needed).
//! let pool = PoolGenerator::new(3_000).seed(11).events(false).generate();
//! let frame = accounts_to_frame(&pool.accounts)?;
//! let scorer = ScorerParams::new().fit(&frame)?;
//! let top = scorer.top_n(&frame, None, 5)?;
//! assert_eq!(top.len(), 5);
//! for s in &top {
//!     println!("{} {:.3} {} {:?}", s.account_id, s.priority, s.tier, s.reasons.first().map(|r| &r.code));
//! }
//! # Ok::<(), acctscore::Error>(())
//! ```
//!
//! Cargo features (both on by default): `parallel` (rayon in every crate)
//! and `csv` (CSV loading of frames and of the account pool).

pub use acctscore_anomaly as anomaly;
pub use acctscore_calibration as calibration;
pub use acctscore_core as core;
pub use acctscore_engagement as engagement;
pub use acctscore_features as features;
pub use acctscore_icp as icp;
pub use acctscore_revenue as revenue;

mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod pool;
mod scorer;

pub use error::{Error, NeededBy, Result};
pub use scorer::{
    AccountScore, AnomalyScore, BaseScores, ColumnMapping, Component, DEFAULT_TIER_SHARES, EngagementTally,
    FORMAT_NAME as MODEL_FORMAT_NAME, FORMAT_VERSION as MODEL_FORMAT_VERSION, FitMetrics, FitReport, FitTimings,
    GateAction, GatedColumn, ModelFileError, PreparedScorer, QualityTiers, READABLE as MODEL_READABLE_VERSIONS, Reason,
    RevenueModel, RevenueScore, RevenueSource, Scorer, ScorerParams, TierSource,
};

/// The names most programs need.
pub mod prelude {
    pub use crate::core::{Probability, Timestamp};
    pub use crate::features::Frame;
    pub use crate::icp::propensity::{Family, FamilyChoice, IcpParams};
    pub use crate::icp::rules::RuleSet;
    pub use crate::pool::{AccountRecord, EventRecord, PoolGenerator, accounts_to_frame};
    pub use crate::{AccountScore, ColumnMapping, Error, Scorer, ScorerParams};
}

/// The README's code, compiled as doctests so that the embedding example
/// stays true to the API.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
