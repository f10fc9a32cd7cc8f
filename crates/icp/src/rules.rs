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
use crate::{IcpError, Result, RuleProblem};
use acctscore_features::encode::fold_level;
use acctscore_features::{Column, ColumnKind, Frame};
use serde::{Deserialize, Serialize};

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
pub struct Tiers {
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

impl Default for Tiers {
    fn default() -> Self {
        Tiers { a: 75.0, b: 50.0, c: 25.0 }
    }
}

impl Tiers {
    /// The tier letter of a score.
    pub fn tier(&self, score: f64) -> char {
        if score >= self.a {
            'A'
        } else if score >= self.b {
            'B'
        } else if score >= self.c {
            'C'
        } else {
            'D'
        }
    }
}

/// A validated set of weighted rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    threshold: f64,
    #[serde(default)]
    tiers: Tiers,
    rules: Vec<Rule>,
}

impl RuleSet {
    /// Builds and validates a rule set.
    ///
    /// # Errors
    /// [`IcpError::InvalidRule`] naming the rule and field, or [`IcpError::BadTiers`].
    pub fn new(threshold: f64, tiers: Tiers, rules: Vec<Rule>) -> Result<Self> {
        let set = RuleSet { threshold, tiers, rules };
        set.validate()?;
        Ok(set)
    }

    /// Parses and validates a TOML rules file.
    ///
    /// # Errors
    /// [`IcpError::RulesSyntax`] for TOML errors and unknown keys, then as [`RuleSet::new`].
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let set: RuleSet = toml::from_str(text).map_err(|e| IcpError::RulesSyntax { reason: e.to_string() })?;
        set.validate()?;
        Ok(set)
    }

    /// Writes the rule set as TOML (reads back to an equal set).
    ///
    /// # Errors
    /// [`IcpError::RulesSyntax`] if serialisation fails.
    pub fn to_toml_string(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| IcpError::RulesSyntax { reason: e.to_string() })
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
    pub fn tiers(&self) -> Tiers {
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

    fn validate(&self) -> Result<()> {
        let t = self.tiers;
        if ![t.a, t.b, t.c, self.threshold].iter().all(|v| v.is_finite()) || t.a <= t.b || t.b <= t.c {
            return Err(IcpError::BadTiers);
        }
        let bad = |rule: &Rule, field: &str, problem| IcpError::InvalidRule {
            rule: rule.name.clone(),
            field: field.to_string(),
            problem,
        };
        for (i, rule) in self.rules.iter().enumerate() {
            if self.rules[..i].iter().any(|r| r.name == rule.name) {
                return Err(bad(rule, "", RuleProblem::DuplicateName));
            }
            if !rule.points.is_finite() {
                return Err(bad(rule, "", RuleProblem::BadPoints));
            }
            if rule.when.is_empty() && rule.any.is_empty() {
                return Err(bad(rule, "", RuleProblem::NoCondition));
            }
            for c in rule.when.iter().chain(&rule.any) {
                let range = c.min.is_some() || c.max.is_some();
                let kinds = [range, c.one_of.is_some(), c.is.is_some(), c.missing.is_some()];
                match kinds.iter().filter(|&&k| k).count() {
                    0 => return Err(bad(rule, &c.field, RuleProblem::NoTest)),
                    1 => {}
                    _ => return Err(bad(rule, &c.field, RuleProblem::SeveralTests)),
                }
                if range {
                    let finite = c.min.is_none_or(f64::is_finite) && c.max.is_none_or(f64::is_finite);
                    let ordered = match (c.min, c.max) {
                        (Some(a), Some(b)) => a < b,
                        _ => true,
                    };
                    if !finite || !ordered {
                        return Err(bad(rule, &c.field, RuleProblem::BadRange));
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
    /// [`IcpError::InvalidRule`] with [`RuleProblem::UnknownField`] or
    /// [`RuleProblem::KindMismatch`].
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
    let column = frame.column(&c.field).map_err(|_| err(RuleProblem::UnknownField))?;
    let test = if let Some(m) = c.missing {
        Test::Missing(m)
    } else if let Some(b) = c.is {
        if column.kind() != ColumnKind::Boolean {
            return Err(err(RuleProblem::KindMismatch));
        }
        Test::Is(b)
    } else if let Some(set) = &c.one_of {
        let folded: Vec<String> = set.iter().map(|s| fold_level(s)).collect();
        match column {
            Column::Categorical(cat) => {
                Test::Levels(cat.levels().iter().map(|l| folded.contains(&fold_level(l))).collect())
            }
            Column::Text(_) => Test::Texts(folded),
            _ => return Err(err(RuleProblem::KindMismatch)),
        }
    } else {
        if column.kind() != ColumnKind::Numeric {
            return Err(err(RuleProblem::KindMismatch));
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
                "has_ecommerce",
                "employees",
                "country",
                "web_traffic_growth_90d",
                "funding_total_usd",
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
    fn mistakes_name_the_rule_and_the_field() {
        let head = "threshold = 1\n[[rules]]\nname = \"r1\"\npoints = 1\n";
        assert_eq!(
            problem(&format!("{head}when = [{{ field = \"x\" }}]")),
            ("r1".into(), "x".into(), RuleProblem::NoTest)
        );
        assert_eq!(
            problem(&format!("{head}when = [{{ field = \"x\", min = 1, is = true }}]")).2,
            RuleProblem::SeveralTests
        );
        assert_eq!(problem(&format!("{head}when = [{{ field = \"x\", min = 5, max = 1 }}]")).2, RuleProblem::BadRange);
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
        assert!(matches!(RuleSet::from_toml_str("threshold = "), Err(IcpError::RulesSyntax { .. })));
        assert!(matches!(
            RuleSet::from_toml_str("threshold = 1\nrules = []\n[tiers]\nA = 1\nB = 2\nC = 3\n"),
            Err(IcpError::BadTiers)
        ));
    }

    #[test]
    fn binding_checks_fields_and_kinds() {
        let f = frame();
        let unknown = RuleSet::from_toml_str(
            "threshold = 1\n[[rules]]\nname = \"r\"\npoints = 1\nwhen = [{ field = \"nope\", is = true }]",
        )
        .expect("valid");
        assert!(matches!(unknown.bind(&f), Err(IcpError::InvalidRule { problem: RuleProblem::UnknownField, .. })));
        let mismatch = RuleSet::from_toml_str(
            "threshold = 1\n[[rules]]\nname = \"r\"\npoints = 1\nwhen = [{ field = \"industry\", min = 1 }]",
        )
        .expect("valid");
        assert!(matches!(mismatch.bind(&f), Err(IcpError::InvalidRule { problem: RuleProblem::KindMismatch, .. })));
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
