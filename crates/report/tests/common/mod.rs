//! A small seeded simulated scoring shared by the integration tests.

use acctscore_core::numeric::{SplitMix64, sigmoid};
use acctscore_report::{ReportInput, ScoreReason};

/// A roughly standard normal draw (sum of 12 uniforms, minus 6).
fn normal(rng: &mut SplitMix64) -> f64 {
    (0..12).map(|_| rng.next_f64()).sum::<f64>() - 6.0
}

fn tier(score: f64) -> char {
    acctscore_core::tier_letter(score, 0.35, 0.2, 0.1)
}

const CODES: [&str; 9] = [
    "industry_software", "employees_200_1000", "region_emea", "revenue_in_range", "uses_crm", "recent_funding",
    "small_team", "industry_retail", "other",
];

/// What a scorer would give for `n` accounts: a known propensity, an
/// outcome drawn from it, a noisy calibrated score, tiers by score, an
/// earlier (noisier) baseline scoring, and 3–5 reasons per account.
pub(crate) struct Simulated {
    pub scores: Vec<f64>,
    pub outcomes: Vec<bool>,
    pub tiers: Vec<char>,
    pub baseline_scores: Vec<f64>,
    pub baseline_tiers: Vec<char>,
    pub factors: Vec<Vec<ScoreReason>>,
}

pub(crate) fn simulate(n: usize, seed: u64) -> Simulated {
    let mut rng = SplitMix64::new(seed);
    let mut s = Simulated {
        scores: Vec::new(),
        outcomes: Vec::new(),
        tiers: Vec::new(),
        baseline_scores: Vec::new(),
        baseline_tiers: Vec::new(),
        factors: Vec::new(),
    };
    for _ in 0..n {
        let z = normal(&mut rng);
        let truth = sigmoid(-2.0 + 1.2 * z);
        s.outcomes.push(rng.next_f64() < truth);
        let score = sigmoid(-2.0 + 1.2 * z + 0.4 * normal(&mut rng));
        let base = sigmoid(-2.1 + 0.9 * z + 0.8 * normal(&mut rng));
        s.scores.push(score);
        s.tiers.push(tier(score));
        s.baseline_scores.push(base);
        s.baseline_tiers.push(tier(base));
        let k = 3 + rng.below(3);
        let mut list = Vec::new();
        let start = rng.below(CODES.len());
        for j in 0..k {
            let code = CODES[(start + j) % CODES.len()];
            let sign = if code == "small_team" || code == "industry_retail" { -1.0 } else { 1.0 };
            list.push(ScoreReason::new(code, sign * (0.01 + 0.1 * rng.next_f64()) * (1.0 + z.max(0.0))));
        }
        s.factors.push(list);
    }
    s
}

/// The simulated scoring as a report input with a baseline and reasons.
pub(crate) fn input(n: usize, seed: u64) -> ReportInput {
    let s = simulate(n, seed);
    ReportInput::new(&s.scores, &s.outcomes, &s.tiers)
        .and_then(|i| i.with_baseline(&s.baseline_scores, &s.baseline_tiers))
        .and_then(|i| i.with_factors(&s.factors))
        .map(|i| i.title("Simulated pool").score_name("icp"))
        .expect("the simulated scoring is valid")
}
