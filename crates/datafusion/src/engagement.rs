//! The engagement aggregate: `acctscore_engagement(kind, timestamp, now)`.

use crate::{exec_error, plan_error};
use acctscore_core::Timestamp;
use acctscore_engagement::{EngagementModel, EngagementSums, KindId, Touch};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility};
use datafusion::physical_expr::expressions::Literal;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Groups per [`EngagementSums`] of a [`GroupsAccumulator`]: group `g` is
/// account `g % CHUNK` of the `g / CHUNK`-th sums.
const CHUNK: usize = 4096;

/// `acctscore_engagement(kind, timestamp, now)`: the decayed engagement of
/// the group's activities at `now`, `Σ weight · 2^(−(now − t) / half_life)`
/// over the activities at or before `now` (later ones are left out), as
/// [`EngagementModel::aggregate`] and the pool's events reader give it.
///
/// - `kind`: the activity kind, a string (`Utf8`, `LargeUtf8`, `Utf8View`
///   or a dictionary of them) the engagement model knows; another kind is an
///   error naming it.
/// - `timestamp`: Unix seconds, an integer.
/// - `now`: Unix seconds, a constant (a literal): one time for the whole
///   query, so that partial sums computed on different partitions or
///   machines add up exactly.
///
/// A row whose kind or timestamp is null is left out (as SQL aggregates
/// leave nulls out); a group without activities has engagement 0.
///
/// The state of a group is its running sum at `now` (one `Float64`): each
/// partition adds its activities' contributions with the engagement crate's
/// [`EngagementSums`] and the partial sums are added when merged, so a
/// merged result equals a single pass up to the rounding of the additions.
#[derive(Debug)]
pub struct EngagementUdaf {
    model: Arc<EngagementModel>,
    signature: Signature,
}

impl EngagementUdaf {
    /// The aggregate of `model` (a [`Scorer`](acctscore_scorer::Scorer)'s
    /// [`engagement_model`](acctscore_scorer::Scorer::engagement_model)).
    pub fn new(model: Arc<EngagementModel>) -> Self {
        EngagementUdaf { model, signature: Signature::user_defined(Volatility::Immutable) }
    }

    /// The `now` of a call: its third argument, a literal.
    fn now(&self, args: &AccumulatorArgs) -> Result<Timestamp> {
        let literal = args.exprs.get(2).and_then(|e| e.downcast_ref::<Literal>());
        match literal.map(Literal::value) {
            Some(ScalarValue::Int64(Some(now))) => Ok(Timestamp::from_unix_seconds(*now)),
            Some(other) => Err(plan_error(format!(
                "acctscore_engagement: `now` must be Unix seconds (Int64, not null); found {other:?}"
            ))),
            None => Err(plan_error(
                "acctscore_engagement: `now` (the third argument) must be a constant, one time for the whole query"
                    .to_string(),
            )),
        }
    }

    fn groups(&self, args: &AccumulatorArgs) -> Result<EngagementGroups> {
        Ok(EngagementGroups::new(Arc::clone(&self.model), self.now(args)?))
    }
}

impl PartialEq for EngagementUdaf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.model, &other.model)
    }
}

impl Eq for EngagementUdaf {}

impl Hash for EngagementUdaf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "acctscore_engagement".hash(state);
        (Arc::as_ptr(&self.model) as usize).hash(state);
    }
}

impl AggregateUDFImpl for EngagementUdaf {
    fn name(&self) -> &str {
        "acctscore_engagement"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [kind, timestamp, now] = arg_types else {
            return Err(plan_error(format!(
                "acctscore_engagement takes (kind, timestamp, now); found {} arguments",
                arg_types.len()
            )));
        };
        if !is_string(kind) && *kind != DataType::Null {
            return Err(plan_error(format!("acctscore_engagement: `kind` must be a string; found {kind}")));
        }
        for (name, dt) in [("timestamp", timestamp), ("now", now)] {
            if !(dt.is_integer() || *dt == DataType::Null) {
                return Err(plan_error(format!(
                    "acctscore_engagement: `{name}` must be Unix seconds as an integer; found {dt}"
                )));
            }
        }
        Ok(vec![kind.clone(), DataType::Int64, DataType::Int64])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format!("{}[sum_at_now]", args.name), DataType::Float64, true))])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(EngagementAccumulator { groups: self.groups(&args)? }))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(self.groups(&args)?))
    }

    fn default_value(&self, _data_type: &DataType) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(Some(0.0)))
    }
}

fn is_string(dt: &DataType) -> bool {
    match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => matches!(**v, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View),
        _ => false,
    }
}

/// The activity kind of each row (`None` for a null), each distinct name
/// looked up in the model once per batch (once per dictionary entry).
fn kind_ids(model: &EngagementModel, array: &ArrayRef) -> Result<Vec<Option<KindId>>> {
    let mut known: Vec<(String, KindId)> = Vec::new();
    let mut lookup = |name: &str| -> Result<KindId> {
        if let Some((_, id)) = known.iter().find(|(k, _)| k == name) {
            return Ok(*id);
        }
        let id = model
            .kind_id_by_name(name)
            .map_err(|e| exec_error(format!("acctscore_engagement: activity kind `{name}`: {e}")))?;
        known.push((name.to_string(), id));
        Ok(id)
    };
    let map = |it: &mut dyn Iterator<Item = Option<&str>>, lookup: &mut dyn FnMut(&str) -> Result<KindId>| {
        it.map(|v| v.map(&mut *lookup).transpose()).collect::<Result<Vec<_>>>()
    };
    match array.data_type() {
        DataType::Utf8 => map(&mut array.as_string::<i32>().iter(), &mut lookup),
        DataType::LargeUtf8 => map(&mut array.as_string::<i64>().iter(), &mut lookup),
        DataType::Utf8View => map(&mut array.as_string_view().iter(), &mut lookup),
        DataType::Null => Ok(vec![None; array.len()]),
        DataType::Dictionary(..) => {
            let dict = array.as_any_dictionary();
            let values = kind_ids(model, dict.values())?;
            let keys = dict.normalized_keys();
            Ok((0..array.len())
                .map(|i| if dict.is_null(i) { None } else { values.get(keys[i]).copied().flatten() })
                .collect())
        }
        other => Err(exec_error(format!("acctscore_engagement: `kind` must be a string; found {other}"))),
    }
}

/// The running sums of many groups at one `now`: the [`GroupsAccumulator`]
/// (and, with one group, the [`Accumulator`]).
#[derive(Debug)]
struct EngagementGroups {
    model: Arc<EngagementModel>,
    now: Timestamp,
    /// Group `g`'s activities are added to account `g % CHUNK` of `chunks[g / CHUNK]`.
    chunks: Vec<EngagementSums>,
    /// Per group: partial sums merged in, and values kept over an `EmitTo::First`.
    carried: Vec<f64>,
    /// Per chunk: the touches of the batch being added (reused).
    touches: Vec<Vec<Touch>>,
}

impl EngagementGroups {
    fn new(model: Arc<EngagementModel>, now: Timestamp) -> Self {
        EngagementGroups { model, now, chunks: Vec::new(), carried: Vec::new(), touches: Vec::new() }
    }

    fn ensure(&mut self, total_num_groups: usize) {
        while self.chunks.len() * CHUNK < total_num_groups {
            self.chunks.push(EngagementSums::new(&self.model, CHUNK, Some(self.now)));
            self.touches.push(Vec::new());
        }
        if self.carried.len() < total_num_groups {
            self.carried.resize(total_num_groups, 0.0);
        }
    }

    /// Adds the rows' activities (`opt_filter` false or null: left out).
    fn add(&mut self, values: &[ArrayRef], groups: &[usize], opt_filter: Option<&BooleanArray>) -> Result<()> {
        let (kinds, times) = self.inputs(values)?;
        for (row, (&g, kind)) in groups.iter().zip(kinds).enumerate() {
            if opt_filter.is_some_and(|f| !f.is_valid(row) || !f.value(row)) || times.is_null(row) {
                continue;
            }
            let Some(kind) = kind else { continue };
            let at = Timestamp::from_unix_seconds(times.value(row));
            let chunk = self.touches.get_mut(g / CHUNK).ok_or_else(|| out_of_range(g))?;
            chunk.push(Touch::new((g % CHUNK) as u32, kind, at));
        }
        for (sums, touches) in self.chunks.iter_mut().zip(&mut self.touches) {
            if !touches.is_empty() {
                sums.add(touches).map_err(|e| exec_error(format!("acctscore_engagement: {e}")))?;
                touches.clear();
            }
        }
        Ok(())
    }

    fn inputs<'a>(
        &self,
        values: &'a [ArrayRef],
    ) -> Result<(Vec<Option<KindId>>, &'a datafusion::arrow::array::Int64Array)> {
        let [kind, timestamp, ..] = values else {
            return Err(exec_error(format!(
                "acctscore_engagement takes (kind, timestamp, now); found {} arguments",
                values.len()
            )));
        };
        let times = timestamp.as_primitive_opt::<Int64Type>().ok_or_else(|| {
            exec_error(format!("acctscore_engagement: `timestamp` must be Int64; found {}", timestamp.data_type()))
        })?;
        Ok((kind_ids(&self.model, kind)?, times))
    }

    /// Adds partial sums (a state column) to the groups.
    fn merge(&mut self, values: &[ArrayRef], groups: &[usize]) -> Result<()> {
        let sums = values.first().and_then(|v| v.as_primitive_opt::<Float64Type>()).ok_or_else(|| {
            exec_error("acctscore_engagement: a partial state must be one Float64 column".to_string())
        })?;
        for (row, &g) in groups.iter().enumerate() {
            if sums.is_valid(row) {
                *self.carried.get_mut(g).ok_or_else(|| out_of_range(g))? += sums.value(row);
            }
        }
        Ok(())
    }

    /// Every group's sum at `now`, leaving the state as it is.
    fn values(&self) -> Result<Vec<f64>> {
        let mut out = self.carried.clone();
        for (c, sums) in self.chunks.iter().enumerate() {
            let part = sums.engagement_at(self.now).map_err(|e| exec_error(format!("acctscore_engagement: {e}")))?;
            for (o, v) in out.iter_mut().skip(c * CHUNK).zip(part.scores()) {
                *o += v;
            }
        }
        Ok(out)
    }

    /// The sums of the groups `emit_to` names, removed from the state.
    fn emit(&mut self, emit_to: EmitTo) -> Result<Float64Array> {
        let mut all = self.values()?;
        self.chunks.clear();
        self.touches.clear();
        self.carried = match emit_to {
            EmitTo::All => Vec::new(),
            EmitTo::First(n) => all.split_off(n.min(all.len())),
        };
        Ok(Float64Array::from(all))
    }
}

fn out_of_range(group: usize) -> datafusion::error::DataFusionError {
    exec_error(format!("acctscore_engagement: group index {group} beyond the groups announced"))
}

impl GroupsAccumulator for EngagementGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.ensure(total_num_groups);
        self.add(values, group_indices, opt_filter)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        Ok(Arc::new(self.emit(emit_to)?))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![Arc::new(self.emit(emit_to)?)])
    }

    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        self.ensure(total_num_groups);
        self.merge(values, group_indices)
    }

    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        // Each row its own group: its activity's contribution at `now`.
        let n = values.first().map_or(0, |v| v.len());
        let mut one = EngagementGroups::new(Arc::clone(&self.model), self.now);
        one.ensure(n);
        let rows: Vec<usize> = (0..n).collect();
        one.add(values, &rows, opt_filter)?;
        Ok(vec![Arc::new(one.emit(EmitTo::All)?)])
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.chunks.len() * CHUNK * std::mem::size_of::<f64>()
            + self.carried.capacity() * std::mem::size_of::<f64>()
            + self.touches.iter().map(|t| t.capacity() * std::mem::size_of::<Touch>()).sum::<usize>()
    }
}

/// One group's running sum: the [`Accumulator`] (an aggregate without
/// `GROUP BY`, or where DataFusion asks for one).
#[derive(Debug)]
struct EngagementAccumulator {
    groups: EngagementGroups,
}

impl EngagementAccumulator {
    fn value(&self) -> Result<f64> {
        Ok(self.groups.values()?.first().copied().unwrap_or(0.0))
    }
}

impl Accumulator for EngagementAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let n = values.first().map_or(0, |v| v.len());
        self.groups.ensure(1);
        self.groups.add(values, &vec![0; n], None)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(Some(self.value()?)))
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>() + GroupsAccumulator::size(&self.groups)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Float64(Some(self.value()?))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let n = states.first().map_or(0, |v| v.len());
        self.groups.ensure(1);
        self.groups.merge(states, &vec![0; n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use acctscore_engagement::EngagementParams;
    use datafusion::arrow::array::{DictionaryArray, Int64Array, StringArray};
    use datafusion::arrow::datatypes::Int32Type;

    /// Activities of `n_accounts` accounts: (group, kind, time).
    fn activities(n_accounts: usize, n: usize) -> Vec<(usize, &'static str, i64)> {
        let kinds = ["email", "call", "meeting", "email"];
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (
                    (x % n_accounts as u64) as usize,
                    kinds[(x >> 20) as usize % kinds.len()],
                    1_000_000 + (x >> 40) as i64,
                )
            })
            .collect()
    }

    fn arrays(rows: &[(usize, &'static str, i64)]) -> (Vec<ArrayRef>, Vec<usize>) {
        let kinds: DictionaryArray<Int32Type> = rows.iter().map(|r| Some(r.1)).collect();
        let times = Int64Array::from(rows.iter().map(|r| r.2).collect::<Vec<_>>());
        (vec![Arc::new(kinds), Arc::new(times)], rows.iter().map(|r| r.0).collect())
    }

    #[test]
    fn partial_sums_merged_equal_one_pass() -> Result<()> {
        let model = Arc::new(EngagementParams::new().fit().map_err(|e| exec_error(e.to_string()))?);
        let n_accounts = 9_000; // three chunks
        let rows = activities(n_accounts, 60_000);
        let now = Timestamp::from_unix_seconds(1_000_000 + (1 << 24) - 5); // some activities after it
        // The engagement crate's single pass.
        let touches: Vec<Touch> = rows
            .iter()
            .map(|r| Ok(Touch::new(r.0 as u32, model.kind_id_by_name(r.1)?, Timestamp::from_unix_seconds(r.2))))
            .collect::<acctscore_engagement::Result<_>>()
            .map_err(|e| exec_error(e.to_string()))?;
        let mut single = EngagementSums::new(&model, n_accounts, Some(now));
        single.add(&touches).map_err(|e| exec_error(e.to_string()))?;
        let want = single.finish().into_scores();
        assert!(want.iter().filter(|v| **v > 0.0).count() > n_accounts / 2);

        // Three partitions, each with its own accumulator and its own group
        // numbering, in batches; their states merged into a final one.
        let mut fin = EngagementGroups::new(Arc::clone(&model), now);
        for part in rows.chunks(rows.len() / 3 + 1) {
            let mut groups_of: Vec<usize> = Vec::new(); // partial group → account
            let mut index = std::collections::HashMap::new();
            let mut partial = EngagementGroups::new(Arc::clone(&model), now);
            for batch in part.chunks(1_000) {
                let (values, accounts) = arrays(batch);
                let groups: Vec<usize> = accounts
                    .iter()
                    .map(|a| {
                        *index.entry(*a).or_insert_with(|| {
                            groups_of.push(*a);
                            groups_of.len() - 1
                        })
                    })
                    .collect();
                partial.update_batch(&values, &groups, None, groups_of.len())?;
            }
            let state = partial.state(EmitTo::All)?;
            fin.merge_batch(&state, &groups_of, n_accounts)?;
        }
        let got = fin.evaluate(EmitTo::All)?;
        let got = got.as_primitive::<Float64Type>();
        for (a, w) in want.iter().enumerate() {
            assert!((got.value(a) - w).abs() <= 1e-12 * w.max(1.0), "account {a}: {} vs {w}", got.value(a));
        }

        // The one-group accumulator, with its state merged, agrees too.
        let account = rows[0].0;
        let mine: Vec<_> = rows.iter().copied().filter(|r| r.0 == account).map(|r| (0, r.1, r.2)).collect();
        let (first, second) = mine.split_at(mine.len() / 2);
        let mut a = EngagementAccumulator { groups: EngagementGroups::new(Arc::clone(&model), now) };
        let mut b = EngagementAccumulator { groups: EngagementGroups::new(Arc::clone(&model), now) };
        a.update_batch(&arrays(first).0)?;
        b.update_batch(&arrays(second).0)?;
        let state = b.state()?;
        a.merge_batch(&[ScalarValue::iter_to_array(state)?])?;
        let ScalarValue::Float64(Some(v)) = a.evaluate()? else { panic!("not a Float64") };
        assert!((v - want[account]).abs() <= 1e-12 * want[account].max(1.0));

        // Each row as its own state (DataFusion's skipped partial aggregation).
        let (values, accounts) = arrays(&rows[..500]);
        let each = fin.convert_to_state(&values, None)?;
        let mut again = EngagementGroups::new(Arc::clone(&model), now);
        again.merge_batch(&each, &accounts, n_accounts)?;
        let mut direct = EngagementGroups::new(Arc::clone(&model), now);
        direct.update_batch(&values, &accounts, None, n_accounts)?;
        let (x, y) = (again.evaluate(EmitTo::All)?, direct.evaluate(EmitTo::All)?);
        for (p, q) in x.as_primitive::<Float64Type>().values().iter().zip(y.as_primitive::<Float64Type>().values()) {
            assert!((p - q).abs() <= 1e-12 * q.max(1.0));
        }
        Ok(())
    }

    #[test]
    fn emit_first_keeps_the_rest() -> Result<()> {
        let model = Arc::new(EngagementParams::new().fit().map_err(|e| exec_error(e.to_string()))?);
        let now = Timestamp::from_unix_seconds(2_000_000);
        let rows = activities(10, 400);
        let (values, groups) = arrays(&rows);
        let mut all = EngagementGroups::new(Arc::clone(&model), now);
        all.update_batch(&values, &groups, None, 10)?;
        let want = all.values()?;
        let mut g = EngagementGroups::new(Arc::clone(&model), now);
        g.update_batch(&values, &groups, None, 10)?;
        let first = g.evaluate(EmitTo::First(4))?;
        let rest = g.evaluate(EmitTo::All)?;
        let got: Vec<f64> =
            [first, rest].iter().flat_map(|a| a.as_primitive::<Float64Type>().values().to_vec()).collect();
        assert_eq!(got, want);
        Ok(())
    }

    #[test]
    fn an_unknown_kind_is_an_error_that_names_it() {
        let model = EngagementParams::new().fit().map(Arc::new);
        let Ok(model) = model else { panic!("default model") };
        let kinds: ArrayRef = Arc::new(StringArray::from(vec!["email", "carrier pigeon"]));
        let err = kind_ids(&model, &kinds).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("carrier pigeon"), "{err}");
    }
}
