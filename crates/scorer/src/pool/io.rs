//! Reading and writing pool files with the `csv` crate.

use super::PoolError;
use super::records::{ACCOUNT_COLUMNS, AccountRecord, EventRecord};
use std::io::{Read, Write};
use std::path::Path;

fn open(path: &Path) -> Result<std::fs::File, PoolError> {
    std::fs::File::open(path).map_err(|source| PoolError::Io { path: path.display().to_string(), source })
}

fn bad_row(e: &csv::Error, fallback_line: u64) -> PoolError {
    let line = e.position().map_or(fallback_line, csv::Position::line);
    let reason = match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(i) => format!("field {}: {}", i + 1, err.kind()),
            None => err.kind().to_string(),
        },
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields where the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
        other => format!("{other:?}"),
    };
    PoolError::BadRow { line, reason }
}

/// A header name as the pool format means it: trimmed, and without the
/// quotes CSV keeps when a quoted name follows a space (` "kind"`).
fn header_name(h: &str) -> &str {
    let h = h.trim();
    h.strip_prefix('"').and_then(|h| h.strip_suffix('"')).map_or(h, str::trim)
}

/// Checks that the header has every `required` column, and sets the
/// reader's header to the cleaned names ([`header_name`]) rows are
/// deserialised by.
fn check_header<R: Read>(rdr: &mut csv::Reader<R>, required: &[&'static str]) -> Result<(), PoolError> {
    let header: csv::StringRecord = rdr.headers().map_err(|e| bad_row(&e, 1))?.iter().map(header_name).collect();
    for &column in required {
        if !header.iter().any(|h| h == column) {
            let available = header.iter().filter(|h| !h.is_empty()).map(str::to_string).collect();
            return Err(PoolError::MissingColumn { column: column.to_string(), available });
        }
    }
    rdr.set_headers(header);
    Ok(())
}

/// Reads `accounts.csv` rows from any reader (header required).
///
/// Every row must parse; the first bad one is an error with its line
/// number. Non-finite numbers (`NaN`, `inf`) are rejected the same way.
///
/// # Errors
/// [`PoolError::MissingColumn`], [`PoolError::BadRow`], [`PoolError::NonFinite`].
pub fn read_accounts<R: Read>(reader: R) -> Result<Vec<AccountRecord>, PoolError> {
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::Headers).from_reader(reader);
    check_header(&mut rdr, &ACCOUNT_COLUMNS)?;
    let mut out = Vec::new();
    for (i, row) in rdr.deserialize::<AccountRecord>().enumerate() {
        let line = i as u64 + 2;
        let row = row.map_err(|e| bad_row(&e, line))?;
        if let Some((column, _)) = row.numeric_fields().into_iter().find(|(_, v)| v.is_some_and(|v| !v.is_finite())) {
            return Err(PoolError::NonFinite { line, column });
        }
        out.push(row);
    }
    Ok(out)
}

/// Reads `accounts.csv` from a path.
///
/// # Errors
/// [`PoolError::Io`] and everything [`read_accounts`] returns, in a
/// [`PoolError::InFile`] naming the path.
pub fn read_accounts_path(path: impl AsRef<Path>) -> Result<Vec<AccountRecord>, PoolError> {
    let path = path.as_ref();
    read_accounts(std::io::BufReader::with_capacity(1 << 20, open(path)?)).map_err(|e| e.in_file(path))
}

/// Reads `events.csv` rows (`account_id, kind, timestamp[, rep_id]`).
///
/// # Errors
/// [`PoolError::MissingColumn`], [`PoolError::BadRow`].
pub fn read_events<R: Read>(reader: R) -> Result<Vec<EventRecord>, PoolError> {
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::Headers).from_reader(reader);
    check_header(&mut rdr, &["account_id", "kind", "timestamp"])?;
    let mut out = Vec::new();
    for (i, row) in rdr.deserialize::<EventRecord>().enumerate() {
        out.push(row.map_err(|e| bad_row(&e, i as u64 + 2))?);
    }
    Ok(out)
}

/// Reads `events.csv` from a path.
///
/// # Errors
/// [`PoolError::Io`] and everything [`read_events`] returns, in a
/// [`PoolError::InFile`] naming the path.
pub fn read_events_path(path: impl AsRef<Path>) -> Result<Vec<EventRecord>, PoolError> {
    let path = path.as_ref();
    read_events(std::io::BufReader::with_capacity(1 << 20, open(path)?)).map_err(|e| e.in_file(path))
}

fn write_rows<W: Write, T: serde::Serialize>(writer: W, rows: &[T]) -> Result<(), PoolError> {
    let mut w = csv::Writer::from_writer(writer);
    for r in rows {
        w.serialize(r).map_err(|e| PoolError::Write { reason: e.to_string() })?;
    }
    w.flush().map_err(|e| PoolError::Write { reason: e.to_string() })
}

/// Writes accounts as `accounts.csv` (header included). Numbers are written
/// in their shortest round-trip form, so the same rows give the same bytes.
///
/// # Errors
/// [`PoolError::Write`].
pub fn write_accounts<W: Write>(writer: W, rows: &[AccountRecord]) -> Result<(), PoolError> {
    write_rows(writer, rows)
}

/// Writes events as `events.csv` (with `rep_id` when the first row has one).
///
/// # Errors
/// [`PoolError::Write`].
pub fn write_events<W: Write>(writer: W, rows: &[EventRecord]) -> Result<(), PoolError> {
    write_rows(writer, rows)
}

/// Writes accounts to `path` whole ([`write_accounts`] through
/// [`write_atomic`](crate::core::write_atomic)): a temporary file in the same
/// folder, flushed, synced and renamed over `path`, so that a failed write
/// leaves a previous file intact and no partial file behind.
///
/// # Errors
/// [`PoolError::Write`], or [`PoolError::File`] naming the path and the step that failed.
pub fn write_accounts_path(path: impl AsRef<Path>, rows: &[AccountRecord]) -> Result<(), PoolError> {
    crate::core::write_atomic(path, |w| write_accounts(w, rows))
}

/// Writes events to `path` whole, as [`write_accounts_path`] does.
///
/// # Errors
/// [`PoolError::Write`], or [`PoolError::File`] naming the path and the step that failed.
pub fn write_events_path(path: impl AsRef<Path>, rows: &[EventRecord]) -> Result<(), PoolError> {
    crate::core::write_atomic(path, |w| write_events(w, rows))
}

/// The columns of the ranked-accounts CSV ([`write_ranked`]), in order.
pub const RANKED_COLUMNS: [&str; 15] = [
    "rank", "account_id", "priority", "quality", "tier", "icp", "icp_baseline", "revenue_estimate", "revenue_in_range",
    "revenue_source", "anomaly_penalty", "anomaly_checks", "engagement", "engagement_effect", "reasons",
];

/// Writes ranked accounts as CSV: [`RANKED_COLUMNS`] (`rank` from 1 in the
/// order given), then the `carried` columns (a name and one value per
/// account, in the accounts' order). Numbers are written at full round-trip
/// precision, so that `icp_baseline` + the reasons' contributions = `icp`
/// can be checked from the file; `reasons` is `code:+contribution;…`,
/// `anomaly_checks` the fired checks joined by `;`, and a component that was
/// not computed is empty.
///
/// # Errors
/// [`PoolError::Write`].
pub fn write_ranked<W: Write>(
    writer: W,
    ranked: &[crate::AccountScore],
    carried: &[(String, Vec<String>)],
) -> Result<(), PoolError> {
    let err = |e: csv::Error| PoolError::Write { reason: e.to_string() };
    let mut w = csv::WriterBuilder::new().buffer_capacity(1 << 20).from_writer(writer);
    let header: Vec<&str> = RANKED_COLUMNS.iter().copied().chain(carried.iter().map(|(n, _)| n.as_str())).collect();
    w.write_record(&header).map_err(err)?;
    for (k, s) in ranked.iter().enumerate() {
        let reasons: Vec<String> = s.reasons.iter().map(|r| format!("{}:{:+}", r.code, r.contribution)).collect();
        let mut row = vec![
            (k + 1).to_string(),
            s.account_id.clone(),
            s.priority.to_string(),
            s.quality.to_string(),
            s.tier.to_string(),
            s.icp.get().to_string(),
            s.icp_baseline.to_string(),
            s.revenue.as_ref().map_or(String::new(), |r| r.estimate.to_string()),
            s.revenue.as_ref().map_or(String::new(), |r| r.in_range.get().to_string()),
            s.revenue.as_ref().map_or(String::new(), |r| r.source.as_str().to_string()),
            s.anomaly.as_ref().map_or(String::new(), |a| a.penalty.to_string()),
            s.anomaly.as_ref().map_or(String::new(), |a| a.checks.join(";")),
            s.engagement.map_or(String::new(), |e| e.to_string()),
            s.engagement_effect.to_string(),
            reasons.join(";"),
        ];
        for (_, values) in carried {
            row.push(values.get(k).cloned().unwrap_or_default());
        }
        w.write_record(&row).map_err(err)?;
    }
    w.flush().map_err(|e| PoolError::Write { reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "account_id,industry,business_model,employees,founded_year,funding_total_usd,funding_last_round_days_ago,web_traffic_monthly,web_traffic_growth_90d,has_ecommerce,sku_avg_price,conversion_rate,country,job_title_of_contact,monthly_revenue_usd,converted\n";

    #[test]
    fn the_pool_schema_is_one_table_that_the_frame_paths_follow() {
        use crate::frame::ColumnKind;
        use crate::pool::{ACCOUNT_COLUMNS, ACCOUNT_SCHEMA, accounts_to_frame, read_accounts_frame};
        let names: Vec<&str> = ACCOUNT_SCHEMA.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ACCOUNT_COLUMNS);
        let pool = crate::pool::PoolGenerator::new(40).seed(5).events(false).generate();
        let dir = std::env::temp_dir().join(format!("acctscore-pool-schema-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("accounts.csv");
        write_accounts_path(&path, &pool.accounts).expect("writes");
        let read = read_accounts_frame(&path).expect("reads");
        let built = accounts_to_frame(&pool.accounts).expect("builds");
        for (frame, label_kind) in [(&read, ColumnKind::Numeric), (&built, ColumnKind::Boolean)] {
            assert_eq!(frame.names(), ACCOUNT_COLUMNS);
            for ((name, kind), column) in ACCOUNT_SCHEMA.iter().zip(frame.columns()) {
                let want = if *name == "converted" { label_kind } else { *kind };
                assert_eq!(column.kind(), want, "{name}");
            }
        }
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn path_writers_write_whole_files_and_name_the_path_when_they_cannot() {
        let dir = std::env::temp_dir().join(format!("acctscore-pool-io-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let pool = crate::pool::PoolGenerator::new(30).seed(3).generate();
        let accounts = dir.join("accounts.csv");
        let events = dir.join("events.csv");
        write_accounts_path(&accounts, &pool.accounts).expect("writes accounts");
        write_events_path(&events, &pool.events).expect("writes events");
        assert_eq!(read_accounts_path(&accounts).expect("reads"), pool.accounts);
        assert_eq!(read_events_path(&events).expect("reads"), pool.events);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into())
            .collect();
        names.sort();
        assert_eq!(names, ["accounts.csv", "events.csv"], "no temporary file left behind");
        let missing = dir.join("no such folder").join("accounts.csv");
        match write_accounts_path(&missing, &pool.accounts) {
            Err(PoolError::File(e)) => assert!(e.to_string().contains("no such folder"), "{e}"),
            other => panic!("expected a file error, got {other:?}"),
        }
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn reads_a_clean_file_with_missing_fields() {
        let data = format!("{HEADER}a1,Software,saas,12,2015,0,,300,0.1,false,,,US,CEO,25000.5,1\na2,,,,,,,,,,,,,,,\n");
        let rows = read_accounts(data.as_bytes()).expect("valid");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].employees, Some(12.0));
        assert_eq!(rows[0].has_ecommerce, Some(false));
        assert_eq!(rows[0].converted, Some(true));
        assert_eq!(rows[1].industry, None);
        assert_eq!(rows[1].converted, None);
    }

    #[test]
    fn bad_rows_report_their_line() {
        let bad_number = format!(
            "{HEADER}a1,Software,saas,12,2015,0,,300,0.1,false,,,US,CEO,25000,1\na2,Software,saas,many,2015,0,,300,0.1,false,,,US,CEO,25000,0\n"
        );
        match read_accounts(bad_number.as_bytes()) {
            Err(PoolError::BadRow { line, .. }) => assert_eq!(line, 3),
            other => panic!("unexpected {other:?}"),
        }
        let ragged = format!("{HEADER}a1,Software\n");
        assert!(matches!(read_accounts(ragged.as_bytes()), Err(PoolError::BadRow { line: 2, .. })));
        let nan = format!("{HEADER}a1,Software,saas,NaN,2015,0,,300,0.1,false,,,US,CEO,25000,1\n");
        assert!(matches!(read_accounts(nan.as_bytes()), Err(PoolError::NonFinite { line: 2, column: "employees" })));
        let bad_label = format!("{HEADER}a1,Software,saas,1,2015,0,,300,0.1,false,,,US,CEO,25000,yes\n");
        assert!(matches!(read_accounts(bad_label.as_bytes()), Err(PoolError::BadRow { line: 2, .. })));
        let bad_bool = format!("{HEADER}a1,Software,saas,1,2015,0,,300,0.1,maybe,,,US,CEO,25000,1\n");
        assert!(matches!(read_accounts(bad_bool.as_bytes()), Err(PoolError::BadRow { line: 2, .. })));
    }

    #[test]
    fn header_problems_are_errors() {
        assert!(matches!(read_accounts("a,b\n1,2\n".as_bytes()), Err(PoolError::MissingColumn { .. })));
        assert!(matches!(read_accounts("".as_bytes()), Err(PoolError::MissingColumn { .. })));
        let e = read_events("account_id,kind\n".as_bytes()).expect_err("no timestamp");
        assert!(matches!(e, PoolError::MissingColumn { ref column, .. } if column == "timestamp"));
        assert_eq!(e.to_string(), "the header lacks the required column `timestamp`; it has: account_id, kind");
        assert_eq!(
            read_accounts("".as_bytes()).expect_err("empty").to_string(),
            "the header lacks the required column `account_id`; the input has no header"
        );
    }

    #[test]
    fn errors_of_a_file_name_its_path() {
        let dir = std::env::temp_dir().join(format!("acctscore-io-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("events.csv");
        std::fs::write(&path, "account_id,kind,timestamp\na,email,soon\n").expect("write");
        let e = read_events_path(&path).expect_err("bad row");
        assert!(
            matches!(&e, PoolError::InFile { source, .. } if matches!(**source, PoolError::BadRow { line: 2, .. }))
        );
        assert!(e.to_string().starts_with(&format!("{}: line 2: ", path.display())), "{e}");
        std::fs::write(&path, "account_id,when\n").expect("write");
        let e = read_events_path(&path).expect_err("no kind");
        assert_eq!(
            e.to_string(),
            format!("{}: the header lacks the required column `kind`; it has: account_id, when", path.display())
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn quoted_headers_are_read_as_their_names() {
        let plain = read_events("account_id,kind,timestamp\na,email,100\n".as_bytes()).expect("plain");
        for header in ["\"account_id\",\"kind\",\"timestamp\"", "\"account_id\", \"kind\" , \"timestamp\""] {
            let quoted = read_events(format!("{header}\na,email,100\n").as_bytes()).expect(header);
            assert_eq!(quoted, plain, "{header}");
        }
        let e = read_events("\"account_id\", \"kind\"\n".as_bytes()).expect_err("no timestamp");
        assert_eq!(e.to_string(), "the header lacks the required column `timestamp`; it has: account_id, kind");
        let pool = super::super::PoolGenerator::new(20).seed(3).generate();
        let mut bytes = Vec::new();
        write_accounts(&mut bytes, &pool.accounts).expect("written");
        let text = String::from_utf8(bytes).expect("utf-8");
        let (header, rows) = text.split_once('\n').expect("a header");
        let quoted_header: Vec<String> = header.split(',').map(|h| format!(" \"{h}\"")).collect();
        let back =
            read_accounts(format!("{}\n{rows}", quoted_header.join(",")).as_bytes()).expect("quoted accounts header");
        assert_eq!(back, pool.accounts);
    }

    #[test]
    fn events_with_and_without_rep() {
        let plain = read_events("account_id,kind,timestamp\na,email,100\n".as_bytes()).expect("valid");
        assert_eq!(plain[0].rep_id, None);
        let with_rep = read_events("account_id,kind,timestamp,rep_id\na,call,100,r7\n".as_bytes()).expect("valid");
        assert_eq!(with_rep[0].rep_id.as_deref(), Some("r7"));
        assert!(matches!(
            read_events("account_id,kind,timestamp\na,email,soon\n".as_bytes()),
            Err(PoolError::BadRow { line: 2, .. })
        ));
        assert!(matches!(read_events_path("/definitely/not/here.csv"), Err(PoolError::Io { .. })));
    }
}
