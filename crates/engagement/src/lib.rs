//! # acctscore-engagement
//!
//! How much prospecting effort an account has already had, and how
//! recently; and the prioritisation that uses it, so that reps favour good
//! accounts with low engagement and the team's effort spreads out.
//!
//! - [`EngagementParams`] → [`EngagementModel`] ([`EngagementParams::fit`]): per-kind weight and half-life
//!   (email, call, meeting or user-defined [`ActivityKind`]s). An activity of
//!   weight `w` and age `a` contributes `w · 2^(−a / half_life)`; the
//!   engagement of an account is the sum over its activities (≥ 0).
//! - [`EngagementState`]: exact O(1) incremental state per account — apply an
//!   activity (late ones too), query at any later time without mutating,
//!   merge partial states exactly, persist with serde; [`EngagementState::falls_below`]
//!   gives the time the engagement drops under a threshold.
//! - Batch: [`EngagementModel::aggregate`] over compact [`Touch`]es with dense
//!   account indices (parallel with the `parallel` feature, same result on
//!   any thread count), [`EngagementModel::aggregate_named`] over rows with kind
//!   names, [`EngagementModel::aggregate_activities`] over full [`Activity`] rows.
//!   Activities after `now` are left out and counted.
//! - [`EngagementModel::contribution`]: one activity decayed to a fixed
//!   reference time, for engines that can only SUM.
//! - [`EngagementModel::saturate`]: engagement mapped to `[0, 1]`.
//! - [`PriorityParams`] → [`Priority`] ([`PriorityParams::fit`]): quality from ICP and revenue
//!   probabilities, damped by saturated engagement.
//! - [`EngagementModel::team_balance`]: effort per rep and account,
//!   underserved and shared accounts, Gini over the top tier; [`assign`]:
//!   capacity-aware assignment without duplicates.
//!
//! Accounts and reps are dense `u32` indices: map string ids once (with
//! [`intern`]).
//!
//! ```
//! use acctscore_core::{Probability, Timestamp};
//! use acctscore_engagement::{EngagementParams, EngagementState, PriorityParams, Touch};
//!
//! const DAY: i64 = 86_400;
//! let now = Timestamp::from_unix_seconds(1_767_225_600);
//! let ago = |days: i64| Timestamp::from_unix_seconds(now.unix_seconds() - days * DAY);
//!
//! // email: weight 1, half-life 14 days; meeting: weight 10, half-life 60 days.
//! let model = EngagementParams::new().kind("email", 1.0, 14.0).kind("meeting", 10.0, 60.0).fit()?;
//! let email = model.kind_id_by_name("email")?;
//! let meeting = model.kind_id_by_name("meeting")?;
//!
//! // Incremental: one state per account; activities in any order.
//! let mut state = EngagementState::new();
//! state.apply(&model, meeting, ago(60), None)?;
//! state.apply(&model, email, ago(14), None)?;
//! state.apply(&model, email, ago(28), None)?; // late: exact all the same
//! let e = state.score_at(&model, now)?;
//! assert!((e - (10.0 * 0.5 + 0.5 + 0.25)).abs() < 1e-12);
//!
//! // Batch: two accounts, one activity in the future (left out and counted).
//! let touches = [
//!     Touch::new(0, meeting, ago(60)),
//!     Touch::new(0, email, ago(14)),
//!     Touch::new(0, email, ago(28)),
//!     Touch::new(1, email, ago(-1)),
//! ];
//! let batch = model.aggregate(now, 2, &touches)?;
//! assert!((batch.scores()[0] - e).abs() < 1e-12);
//! assert_eq!(batch.scores()[1], 0.0);
//! assert_eq!(batch.ignored_future(), 1);
//!
//! // Priority: the untouched account of equal quality ranks first.
//! let priority = PriorityParams::new().fit()?;
//! let (icp, revenue) = (Probability::new(0.8)?, Probability::new(0.5)?);
//! let worked = priority.score(icp, revenue, model.saturate(batch.scores()[0])?);
//! let fresh = priority.score(icp, revenue, model.saturate(batch.scores()[1])?);
//! assert!(fresh > worked);
//!
//! // When will account 0 drop below 1?
//! let t = state.falls_below(&model, 1.0)?.expect("non-empty");
//! assert!(state.score_at(&model, t)? <= 1.0);
//! # Ok::<(), acctscore_engagement::EngagementError>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod activity;
mod balance;
mod batch;
mod error;
mod intern;
mod params;
mod priority;
mod state;
mod sums;

#[cfg(test)]
pub(crate) use activity::IdIndex;
pub use activity::{Activity, Touch};
pub use balance::{Assignment, BalanceParams, MAX_OWNER_EXCESS, SharedAccount, TeamBalance, assign};
pub use batch::BatchEngagement;
pub use error::{EngagementError, Result};
pub use intern::{Interned, intern};
pub use params::{ActivityKind, EngagementModel, EngagementParams, KindId, MAX_WEIGHT};
pub use priority::{Priority, PriorityParams};
pub use state::EngagementState;
pub use sums::EngagementSums;

/// The core types of this crate's API, re-exported for convenience.
pub use acctscore_core::{Probability, Timestamp};

/// What the unit tests of several modules share.
#[cfg(test)]
mod testing {
    use acctscore_core::Timestamp;

    /// Seconds in a day.
    pub(crate) const DAY: i64 = 86_400;

    /// A time from Unix seconds.
    pub(crate) fn ts(secs: i64) -> Timestamp {
        Timestamp::from_unix_seconds(secs)
    }
}
