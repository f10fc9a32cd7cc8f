use super::*;

fn load(s: &str, o: &CsvOptions) -> Result<CsvLoad> {
    load_bytes(s.as_bytes(), o)
}

#[test]
fn short_strings_intern_by_every_byte() {
    let keys: [&[u8]; 7] = [b"", b"a", b"a\0", b"abcdefgh", b"abcdefghi", b"abcdefghj", b"bbcdefghi"];
    let mut interner = Interner::new();
    for (i, a) in keys.iter().enumerate() {
        assert_eq!(interner.intern(a), i as u32);
    }
    assert_eq!(interner.intern(b"abcdefghi"), 4);
}

#[test]
fn fast_float_path_matches_std() {
    for s in ["0", "-0", "1.5", "0.1525", "123456789012345", "1234567890123456", "1e5", ".5", "5.", "-3.25"] {
        assert_eq!(parse_f64(s.as_bytes()), s.parse::<f64>().ok(), "{s}");
    }
    for s in ["nan", "inf", "abc", "1.2.3", "", "-", "1,5"] {
        assert_eq!(parse_f64(s.as_bytes()), None, "{s}");
    }
}

proptest::proptest! {
    /// Every decimal the fast path takes is the standard parser's value.
    #[test]
    fn fast_float_path_matches_std_on_any_decimal(s in "[-+]?[0-9]{0,18}([.][0-9]{0,18})?") {
        let want = s.parse::<f64>().ok().filter(|v| v.is_finite());
        proptest::prop_assert_eq!(parse_f64(s.as_bytes()).map(f64::to_bits), want.map(f64::to_bits), "{}", s);
    }
}

#[test]
fn timestamps_parse() {
    assert_eq!(parse_timestamp(b"1970-01-01"), Some(0));
    assert_eq!(parse_timestamp(b"2026-01-01"), Some(1_767_225_600));
    assert_eq!(parse_timestamp(b"2026-01-01T01:00:00Z"), Some(1_767_229_200));
    assert_eq!(parse_timestamp(b"2026-01-01 02:00:00+01:00"), Some(1_767_229_200));
    assert_eq!(parse_timestamp(b"2026/01/01 01:00"), Some(1_767_229_200));
    assert_eq!(parse_timestamp(b"2026-01-01T01:00:00.250Z"), Some(1_767_229_200));
    assert_eq!(parse_timestamp(b"2026-02-30"), None);
    assert_eq!(parse_timestamp(b"2026-13-01"), None);
    assert_eq!(parse_timestamp(b"20260101"), None);
}

#[test]
fn infers_kinds_and_detects_delimiters() {
    let s = "a;b;c;d;e\r\n1;x;yes;2020-01-01;\r\n2.5;\"y;z\";No;2020-01-02;\r\n";
    let l = load(s, &CsvOptions::new()).expect("loads");
    assert_eq!(l.report.delimiter, b';');
    let kinds: Vec<ColumnKind> = l.frame.columns().iter().map(Column::kind).collect();
    use ColumnKind::*;
    assert_eq!(kinds, [Numeric, Categorical, Boolean, Timestamp, Numeric]);
    let Column::Categorical(c) = l.frame.column("b").expect("b") else { panic!("categorical") };
    assert_eq!(c.get(1), Some("y;z"));
    let tab = load("a\tb\n1\t2\n", &CsvOptions::new()).expect("tab");
    assert_eq!(tab.report.delimiter, b'\t');
    assert_eq!(tab.frame.ncols(), 2);
}

#[test]
fn widens_when_later_rows_contradict_the_sample() {
    let s = "a,b\n1,x\n2,y\nthree,z\n";
    let l = load(s, &CsvOptions::new().infer_rows(1)).expect("loads");
    assert_eq!(l.report.widened, ["a"]);
    let Column::Categorical(c) = l.frame.column("a").expect("a") else { panic!("categorical") };
    assert_eq!(c.get(2), Some("three"));
    assert_eq!(c.get(0), Some("1"));
}

#[test]
fn a_badly_quoted_first_row_does_not_hide_the_kinds_of_the_rest() {
    let o = CsvOptions::new().skip_bad_rows(true);
    let l = load("a,b\nx\"y,4\n1,yes\n2,no\n", &o).expect("the bad row is skipped");
    assert_eq!(l.report.skipped.iter().map(|s| s.line).collect::<Vec<_>>(), [2]);
    assert_eq!(l.frame.column("a").expect("a").kind(), ColumnKind::Numeric);
    assert_eq!(l.frame.column("b").expect("b").kind(), ColumnKind::Boolean);
}

#[test]
fn bad_inputs_are_typed_errors() {
    let o = CsvOptions::new();
    let line_kind = |r: Result<CsvLoad>| match r {
        Err(FrameError::Csv { line, kind }) => (line, kind),
        other => panic!("expected a CSV error, got {other:?}"),
    };
    assert_eq!(line_kind(load("", &o)), (1, CsvErrorKind::EmptyInput));
    assert_eq!(line_kind(load(" \n\n", &o)), (1, CsvErrorKind::EmptyInput));
    assert_eq!(line_kind(load("a,b\n", &o)), (2, CsvErrorKind::NoRows));
    assert_eq!(line_kind(load("a,b\n1,2\n3\n", &o)), (3, CsvErrorKind::RaggedRow { expected: 2, found: 1 }));
    assert_eq!(line_kind(load("a,b\n1,2\n3,4,5\n", &o)), (3, CsvErrorKind::RaggedRow { expected: 2, found: 3 }));
    let (line, kind) = line_kind(load("a,b\n1,2\n\"3,4\n5,6\n", &o));
    assert_eq!((line, kind), (3, CsvErrorKind::BadQuoting { detail: QuotingProblem::Unterminated }));
    let (line, kind) = line_kind(load("a,b\n1,2\nx\"y,4\n", &o));
    assert_eq!((line, kind), (3, CsvErrorKind::BadQuoting { detail: QuotingProblem::StrayQuote }));
    let (line, kind) = line_kind(load("a,b\n\"x\"y,4\n1,2\n", &o));
    assert_eq!((line, kind), (2, CsvErrorKind::BadQuoting { detail: QuotingProblem::TextAfterClosingQuote }));
    let declared = CsvOptions::new().kind("a", ColumnKind::Numeric);
    let (line, kind) = line_kind(load("a,b\n1,2\nx,4\n", &declared));
    assert_eq!(line, 3);
    assert!(matches!(kind, CsvErrorKind::BadValue { ref column, .. } if column == "a"));
    assert!(matches!(load_path("/nonexistent/file.csv", &o), Err(FrameError::Io { .. })));
}

#[test]
fn skipped_rows_are_counted_with_lines() {
    let o = CsvOptions::new().skip_bad_rows(true).kind("a", ColumnKind::Numeric);
    let l = load("a,b\n1,2\n3\nx,5\n6,7\n", &o).expect("loads");
    assert_eq!(l.frame.nrows(), 2);
    let lines: Vec<u64> = l.report.skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines, [3, 4]);
    assert_eq!(l.frame.skipped_rows(), l.report.skipped.as_slice());
}

#[test]
fn quoted_fields_escapes_and_crlf() {
    let s = "name,note\r\n\"Acme, Inc.\",\"said \"\"hi\"\"\"\r\n\"Multi\nline\",x\r\n";
    let l = load(s, &CsvOptions::new()).expect("loads");
    let Column::Categorical(c) = l.frame.column("note").expect("note") else { panic!("categorical") };
    assert_eq!(c.get(0), Some("said \"hi\""));
    let Column::Categorical(n) = l.frame.column("name").expect("name") else { panic!("categorical") };
    assert_eq!(n.get(1), Some("Multi\nline"));
}

/// Records as the splitter sees them.
type Split = std::result::Result<Vec<Vec<u8>>, (u64, QuotingProblem)>;

pub(super) fn split_all(data: &[u8], delim: u8) -> Vec<Split> {
    let mut out = Vec::new();
    for_each_record(data, delim, |scratch, spans, line, problem| {
        out.push(match problem {
            Some(p) => Err((line, p)),
            None => Ok(spans.iter().map(|&sp| span_bytes(data, scratch, sp).to_vec()).collect()),
        });
        true
    });
    out
}

/// Records as the csv crate sees them.
pub(super) fn csv_all(data: &[u8], delim: u8) -> Vec<Vec<Vec<u8>>> {
    let mut rdr = reader_for(data, delim);
    let mut rec = csv::ByteRecord::new();
    let mut out = Vec::new();
    while rdr.read_byte_record(&mut rec).unwrap_or(false) {
        out.push(rec.iter().map(<[u8]>::to_vec).collect());
    }
    out
}

#[test]
fn swar_specials_match_a_byte_scan() {
    let data = b"ab,\"c\n;,,\"\"xyz\n\n0123456789,\"";
    for delim in [b',', b';', b'\t', 0u8] {
        for start in 0..data.len() {
            let d = &data[start..];
            let want: Vec<usize> = d
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == delim || **b == b'\n' || **b == b'"')
                .map(|(i, _)| i)
                .collect();
            assert_eq!(Specials::new(d, delim).collect::<Vec<_>>(), want);
        }
    }
}

#[test]
fn splitter_agrees_with_the_csv_crate_on_valid_input() {
    for data in [
        "1,a,x\r\n\r\n2,,y\n3,b,\n4,a,z",
        "a,\"b,c\",\"d\"\"e\"\n\"\",x,\"multi\nline\"\r\n",
        "x\n\ny\n",
        "\"q\"\r\n\"a\"\"\",\"\"\"\"\n",
        "a;b\n1;2\n",
    ] {
        let delim = if data.contains(';') { b';' } else { b',' };
        let ours: Vec<Vec<Vec<u8>>> =
            split_all(data.as_bytes(), delim).into_iter().map(|r| r.expect("valid")).collect();
        assert_eq!(ours, csv_all(data.as_bytes(), delim), "{data:?}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any file the csv crate writes, our splitter reads as the csv crate does.
    #[test]
    fn splitter_reads_what_the_csv_crate_writes(
        rows in proptest::collection::vec(proptest::collection::vec("[a-c ,;\"\r\n]{0,6}", 3), 1..20),
        crlf in proptest::bool::ANY,
    ) {
        let mut w = csv::WriterBuilder::new()
            .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
            .from_writer(Vec::new());
        for r in &rows {
            w.write_record(r).expect("write");
        }
        let data = w.into_inner().expect("flush");
        let ours: Vec<Vec<Vec<u8>>> = split_all(&data, b',').into_iter().map(|r| r.expect("valid")).collect();
        proptest::prop_assert_eq!(ours, csv_all(&data, b','));
    }
}

/// The byte-at-a-time quoting state machine the loader used before its
/// splitter skipped quoted fields in one search: the reference, calling
/// `f(scratch, spans, line, problem)` per record (`line` 1-based within the
/// chunk); `f` returns `false` to stop. A record with bad quoting is passed
/// with its problem and no spans; scanning resumes at the next line.
fn reference_records(chunk: &[u8], delim: u8, mut f: impl FnMut(&[u8], &[Span], u64, Option<QuotingProblem>) -> bool) {
    #[derive(Clone, Copy)]
    enum St {
        Field,
        Quoted { start: usize, escaped: bool, pending: bool },
        AfterClose { start: usize, end: usize, escaped: bool },
        Bad(QuotingProblem),
    }
    let mut spans: Vec<Span> = Vec::with_capacity(32);
    let mut scratch: Vec<u8> = Vec::new();
    let mut line = 1u64;
    let mut rec_line = 1u64;
    let mut rec_start = 0usize;
    let mut field_start = 0usize;
    let mut st = St::Field;
    let push_quoted = |spans: &mut Vec<Span>, scratch: &mut Vec<u8>, start: usize, end: usize, escaped: bool| {
        push_unquoted(spans, scratch, chunk, start, end, escaped)
    };
    for p in Specials::new(chunk, delim) {
        let c = chunk[p];
        let mut end_record = false;
        match st {
            St::Field => {
                if c == b'"' {
                    st = if p == field_start {
                        St::Quoted { start: p + 1, escaped: false, pending: false }
                    } else {
                        St::Bad(QuotingProblem::StrayQuote)
                    };
                } else {
                    let mut end = p;
                    if c == b'\n' && end > field_start && chunk[end - 1] == b'\r' {
                        end -= 1;
                    }
                    if c == b'\n' && spans.is_empty() && end == rec_start {
                        // Blank line.
                        line += 1;
                        rec_line = line;
                        rec_start = p + 1;
                        field_start = p + 1;
                        continue;
                    }
                    spans.push(Span { start: field_start, end, scratch: false });
                    field_start = p + 1;
                    end_record = c == b'\n';
                }
            }
            St::Quoted { start, escaped, pending } => {
                if c == b'"' {
                    st = if pending {
                        St::Quoted { start, escaped: true, pending: false }
                    } else if chunk.get(p + 1) == Some(&b'"') {
                        St::Quoted { start, escaped, pending: true }
                    } else {
                        St::AfterClose { start, end: p, escaped }
                    };
                } else if c == b'\n' {
                    line += 1;
                }
            }
            St::AfterClose { start, end, escaped } => {
                let adjacent = p == end + 1 || (c == b'\n' && p == end + 2 && chunk[end + 1] == b'\r');
                if c == b'"' || !adjacent {
                    st = St::Bad(QuotingProblem::TextAfterClosingQuote);
                    end_record = c == b'\n';
                } else {
                    push_quoted(&mut spans, &mut scratch, start, end, escaped);
                    field_start = p + 1;
                    st = St::Field;
                    end_record = c == b'\n';
                }
            }
            St::Bad(_) => end_record = c == b'\n',
        }
        if end_record {
            let go = match st {
                St::Bad(problem) => f(&scratch, &[], rec_line, Some(problem)),
                _ => f(&scratch, &spans, rec_line, None),
            };
            if !go {
                return;
            }
            spans.clear();
            scratch.clear();
            line += 1;
            rec_line = line;
            rec_start = p + 1;
            field_start = p + 1;
            st = St::Field;
        }
    }
    // The last record, without a final newline.
    let n = chunk.len();
    match st {
        St::Field => {
            if field_start < n || !spans.is_empty() {
                let mut end = n;
                if end > field_start && chunk[end - 1] == b'\r' {
                    end -= 1;
                }
                if !(spans.is_empty() && end == rec_start) {
                    spans.push(Span { start: field_start, end, scratch: false });
                    f(&scratch, &spans, rec_line, None);
                }
            }
        }
        St::Quoted { .. } => {
            f(&scratch, &[], rec_line, Some(QuotingProblem::Unterminated));
        }
        St::AfterClose { start, end, escaped } => {
            if chunk[end + 1..].iter().all(|&b| b == b'\r') {
                push_quoted(&mut spans, &mut scratch, start, end, escaped);
                f(&scratch, &spans, rec_line, None);
            } else {
                f(&scratch, &[], rec_line, Some(QuotingProblem::TextAfterClosingQuote));
            }
        }
        St::Bad(problem) => {
            f(&scratch, &[], rec_line, Some(problem));
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

    /// The splitter finds the records, fields, problems and line numbers
    /// of the byte-at-a-time state machine on any input (quotes good and
    /// bad, blank lines, CRLF, a last record without newline, any word
    /// alignment).
    #[test]
    fn splitter_matches_the_reference_state_machine(data in "[ab ,;\"\r\n]{0,48}", semicolon in proptest::bool::ANY) {
        let delim = if semicolon { b';' } else { b',' };
        let data = data.as_bytes();
        let collect = |scratch: &[u8], spans: &[Span], line: u64, problem: Option<QuotingProblem>| {
            (line, problem, spans.iter().map(|&sp| span_bytes(data, scratch, sp).to_vec()).collect::<Vec<_>>())
        };
        let mut ours = Vec::new();
        for_each_record(data, delim, |scratch, spans, line, problem| {
            ours.push(collect(scratch, spans, line, problem));
            true
        });
        let mut reference = Vec::new();
        reference_records(data, delim, |scratch, spans, line, problem| {
            reference.push(collect(scratch, spans, line, problem));
            true
        });
        proptest::prop_assert_eq!(ours, reference);
    }
}

#[test]
fn large_files_read_in_parallel_chunks_whole() {
    // Over two chunks, with an odd tail.
    let data: Vec<u8> = (0..(2 << 23) + 12_345u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let path = std::env::temp_dir().join(format!("acctscore_read_file_{}.bin", std::process::id()));
    std::fs::write(&path, &data).expect("temp file");
    let read = read_file(&path).expect("readable");
    let _ = std::fs::remove_file(&path);
    assert!(read == data, "parallel read differs");
    assert!(read_file(&path).is_err());
}

#[test]
fn a_file_length_that_cannot_be_allocated_is_an_error_not_an_abort() {
    for len in [usize::MAX, isize::MAX as usize + 1, isize::MAX as usize] {
        let e = file_buffer(len).expect_err("cannot be held");
        assert_eq!(e.kind(), std::io::ErrorKind::OutOfMemory);
        assert_eq!(e.to_string(), format!("the file is {len} bytes long, more than this machine can hold in memory"));
    }
    assert_eq!(file_buffer(5).expect("small"), [0; 5]);
}

#[test]
fn a_sparse_200_gb_file_is_an_error_where_it_does_not_fit() {
    const LEN: u64 = 200 << 30;
    // Only on a machine that cannot hold 200 GB (else the file would be read).
    if Vec::<u8>::new().try_reserve_exact(LEN as usize).is_ok() {
        return;
    }
    let path = std::env::temp_dir().join(format!("acctscore_sparse_{}.csv", std::process::id()));
    let file = std::fs::File::create(&path).expect("temp file");
    if file.set_len(LEN).is_err() {
        let _ = std::fs::remove_file(&path);
        return; // a file system without sparse files of this size
    }
    drop(file);
    let result = load_path(&path, &CsvOptions::new());
    let _ = std::fs::remove_file(&path);
    match result {
        Err(FrameError::Io { path: p, source }) => {
            assert_eq!(p, path.display().to_string());
            assert_eq!(source.kind(), std::io::ErrorKind::OutOfMemory);
        }
        other => panic!("expected an out-of-memory I/O error, got {other:?}"),
    }
}

#[test]
fn splitter_reports_bad_quoting_and_resumes() {
    let got = split_all(b"a,b\nx\"y,1\n\"p\"q,2\nok,3\n\"open,4\n5,6", b',');
    assert_eq!(got.len(), 5);
    assert_eq!(got[1], Err((2, QuotingProblem::StrayQuote)));
    assert_eq!(got[2], Err((3, QuotingProblem::TextAfterClosingQuote)));
    assert_eq!(got[3], Ok(vec![b"ok".to_vec(), b"3".to_vec()]));
    assert_eq!(got[4], Err((5, QuotingProblem::Unterminated)));
}

#[test]
fn cuts_never_fall_inside_a_quoted_field() {
    // Records whose quoted field is long and full of newlines: nearly
    // every target of the split lands inside one.
    let mut body = Vec::new();
    let mut i = 0;
    while body.len() < 6 << 20 {
        let inner = "x\n\"\"y,".repeat(20_000 + 7 * i);
        body.extend(format!("{i},\"{inner}\",z\n").bytes());
        i += 1;
    }
    let chunks = split_chunks(&body);
    assert!(chunks.len() >= parallelism().min(6), "{} chunks", chunks.len());
    for &(a, _) in chunks.iter().skip(1) {
        assert_eq!(body[a - 1], b'\n');
        assert_eq!(body[..a].iter().filter(|&&c| c == b'"').count() % 2, 0, "cut at {a}");
    }
    assert!(chunks.windows(2).all(|w| w[0].1 == w[1].0));
    assert_eq!((chunks[0].0, chunks[chunks.len() - 1].1), (0, body.len()));
}

#[test]
fn chunked_parse_equals_single_chunk() {
    // Build an input above the chunking threshold with quotes and a
    // multi-line field, then compare with one chunk.
    let mut s = String::from("id,cat,num,flag\n");
    let mut i = 0;
    while s.len() < 3 << 20 {
        let cat = ["a", "\"b,\nc\"", "d"][i % 3];
        s.push_str(&format!("id{i},{cat},{},{}\n", i as f64 / 7.0, i % 2 == 0));
        // Blank lines and (skipped) ragged rows leave gaps in the chunks' windows.
        match i % 1000 {
            17 => s.push('\n'),
            501 => s.push_str("ragged,row\n"),
            _ => {}
        }
        i += 1;
    }
    let body_start = s.find('\n').map_or(0, |p| p + 1);
    let body = &s.as_bytes()[body_start..];
    let chunks = split_chunks(body);
    let whole = [(0, body.len())];
    let names: Vec<String> = ["id", "cat", "num", "flag"].iter().map(|s| s.to_string()).collect();
    let o = CsvOptions::new().skip_bad_rows(true);
    let kinds = [ColumnKind::Text, ColumnKind::Categorical, ColumnKind::Numeric, ColumnKind::Boolean];
    let declared = [None; 4];
    let keep = [true; 4];
    let ctx = ChunkCtx { delimiter: b',', kinds: &kinds, declared: &declared, keep: &keep, names: &names, options: &o };
    // Force several chunks even on one thread.
    let mut forced = Vec::new();
    let mut start = 0;
    for (k, &b) in body.iter().enumerate() {
        if b == b'\n' && k > start + (1 << 20) && body[..k].iter().filter(|&&c| c == b'"').count() % 2 == 0 {
            forced.push((start, k + 1));
            start = k + 1;
        }
    }
    forced.push((start, body.len()));
    assert!(forced.len() >= 2);
    assert!(!chunks.is_empty());
    // The parallel split cuts only at record ends: after a newline outside quotes.
    for &(a, _) in chunks.iter().skip(1) {
        assert_eq!(body[a - 1], b'\n');
        assert_eq!(body[..a].iter().filter(|&&c| c == b'"').count() % 2, 0, "cut at {a}");
    }
    assert_eq!(chunks.first().map(|c| c.0), Some(0));
    assert_eq!(chunks.last().map(|c| c.1), Some(body.len()));
    assert!(chunks.windows(2).all(|w| w[0].1 == w[1].0));
    let a = merge_chunks(parse_chunks(body, &forced, &ctx), &declared, &o, &mut 0);
    let b = merge_chunks(parse_chunks(body, &whole, &ctx), &declared, &o, &mut 0);
    assert_eq!(a, b);
    assert_eq!(merge_chunks(parse_chunks(body, &chunks, &ctx), &declared, &o, &mut 0), b);
    assert_eq!(a[0].as_ref().map(Column::len), Some(i));
}

#[test]
fn values_that_are_not_utf8_are_decoded_lossily_and_counted_on_request() {
    // "é" split over two values is invalid in each, though valid end to end.
    let data = b"t,c\nok,a\n\xC3,\xFF\n\xA9,\xFF\n\xC3\xA9,a\n";
    let o =
        CsvOptions::new().kind("t", ColumnKind::Text).kind("c", ColumnKind::Categorical).encoding(Encoding::Utf8Lossy);
    let load = load_bytes(data, &o).expect("loads");
    let Column::Text(t) = load.frame.column("t").expect("t") else { panic!("text") };
    assert_eq!(t.iter().collect::<Vec<_>>(), [Some("ok"), Some("\u{FFFD}"), Some("\u{FFFD}"), Some("é")]);
    // Two text values, one categorical level.
    assert_eq!(load.report.invalid_utf8_values, 3);
}

#[test]
fn a_skipped_record_leaves_no_text_behind() {
    let o = CsvOptions::new().kind("id", ColumnKind::Text).kind("n", ColumnKind::Numeric).skip_bad_rows(true);
    let load = load("id,n\na,1\nb,oops\nc,3\nd,x\n", &o).expect("loads");
    let Column::Text(ids) = load.frame.column("id").expect("id") else { panic!("text") };
    assert_eq!(ids.iter().collect::<Vec<_>>(), [Some("a"), Some("c")]);
    assert_eq!(load.report.skipped.len(), 2);
}

#[test]
fn only_the_selected_columns_are_loaded() {
    let text = "id,title,n,flag\na,\"VP, Sales\",1,true\nb,,2,false\n";
    let all = load(text, &CsvOptions::new()).expect("all");
    let some = load(text, &CsvOptions::new().only(["n", "id", "absent"])).expect("some");
    assert_eq!(some.frame.names(), ["id", "n"]);
    assert_eq!(some.frame.column("n").expect("n"), all.frame.column("n").expect("n"));
    assert_eq!(some.frame.column("id").expect("id"), all.frame.column("id").expect("id"));
    assert_eq!(some.report.columns.len(), 2);
    // A left-out column is still split: a ragged row is still bad.
    assert!(load("id,n\na,1,x\n", &CsvOptions::new().only(["id"])).is_err());
    // A left-out column's values are not parsed: no bad value in it.
    let o = CsvOptions::new().kind("n", ColumnKind::Numeric).only(["id"]);
    assert_eq!(load("id,n\na,oops\n", &o).expect("n not read").frame.ncols(), 1);
}

// --- Read what is written (issue 17). ---

fn csv_error(r: Result<CsvLoad>) -> (u64, CsvErrorKind) {
    match r {
        Err(FrameError::Csv { line, kind }) => (line, kind),
        other => panic!("expected a CSV error, got {other:?}"),
    }
}

fn texts(load: &CsvLoad, name: &str) -> Vec<Option<String>> {
    match load.frame.column(name).expect("column") {
        Column::Text(t) => t.iter().map(|v| v.map(str::to_string)).collect(),
        other => panic!("`{name}` is {}, not text", other.kind()),
    }
}

#[test]
fn declared_ids_are_read_byte_for_byte() {
    let data = "id,x\n000123,1\n1234567890123456789,2\n1234567890123456788,3\n0x1F,4\n";
    let load = load(data, &CsvOptions::new().id("id")).expect("loads");
    assert_eq!(
        texts(&load, "id"),
        [Some("000123"), Some("1234567890123456789"), Some("1234567890123456788"), Some("0x1F")]
            .map(|s| s.map(str::to_string))
    );
    assert_eq!(load.report.columns[0], ("id".to_string(), ColumnKind::Text, false));
}

#[test]
fn invalid_utf8_is_an_error_naming_line_and_column() {
    // Latin-1 "é" (0xE9) in the third data record (line 4), column `name`.
    let data = b"id,name\na1,Rene\na2,Jose\na3,Ren\xE9\n";
    let (line, kind) = csv_error(load_bytes(data, &CsvOptions::new()));
    assert_eq!((line, kind), (4, CsvErrorKind::InvalidUtf8 { column: "name".to_string() }));
    // Declared text or categorical, and a numeric column widened by it, alike.
    for o in [CsvOptions::new().kind("name", ColumnKind::Text), CsvOptions::new().kind("name", ColumnKind::Categorical)]
    {
        assert_eq!(csv_error(load_bytes(data, &o)), (4, CsvErrorKind::InvalidUtf8 { column: "name".to_string() }));
    }
    let numbers = b"id,n\na1,1\na2,\xFF2\n";
    assert_eq!(
        csv_error(load_bytes(numbers, &CsvOptions::new())),
        (3, CsvErrorKind::InvalidUtf8 { column: "n".to_string() })
    );
    // In the header.
    let header = b"id,n\xE9\na1,1\n";
    assert_eq!(
        csv_error(load_bytes(header, &CsvOptions::new())),
        (1, CsvErrorKind::InvalidUtf8 { column: "column_2".to_string() })
    );
}

#[test]
fn latin1_and_windows_1252_are_transcoded_when_declared() {
    // Two ids that differ only in a Latin-1 byte stay distinct.
    let data = b"id,name\nRen\xE9,a\nRen\xE8,b\n\x80x,c\n";
    let latin1 = load_bytes(data, &CsvOptions::new().id("id").encoding(Encoding::Latin1)).expect("latin-1");
    assert_eq!(texts(&latin1, "id"), [Some("René"), Some("Renè"), Some("\u{80}x")].map(|s| s.map(str::to_string)));
    let cp1252 = load_bytes(data, &CsvOptions::new().id("id").encoding(Encoding::Windows1252)).expect("1252");
    assert_eq!(texts(&cp1252, "id"), [Some("René"), Some("Renè"), Some("€x")].map(|s| s.map(str::to_string)));
    assert_eq!(latin1.report.invalid_utf8_values, 0);
    // Every Latin-1 byte maps to the character of its number.
    let all: Vec<u8> = (0xA0..=0xFFu8).collect();
    let mut file = b"v\n".to_vec();
    file.extend_from_slice(&all);
    file.push(b'\n');
    let load = load_bytes(&file, &CsvOptions::new().id("v").encoding(Encoding::Latin1)).expect("latin-1");
    let want: String = all.iter().map(|&b| char::from(b)).collect();
    assert_eq!(texts(&load, "v"), [Some(want)]);
}

#[test]
fn missing_tokens_keep_a_numeric_column_numeric() {
    // One `n/a` among 2,000 numbers, and every default token.
    let mut data = String::from("x,y\n");
    for i in 0..2000 {
        data.push_str(&format!("{i},{}\n", if i == 1500 { "n/a" } else { "1.5" }));
    }
    let big = load(&data, &CsvOptions::new()).expect("loads");
    let Column::Numeric(y) = big.frame.column("y").expect("y") else { panic!("y is not numeric") };
    assert_eq!(y.get(1500), None);
    assert_eq!(y.get(1499), Some(1.5));
    assert_eq!(big.report.missing_tokens, [("y".to_string(), 1)]);
    assert!(big.report.widened.is_empty());
    // The token past the inference sample: still missing, no widening.
    let load2 = load_bytes(data.as_bytes(), &CsvOptions::new().infer_rows(10)).expect("loads");
    assert_eq!(load2.frame, big.frame);
    assert!(load2.report.widened.is_empty());
    let tokens = "v,b,t\n1,true,2020-01-01\nNA,NA,NA\nN/A,N/A,N/A\nn/a,null,NULL\n-,#N/A,NaN\n2,false,2020-01-02\n";
    let small = load(tokens, &CsvOptions::new()).expect("loads");
    let kinds: Vec<ColumnKind> = small.frame.columns().iter().map(Column::kind).collect();
    assert_eq!(kinds, [ColumnKind::Numeric, ColumnKind::Boolean, ColumnKind::Timestamp]);
    let Column::Numeric(v) = small.frame.column("v").expect("v") else { panic!("numeric") };
    assert_eq!(v.iter().collect::<Vec<_>>(), [Some(1.0), None, None, None, None, Some(2.0)]);
    assert_eq!(small.report.missing_tokens, [("v".to_string(), 4), ("b".to_string(), 4), ("t".to_string(), 4)]);
    // Declared kinds read them as missing too (fit and score alike).
    let declared = CsvOptions::new().kind("v", ColumnKind::Numeric).infer_rows(1);
    assert_eq!(
        load_bytes(tokens.as_bytes(), &declared).expect("loads").frame.column("v").ok(),
        Some(&Column::Numeric(v.clone()))
    );
    // With no tokens, `NA` makes the declared column's row bad.
    let none = CsvOptions::new().kind("v", ColumnKind::Numeric).missing_tokens(Vec::<String>::new());
    let (line, kind) = csv_error(load_bytes(tokens.as_bytes(), &none));
    assert_eq!(line, 3);
    assert!(
        matches!(kind, CsvErrorKind::BadValue { column, value, expected: ColumnKind::Numeric } if column == "v" && value == "NA")
    );
}

#[test]
fn tokens_stay_values_in_string_columns() {
    let data = "id,c\nNA,x\n-,NA\nb,y\n";
    let load = load(data, &CsvOptions::new().id("id")).expect("loads");
    assert_eq!(texts(&load, "id"), [Some("NA"), Some("-"), Some("b")].map(|s| s.map(str::to_string)));
    let Column::Categorical(c) = load.frame.column("c").expect("c") else { panic!("categorical") };
    assert_eq!(c.get(1), Some("NA"));
    assert!(load.report.missing_tokens.is_empty());
}

#[test]
fn decimal_comma_is_an_option_never_a_guess() {
    let data = "id;amount;n\na;1,5;1\nb;2;2\nc;-0,25;3\n";
    let (line, kind) = csv_error(load(data, &CsvOptions::new()));
    assert_eq!(line, 2);
    assert_eq!(kind, CsvErrorKind::DecimalComma { column: "amount".to_string(), value: "1,5".to_string() });
    let load_ok = load(data, &CsvOptions::new().decimal_comma(true)).expect("loads");
    let Column::Numeric(v) = load_ok.frame.column("amount").expect("amount") else { panic!("numeric") };
    assert_eq!(v.iter().collect::<Vec<_>>(), [Some(1.5), Some(2.0), Some(-0.25)]);
    // Declared, the comma reads with the option.
    let declared = CsvOptions::new().kind("amount", ColumnKind::Numeric).decimal_comma(true);
    assert_eq!(load(data, &declared).expect("loads").frame, load_ok.frame);
    // A declared kind keeps the column as written without the option.
    let as_text = load(data, &CsvOptions::new().kind("amount", ColumnKind::Text)).expect("loads");
    assert_eq!(texts(&as_text, "amount"), [Some("1,5"), Some("2"), Some("-0,25")].map(|s| s.map(str::to_string)));
    // Past the inference sample, in an inferred numeric column: refused too, at its line.
    let late = "id;amount\na;1\nb;2\nc;3\nd;4,5\n";
    assert_eq!(
        csv_error(load(late, &CsvOptions::new().infer_rows(2))),
        (5, CsvErrorKind::DecimalComma { column: "amount".to_string(), value: "4,5".to_string() })
    );
    let Column::Numeric(v) = load(late, &CsvOptions::new().infer_rows(2).decimal_comma(true))
        .expect("loads")
        .frame
        .column("amount")
        .expect("a")
        .clone()
    else {
        panic!("numeric")
    };
    assert_eq!(v.get(3), Some(4.5));
    // A column with other strings is categorical as before.
    let mixed = "id;amount\na;1,5\nb;lots\n";
    assert_eq!(
        load(mixed, &CsvOptions::new()).expect("loads").frame.column("amount").expect("a").kind(),
        ColumnKind::Categorical
    );
}
