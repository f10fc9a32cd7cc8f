//! The parallel parse: the body split into chunks at record boundaries, each
//! chunk parsed into its rows of the final columns, the chunks merged in order.

use super::*;

/// Splits `body` at record boundaries into up to four chunks per thread (of
/// 1 MiB at least), so that a thread slowed by another process still gets
/// its share of the work done by the others.
pub(super) fn split_chunks(body: &[u8]) -> Vec<(usize, usize)> {
    let threads = parallelism();
    const MIN_CHUNK: usize = 1 << 20;
    let n = (4 * threads).min(body.len() / MIN_CHUNK).max(1);
    // Cuts are searched from evenly spaced targets; whether a target is
    // inside a quoted field is the parity of the quotes before it, counted
    // per segment between targets (in parallel: one pass over the body).
    let targets: Vec<usize> = (0..n).map(|k| body.len() * k / n).collect();
    let count = |k: usize| match (targets.get(k), targets.get(k + 1)) {
        (Some(&a), Some(&b)) => memchr::memchr_iter(b'"', body.get(a..b).unwrap_or_default()).count(),
        _ => 0,
    };
    #[cfg(feature = "parallel")]
    let segment_quotes: Vec<usize> = {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(count).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let segment_quotes: Vec<usize> = (0..n).map(count).collect();
    let mut bounds = vec![0usize];
    let mut quotes_before = 0usize; // quotes in body[..target]
    for k in 1..n {
        quotes_before += segment_quotes.get(k - 1).copied().unwrap_or(0);
        let target = targets.get(k).copied().unwrap_or(body.len());
        if target < *bounds.last().unwrap_or(&0) {
            // The last cut already passed this target (a very long record).
            continue;
        }
        let mut in_quotes = quotes_before % 2 == 1;
        let mut cut = None;
        for (i, &c) in body[target..].iter().enumerate() {
            if c == b'"' {
                in_quotes = !in_quotes;
            } else if c == b'\n' && !in_quotes {
                cut = Some(target + i + 1);
                break;
            }
        }
        match cut {
            Some(c) if c < body.len() => bounds.push(c),
            _ => break,
        }
    }
    bounds.push(body.len());
    bounds.windows(2).map(|w| (w[0], w[1])).collect()
}

pub(super) fn parallelism() -> usize {
    #[cfg(feature = "parallel")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

pub(super) struct ChunkCtx<'a> {
    pub(super) delimiter: u8,
    pub(super) kinds: &'a [ColumnKind],
    pub(super) declared: &'a [Option<ColumnKind>],
    /// Per column: loaded (`false`: left out by [`CsvOptions::only`]).
    pub(super) keep: &'a [bool],
    pub(super) names: &'a [String],
    pub(super) options: &'a CsvOptions,
}

/// Parses the chunks (in parallel with the `parallel` feature) straight
/// into one storage per column: each chunk writes its rows into its own
/// window of the column, so no chunk's values are copied again.
pub(super) fn parse_chunks(body: &[u8], chunks: &[(usize, usize)], ctx: &ChunkCtx) -> (Vec<ChunkResult>, Vec<Store>) {
    // A chunk's records are at most its newlines (plus one when it does
    // not end with a newline): the size of its window.
    let rows_in = |&(a, b): &(usize, usize)| {
        let part = &body[a..b];
        memchr::memchr_iter(b'\n', part).count() + usize::from(part.last().is_some_and(|&c| c != b'\n'))
    };
    #[cfg(feature = "parallel")]
    let windows: Vec<usize> = {
        use rayon::prelude::*;
        chunks.par_iter().map(rows_in).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let windows: Vec<usize> = chunks.iter().map(rows_in).collect();
    let total = windows.iter().sum();
    let mut stores: Vec<Store> = ctx
        .kinds
        .iter()
        .zip(ctx.keep)
        .map(|(&k, &keep)| if keep { Store::new(k, total, chunks.len()) } else { Store::Skipped })
        .collect();
    let mut slots: Vec<Vec<Slot<'_>>> = chunks.iter().map(|_| Vec::with_capacity(stores.len())).collect();
    for store in &mut stores {
        let mut rest = store.slot();
        for (chunk_slots, &w) in slots.iter_mut().zip(&windows) {
            let (head, tail) = rest.split_at(w);
            chunk_slots.push(head);
            rest = tail;
        }
    }
    let work: Vec<_> = slots.into_iter().zip(chunks).zip(&windows).collect();
    let run = |((slots, &(a, b)), &window): ((Vec<Slot<'_>>, &(usize, usize)), &usize)| {
        parse_chunk(&body[a..b], ctx, slots, window)
    };
    #[cfg(feature = "parallel")]
    let results = {
        use rayon::prelude::*;
        work.into_par_iter().map(run).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let results = work.into_iter().map(run).collect();
    (results, stores)
}

/// One column's values for every row of the input, written in place by the chunks.
pub(super) enum Store {
    /// Values, [`NUMERIC_MISSING`] when missing (as [`NumericColumn`]).
    Numeric(Vec<f64>),
    Boolean(Vec<Option<bool>>),
    Timestamp(Vec<Option<i64>>),
    /// Codes of each chunk's own dictionary until merged
    /// ([`CategoricalColumn::MISSING`] when missing).
    Categorical(Vec<u32>),
    /// One column per chunk, appended in order when merged.
    Text(Vec<TextBytes>),
    /// A column left out by [`CsvOptions::only`].
    Skipped,
}

/// `n` copies of `v`, written on every thread (each faults in its own pages).
pub(super) fn filled<T: Clone + Send + Sync>(n: usize, v: T) -> Vec<T> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        let mut out = Vec::new();
        out.par_extend(rayon::iter::repeat_n(v, n));
        out
    }
    #[cfg(not(feature = "parallel"))]
    {
        vec![v; n]
    }
}

impl Store {
    pub(super) fn new(kind: ColumnKind, rows: usize, chunks: usize) -> Store {
        match kind {
            ColumnKind::Numeric => Store::Numeric(filled(rows, NUMERIC_MISSING)),
            ColumnKind::Boolean => Store::Boolean(filled(rows, None)),
            ColumnKind::Timestamp => Store::Timestamp(filled(rows, None)),
            ColumnKind::Text => Store::Text((0..chunks).map(|_| TextBytes::default()).collect()),
            _ => Store::Categorical(filled(rows, CategoricalColumn::MISSING)),
        }
    }

    pub(super) fn slot(&mut self) -> Slot<'_> {
        match self {
            Store::Numeric(v) => Slot::Numeric(v),
            Store::Boolean(v) => Slot::Boolean(v),
            Store::Timestamp(v) => Slot::Timestamp(v),
            Store::Categorical(v) => Slot::Categorical(v),
            Store::Text(v) => Slot::Text(v),
            Store::Skipped => Slot::Skipped,
        }
    }

    /// Removes `range` (rows a chunk's window did not fill).
    pub(super) fn remove(&mut self, range: Range<usize>) {
        match self {
            Store::Numeric(v) => drop(v.drain(range)),
            Store::Boolean(v) => drop(v.drain(range)),
            Store::Timestamp(v) => drop(v.drain(range)),
            Store::Categorical(v) => drop(v.drain(range)),
            // Each chunk's column holds only its rows (cut in `merge_chunks`).
            Store::Text(_) => {}
            Store::Skipped => {}
        }
    }
}

/// A chunk's window into one column's [`Store`].
pub(super) enum Slot<'a> {
    Numeric(&'a mut [f64]),
    Boolean(&'a mut [Option<bool>]),
    Timestamp(&'a mut [Option<i64>]),
    Categorical(&'a mut [u32]),
    /// The chunks' text columns: a window holds the first.
    Text(&'a mut [TextBytes]),
    Skipped,
}

/// Writes `x` at row `r` of a window. Windows are sized to the chunk's
/// maximum record count, so `r` is always inside.
#[inline]
pub(super) fn put<T>(window: &mut [T], r: usize, x: T) {
    if let Some(slot) = window.get_mut(r) {
        *slot = x;
    }
}

/// Writes row `r` of a chunk's text column (a record abandoned after its
/// text was written leaves a row that the next record replaces).
#[inline]
pub(super) fn put_text(window: &mut [TextBytes], r: usize, value: Option<&[u8]>) {
    if let Some(column) = window.first_mut() {
        column.put(r, value);
    }
}

impl<'a> Slot<'a> {
    /// The first `n` rows and the rest (`n` is at most the length by construction).
    pub(super) fn split_at(self, n: usize) -> (Slot<'a>, Slot<'a>) {
        fn cut<T>(v: &mut [T], n: usize) -> (&mut [T], &mut [T]) {
            let n = n.min(v.len());
            v.split_at_mut(n)
        }
        match self {
            Slot::Numeric(v) => {
                let (a, b) = cut(v, n);
                (Slot::Numeric(a), Slot::Numeric(b))
            }
            Slot::Boolean(v) => {
                let (a, b) = cut(v, n);
                (Slot::Boolean(a), Slot::Boolean(b))
            }
            Slot::Timestamp(v) => {
                let (a, b) = cut(v, n);
                (Slot::Timestamp(a), Slot::Timestamp(b))
            }
            Slot::Categorical(v) => {
                let (a, b) = cut(v, n);
                (Slot::Categorical(a), Slot::Categorical(b))
            }
            Slot::Text(v) => {
                // One column per chunk, whatever its row count.
                let (a, b) = cut(v, 1);
                (Slot::Text(a), Slot::Text(b))
            }
            Slot::Skipped => (Slot::Skipped, Slot::Skipped),
        }
    }

    #[inline]
    pub(super) fn put_missing(&mut self, r: usize) {
        match self {
            Slot::Numeric(v) => put(v, r, NUMERIC_MISSING),
            Slot::Boolean(v) => put(v, r, None),
            Slot::Timestamp(v) => put(v, r, None),
            Slot::Categorical(v) => put(v, r, CategoricalColumn::MISSING),
            Slot::Text(v) => put_text(v, r, None),
            Slot::Skipped => {}
        }
    }
}

pub(super) struct ChunkResult {
    /// The dictionary of each categorical column (codes are in the store).
    pub(super) interners: Vec<Option<Interner>>,
    pub(super) rows: usize,
    /// Rows the chunk's window holds (`rows` or more).
    pub(super) window: usize,
    /// Lines relative to the chunk (1-based).
    pub(super) skipped: Vec<SkippedRow>,
    pub(super) error: Option<(u64, CsvErrorKind)>,
    pub(super) widen: Vec<bool>,
    /// Per column: missing-value tokens read as missing.
    pub(super) tokens: Vec<usize>,
}

/// Per-chunk row sink.
pub(super) struct RowSink<'c, 's> {
    pub(super) ctx: &'c ChunkCtx<'c>,
    pub(super) slots: Vec<Slot<'s>>,
    pub(super) out: ChunkResult,
}

impl RowSink<'_, '_> {
    pub(super) fn bad(&mut self, line: u64, kind: CsvErrorKind) -> bool {
        if self.ctx.options.skip_bad_rows {
            self.out.skipped.push(SkippedRow { line, reason: kind });
            return true;
        }
        self.out.error = Some((line, kind));
        false
    }

    /// Handles one record; returns `false` to stop.
    ///
    /// Values are written at the next row as they are parsed; a value that
    /// contradicts a declared kind abandons the record (the next record
    /// overwrites its row; a level it interned stays in the dictionary with
    /// no row, which every consumer ignores).
    pub(super) fn row(&mut self, chunk: &[u8], scratch: &[u8], spans: &[Span], line: u64) -> bool {
        let ctx = self.ctx;
        let ncols = ctx.kinds.len();
        if spans.len() != ncols {
            return self.bad(line, CsvErrorKind::RaggedRow { expected: ncols, found: spans.len() });
        }
        let yes_no = ctx.options.yes_no_boolean;
        let r = self.out.rows;
        for (j, (slot, &sp)) in self.slots.iter_mut().zip(spans).enumerate() {
            let f = span_bytes(chunk, scratch, sp).trim_ascii();
            let ok = if f.is_empty() {
                slot.put_missing(r);
                true
            } else {
                match slot {
                    Slot::Skipped => true,
                    Slot::Numeric(v) => {
                        parse_f64(f).or_else(|| ctx.options.number_slow(f)).map(|x| put(v, r, x)).is_some()
                    }
                    Slot::Boolean(v) => parse_bool(f, yes_no).map(|x| put(v, r, Some(x))).is_some(),
                    Slot::Timestamp(v) => parse_timestamp(f)
                        .or_else(|| if ctx.declared[j].is_some() { parse_f64(f).map(|x| x as i64) } else { None })
                        .map(|x| put(v, r, Some(x)))
                        .is_some(),
                    Slot::Categorical(v) => {
                        let code = self.out.interners[j].get_or_insert_with(Interner::new).intern(f);
                        put(v, r, code);
                        true
                    }
                    Slot::Text(v) => {
                        put_text(v, r, Some(f));
                        true
                    }
                }
            };
            if ok {
                continue;
            }
            // Checked only once a value failed to parse: the numeric fast path pays nothing.
            if ctx.options.is_missing_token(f) {
                slot.put_missing(r);
                if let Some(t) = self.out.tokens.get_mut(j) {
                    *t += 1;
                }
                continue;
            }
            let inferred = ctx.declared.get(j).is_some_and(Option::is_none);
            if inferred && matches!(slot, Slot::Numeric(_)) && comma_number(f).is_some() {
                // A decimal comma past the inference sample: refused as in
                // the sample, never a silent widening to categorical.
                let value: String = String::from_utf8_lossy(f).chars().take(64).collect();
                let column = ctx.names.get(j).cloned().unwrap_or_default();
                self.out.error = Some((line, CsvErrorKind::DecimalComma { column, value }));
                return false;
            }
            if ctx.declared[j].is_none() {
                // An inferred kind is wrong: note it (the input is parsed again).
                self.out.widen[j] = true;
                slot.put_missing(r);
                continue;
            }
            let value: String = String::from_utf8_lossy(f).chars().take(64).collect();
            let kind = CsvErrorKind::BadValue { column: ctx.names[j].clone(), value, expected: ctx.kinds[j] };
            return self.bad(line, kind);
        }
        self.out.rows += 1;
        true
    }
}

pub(super) fn parse_chunk(chunk: &[u8], ctx: &ChunkCtx, slots: Vec<Slot<'_>>, window: usize) -> ChunkResult {
    let ncols = ctx.kinds.len();
    let interners = ctx.kinds.iter().map(|k| matches!(k, ColumnKind::Categorical).then(Interner::new)).collect();
    let out = ChunkResult {
        interners,
        rows: 0,
        window,
        skipped: Vec::new(),
        error: None,
        widen: vec![false; ncols],
        tokens: vec![0; ncols],
    };
    let mut sink = RowSink { ctx, slots, out };
    for_each_record(chunk, ctx.delimiter, |scratch, spans, line, problem| match problem {
        Some(detail) => sink.bad(line, CsvErrorKind::BadQuoting { detail }),
        None => sink.row(chunk, scratch, spans, line),
    });
    sink.out
}

/// Turns the stores into columns, one column per task: re-maps each
/// chunk's categorical codes to one dictionary, closes the gaps that chunks
/// left in their windows, and turns high-cardinality inferred categoricals
/// into text.
pub(super) fn merge_chunks(
    (mut results, stores): (Vec<ChunkResult>, Vec<Store>),
    declared: &[Option<ColumnKind>],
    options: &CsvOptions,
    invalid_utf8: &mut usize,
) -> Vec<Option<Column>> {
    let starts: Vec<usize> = results
        .iter()
        .scan(0, |at, r| {
            let start = *at;
            *at += r.window;
            Some(start)
        })
        .collect();
    // Per column, each chunk's dictionary.
    let mut dictionaries: Vec<Vec<Option<Interner>>> = stores.iter().map(|_| Vec::new()).collect();
    for r in &mut results {
        for (d, own) in dictionaries.iter_mut().zip(&mut r.interners) {
            d.push(own.take());
        }
    }
    let results = &results;
    let merge = |(j, (mut store, own)): (usize, (Store, Vec<Option<Interner>>))| -> (Option<Column>, usize) {
        let mut dictionary = None;
        if let Store::Categorical(codes) = &mut store {
            let mut base = Interner::new();
            for ((r, &start), own) in results.iter().zip(&starts).zip(own) {
                let Some(own) = own else { continue };
                let map: Vec<u32> = own.raw.iter().map(|l| base.intern(l)).collect();
                for c in codes.iter_mut().skip(start).take(r.rows) {
                    *c = map.get(*c as usize).copied().unwrap_or(CategoricalColumn::MISSING);
                }
            }
            dictionary = Some(base);
        }
        // Close the gaps, last chunk first so that earlier starts stay valid.
        for (r, &start) in results.iter().zip(&starts).rev() {
            if r.rows < r.window {
                store.remove(start + r.rows..start + r.window);
            }
        }
        let mut invalid = 0;
        let column = match store {
            Store::Skipped => return (None, 0),
            // `parse_f64` yields finite values only.
            Store::Numeric(v) => Column::Numeric(NumericColumn::from_nan_missing_unchecked(v)),
            Store::Boolean(v) => Column::Boolean(v),
            Store::Timestamp(v) => Column::Timestamp(v),
            Store::Text(parts) => {
                let parts = parts
                    .into_iter()
                    .zip(results)
                    .map(|(mut part, r)| {
                        part.truncate(r.rows);
                        part
                    })
                    .collect();
                let (column, bad) = TextBytes::concat(parts).finish();
                invalid = bad;
                Column::Text(column)
            }
            Store::Categorical(codes) => {
                let levels;
                (levels, invalid) = Interner::levels(dictionary.map(|d| d.raw).unwrap_or_default());
                let present = codes.iter().filter(|&&c| c != CategoricalColumn::MISSING).count();
                if declared.get(j).is_some_and(Option::is_none) && is_text(levels.len(), present, options) {
                    Column::Text(codes.iter().map(|&c| levels.get(c as usize)).collect())
                } else {
                    Column::Categorical(CategoricalColumn::from_parts_unchecked(levels, codes))
                }
            }
        };
        (Some(column), invalid)
    };
    let work = stores.into_iter().zip(dictionaries).enumerate();
    #[cfg(feature = "parallel")]
    let merged: Vec<(Option<Column>, usize)> = {
        use rayon::prelude::*;
        work.collect::<Vec<_>>().into_par_iter().map(merge).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let merged: Vec<(Option<Column>, usize)> = work.map(merge).collect();
    merged
        .into_iter()
        .map(|(column, invalid)| {
            *invalid_utf8 += invalid;
            column
        })
        .collect()
}
