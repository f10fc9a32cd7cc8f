//! Reading a report's input from a scored [`Frame`]: the ranked file the
//! scorer writes (`account_id`, `priority`, `tier`, `icp`, …, `reasons` as
//! `code:+x;…`) with an outcome column added.

use crate::input::{Baseline, ReportInput, ScoreReason, Tier};
use crate::{ReportError, Result};
use acctscore_frame::{Column, Frame};
use std::collections::BTreeMap;

/// Which columns of a scored frame hold what the report reads.
///
/// Defaults follow the scorer's ranked output: score `icp` (the calibrated
/// ICP probability, the one the reliability diagram is meaningful for; pick
/// `priority` to judge the ranking as sent to sales), tier `tier`, id
/// `account_id`, reasons `reasons`. The outcome column has no default.
///
/// ```
/// use acctscore_report::FrameColumns;
///
/// let columns = FrameColumns::new("converted").score("priority").positive("won");
/// assert_eq!(columns.target_name(), "converted");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameColumns {
    target: String,
    score: String,
    tier: String,
    id: String,
    reasons: String,
    positive: Option<String>,
}

impl FrameColumns {
    /// The scorer's column names, with `target` holding the outcome.
    pub fn new(target: impl Into<String>) -> FrameColumns {
        FrameColumns {
            target: target.into(),
            score: "icp".into(),
            tier: "tier".into(),
            id: "account_id".into(),
            reasons: "reasons".into(),
            positive: None,
        }
    }

    /// The score column (probabilities in `[0, 1]`; default `icp`).
    pub fn score(mut self, column: impl Into<String>) -> FrameColumns {
        self.score = column.into();
        self
    }

    /// The tier column (`A`–`D`; default `tier`).
    pub fn tier(mut self, column: impl Into<String>) -> FrameColumns {
        self.tier = column.into();
        self
    }

    /// The account id column, used to join a baseline (default `account_id`).
    pub fn id(mut self, column: impl Into<String>) -> FrameColumns {
        self.id = column.into();
        self
    }

    /// The reasons column, `code:+x;code:-y;…` (default `reasons`; a frame
    /// without it gives a report without the top-factors chart).
    pub fn reasons(mut self, column: impl Into<String>) -> FrameColumns {
        self.reasons = column.into();
        self
    }

    /// The outcome value that means "converted" (compared as text ignoring
    /// case, or as the same number). Without it, the outcome column must
    /// hold `0`/`1`, `true`/`false` or `yes`/`no`.
    pub fn positive(mut self, value: impl Into<String>) -> FrameColumns {
        self.positive = Some(value.into());
        self
    }

    /// The outcome column's name.
    pub fn target_name(&self) -> &str {
        &self.target
    }
}

/// Row `i` of any column as text (`None` when missing).
fn cell(col: &Column, i: usize) -> Option<String> {
    match col {
        Column::Numeric(v) => v.get(i).map(|x| x.to_string()),
        Column::Boolean(v) => v.get(i).copied().flatten().map(|b| b.to_string()),
        Column::Categorical(c) => c.get(i).map(str::to_string),
        Column::Text(t) => t.get(i).map(str::to_string),
        Column::Timestamp(v) => v.get(i).copied().flatten().map(|t| t.to_string()),
        _ => None,
    }
}

fn outcome(col: &Column, name: &str, row: usize, positive: Option<&str>) -> Result<bool> {
    let missing = || ReportError::MissingValue { column: name.to_string(), row };
    if let Column::Boolean(v) = col {
        let b = v.get(row).copied().flatten().ok_or_else(missing)?;
        return Ok(match positive {
            Some(p) => b.to_string().eq_ignore_ascii_case(p.trim()),
            None => b,
        });
    }
    let text = cell(col, row).ok_or_else(missing)?;
    let t = text.trim();
    if let Some(p) = positive {
        let p = p.trim();
        let same_number = matches!((t.parse::<f64>(), p.parse::<f64>()), (Ok(a), Ok(b)) if a == b);
        return Ok(t.eq_ignore_ascii_case(p) || same_number);
    }
    let lower = t.to_ascii_lowercase();
    match lower.as_str() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => match t.parse::<f64>() {
            Ok(1.0) => Ok(true),
            Ok(0.0) => Ok(false),
            _ => Err(ReportError::BadValue {
                column: name.to_string(),
                row,
                value: text.clone(),
                expected: "0/1, true/false or yes/no (or name the positive value)",
            }),
        },
    }
}

fn score(col: &Column, name: &str, row: usize) -> Result<f64> {
    match col {
        Column::Numeric(v) => v.get(row).ok_or_else(|| ReportError::MissingValue { column: name.to_string(), row }),
        _ => Err(acctscore_frame::FrameError::WrongKind {
            column: name.to_string(),
            expected: acctscore_frame::ColumnKind::Numeric,
            found: col.kind(),
        }
        .into()),
    }
}

fn tier(col: &Column, name: &str, row: usize) -> Result<char> {
    let text = cell(col, row).ok_or_else(|| ReportError::MissingValue { column: name.to_string(), row })?;
    let mut chars = text.trim().chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if Tier::from_letter(c).is_some() => Ok(c),
        _ => Err(ReportError::BadValue { column: name.to_string(), row, value: text, expected: "a tier A, B, C or D" }),
    }
}

/// Parses `code:+x;code:-y` (an empty or missing cell: no reasons).
fn reasons(text: &str, name: &str, row: usize) -> Result<Vec<ScoreReason>> {
    let bad = || ReportError::BadValue {
        column: name.to_string(),
        row,
        value: text.to_string(),
        expected: "reasons as code:+x;code:-y",
    };
    let mut out = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (code, x) = part.rsplit_once(':').ok_or_else(bad)?;
        let x: f64 = x.trim().parse().map_err(|_| bad())?;
        if code.trim().is_empty() || !x.is_finite() {
            return Err(bad());
        }
        out.push(ScoreReason::new(code.trim(), x));
    }
    Ok(out)
}

/// Ids by row, refusing duplicates.
fn ids(frame: &Frame, name: &str, which: &'static str) -> Result<Vec<String>> {
    let col = frame.column(name)?;
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let ids: Vec<String> = (0..frame.nrows())
        .map(|row| cell(col, row).ok_or_else(|| ReportError::MissingValue { column: name.to_string(), row }))
        .collect::<Result<_>>()?;
    for (row, id) in ids.iter().enumerate() {
        if let Some(first) = seen.insert(id, row) {
            return Err(ReportError::DuplicateId { which, id: id.clone(), first, second: row });
        }
    }
    Ok(ids)
}

impl ReportInput {
    /// Reads a scored frame: every row is an account; the outcome, score and
    /// tier columns must be present and filled; the id column is kept (when
    /// present) for [`ReportInput::with_baseline_frame`]; the reasons column,
    /// when present, adds the top-factors chart. The score's name on the
    /// page is its column's.
    ///
    /// ```
    /// use acctscore_frame::{Column, Frame};
    /// use acctscore_report::{FrameColumns, ReportInput};
    ///
    /// let n = 12;
    /// let frame = Frame::new(vec![
    ///     ("account_id".into(), Column::text((0..n).map(|i| Some(format!("acct_{i}"))))),
    ///     ("icp".into(), Column::numeric((0..n).map(|i| Some(i as f64 / n as f64)).collect())),
    ///     ("tier".into(), Column::categorical((0..n).map(|i| Some(if i > 8 { "A" } else { "D" })))),
    ///     ("reasons".into(), Column::text((0..n).map(|i| Some(format!("size:+{};other:-0.01", i as f64 / 100.0))))),
    ///     ("converted".into(), Column::numeric((0..n).map(|i| Some(f64::from(i % 4 == 0))).collect())),
    /// ])?;
    /// let input = ReportInput::from_frame(&frame, &FrameColumns::new("converted"))?;
    /// assert_eq!((input.len(), input.has_factors()), (12, true));
    /// assert_eq!(input.outcomes().iter().filter(|&&y| y).count(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ReportError::Frame`] for an absent column or a score column that is
    /// not numeric; [`ReportError::MissingValue`] and
    /// [`ReportError::BadValue`] naming the column and row;
    /// [`ReportError::DuplicateId`]; then every check of [`ReportInput::new`].
    pub fn from_frame(frame: &Frame, columns: &FrameColumns) -> Result<ReportInput> {
        let target = frame.column(&columns.target)?;
        let score_col = frame.column(&columns.score)?;
        let tier_col = frame.column(&columns.tier)?;
        let n = frame.nrows();
        let mut scores = Vec::with_capacity(n);
        let mut outcomes = Vec::with_capacity(n);
        let mut tiers = Vec::with_capacity(n);
        for row in 0..n {
            scores.push(score(score_col, &columns.score, row)?);
            outcomes.push(outcome(target, &columns.target, row, columns.positive.as_deref())?);
            tiers.push(tier(tier_col, &columns.tier, row)?);
        }
        let mut input = ReportInput::new(&scores, &outcomes, &tiers)?.score_name(columns.score.clone());
        if frame.names().iter().any(|c| c == &columns.id) {
            input.ids = Some(ids(frame, &columns.id, "current")?);
        }
        if let Ok(col) = frame.column(&columns.reasons) {
            let factors: Vec<Vec<ScoreReason>> = (0..n)
                .map(|row| cell(col, row).map_or(Ok(Vec::new()), |t| reasons(&t, &columns.reasons, row)))
                .collect::<Result<_>>()?;
            input = input.with_factors(&factors)?;
        }
        Ok(input)
    }

    /// Joins a baseline scoring on account ids: the accounts in both are
    /// compared (tier migration, PSI); those in only one are counted and
    /// shown, never silently dropped. `columns` names the baseline's id,
    /// score and tier columns (its outcome column is not read). An empty
    /// baseline, or one sharing no account, gives a page that says so.
    ///
    /// # Errors
    /// [`ReportError::NoIds`] when this input was not read from a frame with
    /// an id column; [`ReportError::Frame`], [`ReportError::MissingValue`],
    /// [`ReportError::BadValue`], [`ReportError::DuplicateId`] for the
    /// baseline frame; a baseline score that is not a finite probability.
    pub fn with_baseline_frame(mut self, baseline: &Frame, columns: &FrameColumns) -> Result<ReportInput> {
        let current = self.ids.as_ref().ok_or(ReportError::NoIds)?;
        let base_ids = ids(baseline, &columns.id, "baseline")?;
        let score_col = baseline.column(&columns.score)?;
        let tier_col = baseline.column(&columns.tier)?;
        let index: BTreeMap<&str, usize> = base_ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        let (mut rows, mut scores, mut tiers) = (Vec::new(), Vec::new(), Vec::new());
        for (row, id) in current.iter().enumerate() {
            if let Some(&b) = index.get(id.as_str()) {
                rows.push(row);
                scores.push(score(score_col, &columns.score, b)?);
                tiers.push(tier(tier_col, &columns.tier, b)?);
            }
        }
        crate::input::check_probabilities("baseline scores", &scores)?;
        let tiers: Vec<Tier> = tiers.into_iter().filter_map(Tier::from_letter).collect();
        let matched = rows.len();
        self.baseline = Some(Baseline {
            rows,
            scores,
            tiers,
            current_unmatched: current.len() - matched,
            baseline_unmatched: base_ids.len() - matched,
        });
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: usize, offset: usize) -> Frame {
        Frame::new(vec![
            ("account_id".into(), Column::text((0..n).map(|i| Some(format!("a{}", i + offset))))),
            ("icp".into(), Column::numeric((0..n).map(|i| Some(i as f64 / n as f64)).collect())),
            ("tier".into(), Column::categorical((0..n).map(|i| Some(["A", "B", "C", "D"][i % 4])))),
            ("reasons".into(), Column::text((0..n).map(|i| (i != 3).then(|| format!("size:+0.{i};age:-0.01"))))),
            ("won".into(), Column::categorical((0..n).map(|i| Some(if i % 3 == 0 { "yes" } else { "No" })))),
        ])
        .expect("frame")
    }

    #[test]
    fn reads_the_scorers_columns() {
        let f = frame(15, 0);
        let input = ReportInput::from_frame(&f, &FrameColumns::new("won")).expect("input");
        assert_eq!(input.outcomes().iter().filter(|&&y| y).count(), 5);
        assert_eq!(input.tiers()[1], Tier::B);
        let factors = input.factors.as_ref().expect("factors");
        assert_eq!(factors[2], vec![ScoreReason::new("size", 0.2), ScoreReason::new("age", -0.01)]);
        assert!(factors[3].is_empty());
        assert_eq!(input.score_name, "icp");
        // A positive value makes any label readable.
        let input = ReportInput::from_frame(&f, &FrameColumns::new("tier").positive("a")).expect("tier as target");
        assert_eq!(input.outcomes().iter().filter(|&&y| y).count(), 4);
    }

    #[test]
    fn bad_cells_name_column_and_row() {
        let f = frame(15, 0);
        let e = ReportInput::from_frame(&f, &FrameColumns::new("tier")).expect_err("an error");
        assert!(matches!(&e, ReportError::BadValue { column, row: 0, .. } if column == "tier"), "{e}");
        let e = ReportInput::from_frame(&f, &FrameColumns::new("nope")).expect_err("an error");
        assert!(matches!(e, ReportError::Frame(acctscore_frame::FrameError::MissingColumn { .. })), "{e}");
        let e = ReportInput::from_frame(&f, &FrameColumns::new("won").score("tier")).expect_err("an error");
        assert!(matches!(e, ReportError::Frame(acctscore_frame::FrameError::WrongKind { .. })), "{e}");
        let f2 = f
            .with_column("reasons", Column::text((0..15).map(|i| Some(if i == 6 { "x:+y" } else { "" }))))
            .expect("f2");
        let e = ReportInput::from_frame(&f2, &FrameColumns::new("won")).expect_err("an error");
        assert!(matches!(e, ReportError::BadValue { row: 6, .. }), "{e}");
        let f3 = f.with_column("icp", Column::numeric((0..15).map(|i| (i != 9).then_some(0.5)).collect())).expect("f3");
        let e = ReportInput::from_frame(&f3, &FrameColumns::new("won")).expect_err("an error");
        assert!(matches!(e, ReportError::MissingValue { row: 9, .. }), "{e}");
        let f4 = f.with_column("account_id", Column::text((0..15).map(|i| Some(format!("a{}", i % 14))))).expect("f4");
        let e = ReportInput::from_frame(&f4, &FrameColumns::new("won")).expect_err("an error");
        assert!(matches!(e, ReportError::DuplicateId { first: 0, second: 14, .. }), "{e}");
    }

    #[test]
    fn baseline_joins_on_ids() {
        let cols = FrameColumns::new("won");
        let input = ReportInput::from_frame(&frame(15, 0), &cols).expect("input");
        let joined = input.clone().with_baseline_frame(&frame(12, 5), &cols).expect("joined");
        let b = joined.baseline.expect("baseline");
        assert_eq!((b.rows.len(), b.current_unmatched, b.baseline_unmatched), (10, 5, 2));
        assert_eq!(b.rows[0], 5);
        assert_eq!(b.tiers[0], Tier::A);
        let empty = input.clone().with_baseline_frame(&frame(0, 0), &cols).expect("empty baseline");
        assert_eq!(empty.baseline.expect("baseline").rows.len(), 0);
        let no_ids = ReportInput::new(
            &[0.5; 10],
            &[true, false, false, false, false, false, false, false, false, true],
            &['A'; 10],
        )
        .expect("input");
        assert!(matches!(no_ids.with_baseline_frame(&frame(12, 0), &cols), Err(ReportError::NoIds)));
    }
}
