//! The ICP crate's error type.

use acctscore_core::CoreError;
use acctscore_frame::ColumnKind;
use serde::{Deserialize, Serialize};

/// What is wrong with a rule in a rules file (see [`IcpError::InvalidRule`]).
/// Each prints as a sentence about the field, in words a rules-file editor
/// can act on.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RuleProblem {
    /// A condition sets none of `min`/`max`, `one_of`, `is`, `missing`.
    NoTest,
    /// A condition sets more than one kind of test.
    SeveralTests {
        /// The tests it sets, as written (`min`, `is`, …).
        tests: Vec<&'static str>,
    },
    /// `min` is not below `max`, or a bound is not finite.
    BadRange {
        /// The lower bound as written.
        min: Option<f64>,
        /// The upper bound as written.
        max: Option<f64>,
    },
    /// The rule's points are not finite.
    BadPoints {
        /// The points as written.
        points: f64,
    },
    /// With this rule's points, a total of points overflows to infinity.
    PointsOverflow {
        /// The points as written.
        points: f64,
    },
    /// The rule has no condition at all.
    NoCondition,
    /// The field is absent from the data.
    UnknownField {
        /// The columns the data has, in order.
        available: Vec<String>,
    },
    /// The test does not fit the field's kind (a range on a text column).
    KindMismatch {
        /// The field's kind in the data.
        found: ColumnKind,
        /// The test the rule applies to it.
        test: RuleTest,
    },
    /// Two rules share a name.
    DuplicateName,
    /// `one_of` is empty.
    EmptySet,
    /// The field is the target (label) column: the rule would read the answer.
    ReadsTarget,
}

/// The test of a condition, as [`RuleProblem::KindMismatch`] reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum RuleTest {
    /// `min` and/or `max`: a numeric range.
    Range {
        /// The lower bound, if given.
        min: Option<f64>,
        /// The upper bound, if given.
        max: Option<f64>,
    },
    /// `one_of`: a list of values.
    OneOf,
    /// `is`: a yes/no test.
    Is(bool),
}

impl std::fmt::Display for RuleTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleTest::Range { min: Some(a), max: Some(b) } => write!(f, "`min = {a}, max = {b}` (a numeric range)"),
            RuleTest::Range { min: Some(a), max: None } => write!(f, "`min = {a}` (a numeric range)"),
            RuleTest::Range { min: None, max: Some(b) } => write!(f, "`max = {b}` (a numeric range)"),
            RuleTest::Range { .. } => f.write_str("`min`/`max` (a numeric range)"),
            RuleTest::OneOf => f.write_str("`one_of` (a list of values, for a categorical or text column)"),
            RuleTest::Is(b) => write!(f, "`is = {b}` (a yes/no test)"),
        }
    }
}

/// A list of column names for a message: at most 20, then "and N more".
pub(crate) fn name_list(names: &[String]) -> String {
    acctscore_core::names_in_words(names)
}

impl RuleProblem {
    /// The problem as a sentence about `field` (what [`IcpError::InvalidRule`] prints after the rule's name).
    pub fn describe(&self, field: &str) -> String {
        let f = format!("field `{field}`");
        match self {
            RuleProblem::NoTest => {
                format!("{f} has no test; give one of `min`/`max`, `one_of`, `is` or `missing`")
            }
            RuleProblem::SeveralTests { tests } => format!(
                "{f} has several tests ({}) in one condition; give one test per condition \
                 (write two conditions to test the field twice)",
                tests.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
            ),
            RuleProblem::BadRange { min, max } => match (min, max) {
                (Some(a), _) if !a.is_finite() => format!("{f} has `min = {a}`, which is not a finite number"),
                (_, Some(b)) if !b.is_finite() => format!("{f} has `max = {b}`, which is not a finite number"),
                (Some(a), Some(b)) => {
                    format!("{f} has `min = {a}` not below `max = {b}` (the range is min <= x < max)")
                }
                _ => format!("{f} has a range that is not valid"),
            },
            RuleProblem::BadPoints { points } => format!("`points = {points}` is not a finite number"),
            RuleProblem::PointsOverflow { points } => format!(
                "`points = {points}` makes a total of the rules' points overflow to infinity; keep points far below 1e300"
            ),
            RuleProblem::NoCondition => {
                "has no condition; give `when` (all must hold) and/or `any` (one must hold)".to_string()
            }
            RuleProblem::UnknownField { available } => {
                format!("{f} is not a column of the data; it has: {}", name_list(available))
            }
            RuleProblem::KindMismatch { found, test } => {
                let hint = match (test, found) {
                    (RuleTest::Is(_), ColumnKind::Numeric) => "; for a 0/1 number write `min = 1` (or `max = 1`)",
                    (RuleTest::Range { .. }, ColumnKind::Categorical | ColumnKind::Text) => {
                        "; for labels write `one_of = [...]`"
                    }
                    (RuleTest::OneOf, ColumnKind::Boolean) => "; for a yes/no column write `is = true` or `is = false`",
                    _ => "",
                };
                format!("{f} is {found} in the data, but the rule tests it with {test}{hint}")
            }
            RuleProblem::DuplicateName => "is defined twice; rule names must be unique".to_string(),
            RuleProblem::EmptySet => format!("{f} has an empty `one_of`; list at least one value"),
            RuleProblem::ReadsTarget => format!(
                "{f} is the target column (the outcome the model learns), so the rule would read the answer; \
                 remove the condition or test another field"
            ),
        }
    }
}

/// Something a fit noticed that does not stop it but that a user should
/// fix (kept in the fitted model: [`crate::propensity::FittedIcp::warnings`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FitWarning {
    /// A rule's `one_of` lists a level that no row of the fit data has
    /// (after trimming and lower-casing), so that value never matches there:
    /// often a misspelling.
    UnseenLevel {
        /// The rule's name.
        rule: String,
        /// The field tested.
        field: String,
        /// The level as the rules file writes it.
        level: String,
    },
    /// `auto`'s out-of-time check: the chosen family, fitted on the earlier
    /// rows in file order, scored the last fifth well below its
    /// cross-validated AUC. When the file is in time order, the data drifts
    /// and the model may not hold for newer accounts; compare families on a
    /// recent holdout before trusting the choice.
    RecentRowsWeaker {
        /// The chosen family's name.
        family: String,
        /// Its cross-validated AUC.
        cv_auc: f64,
        /// Its AUC on the last fifth of the rows.
        recent_auc: f64,
        /// Rows in the last fifth.
        rows: usize,
    },
}

impl std::fmt::Display for FitWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FitWarning::UnseenLevel { rule, field, level } => write!(
                f,
                "rule `{rule}`: level `{level}` of field `{field}` never occurs in the fit data, \
                 so it never matches there (check its spelling)"
            ),
            FitWarning::RecentRowsWeaker { family, cv_auc, recent_auc, rows } => write!(
                f,
                "{family}: AUC {recent_auc:.4} on the last {rows} rows in file order (fitted on the rows before) \
                 against {cv_auc:.4} cross-validated; if the file is in time order the data drifts and the \
                 model may not hold for newer accounts"
            ),
        }
    }
}

// A frame error is a features error here too, so that a missing column has
// one shape (`Features(Frame(MissingColumn))`) whether the ICP crate or the
// encoders found it.
impl From<acctscore_frame::FrameError> for IcpError {
    fn from(e: acctscore_frame::FrameError) -> Self {
        IcpError::Features(e.into())
    }
}

/// Errors of the ICP models.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IcpError {
    /// A core check failed (shapes, finiteness, single class).
    #[error(transparent)]
    Core(#[from] CoreError),
    /// A features operation failed, or a frame one (a missing column, a
    /// column of the wrong kind: [`FeaturesError::Frame`](acctscore_features::FeaturesError::Frame)).
    #[error(transparent)]
    Features(#[from] acctscore_features::FeaturesError),
    /// A family name that is not one of [`FamilyChoice`](crate::propensity::FamilyChoice)'s.
    #[error("unknown ICP family `{found}`: expected one of auto, rules, logistic, trees, lookalike, hybrid")]
    UnknownFamily {
        /// The name given.
        found: String,
    },
    /// The rules file is not valid TOML or has unknown keys.
    #[error("rules file{}: {reason}", .rule.as_ref().map(|r| format!(", rule `{r}`")).unwrap_or_default())]
    RulesSyntax {
        /// The rule at fault, when the parser's error is inside one named rule.
        rule: Option<String>,
        /// The TOML parser's message, with line and column.
        reason: String,
    },
    /// A rule is invalid.
    #[error("rule `{rule}`: {}", .problem.describe(.field))]
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
    #[error("rules file: tier cut points must be finite and decreasing (A > B > C); found A = {a}, B = {b}, C = {c}")]
    BadTiers {
        /// Lowest points of tier A, as written.
        a: f64,
        /// Lowest points of tier B, as written.
        b: f64,
        /// Lowest points of tier C, as written.
        c: f64,
    },
    /// The rules file's `threshold` is not a finite number.
    #[error("rules file: `threshold = {value}` is not a finite number")]
    BadThreshold {
        /// The threshold as written.
        value: f64,
    },
    /// A fitted model read from a file is inconsistent (a child index that
    /// does not follow its parent, a feature out of range, a non-finite value).
    #[error("invalid fitted model: bad {part} (at {index})")]
    InvalidModel {
        /// The part at fault ("split", "centroid", …).
        part: &'static str,
        /// Index of the tree, centroid or feature concerned.
        index: usize,
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
