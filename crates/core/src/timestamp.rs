//! [`Timestamp`]: seconds since the Unix epoch.

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch (UTC), as a small newtype over `i64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

/// Seconds in a day.
pub(crate) const SECONDS_PER_DAY: f64 = 86_400.0;

impl Timestamp {
    /// Wraps Unix seconds.
    pub const fn from_unix_seconds(secs: i64) -> Self {
        Timestamp(secs)
    }

    /// The Unix seconds.
    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    /// Seconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn seconds_since(self, earlier: Timestamp) -> f64 {
        // i64 difference can overflow for extreme values; go through i128.
        (self.0 as i128 - earlier.0 as i128) as f64
    }

    /// Days from `earlier` to `self` (negative if `earlier` is later).
    pub fn days_since(self, earlier: Timestamp) -> f64 {
        self.seconds_since(earlier) / SECONDS_PER_DAY
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_do_not_overflow() {
        let a = Timestamp::from_unix_seconds(i64::MAX);
        let b = Timestamp::from_unix_seconds(i64::MIN);
        assert!(a.seconds_since(b) > 0.0);
        assert!(b.seconds_since(a) < 0.0);
        assert_eq!(Timestamp::from_unix_seconds(86_400).days_since(Timestamp::from_unix_seconds(0)), 1.0);
        let t = Timestamp::from_unix_seconds(1_000);
        assert_eq!(t.seconds_since(Timestamp::from_unix_seconds(400)), 600.0);
        assert_eq!(Timestamp::from_unix_seconds(-43_200).days_since(t), -(44_200.0 / 86_400.0));
        assert_eq!(t.unix_seconds(), 1_000);
        assert_eq!(t.to_string(), "1000");
        assert_eq!(a.seconds_since(b), 2.0f64.powi(64) - 1.0);
    }
}
