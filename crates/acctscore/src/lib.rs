//! # acctscore
//!
//! Score B2B accounts so that sales teams call the prospects most worth
//! their time first. This crate is the facade: re-exports of focused crates,
//! each usable alone, and a [`prelude`]. It holds no algorithm.
//!
//! The whole workflow: read a CSV, map its columns, fit, save, load, score a
//! batch, read the reasons.
//!
//! ```
//! use acctscore::prelude::*;
//! # let dir = std::env::temp_dir().join(format!("acctscore-front-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let (history, model) = (dir.join("history.csv"), dir.join("scorer.json"));
//! # let pool = acctscore::pool::PoolGenerator::new(3_000).seed(11).events(false).generate();
//! # acctscore::pool::write_accounts_path(&history, &pool.accounts)?;
//! // Any CSV whose header names the pool's columns; other schemas say which
//! // column holds what with a ColumnMapping.
//! let mapping = ColumnMapping::pool().id("account_id").label("converted");
//! let params = ScorerParams::new().mapping(mapping);
//! let frame = Frame::from_csv_path(&history, &CsvOptions::new().id("account_id"))?;
//! let scorer = params.fit(&frame)?;             // quality gate, ICP, revenue, anomaly, tiers
//! println!("{}", scorer.fit_report());          // what was left out and why
//! scorer.save(&model)?;                         // one versioned, checksummed file
//!
//! let scorer = Scorer::load(&model)?;
//! let batch = scorer.read_csv_path(&history, &CsvOptions::new())?; // read with the model's kinds
//! for s in scorer.top_n(&batch, None, 3)? {
//!     // Reasons in probability units: icp_baseline + contributions = icp.
//!     let sum: f64 = s.icp_baseline + s.reasons.iter().map(|r| r.contribution).sum::<f64>();
//!     assert!((sum - s.icp.get()).abs() < 1e-9);
//!     println!("{} priority {:.3} tier {} {}", s.account_id, s.priority, s.tier, s.reasons[0].text);
//! }
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Where each number of an [`AccountScore`] is computed:
//!
//! | field | computed by |
//! |---|---|
//! | `icp`, `icp_baseline`, `reasons` | [`icp`]: [`icp::propensity::FittedIcp`] (rules, logistic, trees, look-alike, hybrid), calibrated by [`calibration`] |
//! | `revenue` (P(revenue in range), its estimate and source) | [`revenue`]: estimators per business model and [`revenue::LearnedRangeModel`] |
//! | `anomaly` (penalty and findings) | [`anomaly`]: [`anomaly::AnomalyChecker`] |
//! | `engagement`, `engagement_effect` | [`engagement`]: decayed effort and its priority damping |
//! | `quality`, `priority`, `tier` | [`scorer`]: [`Scorer`] combines them; tiers are bands of quality ([`QualityTiers`]) |
//!
//! | module | crate | owns |
//! |---|---|---|
//! | [`core`] | acctscore-core | `Probability`, `Timestamp`, checks, the `Fit`/`Score` traits, whole-file writes, the model envelope |
//! | [`frame`] | acctscore-frame | [`Frame`](frame::Frame) and its typed columns, CSV loading ([`frame::csv`]) |
//! | [`features`] | acctscore-features | encoders, the data-quality report, job titles, lead → account rollup and signals |
//! | [`icp`] | acctscore-icp | weighted rules, logistic regression, boosted trees, look-alikes, mined rules, hybrid; reasons |
//! | [`calibration`] | acctscore-calibration | calibrators and evaluation metrics |
//! | [`revenue`] | acctscore-revenue | revenue estimates and P(revenue in range) |
//! | [`anomaly`] | acctscore-anomaly | plausibility checks and penalties |
//! | [`engagement`] | acctscore-engagement | decayed effort, priority, team balance |
//! | [`scorer`], [`pool`] | acctscore-scorer | the [`Scorer`], [`ColumnMapping`], the model file, the account pool format |
//!
//! The pool's file schema is in [`pool`]; how CSV input is read (ids,
//! encodings, missing tokens, decimal comma) in
//! [`CsvOptions`](frame::csv::CsvOptions); the model file in
//! [`Scorer::to_json`].
//!
//! Cargo features: `parallel` (rayon in every crate) and `csv` (CSV
//! loading), on by default; `arrow` (`Frame::from_record_batch`) and
//! `parquet` (`Frame::from_parquet_path`, and the pool readers and writers
//! on `.parquet` files); `generate` (the seeded pool generator,
//! `pool::PoolGenerator`); `fuzzing` (fuzz harness bodies, not for
//! applications).

pub use acctscore_anomaly as anomaly;
pub use acctscore_calibration as calibration;
pub use acctscore_core as core;
pub use acctscore_engagement as engagement;
pub use acctscore_features as features;
pub use acctscore_frame as frame;
pub use acctscore_icp as icp;
pub use acctscore_revenue as revenue;
pub use acctscore_scorer as scorer;

#[cfg(feature = "fuzzing")]
pub use acctscore_scorer::fuzzing;
pub use acctscore_scorer::pool;
pub use acctscore_scorer::{
    AccountScore, AnomalyScore, BaseScores, ColumnMapping, Component, DEFAULT_TIER_SHARES, EngagementTally, Error,
    FitMetrics, FitReport, FitTimings, GateAction, GatedColumn, MODEL_FORMAT_NAME, MODEL_FORMAT_VERSION,
    MODEL_READABLE_VERSIONS, ModelFileError, NeededBy, PreparedScorer, QualityTiers, Reason, Result, RevenueModel,
    RevenueScore, RevenueSource, Scorer, ScorerParams, TierSource,
};

/// The names most programs need.
pub mod prelude {
    pub use crate::core::{Probability, Timestamp};
    pub use crate::frame::Frame;
    #[cfg(feature = "csv")]
    pub use crate::frame::csv::CsvOptions;
    pub use crate::icp::propensity::{Family, FamilyChoice, IcpParams};
    pub use crate::icp::rules::RuleSet;
    pub use crate::pool::{AccountRecord, EventRecord, accounts_to_frame};
    pub use crate::{AccountScore, ColumnMapping, Error, Scorer, ScorerParams};
}

/// The README's code, compiled as doctests so that the embedding example
/// stays true to the API.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
