//! # acctscore-scorer
//!
//! The composed account scorer: [`ScorerParams::fit`] fits every model of
//! acctscore on one frame of accounts (the quality gate, the ICP model, the
//! revenue-in-range classifier, the anomaly segments, the tiers on quality)
//! and returns a [`Scorer`], which ranks accounts with a priority, a tier and
//! reasons in the units of the numbers they explain, and saves to one
//! versioned, checksummed model file. [`pool`] is the account pool format
//! (typed rows for `accounts.csv` and `events.csv`, their readers, the
//! events-to-engagement reader and, with the `generate` feature, a seeded
//! generator with a known true propensity).
//!
//! Most programs use it through the `acctscore` facade, which re-exports it.
//!
//! ```
//! use acctscore_scorer::pool::{PoolGenerator, accounts_to_frame};
//! use acctscore_scorer::{Scorer, ScorerParams};
//!
//! let pool = PoolGenerator::new(3_000).seed(11).events(false).generate();
//! let frame = accounts_to_frame(&pool.accounts)?;
//! let scorer = ScorerParams::new().fit(&frame)?;
//! let again = Scorer::from_json(&scorer.to_json()?)?;
//! let top = again.top_n(&frame, None, 5)?;
//! assert_eq!(top, scorer.top_n(&frame, None, 5)?);
//! // The ICP reasons add up to the ICP probability shown.
//! let s = &top[0];
//! let sum: f64 = s.icp_baseline + s.reasons.iter().map(|r| r.contribution).sum::<f64>();
//! assert!((sum - s.icp.get()).abs() < 1e-9);
//! # Ok::<(), acctscore_scorer::Error>(())
//! ```
//!
//! Cargo features: `parallel` and `csv` (on by default), `parquet` (the
//! pool readers take `.parquet` files, and the pool's Parquet writers),
//! `generate` (the seeded pool generator), `fuzzing` (the fuzz harness
//! bodies).

// The sibling crates under the short names the facade gives them, so that
// paths read the same here and in user code (`crate::frame::Frame`).
use acctscore_anomaly as anomaly;
use acctscore_calibration as calibration;
use acctscore_core as core;
use acctscore_engagement as engagement;
use acctscore_features as features;
use acctscore_frame as frame;
use acctscore_icp as icp;
use acctscore_revenue as revenue;

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
