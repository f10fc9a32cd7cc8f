//! [`Probability`]: a finite value in `[0, 1]`.

use crate::{CoreError, Result};
use serde::{Deserialize, Serialize};

/// A probability: always finite and within `[0, 1]`.
///
/// The only ways to build one check the value, including deserialisation,
/// so holding a `Probability` is proof that it is valid.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Probability(f64);

impl Probability {
    /// Zero.
    pub const ZERO: Probability = Probability(0.0);
    /// One.
    pub const ONE: Probability = Probability(1.0);

    /// Checks that `value` is finite and in `[0, 1]`.
    ///
    /// # Errors
    /// [`CoreError::NonFinite`] for NaN or ±inf, [`CoreError::OutOfRange`]
    /// outside `[0, 1]`.
    pub fn new(value: f64) -> Result<Self> {
        if !value.is_finite() {
            return Err(CoreError::NonFinite { what: "probability", index: 0, value });
        }
        if !(0.0..=1.0).contains(&value) {
            return Err(CoreError::OutOfRange { what: "probability", value, min: 0.0, max: 1.0 });
        }
        Ok(Probability(value))
    }

    /// Clamps a finite value into `[0, 1]`; NaN is an error.
    ///
    /// For numeric routines whose result may stray by rounding (1 + 1e-16).
    ///
    /// # Errors
    /// [`CoreError::NonFinite`] for NaN.
    pub fn clamped(value: f64) -> Result<Self> {
        if value.is_nan() {
            return Err(CoreError::NonFinite { what: "probability", index: 0, value });
        }
        Ok(Probability(value.clamp(0.0, 1.0)))
    }

    /// The logistic function of a log-odds value: `1 / (1 + e^(-z))`.
    ///
    /// ±inf map to 1 and 0.
    ///
    /// # Errors
    /// [`CoreError::NonFinite`] for NaN.
    pub fn from_log_odds(z: f64) -> Result<Self> {
        if z.is_nan() {
            return Err(CoreError::NonFinite { what: "log-odds", index: 0, value: z });
        }
        Ok(Probability(crate::numeric::sigmoid(z)))
    }

    /// The value in `[0, 1]`.
    #[inline]
    pub fn get(self) -> f64 {
        self.0
    }

    /// Log-odds `ln(p / (1 - p))`; ±inf at 1 and 0.
    pub fn log_odds(self) -> f64 {
        (self.0 / (1.0 - self.0)).ln()
    }

    /// `1 - p`.
    pub fn complement(self) -> Self {
        Probability(1.0 - self.0)
    }
}

impl TryFrom<f64> for Probability {
    type Error = CoreError;
    fn try_from(value: f64) -> Result<Self> {
        Probability::new(value)
    }
}

impl From<Probability> for f64 {
    fn from(p: Probability) -> f64 {
        p.0
    }
}

impl std::fmt::Display for Probability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_invalid_values() {
        assert!(matches!(Probability::new(f64::NAN), Err(CoreError::NonFinite { .. })));
        assert!(matches!(Probability::new(f64::INFINITY), Err(CoreError::NonFinite { .. })));
        assert!(matches!(Probability::new(-0.1), Err(CoreError::OutOfRange { .. })));
        assert!(matches!(Probability::new(1.0 + 1e-12), Err(CoreError::OutOfRange { .. })));
        assert_eq!(Probability::new(0.0).map(Probability::get), Ok(0.0));
        assert_eq!(Probability::new(1.0).map(Probability::get), Ok(1.0));
    }

    #[test]
    fn complement_is_one_minus_p() {
        let p = |v: f64| Probability::new(v).expect("valid");
        assert_eq!(p(0.25).complement().get(), 0.75);
        assert_eq!(p(0.0).complement(), Probability::ONE);
        assert_eq!(p(1.0).complement(), Probability::ZERO);
        assert_eq!(p(0.5).complement().complement().get(), 0.5);
    }

    #[test]
    fn conversions_display_and_exact_values() {
        assert_eq!(Probability::try_from(0.125).map(f64::from), Ok(0.125));
        assert!(Probability::try_from(2.0).is_err());
        assert_eq!(Probability::new(0.5).expect("valid").to_string(), "0.5");
        assert_eq!(Probability::clamped(-3.0).map(Probability::get), Ok(0.0));
        assert_eq!(Probability::clamped(0.3).map(Probability::get), Ok(0.3));
        let e2 = (-2.0f64).exp();
        assert_eq!(Probability::from_log_odds(-2.0).map(Probability::get), Ok(e2 / (1.0 + e2)));
        let p = Probability::new(0.8).expect("valid");
        assert!((p.log_odds() - 4.0f64.ln()).abs() < 1e-15);
        assert_eq!(Probability::ZERO.log_odds(), f64::NEG_INFINITY);
        assert_eq!(Probability::ONE.log_odds(), f64::INFINITY);
    }

    #[test]
    fn clamped_and_log_odds() {
        assert_eq!(Probability::clamped(1.0 + 1e-16).map(Probability::get), Ok(1.0));
        assert!(Probability::clamped(f64::NAN).is_err());
        assert_eq!(Probability::from_log_odds(f64::INFINITY).map(Probability::get), Ok(1.0));
        assert_eq!(Probability::from_log_odds(f64::NEG_INFINITY).map(Probability::get), Ok(0.0));
        assert_eq!(Probability::from_log_odds(0.0).map(Probability::get), Ok(0.5));
        assert!(Probability::from_log_odds(f64::NAN).is_err());
    }

    #[test]
    fn deserialisation_checks_the_value() {
        let ok: Probability = serde_json::from_str("0.25").expect("valid");
        assert_eq!(ok.get(), 0.25);
        assert!(serde_json::from_str::<Probability>("1.5").is_err());
        assert!(serde_json::from_str::<Probability>("-0.5").is_err());
        assert_eq!(serde_json::to_string(&ok).expect("serialise"), "0.25");
    }

    proptest! {
        #[test]
        fn log_odds_round_trip(p in 1e-9f64..(1.0 - 1e-9)) {
            let q = Probability::from_log_odds(Probability::new(p).expect("valid").log_odds()).expect("finite");
            prop_assert!((q.get() - p).abs() < 1e-12);
        }

        #[test]
        fn from_log_odds_is_always_valid(z in proptest::num::f64::ANY) {
            match Probability::from_log_odds(z) {
                Ok(p) => prop_assert!((0.0..=1.0).contains(&p.get())),
                Err(_) => prop_assert!(z.is_nan()),
            }
        }
    }
}
