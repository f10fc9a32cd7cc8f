//! Batch engagement of every account from a list of activities.

use crate::{Activity, EngagementError, EngagementModel, EngagementSums, KindId, Result, Touch};
use acctscore_core::Timestamp;
use serde::{Deserialize, Serialize};

/// Engagement of every account at one time `now`, from a batch of activities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchEngagement {
    now: Timestamp,
    scores: Vec<f64>,
    used: u64,
    ignored_future: u64,
}

impl BatchEngagement {
    /// The time the engagement is computed at.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Engagement per account index (`Σ w · 2^(−(now − t) / half_life)`, ≥ 0).
    pub fn scores(&self) -> &[f64] {
        &self.scores
    }

    /// The scores, by value.
    pub fn into_scores(self) -> Vec<f64> {
        self.scores
    }

    /// Number of activities at or before `now` that were counted.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Number of activities after `now`, left out.
    pub fn ignored_future(&self) -> u64 {
        self.ignored_future
    }

    pub(crate) fn from_parts(now: Timestamp, scores: Vec<f64>, used: u64, ignored_future: u64) -> Self {
        BatchEngagement { now, scores, used, ignored_future }
    }
}

/// Most partial sums the parallel aggregation uses.
const MAX_CHUNKS: usize = 8;

/// Number of chunks, a power of two that depends on the sizes only (never on
/// the thread count), so results are the same on any machine and with or
/// without the `parallel` feature. Each chunk carries at least four times as
/// many activities as there are accounts, so that allocating and merging the
/// chunk's partial sums stays small next to its work.
fn chunk_count(n_touches: usize, n_accounts: usize) -> usize {
    let per_chunk = 4 * n_accounts.max(1 << 16);
    let c = (n_touches / per_chunk).clamp(1, MAX_CHUNKS);
    1 << c.ilog2()
}

impl EngagementModel {
    /// Engagement of accounts `0..n_accounts` at `now` from compact touches:
    /// `Σ weight · 2^(−(now − t) / half_life)` over touches at or before `now`;
    /// later ones are left out and counted.
    ///
    /// The touches are split into a number of chunks fixed by the input sizes
    /// (never by the thread count); each chunk is accumulated into its own
    /// [`EngagementSums`] (in parallel with the `parallel` feature) and the
    /// chunks are merged in chunk order, so the result is identical on any
    /// machine. An input under `8 · max(n_accounts, 65536)` touches is one
    /// chunk: the plain sequential sum.
    ///
    /// # Errors
    /// [`EngagementError::AccountOutOfRange`], [`EngagementError::UnknownKindId`]
    /// (the first offending touch in input order).
    pub fn aggregate(&self, now: Timestamp, n_accounts: usize, touches: &[Touch]) -> Result<BatchEngagement> {
        let chunks = chunk_count(touches.len(), n_accounts);
        let chunk_len = touches.len().div_ceil(chunks).max(1);
        let run = |part: &[Touch]| -> Result<EngagementSums> {
            let mut sums = EngagementSums::new(self, n_accounts, Some(now));
            sums.add(part)?;
            Ok(sums)
        };
        #[cfg(feature = "parallel")]
        let partials: Vec<Result<EngagementSums>> = {
            use rayon::prelude::*;
            touches.par_chunks(chunk_len).map(run).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let partials: Vec<Result<EngagementSums>> = touches.chunks(chunk_len).map(run).collect();
        let mut parts = partials.into_iter();
        let mut total = match parts.next() {
            Some(first) => first?,
            None => EngagementSums::new(self, n_accounts, Some(now)),
        };
        for part in parts {
            total.merge(part?)?;
        }
        Ok(total.finish())
    }

    /// Engagement of accounts `0..n_accounts` at `now` from full activities
    /// (each may carry its own weight; reps are ignored), sequentially in input order.
    ///
    /// # Errors
    /// [`EngagementError::AccountOutOfRange`], [`EngagementError::UnknownKindId`],
    /// [`EngagementError::InvalidWeight`].
    pub fn aggregate_activities<I>(&self, now: Timestamp, n_accounts: usize, activities: I) -> Result<BatchEngagement>
    where
        I: IntoIterator<Item = Activity>,
    {
        let mut scores = vec![0.0; n_accounts];
        let (mut used, mut ignored_future) = (0u64, 0u64);
        for a in activities {
            let k = self.rate_of(a.kind)?;
            let w = self.weight_of(a.kind, k, a.weight)?;
            let slot = scores
                .get_mut(a.account as usize)
                .ok_or(EngagementError::AccountOutOfRange { account: a.account, n_accounts })?;
            if a.at > now {
                ignored_future += 1;
                continue;
            }
            *slot += w * (-k.rate * now.seconds_since(a.at)).exp();
            used += 1;
        }
        Ok(BatchEngagement { now, scores, used, ignored_future })
    }

    /// Engagement of accounts `0..n_accounts` at `now` from rows of
    /// `(account index, kind name, time)`, as a file reader yields them.
    ///
    /// # Errors
    /// [`EngagementError::UnknownKind`] naming the first kind the model does
    /// not define; [`EngagementError::AccountOutOfRange`].
    pub fn aggregate_named<I, S>(&self, now: Timestamp, n_accounts: usize, rows: I) -> Result<BatchEngagement>
    where
        I: IntoIterator<Item = (u32, S, Timestamp)>,
        S: AsRef<str>,
    {
        let mut cache: Option<(String, KindId)> = None;
        let touches = rows
            .into_iter()
            .map(|(account, name, at)| {
                let name = name.as_ref();
                let kind = match &cache {
                    Some((n, id)) if n == name => *id,
                    _ => {
                        let id = self.kind_id_by_name(name)?;
                        cache = Some((name.to_owned(), id));
                        id
                    }
                };
                Ok(Touch::new(account, kind, at))
            })
            .collect::<Result<Vec<Touch>>>()?;
        self.aggregate(now, n_accounts, &touches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EngagementParams, EngagementState};

    use crate::testing::{DAY, ts};
    const NOW: i64 = 1_767_225_600;

    #[test]
    fn activities_decay_by_their_half_life() {
        // email: weight 1, half-life 14 days; one and two half-lives ago.
        let m = EngagementParams::new().fit().expect("valid");
        let email = m.kind_id_by_name("email").expect("built in");
        let acts = [
            Activity::new(0, email, ts(NOW - 14 * DAY)),
            Activity::new(0, email, ts(NOW - 28 * DAY)),
            Activity::new(1, email, ts(NOW)).with_weight(2.0),
        ];
        let b = m.aggregate_activities(ts(NOW), 2, acts).expect("ok");
        assert!(b.scores().iter().all(|s| s.is_finite()));
        assert!((b.scores()[0] - 0.75).abs() < 1e-15, "{:?}", b.scores());
        assert_eq!(b.scores()[1], 2.0);
        assert_eq!(b.clone().into_scores(), b.scores());
        assert_eq!((b.now(), b.used(), b.ignored_future()), (ts(NOW), 3, 0));
    }

    #[test]
    fn counts_future_and_names_unknown_kinds() {
        let m = EngagementParams::new().fit().expect("valid");
        let rows = vec![
            (0u32, "email", ts(NOW - 14 * DAY)),
            (1, "meeting", ts(NOW)),
            (1, "call", ts(NOW + 1)),
            (0, "email", ts(NOW - 28 * DAY)),
        ];
        let b = m.aggregate_named(ts(NOW), 3, rows.clone()).expect("ok");
        assert!((b.scores()[0] - 0.75).abs() < 1e-15);
        assert_eq!(&b.scores()[1..], &[10.0, 0.0]);
        assert_eq!((b.used(), b.ignored_future()), (3, 1));
        let mut bad = rows;
        bad.push((2, "fax", ts(NOW)));
        match m.aggregate_named(ts(NOW), 3, bad) {
            Err(EngagementError::UnknownKind { kind }) => assert_eq!(kind, "fax"),
            other => panic!("unexpected {other:?}"),
        }
        let t = [Touch::new(3, KindId(0), ts(NOW))];
        assert!(matches!(
            m.aggregate(ts(NOW), 3, &t),
            Err(EngagementError::AccountOutOfRange { account: 3, n_accounts: 3 })
        ));
        let t = [Touch::new(0, KindId(7), ts(NOW))];
        assert!(matches!(m.aggregate(ts(NOW), 3, &t), Err(EngagementError::UnknownKindId { id: 7, .. })));
    }

    #[test]
    fn chunked_equals_sequential_and_incremental() {
        let m = EngagementParams::new().fit().expect("valid");
        let n_accounts = 10usize;
        // Enough touches for several chunks.
        let n = 4 * (1 << 16) * 4 + 7;
        let touches: Vec<Touch> = (0..n)
            .map(|i| {
                let x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20;
                Touch::new(
                    (x % n_accounts as u64) as u32,
                    KindId((x % 3) as u16),
                    ts(NOW - (x % (400 * DAY as u64)) as i64 + 5),
                )
            })
            .collect();
        assert_eq!(chunk_count(n, n_accounts), 4);
        let chunked = m.aggregate(ts(NOW), n_accounts, &touches).expect("ok");
        let seq = m.aggregate_activities(ts(NOW), n_accounts, touches.iter().map(|&t| Activity::from(t))).expect("ok");
        assert_eq!(chunked.used() + chunked.ignored_future(), n as u64);
        assert_eq!((chunked.used(), chunked.ignored_future()), (seq.used(), seq.ignored_future()));
        let mut states = vec![EngagementState::new(); n_accounts];
        for t in touches.iter().filter(|t| t.at <= ts(NOW)) {
            states[t.account as usize].apply(&m, t.kind, t.at, None).expect("ok");
        }
        for (a, state) in states.iter().enumerate() {
            let (c, s) = (chunked.scores()[a], seq.scores()[a]);
            let inc = state.score_at(&m, ts(NOW)).expect("ok");
            assert!((c - s).abs() <= 1e-9 * s && (inc - s).abs() <= 1e-9 * s, "{c} {s} {inc}");
        }
    }
}
