//! Streaming a line-oriented file in blocks of whole lines, one buffer
//! reused: the reader under the events readers and the ranked-file reader,
//! which parse each block with [`split_unquoted_lines`](super::split_unquoted_lines).

use std::io::Read;

/// What [`for_each_line_block`] fails with besides the caller's own errors.
#[derive(Debug)]
pub enum LineBlockError<E> {
    /// Reading failed.
    Io(std::io::Error),
    /// No line feed within the longest line allowed: the number of the line
    /// (1 is the header).
    LineTooLong {
        /// The line that does not end.
        line: u64,
    },
    /// An error of the caller's `header` or `lines`.
    Each(E),
}

/// Streams `reader` in blocks of `block` bytes cut after their last line
/// feed, through one buffer: `header` is called once with the first line
/// (without its line feed) and returns the state the blocks are parsed
/// with; then `lines(state, body, first_line)` is called on each run of
/// whole lines (the first is line 2) and returns the number of the line
/// after it. The last line needs no line feed. Returns the state, or `None`
/// for an empty input (`header` is not called).
///
/// A line longer than a block grows the buffer, up to `max_line` bytes;
/// past that, [`LineBlockError::LineTooLong`].
///
/// ```
/// use acctscore_frame::csv::for_each_line_block;
///
/// let data: &[u8] = b"id,n\na,1\nb,2\nc,3";
/// let mut rows = Vec::new();
/// let header = for_each_line_block(data, 4, 1 << 20, |h| Ok::<_, ()>(h.to_vec()), |_, body, line| {
///     rows.extend_from_slice(body); // whole lines only, whatever the block size
///     Ok(line + body.iter().filter(|&&b| b == b'\n').count() as u64)
/// });
/// assert_eq!(header.ok().flatten().as_deref(), Some(&b"id,n"[..]));
/// assert_eq!(rows, b"a,1\nb,2\nc,3");
/// ```
///
/// # Errors
/// [`LineBlockError::Io`], [`LineBlockError::LineTooLong`], and the errors
/// of `header` and `lines` as [`LineBlockError::Each`].
pub fn for_each_line_block<R: Read, S, E>(
    mut reader: R,
    block: usize,
    max_line: usize,
    header: impl FnOnce(&[u8]) -> Result<S, E>,
    mut lines: impl FnMut(&mut S, &[u8], u64) -> Result<u64, E>,
) -> Result<Option<S>, LineBlockError<E>> {
    let block = block.max(1);
    // The carried partial line moves to the buffer's front and the next
    // block is read after it (zeroed once, not per block).
    let mut buf: Vec<u8> = vec![0; block + 4096];
    let mut filled = 0;
    let mut header = Some(header);
    let mut state: Option<S> = None;
    let mut line = 2u64;
    loop {
        if filled > max_line {
            return Err(LineBlockError::LineTooLong { line: if state.is_none() { 1 } else { line } });
        }
        if buf.len() < filled + block {
            buf.resize(filled + block, 0);
        }
        let got = read_full(&mut reader, &mut buf[filled..filled + block]).map_err(LineBlockError::Io)?;
        let end = filled + got;
        let at_end = got == 0;
        let mut body_start = 0;
        if let Some(read_header) = header.take_if(|_| state.is_none()) {
            let Some(header_end) = memchr::memchr(b'\n', &buf[..end]).or((at_end && end > 0).then_some(end)) else {
                if at_end {
                    return Ok(None);
                }
                header = Some(read_header);
                filled = end;
                continue;
            };
            state = Some(read_header(&buf[..header_end]).map_err(LineBlockError::Each)?);
            body_start = (header_end + 1).min(end);
        }
        let Some(s) = state.as_mut() else { return Ok(None) };
        let body = &buf[body_start..end];
        // Up to the last complete line; the rest is kept for the next block.
        let cut = if at_end { body.len() } else { memchr::memrchr(b'\n', body).map_or(0, |p| p + 1) };
        line = lines(s, &body[..cut], line).map_err(LineBlockError::Each)?;
        buf.copy_within(body_start + cut..end, 0);
        filled = end - body_start - cut;
        if at_end {
            return Ok(state);
        }
    }
}

/// Reads until `out` is full or the input ends; returns the bytes read.
fn read_full(reader: &mut impl Read, mut out: &mut [u8]) -> std::io::Result<usize> {
    let mut total = 0;
    while !out.is_empty() {
        match reader.read(out) {
            Ok(0) => break,
            Ok(k) => {
                total += k;
                out = &mut out[k..];
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every block size gives the same header, lines and line numbers.
    #[test]
    fn blocks_of_any_size_cut_after_whole_lines() {
        let data = b"h1,h2\r\na,1\n\nbb,22\nccc,333";
        for block in [1, 2, 3, 7, 64, 1 << 20] {
            let mut got = Vec::new();
            let header = for_each_line_block(
                &data[..],
                block,
                1 << 20,
                |h| Ok::<_, ()>(h.to_vec()),
                |_, body, line| {
                    got.extend_from_slice(body);
                    assert!(body.is_empty() || body.ends_with(b"\n") || body.ends_with(b"333"), "{block}");
                    Ok(line + body.iter().filter(|&&b| b == b'\n').count() as u64)
                },
            )
            .expect("read");
            assert_eq!(header.as_deref(), Some(&b"h1,h2\r"[..]));
            assert_eq!(got, b"a,1\n\nbb,22\nccc,333", "block {block}");
        }
        let none = for_each_line_block(&b""[..], 4, 16, |_| Ok::<_, ()>(()), |_, _, l| Ok(l)).expect("empty");
        assert!(none.is_none());
        let header_only = for_each_line_block(&b"a,b"[..], 2, 16, |h| Ok::<_, ()>(h.to_vec()), |_, _, l| Ok(l));
        assert_eq!(header_only.expect("read").as_deref(), Some(&b"a,b"[..]));
        let long =
            for_each_line_block(&b"h\nxxxxxxxxxxxxxxxxxxxxxxxx\n"[..], 4, 8, |_| Ok::<_, ()>(()), |_, _, l| Ok(l));
        assert!(matches!(long, Err(LineBlockError::LineTooLong { line: 2 })));
        let long_header =
            for_each_line_block(&b"hhhhhhhhhhhhhhhhhhhhhh"[..], 4, 8, |_| Ok::<_, ()>(()), |_, _, l| Ok(l));
        assert!(matches!(long_header, Err(LineBlockError::LineTooLong { line: 1 })));
    }
}
