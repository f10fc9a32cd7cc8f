//! `auto`'s choice of a family: cross-validation, the out-of-time check, and the reason stamped in the model.

use super::*;

/// Why a family was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
#[non_exhaustive]
pub enum ChoiceReason {
    /// The caller asked for this family.
    Requested,
    /// `auto` with enough positives, in models fitted before `auto` chose by
    /// cross-validation: logistic regression was the default learned family.
    /// Kept so that such model files still read.
    EnoughPositives {
        /// Positive examples in the training data.
        positives: usize,
        /// The guard's minimum.
        required: usize,
    },
    /// `auto` with too few positives: rules instead of a learned model.
    TooFewPositives {
        /// Positive examples in the training data.
        positives: usize,
        /// The guard's minimum.
        required: usize,
        /// Whether the rules were mined from the data (otherwise given).
        mined: bool,
    },
    /// `auto` with enough positives: logistic regression and boosted trees
    /// compared by cross-validated AUC; trees chosen only when
    /// `trees_auc >= logistic_auc + margin`.
    CrossValidated {
        /// Positive examples in the training data.
        positives: usize,
        /// The guard's minimum.
        required: usize,
        /// Logistic regression's mean fold AUC.
        logistic_auc: f64,
        /// Boosted trees' mean fold AUC.
        trees_auc: f64,
        /// Folds of the cross-validation.
        folds: usize,
        /// Rows the cross-validation used (all training rows, or a subsample).
        rows: usize,
        /// The AUC margin trees needed.
        margin: f64,
        /// The out-of-time check: both families fitted on the earlier rows
        /// of the cross-validation (in file order) and scored on its last
        /// fifth. Informs the drift warning, not the choice. Absent from
        /// model files written before the check existed, or when the last
        /// fifth holds one class.
        #[serde(default)]
        recent: Option<RecentAuc>,
    },
}

/// How far below its cross-validated AUC the chosen family's out-of-time
/// AUC may fall before the fit warns of drift ([`FitWarning::RecentRowsWeaker`]).
pub const DRIFT_AUC_GAP: f64 = 0.05;

/// AUCs of `auto`'s out-of-time check: each family fitted on the rows
/// before the last fifth of its cross-validation rows (in file order) and
/// scored on that fifth. Files are often in time order, so a figure well
/// below the cross-validated one means the data drifts and the model may
/// not hold for newer accounts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RecentAuc {
    /// Logistic regression's AUC on the last fifth.
    pub logistic_auc: f64,
    /// Boosted trees' AUC on the last fifth.
    pub trees_auc: f64,
    /// Rows in the last fifth.
    pub rows: usize,
}

/// The family chosen and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// What the caller asked for.
    pub requested: FamilyChoice,
    /// What was fitted.
    pub family: Family,
    /// Why.
    pub reason: ChoiceReason,
}

impl Choice {
    /// [`FitWarning::RecentRowsWeaker`] when `auto`'s out-of-time check put
    /// the chosen family more than [`DRIFT_AUC_GAP`] below its
    /// cross-validated AUC.
    pub(super) fn drift_warning(&self) -> Option<FitWarning> {
        let ChoiceReason::CrossValidated { logistic_auc, trees_auc, recent: Some(r), .. } = &self.reason else {
            return None;
        };
        let (cv_auc, recent_auc) = match self.family {
            Family::Trees => (*trees_auc, r.trees_auc),
            _ => (*logistic_auc, r.logistic_auc),
        };
        (recent_auc < cv_auc - DRIFT_AUC_GAP).then(|| FitWarning::RecentRowsWeaker {
            family: self.family.name().to_string(),
            cv_auc,
            recent_auc,
            rows: r.rows,
        })
    }
}

impl std::fmt::Display for Choice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.reason {
            ChoiceReason::Requested => write!(f, "{} (requested)", self.family.name()),
            ChoiceReason::EnoughPositives { positives, required } => write!(
                f,
                "{} (auto: {positives} positive examples ≥ {required}, a learned model is supported)",
                self.family.name()
            ),
            ChoiceReason::TooFewPositives { positives, required, mined } => write!(
                f,
                "{} (auto: only {positives} positive examples < {required}; {} rules instead of a learned model)",
                self.family.name(),
                if *mined { "mined" } else { "the given" }
            ),
            ChoiceReason::CrossValidated {
                positives,
                required,
                logistic_auc,
                trees_auc,
                folds,
                rows,
                margin,
                recent,
            } => {
                write!(
                    f,
                    "{} (auto: {positives} positive examples ≥ {required}; {folds}-fold cross-validated AUC on \
                     {rows} rows: logistic {logistic_auc:.4}, trees {trees_auc:.4}; trees chosen only when \
                     ahead by ≥ {margin}",
                    self.family.name()
                )?;
                if let Some(r) = recent {
                    write!(
                        f,
                        "; on the last {} rows in file order, fitted on the rows before: logistic {:.4}, trees {:.4}",
                        r.rows, r.logistic_auc, r.trees_auc
                    )?;
                }
                write!(f, ")")
            }
        }
    }
}

impl IcpParams {
    /// `auto` with enough positives: logistic regression or trees, by mean
    /// fold AUC on (a subsample of) the fit data, encoded by `pipeline`.
    /// Deterministic: the subsample and the folds come from the seed, and
    /// both models fit identically at any thread count.
    pub(super) fn choose_by_cv(
        &self,
        pipeline: &FittedPipeline,
        frame: &Frame,
        y: &[bool],
        positives: usize,
    ) -> Result<(Family, ChoiceReason)> {
        let _span = tracing::info_span!("auto_cross_validation", rows = y.len(), positives).entered();
        let rows = cv_rows(y, self.auto_cv_rows, self.seed);
        let (x, y_cv) = if rows.len() == y.len() {
            (pipeline.transform(frame)?, y.to_vec())
        } else {
            let y_cv = rows.iter().filter_map(|&i| y.get(i).copied()).collect::<Vec<_>>();
            (pipeline.transform(&frame.take(&rows))?, y_cv)
        };
        check::same_len("cross-validation labels vs rows", x.nrows(), y_cv.len())?;
        let k = self.auto_cv_folds;
        let folds = stratified_folds(&y_cv, k, self.seed)?;
        let (_, logistic_oof) = self.logistic.fit_cross(x.view(), &y_cv, &folds, k)?;
        let trees_oof = self.trees_out_of_fold(x.view(), &y_cv, &folds, k)?;
        let logistic_auc = mean_fold_auc(&logistic_oof, &y_cv, &folds, k)?;
        let trees_auc = mean_fold_auc(&trees_oof, &y_cv, &folds, k)?;
        let recent = self.recent_aucs(x.view(), &y_cv)?;
        let family = if trees_auc >= logistic_auc + self.auto_margin { Family::Trees } else { Family::Logistic };
        let reason = ChoiceReason::CrossValidated {
            positives,
            required: self.min_positives,
            logistic_auc,
            trees_auc,
            folds: k,
            rows: y_cv.len(),
            margin: self.auto_margin,
            recent,
        };
        Ok((family, reason))
    }

    /// Logistic regression's and trees' AUC on the last fifth of the rows
    /// in file order, each fitted on the rows before it: an out-of-time
    /// check, since files are often in time order. `None` when the last
    /// fifth holds a single class.
    fn recent_aucs(&self, x: ArrayView2<'_, f64>, y: &[bool]) -> Result<Option<RecentAuc>> {
        let cut = y.len() - y.len() / 5;
        let (y_train, y_test) = y.split_at(cut);
        let single = |v: &[bool]| v.iter().all(|&b| b) || !v.iter().any(|&b| b);
        if single(y_train) || single(y_test) {
            return Ok(None);
        }
        let (x_train, x_test) = x.split_at(Axis(0), cut);
        let logistic = self.logistic.fit(x_train, y_train)?.score_batch(x_test)?;
        let trees = self.gbdt.clone().seed(self.seed).fit(x_train, y_train)?.score_batch(x_test)?;
        Ok(Some(RecentAuc {
            logistic_auc: roc_auc(&logistic, y_test)?,
            trees_auc: roc_auc(&trees, y_test)?,
            rows: y_test.len(),
        }))
    }

    /// Each row's trees score from the model fitted on the other folds.
    fn trees_out_of_fold(&self, x: ArrayView2<'_, f64>, y: &[bool], folds: &[usize], k: usize) -> Result<Vec<f64>> {
        let params = self.gbdt.clone().seed(self.seed);
        let mut oof = vec![0.0; y.len()];
        for f in 0..k {
            let train: Vec<usize> = (0..y.len()).filter(|&i| folds.get(i) != Some(&f)).collect();
            let test: Vec<usize> = (0..y.len()).filter(|&i| folds.get(i) == Some(&f)).collect();
            let y_train: Vec<bool> = train.iter().filter_map(|&i| y.get(i).copied()).collect();
            let model = params.fit(x.select(Axis(0), &train).view(), &y_train)?;
            let scores = model.score_batch(x.select(Axis(0), &test).view())?;
            for (&i, s) in test.iter().zip(scores) {
                if let Some(o) = oof.get_mut(i) {
                    *o = s;
                }
            }
        }
        Ok(oof)
    }
}

/// The rows of `auto`'s cross-validation, ascending: all of them when there
/// are at most `cap`, else a seeded subsample of `cap` rows with each class
/// in proportion, but at least a tenth of `cap` (or all of the class, when
/// smaller) so that a rare class still fills every fold.
pub(super) fn cv_rows(y: &[bool], cap: usize, seed: u64) -> Vec<usize> {
    let n = y.len();
    if n <= cap {
        return (0..n).collect();
    }
    let mut pos: Vec<usize> = (0..n).filter(|&i| y.get(i) == Some(&true)).collect();
    let mut neg: Vec<usize> = (0..n).filter(|&i| y.get(i) == Some(&false)).collect();
    let floor = cap / 10;
    let share = ((cap as u128 * pos.len() as u128 + n as u128 / 2) / n as u128) as usize;
    let keep_pos = share.max(floor.min(pos.len())).min(pos.len()).min(cap - floor.min(neg.len()));
    let keep_neg = (cap - keep_pos).min(neg.len());
    // A stream of its own, so that the subsample and the folds are not drawn alike.
    let mut rng = acctscore_core::numeric::SplitMix64::new(seed ^ 0xA5A5_5A5A_C0FF_EE00);
    let mut out = Vec::with_capacity(keep_pos + keep_neg);
    for (class, keep) in [(&mut pos, keep_pos), (&mut neg, keep_neg)] {
        // Partial Fisher–Yates: the first `keep` places get a uniform sample.
        for i in 0..keep.min(class.len()) {
            let left = (class.len() - i) as u128;
            let j = i + ((u128::from(rng.next_u64()) * left) >> 64) as usize;
            class.swap(i, j);
        }
        out.extend(class.iter().take(keep));
    }
    out.sort_unstable();
    out
}

/// The mean over folds of the AUC of each fold's out-of-fold scores.
fn mean_fold_auc(scores: &[f64], y: &[bool], folds: &[usize], k: usize) -> Result<f64> {
    let mut total = 0.0;
    for f in 0..k {
        let (s, l): (Vec<f64>, Vec<bool>) =
            scores.iter().zip(y).zip(folds).filter(|&(_, &g)| g == f).map(|((&s, &l), _)| (s, l)).unzip();
        total += roc_auc(&s, &l)?;
    }
    Ok(total / k as f64)
}
