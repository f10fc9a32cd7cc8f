//! `ScorerParams`: the settings of a fit, and `fit` itself (quality gate, ICP, anomaly, revenue, tiers).

use super::*;

/// Settings of a [`Scorer`]. Build with [`ScorerParams::new`] and setters.
///
/// ```
/// use acctscore_icp::propensity::{Family, FamilyChoice};
/// use acctscore_revenue::RevenueRange;
/// use acctscore_scorer::ScorerParams;
/// use acctscore_scorer::pool::{PoolGenerator, accounts_to_frame};
///
/// let pool = PoolGenerator::new(4_000).seed(3).events(false).generate();
/// let frame = accounts_to_frame(&pool.accounts)?;
/// let scorer = ScorerParams::new()
///     .icp_family(FamilyChoice::Logistic)
///     .revenue_range(RevenueRange::new(20_000.0, 200_000.0)?)
///     .tier_shares(0.1, 0.2, 0.3)
///     .fit(&frame)?;
/// assert_eq!(scorer.icp().family(), Family::Logistic);
/// assert_eq!(scorer.revenue_range(), RevenueRange::new(20_000.0, 200_000.0)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ScorerParams {
    mapping: ColumnMapping,
    icp: IcpParams,
    range: RevenueRange,
    engagement: EngagementParams,
    priority: PriorityParams,
    as_of: Timestamp,
    keep: Vec<String>,
    quality: QualityParams,
    quality_rows: usize,
    revenue_learning: LearnedParams,
    tier_shares: [f64; 3],
    positive_label: Option<String>,
}

/// The most rows the quality gate reads (evenly spaced over the fit frame):
/// its per-column AUCs and flags are stable long before a million rows.
const QUALITY_ROWS: usize = 200_000;

impl Default for ScorerParams {
    fn default() -> Self {
        Self::new()
    }
}

impl ScorerParams {
    /// The pool mapping, the ICP defaults (`auto` family) with signed-log1p
    /// numbers (firmographics are heavy-tailed), at most 30 levels per
    /// categorical column (the pool's ~150 countries) and 3 cross-fitting
    /// folds for the calibrator (a two-parameter Platt map needs no more on
    /// pools of this size; each fold is a full model fit), revenue range
    /// $10k–$100k a month, default engagement and priority, anomaly checks
    /// as of 2026-01-01.
    pub fn new() -> Self {
        ScorerParams {
            mapping: ColumnMapping::pool(),
            icp: IcpParams::new()
                .pipeline(PipelineParams::new().numeric_transform(NumericTransform::Log1pStandardize).max_levels(30))
                .folds(3),
            range: RevenueRange::default(),
            engagement: EngagementParams::new()
                .kind("email", 1.0, 14.0)
                .kind("call", 3.0, 30.0)
                .kind("meeting", 10.0, 60.0),
            priority: PriorityParams::new(),
            as_of: Timestamp::from_unix_seconds(1_767_225_600),
            keep: Vec::new(),
            quality: QualityParams::default(),
            quality_rows: QUALITY_ROWS,
            revenue_learning: LearnedParams::new()
                .with_folds(3)
                .with_max_rows(100_000)
                .with_max_iter(25)
                .with_calibration(CalibrationMethod::Isotonic(IsotonicParams::new())),
            tier_shares: DEFAULT_TIER_SHARES,
            positive_label: None,
        }
    }

    /// CSV options that read a frame to fit: `base` with the mapping's id
    /// column declared as text (never parsed as a number: `000123` stays
    /// `000123`, 19-digit ids stay distinct).
    #[cfg(feature = "csv")]
    pub fn csv_options(&self, base: &crate::frame::csv::CsvOptions) -> crate::frame::csv::CsvOptions {
        match self.mapping.id_column() {
            Some(id) => base.clone().id(id),
            None => base.clone(),
        }
    }

    /// The label's positive value (default: none, and the label must be
    /// boolean, or numeric with values 0 and 1 only). With it, rows whose
    /// label equals `value` are positive and every other labelled row is
    /// negative, so a label of more than two values (`won`, `lost`, `open`;
    /// `0`, `1`, `2`) or of text can be fitted. A numeric label compares
    /// `value` as a number, a categorical or text one as trimmed text
    /// ignoring ASCII case.
    pub fn positive_label(mut self, value: impl Into<String>) -> Self {
        self.positive_label = Some(value.into());
        self
    }

    /// Columns to keep as features even when the data-quality report flags
    /// them `leakage` or `id_like` (the fit report still lists them, as
    /// kept on request). Only for a column a person has confirmed is known
    /// before the outcome.
    pub fn keep<S: AsRef<str>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.keep.extend(columns.into_iter().map(|s| s.as_ref().to_string()));
        self
    }

    /// Thresholds of the data-quality gate (default: the report's defaults).
    pub fn quality(mut self, p: QualityParams) -> Self {
        self.quality = p;
        self
    }

    /// How the revenue-in-range classifier is fitted (default: 3 folds,
    /// at most 100,000 rows, 25 Newton iterations, isotonic calibration:
    /// the classifier is a logistic model on a fixed set of features, so its
    /// log-odds are not always log-odds-shaped; the isotonic map corrects that
    /// where Platt's two parameters cannot).
    pub fn revenue_learning(mut self, p: LearnedParams) -> Self {
        self.revenue_learning = p;
        self
    }

    /// Shares of the fit frame in tiers A, B and C for learned families
    /// (default [`DEFAULT_TIER_SHARES`]); the rules family takes its shares
    /// from the rules file's `[tiers]` points instead. Each share must be
    /// finite and `>= 0`, their sum at most 1: checked when fitting, for
    /// every family.
    pub fn tier_shares(mut self, a: f64, b: f64, c: f64) -> Self {
        self.tier_shares = [a, b, c];
        self
    }

    /// Which column holds what.
    pub fn mapping(mut self, m: ColumnMapping) -> Self {
        self.mapping = m;
        self
    }

    /// ICP model parameters (family, guard, calibration, rules, …); they
    /// replace the defaults, numeric transform included.
    pub fn icp(mut self, p: IcpParams) -> Self {
        self.icp = p;
        self
    }

    /// The ICP family (default `auto`), keeping the other ICP settings
    /// (unlike [`ScorerParams::icp`], which replaces them all).
    pub fn icp_family(mut self, family: FamilyChoice) -> Self {
        self.icp = self.icp.family(family);
        self
    }

    /// Weighted rules for the ICP model (the rules family, and `auto`'s
    /// fallback when there are too few positives), keeping the other ICP
    /// settings (unlike [`ScorerParams::icp`], which replaces them all).
    pub fn icp_rules(mut self, rules: RuleSet) -> Self {
        self.icp = self.icp.rules(rules);
        self
    }

    /// The preferred monthly revenue range.
    pub fn revenue_range(mut self, r: RevenueRange) -> Self {
        self.range = r;
        self
    }

    /// Engagement weights and half-lives per activity kind.
    pub fn engagement(mut self, p: EngagementParams) -> Self {
        self.engagement = p;
        self
    }

    /// The priority form.
    pub fn priority(mut self, p: PriorityParams) -> Self {
        self.priority = p;
        self
    }

    /// The date anomaly checks compare with ("founded in the future").
    pub fn as_of(mut self, t: Timestamp) -> Self {
        self.as_of = t;
        self
    }

    /// Fits every component on `frame`. Rows whose label is missing are
    /// left out of the ICP fit (and counted in [`FitMetrics`]).
    ///
    /// In order: the data-quality gate (columns flagged `leakage` or
    /// `id_like` left out of every model, see [`ScorerParams::keep`]), the
    /// ICP model, the anomaly segments, the revenue-in-range classifier
    /// (on the rows whose reported revenue the anomaly checks do not doubt),
    /// then the tier cut points on the fit frame's qualities. The
    /// [`FitReport`] ([`Scorer::fit_report`]) records each decision.
    ///
    /// # Errors
    /// No label column, a component's error, invalid parameters.
    pub fn fit(&self, frame: &Frame) -> Result<Scorer> {
        Ok(self.fit_timed(frame)?.0)
    }

    /// [`ScorerParams::fit`], with the seconds each stage took (never part
    /// of the model: the same data fit the same bytes however long it took).
    ///
    /// # Errors
    /// As [`ScorerParams::fit`].
    pub fn fit_timed(&self, frame: &Frame) -> Result<(Scorer, FitTimings)> {
        let _fit = tracing::info_span!("acctscore.fit", rows = frame.nrows()).entered();
        let mut timings = FitTimings::default();
        let mut clock = std::time::Instant::now();
        let mut lap = |slot: &mut f64| {
            *slot = clock.elapsed().as_secs_f64();
            clock = std::time::Instant::now();
        };
        // Checked before any work, and whichever family is fitted: the rules
        // family takes its tiers from the rules' points and never reads the
        // shares, so a bad value would otherwise pass silently.
        report::check_shares(self.tier_shares)?;
        let label = self
            .mapping
            .label_column()
            .ok_or(CoreError::InvalidParameter { name: "mapping.label", reason: "a label column is needed to fit" })?;
        let labels = label_values(
            frame.column(label).map_err(|_| missing(frame, label, ColumnKind::Boolean, vec![NeededBy::Label]))?,
            label,
            self.positive_label.as_deref(),
        )?;
        let labelled: Vec<usize> = (0..frame.nrows()).filter(|&i| labels[i].is_some()).collect();
        let y: Vec<bool> = labelled.iter().map(|&i| labels[i] == Some(true)).collect();
        let taken;
        let train = if labelled.len() == frame.nrows() {
            frame
        } else {
            taken = frame.take(&labelled);
            &taken
        };
        // A misspelt `keep` must not pass silently.
        for k in &self.keep {
            frame.column(k)?;
        }
        let mut excluded = self.mapping.excluded_from_icp();
        let (gated, quality_rows) =
            tracing::info_span!("quality_gate").in_scope(|| self.quality_gate(train, label, &y, &excluded))?;
        lap(&mut timings.quality_gate);
        excluded.extend(gated.iter().filter(|g| g.action == GateAction::LeftOut).map(|g| g.column.clone()));
        let icp = tracing::info_span!("icp", rows = train.nrows())
            .in_scope(|| self.icp.clone().exclude(excluded).target_column(label).fit(train, &y))?;
        lap(&mut timings.icp);
        let names = self.mapping.get();
        let cols = Resolved::new(frame, &names);
        let segments = if cols.has_anomaly_inputs() {
            let inputs: Vec<AnomalyInputs<'_>> = (0..frame.nrows()).map(|i| cols.anomaly_inputs(i)).collect();
            Some(SegmentParams::new().fit(inputs.iter().copied())?)
        } else {
            None
        };
        let checker = anomaly_checker(self.as_of.unix_seconds(), segments.as_ref())?;
        lap(&mut timings.anomaly);
        let revenue = tracing::info_span!("revenue").in_scope(|| self.fit_revenue(&cols, &checker, frame.nrows()))?;
        lap(&mut timings.revenue);
        // Validate the runtime parts once.
        self.engagement.fit()?;
        self.priority.fit()?;
        // The columns scoring reads (ICP inputs, mapped columns), in the
        // frame's order: a frame to score needs these and no others.
        let mut used = icp.input_columns();
        used.extend(self.mapping.input_columns());
        let schema: Vec<(String, ColumnKind)> = frame
            .names()
            .iter()
            .zip(frame.columns())
            .filter(|(n, _)| Some(n.as_str()) != self.mapping.label_column() && used.contains(&n.as_str()))
            .map(|(n, c)| (n.clone(), c.kind()))
            .collect();
        let needs = self.mapping.needs(schema.iter().map(|(n, _)| n.as_str()), &icp.input_columns());
        let (rows, positives) = icp.training_counts();
        let metrics = FitMetrics {
            rows: frame.nrows(),
            labelled_rows: rows,
            positives,
            unlabelled_rows: frame.nrows() - rows,
            icp_family: icp.family(),
            icp_choice: icp.choice().to_string(),
        };
        let report = FitReport {
            gated,
            quality_rows,
            revenue,
            // Replaced below, once the fitted scorer has scored the fit frame.
            tiers: QualityTiers::new(1.0, 1.0, 1.0)?,
            tier_source: TierSource::Shares { shares: self.tier_shares },
            missing_tokens: frame.missing_tokens().to_vec(),
        };
        let state = ScorerState {
            mapping: self.mapping.clone(),
            schema,
            needs,
            icp,
            range: self.range,
            segments,
            as_of: self.as_of.unix_seconds(),
            engagement: self.engagement.clone(),
            priority: self.priority,
            metrics,
            report,
        };
        let mut scorer = Scorer::from_state(state)?;
        let (tiers, tier_source) =
            tracing::info_span!("tiers").in_scope(|| scorer.fit_tiers(frame, self.tier_shares))?;
        scorer.state.report.tiers = tiers;
        scorer.state.report.tier_source = tier_source;
        lap(&mut timings.tiers);
        Ok((scorer, timings))
    }

    /// The quality report on (an evenly spaced sample of) the labelled fit
    /// rows, over the columns that could be features; the gate's decisions
    /// and the rows read.
    fn quality_gate(
        &self,
        train: &Frame,
        label: &str,
        y: &[bool],
        excluded: &[String],
    ) -> Result<(Vec<GatedColumn>, usize)> {
        let n = train.nrows();
        let m = n.min(self.quality_rows.max(1));
        let rows: Vec<usize> = (0..m).map(|k| k * n / m).collect();
        let target = "__acctscore_label__";
        let mut columns: Vec<(String, Column)> = train
            .names()
            .iter()
            .zip(train.columns())
            .filter(|(name, _)| name.as_str() != label && !excluded.contains(name))
            .map(|(name, c)| (name.clone(), if m == n { c.clone() } else { c.take(&rows) }))
            .collect();
        if columns.is_empty() {
            return Ok((Vec::new(), m));
        }
        let sample_y: Vec<Option<bool>> = rows.iter().map(|&i| y.get(i).copied()).collect();
        columns.push((target.to_string(), Column::Boolean(sample_y)));
        let sample = Frame::new(columns)?;
        let report = QualityReport::compute(&sample, &Target::new(target), &self.quality)?;
        Ok((report::gate(&report, &self.keep), m))
    }

    /// The revenue-in-range classifier, fitted on the rows whose reported
    /// revenue is present and not doubted by the anomaly checks; the
    /// analytic probability (and why) when there are no such rows or one
    /// class only.
    fn fit_revenue(&self, cols: &Resolved<'_>, checker: &AnomalyChecker, n: usize) -> Result<RevenueModel> {
        if cols.revenue.is_none() {
            return Ok(RevenueModel::Analytic { reason: "no revenue column is mapped".into() });
        }
        let anomaly_on = cols.has_anomaly_inputs();
        let rows: Vec<(RevenueInputs<'_>, f64)> = (0..n)
            .filter_map(|i| {
                let truth = num(cols.revenue, i).filter(|t| t.is_finite() && *t >= 0.0)?;
                let doubted = anomaly_on && checker.penalty_and_revenue_doubt(&cols.anomaly_inputs(i)).1;
                (!doubted).then(|| (cols.revenue_inputs(i), truth))
            })
            .collect();
        let in_range = rows.iter().filter(|(_, t)| self.range.contains(*t)).count();
        if in_range == 0 || in_range == rows.len() {
            return Ok(RevenueModel::Analytic {
                reason: format!(
                    "{} accounts with a trustworthy reported revenue, {in_range} of them in range: a classifier needs both classes",
                    rows.len()
                ),
            });
        }
        let model = self.revenue_learning.fit(&Router::new(), self.range, &rows)?;
        Ok(RevenueModel::Learned { model: Box::new(model), labelled_rows: rows.len(), in_range })
    }
}

/// The anomaly checker of a scorer: default checks as of `as_of`, with the fitted segments.
pub(super) fn anomaly_checker(as_of: i64, segments: Option<&SegmentModel>) -> Result<AnomalyChecker> {
    let mut params = AnomalyParams::new(Timestamp::from_unix_seconds(as_of));
    if let Some(s) = segments {
        params = params.with_segments(s.clone());
    }
    Ok(params.fit()?)
}

/// Whether `column` holds no value at all (so it reads as any kind).
pub(super) fn all_missing(column: &Column) -> bool {
    match column {
        Column::Numeric(v) => v.values().iter().all(|x| x.is_nan()),
        Column::Boolean(v) => v.iter().all(Option::is_none),
        Column::Timestamp(v) => v.iter().all(Option::is_none),
        Column::Categorical(c) => (0..c.len()).all(|i| c.is_missing(i)),
        Column::Text(v) => (0..v.len()).all(|i| v.is_missing(i)),
        _ => false,
    }
}

/// `column` as `kind`: text and categorical value for value; an all-missing
/// column as an all-missing one of `kind`; anything else as it is.
pub(super) fn converted(column: &Column, kind: ColumnKind) -> Column {
    let n = column.len();
    match (column, kind) {
        (Column::Text(v), ColumnKind::Categorical) => Column::categorical(v.iter()),
        (Column::Categorical(c), ColumnKind::Text) => Column::text((0..n).map(|i| c.get(i))),
        _ if all_missing(column) => match kind {
            ColumnKind::Numeric => Column::numeric(vec![None; n]),
            ColumnKind::Boolean => Column::Boolean(vec![None; n]),
            ColumnKind::Timestamp => Column::Timestamp(vec![None; n]),
            ColumnKind::Categorical => Column::categorical(std::iter::repeat_n(None::<&str>, n)),
            ColumnKind::Text => Column::text(std::iter::repeat_n(None::<&str>, n)),
            _ => column.clone(),
        },
        _ => column.clone(),
    }
}

/// The error of a column `frame` lacks.
pub(super) fn missing(frame: &Frame, column: &str, kind: ColumnKind, needed_by: Vec<NeededBy>) -> Error {
    Error::Schema {
        column: column.to_string(),
        expected: Some(kind),
        found: None,
        needed_by,
        available: frame.names().to_vec(),
        origin: None,
    }
}

/// The label per row: a boolean column as it is; a numeric one of 0 and 1
/// only (any other value is [`FeaturesError::TargetValues`] with the
/// counts of every value) unless `positive` says which value is positive;
/// a categorical or text one only with `positive`.
pub(super) fn label_values(col: &Column, name: &str, positive: Option<&str>) -> Result<Vec<Option<bool>>> {
    use crate::features::FeaturesError;
    match (col, positive) {
        (Column::Boolean(v), _) => Ok(v.clone()),
        (Column::Numeric(v), Some(p)) => {
            let p: f64 = p.trim().parse().map_err(|_| CoreError::InvalidParameter {
                name: "positive_label",
                reason: "the label column is numeric: the positive value must be a number",
            })?;
            Ok(v.iter().map(|x| x.map(|x| x == p)).collect())
        }
        (Column::Numeric(v), None) => {
            if v.values().iter().all(|&x| x.is_nan() || x == 0.0 || x == 1.0) {
                return Ok(v.iter().map(|x| x.map(|x| x == 1.0)).collect());
            }
            let mut counts: Vec<(f64, usize)> = Vec::new();
            for x in v.iter().flatten() {
                match counts.iter_mut().find(|(y, _)| *y == x) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((x, 1)),
                }
            }
            counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.total_cmp(&b.0)));
            let counts = counts.into_iter().map(|(x, n)| (x.to_string(), n)).collect();
            Err(FeaturesError::TargetValues { column: name.to_string(), counts }.into())
        }
        (Column::Categorical(c), Some(p)) => {
            let p = p.trim();
            Ok((0..c.len()).map(|i| c.get(i).map(|v| v.trim().eq_ignore_ascii_case(p))).collect())
        }
        (Column::Text(v), Some(p)) => {
            let p = p.trim();
            Ok(v.iter().map(|v| v.map(|v| v.trim().eq_ignore_ascii_case(p))).collect())
        }
        (other, _) => Err(crate::frame::FrameError::WrongKind {
            column: name.to_string(),
            expected: ColumnKind::Boolean,
            found: other.kind(),
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::{PoolGenerator, accounts_to_frame};

    /// A frame longer than `quality_rows` is gated on every (n / m)th row:
    /// a column equal to the label on exactly those rows is a leak there.
    #[test]
    fn the_quality_gate_reads_an_evenly_spaced_sample_of_a_long_frame() {
        let pool = PoolGenerator::new(400).seed(3).events(false).generate();
        let frame = accounts_to_frame(&pool.accounts).expect("finite pool");
        let y: Vec<bool> = pool.accounts.iter().map(|a| a.converted == Some(true)).collect();
        let leak: Vec<Option<f64>> = y
            .iter()
            .enumerate()
            .map(|(i, &yes)| Some(if i % 4 == 0 { f64::from(u8::from(yes)) } else { (i % 7) as f64 }))
            .collect();
        let mut columns: Vec<(String, Column)> =
            frame.names().iter().cloned().zip(frame.columns().iter().cloned()).collect();
        columns.push(("leak".into(), Column::numeric(leak)));
        let frame = Frame::new(columns).expect("valid frame");
        let mut params = ScorerParams::new();
        params.quality_rows = 100;
        let excluded = params.mapping.excluded_from_icp();
        let (gated, rows) = params.quality_gate(&frame, "converted", &y, &excluded).expect("gates");
        assert_eq!(rows, 100);
        let leak = gated.iter().find(|g| g.column == "leak").expect("flagged");
        assert_eq!(leak.action, GateAction::LeftOut, "{leak:?}");
    }
}
