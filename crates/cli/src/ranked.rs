//! The ranked-accounts output: the CSV `score` and `demo` write (the
//! library's `pool::write_ranked`, as `examples/bench_pool.rs` writes it),
//! and the text a person reads (the top accounts with their reasons).

use crate::common::{BoxError, Context, Result, fail};
use acctscore::AccountScore;
use acctscore::frame::TextColumn;
use acctscore::frame::csv::{LineBlockError, for_each_line_block, split_unquoted_lines};
use std::io::Write;
use std::path::Path;

/// Writes ranked accounts as CSV ([`acctscore::pool::write_ranked`]: its
/// columns, then `carried`).
///
/// # Errors
/// Writing failed.
pub(crate) fn write_csv(
    sink: &mut dyn Write,
    ranked: &[AccountScore],
    carried: &[(String, Vec<String>)],
) -> Result<()> {
    Ok(acctscore::pool::write_ranked(sink, ranked, carried)?)
}

/// The top accounts for a person: one line of numbers per account, then its
/// ICP probability as baseline + reasons (percentage points rounded so that
/// the shown parts add up to the shown total), then its data doubts.
///
/// # Errors
/// Writing failed.
pub(crate) fn write_text(out: &mut dyn Write, ranked: &[AccountScore]) -> Result<()> {
    writeln!(
        out,
        "{:>3}  {:<14} {:>8} {:>7} {:>4} {:>6} {:>9} {:>6} {:>6}",
        "#", "account", "priority", "quality", "tier", "p(icp)", "revenue", "p(rev)", "eng"
    )?;
    for (rank, s) in ranked.iter().enumerate() {
        let (revenue, p_rev) = s.revenue.as_ref().map_or((String::from("-"), String::from("-")), |r| {
            (format!("${:.0}k", r.estimate / 1000.0), format!("{:.2}", r.in_range.get()))
        });
        writeln!(
            out,
            "{:>3}. {:<14} {:>8.3} {:>7.3} {:>4} {:>6.3} {:>9} {:>6} {:>6}",
            rank + 1,
            s.account_id,
            s.priority,
            s.quality,
            s.tier,
            s.icp.get(),
            revenue,
            p_rev,
            s.engagement.map_or(String::from("-"), |e| format!("{e:.1}")),
        )?;
        writeln!(out, "     {}", s.icp_sum_line())?;
        if let Some(doubt) = s.data_doubt_line() {
            writeln!(out, "     {doubt}")?;
        }
    }
    Ok(())
}

/// The columns `assign` reads from a ranked file.
#[derive(Debug)]
pub(crate) struct RankedColumns {
    /// The `account_id` column, trimmed (as every reader of the tool trims ids).
    pub(crate) ids: TextColumn,
    /// The `priority` column (NaN where empty).
    pub(crate) priorities: Vec<f64>,
    /// The segment column asked for, if any, trimmed.
    pub(crate) segments: Option<Vec<String>>,
}

/// Bytes read per block by [`read_ranked_columns`].
const BLOCK: usize = 8 << 20;

/// The longest line read: a ranked line is a few hundred bytes.
const MAX_LINE: usize = 64 << 20;

/// Most fields a line may have before the columns read (the tokenizer's bound).
const FIELDS: usize = 32;

/// Reads `account_id`, `priority` and, if named, `segment` from the ranked
/// file at `path`, streamed in blocks of 8 MiB (memory holds one block and
/// the columns, not the file: a ranked file of a million accounts with its
/// reasons is ~300 MB), each block's two halves split on two threads.
///
/// `Ok(None)` when the file holds a quote or its columns sit past the 32nd:
/// the caller reads it with the frame's loader, which handles both.
///
/// # Errors
/// An unreadable file, a missing column, a line whose field count is not
/// the header's, a priority that is not a number; each naming the file and
/// the line.
pub(crate) fn read_ranked_columns(path: &Path, segment: Option<&str>) -> Result<Option<RankedColumns>> {
    read_in_blocks(path, segment, BLOCK)
}

/// [`read_ranked_columns`] in blocks of `block` bytes (at first: a line
/// longer than a block doubles it).
fn read_in_blocks(path: &Path, segment: Option<&str>, block: usize) -> Result<Option<RankedColumns>> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = RankedColumns { ids: TextColumn::with_capacity(0, 0), priorities: Vec::new(), segments: None };
    let mut segments = Vec::new();
    let header = |line: &[u8]| -> std::result::Result<(usize, [usize; 3]), Stop> {
        // Quotes, a byte-order mark or blank lines before the header: the frame's loader handles them.
        if line.contains(&b'"') || line.starts_with(b"\xEF\xBB\xBF") || line.trim_ascii().is_empty() {
            return Err(Stop::Fallback);
        }
        let names: Vec<String> = String::from_utf8_lossy(line).split(',').map(|n| n.trim().to_string()).collect();
        let col = |name: &str| {
            names.iter().position(|n| n == name).ok_or_else(|| {
                Stop::Fail(fail(format!("{}: no column `{name}`; columns: {}", path.display(), names.join(", "))))
            })
        };
        let wanted = [col("account_id")?, col("priority")?, segment.map(col).transpose()?.unwrap_or(0)];
        if wanted.iter().any(|&k| k >= FIELDS) {
            return Err(Stop::Fallback);
        }
        Ok((names.len(), wanted))
    };
    let read = for_each_line_block(file, block, MAX_LINE, header, |&mut (n_fields, wanted), body, line| {
        if body.contains(&b'"') {
            return Err(Stop::Fallback);
        }
        let mid = body.len() / 2;
        let split = body[mid..].iter().position(|&b| b == b'\n').map_or(body.len(), |p| mid + p + 1);
        let (a, b) = body.split_at(split);
        let parse = |part: &[u8]| parse_part(part, n_fields, wanted, segment.is_some());
        let (ra, rb) = std::thread::scope(|s| {
            let second = s.spawn(|| parse(b));
            (parse(a), second.join())
        });
        let at = |first: u64| {
            move |(k, why): (u64, String)| Stop::Fail(fail(format!("{}: line {}: {why}", path.display(), first + k)))
        };
        let ra = ra.map_err(at(line))?;
        let rb = rb.map_err(|_| Stop::Fail(fail("a reading thread panicked")))?.map_err(at(line + ra.lines))?;
        let next = line + ra.lines + rb.lines;
        for part in [ra, rb] {
            out.ids.append(&part.ids);
            out.priorities.extend(part.priorities);
            segments.extend(part.segments);
        }
        Ok(next)
    });
    match read {
        Ok(Some(_)) => {
            out.segments = segment.map(|_| segments);
            Ok(Some(out))
        }
        Ok(None) => Err(fail(format!("{}: empty (no header)", path.display()))),
        Err(LineBlockError::Each(Stop::Fallback)) => Ok(None),
        Err(LineBlockError::Each(Stop::Fail(e))) => Err(e),
        Err(LineBlockError::Io(e)) => Err(e).with_context(|| format!("reading {}", path.display())),
        Err(LineBlockError::LineTooLong { line }) => {
            Err(fail(format!("{}: line {line}: no line feed within {} MiB", path.display(), MAX_LINE >> 20)))
        }
    }
}

/// Why the streamed read stopped early.
enum Stop {
    /// The file needs the frame's loader (quotes, a byte-order mark, a far column).
    Fallback,
    /// A real error.
    Fail(BoxError),
}

/// What one half of a block read.
struct Part {
    ids: TextColumn,
    priorities: Vec<f64>,
    segments: Vec<String>,
    /// Line feeds in the half.
    lines: u64,
}

/// Parses the lines of `part` (no quotes), `n_fields` each; errors carry
/// the line's number within the part.
fn parse_part(
    part: &[u8],
    n_fields: usize,
    [id, priority, segment]: [usize; 3],
    with_segment: bool,
) -> std::result::Result<Part, (u64, String)> {
    let rows = part.len() / 64;
    let mut out = Part {
        ids: TextColumn::with_capacity(rows, rows * 12),
        priorities: Vec::with_capacity(rows),
        segments: Vec::new(),
        lines: 0,
    };
    fn text(k: u64, f: &[u8]) -> std::result::Result<&str, (u64, String)> {
        std::str::from_utf8(f.trim_ascii()).map_err(|_| (k, "not valid UTF-8".to_string()))
    }
    out.lines = split_unquoted_lines::<FIELDS, _, (u64, String)>(part, b',', |k, fields, count| {
        if count != n_fields {
            return Err((k, format!("{count} fields where the header has {n_fields}")));
        }
        // An empty id is missing, as the frame's loader reads it.
        let id = text(k, fields[id])?;
        out.ids.push(Some(id).filter(|id| !id.is_empty()));
        let p = fields[priority].trim_ascii();
        let value = std::str::from_utf8(p).ok().and_then(|p| p.parse::<f64>().ok()).filter(|v| v.is_finite());
        out.priorities
            .push(value.ok_or_else(|| (k, format!("priority `{}` is not a number", String::from_utf8_lossy(p))))?);
        if with_segment {
            out.segments.push(text(k, fields[segment])?.to_string());
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(test: &str, name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("acctscore-cli-ranked-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    fn ranked(n: usize, crlf: bool) -> String {
        let end = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("rank,account_id,priority,tier,segment,reasons{end}");
        for k in 0..n {
            let p = 1.0 / (k as f64 + 2.0);
            text.push_str(&format!("{},acct_{k:05},{p},A, seg{} ,x:+0.1;other:+0.2{end}", k + 1, k % 3));
            if k % 97 == 5 {
                text.push_str(end); // a blank line
            }
        }
        text
    }

    #[test]
    fn blocks_of_any_size_read_the_same_columns() {
        for crlf in [false, true] {
            let text = ranked(1000, crlf);
            let path = temp("blocks", if crlf { "crlf.csv" } else { "lf.csv" }, &text);
            let want: Vec<(String, f64, String)> =
                (0..1000).map(|k| (format!("acct_{k:05}"), 1.0 / (k as f64 + 2.0), format!("seg{}", k % 3))).collect();
            for block in [1, 64, 1000, 1 << 20] {
                let r = read_in_blocks(&path, Some("segment"), block).expect("read").expect("streamed");
                let got: Vec<(String, f64, String)> = r
                    .ids
                    .iter()
                    .zip(&r.priorities)
                    .zip(r.segments.as_deref().expect("segments"))
                    .map(|((id, p), s)| (id.unwrap_or("").to_string(), *p, s.clone()))
                    .collect();
                assert_eq!(got, want, "block {block}, crlf {crlf}");
            }
        }
        let _ = std::fs::remove_dir_all(temp("blocks", "x", "").parent().expect("dir"));
    }

    #[test]
    fn quotes_fall_back_and_bad_lines_name_their_line() {
        let quoted = temp("bad", "quoted.csv", "rank,account_id,priority\n1,\"a,b\",0.5\n");
        assert!(read_in_blocks(&quoted, None, 64).expect("read").is_none());
        let mut text = ranked(300, false);
        text.push_str("301,acct_x,0.1\n");
        let ragged = temp("bad", "ragged.csv", &text);
        // 300 rows and 4 blank lines after the header: the bad row is line 306.
        for block in [64, 1 << 20] {
            let e = read_in_blocks(&ragged, None, block).expect_err("ragged").to_string();
            assert!(e.ends_with("ragged.csv: line 306: 3 fields where the header has 6"), "{e}");
        }
        let bad = temp("bad", "bad.csv", "rank,account_id,priority\n1,a,0.5\n2,b,high\n");
        let e = read_in_blocks(&bad, None, 8).expect_err("priority").to_string();
        assert!(e.ends_with("bad.csv: line 3: priority `high` is not a number"), "{e}");
        let e = read_in_blocks(&bad, Some("segment"), 64).expect_err("segment").to_string();
        assert!(e.contains("no column `segment`") && e.contains("rank, account_id, priority"), "{e}");
        let nan = temp("bad", "nan.csv", "rank,account_id,priority\n1,a,NaN\n");
        let e = read_in_blocks(&nan, None, 64).expect_err("NaN").to_string();
        assert!(e.ends_with("nan.csv: line 2: priority `NaN` is not a number"), "{e}");
        // A byte-order mark or a blank line before the header goes to the frame's loader.
        for (name, text) in
            [("bom.csv", "\u{feff}rank,account_id,priority\n1,a,0.5\n"), ("blank.csv", "\nrank,account_id,priority\n")]
        {
            assert!(read_in_blocks(&temp("bad", name, text), None, 64).expect("read").is_none(), "{name}");
        }
        // An empty id is missing, as the frame's loader reads it.
        let ids = read_in_blocks(&temp("bad", "ids.csv", "rank,account_id,priority\n1, ,0.5\n2,b,0.4\n"), None, 64)
            .expect("read")
            .expect("streamed")
            .ids;
        assert_eq!(ids.iter().collect::<Vec<_>>(), [None, Some("b")]);
        let empty = temp("bad", "empty.csv", "");
        assert!(read_in_blocks(&empty, None, 64).expect_err("empty").to_string().contains("empty"));
        let _ = std::fs::remove_dir_all(quoted.parent().expect("dir"));
    }
}
