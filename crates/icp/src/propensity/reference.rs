//! The reference scorer of the tests: every family scored on its design
//! rows by the models' own arithmetic (`intercept + w·x` for logistic),
//! explained through [`FactorPlan::explain`] and [`Explanation::new`] with
//! strings. The prepared engine ([`FittedIcp::prepare`]), which scores
//! logistic and rules models from per-column tables without building a
//! design row, is checked against it.

use super::*;
use crate::explain::{Factor, FactorPlan};
use ndarray::ArrayView1;

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

impl FittedIcp {
    /// Rows `rows` of `frame` with their explanations, scored the reference way.
    pub(crate) fn reference_rows(&self, frame: &Frame, rows: Range<usize>) -> Result<Vec<IcpScore>> {
        let plan = FactorPlan::new(&self.pipeline, frame, &self.bins);
        self.score_rows_planned(frame, rows, true, Some(&plan))
    }

    /// The reference scores, with the factor plan given (built for `frame`).
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
