//! A fitted ICP model: scoring, explanations, and the prepared path.

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub(super) enum Fitted {
    Rules { rules: RuleSet, calibrator: FittedCalibrator },
    Logistic { model: FittedLogistic, calibrator: FittedCalibrator },
    Trees { model: FittedGbdt, calibrator: FittedCalibrator },
    Lookalike { model: FittedLookalike, calibrator: FittedCalibrator },
    Hybrid { logistic: FittedLogistic, rules: RuleSet, signals: Vec<String>, combiner: FittedLogistic },
}

impl Fitted {
    /// The map from raw score to probability: the calibrator, or the
    /// hybrid's logistic link.
    fn link(&self, raw: f64) -> f64 {
        match self {
            Fitted::Rules { calibrator, .. }
            | Fitted::Logistic { calibrator, .. }
            | Fitted::Trees { calibrator, .. }
            | Fitted::Lookalike { calibrator, .. } => calibrator.calibrate_value(raw),
            Fitted::Hybrid { .. } => 1.0 / (1.0 + (-raw).exp()),
        }
    }

    /// Refuses a calibrator under which reasons cannot be split in
    /// probability units (see [`Explanation::in_probability`]).
    pub(super) fn check_monotone(&self) -> Result<()> {
        let calibrator = match self {
            Fitted::Rules { calibrator, .. }
            | Fitted::Logistic { calibrator, .. }
            | Fitted::Trees { calibrator, .. }
            | Fitted::Lookalike { calibrator, .. } => calibrator,
            Fitted::Hybrid { .. } => return Ok(()),
        };
        if calibrator.is_non_decreasing() {
            return Ok(());
        }
        let method = match calibrator {
            FittedCalibrator::Platt(_) => "platt",
            FittedCalibrator::Isotonic(_) => "isotonic",
            _ => "binning",
        };
        Err(IcpError::NonMonotoneCalibrator { method })
    }
}

/// One account's ICP score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IcpScore {
    /// Calibrated probability of converting.
    pub probability: Probability,
    /// Raw score: points (rules), log-odds (logistic, trees, hybrid) or log similarity (look-alike).
    pub raw: f64,
    /// Tier letter from the probability.
    pub tier: char,
    /// Baseline and the top factors (the rest summed as `other`); they add up to `raw`.
    pub explanation: Explanation,
}

/// A fitted ICP model: plain serde data, `Send + Sync`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedIcp {
    pub(super) choice: Choice,
    pub(super) pipeline: FittedPipeline,
    pub(super) bins: NumericBins,
    pub(super) model: Fitted,
    pub(super) tiers: TierCuts,
    pub(super) top_reasons: usize,
    pub(super) positives: usize,
    pub(super) rows: usize,
    /// What the fit noticed (absent from model files written before warnings existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) warnings: Vec<FitWarning>,
}

impl FittedIcp {
    /// Checks the invariants a fitted ICP model holds (as at fit time):
    /// tier cuts ordered `1 ≥ a > b > c ≥ 0`, at most [`MAX_REASONS`]
    /// reasons, numeric bin edges finite and
    /// strictly increasing, the pipeline's encoders valid
    /// ([`FittedPipeline::validate`]), logistic weights finite and of the
    /// pipeline's width, the calibrator valid.
    ///
    /// # Errors
    /// [`InvalidModel`](acctscore_core::InvalidModel) naming the part, the field and the problem.
    pub fn validate(&self) -> std::result::Result<(), acctscore_core::InvalidModel> {
        use acctscore_core::envelope::{check_finite, check_len, check_sorted};
        use acctscore_core::{InvalidModel, Problem};
        const PART: &str = "icp model";
        let TierCuts { a, b, c } = self.tiers;
        check_finite(PART, "tiers", &[a, b, c])?;
        if !(a <= 1.0 && c >= 0.0) {
            let value = if a > 1.0 { a } else { c };
            return Err(InvalidModel::new(PART, "tiers", Problem::OutOfRange { value, min: 0.0, max: 1.0 }));
        }
        check_sorted(PART, "tiers", &[c, b, a], true)?;
        if self.top_reasons > MAX_REASONS {
            let (value, max) = (self.top_reasons as f64, MAX_REASONS as f64);
            return Err(InvalidModel::new(PART, "top_reasons", Problem::OutOfRange { value, min: 0.0, max }));
        }
        for (column, edges) in self.bins.columns() {
            check_sorted(PART, &format!("bins.{column}"), edges, true)?;
        }
        self.pipeline.validate()?;
        let width = self.pipeline.features().len();
        let logistic = |field: &str, m: &FittedLogistic| {
            check_len(PART, field, width, m.weights().len())?;
            check_finite(PART, field, m.weights())?;
            check_finite(PART, field, &[m.intercept()])
        };
        match &self.model {
            Fitted::Rules { calibrator, .. }
            | Fitted::Trees { calibrator, .. }
            | Fitted::Lookalike { calibrator, .. } => calibrator.validate(),
            Fitted::Logistic { model, calibrator } => {
                logistic("weights", model)?;
                calibrator.validate()
            }
            Fitted::Hybrid { logistic: m, combiner, .. } => {
                logistic("weights", m)?;
                check_finite(PART, "combiner", combiner.weights())
            }
        }
    }

    /// What the fit noticed but did not refuse, such as a given rule's level
    /// that never occurs in the fit data ([`FitWarning::UnseenLevel`]):
    /// worth printing for whoever edits the rules.
    pub fn warnings(&self) -> &[FitWarning] {
        &self.warnings
    }

    /// The family fitted and why it was chosen.
    pub fn choice(&self) -> &Choice {
        &self.choice
    }

    /// The family.
    pub fn family(&self) -> Family {
        self.choice.family
    }

    /// The columns scoring reads: the encoders' columns, then the fields of
    /// the family's rules and its custom signals, each once. A frame to score
    /// needs these (and no other) columns.
    pub fn input_columns(&self) -> Vec<&str> {
        let mut out = self.pipeline.input_columns();
        let (rules, signals): (Option<&RuleSet>, &[String]) = match &self.model {
            Fitted::Rules { rules, .. } => (Some(rules), &[]),
            Fitted::Hybrid { rules, signals, .. } => (Some(rules), signals),
            _ => (None, &[]),
        };
        let extra =
            rules.map(RuleSet::fields).unwrap_or_default().into_iter().chain(signals.iter().map(String::as_str));
        for c in extra {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    /// The probability of a raw score: the calibrator's map (the hybrid's
    /// logistic link), non-decreasing in the raw score.
    pub fn probability_of_raw(&self, raw: f64) -> f64 {
        self.model.link(raw)
    }

    /// An explanation of a score (in raw units, as [`IcpScore::explanation`]
    /// holds it) in the units of the probability shown, `p`: its baseline is
    /// the probability of the raw baseline and its contributions add up,
    /// with it, to `p` (see [`Explanation::in_probability`]). `raw` is the
    /// score's raw value.
    pub fn explanation_in_probability(&self, e: Explanation, raw: f64, p: f64) -> Explanation {
        let raw0 = e.baseline;
        let p0 = self.model.link(raw0);
        let h = 1e-6 * (1.0 + raw0.abs());
        let slope0 = (self.model.link(raw0 + h) - self.model.link(raw0 - h)) / (2.0 * h);
        e.in_probability(raw, p, p0, if slope0.is_finite() { slope0 } else { 0.0 })
    }

    /// The fitted encoders.
    pub fn pipeline(&self) -> &FittedPipeline {
        &self.pipeline
    }

    /// Tier cut points.
    pub fn tiers(&self) -> TierCuts {
        self.tiers
    }

    /// The rules, for the rules and hybrid families.
    pub fn rules(&self) -> Option<&RuleSet> {
        match &self.model {
            Fitted::Rules { rules, .. } | Fitted::Hybrid { rules, .. } => Some(rules),
            _ => None,
        }
    }

    /// Training rows and positives.
    pub fn training_counts(&self) -> (usize, usize) {
        (self.rows, self.positives)
    }

    /// How many reasons a score carries (the rest summed as `other`).
    pub fn top_reasons(&self) -> usize {
        self.top_reasons
    }

    /// Quintile edges of the numeric columns, for reason bins.
    pub(crate) fn bins(&self) -> &NumericBins {
        &self.bins
    }

    /// Binds the model to `frame` once: every row then scored with its top
    /// reasons (as indices, without strings); see [`crate::prepared`]. The
    /// one scoring engine of every family: [`FittedIcp::score_rows`] and the
    /// scorer go through it.
    ///
    /// # Errors
    /// A missing column or a column of another kind; [`IcpError::InvalidModel`]
    /// when the model's parts do not fit together (a damaged file).
    pub fn prepare<'a>(&'a self, frame: &'a Frame) -> Result<PreparedIcp<'a>> {
        let source = match &self.model {
            Fitted::Logistic { model, calibrator } => Source::Logistic(model, calibrator),
            Fitted::Rules { rules, calibrator } => Source::Rules(rules, calibrator),
            Fitted::Trees { model, calibrator } => Source::Additive(Additive::Trees(model), calibrator),
            Fitted::Lookalike { model, calibrator } => Source::Additive(Additive::Lookalike(model), calibrator),
            Fitted::Hybrid { logistic, rules, signals, combiner } => {
                Source::Hybrid(HybridParts { logistic, rules, signals, combiner })
            }
        };
        PreparedIcp::new(self, source, frame)
    }

    /// Scores every row of `frame` (which needs the training columns), in
    /// order, with explanations.
    ///
    /// # Errors
    /// A missing column or a column of another kind.
    pub fn score_frame(&self, frame: &Frame) -> Result<Vec<IcpScore>> {
        self.score_rows(frame, 0..frame.nrows(), true)
    }

    /// Scores rows `rows` of `frame`, in order, through the prepared engine
    /// ([`FittedIcp::prepare`]). Without `reasons` the explanations are left
    /// empty (baseline only) and no strings are built.
    ///
    /// # Errors
    /// A missing column, a column of another kind, or a range out of bounds.
    pub fn score_rows(&self, frame: &Frame, rows: Range<usize>, reasons: bool) -> Result<Vec<IcpScore>> {
        let prepared = self.prepare(frame)?;
        let baseline = prepared.baseline();
        if !reasons {
            return Ok(prepared
                .scores_without_reasons(rows)?
                .into_iter()
                .map(|(raw, probability, tier)| IcpScore {
                    probability,
                    raw,
                    tier,
                    explanation: Explanation { baseline, factors: Vec::new() },
                })
                .collect());
        }
        let start = rows.start;
        let fast = prepared.score_rows(rows)?;
        Ok((start..)
            .zip(fast)
            .map(|(i, s)| IcpScore {
                probability: s.probability,
                raw: s.raw,
                tier: s.tier,
                explanation: prepared.explanation(i, &s),
            })
            .collect())
    }
}
