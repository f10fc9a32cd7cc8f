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

/// A model whose raw score splits into a baseline plus one contribution
/// per feature.
trait Explained {
    fn baseline(&self) -> f64;
    fn contributions(&self, row: ArrayView1<'_, f64>) -> Vec<f64>;
}

macro_rules! explained {
    ($($t:ty),*) => {$(
        impl Explained for $t {
            fn baseline(&self) -> f64 {
                <$t>::baseline(self)
            }
            fn contributions(&self, row: ArrayView1<'_, f64>) -> Vec<f64> {
                <$t>::contributions(self, row)
            }
        }
    )*};
}
explained!(FittedLogistic, FittedGbdt, FittedLookalike);

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
    /// tier cuts ordered `1 ≥ a > b > c ≥ 0`, numeric bin edges finite and
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

    /// Binds the model to `frame` once for fast scoring: every row scored
    /// with its top reasons (as indices) without building a design row or
    /// allocating; see [`crate::prepared`].
    ///
    /// # Errors
    /// [`IcpError::Unsupported`] for the trees, look-alike and hybrid
    /// families and for more than [`crate::prepared::MAX_REASONS`] reasons;
    /// a missing column or a column of another kind; [`IcpError::InvalidModel`]
    /// when the model's parts do not fit together (a damaged file).
    pub fn prepare<'a>(&'a self, frame: &'a Frame) -> Result<PreparedIcp<'a>> {
        let source = match &self.model {
            Fitted::Logistic { model, calibrator } => Source::Logistic(model, calibrator),
            Fitted::Rules { rules, calibrator } => Source::Rules(rules, calibrator),
            Fitted::Trees { .. } | Fitted::Lookalike { .. } | Fitted::Hybrid { .. } => {
                return Err(IcpError::Unsupported { what: format!("the {} family", self.family().name()) });
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

    /// Scores rows `rows` of `frame`, in order. Without `reasons` the
    /// explanations are left empty (baseline only) and nothing is allocated
    /// per row beyond the result: the fast path for ranking a large pool
    /// before explaining its top.
    ///
    /// # Errors
    /// A missing column, a column of another kind, or a range out of bounds.
    pub fn score_rows(&self, frame: &Frame, rows: Range<usize>, reasons: bool) -> Result<Vec<IcpScore>> {
        let plan = reasons.then(|| FactorPlan::new(&self.pipeline, frame, &self.bins));
        self.score_rows_planned(frame, rows, reasons, plan.as_ref())
    }

    /// Binds the model to `frame` for scoring single rows with reasons
    /// through [`FittedIcp::score_rows`]'s path, the per-frame factor tables
    /// built once: the families [`FittedIcp::prepare`] refuses (trees,
    /// look-alike, hybrid) explain a ranked top this way.
    pub fn explainer<'a>(&'a self, frame: &'a Frame) -> IcpExplainer<'a> {
        IcpExplainer { icp: self, frame, plan: FactorPlan::new(&self.pipeline, frame, &self.bins) }
    }

    /// [`FittedIcp::score_rows`] with the factor plan given (built for `frame`).
    fn score_rows_planned(
        &self,
        frame: &Frame,
        rows: Range<usize>,
        reasons: bool,
        plan: Option<&FactorPlan<'_>>,
    ) -> Result<Vec<IcpScore>> {
        let plan = if reasons { plan } else { None };
        let mut out = Vec::with_capacity(rows.len());
        match &self.model {
            Fitted::Rules { rules, calibrator } => {
                let bound = rules.bind(frame)?;
                for i in rows {
                    let (points, e) = if reasons {
                        let e = bound.explain(i);
                        (e.total(), e.top(self.top_reasons))
                    } else {
                        let points = bound.points(i);
                        (points, Explanation { baseline: 0.0, factors: Vec::new() })
                    };
                    out.push(self.finish(points, calibrator.calibrate_value(points), e)?);
                }
            }
            Fitted::Logistic { model, calibrator } => {
                self.score_explained(model, calibrator, frame, rows, plan, &mut out)?;
            }
            Fitted::Trees { model, calibrator } => {
                self.score_explained(model, calibrator, frame, rows, plan, &mut out)?;
            }
            Fitted::Lookalike { model, calibrator } => {
                self.score_explained(model, calibrator, frame, rows, plan, &mut out)?;
            }
            Fitted::Hybrid { logistic, rules, signals, combiner } => {
                let x = self.pipeline.transform_rows(frame, rows.clone())?;
                let bound = rules.bind(frame)?;
                let signal_values: Vec<Vec<f64>> =
                    signals.iter().map(|s| signal_column(frame, s)).collect::<Result<_>>()?;
                let w = combiner.weights();
                let means = combiner.feature_means();
                // A model read from a damaged file may not fit its signal list.
                if w.len() != 2 + signals.len() || means.len() != w.len() {
                    return Err(IcpError::InvalidModel { part: "hybrid combiner", index: w.len() });
                }
                // raw = b2 + w0·z1 + w1·points + Σ wk·sk, with z1 = stage-1 baseline + Σ its
                // contributions and points = Σ fired rules: the baseline collects the constants.
                let baseline = combiner.intercept()
                    + w[0] * logistic.baseline()
                    + (0..signals.len()).map(|k| w[2 + k] * means[2 + k]).sum::<f64>();
                for (r, i) in rows.enumerate() {
                    let row = x.row(r);
                    let z1 = logistic.score_row_unchecked(row);
                    let pts = bound.points(i);
                    let mut raw_row = vec![z1, pts];
                    raw_row.extend(signal_values.iter().map(|v| v[i]));
                    let raw = combiner.score_row_unchecked(ArrayView1::from(&raw_row[..]));
                    let p = 1.0 / (1.0 + (-raw).exp());
                    let Some(plan) = plan else {
                        out.push(self.finish(raw, p, Explanation { baseline, factors: Vec::new() })?);
                        continue;
                    };
                    let mut factors: Vec<Factor> = plan
                        .all_factors(&logistic.contributions(row), i)
                        .into_iter()
                        .map(|mut f| {
                            f.contribution *= w[0];
                            f
                        })
                        .collect();
                    for mut f in bound.explain(i).factors {
                        f.contribution *= w[1];
                        f.code = format!("rule={}", f.code);
                        factors.push(f);
                    }
                    for (k, s) in signals.iter().enumerate() {
                        let v = signal_values[k][i];
                        factors.push(Factor {
                            code: crate::explain::sanitize_code(s),
                            text: format!("{s} {v}"),
                            contribution: w[2 + k] * (v - means[2 + k]),
                        });
                    }
                    out.push(self.finish(raw, p, Explanation::new(baseline, factors))?);
                }
            }
        }
        Ok(out)
    }

    fn score_explained<M: Score + Explained>(
        &self,
        model: &M,
        calibrator: &FittedCalibrator,
        frame: &Frame,
        rows: Range<usize>,
        plan: Option<&FactorPlan<'_>>,
        out: &mut Vec<IcpScore>,
    ) -> Result<()> {
        let start = rows.start;
        let x = self.pipeline.transform_rows(frame, rows)?;
        let baseline = model.baseline();
        for (k, row) in x.rows().into_iter().enumerate() {
            let r = model.score_row_unchecked(row);
            let e = match plan {
                Some(plan) => plan.explain(baseline, &model.contributions(row), start + k, self.top_reasons),
                None => Explanation { baseline, factors: Vec::new() },
            };
            out.push(self.finish_explained(r, calibrator.calibrate_value(r), e)?);
        }
        Ok(())
    }

    fn finish_explained(&self, raw: f64, p: f64, explanation: Explanation) -> Result<IcpScore> {
        let probability = Probability::clamped(p)?;
        Ok(IcpScore { probability, raw, tier: self.tiers.tier(probability.get()), explanation })
    }

    fn finish(&self, raw: f64, p: f64, e: Explanation) -> Result<IcpScore> {
        let probability = Probability::clamped(p)?;
        Ok(IcpScore {
            probability,
            raw,
            tier: self.tiers.tier(probability.get()),
            explanation: e.top(self.top_reasons),
        })
    }
}

/// A fitted model bound to one frame by [`FittedIcp::explainer`]: scores
/// single rows with their reasons, the frame's factor tables built once.
#[derive(Debug)]
pub struct IcpExplainer<'a> {
    icp: &'a FittedIcp,
    frame: &'a Frame,
    plan: FactorPlan<'a>,
}

impl IcpExplainer<'_> {
    /// Scores row `i` with its reasons: equal to row `i` of
    /// [`FittedIcp::score_frame`].
    ///
    /// # Errors
    /// A row out of range; as [`FittedIcp::score_rows`].
    pub fn score(&self, i: usize) -> Result<IcpScore> {
        let n = self.frame.nrows();
        if i >= n {
            return Err(CoreError::ShapeMismatch { what: "row index vs rows", expected: n, found: i }.into());
        }
        let mut s = self.icp.score_rows_planned(self.frame, i..i + 1, true, Some(&self.plan))?;
        s.pop().ok_or(IcpError::Core(CoreError::Empty { what: "score" }))
    }
}
