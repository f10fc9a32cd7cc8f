//! Explanations: the factors behind a score.
//!
//! Every score carries a baseline and factors whose contributions sum, with
//! the baseline, to the raw score (points for rules, log-odds for learned
//! models). [`Explanation::top`] keeps the `k` largest by magnitude and
//! sums the rest into one `other` factor, so the identity still holds.

use acctscore_features::encode::{FeatureRole, FittedPipeline, MISSING_LEVEL, RARE_LEVEL, fold_level};
use acctscore_frame::{Column, Frame};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// One driving factor of a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// Stable machine-readable code (never contains `:` or `;`).
    pub code: String,
    /// Text a rep can read ("industry = Software").
    pub text: String,
    /// Signed contribution to the raw score.
    pub contribution: f64,
}

/// A raw score split into a baseline and factors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The score of an average account (log-odds) or 0 points (rules).
    pub baseline: f64,
    /// The factors, largest magnitude first.
    pub factors: Vec<Factor>,
}

/// Code of the factor that sums the factors left out by [`Explanation::top`].
pub const OTHER_CODE: &str = "other";

impl Explanation {
    /// Builds an explanation, sorting factors by decreasing magnitude (ties
    /// by code, so the order is deterministic).
    pub fn new(baseline: f64, mut factors: Vec<Factor>) -> Self {
        factors.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()).then_with(|| a.code.cmp(&b.code)));
        Explanation { baseline, factors }
    }

    /// Baseline plus every contribution: the raw score.
    pub fn total(&self) -> f64 {
        self.baseline + self.factors.iter().map(|f| f.contribution).sum::<f64>()
    }

    /// Keeps the `k` largest factors and sums the rest into `other`.
    pub fn top(&self, k: usize) -> Explanation {
        if self.factors.len() <= k {
            return self.clone();
        }
        let mut factors: Vec<Factor> = self.factors[..k].to_vec();
        let rest: f64 = self.factors[k..].iter().map(|f| f.contribution).sum();
        factors.push(Factor {
            code: OTHER_CODE.to_string(),
            text: "all other factors".to_string(),
            contribution: rest,
        });
        Explanation { baseline: self.baseline, factors }
    }
}

impl Explanation {
    /// The same explanation in the units of a probability: the baseline
    /// becomes `p0`, the probability of the raw baseline, and each
    /// contribution `c` becomes `c × (p − p0)/(raw − raw₀)`, where `raw` and
    /// `p` are the row's raw score and probability and `raw₀` the raw
    /// baseline (`slope0`, the map's derivative at `raw₀`, when the row sits
    /// at the baseline). The raw score is additive in the factors and the
    /// probability a non-decreasing function of it, so this split is exact,
    /// independent of the factors' order, and keeps each factor's sign.
    /// The rounding left by the scaling goes to the `other` factor (or the
    /// smallest one), so baseline plus contributions equals `p` to within
    /// the rounding of that sum.
    pub fn in_probability(self, raw: f64, p: f64, p0: f64, slope0: f64) -> Explanation {
        let d = raw - self.baseline;
        let scale = if d.abs() > 1e-9 * (1.0 + self.baseline.abs()) { (p - p0) / d } else { slope0 };
        let mut factors = self.factors;
        for f in &mut factors {
            f.contribution *= scale;
        }
        let residual = (p - p0) - factors.iter().map(|f| f.contribution).sum::<f64>();
        if residual != 0.0 {
            let at = factors.iter().position(|f| f.code == OTHER_CODE).or(factors.len().checked_sub(1));
            match at.and_then(|k| factors.get_mut(k)) {
                Some(f) => f.contribution += residual,
                None => factors.push(Factor {
                    code: OTHER_CODE.to_string(),
                    text: "all other factors".to_string(),
                    contribution: residual,
                }),
            }
        }
        Explanation { baseline: p0, factors }
    }
}

/// Makes a code safe: `:` and `;` become `_`, whitespace becomes `_`, lower case.
pub(crate) fn sanitize_code(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| if c == ':' || c == ';' || c.is_whitespace() { '_' } else { c.to_ascii_lowercase() })
        .collect()
}

/// Quintile edges of numeric columns, fitted on training data, so that a
/// reason names a bin (`employees=12..40`, "employees 12–40") rather than
/// a raw number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub(crate) struct NumericBins {
    columns: Vec<(String, Vec<f64>)>,
}

impl NumericBins {
    /// Each binned column with its interior edges.
    pub(crate) fn columns(&self) -> impl Iterator<Item = (&str, &[f64])> + '_ {
        self.columns.iter().map(|(c, e)| (c.as_str(), e.as_slice()))
    }

    /// Fits edges for each numeric column of `frame` named in `columns`.
    pub(crate) fn fit(frame: &Frame, columns: &[&str]) -> Self {
        let mut out = Vec::new();
        for &name in columns {
            if let Ok(Column::Numeric(v)) = frame.column(name) {
                let mut present: Vec<f64> = v.iter().flatten().filter(|x| x.is_finite()).collect();
                if present.is_empty() {
                    continue;
                }
                present.sort_by(f64::total_cmp);
                let mut edges: Vec<f64> =
                    (1..5).map(|q| present[(q * present.len() / 5).min(present.len() - 1)]).collect();
                edges.dedup();
                out.push((name.to_string(), edges));
            }
        }
        NumericBins { columns: out }
    }

    fn edges(&self, column: &str) -> Option<&[f64]> {
        self.columns.iter().find(|(c, _)| c == column).map(|(_, e)| e.as_slice())
    }
}

fn short(x: f64) -> String {
    if x.abs() >= 100.0 || x.fract() == 0.0 {
        format!("{}", x.round())
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Code and text of the bin of `x` given sorted `edges`.
fn bin_label(column: &str, edges: &[f64], x: f64) -> (String, String) {
    if edges.is_empty() {
        return (sanitize_code(column), format!("{column} {}", short(x)));
    }
    bin_label_at(column, edges, numeric_bin(edges, x))
}

/// The bin of `x` given sorted `edges`: how many edges are at or below it.
#[inline]
fn numeric_bin(edges: &[f64], x: f64) -> usize {
    edges.partition_point(|&e| e <= x)
}

/// Code and text of bin `k` (see [`numeric_bin`]) of non-empty sorted `edges`.
fn bin_label_at(column: &str, edges: &[f64], k: usize) -> (String, String) {
    let (code, text) = match (k.checked_sub(1).and_then(|j| edges.get(j)), edges.get(k)) {
        (None, Some(&hi)) => (format!("{column}=..{}", short(hi)), format!("{column} below {}", short(hi))),
        (Some(&lo), Some(&hi)) => {
            (format!("{column}={}..{}", short(lo), short(hi)), format!("{column} {}–{}", short(lo), short(hi)))
        }
        (Some(&lo), None) => (format!("{column}={}..", short(lo)), format!("{column} {} or more", short(lo))),
        (None, None) => (column.to_string(), column.to_string()),
    };
    (sanitize_code(&code), text)
}

/// The bin of a factor whose source value is missing (see [`FactorPlan::bin`]).
pub(crate) const MISSING_BIN: u32 = u32::MAX;

/// How each encoded feature of a pipeline maps to a factor of one frame's
/// rows: features of the same source column share one factor, named after
/// the row's value (its level, its numeric bin, or "missing").
///
/// Contributions are summed per source column first; strings are built only
/// for the factors an explanation keeps.
#[derive(Debug)]
pub(crate) struct FactorPlan<'f> {
    /// Per encoded feature, the index of its source column in `columns`.
    group_of: Vec<usize>,
    columns: Vec<PlanColumn<'f>>,
}

#[derive(Debug)]
struct PlanColumn<'f> {
    name: &'f str,
    data: Option<&'f Column>,
    /// Categorical: the code of each of the frame's levels.
    level_codes: Vec<String>,
    edges: Option<&'f [f64]>,
    /// Whether `edges` are sorted (as fitted): their bins are then counted
    /// without branches.
    sorted: bool,
    /// A numeric column's clip bounds: a value beyond them is named in the text.
    range: Option<(f64, f64)>,
    /// Code and text of each bin (the missing bin last), each built on
    /// first use; empty for the columns whose label shows the value itself.
    labels: Box<[OnceLock<(String, String)>]>,
}

impl<'f> FactorPlan<'f> {
    /// Prepares the mapping for `frame`'s rows.
    pub(crate) fn new(pipeline: &'f FittedPipeline, frame: &'f Frame, bins: &'f NumericBins) -> Self {
        let mut columns: Vec<PlanColumn<'f>> = Vec::new();
        let mut group_of = Vec::with_capacity(pipeline.features().len());
        for f in pipeline.features() {
            let k = match columns.iter().position(|c| c.name == f.column) {
                Some(k) => k,
                None => {
                    let data = frame.column(&f.column).ok();
                    let level_codes = match data {
                        Some(Column::Categorical(c)) => {
                            let known: Vec<&str> = pipeline
                                .features()
                                .iter()
                                .filter(|g| g.column == f.column)
                                .filter_map(|g| match &g.role {
                                    FeatureRole::Level(l) => Some(l.as_str()),
                                    _ => None,
                                })
                                .collect();
                            c.levels()
                                .iter()
                                .map(|l| {
                                    let folded = fold_level(l);
                                    let level =
                                        if known.contains(&folded.as_str()) { folded } else { RARE_LEVEL.to_string() };
                                    sanitize_code(&format!("{}={level}", f.column))
                                })
                                .collect()
                        }
                        _ => Vec::new(),
                    };
                    let edges = bins.edges(&f.column);
                    let sorted = edges.is_some_and(|e| e.is_sorted_by(|a, b| a <= b));
                    let mut column = PlanColumn {
                        name: f.column.as_str(),
                        data,
                        level_codes,
                        edges,
                        sorted,
                        range: pipeline.numeric_range(&f.column),
                        labels: Box::default(),
                    };
                    if let Some(count) = column.bin_count() {
                        column.labels = (0..=count).map(|_| OnceLock::new()).collect();
                    }
                    columns.push(column);
                    columns.len() - 1
                }
            };
            group_of.push(k);
        }
        FactorPlan { group_of, columns }
    }

    /// Number of factors (source columns).
    pub(crate) fn n_groups(&self) -> usize {
        self.columns.len()
    }

    /// The source column (group) of each encoded feature, in feature order.
    pub(crate) fn group_of(&self) -> &[usize] {
        &self.group_of
    }

    /// The bin of row `i` in factor `group`: what, besides the group, its
    /// code and text depend on. Categorical: the frame's dictionary code of
    /// the row's level; numeric: the number of the fitted quintile edges at
    /// or below the value (0 when the column has no edges); boolean: 0 for
    /// no, 1 for yes; a missing value: [`MISSING_BIN`]; anything else 0.
    #[inline]
    pub(crate) fn bin(&self, group: usize, i: usize) -> u32 {
        self.columns.get(group).map_or(0, |c| c.bin(i))
    }

    /// Reads row `i` of every source column once and returns a value made
    /// of what it read: for a caller about to score that row, so that the
    /// columns' reads (cache misses on a large frame) overlap rather than
    /// wait for one another.
    #[inline]
    pub(crate) fn touch(&self, i: usize) -> u64 {
        self.columns.iter().fold(0, |acc, c| acc ^ c.touch(i))
    }

    /// Code and text of bin `bin` of factor `group`, as [`FactorPlan::factor`]
    /// names a row in that bin — except where the text shows the value
    /// itself (a numeric column without fitted edges, a free-text title
    /// column): there it has the column's name only.
    pub(crate) fn label(&self, group: usize, bin: u32) -> (String, String) {
        match self.columns.get(group) {
            Some(c) => c.label_bin(bin),
            None => (OTHER_CODE.to_string(), String::new()),
        }
    }

    /// Sums per-feature contributions into per-factor contributions.
    pub(crate) fn sum_groups(&self, contributions: &[f64], out: &mut Vec<f64>) {
        out.clear();
        out.resize(self.columns.len(), 0.0);
        for (&g, &c) in self.group_of.iter().zip(contributions) {
            out[g] += c;
        }
    }

    /// The factor of source column `group` at row `i` with `contribution`.
    pub(crate) fn factor(&self, group: usize, i: usize, contribution: f64) -> Factor {
        let (code, text) = match self.columns.get(group) {
            Some(c) => c.label(i),
            None => (OTHER_CODE.to_string(), String::new()),
        };
        Factor { code, text, contribution }
    }

    /// Every factor of row `i` (one per source column), unsorted: for the
    /// tests' reference scorer (`propensity/reference.rs`).
    #[cfg(test)]
    pub(crate) fn all_factors(&self, contributions: &[f64], i: usize) -> Vec<Factor> {
        let mut sums = Vec::new();
        self.sum_groups(contributions, &mut sums);
        sums.iter().enumerate().map(|(g, &c)| self.factor(g, i, c)).collect()
    }

    /// The explanation of row `i`: the `k` factors of largest magnitude
    /// (ties by column order) and the rest summed as `other`; baseline plus
    /// contributions equals the raw score. Strings are built for the kept
    /// factors only. For the tests' reference scorer.
    #[cfg(test)]
    pub(crate) fn explain(&self, baseline: f64, contributions: &[f64], i: usize, k: usize) -> Explanation {
        let mut sums = Vec::new();
        self.sum_groups(contributions, &mut sums);
        let mut order: Vec<usize> = (0..sums.len()).collect();
        order.sort_by(|&a, &b| sums[b].abs().total_cmp(&sums[a].abs()).then(a.cmp(&b)));
        let mut factors: Vec<Factor> = order.iter().take(k).map(|&g| self.factor(g, i, sums[g])).collect();
        if order.len() > k {
            let rest: f64 = order[k..].iter().map(|&g| sums[g]).sum();
            factors.push(Factor {
                code: OTHER_CODE.to_string(),
                text: "all other factors".to_string(),
                contribution: rest,
            });
        }
        Explanation { baseline, factors }
    }
}

impl PlanColumn<'_> {
    #[inline]
    fn bin(&self, i: usize) -> u32 {
        let missing_or = |present: Option<u32>| present.unwrap_or(MISSING_BIN);
        match self.data {
            Some(Column::Categorical(c)) => missing_or(c.code(i)),
            Some(Column::Numeric(v)) => missing_or(v.get(i).map(|x| {
                let k = match self.edges {
                    // The same count as `numeric_bin` on sorted edges.
                    Some(edges) if self.sorted => edges.iter().map(|&e| usize::from(e <= x)).sum(),
                    Some(edges) => numeric_bin(edges, x),
                    None => 0,
                };
                u32::try_from(k).unwrap_or(0)
            })),
            Some(Column::Boolean(v)) => missing_or(v.get(i).copied().flatten().map(u32::from)),
            Some(Column::Text(v)) => missing_or(v.get(i).map(|_| 0)),
            _ => 0,
        }
    }

    /// Row `i`'s value as bits (see [`FactorPlan::touch`]).
    #[inline(always)]
    fn touch(&self, i: usize) -> u64 {
        match self.data {
            Some(Column::Numeric(v)) => v.get(i).map_or(1, f64::to_bits),
            Some(Column::Categorical(c)) => c.code(i).map_or(1, u64::from),
            Some(Column::Boolean(v)) => v.get(i).copied().flatten().map_or(2, u64::from),
            Some(Column::Timestamp(v)) => v.get(i).copied().flatten().map_or(1, i64::cast_unsigned),
            // The offsets only: the text itself is read when a reason names it.
            Some(Column::Text(v)) => u64::from(v.is_missing(i)),
            _ => 0,
        }
    }

    fn label_bin(&self, bin: u32) -> (String, String) {
        let name = self.name;
        if bin == MISSING_BIN && !matches!(self.data, None | Some(Column::Timestamp(_))) {
            return (sanitize_code(&format!("{name}={MISSING_LEVEL}")), format!("{name} unknown"));
        }
        match self.data {
            Some(Column::Categorical(c)) => (
                self.level_codes.get(bin as usize).cloned().unwrap_or_else(|| sanitize_code(name)),
                format!("{name} = {}", c.levels().get(bin as usize).map_or("unknown", String::as_str)),
            ),
            Some(Column::Numeric(_)) => match self.edges {
                Some(edges) if !edges.is_empty() => bin_label_at(name, edges, bin as usize),
                _ => (sanitize_code(name), name.to_string()),
            },
            Some(Column::Boolean(_)) if bin == 1 => (sanitize_code(&format!("{name}=yes")), name.to_string()),
            Some(Column::Boolean(_)) => (sanitize_code(&format!("{name}=no")), format!("not {name}")),
            _ => (sanitize_code(name), name.to_string()),
        }
    }

    /// Bins other than the missing one whose label depends on the bin
    /// only; `None` for the labels that show the value itself.
    fn bin_count(&self) -> Option<usize> {
        match self.data {
            Some(Column::Categorical(c)) => Some(c.levels().len()),
            Some(Column::Numeric(_)) => self.edges.filter(|e| !e.is_empty()).map(|e| e.len() + 1),
            Some(Column::Boolean(_)) => Some(2),
            Some(Column::Text(_)) => None,
            _ => Some(1),
        }
    }

    /// Code and text of row `i`: its bin's label, or for the labels that
    /// show the value itself, the value.
    fn label(&self, i: usize) -> (String, String) {
        // A value beyond the training range is scored as the nearest bound: say so.
        if let (Some((lo, hi)), Some(Column::Numeric(v))) = (self.range, self.data)
            && let Some(x) = v.get(i).filter(|x| *x < lo || *x > hi)
        {
            let (code, text) = self.label_bin(self.bin(i));
            let (side, bound) = if x > hi { ("above", hi) } else { ("below", lo) };
            let text =
                format!("{} ({} {} is {side} the fitted range; scored as {})", text, self.name, short(x), short(bound));
            return (code, text);
        }
        if let Some((missing, known)) = self.labels.split_last() {
            // Each bin's label is formatted once (formatting numbers is most
            // of an explanation's cost), then cloned.
            let bin = self.bin(i);
            let slot = if bin == MISSING_BIN { Some(missing) } else { known.get(bin as usize) };
            return match slot {
                Some(slot) => slot.get_or_init(|| self.label_bin(bin)).clone(),
                None => self.label_bin(bin),
            };
        }
        let name = self.name;
        match self.data {
            Some(Column::Numeric(v)) if self.edges.is_none_or(<[f64]>::is_empty) => match v.get(i) {
                Some(x) => bin_label(name, &[], x),
                None => self.label_bin(MISSING_BIN),
            },
            Some(Column::Text(v)) => match v.get(i) {
                Some(t) => (sanitize_code(name), format!("{name} = {}", t.trim())),
                None => self.label_bin(MISSING_BIN),
            },
            _ => self.label_bin(self.bin(i)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_keeps_the_sum() {
        let e = Explanation::new(
            -2.0,
            vec![
                Factor { code: "a".into(), text: "a".into(), contribution: 0.1 },
                Factor { code: "b".into(), text: "b".into(), contribution: -1.0 },
                Factor { code: "c".into(), text: "c".into(), contribution: 0.5 },
            ],
        );
        assert_eq!(e.factors[0].code, "b");
        let t = e.top(1);
        assert_eq!(t.factors.len(), 2);
        assert_eq!(t.factors[1].code, OTHER_CODE);
        assert!((t.total() - e.total()).abs() < 1e-12);
        assert_eq!(sanitize_code("Industry: A;B c"), "industry__a_b_c");
    }
}
