//! Who engaged each account last: the events file's rep per account,
//! read by the same block streamer and line splitter as the touches.

use super::*;

/// The rep of each account's latest activity, read from an events file by
/// [`read_latest_reps_path`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LatestReps {
    /// The distinct rep ids of the activities kept, byte for byte (trimmed),
    /// in order of first appearance.
    pub reps: Vec<String>,
    /// Per account row of the ids read against: its latest activity that
    /// names a rep (at or before the cut-off), if any.
    pub latest: Vec<Option<LatestRep>>,
    /// The latest timestamp of the file, over every row.
    pub newest: Option<Timestamp>,
    /// Data rows read.
    pub rows: u64,
    /// Rows of accounts not in the id list (left out).
    pub unknown_accounts: u64,
    /// Rows with an empty timestamp, left out (with [`EventOptions::skip_undated`]).
    pub undated: u64,
}

/// One account's latest activity that names a rep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LatestRep {
    /// When it happened.
    pub at: Timestamp,
    /// The rep: an index into [`LatestReps::reps`].
    pub rep: u32,
    /// Its line in the file (the header is line 1).
    pub line: u64,
}

/// Reads, for each account of `ids` (an accounts frame's id column), the
/// rep of its latest activity from `since` to `until` (each bound
/// inclusive; without one, unbounded on that side) in the events file at
/// `path` (CSV; the columns `options` name, by default `account_id`,
/// `timestamp` and `rep_id`; timestamps read as `options` say, as in the
/// other events readers). A row without a rep is passed over; on equal
/// times the later line wins. Kinds are not read.
///
/// Rows outside the window cost no id lookup: with `since` far in the
/// future, a read gives the file's [`LatestReps::newest`] at the cost of
/// parsing its timestamps alone.
///
/// The file is streamed in blocks, each parsed on two threads, so that a log
/// of ten million activities is read in a fraction of a second.
///
/// # Errors
/// [`PoolError::MissingColumn`] without the rep column (or another required
/// column), [`PoolError::BadRow`] and [`PoolError::TimestampUnit`] with the
/// line, [`PoolError::DuplicateId`] for a repeated id in `ids`,
/// [`PoolError::Unsupported`] for a Parquet file (read by the other events
/// readers, not this one); all in a [`PoolError::InFile`] naming the path.
pub fn read_latest_reps_path(
    path: impl AsRef<Path>,
    ids: &Column,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    options: &EventOptions,
) -> Result<LatestReps, PoolError> {
    let path = path.as_ref();
    let window = Window::Between(
        since.map_or(i64::MIN, Timestamp::unix_seconds),
        until.map_or(i64::MAX, Timestamp::unix_seconds),
    );
    read_latest_reps(path, ids, window, 4 << 20, options).map_err(|e| e.in_file(path))
}

/// [`read_latest_reps_path`] over the `days` before the file's newest
/// activity (inclusive), which is not known before the end: the same
/// `latest` and `newest` as finding the newest activity first and reading
/// again with that window, in one pass (`unknown_accounts` counts the rows
/// of unknown accounts within the window as known when each was read, and
/// `reps` may also name reps of rows that fell outside the final window). The newest activity of the file's last megabyte is read
/// first (in a log appended in time order, the file's newest); a row is then
/// looked up only when it falls within `days` of the newest activity seen so
/// far, and the rows kept that end up outside the final window are dropped
/// at the end.
///
/// # Errors
/// As [`read_latest_reps_path`].
pub fn read_recent_reps_path(
    path: impl AsRef<Path>,
    ids: &Column,
    days: u32,
    options: &EventOptions,
) -> Result<LatestReps, PoolError> {
    let path = path.as_ref();
    read_latest_reps(path, ids, Window::Trailing(i64::from(days) * 86_400), 4 << 20, options)
        .map_err(|e| e.in_file(path))
}

/// The rows whose rep counts.
#[derive(Debug, Clone, Copy)]
enum Window {
    /// From the first to the second time, inclusive.
    Between(i64, i64),
    /// Within these seconds before the file's newest activity.
    Trailing(i64),
}

fn read_latest_reps(
    path: &Path,
    ids: &Column,
    window: Window,
    block: usize,
    options: &EventOptions,
) -> Result<LatestReps, PoolError> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
        return Err(PoolError::Unsupported {
            what: "the latest rep per account is read from CSV events files only, not Parquet",
        });
    }
    let mut out = LatestReps {
        reps: Vec::new(),
        latest: vec![None; ids.len()],
        newest: None,
        rows: 0,
        unknown_accounts: 0,
        undated: 0,
    };
    let time = TimeField::of(options);
    let mut codes: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut halves = [RepHalf::default(), RepHalf::default()];
    // With a trailing window, the newest time of the file's tail (read once the header is known).
    let mut tail: Option<Option<i64>> = if matches!(window, Window::Trailing(_)) { None } else { Some(None) };
    read_blocks(path, ids, block, options, |body, first_line, header, index| {
        let Some(rep_col) = header.rep else {
            return Err(PoolError::MissingColumn { column: options.rep.clone(), available: header.names.clone() });
        };
        if tail.is_none() {
            tail = Some(tail_newest(path, header, time));
        }
        // The newest time known before this block: a floor under each half's own.
        let seen = out.newest.map(Timestamp::unix_seconds).max(tail.flatten());
        let parse = |part: &[u8], line: u64, half: &mut RepHalf| {
            half.parse(part, line, (header, rep_col, index), time, (window, seen))
        };
        let (second_line, next_line) = on_two_halves(body, first_line, &mut halves, parse)?;
        // File order: the first half's rows, then the second's.
        let [h0, h1] = &mut halves;
        for (half, offset) in [(h0, first_line), (h1, second_line)] {
            half.merge_into(&mut out, &mut codes, offset)?;
        }
        Ok(next_line)
    })?;
    if let (Window::Trailing(seconds), Some(newest)) = (window, out.newest) {
        let since = newest.unix_seconds().saturating_sub(seconds);
        for slot in &mut out.latest {
            if slot.is_some_and(|held| held.at.unix_seconds() < since) {
                *slot = None;
            }
        }
    }
    Ok(out)
}

/// Most bytes of a file's end read for [`tail_newest`].
const TAIL_BYTES: u64 = 1 << 20;

/// The newest timestamp among the complete lines of the last megabyte of
/// the events file at `path`; `None` when it cannot tell (a quote in the
/// tail, a line the header does not fit, an unreadable file: the full read
/// reports what is wrong). Only a hint: a time at or before the file's newest.
fn tail_newest(path: &Path, header: &Header, time: TimeField) -> Option<i64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let start = len.saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut bytes = Vec::with_capacity((len - start) as usize);
    file.read_to_end(&mut bytes).ok()?;
    // Whole lines only: from after the first line feed (the header's, when
    // the file is short), to the last line feed.
    let first = memchr::memchr(b'\n', &bytes)? + 1;
    let last = memchr::memrchr(b'\n', &bytes)? + 1;
    let lines = bytes.get(first..last)?;
    if header.n_fields > MAX_FIELDS || memchr::memchr(b'"', lines).is_some() {
        return None;
    }
    let mut newest: Option<i64> = None;
    unquoted_rows(lines, 0, header.n_fields, |line, fields| {
        if let Some(t) = time.seconds(line, fields[header.ts])? {
            newest = Some(newest.map_or(t, |n| n.max(t)));
        }
        Ok(())
    })
    .ok()?;
    newest
}

/// What one half of a block read: its rows that name a rep and a known
/// account, in file order, with reps coded as they first appear in it.
/// Aligned to two cache lines: the two halves are written by two threads at
/// every row, and must not share a line (false sharing doubled the read's time).
#[derive(Default)]
#[repr(align(128))]
struct RepHalf {
    /// (account row, time, rep code in `reps`, line relative to the half's first).
    rows: Vec<(u32, i64, u32, u64)>,
    reps: Vec<Vec<u8>>,
    codes: HashMap<Vec<u8>, u32>,
    newest: Option<i64>,
    read: u64,
    unknown: u64,
    undated: u64,
}

impl RepHalf {
    /// Parses `part` (its first line is `first_line`); returns the number of
    /// line feeds in it.
    fn parse(
        &mut self,
        part: &[u8],
        first_line: u64,
        (header, rep_col, index): (&Header, usize, &IdIndex<'_>),
        time: TimeField,
        (window, seen): (Window, Option<i64>),
    ) -> Result<u64, PoolError> {
        self.rows.clear();
        self.reps.clear();
        self.codes.clear();
        let mut row = |line: u64, id: &[u8], ts: &[u8], rep: &[u8]| -> Result<(), PoolError> {
            self.read += 1;
            let Some(ts_value) = time.seconds(line, ts)? else {
                self.undated += 1;
                return Ok(());
            };
            self.newest = Some(self.newest.map_or(ts_value, |n| n.max(ts_value)));
            let (since, until) = match window {
                Window::Between(since, until) => (since, until),
                Window::Trailing(seconds) => {
                    let newest = self.newest.max(seen).unwrap_or(ts_value);
                    (newest.saturating_sub(seconds), i64::MAX)
                }
            };
            let rep = rep.trim_ascii();
            if ts_value < since || ts_value > until || rep.is_empty() {
                return Ok(());
            }
            let Some(account) = index.get(id.trim_ascii()) else {
                self.unknown += 1;
                return Ok(());
            };
            let code = match self.codes.get(rep) {
                Some(&c) => c,
                None => {
                    std::str::from_utf8(rep)
                        .map_err(|_| PoolError::BadRow { line, reason: "rep_id is not valid UTF-8".to_string() })?;
                    let c = self.reps.len() as u32;
                    self.reps.push(rep.to_vec());
                    self.codes.insert(rep.to_vec(), c);
                    c
                }
            };
            self.rows.push((account, ts_value, code, line.saturating_sub(first_line)));
            Ok(())
        };
        if header.n_fields <= MAX_FIELDS && memchr::memchr(b'"', part).is_none() {
            unquoted_rows(part, first_line, header.n_fields, |line, f| {
                row(line, f[header.id], f[header.ts], f[rep_col])
            })
        } else {
            quoted_rows(part, first_line, header, |line, id, _, ts, rep| row(line, id, ts, rep.unwrap_or(b"")))
                .map(|()| memchr::memchr_iter(b'\n', part).count() as u64)
        }
    }

    /// Adds the half's rows to `out` (a later or equal time replaces what an
    /// account held), its reps to the file's codes; `offset` is the line of
    /// the half's first row.
    fn merge_into(
        &mut self,
        out: &mut LatestReps,
        codes: &mut HashMap<Vec<u8>, u32>,
        offset: u64,
    ) -> Result<(), PoolError> {
        let global: Vec<u32> = self
            .reps
            .iter()
            .map(|rep| {
                *codes.entry(rep.clone()).or_insert_with(|| {
                    out.reps.push(String::from_utf8_lossy(rep).into_owned());
                    (out.reps.len() - 1) as u32
                })
            })
            .collect();
        for &(account, at, code, line) in &self.rows {
            let slot = out.latest.get_mut(account as usize).ok_or_else(|| PoolError::BadRow {
                line: line + offset,
                reason: "an account row past the id list".to_string(),
            })?;
            if slot.is_none_or(|held| at >= held.at.unix_seconds()) {
                *slot = Some(LatestRep {
                    at: Timestamp::from_unix_seconds(at),
                    rep: global.get(code as usize).copied().unwrap_or(u32::MAX),
                    line: line + offset,
                });
            }
        }
        out.newest = out.newest.max(self.newest.map(Timestamp::from_unix_seconds));
        out.rows += self.read;
        out.unknown_accounts += self.unknown;
        out.undated += self.undated;
        (self.read, self.unknown, self.undated, self.newest) = (0, 0, 0, None);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_of(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("acctscore-owners-{name}-{}", std::process::id()))
    }

    /// Removes the folders of the tests' files named `names`.
    fn clean(names: &[&str]) {
        for name in names {
            let _ = std::fs::remove_dir_all(dir_of(name));
        }
    }

    fn temp(name: &str, text: &str) -> std::path::PathBuf {
        let dir = dir_of(name);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("events.csv");
        std::fs::write(&path, text).expect("write");
        path
    }

    /// The latest rep per account, computed the plain way.
    fn plain(text: &str, ids: &[&str], (since, until): (i64, i64)) -> Vec<Option<(i64, String, u64)>> {
        let mut out = vec![None; ids.len()];
        for (k, l) in text.lines().enumerate().skip(1) {
            let f: Vec<&str> = l.split(',').map(|x| x.trim_matches('"')).collect();
            let (Some(a), Ok(t)) = (ids.iter().position(|i| *i == f[0]), f[2].parse::<i64>()) else { continue };
            if t >= since && t <= until && !f[3].is_empty() && out[a].as_ref().is_none_or(|(at, _, _)| t >= *at) {
                out[a] = Some((t, f[3].to_string(), k as u64 + 1));
            }
        }
        out
    }

    fn events(n: usize) -> String {
        let mut x = 7u64;
        let mut text = String::from("account_id,kind,timestamp,rep_id\n");
        for _ in 0..n {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let rep = if (x >> 50).is_multiple_of(7) { String::new() } else { format!("r{}", (x >> 40) % 5) };
            text.push_str(&format!("a{},call,{},{rep}\n", (x >> 33) % 23, 1_700_000_000 + (x >> 20) % 1000));
        }
        text
    }

    fn got(r: &LatestReps) -> Vec<Option<(i64, String, u64)>> {
        r.latest.iter().map(|l| l.map(|l| (l.at.unix_seconds(), r.reps[l.rep as usize].clone(), l.line))).collect()
    }

    #[test]
    fn the_latest_rep_per_account_in_any_block_size_and_with_quotes() {
        let text = events(3_000);
        let names: Vec<String> = (0..20).map(|k| format!("a{k}")).collect();
        let ids: Vec<&str> = names.iter().map(String::as_str).collect();
        let column = Column::text(ids.iter().map(|i| Some(*i)).collect::<Vec<_>>());
        let path = temp("plain", &text);
        for window in [(i64::MIN, i64::MAX), (i64::MIN, 1_700_000_500), (1_700_000_300, 1_700_000_900)] {
            let want = plain(&text, &ids, window);
            assert!(want.iter().filter(|w| w.is_some()).count() >= 15);
            for block in [64, 1000, 4 << 20] {
                let r =
                    read_latest_reps(&path, &column, Window::Between(window.0, window.1), block, &EventOptions::new())
                        .expect("read");
                assert_eq!(got(&r), want, "block {block}");
                assert_eq!(r.rows, 3_000);
                assert!(r.unknown_accounts > 0);
                assert_eq!(
                    r.newest,
                    text.lines()
                        .skip(1)
                        .map(|l| l.split(',').nth(2).unwrap_or("0").parse::<i64>().unwrap_or(0))
                        .max()
                        .map(Timestamp::from_unix_seconds)
                );
            }
        }
        // A trailing window (its end the newest activity, found as the file
        // is read) gives what a first pass for the newest and a window would.
        let newest = 1_700_000_000 + 999;
        for seconds in [0, 120, 300, 2_000] {
            let want = plain(&text, &ids, (newest - seconds, i64::MAX));
            for block in [64, 1000, 4 << 20] {
                let r = read_latest_reps(&path, &column, Window::Trailing(seconds), block, &EventOptions::new())
                    .expect("read");
                assert_eq!(r.newest, Some(Timestamp::from_unix_seconds(newest)));
                assert_eq!(got(&r), want, "{seconds} s, block {block}");
            }
        }
        // In a file whose newest rows come last, the early rows kept for a
        // while are dropped at the end.
        let mut rising = String::from("account_id,kind,timestamp,rep_id\n");
        for k in 0..400 {
            rising.push_str(&format!("a{},call,{},r{}\n", k % 7, 1_700_000_000 + k * 10, k % 3));
        }
        let rising_path = temp("rising", &rising);
        let want = plain(&rising, &ids, (1_700_003_990 - 50, i64::MAX));
        assert_eq!(want.iter().filter(|w| w.is_some()).count(), 6);
        let r = read_latest_reps(&rising_path, &column, Window::Trailing(50), 64, &EventOptions::new()).expect("read");
        assert_eq!(got(&r), want);
        // The same file with quoted ids reads the same.
        let quoted: String = text
            .lines()
            .enumerate()
            .map(|(k, l)| if k == 0 { format!("{l}\n") } else { format!("\"{}\n", l.replacen(',', "\",", 1)) })
            .collect();
        let path = temp("quoted", &quoted);
        let all = (i64::MIN, i64::MAX);
        let r =
            read_latest_reps(&path, &column, Window::Between(all.0, all.1), 1000, &EventOptions::new()).expect("read");
        assert_eq!(got(&r), plain(&text, &ids, all));
        // A window past the end: no rows kept, the newest still read.
        let r = read_latest_reps(&path, &column, Window::Between(i64::MAX, i64::MAX), 1000, &EventOptions::new())
            .expect("read");
        assert!(r.latest.iter().all(Option::is_none) && r.newest.is_some());
        clean(&["plain", "rising", "quoted"]);
    }

    #[test]
    fn errors_name_the_column_the_line_and_the_unit() {
        let column = Column::text(vec![Some("a0")]);
        let path = temp("norep", "account_id,kind,timestamp\na0,call,1700000000\n");
        let e =
            read_latest_reps_path(&path, &column, None, None, &EventOptions::new()).expect_err("no rep_id").to_string();
        assert!(e.contains("rep_id") && e.contains("timestamp") && e.contains("events.csv"), "{e}");
        let mut text = events(200);
        text.push_str("a0,call,1700000000000,r1\n");
        let path = temp("ms", &text);
        match read_latest_reps(&path, &column, Window::Between(i64::MIN, i64::MAX), 64, &EventOptions::new()) {
            Err(PoolError::TimestampUnit { line, unit, .. }) => assert_eq!((line, unit), (202, TimeUnit::Milliseconds)),
            other => panic!("{other:?}"),
        }
        let path = temp("parquet", "");
        let parquet = path.with_extension("parquet");
        std::fs::write(&parquet, "PAR1").expect("write");
        let e = read_latest_reps_path(&parquet, &column, None, None, &EventOptions::new())
            .expect_err("parquet")
            .to_string();
        assert!(e.contains("Parquet"), "{e}");
        clean(&["norep", "ms", "parquet"]);
    }
}
