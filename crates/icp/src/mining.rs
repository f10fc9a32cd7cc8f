//! Mined rules: traits over-represented among converted accounts, turned
//! into a points-based [`RuleSet`] that the rules engine loads and a person
//! can edit, as credit scorecards are built.
//!
//! For every column of a [`Frame`] (text and timestamp columns aside from
//! text treated as categories; timestamps skipped):
//! 1. **bins**: numeric values into quantile bins (edges rounded to 4
//!    significant digits; bins with less than `min_support` of the rows
//!    merged into a neighbour), categorical and text levels folded for case
//!    and whitespace (the `max_levels` most frequent levels with enough
//!    support each get a bin, the rest one `other` bin), booleans `true` /
//!    `false`, and a `missing` bin when enough values are missing;
//! 2. **statistics** per bin: positives, negatives, lift (the bin's
//!    positive rate over the overall rate), weight of evidence
//!    `WoE = ln(share of positives / share of negatives)` (each count
//!    smoothed by 0.5), and per column the information value
//!    `IV = Σ (share₊ − share₋)·WoE`;
//! 3. **selection**: columns with `IV ≥ min_iv`;
//! 4. **points**: a logistic regression of the target on the selected
//!    columns' WoE (L2 with scikit-learn's `C`, columns whose coefficient is
//!    not positive dropped and the model refitted) gives per column a
//!    coefficient `βⱼ` and an intercept `a`; every bin's points are
//!    `factor·βⱼ·WoE` with `factor = PDO / ln 2` (PDO points double the
//!    odds), rounded to 0.1; bins below `min_points` in magnitude are left
//!    out. This is how credit scorecards are built: correlated columns are
//!    not counted twice.
//!
//! The rule set's points are relative to the training base rate: an
//! account at `threshold` points has modelled odds `base_odds` (the
//! threshold is `factor·(ln base_odds − a)`); tier A starts 2·PDO above
//! (4× the odds), C 2·PDO below. [`MinedRules::offset_points`] converts to
//! a classic scorecard scale where `base_points` sit at `base_odds`.
//!
//! Rule names are stable codes built from the column and the bin
//! (`employees_10_to_50`, `industry_eq_software`, `country_missing`): no
//! `:` or `;`, lower case, unique.
//!
//! ```
//! use acctscore_frame::{Column, Frame};
//! use acctscore_icp::mining::MiningParams;
//!
//! let n = 400;
//! let size: Vec<Option<f64>> = (0..n).map(|i| Some((i % 100) as f64)).collect();
//! let y: Vec<bool> = (0..n).map(|i| (i % 100) >= 60 || i % 7 == 0).collect();
//! let frame = Frame::new(vec![("employees".into(), Column::numeric(size))])?;
//! let mined = MiningParams::new().mine(&frame, &y)?;
//! let bound = mined.rules().bind(&frame)?;
//! assert!(bound.points(99) > bound.points(0));
//! println!("{}", mined.rules().to_toml_string()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::explain::sanitize_code;
use crate::logistic::LogisticParams;
use crate::rules::{Condition, Rule, RuleSet, RuleTiers};
use crate::{IcpError, Result};
use acctscore_core::{CoreError, Fit, check, ndarray};
use acctscore_features::encode::fold_level;
use acctscore_frame::{Column, Frame, NumericColumn};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Smoothing added to each bin's positive and negative counts.
const SMOOTHING: f64 = 0.5;
/// Largest number of levels listed in an `other` bin.
const MAX_OTHER_LEVELS: usize = 100;

/// Parameters of rule mining. Build with [`MiningParams::new`] and the setters.
///
/// ```
/// use acctscore_frame::{Column, Frame};
/// use acctscore_icp::mining::MiningParams;
///
/// let n = 300;
/// let industry = Column::categorical((0..n).map(|i| Some(["software", "retail", "logistics"][i % 3])));
/// let ids = Column::numeric((0..n).map(|i| Some(i as f64)).collect());
/// let frame = Frame::new(vec![("industry".into(), industry), ("account_id".into(), ids)])?;
/// // Software accounts convert 4 times in 5, the others 1 in 5.
/// let y: Vec<bool> = (0..n).map(|i| (i % 3 == 0) != (i % 5 == 0)).collect();
/// let mined = MiningParams::new().pdo(10.0).exclude(["account_id"]).mine(&frame, &y)?;
/// let points = |name: &str| mined.rules().rules().iter().find(|r| r.name == name).map(|r| r.points);
/// assert!(points("industry_eq_software") > Some(0.0));
/// let bound = mined.rules().bind(&frame)?;
/// assert!(bound.points(0) > bound.points(1)); // row 0: software, row 1: retail
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MiningParams {
    n_bins: usize,
    min_support: f64,
    min_iv: f64,
    max_levels: usize,
    pdo: f64,
    base_points: f64,
    base_odds: f64,
    min_points: f64,
    c: f64,
    exclude: Vec<String>,
}

impl Default for MiningParams {
    fn default() -> Self {
        Self::new()
    }
}

impl MiningParams {
    /// Defaults: 5 quantile bins, support 2% of rows, IV ≥ 0.02, 20 levels
    /// per column, 20 points double the odds, 50 points at odds 1:1, rules
    /// of at least 1 point, nothing excluded.
    pub fn new() -> Self {
        MiningParams {
            n_bins: 5,
            min_support: 0.02,
            min_iv: 0.02,
            max_levels: 20,
            pdo: 20.0,
            base_points: 50.0,
            base_odds: 1.0,
            min_points: 1.0,
            c: 1.0,
            exclude: Vec::new(),
        }
    }

    /// Quantile bins per numeric column (2–50).
    pub fn n_bins(mut self, n: usize) -> Self {
        self.n_bins = n;
        self
    }

    /// Smallest share of rows a bin must hold, in `(0, 0.5]`.
    pub fn min_support(mut self, share: f64) -> Self {
        self.min_support = share;
        self
    }

    /// Smallest information value of a selected column (finite, ≥ 0).
    pub fn min_iv(mut self, iv: f64) -> Self {
        self.min_iv = iv;
        self
    }

    /// Most levels of a categorical or text column with a bin of their own (≥ 1).
    pub fn max_levels(mut self, n: usize) -> Self {
        self.max_levels = n;
        self
    }

    /// Points to double the odds (finite, > 0).
    pub fn pdo(mut self, points: f64) -> Self {
        self.pdo = points;
        self
    }

    /// Scorecard points at `base_odds` (finite), see [`MinedRules::offset_points`].
    pub fn base_points(mut self, points: f64) -> Self {
        self.base_points = points;
        self
    }

    /// Odds (positive : negative) of a just-qualified account (finite, > 0).
    pub fn base_odds(mut self, odds: f64) -> Self {
        self.base_odds = odds;
        self
    }

    /// Rules whose points are smaller in magnitude are left out (finite, ≥ 0).
    pub fn min_points(mut self, points: f64) -> Self {
        self.min_points = points;
        self
    }

    /// Inverse L2 strength of the scorecard's logistic regression on WoE
    /// (finite, > 0; default 1, scikit-learn's `C`).
    pub fn c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }

    /// Columns left out (ids, the target, leaky columns).
    pub fn exclude<S: AsRef<str>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.exclude.extend(columns.into_iter().map(|s| s.as_ref().to_string()));
        self
    }

    fn validate(&self) -> Result<()> {
        check::param((2..=50).contains(&self.n_bins), "n_bins", "must be in 2..=50")?;
        check::param(
            self.min_support.is_finite() && self.min_support > 0.0 && self.min_support <= 0.5,
            "min_support",
            "must be in (0, 0.5]",
        )?;
        check::param(self.min_iv.is_finite() && self.min_iv >= 0.0, "min_iv", "must be finite and >= 0")?;
        check::param(self.max_levels >= 1, "max_levels", "must be at least 1")?;
        check::param(self.pdo.is_finite() && self.pdo > 0.0, "pdo", "must be finite and > 0")?;
        check::param(self.base_points.is_finite(), "base_points", "must be finite")?;
        check::param(self.base_odds.is_finite() && self.base_odds > 0.0, "base_odds", "must be finite and > 0")?;
        check::param(self.min_points.is_finite() && self.min_points >= 0.0, "min_points", "must be finite and >= 0")?;
        check::param(self.c.is_finite() && self.c > 0.0, "c", "must be finite and > 0")?;
        Ok(())
    }

    /// Mines rules from `frame` and the labels `target` (one per row, `true`
    /// = converted).
    ///
    /// # Errors
    /// [`CoreError::InvalidParameter`], [`CoreError::Empty`] for a frame
    /// without rows, [`CoreError::ShapeMismatch`] when `target` differs in
    /// length, [`CoreError::SingleClass`], or [`IcpError::NothingMined`]
    /// when no column reaches `min_iv`.
    pub fn mine(&self, frame: &Frame, target: &[bool]) -> Result<MinedRules> {
        self.validate()?;
        let n = frame.nrows();
        if n == 0 {
            return Err(CoreError::Empty { what: "frame" }.into());
        }
        acctscore_core::check::same_len("target vs rows", n, target.len())?;
        let positives = target.iter().filter(|&&t| t).count();
        let negatives = n - positives;
        if positives == 0 || negatives == 0 {
            return Err(CoreError::SingleClass { positives, negatives }.into());
        }
        let min_count = ((self.min_support * n as f64).ceil() as usize).max(1);
        let (tp, tn) = (positives as f64, negatives as f64);
        let mut columns: Vec<ColumnStats> = Vec::new();
        let mut assigns: Vec<Vec<Option<usize>>> = Vec::new();
        let mut tests: Vec<Vec<Condition>> = Vec::new();
        let mut examined = 0;
        for (name, col) in frame.names().iter().zip(frame.columns()) {
            if self.exclude.iter().any(|e| e == name) {
                continue;
            }
            let Some(bins) = self.bin_column(name, col, min_count) else { continue };
            examined += 1;
            let k = bins.bins.len();
            let (mut pos, mut neg) = (vec![0usize; k], vec![0usize; k]);
            for (a, &t) in bins.assign.iter().zip(target) {
                if let Some(b) = *a {
                    if t {
                        pos[b] += 1;
                    } else {
                        neg[b] += 1;
                    }
                }
            }
            let kf = k as f64;
            let mut iv = 0.0;
            let mut stats = Vec::with_capacity(k);
            for (b, bin) in bins.bins.iter().enumerate() {
                let sp = (pos[b] as f64 + SMOOTHING) / (tp + SMOOTHING * kf);
                let sn = (neg[b] as f64 + SMOOTHING) / (tn + SMOOTHING * kf);
                let woe = (sp / sn).ln();
                iv += (sp - sn) * woe;
                let rows = pos[b] + neg[b];
                let lift = if rows > 0 { (pos[b] as f64 / rows as f64) / (tp / n as f64) } else { 0.0 };
                stats.push(BinStats {
                    rule: bin.code.clone(),
                    text: bin.text.clone(),
                    positives: pos[b],
                    negatives: neg[b],
                    lift,
                    woe,
                    points: 0.0,
                    emitted: false,
                });
            }
            columns.push(ColumnStats {
                column: name.clone(),
                information_value: iv,
                selected: iv >= self.min_iv,
                coefficient: 0.0,
                bins: stats,
            });
            assigns.push(bins.assign);
            tests.push(bins.bins.into_iter().map(|b| b.condition).collect());
        }
        if !columns.iter().any(|c| c.selected) {
            return Err(IcpError::NothingMined { examined, min_iv: self.min_iv });
        }
        // Scorecard model: logistic regression on the selected columns' WoE,
        // dropping columns whose coefficient is not positive (collinearity).
        let mut chosen: Vec<usize> = (0..columns.len()).filter(|&c| columns[c].selected).collect();
        let mut intercept = (tp / tn).ln();
        for _ in 0..columns.len() {
            if chosen.is_empty() {
                break;
            }
            let x = ndarray::Array2::from_shape_fn((n, chosen.len()), |(i, k)| {
                let c = chosen[k];
                assigns[c][i].map_or(0.0, |b| columns[c].bins[b].woe)
            });
            let lr = LogisticParams::new().c(self.c).fit(x.view(), target)?;
            intercept = lr.intercept();
            for (&c, &w) in chosen.iter().zip(lr.weights()) {
                columns[c].coefficient = w;
            }
            let before = chosen.len();
            chosen.retain(|&c| columns[c].coefficient > 0.0);
            if chosen.len() == before {
                break;
            }
            for (c, col) in columns.iter_mut().enumerate() {
                if !chosen.contains(&c) {
                    col.coefficient = 0.0;
                }
            }
        }
        if chosen.is_empty() {
            return Err(IcpError::NothingMined { examined, min_iv: self.min_iv });
        }
        let factor = self.pdo / std::f64::consts::LN_2;
        let mut rules = Vec::new();
        let mut used: Vec<String> = Vec::new();
        for (c, conds) in columns.iter_mut().zip(tests) {
            if !(c.selected && c.coefficient > 0.0) {
                continue;
            }
            for (bin, cond) in c.bins.iter_mut().zip(conds) {
                let points = round1(factor * c.coefficient * bin.woe);
                bin.points = points;
                if points.abs() < self.min_points || points == 0.0 {
                    continue;
                }
                let mut name = bin.rule.clone();
                let mut k = 2;
                while used.contains(&name) {
                    name = format!("{}_{k}", bin.rule);
                    k += 1;
                }
                used.push(name.clone());
                bin.rule = name.clone();
                bin.emitted = true;
                rules.push(Rule { name, points, when: vec![cond], any: Vec::new() });
            }
        }
        let threshold = round1(factor * (self.base_odds.ln() - intercept));
        let tiers = RuleTiers { a: threshold + 2.0 * self.pdo, b: threshold, c: threshold - 2.0 * self.pdo };
        let rule_set = RuleSet::new(threshold, tiers, rules)?;
        let offset_points = self.base_points + factor * (intercept - self.base_odds.ln());
        Ok(MinedRules { rules: rule_set, columns, intercept, offset_points })
    }

    fn bin_column(&self, name: &str, col: &Column, min_count: usize) -> Option<ColumnBins> {
        match col {
            Column::Numeric(v) => Some(numeric_bins(name, v, self.n_bins, min_count)),
            Column::Boolean(v) => Some(boolean_bins(name, v, min_count)),
            Column::Categorical(c) => {
                let values = c.codes().iter().map(|&k| c.levels().get(k as usize).map(String::as_str));
                Some(level_bins(name, values, self.max_levels, min_count))
            }
            Column::Text(v) => Some(level_bins(name, v.iter(), self.max_levels, min_count)),
            _ => None,
        }
    }
}

fn round1(x: f64) -> f64 {
    let r = (x * 10.0).round() / 10.0;
    if r == 0.0 { 0.0 } else { r }
}

/// Rounds to 4 significant digits through the decimal text, so that the
/// value prints as it reads (`0.3`, not `0.30000000000000004`).
fn round_sig(x: f64) -> f64 {
    format!("{x:.3e}").parse().unwrap_or(x)
}

struct Bin {
    code: String,
    text: String,
    condition: Condition,
}

struct ColumnBins {
    bins: Vec<Bin>,
    /// Per row, its bin (`None`: no bin, e.g. a rare level left unlisted).
    assign: Vec<Option<usize>>,
}

fn condition(field: &str) -> Condition {
    Condition { field: field.to_string(), min: None, max: None, one_of: None, is: None, missing: None }
}

fn missing_bin(name: &str) -> Bin {
    Bin {
        code: sanitize_code(&format!("{name}_missing")),
        text: format!("{name} missing"),
        condition: Condition { missing: Some(true), ..condition(name) },
    }
}

fn numeric_bins(name: &str, v: &NumericColumn, n_bins: usize, min_count: usize) -> ColumnBins {
    let mut present: Vec<f64> = v.iter().flatten().filter(|x| x.is_finite()).collect();
    present.sort_by(f64::total_cmp);
    let m = present.len();
    let mut edges: Vec<f64> = Vec::new();
    if let Some(&lowest) = present.first() {
        for k in 1..n_bins {
            // At a run of ties, cut just above the run instead.
            let floor = edges.last().map_or(lowest, |&l| l.max(lowest));
            let mut x = present[k * m / n_bins];
            if x <= floor {
                match present.get(present.partition_point(|&v| v <= floor)) {
                    Some(&next) => x = next,
                    None => break,
                }
            }
            let e = round_sig(x);
            if e > lowest && edges.last().is_none_or(|&l| e > l) {
                edges.push(e);
            }
        }
    }
    // Merge bins below the support into their smaller neighbour.
    let count = |edges: &[f64], b: usize| -> usize {
        let lo = if b == 0 { 0 } else { present.partition_point(|&x| x < edges[b - 1]) };
        let hi = if b == edges.len() { m } else { present.partition_point(|&x| x < edges[b]) };
        hi - lo
    };
    while !edges.is_empty() {
        let counts: Vec<usize> = (0..=edges.len()).map(|b| count(&edges, b)).collect();
        let Some((b, &c)) = counts.iter().enumerate().min_by_key(|(_, c)| **c) else { break };
        if c >= min_count {
            break;
        }
        let remove = if b == 0 {
            0
        } else if b == edges.len() || counts[b - 1] <= counts[b + 1] {
            b - 1
        } else {
            b
        };
        edges.remove(remove);
    }
    let mut bins = Vec::new();
    if m > 0 {
        if edges.is_empty() {
            bins.push(Bin {
                code: sanitize_code(&format!("{name}_known")),
                text: format!("{name} known"),
                condition: Condition { missing: Some(false), ..condition(name) },
            });
        }
        for b in 0..edges.len() + (!edges.is_empty()) as usize {
            let lo = if b == 0 { None } else { Some(edges[b - 1]) };
            let hi = edges.get(b).copied();
            let (code, text) = match (lo, hi) {
                (None, Some(h)) => (format!("{name}_lt_{h}"), format!("{name} < {h}")),
                (Some(l), None) => (format!("{name}_ge_{l}"), format!("{name} ≥ {l}")),
                (Some(l), Some(h)) => (format!("{name}_{l}_to_{h}"), format!("{l} ≤ {name} < {h}")),
                (None, None) => continue,
            };
            bins.push(Bin {
                code: sanitize_code(&code),
                text,
                condition: Condition { min: lo, max: hi, ..condition(name) },
            });
        }
    }
    let n_missing = v.len() - m;
    let missing_index = (n_missing >= min_count).then(|| {
        bins.push(missing_bin(name));
        bins.len() - 1
    });
    let assign = v
        .iter()
        .map(|x| match x {
            Some(x) if x.is_finite() => Some(if edges.is_empty() { 0 } else { edges.partition_point(|&e| e <= x) }),
            _ => missing_index,
        })
        .collect();
    ColumnBins { bins, assign }
}

fn boolean_bins(name: &str, v: &[Option<bool>], min_count: usize) -> ColumnBins {
    let mut bins: Vec<Bin> = [true, false]
        .iter()
        .map(|&b| Bin {
            code: sanitize_code(&format!("{name}_{b}")),
            text: if b { name.to_string() } else { format!("not {name}") },
            condition: Condition { is: Some(b), ..condition(name) },
        })
        .collect();
    let n_missing = v.iter().filter(|x| x.is_none()).count();
    let missing_index = (n_missing >= min_count).then(|| {
        bins.push(missing_bin(name));
        2
    });
    let assign = v.iter().map(|x| x.map_or(missing_index, |b| Some(usize::from(!b)))).collect();
    ColumnBins { bins, assign }
}

fn level_bins<'a>(
    name: &str,
    values: impl Iterator<Item = Option<&'a str>> + Clone,
    max_levels: usize,
    min_count: usize,
) -> ColumnBins {
    // Folded level -> (first spelling seen, count).
    let mut levels: BTreeMap<String, (String, usize)> = BTreeMap::new();
    let mut n_missing = 0;
    for v in values.clone() {
        match v.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => levels.entry(fold_level(s)).or_insert_with(|| (s.to_string(), 0)).1 += 1,
            None => n_missing += 1,
        }
    }
    let mut ranked: Vec<(&String, &(String, usize))> = levels.iter().collect();
    ranked.sort_by(|a, b| b.1.1.cmp(&a.1.1).then_with(|| a.0.cmp(b.0)));
    let mut bins = Vec::new();
    let mut slot: BTreeMap<&str, usize> = BTreeMap::new();
    for (folded, (spelling, count)) in ranked.iter().take(max_levels) {
        if *count < min_count {
            break;
        }
        slot.insert(folded.as_str(), bins.len());
        bins.push(Bin {
            code: sanitize_code(&format!("{name}_eq_{folded}")),
            text: format!("{name} = {spelling}"),
            condition: Condition { one_of: Some(vec![spelling.clone()]), ..condition(name) },
        });
    }
    let rare: Vec<&(&String, &(String, usize))> =
        ranked.iter().filter(|(f, _)| !slot.contains_key(f.as_str())).collect();
    let rare_count: usize = rare.iter().map(|(_, (_, c))| c).sum();
    if !rare.is_empty() && rare.len() <= MAX_OTHER_LEVELS && rare_count >= min_count {
        let mut spellings: Vec<String> = rare.iter().map(|(_, (s, _))| s.clone()).collect();
        spellings.sort();
        let other = bins.len();
        for (f, _) in &rare {
            slot.insert(f.as_str(), other);
        }
        bins.push(Bin {
            code: sanitize_code(&format!("{name}_other")),
            text: format!("{name} other ({} levels)", spellings.len()),
            condition: Condition { one_of: Some(spellings), ..condition(name) },
        });
    }
    let missing_index = (n_missing >= min_count).then(|| {
        bins.push(missing_bin(name));
        bins.len() - 1
    });
    let assign = values
        .map(|v| match v.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => slot.get(fold_level(s).as_str()).copied(),
            None => missing_index,
        })
        .collect();
    ColumnBins { bins, assign }
}

/// Statistics of one bin of a column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinStats {
    /// The rule's name (a stable code).
    pub rule: String,
    /// Readable description of the bin.
    pub text: String,
    /// Converted rows in the bin.
    pub positives: usize,
    /// Other rows in the bin.
    pub negatives: usize,
    /// The bin's positive rate over the overall positive rate.
    pub lift: f64,
    /// Weight of evidence (smoothed log ratio of the class shares).
    pub woe: f64,
    /// Points of the rule (0 when the column was not selected).
    pub points: f64,
    /// Whether the bin became a rule.
    pub emitted: bool,
}

/// Statistics of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    /// The column.
    pub column: String,
    /// Information value.
    pub information_value: f64,
    /// Whether the column reached `min_iv`.
    pub selected: bool,
    /// Coefficient of its WoE in the scorecard's logistic regression (0
    /// when not selected or dropped for a coefficient that was not positive).
    pub coefficient: f64,
    /// Its bins.
    pub bins: Vec<BinStats>,
}

/// The result of mining: a rule set and the statistics behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinedRules {
    rules: RuleSet,
    columns: Vec<ColumnStats>,
    intercept: f64,
    offset_points: f64,
}

impl MinedRules {
    /// The mined rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The rule set, by value.
    pub fn into_rules(self) -> RuleSet {
        self.rules
    }

    /// Per examined column: information value, selection and bins, in frame order.
    pub fn columns(&self) -> &[ColumnStats] {
        &self.columns
    }

    /// Intercept of the scorecard's logistic regression on WoE.
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// Points to add to a rule set total to read the classic scorecard
    /// scale (`base_points` at `base_odds`, PDO points per doubling).
    pub fn offset_points(&self) -> f64 {
        self.offset_points
    }

    /// Modelled log-odds of an account with `points` from the rule set
    /// (exact but for the rounding of points and the `min_points` cut).
    pub fn log_odds(&self, points: f64, pdo: f64) -> f64 {
        self.intercept + points * std::f64::consts::LN_2 / pdo
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use acctscore_calibration::metrics::roc_auc;
    use acctscore_core::numeric::SplitMix64;

    /// employees (log-uniform, +0.8 per e-fold), industry (software +1,
    /// retail −1, others 0), has_ecommerce (−0.7), noise (none), 10% missing
    /// employees (−0.5).
    fn simulate(n: usize, seed: u64) -> (Frame, Vec<bool>) {
        let mut rng = SplitMix64::new(seed);
        let industries = ["Software", "retail", "Finance", "Health", "Energy"];
        let (mut emp, mut ind, mut eco, mut noise, mut y) = (vec![], vec![], vec![], vec![], vec![]);
        for _ in 0..n {
            let e = (rng.next_f64() * 6.0).exp().round();
            let missing = rng.next_f64() < 0.1;
            let i = (rng.next_u64() % 5) as usize;
            let ecommerce = rng.next_f64() < 0.4;
            let mut z = -2.0 + if missing { -0.5 } else { 0.8 * e.ln_1p() };
            z += [1.0, -1.0, 0.0, 0.0, 0.0][i];
            z -= if ecommerce { 0.7 } else { 0.0 };
            emp.push(if missing { None } else { Some(e) });
            ind.push(Some(if rng.next_f64() < 0.5 { industries[i].to_uppercase() } else { industries[i].to_string() }));
            eco.push(Some(ecommerce));
            noise.push(Some(rng.next_f64()));
            y.push(rng.next_f64() < 1.0 / (1.0 + (-z).exp()));
        }
        let frame = Frame::new(vec![
            ("employees".into(), Column::numeric(emp)),
            ("industry".into(), Column::categorical(ind)),
            ("has_ecommerce".into(), Column::Boolean(eco)),
            ("noise".into(), Column::numeric(noise)),
        ])
        .expect("valid");
        (frame, y)
    }

    fn points_of<'a>(m: &'a MinedRules, name: &str) -> Option<&'a Rule> {
        m.rules().rules().iter().find(|r| r.name == name)
    }

    #[test]
    fn recovers_directions_and_scores_held_out_data() {
        let (frame, y) = simulate(4000, 21);
        let m = MiningParams::new().mine(&frame, &y).expect("mines");
        // Direction of each known effect.
        let emp = &m.columns()[0];
        assert!(emp.selected);
        let ranges: Vec<&BinStats> = emp.bins.iter().filter(|b| !b.rule.ends_with("missing")).collect();
        assert!(ranges.first().map(|b| b.woe) < ranges.last().map(|b| b.woe), "{ranges:?}");
        assert!(emp.bins.iter().any(|b| b.rule == "employees_missing" && b.woe < 0.0));
        assert!(points_of(&m, "industry_eq_software").is_some_and(|r| r.points > 0.0));
        assert!(points_of(&m, "industry_eq_retail").is_some_and(|r| r.points < 0.0));
        let eco = &m.columns()[2];
        assert!(eco.bins[0].woe < 0.0 && eco.bins[1].woe > 0.0, "{eco:?}");
        // The noise column carries almost no information.
        assert!(m.columns()[3].information_value < 0.02, "{:?}", m.columns()[3]);
        assert!(m.rules().rules().iter().all(|r| !r.name.starts_with("noise")));
        // Names are stable codes.
        assert!(m.rules().rules().iter().all(|r| !r.name.contains(':') && !r.name.contains(';')));
        // Scorecard coefficients are near 1 (WoE is on the log-odds scale; marginal effects are attenuated).
        for c in m.columns().iter().filter(|c| c.selected) {
            assert!(c.coefficient > 0.5 && c.coefficient < 2.0, "{} {}", c.column, c.coefficient);
        }
        // TOML round trip.
        let text = m.rules().to_toml_string().expect("toml");
        let back = RuleSet::from_toml_str(&text).expect("reads back");
        assert_eq!(&back, m.rules());
        // Held-out AUC well above chance (the true model's is about 0.75).
        let (test, yt) = simulate(2000, 22);
        let bound = back.bind(&test).expect("binds");
        let points: Vec<f64> = (0..test.nrows()).map(|i| bound.points(i)).collect();
        let auc = roc_auc(&points, &yt).expect("auc");
        assert!(auc > 0.68, "auc {auc}");
        // Qualification is about odds 1:1: accounts over the threshold convert more than half the time.
        let (q, qp) = points
            .iter()
            .zip(&yt)
            .filter(|(p, _)| back.is_qualified(**p))
            .fold((0, 0), |(a, b), (_, y)| (a + 1, b + usize::from(*y)));
        assert!(q > 0 && qp * 2 > q, "{qp} of {q}");
    }

    #[test]
    fn deterministic_and_bad_input() {
        let (frame, y) = simulate(500, 1);
        let a = MiningParams::new().mine(&frame, &y).expect("mines");
        assert_eq!(a, MiningParams::new().mine(&frame, &y).expect("mines"));
        let json = serde_json::to_string(&a).expect("serialise");
        assert_eq!(serde_json::from_str::<MinedRules>(&json).expect("reads back"), a);
        assert!(matches!(
            MiningParams::new().mine(&frame, &vec![true; 500]),
            Err(IcpError::Core(CoreError::SingleClass { .. }))
        ));
        assert!(matches!(
            MiningParams::new().mine(&frame, &[true]),
            Err(IcpError::Core(CoreError::ShapeMismatch { .. }))
        ));
        let empty = Frame::new(vec![("a".into(), Column::numeric(vec![]))]).expect("valid");
        assert!(matches!(MiningParams::new().mine(&empty, &[]), Err(IcpError::Core(CoreError::Empty { .. }))));
        assert!(MiningParams::new().pdo(f64::NAN).mine(&frame, &y).is_err());
        assert!(MiningParams::new().n_bins(1).mine(&frame, &y).is_err());
        assert!(matches!(
            MiningParams::new().min_iv(100.0).mine(&frame, &y),
            Err(IcpError::NothingMined { examined: 4, .. })
        ));
        assert!(matches!(
            MiningParams::new().exclude(["employees", "industry", "has_ecommerce", "noise"]).mine(&frame, &y),
            Err(IcpError::NothingMined { examined: 0, .. })
        ));
    }

    #[test]
    fn text_levels_fold_and_rare_levels_share_a_bin() {
        // "CEO"/" ceo " are one level that converts; 30 one-off titles share `other`.
        let mut titles: Vec<Option<String>> = Vec::new();
        let mut y = Vec::new();
        for i in 0..300 {
            let (t, conv) = match i % 3 {
                0 => (if i % 2 == 0 { "CEO".to_string() } else { " ceo ".to_string() }, i % 5 != 0),
                1 => ("Intern".to_string(), i % 5 == 0),
                _ if i < 90 => (format!("title {i}"), i % 2 == 0),
                _ => (String::new(), i % 4 == 0),
            };
            titles.push(Some(t).filter(|s| !s.is_empty()));
            y.push(conv);
        }
        let frame = Frame::new(vec![("title".into(), Column::text(titles))]).expect("valid");
        let m = MiningParams::new().min_support(0.05).mine(&frame, &y).expect("mines");
        let codes: Vec<&str> = m.columns()[0].bins.iter().map(|b| b.rule.as_str()).collect();
        assert_eq!(codes, ["title_eq_ceo", "title_eq_intern", "title_other", "title_missing"]);
        assert!(points_of(&m, "title_eq_ceo").is_some_and(|r| r.points > 0.0));
        assert!(points_of(&m, "title_eq_intern").is_some_and(|r| r.points < 0.0));
        let bound = m.rules().bind(&frame).expect("binds");
        assert!(bound.points(0) > bound.points(1));
    }

    #[test]
    fn numeric_bins_respect_support_and_round_edges() {
        let v: NumericColumn = (0..1000).map(|i| if i < 950 { Some(0.0) } else { Some(i as f64 / 3.0) }).collect();
        let b = numeric_bins("x", &v, 5, 20);
        // 95% zeros: one bin for 0, one above.
        assert_eq!(b.bins.len(), 2, "{:?}", b.bins.iter().map(|b| &b.code).collect::<Vec<_>>());
        assert!(b.bins[0].code.starts_with("x_lt_3"), "{}", b.bins[0].code);
        assert_eq!((b.assign[0], b.assign[999]), (Some(0), Some(1)));
        let edge = b.bins[0].condition.max.expect("upper edge");
        assert_eq!(edge, format!("{edge}").parse::<f64>().expect("short decimal"));
        let constant = numeric_bins("c", &vec![Some(1.0), Some(1.0), None].into(), 5, 1);
        assert_eq!(constant.bins.len(), 2);
        assert_eq!(constant.assign, [Some(0), Some(0), Some(1)]);
    }
}
