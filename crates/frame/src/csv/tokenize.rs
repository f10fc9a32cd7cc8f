//! The loader's tokenizer: records and fields of CSV found eight bytes at
//! a time. Private to the crate; [`split_unquoted_lines`] is its one public
//! entry, for readers of other line formats (the scorer's events reader).

use crate::QuotingProblem;

/// Where a field's bytes are: in the input chunk, or (for quoted fields
/// with `""` escapes) in the record's scratch buffer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Span {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) scratch: bool,
}

#[inline]
pub(super) fn span_bytes<'a>(chunk: &'a [u8], scratch: &'a [u8], s: Span) -> &'a [u8] {
    let buf = if s.scratch { scratch } else { chunk };
    buf.get(s.start..s.end).unwrap_or_default()
}

/// The delimiter, `\n` and (with `QUOTES`) `"` bytes of `data`, eight
/// bytes at a time (SWAR): each item is a word's offset and a mask with the
/// high bit of each of its special bytes (bit `8k + 7` for
/// `data[offset + k]`). CSV fields are short: dense matches make one SIMD
/// search per match slow, and iterating a word's bits in the caller's own
/// loop beats one call per match.
#[derive(Debug, Clone)]
struct SpecialWords<'a, const QUOTES: bool = true> {
    data: &'a [u8],
    /// Start of the next word to load.
    next: usize,
    delim: u64,
}

const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HI: u64 = 0x8080_8080_8080_8080;
const ONES: u64 = 0x0101_0101_0101_0101;

impl<'a, const QUOTES: bool> SpecialWords<'a, QUOTES> {
    /// The special bytes of `data` for the delimiter `delim`.
    fn new(data: &'a [u8], delim: u8) -> Self {
        SpecialWords { data, next: 0, delim: u64::from(delim) * ONES }
    }

    /// High bit of each byte of `w` equal to the byte splatted in `splat`.
    #[inline(always)]
    fn eq_mask(w: u64, splat: u64) -> u64 {
        let x = w ^ splat;
        !(((x & LO7).wrapping_add(LO7)) | x) & HI
    }
}

impl<const QUOTES: bool> SpecialWords<'_, QUOTES> {
    /// Continues at the word holding byte `pos` (words stay aligned to the data's start).
    fn seek(&mut self, pos: usize) {
        self.next = pos - pos % 8;
    }
}

impl<const QUOTES: bool> Iterator for SpecialWords<'_, QUOTES> {
    type Item = (usize, u64);

    #[inline(always)]
    fn next(&mut self) -> Option<(usize, u64)> {
        let base = self.next;
        let rest = self.data.get(base..).filter(|r| !r.is_empty())?;
        self.next += 8;
        let (w, valid) = match rest.first_chunk::<8>() {
            Some(word) => (u64::from_le_bytes(*word), u64::MAX),
            None => {
                let mut w = [0u8; 8];
                w[..rest.len()].copy_from_slice(rest);
                // Zero padding must not match (the delimiter could be NUL).
                (u64::from_le_bytes(w), (1u64 << (8 * rest.len())) - 1)
            }
        };
        let mut m = Self::eq_mask(w, self.delim) | Self::eq_mask(w, u64::from(b'\n') * ONES);
        if QUOTES {
            m |= Self::eq_mask(w, u64::from(b'"') * ONES);
        }
        Some((base, m & valid))
    }
}

/// Positions of the delimiter, `\n` and `"` in `data`, in order (the bits
/// of [`SpecialWords`]); the tests' reference for the tokenizer.
#[cfg(test)]
#[derive(Debug, Clone)]
pub(super) struct Specials<'a> {
    words: SpecialWords<'a>,
    /// Start of the word whose matches are in `mask`.
    base: usize,
    mask: u64,
}

#[cfg(test)]
impl<'a> Specials<'a> {
    /// The special bytes of `data` for the delimiter `delim`.
    pub(super) fn new(data: &'a [u8], delim: u8) -> Self {
        Specials { words: SpecialWords::new(data, delim), base: 0, mask: 0 }
    }
}

#[cfg(test)]
impl Iterator for Specials<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            (self.base, self.mask) = self.words.next()?;
        }
        let k = (self.mask.trailing_zeros() / 8) as usize;
        self.mask &= self.mask - 1;
        Some(self.base + k)
    }
}

/// Splits `chunk` into records (RFC 4180 quotes, LF or CRLF, blank lines
/// ignored), calling `f(scratch, spans, line, problem)` per record (`line`
/// 1-based within the chunk); `f` returns `false` to stop. A record with bad
/// quoting is passed with its problem and no spans; scanning resumes at the
/// next line.
///
/// Unquoted fields, nearly all of a CRM export, end at the next delimiter or
/// newline that [`SpecialWords`] finds eight bytes at a time; a quoted field
/// is read to its closing quote by one search for `"` and scanning resumes
/// after it.
pub(super) fn for_each_record(
    chunk: &[u8],
    delim: u8,
    mut f: impl FnMut(&[u8], &[Span], u64, Option<QuotingProblem>) -> bool,
) {
    let mut spans: Vec<Span> = Vec::with_capacity(32);
    let mut scratch: Vec<u8> = Vec::new();
    // Line of the current record's start, and newlines inside its quoted fields.
    let mut line = 1u64;
    let mut inner_lines = 0u64;
    let mut field_start = 0usize;
    // Specials before `resume` were consumed by a quoted field or a bad record.
    let mut resume = 0usize;
    let mut words = SpecialWords::<true>::new(chunk, delim);
    // Ends the record whose last byte is the newline at `nl` (or the chunk's end).
    macro_rules! next_record {
        ($nl:expr) => {{
            spans.clear();
            scratch.clear();
            line += inner_lines + 1;
            inner_lines = 0;
            field_start = $nl + 1;
            resume = field_start;
        }};
    }
    // Reports the current record as bad and skips to the end of its line.
    macro_rules! bad_record {
        ($from:expr, $problem:expr) => {{
            let go = f(&scratch, &[], line, Some($problem));
            match memchr::memchr(b'\n', chunk.get($from..).unwrap_or_default()) {
                Some(k) if go => {
                    next_record!($from + k);
                    words.seek(resume);
                    break;
                }
                _ => return,
            }
        }};
    }
    while let Some((base, mut m)) = words.next() {
        while m != 0 {
            let p = base + (m.trailing_zeros() / 8) as usize;
            m &= m - 1;
            if p < resume {
                continue;
            }
            match chunk.get(p) {
                Some(&b'\n') => {
                    let mut end = p;
                    if end > field_start && chunk[end - 1] == b'\r' {
                        end -= 1;
                    }
                    // A blank line is no record.
                    if spans.is_empty() && end == field_start {
                        next_record!(p);
                        continue;
                    }
                    spans.push(Span { start: field_start, end, scratch: false });
                    if !f(&scratch, &spans, line, None) {
                        return;
                    }
                    next_record!(p);
                }
                Some(&b'"') => {
                    if p != field_start {
                        bad_record!(p, QuotingProblem::StrayQuote);
                    }
                    // The closing quote: the first `"` not followed by another.
                    let start = p + 1;
                    let mut at = start;
                    let mut escaped = false;
                    let close = loop {
                        match memchr::memchr(b'"', chunk.get(at..).unwrap_or_default()) {
                            Some(k) if chunk.get(at + k + 1) == Some(&b'"') => {
                                escaped = true;
                                at += k + 2;
                            }
                            Some(k) => break at + k,
                            None => {
                                f(&scratch, &[], line, Some(QuotingProblem::Unterminated));
                                return;
                            }
                        }
                    };
                    inner_lines += memchr::memchr_iter(b'\n', &chunk[start..close]).count() as u64;
                    // What follows: a delimiter, a newline (LF or CRLF) or the end.
                    let after = chunk.get(close + 1..).unwrap_or_default();
                    let (ends_field, nl) = match after {
                        [] => (true, None),
                        [c, ..] if *c == delim => (true, None),
                        [b'\n', ..] => (true, Some(close + 1)),
                        [b'\r', b'\n', ..] => (true, Some(close + 2)),
                        rest if rest.iter().all(|&c| c == b'\r') => (true, None),
                        _ => (false, None),
                    };
                    if !ends_field {
                        bad_record!(close + 1, QuotingProblem::TextAfterClosingQuote);
                    }
                    push_unquoted(&mut spans, &mut scratch, chunk, start, close, escaped);
                    field_start = close + 2;
                    resume = field_start;
                    if let Some(nl) = nl {
                        if !f(&scratch, &spans, line, None) {
                            return;
                        }
                        next_record!(nl);
                    } else if after.first().is_some_and(|&c| c != delim) || after.is_empty() {
                        // The last record ends with this field.
                        f(&scratch, &spans, line, None);
                        return;
                    }
                    words.seek(resume);
                    break;
                }
                _ => {
                    spans.push(Span { start: field_start, end: p, scratch: false });
                    field_start = p + 1;
                }
            }
        }
    }
    // The last record, without a final newline.
    let mut end = chunk.len();
    if end > field_start && chunk[end - 1] == b'\r' {
        end -= 1;
    }
    if field_start <= chunk.len() && !(spans.is_empty() && end == field_start) {
        spans.push(Span { start: field_start, end, scratch: false });
        f(&scratch, &spans, line, None);
    }
}

/// The span of the quoted field `chunk[start..end]`: in the chunk, or with
/// `""` unescaped in `scratch`.
pub(super) fn push_unquoted(
    spans: &mut Vec<Span>,
    scratch: &mut Vec<u8>,
    chunk: &[u8],
    start: usize,
    end: usize,
    escaped: bool,
) {
    if escaped {
        let a = scratch.len();
        let mut prev_quote = false;
        for &b in chunk.get(start..end).unwrap_or_default() {
            if b == b'"' && prev_quote {
                prev_quote = false;
                continue;
            }
            prev_quote = b == b'"';
            scratch.push(b);
        }
        spans.push(Span { start: a, end: scratch.len(), scratch: true });
    } else {
        spans.push(Span { start, end, scratch: false });
    }
}

/// Splits `data`, delimited text without quoted fields, into lines and
/// fields with the loader's tokenizer (delimiters and line feeds found eight
/// bytes at a time, fields kept in a fixed array: no allocation per line).
///
/// For every line that is not blank, calls `each(line, fields, count)`:
/// `line` is the number of line feeds before it in `data` (0 for the first
/// line), `count` the number of fields on the line, and `fields` its first
/// `count.min(N)` fields as byte ranges of `data` (a line with more than `N`
/// fields is still counted, so the caller can refuse it). A trailing `\r`
/// (CRLF) is dropped from the last field; nothing else is trimmed. A `"` is
/// an ordinary byte here: check that `data` holds none when a quoted field
/// would mean something else. A delimiter of `\n` gives one field per line.
///
/// Stops at the first error of `each` and returns it; otherwise returns the
/// number of line feeds in `data` (the line number of the next block, for a
/// caller reading a file in blocks of whole lines).
///
/// ```
/// use acctscore_frame::csv::split_unquoted_lines;
///
/// let data = b"acct_1,email,1700000000\r\n\nacct_2,call\n";
/// let mut seen = Vec::new();
/// let lines = split_unquoted_lines::<4, _, ()>(data, b',', |line, fields, count| {
///     seen.push((line, fields.to_vec(), count));
///     Ok(())
/// })?;
/// assert_eq!(lines, 3);
/// assert_eq!(seen[0], (0, vec![&b"acct_1"[..], b"email", b"1700000000"], 3));
/// assert_eq!(seen[1], (2, vec![&b"acct_2"[..], b"call"], 2)); // line 1 is blank
/// # Ok::<(), ()>(())
/// ```
///
/// # Errors
/// The first error returned by `each`.
pub fn split_unquoted_lines<'a, const N: usize, F, E>(data: &'a [u8], delimiter: u8, mut each: F) -> Result<u64, E>
where
    F: FnMut(u64, &[&'a [u8]], usize) -> Result<(), E>,
{
    let mut split = Split::<'a, N> { fields: [&[]; N], count: 0, start: 0, line: 0 };
    // Quotes are ordinary bytes: only delimiters and line feeds are special.
    for (base, mut found) in SpecialWords::<false>::new(data, delimiter) {
        while found != 0 {
            let j = base + (found.trailing_zeros() / 8) as usize;
            found &= found - 1;
            split.special(data, j, &mut each)?;
        }
    }
    // Every line feed ended a line.
    let line_feeds = split.line;
    if split.start < data.len() || split.count > 0 {
        split.end_line(data.get(split.start..).unwrap_or_default(), &mut each)?;
    }
    Ok(line_feeds)
}

/// The line being split by [`split_unquoted_lines`].
struct Split<'a, const N: usize> {
    fields: [&'a [u8]; N],
    /// Fields seen so far on the line (may exceed `N`).
    count: usize,
    /// Where the current field starts.
    start: usize,
    /// Line feeds before the line.
    line: u64,
}

impl<'a, const N: usize> Split<'a, N> {
    /// The special byte at `data[j]`: a line feed or the delimiter.
    #[inline(always)]
    fn special<E>(
        &mut self,
        data: &'a [u8],
        j: usize,
        each: &mut impl FnMut(u64, &[&'a [u8]], usize) -> Result<(), E>,
    ) -> Result<(), E> {
        let field = data.get(self.start..j).unwrap_or_default();
        self.start = j + 1;
        if data.get(j) == Some(&b'\n') {
            self.end_line(field, each)
        } else {
            if let Some(f) = self.fields.get_mut(self.count) {
                *f = field;
            }
            self.count += 1;
            Ok(())
        }
    }

    /// The line's last field: the line is handed to `each` (unless blank).
    #[inline(always)]
    fn end_line<E>(
        &mut self,
        last: &'a [u8],
        each: &mut impl FnMut(u64, &[&'a [u8]], usize) -> Result<(), E>,
    ) -> Result<(), E> {
        let last = last.strip_suffix(b"\r").unwrap_or(last);
        if let Some(f) = self.fields.get_mut(self.count) {
            *f = last;
        }
        let count = self.count + 1;
        let line = self.line;
        self.count = 0;
        self.line += 1;
        if count == 1 && last.is_empty() {
            return Ok(());
        }
        each(line, self.fields.get(..count.min(N)).unwrap_or_default(), count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line as (line, fields, count).
    type Line = (u64, Vec<Vec<u8>>, usize);

    /// Every line, and the line feeds.
    fn lines<const N: usize>(data: &[u8], delim: u8) -> (Vec<Line>, u64) {
        let mut out = Vec::new();
        let feeds = split_unquoted_lines::<N, _, ()>(data, delim, |line, fields, count| {
            out.push((line, fields.iter().map(|f| f.to_vec()).collect(), count));
            Ok(())
        })
        .expect("no error");
        (out, feeds)
    }

    fn v(fields: &[&str]) -> Vec<Vec<u8>> {
        fields.iter().map(|f| f.as_bytes().to_vec()).collect()
    }

    #[test]
    fn splits_lines_and_fields_and_counts_line_feeds() {
        // Words straddled at every offset: lines longer and shorter than 8 bytes.
        let (got, feeds) = lines::<4>(b"a,bb,ccc\r\n\r\n,,\nlast_line_without_feed,x", b',');
        assert_eq!(feeds, 3);
        assert_eq!(
            got,
            [(0, v(&["a", "bb", "ccc"]), 3), (2, v(&["", "", ""]), 3), (3, v(&["last_line_without_feed", "x"]), 2)]
        );
    }

    #[test]
    fn counts_fields_past_the_array_and_keeps_quotes_as_bytes() {
        let (got, _) = lines::<2>(b"a,b,c,d\n\"q\",r\n", b',');
        assert_eq!(got, [(0, v(&["a", "b"]), 4), (1, v(&["\"q\"", "r"]), 2)]);
        let (got, _) = lines::<2>(b"a;\"b\"\n", b'"');
        assert_eq!(got, [(0, v(&["a;", "b"]), 3)]);
    }

    #[test]
    fn a_line_feed_delimiter_gives_one_field_per_line() {
        let (got, feeds) = lines::<2>(b"a,b\nc\n", b'\n');
        assert_eq!(feeds, 2);
        assert_eq!(got, [(0, v(&["a,b"]), 1), (1, v(&["c"]), 1)]);
    }

    #[test]
    fn stops_at_the_first_error() {
        let mut seen = 0;
        let r = split_unquoted_lines::<2, _, u64>(b"a\nb\nc\n", b',', |line, _, _| {
            seen += 1;
            if line == 1 { Err(line) } else { Ok(()) }
        });
        assert_eq!((r, seen), (Err(1), 2));
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert_eq!(lines::<2>(b"", b','), (vec![], 0));
        assert_eq!(lines::<2>(b"\n\r\n", b','), (vec![], 2));
    }
}
