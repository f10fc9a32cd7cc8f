//! The scoring functions: `acctscore_score` (the whole score as a struct)
//! and `acctscore_priority` (the ranking score alone, without reasons).

use crate::{exec_error, plan_error};
use acctscore_frame::arrow::ArrowOptions;
use acctscore_frame::{ColumnKind, Frame};
use acctscore_scorer::pool::RANKED_COLUMNS;
use acctscore_scorer::{AccountScore, NeededBy, Scorer};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Float64Builder, RecordBatch, StringBuilder, StructArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Float64Type, Schema};
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The fields of `acctscore_score`'s struct, in order: the columns of the
/// ranked-output format after `rank` and `account_id`.
pub const SCORE_FIELDS: &[&str] = RANKED_COLUMNS.split_at(2).1;

/// What a function of the model is called with: the model's input columns
/// (in [`Scorer::schema`] order), then optionally the raw engagement.
#[derive(Debug)]
struct Inputs {
    scorer: Arc<Scorer>,
    signature: Signature,
}

impl Inputs {
    fn new(scorer: Arc<Scorer>) -> Self {
        Inputs { scorer, signature: Signature::user_defined(Volatility::Immutable) }
    }

    fn n_columns(&self) -> usize {
        self.scorer.schema().len()
    }

    /// Whether `column` is read only as the account id (any string or number).
    fn id_only(&self, column: &str) -> bool {
        let needs = self.scorer.needed_by(column);
        !needs.is_empty() && needs.iter().all(|n| *n == NeededBy::AccountId)
    }

    /// The argument types the function is planned with: the columns as they
    /// are (checked against the model's kinds), the engagement as `Float64`.
    fn coerce(&self, function: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let n = self.n_columns();
        if arg_types.len() != n && arg_types.len() != n + 1 {
            let names: Vec<&str> = self.scorer.schema().iter().map(|(c, _)| c.as_str()).collect();
            return Err(plan_error(format!(
                "{function} takes the model's {n} input columns ({}), then optionally the engagement; found {} arguments",
                names.join(", "),
                arg_types.len()
            )));
        }
        let mut out = Vec::with_capacity(arg_types.len());
        for ((column, kind), found) in self.scorer.schema().iter().zip(arg_types) {
            if !accepts(*kind, self.id_only(column), found) {
                return Err(plan_error(format!(
                    "{function}: argument `{column}` must be {} (the model reads it as {kind:?}); found {found}",
                    expected_types(*kind, self.id_only(column))
                )));
            }
            out.push(found.clone());
        }
        if let Some(found) = arg_types.get(n) {
            if !(found.is_numeric() || *found == DataType::Null) {
                return Err(plan_error(format!(
                    "{function}: the last argument, the engagement, must be a number; found {found}"
                )));
            }
            out.push(DataType::Float64);
        }
        Ok(out)
    }

    /// The columns of one call as a frame (kinds as the model's schema),
    /// and the engagement per row when given (`None` for a null).
    fn frame(&self, function: &str, args: &ScalarFunctionArgs) -> Result<(Frame, Option<Vec<Option<f64>>>)> {
        let n = self.n_columns();
        let rows = args.number_rows;
        let mut fields = Vec::with_capacity(n);
        let mut arrays = Vec::with_capacity(n);
        let mut options = ArrowOptions::new();
        for ((column, kind), value) in self.scorer.schema().iter().zip(&args.args) {
            let array = value.to_array(rows)?;
            if !accepts(*kind, self.id_only(column), array.data_type()) {
                return Err(exec_error(format!(
                    "{function}: column `{column}` must be {}; found {}",
                    expected_types(*kind, self.id_only(column)),
                    array.data_type()
                )));
            }
            if !self.id_only(column) && array.data_type() != &DataType::Null {
                options = options.kind(column.clone(), *kind);
            }
            fields.push(Field::new(column.clone(), array.data_type().clone(), true));
            arrays.push(array);
        }
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?;
        let frame =
            Frame::from_record_batch_with(&batch, &options).map_err(|e| exec_error(format!("{function}: {e}")))?;
        let engagement = match args.args.get(n) {
            None => None,
            Some(value) => {
                let array = value.to_array(rows)?;
                let Some(values) = array.as_primitive_opt::<Float64Type>() else {
                    return Err(exec_error(format!(
                        "{function}: the engagement must be Float64; found {}",
                        array.data_type()
                    )));
                };
                Some(values.iter().collect())
            }
        };
        Ok((frame, engagement))
    }
}

/// Whether an Arrow type reads as a column of `kind` (`id_only`: any string or number).
fn accepts(kind: ColumnKind, id_only: bool, dt: &DataType) -> bool {
    let string = |dt: &DataType| match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => matches!(**v, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View),
        _ => false,
    };
    let number = |dt: &DataType| dt.is_numeric();
    if *dt == DataType::Null {
        return true;
    }
    if id_only {
        return string(dt) || number(dt);
    }
    match kind {
        ColumnKind::Numeric => number(dt),
        ColumnKind::Categorical | ColumnKind::Text => string(dt),
        ColumnKind::Boolean => *dt == DataType::Boolean,
        ColumnKind::Timestamp => {
            dt.is_integer() || matches!(dt, DataType::Timestamp(..) | DataType::Date32 | DataType::Date64)
        }
        _ => false,
    }
}

fn expected_types(kind: ColumnKind, id_only: bool) -> &'static str {
    if id_only {
        return "a string or a number";
    }
    match kind {
        ColumnKind::Numeric => "a number",
        ColumnKind::Categorical | ColumnKind::Text => "a string (Utf8, LargeUtf8, Utf8View or a dictionary of them)",
        ColumnKind::Boolean => "a Boolean",
        ColumnKind::Timestamp => "a timestamp, a date or Unix seconds",
        _ => "of a kind this version cannot read",
    }
}

/// `acctscore_score(columns…[, engagement])`: the score of each row as a
/// struct of [`SCORE_FIELDS`], equal to [`Scorer::score_frame`] on the same
/// rows. Made by [`register`](crate::register) or [`score_udf`](crate::score_udf).
#[derive(Debug)]
pub struct ScoreUdf {
    inputs: Inputs,
}

impl ScoreUdf {
    /// The function of `scorer`.
    pub fn new(scorer: Arc<Scorer>) -> Self {
        ScoreUdf { inputs: Inputs::new(scorer) }
    }

    /// The struct's fields.
    pub fn fields() -> Fields {
        let f = |name: &str, dt: DataType, nullable: bool| Field::new(name, dt, nullable);
        Fields::from(vec![
            f("priority", DataType::Float64, false),
            f("quality", DataType::Float64, false),
            f("tier", DataType::Utf8, false),
            f("icp", DataType::Float64, false),
            f("icp_baseline", DataType::Float64, false),
            f("revenue_estimate", DataType::Float64, true),
            f("revenue_in_range", DataType::Float64, true),
            f("revenue_source", DataType::Utf8, true),
            f("anomaly_penalty", DataType::Float64, true),
            f("anomaly_checks", DataType::Utf8, true),
            f("engagement", DataType::Float64, true),
            f("engagement_effect", DataType::Float64, false),
            f("reasons", DataType::Utf8, false),
        ])
    }
}

impl PartialEq for ScoreUdf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inputs.scorer, &other.inputs.scorer)
    }
}

impl Eq for ScoreUdf {}

impl Hash for ScoreUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "acctscore_score".hash(state);
        (Arc::as_ptr(&self.inputs.scorer) as usize).hash(state);
    }
}

impl ScalarUDFImpl for ScoreUdf {
    fn name(&self) -> &str {
        "acctscore_score"
    }

    fn signature(&self) -> &Signature {
        &self.inputs.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inputs.coerce(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(Self::fields()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let (frame, engagement) = self.inputs.frame(name, &args)?;
        let scorer = &self.inputs.scorer;
        let frame = scorer.conform(&frame).map_err(|e| exec_error(format!("{name}: {e}")))?;
        let prepared = scorer.prepare(&frame).map_err(|e| exec_error(format!("{name}: {e}")))?;
        let mut out = ScoreColumns::with_capacity(frame.nrows());
        for i in 0..frame.nrows() {
            let e = engagement.as_ref().and_then(|e| e[i]);
            let s = prepared.score(i, e).map_err(|e| exec_error(format!("{name}: row {i}: {e}")))?;
            out.push(&s);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// The struct's columns in the making.
struct ScoreColumns {
    numbers: [Float64Builder; 9],
    tier: StringBuilder,
    source: StringBuilder,
    reasons: StringBuilder,
    checks: StringBuilder,
}

impl ScoreColumns {
    fn with_capacity(n: usize) -> Self {
        ScoreColumns {
            numbers: std::array::from_fn(|_| Float64Builder::with_capacity(n)),
            tier: StringBuilder::with_capacity(n, n),
            source: StringBuilder::with_capacity(n, 16 * n),
            reasons: StringBuilder::with_capacity(n, 64 * n),
            checks: StringBuilder::with_capacity(n, 0),
        }
    }

    fn push(&mut self, s: &AccountScore) {
        let [priority, quality, icp, baseline, estimate, revenue, penalty, engagement, effect] = &mut self.numbers;
        priority.append_value(s.priority);
        quality.append_value(s.quality);
        icp.append_value(s.icp.get());
        baseline.append_value(s.icp_baseline);
        estimate.append_option(s.revenue.as_ref().map(|r| r.estimate));
        revenue.append_option(s.revenue.as_ref().map(|r| r.in_range.get()));
        self.source.append_option(s.revenue.as_ref().map(|r| r.source.as_str()));
        penalty.append_option(s.anomaly.as_ref().map(|a| a.penalty));
        engagement.append_option(s.engagement);
        effect.append_value(s.engagement_effect);
        let mut tier = [0u8; 4];
        self.tier.append_value(s.tier.encode_utf8(&mut tier));
        // As the ranked CSV writes them: code:+contribution;… (full precision).
        let reasons: Vec<String> = s.reasons.iter().map(|r| format!("{}:{:+}", r.code, r.contribution)).collect();
        self.reasons.append_value(reasons.join(";"));
        self.checks.append_option(s.anomaly.as_ref().map(|a| a.checks.join(";")));
    }

    fn finish(mut self) -> StructArray {
        let [priority, quality, icp, baseline, estimate, revenue, penalty, engagement, effect] = &mut self.numbers;
        let f = |b: &mut Float64Builder| Arc::new(b.finish()) as ArrayRef;
        let arrays: Vec<ArrayRef> = vec![
            f(priority),
            f(quality),
            Arc::new(self.tier.finish()),
            f(icp),
            f(baseline),
            f(estimate),
            f(revenue),
            Arc::new(self.source.finish()),
            f(penalty),
            Arc::new(self.checks.finish()),
            f(engagement),
            f(effect),
            Arc::new(self.reasons.finish()),
        ];
        StructArray::new(ScoreUdf::fields(), arrays, None)
    }
}

/// `acctscore_priority(columns…[, engagement])`: the ranking score of each
/// row alone (no reasons, no strings), equal to the `priority` of
/// `acctscore_score` and to [`Scorer::priorities`]: order a large pool by
/// it, and explain only the rows kept with `acctscore_score`.
#[derive(Debug)]
pub struct PriorityUdf {
    inputs: Inputs,
}

impl PriorityUdf {
    /// The function of `scorer`.
    pub fn new(scorer: Arc<Scorer>) -> Self {
        PriorityUdf { inputs: Inputs::new(scorer) }
    }
}

impl PartialEq for PriorityUdf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inputs.scorer, &other.inputs.scorer)
    }
}

impl Eq for PriorityUdf {}

impl Hash for PriorityUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "acctscore_priority".hash(state);
        (Arc::as_ptr(&self.inputs.scorer) as usize).hash(state);
    }
}

impl ScalarUDFImpl for PriorityUdf {
    fn name(&self) -> &str {
        "acctscore_priority"
    }

    fn signature(&self) -> &Signature {
        &self.inputs.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inputs.coerce(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let (frame, engagement) = self.inputs.frame(name, &args)?;
        let scorer = &self.inputs.scorer;
        let err = |e: acctscore_scorer::Error| exec_error(format!("{name}: {e}"));
        let frame = scorer.conform(&frame).map_err(err)?;
        let prepared = scorer.prepare(&frame).map_err(err)?;
        let base = prepared.base_scores().map_err(err)?;
        let priorities = match engagement {
            None => prepared.priorities(&base, None).map_err(err)?,
            Some(e) if e.iter().all(Option::is_some) => {
                let e: Vec<f64> = e.into_iter().flatten().collect();
                prepared.priorities(&base, Some(&e)).map_err(err)?
            }
            Some(e) => {
                // A null engagement scores as none known, as in `acctscore_score`.
                let without = prepared.priorities(&base, None).map_err(err)?;
                let zeros: Vec<f64> = e.iter().map(|v| v.unwrap_or(0.0)).collect();
                let with = prepared.priorities(&base, Some(&zeros)).map_err(err)?;
                e.iter().zip(with).zip(without).map(|((v, w), wo)| if v.is_some() { w } else { wo }).collect()
            }
        };
        Ok(ColumnarValue::Array(Arc::new(Float64Array::from(priorities))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_model_column_refuses_numbers() {
        assert!(accepts(ColumnKind::Categorical, false, &DataType::Utf8View));
        assert!(!accepts(ColumnKind::Categorical, false, &DataType::Float64));
        assert!(accepts(ColumnKind::Text, true, &DataType::Int64));
        assert!(accepts(ColumnKind::Numeric, false, &DataType::Null));
        let dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        assert!(accepts(ColumnKind::Categorical, false, &dict));
        let fields = ScoreUdf::fields();
        let names: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, SCORE_FIELDS);
    }
}
