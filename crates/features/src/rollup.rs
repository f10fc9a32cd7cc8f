//! Lead → account rollup and custom signals.
//!
//! Person-level rows (leads, users, contacts) are aggregated to one row per
//! account with aggregations declared in a [`RollupConfig`] (serde, so it
//! can live in a TOML or JSON file next to the rules). Then
//! [`SignalSpec`]s add boolean signals such as "tried at least 3 of these 5
//! paid features".
//!
//! Aggregations (missing values are skipped unless said otherwise):
//! - `count`: rows of the account (without `column`), or present values of `column`;
//! - `sum`, `mean`, `min`, `max`: of a numeric, boolean (as 0/1) or
//!   timestamp column (`min`/`max` of a timestamp stay timestamps); `sum`
//!   of no value is 0, the others are missing;
//! - `latest`: the value at the row with the greatest
//!   [`RollupConfig::order_by`] (later rows win ties; rows without an order
//!   value come first), of any kind;
//! - `distinct`: number of distinct present values;
//! - `any` / `all`: of a boolean column, or of "number > 0"; `any` of no
//!   value is `false`, `all` of no value is missing.
//!
//! A signal is true when at least `at_least` of its columns are "on" in the
//! row: boolean `true`, number > 0, or any present value of another kind.
//!
//! ```
//! use acctscore_features::{Column, Frame, rollup::{RollupConfig, Aggregate, Aggregation, SignalSpec}};
//!
//! let leads = Frame::new(vec![
//!     ("account".into(), Column::categorical([Some("a"), Some("a"), Some("b")])),
//!     ("visits".into(), Column::numeric(vec![Some(3.0), Some(4.0), None])),
//!     ("used_api".into(), Column::Boolean(vec![Some(false), Some(true), Some(false)])),
//!     ("used_sso".into(), Column::Boolean(vec![Some(true), None, Some(false)])),
//! ])?;
//! let config: RollupConfig = serde_json::from_str(r#"{
//!     "key": "account",
//!     "aggregates": [
//!         {"output": "leads", "op": "count"},
//!         {"output": "visits", "column": "visits", "op": "sum"},
//!         {"output": "api", "column": "used_api", "op": "any"},
//!         {"output": "sso", "column": "used_sso", "op": "any"}
//!     ],
//!     "signals": [{"output": "tried_2_of_2", "columns": ["api", "sso"], "at_least": 2}]
//! }"#).expect("config");
//! let accounts = config.apply(&leads)?;
//! assert_eq!(accounts.nrows(), 2);
//! assert_eq!(accounts.column("visits")?, &Column::numeric(vec![Some(7.0), Some(0.0)]));
//! assert_eq!(accounts.column("tried_2_of_2")?, &Column::Boolean(vec![Some(true), Some(false)]));
//! # Ok::<(), acctscore_features::FeaturesError>(())
//! ```

use crate::CategoricalColumn;
use crate::{Column, ColumnKind, FeaturesError, Frame, FrameError, Result};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// An aggregation (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Aggregation {
    /// Rows, or present values of the column.
    Count,
    /// Sum of present values.
    Sum,
    /// Mean of present values.
    Mean,
    /// Smallest present value.
    Min,
    /// Largest present value.
    Max,
    /// Value at the latest row by `order_by`.
    Latest,
    /// Number of distinct present values.
    Distinct,
    /// Any value true (or > 0).
    Any,
    /// Every present value true (or > 0).
    All,
}

/// One output column of a rollup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// Output column name.
    pub output: String,
    /// Input column (optional for `count`).
    #[serde(default)]
    pub column: Option<String>,
    /// The aggregation.
    pub op: Aggregation,
}

/// A boolean signal: at least `at_least` of `columns` are on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalSpec {
    /// Output column name.
    pub output: String,
    /// Columns counted.
    pub columns: Vec<String>,
    /// Least number of columns on.
    pub at_least: usize,
}

/// A rollup: group by `key`, aggregate, then add signals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollupConfig {
    /// Account key column of the person-level frame (becomes the first
    /// output column, as text, accounts in order of first appearance).
    pub key: String,
    /// Column ordering rows in time, for `latest` (numeric or timestamp).
    #[serde(default)]
    pub order_by: Option<String>,
    /// Output columns.
    #[serde(default)]
    pub aggregates: Vec<Aggregate>,
    /// Signals computed on the aggregated frame.
    #[serde(default)]
    pub signals: Vec<SignalSpec>,
}

fn invalid(reason: String) -> FeaturesError {
    FeaturesError::InvalidConfig { reason }
}

/// The key of row `i` as a string (numbers formatted), `None` when missing.
fn key_string(col: &Column, i: usize) -> Option<String> {
    match col {
        Column::Categorical(c) => c.get(i).map(str::to_string),
        Column::Text(v) => v.get(i).map(str::to_string),
        Column::Numeric(v) => v.get(i).map(|x| format!("{x}")),
        Column::Timestamp(v) => v.get(i).copied().flatten().map(|x| x.to_string()),
        Column::Boolean(v) => v.get(i).copied().flatten().map(|x| x.to_string()),
        // `Column` is non-exhaustive: a kind newer than this crate has no key.
        _ => None,
    }
}

/// A numeric view of a cell (booleans 0/1, timestamps as seconds).
fn number(col: &Column, i: usize) -> Option<f64> {
    match col {
        Column::Numeric(v) => v.get(i),
        Column::Boolean(v) => v.get(i).copied().flatten().map(|b| f64::from(u8::from(b))),
        Column::Timestamp(v) => v.get(i).copied().flatten().map(|t| t as f64),
        _ => None,
    }
}

/// Whether a cell is "on" for signals and `any`/`all` (`None` when missing).
fn on(col: &Column, i: usize) -> Option<bool> {
    match col {
        Column::Boolean(v) => v.get(i).copied().flatten(),
        Column::Numeric(v) => v.get(i).map(|x| x > 0.0),
        _ => (!col.is_missing(i)).then_some(true),
    }
}

impl RollupConfig {
    /// Checks names and kinds against a person-level frame.
    ///
    /// # Errors
    /// [`FrameError::MissingColumn`], [`FeaturesError::InvalidConfig`]
    /// (duplicate outputs, missing `column` or `order_by`, an aggregation
    /// that does not apply to the column's kind).
    pub fn validate(&self, frame: &Frame) -> Result<()> {
        frame.column(&self.key)?;
        let mut outputs: HashSet<&str> = HashSet::from([self.key.as_str()]);
        for a in &self.aggregates {
            if !outputs.insert(a.output.as_str()) {
                return Err(invalid(format!("duplicate output column `{}`", a.output)));
            }
            let col = match (&a.column, a.op) {
                (None, Aggregation::Count) => continue,
                (None, op) => return Err(invalid(format!("`{}`: {op:?} needs a column", a.output))),
                (Some(c), _) => frame.column(c)?,
            };
            let kind = col.kind();
            let numeric_like = matches!(kind, ColumnKind::Numeric | ColumnKind::Boolean | ColumnKind::Timestamp);
            let ok = match a.op {
                Aggregation::Sum | Aggregation::Mean | Aggregation::Min | Aggregation::Max => numeric_like,
                Aggregation::Any | Aggregation::All => matches!(kind, ColumnKind::Boolean | ColumnKind::Numeric),
                _ => true,
            };
            if !ok {
                return Err(invalid(format!("`{}`: {:?} does not apply to a {kind:?} column", a.output, a.op)));
            }
            if a.op == Aggregation::Latest {
                let Some(o) = &self.order_by else {
                    return Err(invalid(format!("`{}`: latest needs `order_by`", a.output)));
                };
                if !matches!(frame.column(o)?.kind(), ColumnKind::Numeric | ColumnKind::Timestamp) {
                    return Err(invalid(format!("order_by `{o}` must be numeric or a timestamp")));
                }
            }
        }
        for s in &self.signals {
            if !outputs.insert(s.output.as_str()) {
                return Err(invalid(format!("duplicate output column `{}`", s.output)));
            }
            if s.at_least == 0 || s.at_least > s.columns.len() {
                return Err(invalid(format!("signal `{}`: at_least must be in 1..={}", s.output, s.columns.len())));
            }
        }
        Ok(())
    }

    /// Aggregates `frame` to one row per account and adds the signals.
    /// Rows with a missing key are left out.
    ///
    /// # Errors
    /// As [`RollupConfig::validate`], and the signals' errors.
    pub fn apply(&self, frame: &Frame) -> Result<Frame> {
        self.validate(frame)?;
        let key_col = frame.column(&self.key)?;
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut keys: Vec<String> = Vec::new();
        let mut group: Vec<Option<usize>> = Vec::with_capacity(frame.nrows());
        for i in 0..frame.nrows() {
            group.push(key_string(key_col, i).map(|k| {
                *index.entry(k.clone()).or_insert_with(|| {
                    keys.push(k);
                    keys.len() - 1
                })
            }));
        }
        let g = keys.len();
        let order = self.order_by.as_deref().map(|o| frame.column(o)).transpose()?;
        let mut out: Vec<(String, Column)> =
            vec![(self.key.clone(), Column::Text(keys.into_iter().map(Some).collect()))];
        for a in &self.aggregates {
            let col = a.column.as_deref().map(|c| frame.column(c)).transpose()?;
            out.push((a.output.clone(), aggregate(a.op, col, order, &group, g)));
        }
        let accounts = Frame::new(out)?;
        evaluate_signals(&accounts, &self.signals)
    }
}

fn aggregate(
    op: Aggregation,
    col: Option<&Column>,
    order: Option<&Column>,
    group: &[Option<usize>],
    g: usize,
) -> Column {
    let rows = || group.iter().enumerate().filter_map(|(i, k)| k.map(|k| (i, k)));
    let Some(col) = col else {
        let mut n = vec![0.0; g];
        for (_, k) in rows() {
            n[k] += 1.0;
        }
        return Column::Numeric(n.into_iter().map(Some).collect());
    };
    match op {
        Aggregation::Count => {
            let mut n = vec![0.0; g];
            for (i, k) in rows() {
                if !col.is_missing(i) {
                    n[k] += 1.0;
                }
            }
            Column::Numeric(n.into_iter().map(Some).collect())
        }
        Aggregation::Sum | Aggregation::Mean | Aggregation::Min | Aggregation::Max => {
            let mut acc: Vec<Option<f64>> = vec![None; g];
            let mut cnt = vec![0usize; g];
            for (i, k) in rows() {
                let Some(x) = number(col, i) else { continue };
                cnt[k] += 1;
                acc[k] = Some(match (acc[k], op) {
                    (None, _) => x,
                    (Some(a), Aggregation::Min) => a.min(x),
                    (Some(a), Aggregation::Max) => a.max(x),
                    (Some(a), _) => a + x,
                });
            }
            match op {
                Aggregation::Sum => Column::Numeric(acc.into_iter().map(|a| Some(a.unwrap_or(0.0))).collect()),
                Aggregation::Mean => {
                    Column::Numeric(acc.into_iter().zip(cnt).map(|(a, c)| a.map(|a| a / c as f64)).collect())
                }
                _ if matches!(col, Column::Timestamp(_)) => {
                    Column::Timestamp(acc.into_iter().map(|a| a.map(|a| a as i64)).collect())
                }
                _ => Column::Numeric(acc.into()),
            }
        }
        Aggregation::Distinct => {
            let mut sets: Vec<HashSet<String>> = vec![HashSet::new(); g];
            for (i, k) in rows() {
                if let Some(v) = key_string(col, i) {
                    sets[k].insert(v);
                }
            }
            Column::Numeric(sets.into_iter().map(|s| Some(s.len() as f64)).collect())
        }
        Aggregation::Any | Aggregation::All => {
            let mut acc: Vec<Option<bool>> = vec![None; g];
            for (i, k) in rows() {
                let Some(b) = on(col, i) else { continue };
                acc[k] = Some(match (acc[k], op) {
                    (None, _) => b,
                    (Some(a), Aggregation::Any) => a || b,
                    (Some(a), _) => a && b,
                });
            }
            if op == Aggregation::Any {
                Column::Boolean(acc.into_iter().map(|a| Some(a.unwrap_or(false))).collect())
            } else {
                Column::Boolean(acc)
            }
        }
        Aggregation::Latest => {
            // Row index of the latest row per account.
            let mut best: Vec<Option<(f64, usize)>> = vec![None; g];
            for (i, k) in rows() {
                let t = order.and_then(|o| number(o, i)).unwrap_or(f64::NEG_INFINITY);
                if best[k].is_none_or(|(bt, _)| t >= bt) {
                    best[k] = Some((t, i));
                }
            }
            let pick: Vec<Option<usize>> = best.into_iter().map(|b| b.map(|(_, i)| i)).collect();
            take_rows(col, &pick)
        }
    }
}

/// The values of `col` at the given rows (`None` → missing).
fn take_rows(col: &Column, rows: &[Option<usize>]) -> Column {
    match col {
        Column::Numeric(v) => Column::Numeric(rows.iter().map(|r| r.and_then(|i| v.get(i))).collect()),
        Column::Boolean(v) => {
            Column::Boolean(rows.iter().map(|r| r.and_then(|i| v.get(i).copied().flatten())).collect())
        }
        Column::Timestamp(v) => {
            Column::Timestamp(rows.iter().map(|r| r.and_then(|i| v.get(i).copied().flatten())).collect())
        }
        Column::Text(v) => Column::Text(rows.iter().map(|r| r.and_then(|i| v.get(i))).collect()),
        Column::Categorical(c) => {
            Column::Categorical(CategoricalColumn::from_values(rows.iter().map(|r| r.and_then(|i| c.get(i)))))
        }
        // `Column` is non-exhaustive: a kind newer than this crate is all missing here.
        _ => Column::numeric(vec![None; rows.len()]),
    }
}

/// Adds one boolean column per signal to `frame` (see the module docs).
///
/// # Errors
/// [`FrameError::MissingColumn`] for an unknown column,
/// [`FeaturesError::InvalidConfig`] for `at_least` outside `1..=columns`,
/// [`FrameError::DuplicateColumn`] for an output name already present.
pub fn evaluate_signals(frame: &Frame, signals: &[SignalSpec]) -> Result<Frame> {
    let mut cols: Vec<(String, Column)> = frame.names().iter().cloned().zip(frame.columns().iter().cloned()).collect();
    for s in signals {
        if s.at_least == 0 || s.at_least > s.columns.len() {
            return Err(invalid(format!("signal `{}`: at_least must be in 1..={}", s.output, s.columns.len())));
        }
        let inputs: Vec<&Column> = s.columns.iter().map(|c| frame.column(c)).collect::<Result<_, FrameError>>()?;
        let values = (0..frame.nrows())
            .map(|i| Some(inputs.iter().filter(|c| on(c, i) == Some(true)).count() >= s.at_least))
            .collect();
        cols.push((s.output.clone(), Column::Boolean(values)));
    }
    Ok(Frame::new(cols)?.with_skipped_rows(frame.skipped_rows().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leads() -> Frame {
        Frame::new(vec![
            ("acct".into(), Column::categorical([Some("a"), Some("b"), Some("a"), None, Some("a")])),
            ("ts".into(), Column::Timestamp(vec![Some(10), Some(5), Some(30), Some(99), Some(20)])),
            ("score".into(), Column::numeric(vec![Some(1.0), None, Some(5.0), Some(9.0), Some(2.0)])),
            ("stage".into(), Column::categorical([Some("new"), Some("mql"), Some("sql"), Some("x"), Some("mql")])),
            ("f1".into(), Column::Boolean(vec![Some(true), Some(false), Some(false), None, Some(false)])),
            ("f2".into(), Column::numeric(vec![Some(0.0), Some(2.0), Some(1.0), None, None])),
        ])
        .expect("frame")
    }

    fn agg(output: &str, column: Option<&str>, op: Aggregation) -> Aggregate {
        Aggregate { output: output.into(), column: column.map(str::to_string), op }
    }

    #[test]
    fn aggregates_per_account() {
        let cfg = RollupConfig {
            key: "acct".into(),
            order_by: Some("ts".into()),
            aggregates: vec![
                agg("n", None, Aggregation::Count),
                agg("sum", Some("score"), Aggregation::Sum),
                agg("max", Some("score"), Aggregation::Max),
                agg("mean", Some("score"), Aggregation::Mean),
                agg("last_stage", Some("stage"), Aggregation::Latest),
                agg("first_touch", Some("ts"), Aggregation::Min),
                agg("stages", Some("stage"), Aggregation::Distinct),
                agg("any_f1", Some("f1"), Aggregation::Any),
                agg("all_f1", Some("f1"), Aggregation::All),
            ],
            signals: vec![SignalSpec {
                output: "both".into(),
                columns: vec!["any_f1".into(), "n".into()],
                at_least: 2,
            }],
        };
        let f = cfg.apply(&leads()).expect("rollup");
        assert_eq!(f.nrows(), 2);
        assert_eq!(f.column("n").expect("n"), &Column::numeric(vec![Some(3.0), Some(1.0)]));
        assert_eq!(f.column("sum").expect("sum"), &Column::numeric(vec![Some(8.0), Some(0.0)]));
        assert_eq!(f.column("max").expect("max"), &Column::numeric(vec![Some(5.0), None]));
        assert_eq!(f.column("mean").expect("mean"), &Column::numeric(vec![Some(8.0 / 3.0), None]));
        assert_eq!(f.column("last_stage").expect("last"), &Column::categorical([Some("sql"), Some("mql")]));
        assert_eq!(f.column("first_touch").expect("min"), &Column::Timestamp(vec![Some(10), Some(5)]));
        assert_eq!(f.column("stages").expect("distinct"), &Column::numeric(vec![Some(3.0), Some(1.0)]));
        assert_eq!(f.column("any_f1").expect("any"), &Column::Boolean(vec![Some(true), Some(false)]));
        assert_eq!(f.column("all_f1").expect("all"), &Column::Boolean(vec![Some(false), Some(false)]));
        assert_eq!(f.column("both").expect("signal"), &Column::Boolean(vec![Some(true), Some(false)]));
    }

    #[test]
    fn signals_count_columns_on() {
        let s = SignalSpec { output: "tried_2".into(), columns: vec!["f1".into(), "f2".into()], at_least: 2 };
        let f = evaluate_signals(&leads(), &[s]).expect("signals");
        assert_eq!(
            f.column("tried_2").expect("col"),
            &Column::Boolean(vec![Some(false), Some(false), Some(false), Some(false), Some(false)])
        );
        let s = SignalSpec { output: "tried_1".into(), columns: vec!["f1".into(), "f2".into()], at_least: 1 };
        let f = evaluate_signals(&leads(), &[s]).expect("signals");
        assert_eq!(
            f.column("tried_1").expect("col"),
            &Column::Boolean(vec![Some(true), Some(true), Some(true), Some(false), Some(false)])
        );
    }

    #[test]
    fn bad_configs_are_errors() {
        let base = RollupConfig { key: "acct".into(), order_by: None, aggregates: vec![], signals: vec![] };
        let with = |a: Aggregate| RollupConfig { aggregates: vec![a], ..base.clone() };
        assert!(with(agg("x", Some("stage"), Aggregation::Sum)).apply(&leads()).is_err());
        assert!(with(agg("x", Some("stage"), Aggregation::Latest)).apply(&leads()).is_err());
        assert!(with(agg("x", None, Aggregation::Max)).apply(&leads()).is_err());
        assert!(with(agg("acct", None, Aggregation::Count)).apply(&leads()).is_err());
        assert!(with(agg("x", Some("nope"), Aggregation::Count)).apply(&leads()).is_err());
        let sig = SignalSpec { output: "s".into(), columns: vec!["f1".into()], at_least: 2 };
        assert!(evaluate_signals(&leads(), &[sig]).is_err());
        let json = serde_json::to_string(&with(agg("x", Some("f1"), Aggregation::Any))).expect("ser");
        assert_eq!(
            serde_json::from_str::<RollupConfig>(&json).expect("de"),
            with(agg("x", Some("f1"), Aggregation::Any))
        );
    }
}
