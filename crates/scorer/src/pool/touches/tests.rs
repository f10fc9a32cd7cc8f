use super::ids::parse_digits;
use super::*;
use crate::engagement::EngagementParams;

fn model() -> EngagementModel {
    EngagementParams::new().kind("email", 1.0, 14.0).kind("call", 3.0, 30.0).fit().expect("valid")
}

#[test]
fn reads_touches_and_counts_unknown_accounts() {
    let ids = Column::text(vec![Some("a"), Some("b")]);
    let data = b"account_id,kind,timestamp,rep_id\na,email,100,r1\nzz,call,50,r2\nb,call,200,r1\na,call,150,\n";
    let log = read_touches(data, &ids, &model()).expect("valid");
    assert_eq!(log.rows, 4);
    assert_eq!(log.unknown_accounts, 1);
    assert_eq!(log.latest, Some(200));
    assert_eq!(log.touches.len(), 3);
}

#[test]
fn numbered_and_hashed_ids_agree() {
    let numbered = Column::Text((0..50).map(|k| Some(format!("acct_{k:04}"))).collect());
    let odd = Column::Text((0..50).map(|k| Some(format!("x{k}y"))).collect());
    let data = b"account_id,kind,timestamp\nacct_0007,email,1\nacct_0049,call,2\nacct_9999,call,3\nacct_007,call,4\nacct_00x7,call,5\n";
    let log = read_touches(data, &numbered, &model()).expect("valid");
    assert!(matches!(
        IdIndex::new(&numbered, DuplicateIds::Error).expect("unique"),
        IdIndex::Sequential { first: 0, len: 50, .. }
    ));
    let mut swapped: Vec<usize> = (0..50).collect();
    swapped.swap(3, 4);
    let gap = numbered.take(&swapped);
    assert!(matches!(IdIndex::new(&gap, DuplicateIds::Error).expect("unique"), IdIndex::Numbered { .. }));
    let later = Column::Text((100..150).map(|k| Some(format!("acct_{k:04}"))).collect());
    assert!(matches!(
        IdIndex::new(&later, DuplicateIds::Error).expect("unique"),
        IdIndex::Sequential { first: 100, len: 50, .. }
    ));
    let shifted = read_touches(
        b"account_id,kind,timestamp\nacct_0100,email,1\nacct_0149,call,2\nacct_0099,call,3\nacct_0150,call,4\n",
        &later,
        &model(),
    )
    .expect("valid");
    assert_eq!(shifted.touches.iter().map(|t| t.account).collect::<Vec<_>>(), [0, 49]);
    assert_eq!(shifted.unknown_accounts, 2);
    let swapped = read_touches(data, &gap, &model()).expect("valid");
    assert_eq!(swapped.touches.iter().map(|t| t.account).collect::<Vec<_>>(), [7, 49]);
    assert_eq!(swapped.unknown_accounts, 3);
    assert!(matches!(IdIndex::new(&odd, DuplicateIds::Error).expect("unique"), IdIndex::Hashed(_)));
    let rows: Vec<u32> = log.touches.iter().map(|t| t.account).collect();
    assert_eq!(rows, [7, 49]);
    assert_eq!(log.unknown_accounts, 3);
    let data = b"account_id,kind,timestamp\nx7y,email,1\nx70y,email,1\n";
    let log = read_touches(data, &odd, &model()).expect("valid");
    assert_eq!(log.touches.len(), 1);
    assert_eq!(log.unknown_accounts, 1);
}

#[test]
fn a_fully_quoted_header_is_read_as_its_names() {
    let ids = Column::text(vec![Some("a"), Some("b")]);
    let plain = read_touches(b"account_id,kind,timestamp\na,email,100\nb,call,200\n", &ids, &model()).expect("plain");
    let quoted = b"\"account_id\",\"kind\",\"timestamp\"\na,email,100\nb,call,200\n";
    assert_eq!(read_touches(quoted, &ids, &model()).expect("quoted header"), plain);
    let crlf =
        b"\xEF\xBB\xBF\"account_id\", \"kind\" ,\"timestamp\",\"rep_id\"\r\n\"a\",email,100,r1\r\nb,\"call\",200,\r\n";
    assert_eq!(read_touches(crlf, &ids, &model()).expect("BOM, spaces, CRLF, quoted rows"), plain);
    let (found, log) = read_touches_discovering(quoted, &model()).expect("discovering");
    assert_eq!((found, log.rows), (vec!["a".to_string(), "b".to_string()], 2));
    let path = std::env::temp_dir().join(format!("acctscore_quoted_header_{}.csv", std::process::id()));
    std::fs::write(&path, quoted).expect("temp file");
    let streamed = read_touches_path(&path, &ids, &model());
    let engagement = read_engagement_path(&path, &ids, &model(), None);
    let _ = std::fs::remove_file(&path);
    assert_eq!(streamed.expect("streamed"), plain);
    assert_eq!(engagement.expect("engagement").rows, 2);
    // A quoted name that is not a pool column is still missing, and named without quotes.
    let e = read_touches(b"\"account_id\",\"kind\",\"when\"\n", &ids, &model()).expect_err("no timestamp");
    assert_eq!(e.to_string(), "the header lacks the required column `timestamp`; it has: account_id, kind, when");
}

#[test]
fn touches_reserved_from_a_file_length_are_bounded() {
    let size = std::mem::size_of::<Touch>();
    assert_eq!(touch_capacity(0), 0);
    assert_eq!(touch_capacity(3_000), 100);
    for len in [200u64 << 30, u64::MAX] {
        let cap = touch_capacity(len);
        assert!(cap * size <= 64 << 20, "{len} bytes reserve {cap} touches");
        assert!(cap > 1_000_000, "a real file still reserves a useful amount");
    }
}

#[test]
fn a_sparse_200_gb_events_file_is_refused_quickly_not_an_abort() {
    let ids = Column::text(vec![Some("a")]);
    let path = std::env::temp_dir().join(format!("acctscore_sparse_events_{}.csv", std::process::id()));
    let file = std::fs::File::create(&path).expect("temp file");
    if file.set_len(200 << 30).is_err() {
        let _ = std::fs::remove_file(&path);
        return; // a file system without sparse files of this size
    }
    drop(file);
    let touches = read_touches_path(&path, &ids, &model());
    let engagement = read_engagement_path(&path, &ids, &model(), None);
    // A header, then NULs: the first data line has no line break either.
    std::fs::write(&path, b"account_id,kind,timestamp\n").expect("header");
    std::fs::OpenOptions::new().write(true).open(&path).and_then(|f| f.set_len(200 << 30)).expect("sparse tail");
    let after_header = read_engagement_path(&path, &ids, &model(), None);
    let _ = std::fs::remove_file(&path);
    let expected = |line: u64| {
        format!(
            "{}: line {line}: no line break within 1 MiB: not a CSV events file (lines of \
             `account_id,kind,timestamp` are short)",
            path.display()
        )
    };
    let is_bad_row = |e: &PoolError, at: u64| matches!(e, PoolError::InFile { source, .. } if matches!(**source, PoolError::BadRow { line, .. } if line == at));
    let e = touches.expect_err("refused");
    assert!(is_bad_row(&e, 1), "{e:?}");
    assert_eq!(e.to_string(), expected(1));
    let e = engagement.expect_err("refused");
    assert_eq!(e.to_string(), expected(1));
    let e = after_header.expect_err("refused");
    assert!(is_bad_row(&e, 2), "{e:?}");
    assert_eq!(e.to_string(), expected(2));
}

#[test]
fn a_long_line_within_the_bound_is_read() {
    // A line longer than a block (and than the first buffer) but under the bound.
    let ids = Column::text(vec![Some("a")]);
    let mut data = b"account_id,kind,timestamp,rep_id\na,email,100,".to_vec();
    data.extend(std::iter::repeat_n(b'r', 100_000));
    data.extend(b"\na,call,200,r\n");
    let whole = read_touches(&data, &ids, &model()).expect("whole");
    let path = std::env::temp_dir().join(format!("acctscore_long_line_{}.csv", std::process::id()));
    std::fs::write(&path, &data).expect("temp file");
    let streamed = read_touches_blocks(&path, &ids, &model(), 4096, &EventOptions::new());
    let _ = std::fs::remove_file(&path);
    assert_eq!(streamed.expect("streamed"), whole);
    assert_eq!(whole.rows, 2);
}

#[test]
fn streaming_in_small_blocks_equals_reading_whole() {
    let ids = Column::Text((0..30).map(|k| Some(format!("acct_{k:03}"))).collect());
    let mut data = b"account_id,kind,timestamp,rep_id\n".to_vec();
    for k in 0..200 {
        data.extend(format!("acct_{:03},{},{},r{}\n", k % 37, ["email", "call"][k % 2], 1000 + k, k % 3).bytes());
    }
    let whole = read_touches(&data, &ids, &model()).expect("whole");
    let path = std::env::temp_dir().join(format!("acctscore_touches_{}.csv", std::process::id()));
    std::fs::write(&path, &data).expect("temp file");
    for block in [1, 7, 64, 1 << 20] {
        let streamed = read_touches_blocks(&path, &ids, &model(), block, &EventOptions::new()).expect("streamed");
        assert_eq!(streamed, whole, "block {block}");
    }
    let _ = std::fs::remove_file(&path);
    assert_eq!(whole.rows, 200);
    assert!(whole.unknown_accounts > 0);
}

#[test]
fn engagement_read_in_blocks_equals_aggregating_the_touches() {
    let ids = Column::Text((0..30).map(|k| Some(format!("acct_{k:03}"))).collect());
    let mut data = b"account_id,kind,timestamp\n".to_vec();
    for k in 0..500u64 {
        let t = 1_700_000_000 + (k * 7919 % 500) * 86_400;
        data.extend(format!("acct_{:03},{},{t}\n", k % 37, ["email", "call"][(k % 2) as usize]).bytes());
    }
    let log = read_touches(&data, &ids, &model()).expect("whole");
    let path = std::env::temp_dir().join(format!("acctscore_engagement_{}.csv", std::process::id()));
    std::fs::write(&path, &data).expect("temp file");
    let latest = Timestamp::from_unix_seconds(log.latest.expect("rows"));
    let earlier = Timestamp::from_unix_seconds(1_700_000_000 + 200 * 86_400);
    for (now, at) in [(None, latest), (Some(earlier), earlier)] {
        let want = model().aggregate(at, 30, &log.touches).expect("ok");
        for block in [7, 64, 1 << 20] {
            let got = read_sums_blocks(&path, &ids, &model(), now, block, &EventOptions::new())
                .map(finished)
                .expect("streamed");
            assert_eq!((got.rows, got.unknown_accounts), (log.rows, log.unknown_accounts));
            let e = &got.engagement;
            assert_eq!((e.now(), e.used(), e.ignored_future()), (at, want.used(), want.ignored_future()));
            for (g, w) in e.scores().iter().zip(want.scores()) {
                assert!((g - w).abs() <= 1e-12 * w, "block {block}: {g} vs {w}");
            }
        }
    }
    let _ = std::fs::remove_file(&path);
}

#[test]
fn discovering_ids_agrees_with_a_given_list() {
    let plain = b"account_id,kind,timestamp\nb,email,100\na,call,200\nb,call,300\n";
    let quoted = b"account_id,kind,timestamp\n\"b\",email,100\na,call,200\nb,\"call\",300\n";
    let given = read_touches(plain, &Column::text(vec![Some("b"), Some("a")]), &model()).expect("ok");
    for data in [&plain[..], &quoted[..]] {
        let (ids, log) = read_touches_discovering(data, &model()).expect("valid");
        assert_eq!(ids, ["b", "a"]);
        assert_eq!(log, given);
    }
    assert!(matches!(
        read_touches_discovering(b"account_id,kind,timestamp\na,fax,1\n", &model()),
        Err(PoolError::UnknownKind { line: 2, .. })
    ));
}

#[test]
fn quoted_and_plain_files_agree() {
    let ids = Column::text(vec![Some("a"), Some("b")]);
    let plain = read_touches(b"account_id,kind,timestamp\na,email,100\r\nb,call,200\n", &ids, &model()).expect("ok");
    let quoted =
        read_touches(b"account_id,kind,timestamp\n\"a\",email,100\nb,\"call\",200\n", &ids, &model()).expect("ok");
    assert_eq!(plain, quoted);
    assert!(matches!(
        read_touches(b"account_id,kind,timestamp\na,email\n", &ids, &model()),
        Err(PoolError::BadRow { line: 2, .. })
    ));
    assert!(matches!(
        read_touches(b"account_id,kind,timestamp\n\"a\",email,1\na,email\n", &ids, &model()),
        Err(PoolError::BadRow { line: 3, .. })
    ));
}

/// Rows as `(line, fields)`.
type Rows = Vec<(u64, Vec<Vec<u8>>)>;

/// Lines and fields as a plain split gives them, or the line of the first bad row.
fn naive_rows(part: &[u8], n_fields: usize) -> Result<Rows, u64> {
    let mut out = Vec::new();
    let body = part.strip_suffix(b"\n").unwrap_or(part);
    if part.is_empty() {
        return Ok(out);
    }
    for (k, line) in body.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let fields: Vec<Vec<u8>> = line.split(|&b| b == b',').map(<[u8]>::to_vec).collect();
        if fields.len() != n_fields {
            return Err(k as u64 + 2);
        }
        out.push((k as u64 + 2, fields));
    }
    Ok(out)
}

#[test]
fn word_at_a_time_splitting_equals_a_plain_split() {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    for case in 0..3000 {
        let len = case % 97;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                [b'a', b'7', b',', b'\n', b'\r', b'a', b',', 0x80, b'+'][(x % 9) as usize]
            })
            .collect();
        for n_fields in [1, 3] {
            let mut got = Vec::new();
            let result = unquoted_rows(&bytes, 2, n_fields, |line, fields| {
                got.push((line, fields.iter().map(|f| f.to_vec()).collect()));
                Ok(())
            });
            if let Ok(line_feeds) = result {
                assert_eq!(line_feeds, bytes.iter().filter(|&&b| b == b'\n').count() as u64);
            }
            let result = result.map(|_| got).map_err(|e| match e {
                PoolError::BadRow { line, .. } => line,
                other => panic!("{other:?}"),
            });
            assert_eq!(result, naive_rows(&bytes, n_fields), "{:?}", String::from_utf8_lossy(&bytes));
        }
    }
}

#[test]
fn id_numbers_read_as_words_equal_digit_by_digit() {
    for (id, prefix, width) in [
        ("acct_0000023", "acct_", 7),
        ("acct_9999999", "acct_", 7),
        ("x12345678", "x", 8),
        ("12345678", "", 8),
        ("ab12", "ab", 2),
        ("acct_00x0023", "acct_", 7),
        ("acct_0000023", "acct-", 7),
        ("acct_000023", "acct_", 7),
        ("acct_123456789", "acct_", 9),
        ("acct_/000023", "acct_", 7),
        ("acct_:000023", "acct_", 7),
    ] {
        let want = id.strip_prefix(prefix).filter(|d| d.len() == width).and_then(|d| parse_digits(d.as_bytes()));
        assert_eq!(IdIndex::number(id.as_bytes(), prefix.as_bytes(), width), want, "{id}");
    }
}

#[test]
fn integers_parse_as_the_standard_parser_does() {
    for s in ["0", "7", "12345678", "1735689601", "-1735689601", "123456789012345678", "00000001", "-0"] {
        assert_eq!(parse_i64(s.as_bytes()), s.parse::<i64>().ok(), "{s}");
    }
    for s in ["", "-", "12a45678", "1234567/", "17356896:1", "1.5", "9999999999999999999"] {
        assert_eq!(parse_i64(s.as_bytes()), s.parse::<i64>().ok(), "{s}");
    }
}

#[test]
fn bad_rows_and_kinds_name_their_line() {
    let ids = Column::text(vec![Some("a")]);
    let m = model();
    assert!(matches!(
        read_touches(b"account_id,kind,timestamp\na,email,100\na,fax,5\n", &ids, &m),
        Err(PoolError::UnknownKind { line: 3, .. })
    ));
    assert!(matches!(
        read_touches(b"account_id,kind,timestamp\na,email,100\na,email,soon\n", &ids, &m),
        Err(PoolError::BadRow { line: 3, .. })
    ));
    assert!(matches!(read_touches(b"account_id,kind\n", &ids, &m), Err(PoolError::MissingColumn { .. })));
    let empty = read_touches(b"account_id,kind,timestamp\n", &ids, &m).expect("header only is empty");
    assert_eq!(empty.rows, 0);
}

#[test]
fn a_bad_line_is_named_wherever_it_falls() {
    // Lines counted by the parser, not by a separate pass: every block
    // size puts the bad line in a first half, a second half or a later
    // block, and each must name it exactly.
    let ids = Column::Text((0..30).map(|k| Some(format!("acct_{k:03}"))).collect());
    let m = model();
    for bad in [2u64, 3, 57, 150, 301] {
        for (broken, want_kind) in [("acct_001,fax,5", true), ("acct_001,email,soon", false)] {
            let mut data = b"account_id,kind,timestamp\n".to_vec();
            for line in 2..=301u64 {
                let row = if line == bad { broken.to_string() } else { format!("acct_{:03},email,{line}", line % 30) };
                data.extend(row.bytes().chain([b'\n']));
            }
            let check = |e: PoolError, how: &str| match e {
                PoolError::UnknownKind { line, .. } if want_kind => assert_eq!(line, bad, "{how}"),
                PoolError::BadRow { line, .. } if !want_kind => assert_eq!(line, bad, "{how}"),
                other => panic!("{how}: {other:?}"),
            };
            check(read_touches(&data, &ids, &m).expect_err("bad line"), "whole");
            check(read_touches_discovering(&data, &m).expect_err("bad line"), "discovering");
            let path = std::env::temp_dir().join(format!("acctscore_bad_line_{}_{bad}.csv", std::process::id()));
            std::fs::write(&path, &data).expect("temp file");
            for block in [16, 100, 1000, 1 << 20] {
                let e = read_sums_blocks(&path, &ids, &m, None, block, &EventOptions::new())
                    .map(finished)
                    .expect_err("bad line");
                check(e, &format!("block {block}"));
            }
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[test]
fn duplicate_ids_are_an_error_by_default_and_a_policy_otherwise() {
    let data = b"account_id,kind,timestamp\nb7,email,100\nacct_0002,call,200\n";
    // Hashed ids (`b7` twice) and numbered ids (`acct_0002` twice).
    let hashed = Column::Text(["a1", "b7", "c3", "b7"].iter().map(|s| Some((*s).to_string())).collect());
    let numbered = Column::Text(
        ["acct_0001", "acct_0002", "acct_0003", "acct_0002"].iter().map(|s| Some((*s).to_string())).collect(),
    );
    for (ids, id) in [(&hashed, "b7"), (&numbered, "acct_0002")] {
        match read_touches(data, ids, &model()) {
            Err(PoolError::DuplicateId { id: got, first_row: 1, row: 3 }) => assert_eq!(got, id),
            other => panic!("expected DuplicateId, got {other:?}"),
        }
        let first = EventOptions::new().duplicates(DuplicateIds::First);
        let last = EventOptions::new().duplicates(DuplicateIds::Last);
        let rows = |o: &EventOptions| -> Vec<u32> {
            read_touches_with(data, ids, &model(), o).expect("policy").touches.iter().map(|t| t.account).collect()
        };
        assert_eq!(rows(&first), [1]);
        assert_eq!(rows(&last), [3]);
    }
    let e = read_touches(data, &hashed, &model()).expect_err("duplicate");
    assert_eq!(
        e.to_string(),
        "account id `b7` appears on data rows 2 and 4 of the accounts; ids must be unique (or declare a duplicates policy: first or last)"
    );
    // The path readers too, with the file named.
    let dir = std::env::temp_dir().join(format!("acctscore-dup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("events.csv");
    std::fs::write(&path, data).expect("write");
    let e = read_engagement_path(&path, &numbered, &model(), None).expect_err("duplicate");
    assert!(
        matches!(&e, PoolError::InFile { source, .. } if matches!(**source, PoolError::DuplicateId { row: 3, .. }))
    );
    let log = read_touches_path_with(&path, &numbered, &model(), &EventOptions::new().duplicates(DuplicateIds::Last))
        .expect("last");
    assert_eq!(log.touches.iter().map(|t| t.account).collect::<Vec<_>>(), [3]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn timestamps_in_other_units_are_refused_with_the_unit_or_converted() {
    let ids = Column::Text(["a", "b"].iter().map(|s| Some((*s).to_string())).collect());
    let seconds = 1_767_225_600i64;
    for (unit, scale) in [
        (TimeUnit::Milliseconds, 1_000i64),
        (TimeUnit::Microseconds, 1_000_000),
        (TimeUnit::Nanoseconds, 1_000_000_000),
    ] {
        let data = format!(
            "account_id,kind,timestamp\na,email,{}\nb,call,{}\n",
            seconds * scale,
            (seconds + 60) * scale + scale / 2
        );
        match read_touches(data.as_bytes(), &ids, &model()) {
            Err(PoolError::TimestampUnit { line: 2, value, unit: got }) => {
                assert_eq!((value, got), (seconds * scale, unit));
            }
            other => panic!("expected TimestampUnit, got {other:?}"),
        }
        let log = read_touches_with(data.as_bytes(), &ids, &model(), &EventOptions::new().time_unit(unit))
            .expect("declared unit");
        let ts: Vec<i64> = log.touches.iter().map(|t| t.at.unix_seconds()).collect();
        assert_eq!(ts, [seconds, seconds + 60]);
        assert_eq!(log.latest, Some(seconds + 60));
    }
    let e = read_touches(b"account_id,kind,timestamp\na,email,1767225600000\n", &ids, &model()).expect_err("ms");
    assert_eq!(
        e.to_string(),
        "line 2: timestamp 1767225600000 looks like milliseconds, not Unix seconds (the year would be past 5000); declare the unit (time unit: milliseconds) to convert it"
    );
    // Seconds up to 10^11 - 1 (the year 5138) pass as they are.
    let log = read_touches(b"account_id,kind,timestamp\na,email,99999999999\n", &ids, &model()).expect("seconds");
    assert_eq!(log.latest, Some(99_999_999_999));
    // A refused line deep in the second half of a block is named by its line.
    let mut data = String::from("account_id,kind,timestamp\n");
    for _ in 0..1000 {
        data.push_str("a,email,1767225600\n");
    }
    data.push_str("b,email,1767225600123\n");
    assert!(matches!(
        read_touches(data.as_bytes(), &ids, &model()),
        Err(PoolError::TimestampUnit { line: 1002, unit: TimeUnit::Milliseconds, .. })
    ));
}

#[test]
fn a_crm_export_reads_through_named_columns() {
    // The same activities in the pool format and as a CRM export: other
    // column names in another order, ISO dates, one kind for every row,
    // CRLF line ends, a row without an account and one not dated yet.
    let ids = Column::text(vec![Some("Acme"), Some("Beta Co")]);
    let pool = b"account_id,kind,timestamp,rep_id\nAcme,call,1476921600,Ann\nBeta Co,call,1477008000,Bo\nAcme,call,1477094400,Bo\n";
    let crm = "opportunity_id,sales_agent,account,deal_stage,engage_date\r\n\
               o1,Ann,Acme,Won,2016-10-20\r\n\
               o2,Bo,Beta Co,Lost,2016-10-21\r\n\
               o3,Ann,,Engaging,2016-10-21\r\n\
               o4,Cy,Acme,Prospecting,\r\n\
               o5,Bo,\"Acme\",Won,2016-10-22T00:00:00Z\r\n";
    let options = EventOptions::new()
        .account_column("account")
        .timestamp_column("engage_date")
        .rep_column("sales_agent")
        .iso_dates()
        .fixed_kind("call")
        .skip_undated();
    let want = read_touches(pool, &ids, &model()).expect("pool format");
    let got = read_touches_with(crm.as_bytes(), &ids, &model(), &options).expect("mapped");
    assert_eq!(got.touches, want.touches);
    assert_eq!((got.rows, got.unknown_accounts, got.undated, got.latest), (5, 1, 1, want.latest));
    // The same file through the path readers, in blocks small enough to cut it.
    let dir = std::env::temp_dir().join(format!("acctscore-crm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("pipeline.csv");
    std::fs::write(&path, crm).expect("write");
    for block in [16, 64, 4096] {
        let (sums, log) = read_sums_blocks(&path, &ids, &model(), None, block, &options).expect("sums");
        assert_eq!((log.rows, log.undated), (5, 1));
        let mut plain = EngagementSums::new(&model(), 2, None);
        plain.add(&want.touches).expect("add");
        let (a, b) = (sums.finish(), plain.finish());
        for (x, y) in a.scores().iter().zip(b.scores()) {
            assert!((x - y).abs() <= 1e-12 * y.abs(), "block {block}: {x} vs {y}");
        }
    }
    let reps = read_latest_reps_path(&path, &ids, None, None, &options).expect("reps");
    let named: Vec<Option<&str>> = reps.latest.iter().map(|r| r.map(|r| reps.reps[r.rep as usize].as_str())).collect();
    assert_eq!(named, [Some("Bo"), Some("Bo")]);
    assert_eq!(reps.undated, 1);
    // Without skip_undated the empty date is an error with its line; a
    // written but unreadable date always is.
    let strict = options.clone().account_column("account");
    let strict = EventOptions { skip_undated: false, ..strict };
    let e = read_touches_with(crm.as_bytes(), &ids, &model(), &strict).expect_err("undated");
    assert!(e.to_string().starts_with("line 5: timestamp `` is not an ISO 8601 date"), "{e}");
    let bad = "account,engage_date,sales_agent\nAcme,20/10/2016,Ann\n";
    let e = read_touches_with(bad.as_bytes(), &ids, &model(), &options).expect_err("bad date");
    assert!(e.to_string().contains("line 2: timestamp `20/10/2016`"), "{e}");
    // A column the options name that the header lacks is named.
    let e = read_touches_with(b"account_id,kind,timestamp\n", &ids, &model(), &options).expect_err("names");
    assert!(e.to_string().contains("`account`") && e.to_string().contains("account_id, kind, timestamp"), "{e}");
    // The fixed kind must be one the model knows.
    let e = read_touches_with(crm.as_bytes(), &ids, &model(), &options.clone().fixed_kind("fax")).expect_err("kind");
    assert!(matches!(e, PoolError::UnknownKind { line: 2, .. }), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
