//! [`EngagementStore`]: a pool's engagement kept on disk between runs, so
//! that new activities are folded in without reading the history again.

use super::*;
use crate::engagement::EngagementError;
use crate::frame::TextColumn;
use std::io::Write;

/// The first bytes of a store file: its name and layout version.
const STORE_MAGIC: &[u8] = b"acctscore-engagement-state/1\n";

/// The length written for a missing id.
const MISSING_ID: u32 = u32::MAX;

/// The decayed engagement of a pool's accounts, kept between runs and
/// brought up to date by folding in only the activities that arrived since.
///
/// It holds the accounts' ids (byte for byte, in the order of the accounts
/// file it was made from) and, per account, one running sum per half-life
/// class ([`EngagementSums`] made without a `now`): folding a block of
/// activities costs time in proportion to the block, not to the history, and
/// [`EngagementStore::engagement_for`] reads the engagement at any time at or
/// after the latest activity. Activities of ids the store does not hold are
/// counted and left out, as when scoring from the whole events file.
///
/// The engagement equals a recomputation from the whole log up to rounding
/// (the sums are added in another order): within 1e-12 relative.
///
/// ```no_run
/// use acctscore_scorer::pool::{EngagementStore, read_accounts_frame};
/// use acctscore_engagement::EngagementParams;
///
/// let model = EngagementParams::new().fit()?;
/// let accounts = read_accounts_frame("accounts.csv")?;
/// // Once: the whole history.
/// let (mut store, _) = EngagementStore::from_events_path("events.csv", accounts.column("account_id")?, &model)?;
/// store.save("engagement.state")?;
/// // Every few hours: only what is new.
/// let mut store = EngagementStore::load("engagement.state", &model)?;
/// let folded = store.fold_events_path("events_today.csv", &model)?;
/// store.save("engagement.state")?;
/// let engagement = store.engagement_for(accounts.column("account_id")?, None)?;
/// println!("{} new activities; {} accounts", folded.rows, engagement.scores.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EngagementStore {
    ids: Column,
    sums: EngagementSums,
}

/// What one read of an events file added to an [`EngagementStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FoldReport {
    /// Data rows read.
    pub rows: u64,
    /// Activities of ids the store does not hold (left out).
    pub unknown_accounts: u64,
    /// Rows with an empty timestamp, left out (with [`EventOptions::skip_undated`]).
    pub undated: u64,
}

impl FoldReport {
    fn of(log: &TouchLog) -> Self {
        FoldReport { rows: log.rows, unknown_accounts: log.unknown_accounts, undated: log.undated }
    }
}

/// Engagement read from an [`EngagementStore`] for the accounts of a frame.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StoredEngagement {
    /// Engagement per row of the frame (0 for an account the store does not hold).
    pub scores: Vec<f64>,
    /// The time the engagement is computed at.
    pub now: Timestamp,
    /// Rows of the frame whose id the store does not hold (or is missing).
    pub not_in_store: u64,
}

impl EngagementStore {
    /// A store of the accounts `ids` (an accounts frame's id column) from
    /// their whole events file.
    ///
    /// # Errors
    /// As [`read_engagement_path`].
    pub fn from_events_path(
        path: impl AsRef<Path>,
        ids: &Column,
        model: &EngagementModel,
    ) -> Result<(Self, FoldReport), PoolError> {
        Self::from_events_path_with(path, ids, model, &EventOptions::new())
    }

    /// [`EngagementStore::from_events_path`] with options (the columns,
    /// the timestamps' form, duplicate ids).
    ///
    /// # Errors
    /// As [`read_engagement_path`].
    pub fn from_events_path_with(
        path: impl AsRef<Path>,
        ids: &Column,
        model: &EngagementModel,
        options: &EventOptions,
    ) -> Result<(Self, FoldReport), PoolError> {
        let path = path.as_ref();
        let (sums, log) = read_sums_blocks(path, ids, model, None, 4 << 20, options).map_err(|e| e.in_file(path))?;
        Ok((EngagementStore { ids: ids.clone(), sums }, FoldReport::of(&log)))
    }

    /// Folds the activities of another events file (those that arrived since
    /// the store was last brought up to date) into the store.
    ///
    /// # Errors
    /// As [`read_touches_path`] (a bad row, an unknown activity kind), in
    /// which case the store is unchanged; [`PoolError::Engagement`] when
    /// `model` is not the store's.
    pub fn fold_events_path(
        &mut self,
        path: impl AsRef<Path>,
        model: &EngagementModel,
    ) -> Result<FoldReport, PoolError> {
        self.fold_events_path_with(path, model, &EventOptions::new())
    }

    /// [`EngagementStore::fold_events_path`] with options (the columns,
    /// the timestamps' form; the store's ids are unique, so the duplicates
    /// policy does not apply).
    ///
    /// # Errors
    /// As [`EngagementStore::fold_events_path`].
    pub fn fold_events_path_with(
        &mut self,
        path: impl AsRef<Path>,
        model: &EngagementModel,
        options: &EventOptions,
    ) -> Result<FoldReport, PoolError> {
        // The new activities are few: their touches are kept and added in
        // file order, with no running sums the size of the pool.
        let log = read_touches_path_with(path, &self.ids, model, options)?;
        self.sums.add(&log.touches)?;
        Ok(FoldReport::of(&log))
    }

    /// Number of accounts held.
    pub fn n_accounts(&self) -> usize {
        self.ids.len()
    }

    /// The latest activity folded in, if any.
    pub fn latest(&self) -> Option<Timestamp> {
        self.sums.latest()
    }

    /// The engagement of the accounts `ids` (an accounts frame's id column,
    /// in any order) at `now`, else at the latest activity.
    ///
    /// # Errors
    /// [`PoolError::Engagement`] when `now` precedes the latest activity
    /// held; [`PoolError::DuplicateId`] for a repeated id in the store.
    pub fn engagement_for(&self, ids: &Column, now: Option<Timestamp>) -> Result<StoredEngagement, PoolError> {
        let now = now.or(self.latest()).unwrap_or(Timestamp::from_unix_seconds(0));
        let held = self.sums.engagement_at(now)?;
        let index = IdIndex::new(&self.ids, DuplicateIds::Error)?;
        let mut not_in_store = 0;
        let scores = (0..ids.len())
            .map(|row| match id_bytes(ids, row).and_then(|id| index.get(id)) {
                Some(k) if k != ids::NO_ROW => held.scores()[k as usize],
                _ => {
                    not_in_store += 1;
                    0.0
                }
            })
            .collect();
        Ok(StoredEngagement { scores, now, not_in_store })
    }

    /// Writes the store to `path`, whole (a temporary file, synced, then
    /// renamed): the ids, the sums exactly to the bit, and a CRC-32 of both
    /// (a 40 MB state of 1M accounts checks in milliseconds).
    ///
    /// # Errors
    /// [`PoolError::File`] when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), PoolError> {
        let path = path.as_ref();
        crate::core::write_atomic(path, |w: &mut dyn Write| -> Result<(), PoolError> {
            // Streamed, with the checksum taken on the way: a pool-sized
            // buffer would cost more in fresh pages than the write itself.
            // The buffer in front of the checksum hands it large blocks.
            let mut body =
                std::io::BufWriter::with_capacity(1 << 16, CrcWriter { inner: w, crc: crc32fast::Hasher::new() });
            self.write_body(&mut body)
                .and_then(|()| body.into_inner().map_err(std::io::IntoInnerError::into_error))
                .and_then(|c| c.inner.write_all(&c.crc.finalize().to_le_bytes()))
                .map_err(|source| {
                    PoolError::from(crate::core::FileWriteError::new(path, crate::core::WriteStep::Write, source))
                })
        })
    }

    /// The file's bytes before the checksum: magic, ids, sums.
    fn write_body(&self, w: &mut dyn Write) -> std::io::Result<()> {
        w.write_all(STORE_MAGIC)?;
        w.write_all(&(self.ids.len() as u64).to_le_bytes())?;
        for row in 0..self.ids.len() {
            match id_bytes(&self.ids, row) {
                Some(id) => {
                    w.write_all(&u32::try_from(id.len()).unwrap_or(MISSING_ID - 1).to_le_bytes())?;
                    w.write_all(id)?;
                }
                None => w.write_all(&MISSING_ID.to_le_bytes())?,
            }
        }
        self.sums.write_to(w)
    }

    /// Reads a store written by [`EngagementStore::save`], for `model`.
    ///
    /// # Errors
    /// [`PoolError::Io`] when the file cannot be read;
    /// [`PoolError::Engagement`] in a [`PoolError::InFile`] naming the path
    /// for a file that is not a store, is damaged (its checksum differs) or
    /// was made with another engagement model.
    pub fn load(path: impl AsRef<Path>, model: &EngagementModel) -> Result<Self, PoolError> {
        let path = path.as_ref();
        let io = |source| PoolError::Io { path: path.display().to_string(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        Self::read_file(file, len, model).map_err(|e| PoolError::from(e).in_file(path))
    }

    /// Reads a store of `len` bytes in one pass, with no buffer the size of
    /// the file: the checksum is taken on the way, and a damaged file is
    /// refused as damaged even where its damage also breaks the layout.
    fn read_file(file: std::fs::File, len: u64, model: &EngagementModel) -> Result<Self, EngagementError> {
        use std::io::Read;
        let corrupt = |reason| EngagementError::CorruptState { reason };
        let body_len = len.checked_sub(4).ok_or(corrupt("truncated"))?;
        // The buffer in front of the checksum hands it large blocks.
        let mut body = std::io::BufReader::with_capacity(
            1 << 16,
            CrcReader { inner: file.take(body_len), crc: crc32fast::Hasher::new() },
        );
        let parsed = Self::read_body(&mut body, body_len, model);
        // What parsing left (all of it after an error) still counts.
        let drained = std::io::copy(&mut body, &mut std::io::sink());
        let CrcReader { inner, crc } = body.into_inner();
        let mut stored = [0u8; 4];
        let read = drained.and_then(|_| inner.into_inner().read_exact(&mut stored));
        if read.is_err() || crc.finalize().to_le_bytes() != stored {
            return Err(corrupt("checksum differs: the file is damaged or was edited"));
        }
        parsed
    }

    /// The store's `len` bytes before the checksum: magic, ids, sums.
    fn read_body(r: &mut dyn std::io::Read, len: u64, model: &EngagementModel) -> Result<Self, EngagementError> {
        let corrupt = |reason| EngagementError::CorruptState { reason };
        let mut fill = |out: &mut [u8]| r.read_exact(out).map_err(|_| corrupt("truncated"));
        let mut magic = [0u8; STORE_MAGIC.len()];
        fill(&mut magic).map_err(|_| corrupt("not an engagement state file"))?;
        if magic != STORE_MAGIC {
            return Err(corrupt("not an engagement state file"));
        }
        let mut n = [0u8; 8];
        fill(&mut n)?;
        let n = usize::try_from(u64::from_le_bytes(n)).map_err(|_| corrupt("too many ids"))?;
        // Reserved from the count the file claims, bounded by its length.
        let max_bytes = usize::try_from(len).unwrap_or(usize::MAX);
        let mut ids = TextColumn::with_capacity(n.min(max_bytes / 4), max_bytes.min(1 << 30));
        let mut id = Vec::new();
        for _ in 0..n {
            let mut len = [0u8; 4];
            fill(&mut len)?;
            let len = u32::from_le_bytes(len);
            if len == MISSING_ID {
                ids.push(None);
                continue;
            }
            // A length past the file's end is damage, not an allocation.
            if len as usize > max_bytes {
                return Err(corrupt("truncated"));
            }
            id.resize(len as usize, 0);
            fill(&mut id)?;
            ids.push(Some(std::str::from_utf8(&id).map_err(|_| corrupt("an id is not UTF-8"))?));
        }
        let sums = EngagementSums::read_from(model, r)?;
        if sums.n_accounts() != ids.len() {
            return Err(corrupt("the sums' accounts do not match the ids"));
        }
        Ok(EngagementStore { ids: Column::Text(ids), sums })
    }
}

/// A reader that keeps the CRC-32 of what passes through it.
struct CrcReader<R> {
    inner: R,
    crc: crc32fast::Hasher,
}

impl<R: std::io::Read> std::io::Read for CrcReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(buf.get(..n).unwrap_or(buf));
        Ok(n)
    }
}

/// A writer that keeps the CRC-32 of what passes through it.
struct CrcWriter<'a> {
    inner: &'a mut dyn Write,
    crc: crc32fast::Hasher,
}

impl Write for CrcWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(buf.get(..n).unwrap_or(buf));
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The bytes of row `row`'s id, if present.
fn id_bytes(ids: &Column, row: usize) -> Option<&[u8]> {
    match ids {
        Column::Text(v) => v.get(row).map(str::as_bytes),
        Column::Categorical(c) => c.get(row).map(str::as_bytes),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engagement::EngagementParams;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("acctscore-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    /// `n` seeded activity lines over 400 days for accounts `acct_00`..`acct_39` (and one unknown id).
    fn events(n: usize, seed: u64) -> String {
        let mut x = seed;
        let kinds = ["email", "call", "meeting"];
        let mut out = String::from("account_id,kind,timestamp,rep_id\n");
        for _ in 0..n {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let account = (x >> 33) % 41;
            let id = if account == 40 { "stranger".to_string() } else { format!("acct_{account:02}") };
            let at = 1_700_000_000 + ((x >> 20) % (400 * 86_400));
            out.push_str(&format!("{id},{},{at},r{}\n", kinds[((x >> 8) % 3) as usize], (x >> 40) % 5));
        }
        out
    }

    #[test]
    fn folding_new_events_equals_recomputing_from_the_whole_log() {
        let dir = temp("fold");
        let model = EngagementParams::new().fit().expect("valid");
        let ids = Column::Text((0..40).map(|k| Some(format!("acct_{k:02}"))).collect());
        let (history, new) = (events(3_000, 1), events(60, 2));
        std::fs::write(dir.join("history.csv"), &history).expect("write");
        std::fs::write(dir.join("new.csv"), &new).expect("write");
        std::fs::write(dir.join("all.csv"), format!("{history}{}", new.split_once('\n').expect("header").1))
            .expect("write");
        let (store, first) = EngagementStore::from_events_path(dir.join("history.csv"), &ids, &model).expect("read");
        assert_eq!(first.rows, 3_000);
        assert!(first.unknown_accounts > 0);
        store.save(dir.join("state")).expect("save");
        let mut store = EngagementStore::load(dir.join("state"), &model).expect("load");
        let folded = store.fold_events_path(dir.join("new.csv"), &model).expect("fold");
        assert_eq!(folded.rows, 60);
        let now = Timestamp::from_unix_seconds(1_700_000_000 + 420 * 86_400);
        let full = read_engagement_path(dir.join("all.csv"), &ids, &model, Some(now)).expect("read");
        // The frame lists the accounts in another order, one the store does not hold.
        let mut order: Vec<Option<String>> = (0..40).rev().map(|k| Some(format!("acct_{k:02}"))).collect();
        order.push(Some("new_account".into()));
        let got = store.engagement_for(&Column::Text(order.into_iter().collect()), Some(now)).expect("at now");
        assert_eq!((got.not_in_store, got.now), (1, now));
        for k in 0..40 {
            let (g, w) = (got.scores[39 - k], full.engagement.scores()[k]);
            assert!(w > 0.0 && (g - w).abs() <= 1e-12 * w, "account {k}: {g} vs {w}");
        }
        assert_eq!(got.scores[40], 0.0);
        assert!(store.engagement_for(&ids, Some(Timestamp::from_unix_seconds(1_700_000_000))).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_damaged_or_foreign_store_file_is_refused_with_its_path() {
        let dir = temp("damaged");
        let model = EngagementParams::new().fit().expect("valid");
        let ids = Column::text(vec![Some("acct_00"), None, Some("acct_01")]);
        std::fs::write(dir.join("events.csv"), events(50, 3)).expect("write");
        let (store, _) = EngagementStore::from_events_path(dir.join("events.csv"), &ids, &model).expect("read");
        let path = dir.join("state");
        store.save(&path).expect("save");
        assert_eq!(EngagementStore::load(&path, &model).expect("load"), store);
        let bytes = std::fs::read(&path).expect("read");
        let mut edited = bytes.clone();
        edited[STORE_MAGIC.len() + 12] ^= 1;
        std::fs::write(&path, &edited).expect("write");
        let err = EngagementStore::load(&path, &model).expect_err("damaged").to_string();
        assert!(err.contains("state") && err.contains("checksum"), "{err}");
        // Damage that also breaks the layout (an id's length) reads as damage.
        let mut edited = bytes.clone();
        edited[STORE_MAGIC.len() + 8 + 3] ^= 0x40;
        std::fs::write(&path, &edited).expect("write");
        let err = EngagementStore::load(&path, &model).expect_err("damaged length").to_string();
        assert!(err.contains("checksum"), "{err}");
        std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("write");
        assert!(EngagementStore::load(&path, &model).is_err());
        std::fs::write(&path, &bytes[..3]).expect("write");
        assert!(EngagementStore::load(&path, &model).is_err());
        std::fs::write(&path, &bytes).expect("write");
        let other = EngagementParams::new().half_life_days("call", 3.0).fit().expect("valid");
        let err = EngagementStore::load(&path, &other).expect_err("other model").to_string();
        assert!(err.contains("another model"), "{err}");
        let err = EngagementStore::load(dir.join("absent"), &model).expect_err("absent").to_string();
        assert!(err.contains("absent"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
