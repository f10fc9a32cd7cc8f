//! The bad-input suite (issue 17, "No silent damage"): one table of cases
//! across the library and every example. (The cases of the examples whose
//! work moved to the `acctscore` binary — quality_report, evaluate,
//! engagement, anomaly_report — run the binary in
//! crates/cli/tests/bad_inputs.rs.) Each case writes its input to a
//! folder of its own, runs one API or one example's `run`, and asserts the
//! exact outcome: the typed error (its type, variant and fields, as `Debug`
//! prints them) and its message, or the correct result. The cases are
//! listed by kind in docs/testing.md ("Bad-input suite"); a test checks
//! that the list and the table agree.
//!
//! In the expected strings, `*` matches any text and `{dir}` is the case's
//! folder. `ACCTSCORE_SHOW_OUTCOMES=1 cargo test --test bad_inputs -- --nocapture`
//! prints every case's outcome.

// Each example includes examples/common/mod.rs as its own `mod common`, so
// the file is compiled once per example here; the copies are independent
// (plain functions, no state), which is what the binaries get too.
#![allow(clippy::duplicate_mod)]

// The examples, included as modules: each `run` is called with its own
// `Args` (clap's `try_parse_from`). Their `main`s are not called here.
#[path = "../examples/bench_pool.rs"]
#[allow(dead_code)]
mod bench_pool;
#[path = "../examples/custom_schema.rs"]
#[allow(dead_code)]
mod custom_schema;
#[path = "../examples/embed_service.rs"]
#[allow(dead_code)]
mod embed_service;
#[path = "../examples/icp_families.rs"]
#[allow(dead_code)]
mod icp_families;
#[path = "../examples/lr_check.rs"]
#[allow(dead_code)]
mod lr_check;
#[path = "../examples/quickstart.rs"]
#[allow(dead_code)]
mod quickstart;
#[path = "../examples/score_csv.rs"]
#[allow(dead_code)]
mod score_csv;

use acctscore::engagement::EngagementParams;
use acctscore::features::quality::{QualityParams, QualityReport, Target};
use acctscore::frame::csv::{CsvOptions, Encoding as CsvEncoding, load_path};
use acctscore::frame::{Column, ColumnKind, Frame};
use acctscore::pool::{
    DuplicateIds, EventOptions, PoolGenerator, TimeUnit, accounts_to_frame, read_accounts_frame,
    read_touches_discovering, read_touches_path, read_touches_path_with, write_accounts, write_events,
};
use acctscore::{Scorer, ScorerParams};
use clap::Parser;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

// ---------------------------------------------------------------- the table

/// What a case is about (docs/testing.md lists the cases under these names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Ids,
    Encoding,
    MissingTokens,
    DecimalComma,
    Duplicates,
    TimeUnits,
    TargetValues,
    Options,
    ModelFiles,
    Structure,
    Limits,
    SchemaAtScoring,
    WholeFiles,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Ids => "ids",
            Kind::Encoding => "encoding",
            Kind::MissingTokens => "missing tokens / kinds",
            Kind::DecimalComma => "decimal comma",
            Kind::Duplicates => "duplicates",
            Kind::TimeUnits => "time units",
            Kind::TargetValues => "target values",
            Kind::Options => "options",
            Kind::ModelFiles => "model files",
            Kind::Structure => "headers/structure",
            Kind::Limits => "sizes/limits",
            Kind::SchemaAtScoring => "schema-at-scoring",
            Kind::WholeFiles => "whole files",
        }
    }
}

/// A file of a case's input.
#[derive(Clone, Copy)]
enum Src {
    /// Text as written.
    Text(&'static str),
    /// Bytes as written (not UTF-8, a BOM, …).
    Bytes(&'static [u8]),
    /// A generated pool's `accounts.csv` (accounts, seed).
    Accounts(usize, u64),
    /// The same pool's `events.csv`.
    Events(usize, u64),
    /// The shared scorer's model file, changed by the function.
    Model(fn(String) -> String),
}

/// The expected outcome.
enum Expect {
    /// An error: its type and `Debug` form (`PoolError::DuplicateId { id: "a", first_row: 0, row: 2 }`,
    /// `text` for an example's error that is a message only, `clap::ValueValidation`
    /// for a usage error), and its message.
    Err(&'static str, &'static str),
    /// The correct result, as the case's summary of it.
    Ok(&'static str),
}

/// An error as the cases compare it.
#[derive(Debug)]
struct Failure {
    typed: String,
    message: String,
}

impl<E: std::error::Error> From<E> for Failure {
    fn from(e: E) -> Self {
        let ty = std::any::type_name::<E>().rsplit("::").next().unwrap_or("?");
        Failure { typed: format!("{ty}::{e:?}"), message: e.to_string() }
    }
}

/// An example's boxed error: typed when it is one of the library's errors.
fn boxed(e: Box<dyn std::error::Error + Send + Sync>) -> Failure {
    let e = match e.downcast::<acctscore::Error>() {
        Ok(e) => return Failure::from(*e),
        Err(e) => e,
    };
    let e = match e.downcast::<acctscore::pool::PoolError>() {
        Ok(e) => return Failure::from(*e),
        Err(e) => e,
    };
    let e = match e.downcast::<acctscore::features::FeaturesError>() {
        Ok(e) => return Failure::from(*e),
        Err(e) => e,
    };
    let e = match e.downcast::<acctscore::anomaly::AnomalyError>() {
        Ok(e) => return Failure::from(*e),
        Err(e) => e,
    };
    let e = match e.downcast::<std::io::Error>() {
        Ok(e) => return Failure::from(*e),
        Err(e) => e,
    };
    text(e.to_string())
}

/// An example's error that is a message only.
fn text(message: impl Into<String>) -> Failure {
    Failure { typed: "text".into(), message: message.into() }
}

/// A usage error: clap's kind and its first line.
fn usage(e: clap::Error) -> Failure {
    let rendered = e.to_string();
    let first = rendered.lines().next().unwrap_or("").trim_start_matches("error: ").to_string();
    Failure { typed: format!("clap::{:?}", e.kind()), message: first }
}

type Got = Result<String, Failure>;

struct Case {
    kind: Kind,
    name: &'static str,
    input: Vec<(&'static str, Src)>,
    run: fn(&Path) -> Got,
    expect: Expect,
}

fn case(kind: Kind, name: &'static str, input: &[(&'static str, Src)], run: fn(&Path) -> Got, expect: Expect) -> Case {
    Case { kind, name, input: input.to_vec(), run, expect }
}

// ------------------------------------------------------------- shared parts

/// A pool's `accounts.csv` and `events.csv`, by (accounts, seed).
type PoolFiles = BTreeMap<(usize, u64), (Vec<u8>, Vec<u8>)>;

/// A generated pool (accounts, events), cached.
fn pool_files(n: usize, seed: u64) -> (Vec<u8>, Vec<u8>) {
    static CACHE: OnceLock<std::sync::Mutex<PoolFiles>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    cache
        .entry((n, seed))
        .or_insert_with(|| {
            let pool = PoolGenerator::new(n).seed(seed).generate();
            let (mut a, mut e) = (Vec::new(), Vec::new());
            write_accounts(&mut a, &pool.accounts).expect("accounts written");
            write_events(&mut e, &pool.events).expect("events written");
            (a, e)
        })
        .clone()
}

/// The scorer the scoring and model-file cases share (1,000 generated accounts).
fn scorer() -> &'static Scorer {
    static SCORER: OnceLock<Scorer> = OnceLock::new();
    SCORER.get_or_init(|| {
        let pool = PoolGenerator::new(1_000).seed(7).events(false).generate();
        let frame = accounts_to_frame(&pool.accounts).expect("frame");
        ScorerParams::new().fit(&frame).expect("fits")
    })
}

fn model_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| scorer().to_json().expect("json"))
}

/// The engagement model of the pool format (email, call, meeting).
fn events_model() -> acctscore::engagement::EngagementModel {
    EngagementParams::new()
        .kind("email", 1.0, 14.0)
        .kind("call", 3.0, 30.0)
        .kind("meeting", 10.0, 60.0)
        .fit()
        .expect("valid")
}

/// An id column of text.
fn ids(values: &[&str]) -> Column {
    Column::text(values.iter().map(|s| Some(*s)))
}

/// Loads `file` of the case folder with `options`.
fn load(dir: &Path, file: &str, options: &CsvOptions) -> Result<acctscore::frame::csv::CsvLoad, Failure> {
    Ok(load_path(dir.join(file), options)?)
}

/// Loads `a.csv` of the case folder with the default options, for a case
/// that only fails or succeeds.
fn loads_a_csv(dir: &Path) -> Got {
    load(dir, "a.csv", &CsvOptions::new()).map(|_| String::new())
}

/// The touches `events.csv` of the case folder gives for the one account `a`.
fn touches_of_a(dir: &Path) -> Got {
    read_touches_path(dir.join("events.csv"), &ids(&["a"]), &events_model()).map(|l| touches(&l)).map_err(Failure::from)
}

/// Loads the model file `m.json` of the case folder.
fn loads_m_json(dir: &Path) -> Got {
    Scorer::load(dir.join("m.json")).map(|_| String::new()).map_err(Failure::from)
}

/// Parses `rules.toml` of the case folder as a rule set.
fn parses_rules_toml(dir: &Path) -> Got {
    Ok(acctscore::icp::rules::RuleSet::from_toml_str(&read(dir, "rules.toml")?).map(|_| String::new())?)
}

/// `bench_pool --stage score` on the case folder's accounts, events and model.
fn bench_pool_scores(dir: &Path) -> Got {
    let argv = ["--accounts", "{dir}/accounts.csv", "--events", "{dir}/events.csv", "--model", "{dir}/m.json"];
    let a = args(dir, &[&argv[..], &["--stage", "score"]].concat())?;
    bench_pool::run(a).map(|()| String::new()).map_err(boxed)
}

/// `score_csv` training on the case folder's `train.csv` (target `won`) and
/// scoring its `new.csv` into `out.csv`, with `extra` arguments.
fn score_csv_run(dir: &Path, extra: &[&str]) -> Got {
    let argv = ["--train", "{dir}/train.csv", "--target", "won", "--score", "{dir}/new.csv", "--out", "{dir}/out.csv"];
    score_csv::run(args(dir, &[&argv[..], extra].concat())?).map(|()| String::new()).map_err(boxed)
}

/// A column in words: `numeric [1, -, 3]`, `text ["000123"]`.
fn show(frame: &Frame, name: &str) -> Result<String, Failure> {
    let col = frame.column(name)?;
    let n = col.len();
    let values: Vec<String> = match col {
        Column::Numeric(v) => v.iter().map(|x| x.map_or("-".into(), |x| x.to_string())).collect(),
        Column::Boolean(v) => v.iter().map(|x| x.map_or("-".into(), |x| x.to_string())).collect(),
        Column::Timestamp(v) => v.iter().map(|x| x.map_or("-".into(), |x| x.to_string())).collect(),
        Column::Categorical(c) => (0..n).map(|i| c.get(i).map_or("-".into(), |s| format!("{s:?}"))).collect(),
        Column::Text(t) => t.iter().map(|s| s.map_or("-".into(), |s| format!("{s:?}"))).collect(),
        _ => return Err(text("a column of a kind this suite does not show")),
    };
    Ok(format!("{} [{}]", col.kind(), values.join(", ")))
}

/// Touches as `row@unix_seconds`, in file order.
fn touches(log: &acctscore::pool::TouchLog) -> String {
    let t: Vec<String> = log.touches.iter().map(|t| format!("{}@{}", t.account, t.at.unix_seconds())).collect();
    format!("{} (unknown {})", t.join(" "), log.unknown_accounts)
}

/// An example's command line, parsed as clap parses `std::env::args`.
fn args<A: Parser>(dir: &Path, argv: &[&str]) -> Result<A, Failure> {
    let d = dir.display().to_string();
    let argv: Vec<String> =
        std::iter::once("example".to_string()).chain(argv.iter().map(|a| a.replace("{dir}", &d))).collect();
    A::try_parse_from(argv).map_err(usage)
}

fn read(dir: &Path, file: &str) -> Result<String, Failure> {
    Ok(std::fs::read_to_string(dir.join(file))?)
}

/// The first `n` lines of a file, joined by `|`.
fn head(dir: &Path, file: &str, n: usize) -> Result<String, Failure> {
    Ok(read(dir, file)?.lines().take(n).collect::<Vec<_>>().join("|"))
}

fn line_count(dir: &Path, file: &str) -> Result<usize, Failure> {
    Ok(read(dir, file)?.lines().count())
}

/// The model file with its body edited by `edit`, then as text by
/// `edit_text`, and the checksum redone.
fn resealed(json: &str, edit: impl FnOnce(&mut serde_json::Value), edit_text: impl FnOnce(String) -> String) -> String {
    use acctscore::core::envelope;
    let opened =
        envelope::open(json, acctscore::MODEL_FORMAT_NAME, &acctscore::MODEL_READABLE_VERSIONS).expect("opens");
    let mut body: serde_json::Value = serde_json::from_str(opened.body_json()).expect("body");
    edit(&mut body);
    envelope::reseal(json, &edit_text(serde_json::to_string(&body).expect("json"))).expect("reseals")
}

const EVENTS_HEADER: &str = "account_id,kind,timestamp\n";

// ------------------------------------------------------------------ cases

#[allow(clippy::too_many_lines)]
fn cases() -> Vec<Case> {
    use Expect::{Err as E, Ok as O};
    use Kind::*;
    use Src::*;
    vec![
        // ---- ids
        case(
            Ids,
            "zero-padded ids declared as ids stay as written",
            &[("a.csv", Text("id,x\n000123,1\n0042,2\n 007 ,3\n"))],
            |d| show(&load(d, "a.csv", &CsvOptions::new().id("id"))?.frame, "id"),
            O(r#"text ["000123", "0042", "007"]"#),
        ),
        case(
            Ids,
            "19-digit ids that differ in the last digit stay two ids",
            &[("a.csv", Text("id,x\n1234567890123456789,1\n1234567890123456788,2\n"))],
            |d| show(&load(d, "a.csv", &CsvOptions::new().id("id"))?.frame, "id"),
            O(r#"text ["1234567890123456789", "1234567890123456788"]"#),
        ),
        case(
            Ids,
            "the pool reader reads account ids as text",
            &[("accounts.csv", Accounts(5, 1))],
            |d| {
                let csv = read(d, "accounts.csv")?;
                let padded: String = csv
                    .lines()
                    .enumerate()
                    .map(|(i, l)| if i == 1 { format!("000{}\n", l) } else { format!("{l}\n") })
                    .collect();
                std::fs::write(d.join("padded.csv"), padded)?;
                let frame = read_accounts_frame(d.join("padded.csv"))?;
                let Column::Text(t) = frame.column("account_id")? else { return Err(text("not text")) };
                Ok(format!(
                    "{} starts with 000: {}",
                    frame.column("account_id")?.kind(),
                    t.get(0).unwrap_or("").starts_with("000")
                ))
            },
            O("text starts with 000: true"),
        ),
        case(
            Ids,
            "a batch read for the scorer keeps its ids byte for byte",
            &[("batch.csv", Accounts(3, 2))],
            |d| {
                let csv = read(d, "batch.csv")?.replacen("\n", "\n000123", 1);
                std::fs::write(d.join("batch.csv"), csv)?;
                let batch = scorer().read_csv_path(d.join("batch.csv"), &CsvOptions::new())?;
                let scores = scorer().score_frame(&batch, None)?;
                Ok(scores.first().map(|s| s.account_id.clone()).unwrap_or_default().chars().take(6).collect())
            },
            O("000123"),
        ),
        case(
            Ids,
            "events match account ids as text: 007 is not 7",
            &[("events.csv", Text("account_id,kind,timestamp\n007,email,1767000000\n7,call,1767000100\n"))],
            |d| Ok(touches(&read_touches_path(d.join("events.csv"), &ids(&["7", "007"]), &events_model())?)),
            O("1@1767000000 0@1767000100 (unknown 0)"),
        ),
        case(
            Ids,
            "score_csv writes the --id column as written",
            &[("train.csv", Text(SCORE_TRAIN)), ("new.csv", Text("id,size,region\n000123,5,north\n000124,50,south\n"))],
            |d| {
                let a = args::<score_csv::Args>(
                    d,
                    &[
                        "--train", "{dir}/train.csv", "--target", "won", "--score", "{dir}/new.csv", "--out",
                        "{dir}/out.csv", "--id", "id",
                    ],
                )?;
                score_csv::run(a).map_err(boxed)?;
                let out = read(d, "out.csv")?;
                Ok(out.lines().skip(1).map(|l| l.split(',').next().unwrap_or("")).collect::<Vec<_>>().join(" "))
            },
            O("000123 000124"),
        ),
        // ---- encoding
        case(
            Encoding,
            "a Latin-1 byte in a UTF-8 file names the line and column",
            &[("a.csv", Bytes(b"id,name\n1,Jos\xe9\n"))],
            loads_a_csv,
            E(
                r#"FrameError::Csv { line: 2, kind: InvalidUtf8 { column: "name" } }"#,
                "CSV line 2: column `name`: the value is not valid UTF-8; declare the file's encoding (Latin-1 or Windows-1252) if it is not UTF-8",
            ),
        ),
        case(
            Encoding,
            "a header name that is not UTF-8 is named by its position",
            &[("a.csv", Bytes(b"id,na\xefme\n1,x\n"))],
            loads_a_csv,
            E(
                r#"FrameError::Csv { line: 1, kind: InvalidUtf8 { column: "column_2" } }"#,
                "CSV line 1: column `column_2`: the value is not valid UTF-8; declare the file's encoding (Latin-1 or Windows-1252) if it is not UTF-8",
            ),
        ),
        case(
            Encoding,
            "Latin-1 declared: é read as é",
            &[("a.csv", Bytes(b"id,name\n1,Jos\xe9\n"))],
            |d| {
                show(
                    &load(d, "a.csv", &CsvOptions::new().encoding(CsvEncoding::Latin1).kind("name", ColumnKind::Text))?
                        .frame,
                    "name",
                )
            },
            O(r#"text ["José"]"#),
        ),
        case(
            Encoding,
            "Windows-1252 declared: 0x80 is the euro sign",
            &[("a.csv", Bytes(b"id,price\n1,\x80 5\n"))],
            |d| {
                show(
                    &load(
                        d,
                        "a.csv",
                        &CsvOptions::new().encoding(CsvEncoding::Windows1252).kind("price", ColumnKind::Text),
                    )?
                    .frame,
                    "price",
                )
            },
            O(r#"text ["€ 5"]"#),
        ),
        case(
            Encoding,
            "lossy UTF-8 replaces and counts the bad value",
            &[("a.csv", Bytes(b"id,name\n1,Jos\xe9\n2,Ana\n"))],
            |d| {
                let l = load(
                    d,
                    "a.csv",
                    &CsvOptions::new().encoding(CsvEncoding::Utf8Lossy).kind("name", ColumnKind::Text),
                )?;
                Ok(format!("{}; invalid {}", show(&l.frame, "name")?, l.report.invalid_utf8_values))
            },
            O(r#"text ["Jos�", "Ana"]; invalid 1"#),
        ),
        case(
            Encoding,
            "a UTF-8 byte-order mark is not part of the first column's name",
            &[("a.csv", Bytes(b"\xef\xbb\xbfid,x\n000123,1\n"))],
            |d| {
                let l = load(d, "a.csv", &CsvOptions::new().id("id"))?;
                Ok(format!("{:?}; {}", l.frame.names(), show(&l.frame, "id")?))
            },
            O(r#"["id", "x"]; text ["000123"]"#),
        ),
        // ---- missing tokens / kinds
        case(
            MissingTokens,
            "one n/a among numbers: the column stays numeric",
            &[("a.csv", Text("id,x\na,1\nb,n/a\nc,3.5\n"))],
            |d| {
                let l = load(d, "a.csv", &CsvOptions::new())?;
                Ok(format!("{}; tokens {:?}", show(&l.frame, "x")?, l.report.missing_tokens))
            },
            O(r#"numeric [1, -, 3.5]; tokens [("x", 1)]"#),
        ),
        case(
            MissingTokens,
            "every default token in a numeric column is missing",
            &[("a.csv", Text("id,x\na,NA\nb,N/A\nc,n/a\nd,null\ne,NULL\nf,-\ng,#N/A\nh,NaN\ni,2\n"))],
            |d| show(&load(d, "a.csv", &CsvOptions::new())?.frame, "x"),
            O("numeric [-, -, -, -, -, -, -, -, 2]"),
        ),
        case(
            MissingTokens,
            "a token past the inference sample does not widen the column",
            &[("a.csv", Text("id,x\na,1\nb,2\nc,3\nd,NA\ne,5\n"))],
            |d| {
                let l = load(d, "a.csv", &CsvOptions::new().infer_rows(2))?;
                Ok(format!("{}; widened {:?}", show(&l.frame, "x")?, l.report.widened))
            },
            O("numeric [1, 2, 3, -, 5]; widened []"),
        ),
        case(
            MissingTokens,
            "with no tokens, n/a in a declared numeric column is a bad value",
            &[("a.csv", Text("id,x\na,1\nb,n/a\n"))],
            |d| {
                load(d, "a.csv", &CsvOptions::new().missing_tokens(Vec::<String>::new()).kind("x", ColumnKind::Numeric))
                    .map(|_| String::new())
            },
            E(
                r#"FrameError::Csv { line: 3, kind: BadValue { column: "x", value: "n/a", expected: Numeric } }"#,
                "CSV line 3: column `x`: `n/a` is not a valid numeric value",
            ),
        ),
        case(
            MissingTokens,
            "in a categorical column N/A stays a level as written",
            &[("a.csv", Text("id,industry\na,Retail\nb,N/A\nc,Retail\n"))],
            |d| {
                show(&load(d, "a.csv", &CsvOptions::new().kind("industry", ColumnKind::Categorical))?.frame, "industry")
            },
            O(r#"categorical ["Retail", "N/A", "Retail"]"#),
        ),
        case(
            MissingTokens,
            "booleans with a token and a blank",
            &[("a.csv", Text("id,flag\na,true\nb,NA\nc,  \nd,false\n"))],
            |d| show(&load(d, "a.csv", &CsvOptions::new())?.frame, "flag"),
            O("boolean [true, -, -, false]"),
        ),
        case(
            MissingTokens,
            "a word in a declared numeric column names line, column and value",
            &[("a.csv", Text("id,employees\na,12\nb,twelve\n"))],
            |d| load(d, "a.csv", &CsvOptions::new().kind("employees", ColumnKind::Numeric)).map(|_| String::new()),
            E(
                r#"FrameError::Csv { line: 3, kind: BadValue { column: "employees", value: "twelve", expected: Numeric } }"#,
                "CSV line 3: column `employees`: `twelve` is not a valid numeric value",
            ),
        ),
        case(
            MissingTokens,
            "inf and 1e400 are not numbers in a declared numeric column",
            &[("a.csv", Text("id,x\na,1\nb,1e400\n"))],
            |d| load(d, "a.csv", &CsvOptions::new().kind("x", ColumnKind::Numeric)).map(|_| String::new()),
            E(
                r#"FrameError::Csv { line: 3, kind: BadValue { column: "x", value: "1e400", expected: Numeric } }"#,
                "CSV line 3: column `x`: `1e400` is not a valid numeric value",
            ),
        ),
        case(
            MissingTokens,
            "a pool file with n/a revenue reads it as missing",
            &[("accounts.csv", Accounts(4, 3))],
            |d| {
                let csv = read(d, "accounts.csv")?;
                let mut lines: Vec<String> = csv.lines().map(String::from).collect();
                let header: Vec<&str> = lines[0].split(',').collect();
                let col = header.iter().position(|h| *h == "monthly_revenue_usd").unwrap_or(0);
                let mut row: Vec<String> = lines[1].split(',').map(String::from).collect();
                row[col] = "n/a".into();
                lines[1] = row.join(",");
                std::fs::write(d.join("accounts.csv"), lines.join("\n") + "\n")?;
                let frame = read_accounts_frame(d.join("accounts.csv"))?;
                let Column::Numeric(v) = frame.column("monthly_revenue_usd")? else { return Err(text("not numeric")) };
                Ok(format!("numeric; first missing: {}", v.get(0).is_none()))
            },
            O("numeric; first missing: true"),
        ),
        // ---- decimal comma
        case(
            DecimalComma,
            "numbers with a decimal comma are refused at their line",
            &[("a.csv", Text("id;amount\na;1,5\nb;2\n"))],
            loads_a_csv,
            E(
                r#"FrameError::Csv { line: 2, kind: DecimalComma { column: "amount", value: "1,5" } }"#,
                "CSV line 2: column `amount`: `1,5` looks like a number with a decimal comma; declare `decimal_comma(true)` to read it as a number, or declare the column's kind",
            ),
        ),
        case(
            DecimalComma,
            "decimal_comma(true) reads 1,5 and -0,25",
            &[("a.csv", Text("id;amount\na;1,5\nb;-0,25\nc;3\n"))],
            |d| show(&load(d, "a.csv", &CsvOptions::new().decimal_comma(true))?.frame, "amount"),
            O("numeric [1.5, -0.25, 3]"),
        ),
        case(
            DecimalComma,
            "a decimal comma past the inference sample is the same error",
            &[("a.csv", Text("id;amount\na;1\nb;2\nc;3\nd;4,5\n"))],
            |d| load(d, "a.csv", &CsvOptions::new().infer_rows(2)).map(|_| String::new()),
            E(
                r#"FrameError::Csv { line: 5, kind: DecimalComma { column: "amount", value: "4,5" } }"#,
                "CSV line 5: column `amount`: `4,5` looks like*",
            ),
        ),
        case(
            DecimalComma,
            "declared text keeps 1,5 as written",
            &[("a.csv", Text("id;amount\na;1,5\nb;2\n"))],
            |d| show(&load(d, "a.csv", &CsvOptions::new().kind("amount", ColumnKind::Text))?.frame, "amount"),
            O(r#"text ["1,5", "2"]"#),
        ),
        case(
            DecimalComma,
            "a thousands separator is not read as a decimal mark",
            &[("a.csv", Text("id;amount\na;1.234,5\nb;2\n"))],
            |d| {
                load(d, "a.csv", &CsvOptions::new().decimal_comma(true).kind("amount", ColumnKind::Numeric))
                    .map(|_| String::new())
            },
            E(
                r#"FrameError::Csv { line: 2, kind: BadValue { column: "amount", value: "1.234,5", expected: Numeric } }"#,
                "CSV line 2: column `amount`: `1.234,5` is not a valid numeric value",
            ),
        ),
        case(
            DecimalComma,
            "comma numbers mixed with words are categorical",
            &[("a.csv", Text("id;code\na;1,5\nb;x7\n"))],
            |d| show(&load(d, "a.csv", &CsvOptions::new())?.frame, "code"),
            O(r#"categorical ["1,5", "x7"]"#),
        ),
        // ---- duplicates
        case(
            Duplicates,
            "a repeated account id is refused, naming both rows",
            &[("events.csv", Text("account_id,kind,timestamp\na,email,1767000000\n"))],
            |d| {
                read_touches_path(d.join("events.csv"), &ids(&["a", "b", "a"]), &events_model())
                    .map(|l| touches(&l))
                    .map_err(Failure::from)
            },
            E(
                r#"PoolError::InFile { path: "{dir}/events.csv", source: DuplicateId { id: "a", first_row: 0, row: 2 } }"#,
                "{dir}/events.csv: account id `a` appears on data rows 1 and 3 of the accounts; ids must be unique (or declare a duplicates policy: first or last)",
            ),
        ),
        case(
            Duplicates,
            "policy First: the first row receives the activities",
            &[("events.csv", Text("account_id,kind,timestamp\na,email,1767000000\nb,call,1767000001\n"))],
            |d| {
                let o = EventOptions::new().duplicates(DuplicateIds::First);
                Ok(touches(&read_touches_path_with(d.join("events.csv"), &ids(&["a", "b", "a"]), &events_model(), &o)?))
            },
            O("0@1767000000 1@1767000001 (unknown 0)"),
        ),
        case(
            Duplicates,
            "policy Last: the last row receives the activities",
            &[("events.csv", Text("account_id,kind,timestamp\na,email,1767000000\n"))],
            |d| {
                let o = EventOptions::new().duplicates(DuplicateIds::Last);
                Ok(touches(&read_touches_path_with(d.join("events.csv"), &ids(&["a", "b", "a"]), &events_model(), &o)?))
            },
            O("2@1767000000 (unknown 0)"),
        ),
        case(
            Duplicates,
            "a repeated column name in a CSV header",
            &[("a.csv", Text("id,x,x\na,1,2\n"))],
            loads_a_csv,
            E(r#"FrameError::DuplicateColumn { column: "x" }"#, "duplicate column name `x`"),
        ),
        case(
            Duplicates,
            "bench_pool refuses a repeated account id",
            &[("accounts.csv", Accounts(300, 5)), ("events.csv", Events(300, 5))],
            |d| {
                let csv = read(d, "accounts.csv")?;
                let second = csv.lines().nth(1).unwrap_or("").to_string();
                std::fs::write(d.join("accounts.csv"), format!("{csv}{second}\n"))?;
                let a = args(
                    d,
                    &[
                        "--accounts", "{dir}/accounts.csv", "--events", "{dir}/events.csv", "--model", "{dir}/m.json",
                        "--family", "rules",
                    ],
                )?;
                bench_pool::run(a).map(|()| String::new()).map_err(boxed)
            },
            E(
                r#"PoolError::InFile { path: "{dir}/events.csv", source: DuplicateId { id: "*", first_row: 0, row: 300 } }"#,
                "{dir}/events.csv: account id `*` appears on data rows 1 and 301 of the accounts*",
            ),
        ),
        // ---- time units
        case(
            TimeUnits,
            "milliseconds are refused with the unit they look like",
            &[("events.csv", Text("account_id,kind,timestamp\na,email,1767000000\na,call,1767000000123\n"))],
            touches_of_a,
            E(
                r#"PoolError::InFile { path: "{dir}/events.csv", source: TimestampUnit { line: 3, value: 1767000000123, unit: Milliseconds } }"#,
                "{dir}/events.csv: line 3: timestamp 1767000000123 looks like milliseconds, not Unix seconds (the year would be past 5000); declare the unit (time unit: milliseconds) to convert it",
            ),
        ),
        case(
            TimeUnits,
            "microseconds",
            &[("events.csv", Text("account_id,kind,timestamp\na,email,1767000000123456\n"))],
            touches_of_a,
            E(
                "PoolError::InFile { path: \"{dir}/events.csv\", source: TimestampUnit { line: 2, value: 1767000000123456, unit: Microseconds } }",
                "{dir}/events.csv: line 2: timestamp 1767000000123456 looks like microseconds, not Unix seconds (the year would be past 5000); declare the unit (time unit: microseconds) to convert it",
            ),
        ),
        case(
            TimeUnits,
            "nanoseconds",
            &[("events.csv", Text("account_id,kind,timestamp\na,email,1767000000123456789\n"))],
            touches_of_a,
            E(
                "PoolError::InFile { path: \"{dir}/events.csv\", source: TimestampUnit { line: 2, value: 1767000000123456789, unit: Nanoseconds } }",
                "{dir}/events.csv: line 2: timestamp 1767000000123456789 looks like nanoseconds, not Unix seconds (the year would be past 5000); declare the unit (time unit: nanoseconds) to convert it",
            ),
        ),
        case(
            TimeUnits,
            "negative milliseconds are refused too",
            &[("events.csv", Text("account_id,kind,timestamp\na,email,-1767000000123\n"))],
            touches_of_a,
            E(
                "PoolError::InFile { *source: TimestampUnit { line: 2, value: -1767000000123, unit: Milliseconds } }",
                "*looks like milliseconds*",
            ),
        ),
        case(
            TimeUnits,
            "milliseconds declared: converted, rounded down",
            &[("events.csv", Text("account_id,kind,timestamp\na,email,1767000000999\n"))],
            |d| {
                let o = EventOptions::new().time_unit(TimeUnit::Milliseconds);
                Ok(touches(&read_touches_path_with(d.join("events.csv"), &ids(&["a"]), &events_model(), &o)?))
            },
            O("0@1767000000 (unknown 0)"),
        ),
        case(
            TimeUnits,
            "the largest seconds below 10^11 pass",
            &[("events.csv", Text("account_id,kind,timestamp\na,email,99999999999\n"))],
            |d| Ok(touches(&read_touches_path(d.join("events.csv"), &ids(&["a"]), &events_model())?)),
            O("0@99999999999 (unknown 0)"),
        ),
        case(
            TimeUnits,
            "the discovering reader refuses milliseconds",
            &[("events.csv", Text("account_id,kind,timestamp\nz,email,1767000000123\n"))],
            |d| {
                read_touches_discovering(&std::fs::read(d.join("events.csv"))?, &events_model())
                    .map(|(_, l)| touches(&l))
                    .map_err(Failure::from)
            },
            E(
                "PoolError::TimestampUnit { line: 2, value: 1767000000123, unit: Milliseconds }",
                "line 2: timestamp 1767000000123 looks like milliseconds*",
            ),
        ),
        // ---- target values
        case(
            TargetValues,
            "a target of three values lists each with its rows",
            &[("a.csv", Text("id,x,stage\na,1,won\nb,2,lost\nc,3,open\nd,4,lost\n"))],
            |d| {
                let frame = load(d, "a.csv", &CsvOptions::new())?.frame;
                QualityReport::compute(&frame, &Target::new("stage"), &QualityParams::default())
                    .map(|_| String::new())
                    .map_err(Failure::from)
            },
            E(
                r#"FeaturesError::TargetValues { column: "stage", counts: [("lost", 2), ("open", 1), ("won", 1)] }"#,
                "target `stage` has more than two values (lost: 2 rows, open: 1 row, won: 1 row); say which value is positive",
            ),
        ),
        case(
            TargetValues,
            "the scorer refuses a 0/1/2 label read from CSV",
            &[("accounts.csv", Accounts(200, 6))],
            |d| {
                let csv = read(d, "accounts.csv")?;
                let mut lines: Vec<String> = csv.lines().map(String::from).collect();
                for l in lines.iter_mut().skip(1).step_by(50) {
                    if let Some(cut) = l.rfind(',') {
                        l.truncate(cut);
                        l.push_str(",2");
                    }
                }
                std::fs::write(d.join("accounts.csv"), lines.join("\n") + "\n")?;
                let frame = read_accounts_frame(d.join("accounts.csv"))?;
                ScorerParams::new().fit(&frame).map(|_| String::new()).map_err(Failure::from)
            },
            E(
                r#"Error::Features(TargetValues { column: "converted", counts: [("0", *), ("1", *), ("2", 4)] })"#,
                "target `converted` has more than two values (0: * rows, 1: * rows, 2: 4 rows); say which value is positive",
            ),
        ),
        case(
            TargetValues,
            "score_csv: a --positive no row has",
            &[("train.csv", Text(SCORE_TRAIN)), ("new.csv", Text("id,size,region\n1,5,north\n"))],
            |d| {
                let a = args(
                    d,
                    &[
                        "--train", "{dir}/train.csv", "--target", "won", "--positive", "yes", "--score",
                        "{dir}/new.csv", "--out", "{dir}/out.csv",
                    ],
                )?;
                score_csv::run(a).map(|()| String::new()).map_err(boxed)
            },
            E(
                "FeaturesError::Core(SingleClass { positives: 0, negatives: 24 })",
                "labels hold a single class (0 positives, 24 negatives)",
            ),
        ),
        case(
            TargetValues,
            "icp_families: a target column that is not there",
            &[("a.csv", Text(SCORE_TRAIN))],
            |d| icp_families::run(args(d, &["{dir}/a.csv", "--target", "wonn"])?).map(|()| String::new()).map_err(text),
            E("text", "column `wonn` not found; the frame has: id, size, region, won"),
        ),
        // ---- options
        case(
            Options,
            "QualityParams: one fold",
            &[],
            |_| Ok(QualityParams::new().folds(1).validate().map(|()| String::new())?),
            E(
                r#"FeaturesError::Core(InvalidParameter { name: "folds", reason: "need at least 2" })"#,
                "invalid parameter `folds`: need at least 2",
            ),
        ),
        case(
            Options,
            "QualityParams: a NaN leakage threshold",
            &[],
            |_| Ok(QualityParams::new().leakage_auc(f64::NAN).validate().map(|()| String::new())?),
            E(
                r#"FeaturesError::Core(InvalidParameter { name: "leakage_auc", reason: "must be a finite AUC in [0.5, 1]" })"#,
                "invalid parameter `leakage_auc`: must be a finite AUC in [0.5, 1]",
            ),
        ),
        case(
            Options,
            "QualityParams: suspect above leakage",
            &[],
            |_| Ok(QualityParams::new().suspect_auc(0.95).leakage_auc(0.9).validate().map(|()| String::new())?),
            E(
                r#"FeaturesError::Core(InvalidParameter { name: "suspect_auc", reason: "must not be above leakage_auc" })"#,
                "invalid parameter `suspect_auc`: must not be above leakage_auc",
            ),
        ),
        case(
            Options,
            "ScorerParams: invalid quality thresholds refuse the fit",
            &[("accounts.csv", Accounts(200, 8))],
            |d| {
                let frame = read_accounts_frame(d.join("accounts.csv"))?;
                let q = QualityParams::new().sparse_share(1.5);
                ScorerParams::new().quality(q).fit(&frame).map(|_| String::new()).map_err(Failure::from)
            },
            E(
                r#"Error::Features(Core(InvalidParameter { name: "sparse_share", reason: "must be a finite share in [0, 1]" }))"#,
                "invalid parameter `sparse_share`: must be a finite share in [0, 1]",
            ),
        ),
        case(
            Options,
            "ScorerParams: a misspelt keep column",
            &[("accounts.csv", Accounts(200, 8))],
            |d| {
                let frame = read_accounts_frame(d.join("accounts.csv"))?;
                ScorerParams::new().keep(["employes"]).fit(&frame).map(|_| String::new()).map_err(Failure::from)
            },
            E(
                r#"Error::Features(Frame(MissingColumn { column: "employes", * }))"#,
                "column `employes` not found; the frame has: account_id, industry, *, converted",
            ),
        ),
        case(
            Options,
            "ScorerParams: tier shares that add up to more than 1",
            &[("accounts.csv", Accounts(300, 8))],
            |d| {
                let frame = read_accounts_frame(d.join("accounts.csv"))?;
                ScorerParams::new().tier_shares(0.6, 0.3, 0.2).fit(&frame).map(|_| String::new()).map_err(Failure::from)
            },
            E(
                r#"Error::Core(InvalidParameter { name: "tier shares", reason: "shares must be finite, >= 0 and sum to at most 1" })"#,
                "invalid parameter `tier shares`: shares must be finite, >= 0 and sum to at most 1",
            ),
        ),
        case(
            Options,
            "EngagementParams: a zero half-life",
            &[],
            |_| Ok(EngagementParams::new().kind("email", 1.0, 0.0).fit().map(|_| String::new())?),
            E(
                r#"EngagementError::InvalidHalfLife { kind: "email", days: 0.0 }"#,
                "invalid half-life 0 days for kind `email`: must be finite and > 0",
            ),
        ),
        case(
            Options,
            "quickstart: zero accounts",
            &[],
            |d| args::<quickstart::Args>(d, &["--accounts", "0"]).map(|_| String::new()),
            E("clap::ValueValidation", "invalid value '0' for '--accounts <ACCOUNTS>': `0` is not in [1, *]"),
        ),
        case(
            Options,
            "lr_check: a negative C",
            &[],
            |d| args::<lr_check::Args>(d, &["a.csv", "--c=-1"]).map(|_| String::new()),
            E("clap::ValueValidation", "invalid value '-1' for '--c <C>': `-1` is not greater than 0"),
        ),
        case(
            Options,
            "bench_pool: --top 0",
            &[],
            |d| {
                args::<bench_pool::Args>(d, &["--accounts", "a", "--events", "e", "--model", "m", "--top", "0"])
                    .map(|_| String::new())
            },
            E("clap::ValueValidation", "invalid value '0' for '--top <TOP>': `0` is not in [1, 100000000]"),
        ),
        case(
            Options,
            "icp_families: a depth of 65",
            &[],
            |d| args::<icp_families::Args>(d, &["a.csv", "--target", "y", "--depth", "65"]).map(|_| String::new()),
            E("clap::ValueValidation", "invalid value '65' for '--depth <DEPTH>': `65` is not in [1, 64]"),
        ),
        case(
            Options,
            "score_csv: a misspelt --drop column",
            &[("train.csv", Text(SCORE_TRAIN)), ("new.csv", Text("id,size,region\n1,5,north\n"))],
            |d| score_csv_run(d, &["--drop", "regoin"]),
            E("text", "--drop: no column `regoin`; the columns are: id, size, region, won (in {dir}/train.csv)"),
        ),
        case(
            Options,
            "score_csv: a delimiter of two bytes",
            &[("train.csv", Text(SCORE_TRAIN))],
            |d| {
                let a = args(
                    d,
                    &[
                        "--train", "{dir}/train.csv", "--target", "won", "--score", "x", "--out", "y", "--delimiter",
                        "é",
                    ],
                )?;
                score_csv::run(a).map(|()| String::new()).map_err(boxed)
            },
            E("text", "delimiter `é` is not a single byte"),
        ),
        // ---- model files
        case(
            ModelFiles,
            "a body edited without its checksum",
            &[("m.json", Model(|j| j.replacen("\"converted\"", "\"convertee\"", 2)))],
            loads_m_json,
            E(
                "Error::ModelFile(Refused { path: \"*/m.json\", source: Checksum { expected: \"fnv1a64:*\", found: \"fnv1a64:*\" } })",
                "*/m.json: checksum mismatch: the file says fnv1a64:*, its model hashes to fnv1a64:*",
            ),
        ),
        case(
            ModelFiles,
            "a truncated file",
            &[("m.json", Model(|j| j[..j.len() / 2].to_string()))],
            loads_m_json,
            E(
                "Error::ModelFile(Refused { path: \"*/m.json\", source: Malformed { format: \"acctscore-scorer\", reason: \"EOF while parsing a string at line 1 column *\" } })",
                "*/m.json: not a valid `acctscore-scorer` file: EOF while parsing a string at line 1 column *",
            ),
        ),
        case(
            ModelFiles,
            "an empty model file",
            &[("m.json", Text(""))],
            loads_m_json,
            E(
                "Error::ModelFile(Refused { path: \"*/m.json\", source: Malformed { format: \"acctscore-scorer\", reason: \"EOF while parsing a value at line 1 column 0\" } })",
                "*/m.json: not a valid `acctscore-scorer` file: EOF while parsing a value at line 1 column 0",
            ),
        ),
        case(
            ModelFiles,
            "a file of another format",
            &[("m.json", Model(|j| j.replacen("\"acctscore-scorer\"", "\"acctscore-segments\"", 1)))],
            loads_m_json,
            E(
                r#"Error::ModelFile(Refused { path: "*/m.json", source: Format { expected: "acctscore-scorer", found: "acctscore-segments" } })"#,
                "*/m.json: the file is a `acctscore-segments` file, not `acctscore-scorer`",
            ),
        ),
        case(
            ModelFiles,
            "a newer format version",
            &[("m.json", Model(|j| j.replacen("\"format_version\":2", "\"format_version\":9", 1)))],
            loads_m_json,
            E(
                r#"Error::ModelFile(Refused { path: "*/m.json", source: Version { format: "acctscore-scorer", found: 9, readable: [2] } })"#,
                "*/m.json: `acctscore-scorer` format version 9: this build reads version 2",
            ),
        ),
        case(
            ModelFiles,
            "a missing file names its path",
            &[],
            |d| Scorer::load(d.join("none.json")).map(|_| String::new()).map_err(Failure::from),
            E(
                r#"Error::ModelFile(Io { path: "{dir}/none.json", source: Os { code: 2, kind: NotFound, * } })"#,
                "{dir}/none.json: No such file or directory (os error 2)",
            ),
        ),
        case(
            ModelFiles,
            "a resealed number out of f64 range",
            &[(
                "m.json",
                Model(|j| {
                    resealed(
                        &j,
                        |b| b["as_of"] = serde_json::Value::from(1),
                        |body| body.replacen("\"as_of\":1", "\"as_of\":1e999", 1),
                    )
                }),
            )],
            loads_m_json,
            E(
                "Error::ModelFile(Refused { path: \"*/m.json\", source: Malformed { format: \"acctscore-scorer\", reason: \"model: number out of range at line 1 column *\" } })",
                "*/m.json: not a valid `acctscore-scorer` file: model: number out of range at line 1 column *",
            ),
        ),
        case(
            ModelFiles,
            "bench_pool --stage score with a damaged model",
            &[
                ("accounts.csv", Accounts(50, 9)),
                ("events.csv", Events(50, 9)),
                ("m.json", Model(|j| j.replacen("\"converted\"", "\"convertee\"", 2))),
            ],
            bench_pool_scores,
            E(
                "Error::ModelFile(Refused { path: \"*/m.json\", source: Checksum { * } })",
                "*/m.json: checksum mismatch: *",
            ),
        ),
        case(
            ModelFiles,
            "an unchanged model file scores as the fitted scorer",
            &[("m.json", Model(|j| j)), ("batch.csv", Accounts(20, 10))],
            |d| {
                let loaded = Scorer::load(d.join("m.json"))?;
                let batch = loaded.read_csv_path(d.join("batch.csv"), &CsvOptions::new())?;
                Ok(format!("same: {}", loaded.score_frame(&batch, None)? == scorer().score_frame(&batch, None)?))
            },
            O("same: true"),
        ),
        // ---- headers/structure
        case(
            Structure,
            "an empty file",
            &[("a.csv", Text(""))],
            loads_a_csv,
            E("FrameError::Csv { line: 1, kind: EmptyInput }", "CSV line 1: empty input: no header row"),
        ),
        case(
            Structure,
            "a header without rows",
            &[("a.csv", Text("id,x\n"))],
            loads_a_csv,
            E("FrameError::Csv { line: *, kind: NoRows }", "CSV line *: header only: no data rows"),
        ),
        case(
            Structure,
            "a row with a missing field",
            &[("a.csv", Text("id,x,y\na,1,2\nb,3\n"))],
            loads_a_csv,
            E(
                "FrameError::Csv { line: 3, kind: RaggedRow { expected: 3, found: 2 } }",
                "CSV line 3: expected 3 fields, found 2",
            ),
        ),
        case(
            Structure,
            "a quote inside an unquoted field",
            &[("a.csv", Text("id,name\na,Acme \"Big\" Inc\n"))],
            loads_a_csv,
            E(
                "FrameError::Csv { line: 2, kind: BadQuoting { detail: StrayQuote } }",
                "CSV line 2: bad quoting: quote inside an unquoted field",
            ),
        ),
        case(
            Structure,
            "a quoted field never closed",
            &[("a.csv", Text("id,name\na,\"Acme\nb,Beta\n"))],
            loads_a_csv,
            E(
                "FrameError::Csv { line: 2, kind: BadQuoting { detail: Unterminated } }",
                "CSV line 2: bad quoting: quoted field never closed",
            ),
        ),
        case(
            Structure,
            "skipped bad rows are reported with their lines",
            &[("a.csv", Text("id,x,y\na,1,2\nb,3\nc,4,5\n"))],
            |d| {
                let l = load(d, "a.csv", &CsvOptions::new().skip_bad_rows(true))?;
                let s: Vec<String> =
                    l.report.skipped.iter().map(|s| format!("line {}: {}", s.line, s.reason)).collect();
                Ok(format!("{} rows; {}", l.frame.nrows(), s.join("; ")))
            },
            O("2 rows; line 3: expected 3 fields, found 2"),
        ),
        case(
            Structure,
            "CRLF line ends read as LF",
            &[("a.csv", Text("id,x\r\na,1\r\nb,2\r\n"))],
            |d| show(&load(d, "a.csv", &CsvOptions::new())?.frame, "x"),
            O("numeric [1, 2]"),
        ),
        case(
            Structure,
            "the pool reader names the file and the header it has",
            &[("accounts.csv", Text("account_id,industry\na1,Software\n"))],
            |d| read_accounts_frame(d.join("accounts.csv")).map(|_| String::new()).map_err(Failure::from),
            E(
                r#"PoolError::InFile { path: "{dir}/accounts.csv", source: MissingColumn { column: "business_model", available: ["account_id", "industry"] } }"#,
                "{dir}/accounts.csv: the header lacks the required column `business_model`; it has: account_id, industry",
            ),
        ),
        case(
            Structure,
            "an events file without a timestamp column",
            &[("events.csv", Text("account_id,kind,time\na,email,1767000000\n"))],
            touches_of_a,
            E(
                r#"PoolError::InFile { path: "{dir}/events.csv", source: MissingColumn { column: "timestamp", available: ["account_id", "kind", "time"] } }"#,
                "{dir}/events.csv: the header lacks the required column `timestamp`; it has: account_id, kind, time",
            ),
        ),
        case(
            Structure,
            "an events row with too many fields",
            &[("events.csv", Text("account_id,kind,timestamp\na,email,1767000000,x,y\n"))],
            touches_of_a,
            E(
                r#"PoolError::InFile { path: "{dir}/events.csv", source: BadRow { line: 2, reason: "5 fields where the header has 3" } }"#,
                "{dir}/events.csv: line 2: 5 fields where the header has 3",
            ),
        ),
        case(
            Structure,
            "an events timestamp that is not a whole number",
            &[("events.csv", Text("account_id,kind,timestamp\na,email,2026-01-01\n"))],
            touches_of_a,
            E(
                r#"PoolError::InFile { path: "{dir}/events.csv", source: BadRow { line: 2, reason: "timestamp is not an integer" } }"#,
                "{dir}/events.csv: line 2: timestamp is not an integer",
            ),
        ),
        case(
            Structure,
            "rules TOML with an unknown key names the rule",
            &[(
                "rules.toml",
                Text(
                    "threshold = 10\n[[rules]]\nname = \"big\"\npoints = 5\nwhen = [{ field = \"employees\", minimum = 10 }]\n",
                ),
            )],
            parses_rules_toml,
            E(
                r#"IcpError::RulesSyntax { rule: Some("big"), reason: "*minimum*" }"#,
                "rules file, rule `big`: TOML parse error at line 5, column 32*unknown field `minimum`, expected one of `field`, `min`, `max`, `one_of`, `is`, `missing`*",
            ),
        ),
        case(
            Structure,
            "rules TOML with an empty range",
            &[(
                "rules.toml",
                Text(
                    "threshold = 10\n[[rules]]\nname = \"big\"\npoints = 5\nwhen = [{ field = \"employees\", min = 10, max = 5 }]\n",
                ),
            )],
            parses_rules_toml,
            E(
                r#"IcpError::InvalidRule { rule: "big", field: "employees", problem: BadRange { min: Some(10.0), max: Some(5.0) } }"#,
                "rule `big`: field `employees` has `min = 10` not below `max = 5` (the range is min <= x < max)",
            ),
        ),
        case(
            Structure,
            "rules TOML whose tiers are not decreasing",
            &[(
                "rules.toml",
                Text(
                    "threshold = 10\n[tiers]\nA = 10\nB = 20\nC = 5\n[[rules]]\nname = \"big\"\npoints = 5\nwhen = [{ field = \"employees\", min = 10 }]\n",
                ),
            )],
            parses_rules_toml,
            E(
                "IcpError::BadTiers { a: 10.0, b: 20.0, c: 5.0 }",
                "rules file: tier cut points must be finite and decreasing (A > B > C); found A = 10, B = 20, C = 5",
            ),
        ),
        case(
            Structure,
            "icp_families --rules on a field the data lacks",
            &[
                ("a.csv", Text(SCORE_TRAIN)),
                (
                    "rules.toml",
                    Text(
                        "threshold = 10\n[[rules]]\nname = \"big\"\npoints = 5\nwhen = [{ field = \"employees\", min = 10 }]\n",
                    ),
                ),
            ],
            |d| {
                icp_families::run(args(
                    d,
                    &["{dir}/a.csv", "--target", "won", "--rules", "{dir}/rules.toml", "--trees", "5", "--only-trees"],
                )?)
                .map(|()| String::new())
                .map_err(text)
            },
            E(
                "text",
                "{dir}/rules.toml: rule `big`: field `employees` is not a column of the data; it has: id, size, region, won",
            ),
        ),
        // ---- sizes/limits
        case(
            Limits,
            "the generator refuses more accounts than it makes",
            &[],
            |_| PoolGenerator::try_new(acctscore::pool::MAX_ACCOUNTS + 1).map(|_| String::new()).map_err(Failure::from),
            E(
                "PoolError::TooManyAccounts { requested: 100000001, max: 100000000 }",
                "100000001 accounts requested; the generator makes at most 100000000",
            ),
        ),
        case(
            Limits,
            "a bad value is quoted at most 64 characters long",
            &[("a.csv", Text(LONG_VALUE))],
            |d| load(d, "a.csv", &CsvOptions::new().kind("x", ColumnKind::Numeric)).map(|_| String::new()),
            E(
                "FrameError::Csv { line: 2, kind: BadValue { column: \"x\", value: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", expected: Numeric } }",
                "CSV line 2: column `x`: `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` is not a valid numeric value",
            ),
        ),
        case(
            Limits,
            "an events line without a break within 1 MiB",
            &[],
            |d| {
                let mut data = EVENTS_HEADER.as_bytes().to_vec();
                data.extend(std::iter::repeat_n(b'a', acctscore::pool::MAX_EVENTS_LINE_BYTES + 10));
                std::fs::write(d.join("events.csv"), data)?;
                read_touches_path(d.join("events.csv"), &ids(&["a"]), &events_model())
                    .map(|l| touches(&l))
                    .map_err(Failure::from)
            },
            E(
                r#"PoolError::InFile { path: "{dir}/events.csv", source: BadRow { line: 2, reason: "no line break within 1 MiB: not a CSV events file*" } }"#,
                "{dir}/events.csv: line 2: no line break within 1 MiB*",
            ),
        ),
        case(
            Limits,
            "top_n of more accounts than the batch has gives them all",
            &[("batch.csv", Accounts(7, 11))],
            |d| {
                let batch = scorer().read_csv_path(d.join("batch.csv"), &CsvOptions::new())?;
                Ok(format!("{} of 7", scorer().top_n(&batch, None, 1_000)?.len()))
            },
            O("7 of 7"),
        ),
        case(
            Limits,
            "a one-row batch scores as that row in the larger batch",
            &[("batch.csv", Accounts(20, 12))],
            |d| {
                let all = scorer().read_csv_path(d.join("batch.csv"), &CsvOptions::new())?;
                let csv = read(d, "batch.csv")?;
                let one: Vec<&str> = csv.lines().take(1).chain(csv.lines().skip(6).take(1)).collect();
                std::fs::write(d.join("one.csv"), one.join("\n") + "\n")?;
                let one = scorer().read_csv_path(d.join("one.csv"), &CsvOptions::new())?;
                Ok(format!("same: {}", scorer().score_frame(&one, None)?[0] == scorer().score_frame(&all, None)?[5]))
            },
            O("same: true"),
        ),
        case(
            Limits,
            "fitting on five accounts, none converted",
            &[("accounts.csv", Accounts(5, 13))],
            |d| {
                ScorerParams::new()
                    .fit(&read_accounts_frame(d.join("accounts.csv"))?)
                    .map(|_| String::new())
                    .map_err(Failure::from)
            },
            E(
                "Error::Features(Core(SingleClass { positives: 0, negatives: 5 }))",
                "labels hold a single class (0 positives, 5 negatives)",
            ),
        ),
        // ---- schema-at-scoring
        case(
            SchemaAtScoring,
            "a batch without a column the model needs names the file",
            &[("batch.csv", Text("account_id,industry\na,Software\n"))],
            |d| {
                scorer()
                    .read_csv_path(d.join("batch.csv"), &CsvOptions::new())
                    .map(|_| String::new())
                    .map_err(Failure::from)
            },
            E(
                "Error::Schema { column: \"business_model\", expected: Some(Categorical), found: None, needed_by: [Icp, Revenue], available: [\"account_id\", \"industry\"], origin: Some(\"{dir}/batch.csv\") }",
                "column `business_model` (needed by the ICP model, the revenue estimate) is missing from `{dir}/batch.csv`; it has: account_id, industry",
            ),
        ),
        case(
            SchemaAtScoring,
            "a word in a numeric column of a batch",
            &[("batch.csv", Accounts(3, 14))],
            |d| {
                let csv = read(d, "batch.csv")?;
                let header: Vec<&str> = csv.lines().next().unwrap_or("").split(',').collect();
                let col = header.iter().position(|h| *h == "employees").unwrap_or(0);
                let lines: Vec<String> = csv
                    .lines()
                    .enumerate()
                    .map(|(i, l)| {
                        let mut f: Vec<String> = l.split(',').map(String::from).collect();
                        if i == 2 {
                            f[col] = "many".into();
                        }
                        f.join(",")
                    })
                    .collect();
                std::fs::write(d.join("batch.csv"), lines.join("\n") + "\n")?;
                scorer()
                    .read_csv_path(d.join("batch.csv"), &CsvOptions::new())
                    .map(|_| String::new())
                    .map_err(Failure::from)
            },
            E(
                r#"Error::Features(Frame(Csv { line: 3, kind: BadValue { column: "employees", value: "many", expected: Numeric } }))"#,
                "CSV line 3: column `employees`: `many` is not a valid numeric value",
            ),
        ),
        case(
            SchemaAtScoring,
            "columns in another order and extra columns score alike",
            &[("batch.csv", Accounts(5, 15))],
            |d| {
                let frame = scorer().read_csv_path(d.join("batch.csv"), &CsvOptions::new())?;
                let csv = read(d, "batch.csv")?;
                let moved: Vec<String> = csv
                    .lines()
                    .enumerate()
                    .map(|(i, l)| {
                        let mut f: Vec<&str> = l.split(',').collect();
                        f.reverse();
                        format!("{},{}", if i == 0 { "note" } else { "hello" }, f.join(","))
                    })
                    .collect();
                std::fs::write(d.join("moved.csv"), moved.join("\n") + "\n")?;
                let moved = scorer().read_csv_path(d.join("moved.csv"), &CsvOptions::new())?;
                Ok(format!("same: {}", scorer().score_frame(&moved, None)? == scorer().score_frame(&frame, None)?))
            },
            O("same: true"),
        ),
        case(
            SchemaAtScoring,
            "an industry never seen in training still scores",
            &[("batch.csv", Accounts(3, 16))],
            |d| {
                let csv = read(d, "batch.csv")?;
                let header: Vec<&str> = csv.lines().next().unwrap_or("").split(',').collect();
                let col = header.iter().position(|h| *h == "industry").unwrap_or(0);
                let lines: Vec<String> = csv
                    .lines()
                    .enumerate()
                    .map(|(i, l)| {
                        let mut f: Vec<String> = l.split(',').map(String::from).collect();
                        if i > 0 {
                            f[col] = "Asteroid Mining".into();
                        }
                        f.join(",")
                    })
                    .collect();
                std::fs::write(d.join("batch.csv"), lines.join("\n") + "\n")?;
                let batch = scorer().read_csv_path(d.join("batch.csv"), &CsvOptions::new())?;
                let s = scorer().score_frame(&batch, None)?;
                Ok(format!(
                    "{} scores, finite: {}",
                    s.len(),
                    s.iter().all(|s| s.priority.is_finite() && s.quality.is_finite())
                ))
            },
            O("3 scores, finite: true"),
        ),
        case(
            SchemaAtScoring,
            "bench_pool --stage score on accounts without a column",
            &[
                ("accounts.csv", Text("account_id,industry\na,Software\n")),
                ("events.csv", Text(EVENTS_HEADER)),
                ("m.json", Model(|j| j)),
            ],
            bench_pool_scores,
            E(
                "Error::Schema { column: \"business_model\", expected: Some(Categorical), found: None, needed_by: [Icp, Revenue], available: [\"account_id\", \"industry\"], origin: None }",
                "column `business_model` (needed by the ICP model, the revenue estimate) is missing from the frame; it has: account_id, industry",
            ),
        ),
        case(
            SchemaAtScoring,
            "score_csv: NEW lacks a training column",
            &[("train.csv", Text(SCORE_TRAIN)), ("new.csv", Text("id,region\n1,north\n"))],
            |d| score_csv_run(d, &[]),
            E("text", "{dir}/new.csv: rule `size_lt_6`: field `size` is not a column of the data; it has: id, region"),
        ),
        // ---- whole files
        case(
            WholeFiles,
            "score_csv fits and writes one row per input row",
            &[("train.csv", Text(SCORE_TRAIN)), ("new.csv", Text("id,size,region\na,5,north\nb,50,south\nc,,east\n"))],
            |d| {
                let a = args(
                    d,
                    &[
                        "--train", "{dir}/train.csv", "--target", "won", "--score", "{dir}/new.csv", "--out",
                        "{dir}/out.csv", "--id", "id",
                    ],
                )?;
                score_csv::run(a).map_err(boxed)?;
                Ok(format!("{} | {} lines", head(d, "out.csv", 1)?, line_count(d, "out.csv")?))
            },
            O("id,score,raw,family,tier,reasons | 4 lines"),
        ),
        case(
            WholeFiles,
            "a failed score_csv run leaves the previous output as it was",
            &[
                ("train.csv", Text(SCORE_TRAIN)),
                ("new.csv", Text("id,region\n1,north\n")),
                ("out.csv", Text("previous\n")),
            ],
            |d| {
                let a = args(
                    d,
                    &[
                        "--train", "{dir}/train.csv", "--target", "won", "--score", "{dir}/new.csv", "--out",
                        "{dir}/out.csv",
                    ],
                )?;
                let failed = score_csv::run(a).is_err();
                Ok(format!("failed: {failed}; out: {}", read(d, "out.csv")?.trim()))
            },
            O("failed: true; out: previous"),
        ),
        case(
            WholeFiles,
            "lr_check exports the matrix it fitted",
            &[("accounts.csv", Accounts(400, 18))],
            |d| {
                lr_check::run(args(d, &["{dir}/accounts.csv", "--export", "{dir}/x", "--min-frequency", "2"])?)
                    .map_err(boxed)?;
                let shape = read(d, "x/shape.txt")?;
                let dims: Vec<usize> = shape.split_whitespace().filter_map(|s| s.parse().ok()).collect();
                let x = std::fs::metadata(d.join("x/x_train.f64"))?.len() as usize;
                Ok(format!("x_train bytes = 8 × rows × features: {}", dims.len() == 3 && x == 8 * dims[0] * dims[2]))
            },
            O("x_train bytes = 8 × rows × features: true"),
        ),
        case(
            WholeFiles,
            "lr_check on an events file instead of accounts",
            &[("events.csv", Events(20, 18))],
            |d| lr_check::run(args(d, &["{dir}/events.csv"])?).map(|()| String::new()).map_err(boxed),
            E(
                r#"PoolError::InFile { path: "{dir}/events.csv", source: MissingColumn { column: "industry", available: ["account_id", "kind", "timestamp", "rep_id"] } }"#,
                "{dir}/events.csv: the header lacks the required column `industry`; it has: account_id, kind, timestamp, rep_id",
            ),
        ),
        case(
            WholeFiles,
            "bench_pool fits, saves, loads and ranks",
            &[("accounts.csv", Accounts(400, 19)), ("events.csv", Events(400, 19))],
            |d| {
                let a = args(
                    d,
                    &[
                        "--accounts", "{dir}/accounts.csv", "--events", "{dir}/events.csv", "--model", "{dir}/m.json",
                        "--top", "5", "--out", "{dir}/top.csv", "--family", "rules",
                    ],
                )?;
                bench_pool::run(a).map_err(boxed)?;
                Scorer::load(d.join("m.json"))?;
                Ok(format!(
                    "{} lines; {}",
                    line_count(d, "top.csv")?,
                    head(d, "top.csv", 1)?.split(',').take(3).collect::<Vec<_>>().join(",")
                ))
            },
            O("6 lines; rank,account_id,priority"),
        ),
        case(
            WholeFiles,
            "quickstart on a small pool",
            &[],
            |d| {
                quickstart::run(&args(d, &["--accounts", "600", "--top", "3"])?)
                    .map(|()| "ok".to_string())
                    .map_err(boxed)
            },
            O("ok"),
        ),
        case(
            WholeFiles,
            "embed_service on a small pool",
            &[],
            |d| {
                embed_service::run(&args(d, &["--accounts", "800", "--dir", "{dir}"])?).map_err(boxed)?;
                Ok(format!("state kept: {}", d.join("engagement.state").is_file()))
            },
            O("state kept: true"),
        ),
        case(
            WholeFiles,
            "custom_schema on a small pool",
            &[],
            |d| {
                custom_schema::run(&args(d, &["--accounts", "800", "--dir", "{dir}"])?).map_err(boxed)?;
                head(d, "crm_open.csv", 1).map(|h| h.split(';').take(3).collect::<Vec<_>>().join(";"))
            },
            O("Company ID;Sector;business_model"),
        ),
        case(
            WholeFiles,
            "icp_families writes the rules it mined",
            &[("a.csv", Text(SCORE_TRAIN))],
            |d| {
                icp_families::run(args(
                    d,
                    &[
                        "{dir}/a.csv", "--target", "won", "--trees", "5", "--k", "2", "--min-frequency", "2",
                        "--rules-out", "{dir}/mined.toml",
                    ],
                )?)
                .map_err(text)?;
                let rules = acctscore::icp::rules::RuleSet::from_toml_str(&read(d, "mined.toml")?)?;
                Ok(format!("mined rules read back: {}", !rules.rules().is_empty()))
            },
            O("mined rules read back: true"),
        ),
    ]
}

/// A small training file for score_csv and icp_families: `won` follows
/// `size`, with noise.
const SCORE_TRAIN: &str = "id,size,region,won
1,5,north,0
2,80,south,1
3,7,east,0
4,95,north,1
5,12,south,0
6,60,east,1
7,3,north,0
8,70,south,0
9,9,east,1
10,88,north,1
11,4,south,0
12,77,east,1
13,15,north,0
14,66,south,1
15,8,east,0
16,99,north,1
17,11,south,0
18,55,east,1
19,6,north,0
20,72,south,1
21,10,east,0
22,85,north,1
23,2,south,1
24,90,east,0
";

const LONG_VALUE: &str = "id,x\na,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";

// ------------------------------------------------------------- the runner

/// The case's folder: fresh, under the system's temporary folder.
fn folder(k: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("acctscore-bad-inputs-{}-{k:03}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write_input(dir: &Path, input: &[(&str, Src)]) {
    for (name, src) in input {
        let bytes = match src {
            Src::Text(t) => t.as_bytes().to_vec(),
            Src::Bytes(b) => b.to_vec(),
            Src::Accounts(n, seed) => pool_files(*n, *seed).0,
            Src::Events(n, seed) => pool_files(*n, *seed).1,
            Src::Model(edit) => edit(model_json().to_string()).into_bytes(),
        };
        std::fs::write(dir.join(name), bytes).expect("input written");
    }
}

/// Runs one case; `None` when it holds, else what went wrong.
fn check(k: usize, case: &Case) -> Option<String> {
    let dir = folder(k);
    write_input(&dir, &case.input);
    let d = dir.display().to_string();
    let got = (case.run)(&dir);
    if std::env::var_os("ACCTSCORE_SHOW_OUTCOMES").is_some() {
        let here = |t: &str| t.replace(&d, "{dir}");
        match &got {
            Ok(r) => eprintln!("outcome of `{}`: {r}", case.name),
            Err(e) => eprintln!("outcome of `{}`: {} | {}", case.name, here(&e.typed), here(&e.message)),
        }
    }
    let verdict = match (&case.expect, got) {
        (Expect::Ok(want), Ok(got)) => (got != *want).then(|| format!("result `{got}`, expected `{want}`")),
        (Expect::Ok(want), Err(e)) => Some(format!("error {} ({}), expected the result `{want}`", e.typed, e.message)),
        (Expect::Err(typed, message), Err(e)) => {
            let (typed, message) = (typed.replace("{dir}", &d), message.replace("{dir}", &d));
            if !acctscore_testkit::glob_matches(&typed, &e.typed) {
                Some(format!("error {}\n      expected {typed}", e.typed))
            } else if !acctscore_testkit::glob_matches(&message, &e.message) {
                Some(format!("message `{}`\n      expected `{message}`", e.message))
            } else if e.message.contains("Some(") || e.message.contains("None") {
                Some(format!("message in Rust's debug form: `{}`", e.message))
            } else {
                None
            }
        }
        (Expect::Err(typed, _), Ok(got)) => Some(format!("result `{got}`, expected the error {typed}")),
    };
    let _ = std::fs::remove_dir_all(&dir);
    verdict.map(|v| format!("[{}] {}: {v}", case.kind.name(), case.name))
}

#[test]
fn every_bad_input_gives_its_exact_outcome() {
    let cases = cases();
    let failures: Vec<String> = cases.iter().enumerate().filter_map(|(k, c)| check(k, c)).collect();
    assert!(failures.is_empty(), "{} of {} cases failed:\n  {}", failures.len(), cases.len(), failures.join("\n  "));
}

#[test]
fn the_suite_holds_at_least_70_cases_with_unique_names() {
    let cases = cases();
    assert!(cases.len() >= 70, "the bad-input suite shrank to {} cases", cases.len());
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "two cases share a name");
}

/// The list of cases by kind, as docs/testing.md shows it.
fn case_list() -> String {
    let cases = cases();
    let mut by_kind: BTreeMap<Kind, Vec<&str>> = BTreeMap::new();
    for c in &cases {
        by_kind.entry(c.kind).or_default().push(c.name);
    }
    let mut out = format!("{} cases.\n", cases.len());
    for (kind, names) in by_kind {
        out.push_str(&format!("\n**{}** ({}): {}.\n", kind.name(), names.len(), names.join("; ")));
    }
    out
}

#[test]
fn docs_testing_lists_the_cases() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/testing.md")).expect("docs/testing.md");
    const START: &str = "<!-- bad-input cases: start -->\n";
    const END: &str = "<!-- bad-input cases: end -->";
    let listed = doc.split_once(START).and_then(|(_, rest)| rest.split_once(END)).map(|(list, _)| list);
    let want = case_list();
    if std::env::var_os("ACCTSCORE_WRITE_CASE_LIST").is_some() {
        println!("{want}");
    }
    assert_eq!(
        listed,
        Some(want.as_str()),
        "docs/testing.md's bad-input list differs from the table; run with ACCTSCORE_WRITE_CASE_LIST=1 --nocapture to print it"
    );
}
