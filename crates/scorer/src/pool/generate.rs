//! A seeded generator of account pools with a known true propensity.
//!
//! It follows the same recipe as the benchmark generator in the shared
//! bench folder (firmographics, free-text titles, ~150 countries, injected
//! revenue anomalies, a hidden logistic propensity, activity events coupled
//! to propensity), so that examples, tests and benches need nothing outside
//! the repository. Random numbers come from ChaCha8 with the given seed:
//! the same settings give the same rows, byte for byte, on every platform.

use super::records::{AccountRecord, EventRecord};
use crate::core::numeric::sigmoid;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Exp, Gamma, LogNormal, Poisson, StandardNormal};

const DAY: i64 = 86_400;

/// Industries of generated accounts.
pub const INDUSTRIES: [&str; 20] = [
    "Apparel & Fashion", "Consumer Electronics", "Health & Beauty", "Home & Garden", "Food & Beverage",
    "Sports & Outdoors", "Software", "IT Services", "Financial Services", "Marketing & Advertising", "Education",
    "Healthcare", "Manufacturing", "Logistics", "Real Estate", "Travel & Hospitality", "Media & Entertainment",
    "Automotive", "Toys & Games", "Jewelry & Accessories",
];

/// Business models with their share, effect on log-odds and chance of selling online.
const BUSINESS_MODELS: [(&str, f64, f64, f64); 5] = [
    ("ecommerce", 0.34, 0.8, 0.95),
    ("saas", 0.22, 0.0, 0.08),
    ("services", 0.24, -0.5, 0.10),
    ("marketplace", 0.08, 0.5, 0.80),
    ("other", 0.12, -0.7, 0.30),
];

const COUNTRIES: &str = "US GB DE FR CA AU NL SE ES IT IN BR MX JP SG IE CH DK NO FI BE AT PL PT NZ IL AE ZA AR CL \
CO PE KR CN HK TW TH MY ID PH VN TR GR CZ HU RO BG HR SI SK EE LV LT UA RS EG NG KE MA SA \
QA KW BH OM JO LB PK BD LK NP KZ UZ GE AM AZ IS LU MT CY MC LI AD BY MD AL MK BA ME GH TZ \
UG RW ET SN CI CM DZ TN ZM ZW BW NA MZ AO MU CR PA GT HN SV NI DO PR JM TT BS BB UY PY BO \
EC VE KH LA MM MN BN FJ PG IQ AF TJ KG TM LY SD MG ML NE BF BJ TG GA CG GN SL LR MW BI SO";
const TIER1: [&str; 11] = ["US", "GB", "DE", "CA", "AU", "NL", "SE", "DK", "NO", "CH", "IE"];

/// (spellings, seniority effect on log-odds, base frequency)
const TITLES: [(&[&str], f64, f64); 12] = [
    (&["CEO", "ceo", "C.E.O.", "Chief Executive Officer"], 0.5, 6.0),
    (&["Founder", "Co-Founder", "co founder", "Founder & CEO"], 0.55, 7.0),
    (&["Owner", "Business Owner", "Store Owner"], 0.55, 5.0),
    (&["VP Marketing", "VP of Marketing", "Vice President, Marketing", "vp marketing"], 0.4, 6.0),
    (&["Head of Growth", "Head of E-commerce", "head of ecom"], 0.35, 7.0),
    (&["Director of Marketing", "Marketing Director", "Dir. Marketing"], 0.3, 7.0),
    (&["Marketing Manager", "Mktg Manager", "Marketing Mgr", "Sr. Marketing Manager"], 0.1, 8.0),
    (&["E-commerce Manager", "eCommerce Mgr", "Ecommerce Manager"], 0.1, 6.0),
    (&["Marketing Specialist", "Growth Marketer", "SEO Specialist"], 0.0, 6.0),
    (&["Software Engineer", "Developer", "Engineer"], 0.0, 4.0),
    (&["Account Executive", "Sales Rep", "SDR"], 0.0, 4.0),
    (&["Intern", "Marketing Assistant", "Coordinator"], -0.4, 4.0),
];
const MISSING_TITLE_EFFECT: f64 = -0.2;

/// Kinds of injected revenue anomalies, as written in [`Truth::anomaly`].
pub const ANOMALY_KINDS: [&str; 4] =
    ["tiny_company_huge_revenue", "negative_revenue", "missing_revenue", "unit_error_x1000"];

/// The hidden truth of one generated account.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// The account.
    pub account_id: String,
    /// True probability of converting.
    pub p_true: f64,
    /// Injected anomaly kind, empty when none (see [`ANOMALY_KINDS`]).
    pub anomaly: &'static str,
}

/// A generated pool: accounts, their activity log and the hidden truth.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedPool {
    /// One row per account.
    pub accounts: Vec<AccountRecord>,
    /// Activities, in time order.
    pub events: Vec<EventRecord>,
    /// Hidden truth per account, in account order.
    pub truth: Vec<Truth>,
    /// True effect on log-odds of `has_ecommerce = true` (for recovery tests).
    pub effect_has_ecommerce: f64,
    /// True effect per unit of `web_traffic_growth_90d`.
    pub effect_growth: f64,
}

/// Settings of the generator. Build with [`PoolGenerator::new`] and setters.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolGenerator {
    n: usize,
    seed: u64,
    now: i64,
    events: bool,
    mean_events: f64,
    reps: usize,
}

/// Most accounts a [`PoolGenerator`] makes: 100 million (about 40 GB of
/// rows, with ten times as many events).
pub const MAX_ACCOUNTS: usize = 100_000_000;

/// Most rows reserved up front: larger pools grow as they are generated.
const RESERVED_ROWS: usize = 1 << 20;

impl PoolGenerator {
    /// `n` accounts, seed 42, "now" 2026-01-01T00:00:00Z, events on, ~10
    /// events per account, 12 reps.
    ///
    /// `n` above [`MAX_ACCOUNTS`] is taken as [`MAX_ACCOUNTS`]; use
    /// [`PoolGenerator::try_new`] to have it refused instead (a count from
    /// a user).
    pub fn new(n: usize) -> Self {
        PoolGenerator {
            n: n.min(MAX_ACCOUNTS),
            seed: 42,
            now: 1_767_225_600,
            events: true,
            mean_events: 10.0,
            reps: 12,
        }
    }

    /// `n` accounts as [`PoolGenerator::new`], refusing a count above
    /// [`MAX_ACCOUNTS`].
    ///
    /// ```
    /// use acctscore_scorer::pool::{MAX_ACCOUNTS, PoolError, PoolGenerator};
    ///
    /// assert!(PoolGenerator::try_new(1_000).is_ok());
    /// let e = PoolGenerator::try_new(usize::MAX).unwrap_err();
    /// assert!(matches!(e, PoolError::TooManyAccounts { requested: usize::MAX, max: MAX_ACCOUNTS }));
    /// ```
    ///
    /// # Errors
    /// [`PoolError::TooManyAccounts`](super::PoolError::TooManyAccounts).
    pub fn try_new(n: usize) -> Result<Self, super::PoolError> {
        if n > MAX_ACCOUNTS {
            return Err(super::PoolError::TooManyAccounts { requested: n, max: MAX_ACCOUNTS });
        }
        Ok(PoolGenerator::new(n))
    }

    /// The number of accounts it generates.
    pub fn accounts(&self) -> usize {
        self.n
    }

    /// The random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The reference time (Unix seconds): events lie in the year before it.
    pub fn now(mut self, now: i64) -> Self {
        self.now = now;
        self
    }

    /// Whether to generate events.
    pub fn events(mut self, on: bool) -> Self {
        self.events = on;
        self
    }

    /// Number of reps events are spread over (0 = no `rep_id`).
    pub fn reps(mut self, reps: usize) -> Self {
        self.reps = reps;
        self
    }

    /// The reference time.
    pub fn reference_time(&self) -> i64 {
        self.now
    }

    /// Generates the pool.
    pub fn generate(&self) -> GeneratedPool {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let countries: Vec<&str> = COUNTRIES.split_whitespace().collect();
        let ind_w: Vec<f64> = (1..=INDUSTRIES.len()).map(|k| (k as f64).powf(-0.7)).collect();
        let country_w: Vec<f64> = (1..=countries.len()).map(|k| (k as f64).powf(-1.1)).collect();
        let bm_w: Vec<f64> = BUSINESS_MODELS.iter().map(|b| b.1).collect();
        let title_w: Vec<f64> = TITLES.iter().map(|t| t.2).collect();
        let std_normal = StandardNormal;
        let industry_effect: Vec<f64> =
            (0..INDUSTRIES.len()).map(|_| 0.5 * Distribution::<f64>::sample(&std_normal, &mut rng)).collect();
        let ref_year = 1970.0 + (self.now as f64 / (365.2425 * DAY as f64)).floor();

        let reserved = self.n.min(RESERVED_ROWS);
        let mut accounts = Vec::with_capacity(reserved);
        let mut latent = Vec::with_capacity(reserved);
        let mut truth = Vec::with_capacity(reserved);
        let effect_has_ecommerce = 1.0;
        let effect_growth = 0.8;
        for i in 0..self.n {
            let industry = pick(&mut rng, &ind_w);
            let bm = BUSINESS_MODELS[pick(&mut rng, &bm_w)];
            let country_idx = pick(&mut rng, &country_w);
            let le = (2.6 + 1.5 * Distribution::<f64>::sample(&std_normal, &mut rng)).exp().round().max(1.0).ln();
            let employees = le.exp().round();
            let age = lognormal(&mut rng, 2.0 + 0.15 * (le - 2.6), 0.8).round().clamp(0.0, 125.0);
            let funded =
                rng.random::<f64>() < sigmoid(-1.4 + 0.45 * (le - 2.6) + if bm.0 == "saas" { 0.6 } else { 0.0 });
            let funding = if funded {
                (lognormal(&mut rng, 14.0 + 0.5 * (le - 2.6), 1.3) / 1000.0).round() * 1000.0
            } else {
                0.0
            };
            let last_round =
                funded.then(|| (Exp::new(1.0 / 600.0).map_or(600.0_f64, |e| e.sample(&mut rng))).round().min(5000.0));
            let lt = 7.0 + 0.8 * (le - 2.6) + 1.2 * Distribution::<f64>::sample(&std_normal, &mut rng);
            let traffic = if rng.random::<f64>() < 0.02 { 0.0 } else { lt.exp().round() };
            let growth = ((0.03 + 0.25 * Distribution::<f64>::sample(&std_normal, &mut rng)).clamp(-0.9, 5.0) * 1e4)
                .round()
                / 1e4;
            let growth = (rng.random::<f64>() >= 0.03).then_some(growth);
            let has_ecom = rng.random::<f64>() < bm.3;
            let price = (has_ecom && rng.random::<f64>() >= 0.05)
                .then(|| (lognormal(&mut rng, 45f64.ln(), 1.0) * 100.0).round() / 100.0);
            let conv = has_ecom.then(|| {
                let b = Beta::new(2.0, 70.0).map_or(0.028_f64, |b| b.sample(&mut rng));
                (b * 1e5).round() / 1e5
            });
            let (title, seniority_effect) = if rng.random::<f64>() < 0.04 {
                (None, MISSING_TITLE_EFFECT)
            } else {
                let t = &TITLES[pick(&mut rng, &title_w)];
                let spelling = t.0[rng.random_range(0..t.0.len())];
                let noisy = match rng.random_range(0..20) {
                    0 => spelling.to_uppercase(),
                    1 => spelling.to_lowercase(),
                    2 => format!("  {spelling} "),
                    _ => spelling.to_string(),
                };
                (Some(noisy), t.1)
            };
            let tier = if TIER1.contains(&countries[country_idx]) {
                0.4
            } else if country_idx >= 60 {
                -0.5
            } else {
                0.0
            };
            let lt_z = (traffic.ln_1p() - 7.0) / 1.6;
            let recent_round = last_round.is_some_and(|d| d < 365.0);
            let z = 0.30 * (le - 2.6) - 0.06 * (le - 2.6).powi(2)
                + effect_has_ecommerce * f64::from(u8::from(has_ecom))
                + bm.2
                + industry_effect[industry]
                + 0.4 * f64::from(u8::from(funded))
                + 0.3 * f64::from(u8::from(recent_round))
                + 0.30 * lt_z
                + effect_growth * growth.unwrap_or(0.0)
                + 8.0 * (conv.unwrap_or(0.028) - 0.028)
                + tier
                + seniority_effect;
            let log_rev = 8.6
                + 0.9 * (le - 2.6)
                + 0.25 * lt_z
                + 0.3 * f64::from(u8::from(has_ecom))
                + 0.8 * Distribution::<f64>::sample(&std_normal, &mut rng);
            let mut revenue = Some((log_rev.exp() * 100.0).round() / 100.0);
            let mut employees = employees;
            let u: f64 = rng.random();
            let anomaly = if u < 0.002 {
                employees = 1.0;
                revenue = Some((rng.random_range(1.2e6..5.0e7) * 100.0_f64).round() / 100.0);
                ANOMALY_KINDS[0]
            } else if u < 0.003 {
                revenue = revenue.map(|r| -r);
                ANOMALY_KINDS[1]
            } else if u < 0.013 {
                revenue = None;
                ANOMALY_KINDS[2]
            } else if u < 0.0135 {
                revenue = revenue.map(|r| r * 1000.0);
                ANOMALY_KINDS[3]
            } else {
                ""
            };
            let id = format!("acct_{i:07}");
            latent.push(z);
            truth.push(Truth { account_id: id.clone(), p_true: z, anomaly });
            accounts.push(AccountRecord {
                account_id: id,
                industry: Some(INDUSTRIES[industry].to_string()),
                business_model: Some(bm.0.to_string()),
                employees: Some(employees),
                founded_year: Some(ref_year - age),
                funding_total_usd: Some(funding),
                funding_last_round_days_ago: last_round,
                web_traffic_monthly: Some(traffic),
                web_traffic_growth_90d: growth,
                has_ecommerce: Some(has_ecom),
                sku_avg_price: price,
                conversion_rate: conv,
                country: Some(countries[country_idx].to_string()),
                job_title_of_contact: title,
                monthly_revenue_usd: revenue,
                converted: None,
            });
        }
        // Intercept for a 5% base rate, then labels.
        let b0 = solve_intercept(&latent, 0.05);
        for (k, (acc, t)) in accounts.iter_mut().zip(truth.iter_mut()).enumerate() {
            t.p_true = sigmoid(latent[k] + b0);
            acc.converted = Some(rng.random::<f64>() < t.p_true);
            latent[k] += b0;
        }
        let events = if self.events { self.gen_events(&accounts, &latent) } else { Vec::new() };
        GeneratedPool { accounts, events, truth, effect_has_ecommerce, effect_growth }
    }

    fn gen_events(&self, accounts: &[AccountRecord], latent: &[f64]) -> Vec<EventRecord> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed.wrapping_add(1));
        let mean_latent = latent.iter().sum::<f64>() / latent.len().max(1) as f64;
        let w: Vec<f64> = latent.iter().map(|z| (0.35 * (z - mean_latent)).exp()).collect();
        let mean_w = w.iter().sum::<f64>() / w.len().max(1) as f64;
        let r = 0.7; // negative-binomial dispersion: many accounts with 0-2 events, a long tail
        let mut events = Vec::new();
        for (k, acc) in accounts.iter().enumerate() {
            let mu = self.mean_events * w[k] / mean_w;
            let lambda = Gamma::new(r, mu / r).map_or(mu, |g| g.sample(&mut rng));
            let count =
                if lambda > 0.0 { Poisson::new(lambda).map_or(0.0, |p| p.sample(&mut rng)) as usize } else { 0 };
            let p = if acc.converted == Some(true) { [0.62, 0.22] } else { [0.76, 0.17] };
            for _ in 0..count {
                let c: f64 = rng.random();
                let kind = if c < p[0] {
                    "email"
                } else if c < p[0] + p[1] {
                    "call"
                } else {
                    "meeting"
                };
                let age = if rng.random::<f64>() < 0.4 {
                    Exp::new(1.0 / (45.0 * DAY as f64)).map_or(0.0, |e| e.sample(&mut rng))
                } else {
                    rng.random_range(0.0..(365 * DAY) as f64)
                };
                let age = (age as i64).min(365 * DAY - 1);
                let rep_id = (self.reps > 0).then(|| format!("rep_{:02}", rng.random_range(0..self.reps)));
                events.push(EventRecord {
                    account_id: acc.account_id.clone(),
                    kind: kind.to_string(),
                    timestamp: self.now - age,
                    rep_id,
                });
            }
        }
        // Event logs are in time order, not grouped by account.
        events.sort_by_key(|e| e.timestamp);
        events
    }
}

fn lognormal(rng: &mut ChaCha8Rng, mu: f64, sigma: f64) -> f64 {
    LogNormal::new(mu, sigma).map_or(mu.exp(), |d| d.sample(rng))
}

/// Index drawn with probability proportional to `weights`.
fn pick(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

fn solve_intercept(z: &[f64], target: f64) -> f64 {
    let (mut lo, mut hi) = (-20.0, 20.0);
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        let mean = z.iter().map(|v| sigmoid(v + mid)).sum::<f64>() / z.len().max(1) as f64;
        if mean > target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_pool_other_seed_other_pool() {
        let a = PoolGenerator::new(300).seed(3).generate();
        let b = PoolGenerator::new(300).seed(3).generate();
        let c = PoolGenerator::new(300).seed(4).generate();
        assert_eq!(a, b);
        assert_ne!(a.accounts, c.accounts);
    }

    #[test]
    fn an_account_count_beyond_the_maximum_is_refused_or_capped_never_a_capacity_overflow() {
        let e = PoolGenerator::try_new(usize::MAX).expect_err("refused");
        assert!(matches!(e, crate::pool::PoolError::TooManyAccounts { requested: usize::MAX, max: MAX_ACCOUNTS }));
        assert_eq!(e.to_string(), "18446744073709551615 accounts requested; the generator makes at most 100000000");
        assert!(PoolGenerator::try_new(MAX_ACCOUNTS + 1).is_err());
        assert_eq!(PoolGenerator::try_new(MAX_ACCOUNTS).expect("the maximum").accounts(), MAX_ACCOUNTS);
        assert_eq!(PoolGenerator::try_new(0).expect("none").events(false).generate().accounts.len(), 0);
        assert_eq!(PoolGenerator::new(usize::MAX).accounts(), MAX_ACCOUNTS);
        // The same rows whether reserved up front or grown past the reservation.
        assert_eq!(
            PoolGenerator::try_new(300).expect("valid").seed(3).generate(),
            PoolGenerator::new(300).seed(3).generate()
        );
    }

    #[test]
    fn pool_has_realistic_shape() {
        let p = PoolGenerator::new(20_000).seed(1).generate();
        let rate = p.accounts.iter().filter(|a| a.converted == Some(true)).count() as f64 / 20_000.0;
        assert!((0.035..0.065).contains(&rate), "base rate {rate}");
        let anomalies = p.truth.iter().filter(|t| !t.anomaly.is_empty()).count();
        assert!((150..400).contains(&anomalies), "anomalies {anomalies}");
        let per_account = p.events.len() as f64 / 20_000.0;
        assert!((7.0..13.0).contains(&per_account), "events per account {per_account}");
        assert!(p.events.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
        assert!(p.accounts.iter().any(|a| a.job_title_of_contact.is_none()));
    }
}
