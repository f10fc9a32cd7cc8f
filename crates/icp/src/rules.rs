//! Weighted rules: points per trait, a threshold for "qualified", and tiers,
//! read from a TOML file that sales ops can edit.
//!
//! ```toml
//! threshold = 50            # qualified when points >= threshold
//!
//! [tiers]                   # optional; defaults A = 75, B = 50, C = 25
//! A = 75
//! B = 50
//! C = 25
//!
//! [[rules]]
//! name = "sells_online"
//! points = 25
//! when = [{ field = "has_ecommerce", is = true }]
//!
//! [[rules]]
//! name = "mid_size_us"      # every condition in `when` must hold
//! points = 15
//! when = [{ field = "employees", min = 10, max = 500 }, { field = "country", one_of = ["US"] }]
//!
//! [[rules]]
//! name = "growing_or_funded" # at least one condition in `any` must hold
//! points = 10
//! any = [{ field = "web_traffic_growth_90d", min = 0.2 }, { field = "funding_total_usd", min = 1 }]
//!
//! [[rules]]
//! name = "no_contact_title"
//! points = -10
//! when = [{ field = "job_title_of_contact", missing = true }]
//! ```
//!
//! A condition tests one field in one way:
//! - `min` and/or `max`: numeric range, `min <= x < max` (a missing value fails);
//! - `one_of`: categorical or text value in the list, compared after trimming
//!   and lower-casing (a missing value fails);
//! - `is`: boolean equals (a missing value fails);
//! - `missing`: the value is missing (`true`) or present (`false`).
//!
//! A rule fires when all of `when` hold and, if `any` is given, at least one
//! of `any` holds. Its points add to the score. Mistakes in the file are
//! errors naming the rule and the field.

use crate::explain::{Explanation, Factor, sanitize_code};
use crate::{FitWarning, IcpError, Result, RuleProblem, RuleTest};
use acctscore_features::encode::fold_level;
use acctscore_frame::{Column, ColumnKind, Frame};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// One test on one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The column tested.
    pub field: String,
    /// Inclusive lower bound of a numeric range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Exclusive upper bound of a numeric range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Accepted values of a categorical or text column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<String>>,
    /// Required value of a boolean column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is: Option<bool>,
    /// `true`: the value must be missing; `false`: present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<bool>,
}

impl Condition {
    fn describe(&self) -> String {
        let f = &self.field;
        if let Some(m) = self.missing {
            return if m { format!("{f} missing") } else { format!("{f} known") };
        }
        if let Some(b) = self.is {
            return if b { f.clone() } else { format!("not {f}") };
        }
        if let Some(set) = &self.one_of {
            return format!("{f} in {}", set.join("/"));
        }
        match (self.min, self.max) {
            (Some(a), Some(b)) => format!("{f} {a}–{b}"),
            (Some(a), None) => format!("{f} ≥ {a}"),
            (None, Some(b)) => format!("{f} < {b}"),
            (None, None) => f.clone(),
        }
    }
}

/// One weighted rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique name; also the factor code of its explanation.
    pub name: String,
    /// Points added when the rule fires (may be negative).
    pub points: f64,
    /// Conditions that must all hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<Condition>,
    /// Conditions of which at least one must hold (ignored when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any: Vec<Condition>,
}

/// Tier cut points on points: A at or above `a`, B at or above `b`, C at or above `c`, else D.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RuleTiers {
    /// Lowest score of tier A.
    #[serde(rename = "A")]
    pub a: f64,
    /// Lowest score of tier B.
    #[serde(rename = "B")]
    pub b: f64,
    /// Lowest score of tier C.
    #[serde(rename = "C")]
    pub c: f64,
}

impl Default for RuleTiers {
    fn default() -> Self {
        RuleTiers { a: 75.0, b: 50.0, c: 25.0 }
    }
}

impl RuleTiers {
    /// The tier letter of a score.
    pub fn tier(&self, score: f64) -> char {
        acctscore_core::tier_letter(score, self.a, self.b, self.c)
    }
}

/// A validated set of weighted rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    threshold: f64,
    #[serde(default)]
    tiers: RuleTiers,
    rules: Vec<Rule>,
}

impl RuleSet {
    /// Builds and validates a rule set.
    ///
    /// # Errors
    /// [`IcpError::InvalidRule`] naming the rule and field, or [`IcpError::BadTiers`].
    pub fn new(threshold: f64, tiers: RuleTiers, rules: Vec<Rule>) -> Result<Self> {
        let set = RuleSet { threshold, tiers, rules };
        set.validate()?;
        Ok(set)
    }

    /// Parses and validates a TOML rules file.
    ///
    /// # Errors
    /// [`IcpError::RulesSyntax`] for TOML errors and unknown keys, then as [`RuleSet::new`].
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let set: RuleSet = toml::from_str(text)
            .map_err(|e| IcpError::RulesSyntax { rule: rule_at_fault(text, &e), reason: e.to_string() })?;
        set.validate()?;
        Ok(set)
    }

    /// Writes the rule set as TOML (reads back to an equal set).
    ///
    /// # Errors
    /// [`IcpError::RulesSyntax`] if serialisation fails.
    pub fn to_toml_string(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| IcpError::RulesSyntax { rule: None, reason: e.to_string() })
    }

    /// Points at or above which an account is qualified.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// Whether `points` qualify.
    pub fn is_qualified(&self, points: f64) -> bool {
        points >= self.threshold
    }

    /// The tier cut points.
    pub fn tiers(&self) -> RuleTiers {
        self.tiers
    }

    /// The columns the rules test, each once, in order of first use.
    pub fn fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for c in self.rules.iter().flat_map(|r| r.when.iter().chain(&r.any)) {
            if !out.contains(&c.field.as_str()) {
                out.push(&c.field);
            }
        }
        out
    }

    /// The rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Checks that no rule reads `target`, the column the model learns to
    /// predict: a rule on it would read the answer.
    ///
    /// # Errors
    /// [`IcpError::InvalidRule`] with [`RuleProblem::ReadsTarget`] naming the first such rule.
    pub fn check_target(&self, target: &str) -> Result<()> {
        for rule in &self.rules {
            if rule.when.iter().chain(&rule.any).any(|c| c.field == target) {
                return Err(IcpError::InvalidRule {
                    rule: rule.name.clone(),
                    field: target.to_string(),
                    problem: RuleProblem::ReadsTarget,
                });
            }
        }
        Ok(())
    }

    /// The `one_of` levels that no row of `frame` has (compared after
    /// trimming and lower-casing, as scoring does), each as a
    /// [`FitWarning::UnseenLevel`] naming the rule, in rule order. Fields
    /// absent from `frame` or of another kind are left to [`RuleSet::bind`].
    pub fn unseen_levels(&self, frame: &Frame) -> Vec<FitWarning> {
        let mut out = Vec::new();
        for rule in &self.rules {
            for c in rule.when.iter().chain(&rule.any) {
                let (Some(set), Ok(column)) = (&c.one_of, frame.column(&c.field)) else { continue };
                let seen: HashSet<String> = match column {
                    Column::Categorical(cat) => {
                        let mut used = vec![false; cat.levels().len()];
                        for k in cat.codes() {
                            if let Some(u) = used.get_mut(*k as usize) {
                                *u = true;
                            }
                        }
                        cat.levels().iter().zip(&used).filter(|(_, u)| **u).map(|(l, _)| fold_level(l)).collect()
                    }
                    Column::Text(t) => t.iter().flatten().map(fold_level).collect(),
                    _ => continue,
                };
                for level in set.iter().filter(|l| !seen.contains(&fold_level(l))) {
                    out.push(FitWarning::UnseenLevel {
                        rule: rule.name.clone(),
                        field: c.field.clone(),
                        level: level.clone(),
                    });
                }
            }
        }
        out
    }

    fn validate(&self) -> Result<()> {
        let t = self.tiers;
        if !self.threshold.is_finite() {
            return Err(IcpError::BadThreshold { value: self.threshold });
        }
        if ![t.a, t.b, t.c].iter().all(|v| v.is_finite()) || t.a <= t.b || t.b <= t.c {
            return Err(IcpError::BadTiers { a: t.a, b: t.b, c: t.c });
        }
        let bad = |rule: &Rule, field: &str, problem| IcpError::InvalidRule {
            rule: rule.name.clone(),
            field: field.to_string(),
            problem,
        };
        // Every total of points an account can reach must stay finite.
        let mut reach = 0.0f64;
        for (i, rule) in self.rules.iter().enumerate() {
            if self.rules[..i].iter().any(|r| r.name == rule.name) {
                return Err(bad(rule, "", RuleProblem::DuplicateName));
            }
            if !rule.points.is_finite() {
                return Err(bad(rule, "", RuleProblem::BadPoints { points: rule.points }));
            }
            reach += rule.points.abs();
            if !reach.is_finite() {
                return Err(bad(rule, "", RuleProblem::PointsOverflow { points: rule.points }));
            }
            if rule.when.is_empty() && rule.any.is_empty() {
                return Err(bad(rule, "", RuleProblem::NoCondition));
            }
            for c in rule.when.iter().chain(&rule.any) {
                let range = c.min.is_some() || c.max.is_some();
                let tests: Vec<&'static str> = [
                    (c.min.is_some(), "min"),
                    (c.max.is_some(), "max"),
                    (c.one_of.is_some(), "one_of"),
                    (c.is.is_some(), "is"),
                    (c.missing.is_some(), "missing"),
                ]
                .into_iter()
                .filter_map(|(set, name)| set.then_some(name))
                .collect();
                let kinds = [range, c.one_of.is_some(), c.is.is_some(), c.missing.is_some()];
                match kinds.iter().filter(|&&k| k).count() {
                    0 => return Err(bad(rule, &c.field, RuleProblem::NoTest)),
                    1 => {}
                    _ => return Err(bad(rule, &c.field, RuleProblem::SeveralTests { tests })),
                }
                if range {
                    let finite = c.min.is_none_or(f64::is_finite) && c.max.is_none_or(f64::is_finite);
                    let ordered = match (c.min, c.max) {
                        (Some(a), Some(b)) => a < b,
                        _ => true,
                    };
                    if !finite || !ordered {
                        return Err(bad(rule, &c.field, RuleProblem::BadRange { min: c.min, max: c.max }));
                    }
                }
                if c.one_of.as_ref().is_some_and(Vec::is_empty) {
                    return Err(bad(rule, &c.field, RuleProblem::EmptySet));
                }
            }
        }
        Ok(())
    }

    /// Resolves every field against `frame`'s columns and checks that each
    /// test fits its column's kind.
    ///
    /// # Errors
    /// [`IcpError::InvalidRule`] with [`RuleProblem::UnknownField`] (listing
    /// the frame's columns) or [`RuleProblem::KindMismatch`] (naming the
    /// column's kind and the test).
    pub fn bind<'f>(&self, frame: &'f Frame) -> Result<BoundRules<'f>> {
        let mut rules = Vec::with_capacity(self.rules.len());
        for rule in &self.rules {
            let bind_all = |conds: &[Condition]| -> Result<Vec<BoundCondition<'f>>> {
                conds.iter().map(|c| bind_condition(rule, c, frame)).collect()
            };
            rules.push(BoundRule {
                code: sanitize_code(&rule.name),
                text: describe_rule(rule),
                points: rule.points,
                all: bind_all(&rule.when)?,
                any: bind_all(&rule.any)?,
            });
        }
        Ok(BoundRules { rules })
    }
}

/// The name of the rule whose entry holds the TOML error `e`, when the
/// error is inside one named rule: each entry of `rules` is read again on
/// its own, and the first that fails with the same message is the one.
fn rule_at_fault(text: &str, e: &toml::de::Error) -> Option<String> {
    let table: toml::Table = text.parse().ok()?;
    let rules = table.get("rules")?.as_array()?;
    rules.iter().find_map(|entry| {
        let name = entry.get("name").and_then(toml::Value::as_str)?;
        match entry.clone().try_into::<Rule>() {
            Err(own) if own.message() == e.message() => Some(name.to_string()),
            _ => None,
        }
    })
}

fn describe_rule(rule: &Rule) -> String {
    let mut parts: Vec<String> = rule.when.iter().map(Condition::describe).collect();
    if !rule.any.is_empty() {
        parts.push(format!("({})", rule.any.iter().map(Condition::describe).collect::<Vec<_>>().join(" or ")));
    }
    parts.join(" and ")
}

#[derive(Debug)]
enum Test {
    Range {
        min: f64,
        max: f64,
    },
    /// Per categorical level, whether it is accepted.
    Levels(Vec<bool>),
    Texts(Vec<String>),
    Is(bool),
    Missing(bool),
}

#[derive(Debug)]
struct BoundCondition<'f> {
    column: &'f Column,
    test: Test,
}

fn bind_condition<'f>(rule: &Rule, c: &Condition, frame: &'f Frame) -> Result<BoundCondition<'f>> {
    let err = |problem| IcpError::InvalidRule { rule: rule.name.clone(), field: c.field.clone(), problem };
    let column =
        frame.column(&c.field).map_err(|_| err(RuleProblem::UnknownField { available: frame.names().to_vec() }))?;
    let mismatch = |test| err(RuleProblem::KindMismatch { found: column.kind(), test });
    let test = if let Some(m) = c.missing {
        Test::Missing(m)
    } else if let Some(b) = c.is {
        if column.kind() != ColumnKind::Boolean {
            return Err(mismatch(RuleTest::Is(b)));
        }
        Test::Is(b)
    } else if let Some(set) = &c.one_of {
        let folded: Vec<String> = set.iter().map(|s| fold_level(s)).collect();
        match column {
            Column::Categorical(cat) => {
                Test::Levels(cat.levels().iter().map(|l| folded.contains(&fold_level(l))).collect())
            }
            Column::Text(_) => Test::Texts(folded),
            _ => return Err(mismatch(RuleTest::OneOf)),
        }
    } else {
        if column.kind() != ColumnKind::Numeric {
            return Err(mismatch(RuleTest::Range { min: c.min, max: c.max }));
        }
        Test::Range { min: c.min.unwrap_or(f64::NEG_INFINITY), max: c.max.unwrap_or(f64::INFINITY) }
    };
    Ok(BoundCondition { column, test })
}

impl BoundCondition<'_> {
    fn holds(&self, i: usize) -> bool {
        match (&self.test, self.column) {
            (Test::Missing(m), col) => col.is_missing(i) == *m,
            (Test::Is(b), Column::Boolean(v)) => v.get(i).copied().flatten() == Some(*b),
            (Test::Levels(ok), Column::Categorical(cat)) => {
                cat.code(i).is_some_and(|k| ok.get(k as usize).copied().unwrap_or(false))
            }
            (Test::Texts(set), Column::Text(v)) => v.get(i).is_some_and(|s| set.contains(&fold_level(s))),
            (Test::Range { min, max }, Column::Numeric(v)) => v.get(i).is_some_and(|x| x >= *min && x < *max),
            _ => false,
        }
    }
}

#[derive(Debug)]
struct BoundRule<'f> {
    code: String,
    text: String,
    points: f64,
    all: Vec<BoundCondition<'f>>,
    any: Vec<BoundCondition<'f>>,
}

impl BoundRule<'_> {
    fn fires(&self, i: usize) -> bool {
        self.all.iter().all(|c| c.holds(i)) && (self.any.is_empty() || self.any.iter().any(|c| c.holds(i)))
    }
}

/// A rule set resolved against one frame's columns.
#[derive(Debug)]
pub struct BoundRules<'f> {
    rules: Vec<BoundRule<'f>>,
}

impl BoundRules<'_> {
    /// Points of row `i` (0 for rows out of range).
    pub fn points(&self, i: usize) -> f64 {
        self.rules.iter().filter(|r| r.fires(i)).map(|r| r.points).sum()
    }

    /// Number of rules.
    pub(crate) fn len(&self) -> usize {
        self.rules.len()
    }

    /// Points of rule `r` when it fires on row `i`.
    #[inline]
    pub(crate) fn fired_points(&self, r: usize, i: usize) -> Option<f64> {
        self.rules.get(r).filter(|rule| rule.fires(i)).map(|rule| rule.points)
    }

    /// Factor code and text of rule `r`, as [`BoundRules::explain`] gives them.
    pub(crate) fn label(&self, r: usize) -> Option<(&str, &str)> {
        self.rules.get(r).map(|rule| (rule.code.as_str(), rule.text.as_str()))
    }

    /// The fired rules of row `i` as an explanation with baseline 0.
    pub fn explain(&self, i: usize) -> Explanation {
        let factors = self
            .rules
            .iter()
            .filter(|r| r.fires(i))
            .map(|r| Factor { code: r.code.clone(), text: r.text.clone(), contribution: r.points })
            .collect();
        Explanation::new(0.0, factors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Frame {
        Frame::new(vec![
            ("employees".into(), Column::numeric(vec![Some(50.0), Some(5.0), None])),
            ("industry".into(), Column::categorical([Some("Software"), Some("Retail"), None])),
            ("has_ecommerce".into(), Column::Boolean(vec![Some(true), Some(false), None])),
            ("title".into(), Column::text(vec![Some(" CEO "), None, Some("intern")])),
        ])
        .expect("valid")
    }

    #[test]
    fn fields_are_the_tested_columns_once_in_order() {
        let doc = include_str!("rules.rs");
        // The module docs' example file.
        let toml: String = doc
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.trim_start_matches("//!").trim_start_matches(' '))
            .collect::<Vec<_>>()
            .join("\n");
        let set = RuleSet::from_toml_str(&toml).expect("the documented example parses");
        assert_eq!(
            set.fields(),
            [
                "has_ecommerce", "employees", "country", "web_traffic_growth_90d", "funding_total_usd",
                "job_title_of_contact"
            ]
        );
    }

    fn problem(text: &str) -> (String, String, RuleProblem) {
        match RuleSet::from_toml_str(text) {
            Err(IcpError::InvalidRule { rule, field, problem }) => (rule, field, problem),
            other => panic!("expected InvalidRule, got {other:?}"),
        }
    }

    #[test]
    fn scores_every_kind_of_condition() {
        let set = RuleSet::from_toml_str(
            r#"
            threshold = 30
            [[rules]]
            name = "size"
            points = 10
            when = [{ field = "employees", min = 10, max = 100 }]
            [[rules]]
            name = "software"
            points = 20
            when = [{ field = "industry", one_of = ["software"] }]
            [[rules]]
            name = "ecom"
            points = 5
            when = [{ field = "has_ecommerce", is = true }]
            [[rules]]
            name = "exec or unknown size"
            points = 7
            any = [{ field = "title", one_of = ["ceo"] }, { field = "employees", missing = true }]
            "#,
        )
        .expect("valid rules");
        let f = frame();
        let b = set.bind(&f).expect("binds");
        assert_eq!(b.points(0), 42.0);
        assert_eq!(b.points(1), 0.0);
        assert_eq!(b.points(2), 7.0);
        assert!(set.is_qualified(b.points(0)));
        let e = b.explain(0);
        assert_eq!(e.total(), 42.0);
        assert_eq!(e.factors[0].code, "software");
        assert_eq!(set.tiers().tier(80.0), 'A');
        assert_eq!(set.tiers().tier(10.0), 'D');
    }

    #[test]
    fn points_whose_total_overflows_are_refused_on_the_rule_that_overflows() {
        let text = r#"
            threshold = 1
            [[rules]]
            name = "big"
            points = 1e308
            when = [{ field = "employees", min = 1 }]
            [[rules]]
            name = "bigger"
            points = -1e308
            when = [{ field = "industry", one_of = ["software"] }]
            "#;
        assert_eq!(problem(text), ("bigger".into(), String::new(), RuleProblem::PointsOverflow { points: -1e308 }));
        assert!(message(text).contains("overflow to infinity"), "{}", message(text));
        // One such rule alone is fine.
        let one = text.split("[[rules]]").take(2).collect::<Vec<_>>().join("[[rules]]");
        assert!(RuleSet::from_toml_str(&one).is_ok());
    }

    /// The message of a rules file's error.
    fn message(text: &str) -> String {
        match RuleSet::from_toml_str(text) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("expected an error for {text}"),
        }
    }

    #[test]
    fn mistakes_name_the_rule_and_the_field() {
        let head = "threshold = 1\n[[rules]]\nname = \"r1\"\npoints = 1\n";
        assert_eq!(
            problem(&format!("{head}when = [{{ field = \"x\" }}]")),
            ("r1".into(), "x".into(), RuleProblem::NoTest)
        );
        assert_eq!(
            problem(&format!("{head}when = [{{ field = \"x\", min = 1, is = true }}]")).2,
            RuleProblem::SeveralTests { tests: vec!["min", "is"] }
        );
        assert_eq!(
            problem(&format!("{head}when = [{{ field = \"x\", min = 5, max = 1 }}]")).2,
            RuleProblem::BadRange { min: Some(5.0), max: Some(1.0) }
        );
        assert_eq!(problem(&format!("{head}when = [{{ field = \"x\", one_of = [] }}]")).2, RuleProblem::EmptySet);
        assert_eq!(problem(head).2, RuleProblem::NoCondition);
        let dup = format!(
            "{head}when = [{{ field = \"x\", is = true }}]\n[[rules]]\nname = \"r1\"\npoints = 2\nwhen = [{{ field = \"x\", is = true }}]"
        );
        assert_eq!(problem(&dup).2, RuleProblem::DuplicateName);
        // Unknown keys and bad TOML are syntax errors.
        assert!(matches!(
            RuleSet::from_toml_str(&format!("{head}when = [{{ field = \"x\", minimum = 1 }}]")),
            Err(IcpError::RulesSyntax { .. })
        ));
        assert!(matches!(RuleSet::from_toml_str("threshold = "), Err(IcpError::RulesSyntax { rule: None, .. })));
        assert!(matches!(
            RuleSet::from_toml_str("threshold = 1\nrules = []\n[tiers]\nA = 1\nB = 2\nC = 3\n"),
            Err(IcpError::BadTiers { .. })
        ));
    }

    #[test]
    fn every_parse_error_says_in_words_what_to_fix() {
        let head = "threshold = 1\n[[rules]]\nname = \"r1\"\npoints = 1\n";
        let cases = [
            (
                format!("{head}when = [{{ field = \"x\" }}]"),
                "rule `r1`: field `x` has no test; give one of `min`/`max`, `one_of`, `is` or `missing`",
            ),
            (
                format!("{head}when = [{{ field = \"x\", min = 1, is = true }}]"),
                "rule `r1`: field `x` has several tests (`min`, `is`) in one condition; give one test per condition",
            ),
            (
                format!("{head}when = [{{ field = \"x\", min = 5, max = 1 }}]"),
                "rule `r1`: field `x` has `min = 5` not below `max = 1`",
            ),
            (
                format!("{head}when = [{{ field = \"x\", max = inf }}]"),
                "rule `r1`: field `x` has `max = inf`, which is not a finite number",
            ),
            (format!("{head}when = [{{ field = \"x\", one_of = [] }}]"), "rule `r1`: field `x` has an empty `one_of`"),
            (head.to_string(), "rule `r1`: has no condition; give `when` (all must hold) and/or `any`"),
            (
                "threshold = 1\n[[rules]]\nname = \"r1\"\npoints = nan\nwhen = [{ field = \"x\", is = true }]".into(),
                "rule `r1`: `points = NaN` is not a finite number",
            ),
            (
                format!(
                    "{head}when = [{{ field = \"x\", is = true }}]\n{}when = [{{ field = \"y\", is = true }}]",
                    &head[14..]
                ),
                "rule `r1`: is defined twice; rule names must be unique",
            ),
            (
                "threshold = 1\nrules = []\n[tiers]\nA = 1\nB = 2\nC = 3\n".into(),
                "tier cut points must be finite and decreasing (A > B > C); found A = 1, B = 2, C = 3",
            ),
            ("threshold = nan\nrules = []\n".into(), "rules file: `threshold = NaN` is not a finite number"),
            // Syntax: the parser's line and words, and the rule when the error is inside one.
            (
                format!("{head}when = [{{ field = \"x\", minimum = 1 }}]"),
                "rules file, rule `r1`: TOML parse error at line 5",
            ),
            (format!("{head}when = [{{ field = \"x\", minimum = 1 }}]"), "unknown field `minimum`"),
            (
                "threshold = 1\n[[rules]]\nname = \"r1\"\npoints = \"25\"\nwhen = [{ field = \"x\", min = 1 }]".into(),
                "rules file, rule `r1`: TOML parse error at line 4",
            ),
            (
                "threshold = 1\n[[rules]]\npoints = 1\nwhen = [{ field = \"x\", min = 1 }]".into(),
                "missing field `name`",
            ),
            ("threshold = \n".into(), "rules file: TOML parse error at line 1"),
            ("threshold = 1\nfoo = 2\nrules = []\n".into(), "unknown field `foo`"),
        ];
        for (text, expected) in cases {
            let m = message(&text);
            assert!(m.contains(expected), "{m:?} should contain {expected:?}");
            assert!(!m.contains("Some(") && !m.contains("KindMismatch"), "{m}");
        }
    }

    #[test]
    fn binding_checks_fields_and_kinds() {
        let f = frame();
        let unknown = RuleSet::from_toml_str(
            "threshold = 1\n[[rules]]\nname = \"r\"\npoints = 1\nwhen = [{ field = \"nope\", is = true }]",
        )
        .expect("valid");
        let e = unknown.bind(&f).expect_err("unknown field");
        assert!(
            matches!(&e, IcpError::InvalidRule { problem: RuleProblem::UnknownField { available }, .. } if available.len() == 4)
        );
        assert_eq!(
            e.to_string(),
            "rule `r`: field `nope` is not a column of the data; it has: employees, industry, has_ecommerce, title"
        );
        let mismatch = RuleSet::from_toml_str(
            "threshold = 1\n[[rules]]\nname = \"r\"\npoints = 1\nwhen = [{ field = \"industry\", min = 1 }]",
        )
        .expect("valid");
        let e = mismatch.bind(&f).expect_err("range on a label");
        assert!(matches!(
            &e,
            IcpError::InvalidRule {
                problem: RuleProblem::KindMismatch { found: ColumnKind::Categorical, test: RuleTest::Range { .. } },
                ..
            }
        ));
        assert_eq!(
            e.to_string(),
            "rule `r`: field `industry` is categorical in the data, but the rule tests it with `min = 1` \
             (a numeric range); for labels write `one_of = [...]`"
        );
        let cases = [
            (
                "name = \"sells_online\"\npoints = 1\nwhen = [{ field = \"employees\", is = true }]",
                "rule `sells_online`: field `employees` is numeric in the data, but the rule tests it with `is = true` \
                 (a yes/no test); for a 0/1 number write `min = 1` (or `max = 1`)",
            ),
            (
                "name = \"r\"\npoints = 1\nany = [{ field = \"has_ecommerce\", one_of = [\"yes\"] }]",
                "rule `r`: field `has_ecommerce` is boolean in the data, but the rule tests it with `one_of` \
                 (a list of values, for a categorical or text column); for a yes/no column write `is = true` or `is = false`",
            ),
            (
                "name = \"r\"\npoints = 1\nwhen = [{ field = \"title\", min = 1, max = 3 }]",
                "rule `r`: field `title` is text in the data, but the rule tests it with `min = 1, max = 3` (a numeric range); \
                 for labels write `one_of = [...]`",
            ),
        ];
        for (rule, expected) in cases {
            let set = RuleSet::from_toml_str(&format!("threshold = 1\n[[rules]]\n{rule}")).expect("valid");
            assert_eq!(set.bind(&f).expect_err("mismatch").to_string(), expected);
        }
    }

    #[test]
    fn toml_round_trip() {
        let set = RuleSet::from_toml_str(
            "threshold = 5\n[[rules]]\nname = \"r\"\npoints = 2.5\nwhen = [{ field = \"a\", min = 1 }, { field = \"b\", one_of = [\"x\"] }]\nany = [{ field = \"c\", missing = false }]",
        )
        .expect("valid");
        let text = set.to_toml_string().expect("serialise");
        assert_eq!(RuleSet::from_toml_str(&text).expect("reads back"), set);
    }
}
