//! [`EngagementSums`]: the decayed engagement of many accounts, accumulated
//! block by block as activities arrive.

use crate::{BatchEngagement, EngagementError, EngagementModel, Result, Touch};
use acctscore_core::Timestamp;

/// Largest exponent by which a touch newer than its class's reference time
/// is scaled up before the class is rescaled to that touch's time (as
/// [`EngagementState`](crate::EngagementState) does for one account).
const MAX_GROWTH: f64 = 64.0;

/// Touches whose contributions are computed before they are added: keeping
/// the random writes into the sums in a tight loop of their own lets the CPU
/// overlap their cache misses (three times faster than a fused loop on 1M
/// accounts).
const BLOCK: usize = 256;

/// The engagement of accounts `0..n_accounts`, accumulated from blocks of
/// [`Touch`]es as they arrive (a file read in blocks, a stream), in memory
/// proportional to the number of accounts, not of touches.
///
/// Created with the time to score at, `now`, when it is known: touches after
/// it are left out and counted, and each touch adds exactly what
/// [`EngagementModel::aggregate`] adds for it. Created without (`None`), it
/// scores at the latest touch added: it then keeps one sum per half-life
/// class relative to a reference time of the class (the first touch, moved
/// forward, with the sums decayed to it, whenever a touch would be scaled up
/// by more than `e^64`), so nothing overflows whatever the span of times.
///
/// Two accumulators of the same model, size and `now` merge
/// ([`EngagementSums::merge`]); [`EngagementSums::finish`] gives the
/// [`BatchEngagement`]. The result depends on the order of the touches and
/// merges only through rounding, and is identical for the same sequence of
/// calls.
///
/// ```
/// use acctscore_engagement::{EngagementParams, EngagementSums, Timestamp, Touch};
///
/// let model = EngagementParams::new().fit()?;
/// let email = model.kind_id_by_name("email")?;
/// let day = 86_400;
/// let mut sums = EngagementSums::new(&model, 2, None);
/// sums.add(&[Touch::new(0, email, Timestamp::from_unix_seconds(0))])?;
/// sums.add(&[Touch::new(1, email, Timestamp::from_unix_seconds(14 * day))])?;
/// let engagement = sums.finish();
/// // Scored at the latest touch: account 0's email is one half-life (14 days) old.
/// assert_eq!(engagement.now(), Timestamp::from_unix_seconds(14 * day));
/// assert!((engagement.scores()[0] - 0.5).abs() < 1e-12);
/// assert_eq!(engagement.scores()[1], 1.0);
/// # Ok::<(), acctscore_engagement::EngagementError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EngagementSums {
    n_accounts: usize,
    now: Option<i64>,
    /// Per kind: weight, decay rate (per second) and the class whose sums it adds to.
    kinds: Vec<(f64, f64, usize)>,
    /// Per stored class: its rate and reference time (`None` until its first touch).
    classes: Vec<(f64, Option<i64>)>,
    /// Class-major: the sums of class `c` are `sums[c * n_accounts..][..n_accounts]`.
    sums: Vec<f64>,
    used: u64,
    ignored_future: u64,
    latest: Option<i64>,
}

impl EngagementSums {
    /// An empty accumulator for accounts `0..n_accounts`, scoring at `now`
    /// when given (later touches are left out), else at the latest touch.
    pub fn new(model: &EngagementModel, n_accounts: usize, now: Option<Timestamp>) -> Self {
        let now = now.map(Timestamp::unix_seconds);
        // With a known `now` every contribution is final: one sum per account.
        let (kinds, classes) = match now {
            Some(_) => (model.kinds.iter().map(|k| (k.weight, k.rate, 0)).collect(), vec![(0.0, now)]),
            None => (
                model.kinds.iter().map(|k| (k.weight, k.rate, k.class)).collect(),
                model.class_rates.iter().map(|&r| (r, None)).collect(),
            ),
        };
        let len = classes.len().saturating_mul(n_accounts);
        EngagementSums {
            n_accounts,
            now,
            kinds,
            classes,
            sums: written_zeros(len),
            used: 0,
            ignored_future: 0,
            latest: None,
        }
    }

    /// Number of accounts.
    pub fn n_accounts(&self) -> usize {
        self.n_accounts
    }

    /// Number of touches counted so far.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Number of touches after `now` left out so far.
    pub fn ignored_future(&self) -> u64 {
        self.ignored_future
    }

    /// The latest time of a counted touch, if any.
    pub fn latest(&self) -> Option<Timestamp> {
        self.latest.map(Timestamp::from_unix_seconds)
    }

    /// Adds a block of touches, in order.
    ///
    /// # Errors
    /// [`EngagementError::UnknownKindId`] and
    /// [`EngagementError::AccountOutOfRange`] for the first offending touch;
    /// the touches before it in the block may have been added (discard the
    /// accumulator).
    pub fn add(&mut self, touches: &[Touch]) -> Result<()> {
        let mut values = [0.0f64; BLOCK];
        let mut slots = [0usize; BLOCK];
        for block in touches.chunks(BLOCK) {
            let mut ready = 0;
            for t in block {
                let &(weight, rate, class) = self
                    .kinds
                    .get(t.kind.index())
                    .ok_or(EngagementError::UnknownKindId { id: t.kind.0, n_kinds: self.kinds.len() })?;
                if t.account as usize >= self.n_accounts {
                    return Err(EngagementError::AccountOutOfRange { account: t.account, n_accounts: self.n_accounts });
                }
                let at = t.at.unix_seconds();
                let value = match self.now {
                    Some(now) => {
                        let age = match now.checked_sub(at) {
                            Some(age) => age as f64,
                            // Extreme times: through i128 (an i128 → f64 conversion is a slow library call).
                            None => (i128::from(now) - i128::from(at)) as f64,
                        };
                        if age < 0.0 {
                            self.ignored_future += 1;
                            continue;
                        }
                        weight * (-rate * age).exp()
                    }
                    None => {
                        let reference = *self.classes[class].1.get_or_insert(at);
                        let gap = match at.checked_sub(reference) {
                            Some(gap) => gap as f64,
                            None => (i128::from(at) - i128::from(reference)) as f64,
                        };
                        let mut growth = rate * gap;
                        if growth > MAX_GROWTH {
                            // Add what is computed, then decay the class to this touch's time.
                            self.scatter(&values[..ready], &slots[..ready]);
                            ready = 0;
                            self.rescale(class, at);
                            growth = 0.0;
                        }
                        weight * growth.exp()
                    }
                };
                self.latest = Some(self.latest.map_or(at, |l| l.max(at)));
                values[ready] = value;
                slots[ready] = class * self.n_accounts + t.account as usize;
                ready += 1;
                self.used += 1;
            }
            self.scatter(&values[..ready], &slots[..ready]);
        }
        Ok(())
    }

    #[inline]
    fn scatter(&mut self, values: &[f64], slots: &[usize]) {
        for (&v, &s) in values.iter().zip(slots) {
            if let Some(sum) = self.sums.get_mut(s) {
                *sum += v;
            }
        }
    }

    /// Decays class `class`'s sums to `to` (no later than its reference: a factor ≤ 1).
    fn rescale(&mut self, class: usize, to: i64) {
        let (rate, reference) = &mut self.classes[class];
        let Some(from) = *reference else {
            *reference = Some(to);
            return;
        };
        let factor = (-*rate * (i128::from(to) - i128::from(from)) as f64).exp();
        *reference = Some(to);
        let n = self.n_accounts;
        for s in &mut self.sums[class * n..(class + 1) * n] {
            *s *= factor;
        }
    }

    /// Adds `other`'s touches to these (sums class by class, each first
    /// decayed to the later of the two reference times).
    ///
    /// # Errors
    /// [`EngagementError::LengthMismatch`] when the two differ in accounts,
    /// classes or `now` (made with another model, size or time).
    pub fn merge(&mut self, mut other: EngagementSums) -> Result<()> {
        if self.n_accounts != other.n_accounts
            || self.now != other.now
            || self.kinds != other.kinds
            || self.sums.len() != other.sums.len()
        {
            return Err(EngagementError::LengthMismatch {
                what: "engagement sums of another model, size or time",
                expected: self.sums.len(),
                found: other.sums.len(),
            });
        }
        for class in 0..self.classes.len() {
            match (self.classes[class].1, other.classes[class].1) {
                (Some(a), Some(b)) if a < b => self.rescale(class, b),
                (Some(a), Some(b)) if b < a => other.rescale(class, a),
                (None, Some(b)) => self.classes[class].1 = Some(b),
                _ => {}
            }
        }
        let add = |(dst, src): (&mut [f64], &[f64])| {
            for (d, s) in dst.iter_mut().zip(src) {
                *d += *s;
            }
        };
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            self.sums.par_chunks_mut(MERGE_BLOCK).zip(other.sums.par_chunks(MERGE_BLOCK)).for_each(add);
        }
        #[cfg(not(feature = "parallel"))]
        self.sums.chunks_mut(MERGE_BLOCK).zip(other.sums.chunks(MERGE_BLOCK)).for_each(add);
        self.used += other.used;
        self.ignored_future += other.ignored_future;
        self.latest = self.latest.max(other.latest);
        Ok(())
    }

    /// The engagement of every account at `now` (as given, else the latest
    /// touch; the Unix epoch when there was none).
    pub fn finish(self) -> BatchEngagement {
        let now = self.now.or(self.latest).unwrap_or(0);
        let scores = match self.now {
            // The contributions are final.
            Some(_) => self.sums,
            None => self.decayed_to(now),
        };
        BatchEngagement::from_parts(Timestamp::from_unix_seconds(now), scores, self.used, self.ignored_future)
    }

    /// The engagement of every account at `now`, leaving these sums as they
    /// are (to be added to later): the read of a kept state. Sums made
    /// without a `now` answer for any time at or after their latest touch;
    /// sums made with one answer for that time only.
    ///
    /// ```
    /// use acctscore_engagement::{EngagementParams, EngagementSums, Timestamp, Touch};
    ///
    /// let model = EngagementParams::new().fit()?;
    /// let email = model.kind_id_by_name("email")?; // half-life 14 days
    /// let day = 86_400;
    /// let mut kept = EngagementSums::new(&model, 1, None);
    /// kept.add(&[Touch::new(0, email, Timestamp::from_unix_seconds(0))])?;
    /// let later = kept.engagement_at(Timestamp::from_unix_seconds(28 * day))?;
    /// assert!((later.scores()[0] - 0.25).abs() < 1e-12);
    /// // the kept sums take more touches afterwards
    /// kept.add(&[Touch::new(0, email, Timestamp::from_unix_seconds(28 * day))])?;
    /// # Ok::<(), acctscore_engagement::EngagementError>(())
    /// ```
    ///
    /// # Errors
    /// [`EngagementError::QueryBeforeLatest`] when `now` precedes a counted
    /// touch, or differs from the `now` the sums were made with.
    pub fn engagement_at(&self, now: Timestamp) -> Result<BatchEngagement> {
        let at = now.unix_seconds();
        let latest = self.now.or(self.latest);
        match (self.now, latest) {
            (Some(made), _) if made != at => {
                return Err(EngagementError::QueryBeforeLatest {
                    query: now,
                    latest: Timestamp::from_unix_seconds(made),
                });
            }
            (None, Some(l)) if at < l => {
                return Err(EngagementError::QueryBeforeLatest { query: now, latest: Timestamp::from_unix_seconds(l) });
            }
            _ => {}
        }
        let scores = match self.now {
            Some(_) => self.sums.clone(),
            None => self.decayed_to(at),
        };
        Ok(BatchEngagement::from_parts(now, scores, self.used, self.ignored_future))
    }

    /// Σ over classes of each account's sum decayed from its class's reference time to `now`.
    fn decayed_to(&self, now: i64) -> Vec<f64> {
        let n = self.n_accounts;
        let mut scores = written_zeros(n);
        for (c, &(rate, reference)) in self.classes.iter().enumerate() {
            let factor = match reference {
                Some(r) => (-rate * (i128::from(now) - i128::from(r)) as f64).exp(),
                None => 0.0,
            };
            for (s, &v) in scores.iter_mut().zip(&self.sums[c * n..(c + 1) * n]) {
                *s += v * factor;
            }
        }
        scores
    }

    /// The sums as bytes, to keep between runs (read back with
    /// [`EngagementSums::from_bytes`]): little-endian numbers, exact to the
    /// bit, a few hundred bytes plus 8 per account and half-life class. The
    /// bytes carry no checksum: a file that holds them adds its own.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.byte_len());
        // Writing into a Vec cannot fail.
        let _ = self.write_to(&mut out);
        out
    }

    /// Writes [`EngagementSums::to_bytes`]'s bytes to `w` without holding
    /// them in memory (a file of a large pool is written in one pass).
    ///
    /// # Errors
    /// The writer's error.
    pub fn write_to(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut head = Vec::with_capacity(64 + 24 * (self.kinds.len() + self.classes.len()));
        head.extend_from_slice(SUMS_MAGIC);
        let put = |out: &mut Vec<u8>, v: u64| out.extend_from_slice(&v.to_le_bytes());
        let put_time = |out: &mut Vec<u8>, t: Option<i64>| {
            out.push(u8::from(t.is_some()));
            out.extend_from_slice(&t.unwrap_or(0).to_le_bytes());
        };
        put(&mut head, self.n_accounts as u64);
        put_time(&mut head, self.now);
        put(&mut head, self.used);
        put(&mut head, self.ignored_future);
        put_time(&mut head, self.latest);
        put(&mut head, self.kinds.len() as u64);
        for &(weight, rate, class) in &self.kinds {
            put(&mut head, weight.to_bits());
            put(&mut head, rate.to_bits());
            put(&mut head, class as u64);
        }
        put(&mut head, self.classes.len() as u64);
        for &(rate, reference) in &self.classes {
            put(&mut head, rate.to_bits());
            put_time(&mut head, reference);
        }
        w.write_all(&head)?;
        // The sums in blocks: one write per block, not per number.
        let mut block = [0u8; 8 * 1024];
        for chunk in self.sums.chunks(1024) {
            for (out, v) in block.chunks_exact_mut(8).zip(chunk) {
                out.copy_from_slice(&v.to_le_bytes());
            }
            w.write_all(&block[..8 * chunk.len()])?;
        }
        Ok(())
    }

    /// The length of [`EngagementSums::to_bytes`].
    fn byte_len(&self) -> usize {
        SUMS_MAGIC.len() + 8 * 5 + 9 * 2 + 24 * self.kinds.len() + 17 * self.classes.len() + 8 * self.sums.len()
    }

    /// Reads sums written by [`EngagementSums::to_bytes`], for `model`.
    ///
    /// # Errors
    /// [`EngagementError::CorruptState`] for bytes that are not such sums
    /// (truncated, trailing bytes, a negative or non-finite sum);
    /// [`EngagementError::OtherModel`] for sums made with another model
    /// (other kinds, weights or half-lives).
    pub fn from_bytes(model: &EngagementModel, mut bytes: &[u8]) -> Result<Self> {
        Self::read_from(model, &mut bytes)
    }

    /// [`EngagementSums::from_bytes`] from a reader, read to its end without
    /// holding the bytes in memory (a state file of a large pool is read in
    /// one pass). An error of the reader reads as truncated sums.
    ///
    /// # Errors
    /// As [`EngagementSums::from_bytes`].
    pub fn read_from(model: &EngagementModel, r: &mut dyn std::io::Read) -> Result<Self> {
        let corrupt = |reason| EngagementError::CorruptState { reason };
        let mut r = ByteReader { r };
        let mut magic = [0u8; SUMS_MAGIC.len()];
        r.fill(&mut magic)?;
        if magic != SUMS_MAGIC {
            return Err(corrupt("not engagement sums"));
        }
        let n_accounts = r.count()?;
        let now = r.time()?;
        let used = r.u64()?;
        let ignored_future = r.u64()?;
        let latest = r.time()?;
        let n_kinds = r.count()?;
        let mut kinds = Vec::with_capacity(n_kinds.min(1 << 16));
        for _ in 0..n_kinds {
            kinds.push((f64::from_bits(r.u64()?), f64::from_bits(r.u64()?), r.count()?));
        }
        let n_classes = r.count()?;
        let mut classes = Vec::with_capacity(n_classes.min(1 << 16));
        for _ in 0..n_classes {
            classes.push((f64::from_bits(r.u64()?), r.time()?));
        }
        let expected = EngagementSums::new(model, 0, now.map(Timestamp::from_unix_seconds));
        if kinds != expected.kinds {
            return Err(EngagementError::OtherModel { what: "activity kinds, weights or half-lives" });
        }
        if classes.iter().map(|c| c.0.to_bits()).ne(expected.classes.iter().map(|c| c.0.to_bits())) {
            return Err(EngagementError::OtherModel { what: "half-life classes" });
        }
        let len = n_classes.checked_mul(n_accounts).ok_or(corrupt("sizes overflow"))?;
        // Reserved from a count the bytes claim: at most 2^24 up front, the
        // rest as the bytes arrive.
        let mut sums: Vec<f64> = Vec::with_capacity(len.min(1 << 24));
        let mut block = [0u8; 8 * 1024];
        while sums.len() < len {
            let take = (len - sums.len()).min(1024);
            let bytes = &mut block[..8 * take];
            r.fill(bytes).map_err(|_| corrupt("the sums' length does not match accounts × classes"))?;
            let start = sums.len();
            sums.extend(bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0xff; 8]))));
            if sums[start..].iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(corrupt("sums must be finite and >= 0"));
            }
        }
        if !matches!(r.r.read(&mut block[..1]), Ok(0)) {
            return Err(corrupt("the sums' length does not match accounts × classes"));
        }
        Ok(EngagementSums { n_accounts, now, kinds, classes, sums, used, ignored_future, latest })
    }
}

/// The first bytes of [`EngagementSums::to_bytes`] (name and layout version).
const SUMS_MAGIC: &[u8] = b"acctscore-engagement-sums/1\n";

/// Reads the little-endian fields of [`EngagementSums::to_bytes`].
struct ByteReader<'a> {
    r: &'a mut dyn std::io::Read,
}

impl ByteReader<'_> {
    /// Fills `out`; a short read is truncated sums.
    fn fill(&mut self, out: &mut [u8]) -> Result<()> {
        self.r.read_exact(out).map_err(|_| EngagementError::CorruptState { reason: "truncated" })
    }

    fn u64(&mut self) -> Result<u64> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn count(&mut self) -> Result<usize> {
        usize::try_from(self.u64()?).map_err(|_| EngagementError::CorruptState { reason: "a count overflows usize" })
    }

    fn time(&mut self) -> Result<Option<i64>> {
        let mut flag = [0u8; 1];
        self.fill(&mut flag)?;
        let t = self.u64()? as i64;
        match flag[0] {
            0 => Ok(None),
            1 => Ok(Some(t)),
            _ => Err(EngagementError::CorruptState { reason: "a time flag is neither 0 nor 1" }),
        }
    }
}

/// `len` zeros written to memory. `vec![0.0; len]` maps a large block as
/// the kernel's shared zero page, and the first `+=` into each page then
/// costs a second, copy-on-write fault with a TLB shootdown on every core:
/// twice the page faults of writing the zeros up front. (`black_box` keeps
/// the compiler from turning the write back into a zeroed allocation.)
fn written_zeros(len: usize) -> Vec<f64> {
    let mut v = Vec::with_capacity(len);
    v.resize(len, std::hint::black_box(0.0));
    v
}

/// Accounts per block when merging sums in parallel.
const MERGE_BLOCK: usize = 1 << 14;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EngagementParams, EngagementState, KindId};

    use crate::testing::{DAY, ts};

    /// Pseudo-random touches over `span_days` days ending at `end`.
    fn touches(n: usize, n_accounts: usize, end: i64, span_days: i64) -> Vec<Touch> {
        (0..n)
            .map(|i| {
                let x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20;
                let age = (x % (span_days * DAY) as u64) as i64;
                Touch::new((x % n_accounts as u64) as u32, KindId((x % 3) as u16), ts(end - age))
            })
            .collect()
    }

    #[test]
    fn known_now_equals_aggregate_bit_for_bit() {
        let m = EngagementParams::new().fit().expect("valid");
        let t = touches(10_000, 50, 1_767_225_600, 400);
        let now = ts(1_767_225_600 - 30 * DAY);
        let mut sums = EngagementSums::new(&m, 50, Some(now));
        for block in t.chunks(777) {
            sums.add(block).expect("ok");
        }
        let got = sums.finish();
        let want = m.aggregate(now, 50, &t).expect("ok");
        assert_eq!(got, want);
        assert!(got.ignored_future() > 0);
    }

    #[test]
    fn latest_now_matches_incremental_states_and_merges() {
        let m = EngagementParams::new().fit().expect("valid");
        // Ten years of touches: the 14-day class is rescaled several times.
        let end = 1_767_225_600;
        let t = touches(20_000, 40, end, 3650);
        let latest = t.iter().map(|t| t.at).max().expect("some");
        let mut whole = EngagementSums::new(&m, 40, None);
        whole.add(&t).expect("ok");
        let (a, b) = t.split_at(7_001);
        let mut left = EngagementSums::new(&m, 40, None);
        left.add(a).expect("ok");
        let mut right = EngagementSums::new(&m, 40, None);
        right.add(b).expect("ok");
        left.merge(right).expect("same shape");
        let (whole, merged) = (whole.finish(), left.finish());
        assert_eq!((whole.now(), merged.now()), (latest, latest));
        assert_eq!((whole.used(), whole.ignored_future()), (20_000, 0));
        let mut states = vec![EngagementState::new(); 40];
        for t in &t {
            states[t.account as usize].apply(&m, t.kind, t.at, None).expect("ok");
        }
        for (a, state) in states.iter().enumerate() {
            let want = state.score_at(&m, latest).expect("ok");
            for got in [whole.scores()[a], merged.scores()[a]] {
                assert!((got - want).abs() <= 1e-9 * want.max(1e-300), "{a}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn kept_sums_round_trip_through_bytes_and_fold_later_touches() {
        let m = EngagementParams::new().fit().expect("valid");
        let end = 1_767_225_600;
        let t = touches(5_000, 30, end, 400);
        let (old, new) = t.split_at(4_950);
        let mut whole = EngagementSums::new(&m, 30, None);
        whole.add(&t).expect("ok");
        let mut kept = EngagementSums::new(&m, 30, None);
        kept.add(old).expect("ok");
        let mut kept = EngagementSums::from_bytes(&m, &kept.to_bytes()).expect("round trip");
        kept.add(new).expect("ok");
        // Same touches in the same order: the same bits.
        assert_eq!(kept, whole);
        let at = ts(end + 3 * DAY);
        let (got, want) = (kept.engagement_at(at).expect("after latest"), m.aggregate(at, 30, &t).expect("ok"));
        for (g, w) in got.scores().iter().zip(want.scores()) {
            assert!((g - w).abs() <= 1e-12 * w.max(1e-300), "{g} vs {w}");
        }
        // At the latest touch it is what `finish` gives, and the sums stay usable.
        assert_eq!(kept.engagement_at(kept.latest().expect("touched")).expect("ok"), kept.clone().finish());
        assert!(matches!(kept.engagement_at(ts(end - DAY)), Err(EngagementError::QueryBeforeLatest { .. })));
    }

    #[test]
    fn damaged_or_foreign_bytes_are_refused() {
        let m = EngagementParams::new().fit().expect("valid");
        let mut sums = EngagementSums::new(&m, 3, None);
        sums.add(&touches(20, 3, 1_767_225_600, 30)).expect("ok");
        let bytes = sums.to_bytes();
        assert_eq!(bytes.len(), sums.byte_len());
        let corrupt = |b: &[u8]| matches!(EngagementSums::from_bytes(&m, b), Err(EngagementError::CorruptState { .. }));
        assert!(corrupt(&bytes[..bytes.len() - 1]), "truncated");
        assert!(corrupt(&[bytes.as_slice(), &[0u8; 8]].concat()), "trailing bytes");
        assert!(corrupt(b"not sums at all"));
        let mut negative = bytes.clone();
        let last = negative.len() - 8;
        negative[last..].copy_from_slice(&(-1.0f64).to_le_bytes());
        assert!(corrupt(&negative));
        let other = EngagementParams::new().half_life_days("email", 7.0).fit().expect("valid");
        assert!(matches!(EngagementSums::from_bytes(&other, &bytes), Err(EngagementError::OtherModel { .. })));
        // Sums made for a known `now` answer for that time only.
        let now = ts(1_767_225_600);
        let fixed = EngagementSums::new(&m, 3, Some(now));
        assert_eq!(EngagementSums::from_bytes(&m, &fixed.to_bytes()).expect("ok"), fixed);
        assert!(fixed.engagement_at(now).is_ok());
        assert!(fixed.engagement_at(ts(1_767_225_601)).is_err());
    }

    #[test]
    fn merging_into_an_empty_accumulator_keeps_the_other_reference() {
        let m = EngagementParams::new().fit().expect("valid");
        let t = touches(200, 5, 1_767_225_600, 60);
        let mut full = EngagementSums::new(&m, 5, None);
        full.add(&t).expect("ok");
        let want = full.clone().finish();
        assert!(want.scores().iter().any(|&s| s > 0.0));
        // (None, Some(b)): this side has no touches, the other has.
        let mut empty = EngagementSums::new(&m, 5, None);
        empty.merge(full.clone()).expect("merge");
        let got = empty.finish();
        assert_eq!((got.now(), got.used()), (want.now(), want.used()));
        for (g, w) in got.scores().iter().zip(want.scores()) {
            assert!(g.is_finite() && (g - w).abs() <= 1e-12 * w.abs(), "{g} vs {w}");
        }
        // (Some(a), None): the other side is empty.
        let mut this = full;
        this.merge(EngagementSums::new(&m, 5, None)).expect("merge");
        assert_eq!(this.finish(), want);
    }

    #[test]
    fn merging_decays_the_earlier_side_never_the_later() {
        // Sides 100,000 days apart: growing the later side to the earlier
        // reference would overflow; decaying the earlier one gives ~0.
        let m = EngagementParams::new().fit().expect("valid");
        let email = m.kind_id_by_name("email").expect("built in");
        let late = ts(100_000 * DAY);
        for (first, second) in [(late, ts(0)), (ts(0), late)] {
            let mut a = EngagementSums::new(&m, 1, None);
            a.add(&[Touch::new(0, email, first)]).expect("ok");
            let mut b = EngagementSums::new(&m, 1, None);
            b.add(&[Touch::new(0, email, second)]).expect("ok");
            a.merge(b).expect("merge");
            let e = a.finish();
            assert_eq!((e.now(), e.used()), (late, 2));
            assert_eq!(e.scores(), &[1.0], "the late touch counts whole, the early one decays to 0");
        }
        // Counters add up, future touches included.
        let now = Some(ts(10 * DAY));
        let mut a = EngagementSums::new(&m, 1, now);
        a.add(&[Touch::new(0, email, ts(11 * DAY)), Touch::new(0, email, ts(DAY))]).expect("ok");
        let mut b = EngagementSums::new(&m, 1, now);
        b.add(&[Touch::new(0, email, ts(12 * DAY)), Touch::new(0, email, ts(13 * DAY))]).expect("ok");
        a.merge(b).expect("merge");
        assert_eq!((a.used(), a.ignored_future()), (1, 3));
    }

    #[test]
    fn errors_and_empty() {
        let m = EngagementParams::new().fit().expect("valid");
        let mut sums = EngagementSums::new(&m, 2, None);
        assert!(matches!(
            sums.add(&[Touch::new(2, KindId(0), ts(0))]),
            Err(EngagementError::AccountOutOfRange { account: 2, n_accounts: 2 })
        ));
        assert!(matches!(sums.add(&[Touch::new(0, KindId(9), ts(0))]), Err(EngagementError::UnknownKindId { .. })));
        let other = EngagementSums::new(&m, 2, Some(ts(5)));
        assert!(matches!(sums.merge(other), Err(EngagementError::LengthMismatch { .. })));
        // Each difference alone is refused: accounts, then kinds.
        let mut two = EngagementSums::new(&m, 2, None);
        assert_eq!((two.n_accounts(), EngagementSums::new(&m, 7, None).n_accounts()), (2, 7));
        assert!(matches!(two.merge(EngagementSums::new(&m, 3, None)), Err(EngagementError::LengthMismatch { .. })));
        let other_model = EngagementParams::new().kind("email", 2.0, 14.0).fit().expect("valid");
        assert!(matches!(
            two.merge(EngagementSums::new(&other_model, 2, None)),
            Err(EngagementError::LengthMismatch { .. })
        ));
        let mut at = EngagementSums::new(&m, 2, Some(ts(5)));
        assert!(matches!(
            at.merge(EngagementSums::new(&m, 2, Some(ts(6)))),
            Err(EngagementError::LengthMismatch { .. })
        ));
        let empty = EngagementSums::new(&m, 2, None).finish();
        assert_eq!((empty.now(), empty.scores()), (ts(0), &[0.0, 0.0][..]));
        // Extreme times never overflow.
        let mut sums = EngagementSums::new(&m, 1, None);
        sums.add(&[Touch::new(0, KindId(0), ts(i64::MIN)), Touch::new(0, KindId(0), ts(i64::MAX))]).expect("ok");
        let e = sums.finish();
        assert_eq!(e.scores(), &[1.0]);
        // With a known `now` at the far end of time: ages beyond i64 decay to 0, or are in the future.
        let mut sums = EngagementSums::new(&m, 1, Some(ts(i64::MAX)));
        sums.add(&[Touch::new(0, KindId(0), ts(i64::MIN))]).expect("ok");
        assert_eq!((sums.used(), sums.ignored_future()), (1, 0));
        assert_eq!(sums.finish().scores(), &[0.0]);
        let mut sums = EngagementSums::new(&m, 1, Some(ts(i64::MIN)));
        sums.add(&[Touch::new(0, KindId(0), ts(i64::MAX))]).expect("ok");
        assert_eq!((sums.used(), sums.ignored_future()), (0, 1));
        assert_eq!(sums.finish().scores(), &[0.0]);
    }
}
