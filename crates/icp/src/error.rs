//! The ICP crate's error type.

use acctscore_core::CoreError;

/// What is wrong with a rule in a rules file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleProblem {
    /// A condition sets none of `min`/`max`, `one_of`, `is`, `missing`.
    NoTest,
    /// A condition sets more than one kind of test.
    SeveralTests,
    /// `min` is not below `max`, or a bound is not finite.
    BadRange,
    /// The rule's points are not finite.
    BadPoints,
    /// The rule has no condition at all.
    NoCondition,
    /// The field is absent from the data.
    UnknownField,
    /// The test does not fit the field's kind (a range on a text column).
    KindMismatch,
    /// Two rules share a name.
    DuplicateName,
    /// `one_of` is empty.
    EmptySet,
}

/// Errors of the ICP models.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IcpError {
    /// A core check failed (shapes, finiteness, single class).
    #[error(transparent)]
    Core(#[from] CoreError),
    /// A features operation failed.
    #[error(transparent)]
    Features(#[from] acctscore_features::FeaturesError),
    /// The rules file is not valid TOML or has unknown keys.
    #[error("rules file: {reason}")]
    RulesSyntax {
        /// The TOML parser's message, with line and column.
        reason: String,
    },
    /// A rule is invalid.
    #[error("rule `{rule}`, field `{field}`: {problem:?}")]
    InvalidRule {
        /// The rule's name.
        rule: String,
        /// The field concerned (empty when the rule itself is at fault).
        field: String,
        /// What is wrong.
        problem: RuleProblem,
    },
    /// A calibration step failed.
    #[error(transparent)]
    Calibration(#[from] acctscore_calibration::CalibrationError),
    /// A learned family was requested with fewer positive examples than the guard allows.
    #[error(
        "only {positives} positive examples; a learned model needs at least {required} (use rules, or lower the guard)"
    )]
    TooFewPositives {
        /// Positive examples in the training data.
        positives: usize,
        /// The guard's minimum.
        required: usize,
    },
    /// Tier cut points are not decreasing from A to C, or not finite.
    #[error("tier cut points must be finite and decreasing (A > B > C)")]
    BadTiers,
    /// A fitted model read from a file is inconsistent (a child index that
    /// does not follow its parent, a feature out of range, a non-finite value).
    #[error("invalid fitted model: bad {part} (at {index})")]
    InvalidModel {
        /// The part at fault ("split", "centroid", …).
        part: &'static str,
        /// Index of the tree, centroid or feature concerned.
        index: usize,
    },
    /// The prepared scoring path ([`crate::propensity::FittedIcp::prepare`])
    /// does not cover this model; [`crate::propensity::FittedIcp::score_rows`] does.
    #[error("the prepared scorer does not support {what}; use FittedIcp::score_rows")]
    Unsupported {
        /// What is not covered ("the trees family", "12 reasons (at most 8)").
        what: String,
    },
    /// Rule mining found no column with at least the required information value.
    #[error("no column reaches information value {min_iv} ({examined} examined)")]
    NothingMined {
        /// Columns examined.
        examined: usize,
        /// The information value required.
        min_iv: f64,
    },
    /// Reasons were asked for, but the fitted calibrator decreases somewhere,
    /// so a factor that raises the raw score could lower the probability:
    /// no split of the probability into factors would keep their signs.
    #[error(
        "the fitted {method} calibrator is not non-decreasing, so reasons in probability units are impossible; \
         use Platt or isotonic calibration, or ask for no reasons (top_reasons = 0)"
    )]
    NonMonotoneCalibrator {
        /// The calibration method (`platt`, `binning`, …).
        method: &'static str,
    },
}

/// Result alias for [`IcpError`].
pub type Result<T, E = IcpError> = std::result::Result<T, E>;
