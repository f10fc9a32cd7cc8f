//! Explanations: the factors behind a score.
//!
//! Every score carries a baseline and factors whose contributions sum, with
//! the baseline, to the raw score (points for rules, log-odds for learned
//! models). [`Explanation::top`] keeps the `k` largest by magnitude and
//! sums the rest into one `other` factor, so the identity still holds.

use serde::{Deserialize, Serialize};

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
        factors.push(Factor { code: OTHER_CODE.to_string(), text: "all other factors".to_string(), contribution: rest });
        Explanation { baseline: self.baseline, factors }
    }
}

/// Makes a code safe: `:` and `;` become `_`, whitespace becomes `_`, lower case.
pub fn sanitize_code(s: &str) -> String {
    s.trim().chars().map(|c| if c == ':' || c == ';' || c.is_whitespace() { '_' } else { c.to_ascii_lowercase() }).collect()
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
