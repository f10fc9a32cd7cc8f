//! The bad-input cases (issue 17, "No silent damage") of the examples whose
//! work moved to the `acctscore` binary (issue 19): `quality_report` →
//! `acctscore quality`, `evaluate` → `acctscore evaluate`, `engagement` →
//! `acctscore fit --weights/--half-life-days` and `score --events`,
//! `anomaly_report` → `acctscore fit` and the anomaly columns of `score`.
//!
//! Each test is one case of the root suite (`tests/bad_inputs.rs`, named in
//! its doc comment as `was: …`), with the same input, run through the real
//! binary: the exit code (1 for a failed run, 2 for a usage error) and the
//! one `error: ` line, matched whole against a pattern where `*` matches any
//! text and `{dir}` is the case's folder; or the correct result. A line in
//! Rust's debug form (`Some(…)`) fails any case. docs/testing.md lists them.

use acctscore::pool::{PoolGenerator, write_accounts};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const NOW: &str = "1767225600";

// ---------------------------------------------------------------- helpers

/// Runs the binary in `dir` with `args` (`{dir}` replaced by the folder).
fn run(dir: &Path, args: &[&str]) -> Output {
    let d = dir.display().to_string();
    let args: Vec<String> = args.iter().map(|a| a.replace("{dir}", &d)).collect();
    Command::new(env!("CARGO_BIN_EXE_acctscore")).args(&args).output().expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs the binary, asserts exit code `code` and exactly one `error: ` line
/// on stderr matching `pattern` (`{dir}` is the folder).
fn fails(dir: &Path, code: i32, args: &[&str], pattern: &str) {
    let o = run(dir, args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(code), "{args:?}\nstderr: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(lines.len(), 1, "one error line: {err}");
    let want = format!("error: {}", pattern.replace("{dir}", &dir.display().to_string()));
    assert!(acctscore_testkit::glob_matches(&want, lines[0]), "error line\n  `{}`\nexpected\n  `{want}`", lines[0]);
    assert!(!lines[0].contains("Some(") && !lines[0].contains("None"), "debug form: {}", lines[0]);
}

/// Runs the binary and asserts exit code 0; returns stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert_eq!(o.status.code(), Some(0), "{args:?}\nstderr: {}", stderr(&o));
    String::from_utf8(o.stdout).expect("UTF-8 stdout")
}

/// A case's folder, removed when the case ends (passed or failed).
struct Folder(PathBuf);

impl std::ops::Deref for Folder {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh folder for case `name`.
fn folder(name: &str) -> Folder {
    let dir = std::env::temp_dir().join(format!("acctscore-cli-bad-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    Folder(dir)
}

fn write(dir: &Path, file: &str, bytes: impl AsRef<[u8]>) {
    std::fs::write(dir.join(file), bytes).expect("input written");
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// A generated pool's `accounts.csv` (accounts, seed): the root suite's `Src::Accounts`.
fn accounts(n: usize, seed: u64) -> String {
    let pool = PoolGenerator::new(n).seed(seed).events(false).generate();
    let mut out = Vec::new();
    write_accounts(&mut out, &pool.accounts).expect("accounts written");
    String::from_utf8(out).expect("UTF-8")
}

/// `csv` with the account ids of its first data rows replaced by `ids`.
fn with_ids(csv: &str, ids: &[&str]) -> String {
    let mut out = String::new();
    for (k, line) in csv.lines().enumerate() {
        match k.checked_sub(1).and_then(|i| ids.get(i)) {
            Some(id) => out.push_str(&format!("{id},{}\n", line.split_once(',').map_or("", |(_, rest)| rest))),
            None => out.push_str(&format!("{line}\n")),
        }
    }
    out
}

/// A model fitted once on 300 generated accounts (pool format), shared by
/// the cases that score: its path.
fn model() -> &'static Path {
    static MODEL: OnceLock<PathBuf> = OnceLock::new();
    MODEL.get_or_init(|| {
        // Shared by every case while the process runs, so not removed at
        // its end: it lives in Cargo's test folder under `target/`, under
        // one name that each run replaces.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-bad-inputs-shared-model");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("shared model folder");
        write(&dir, "history.csv", accounts(300, 20));
        ok(&dir, &["-q", "fit", "--accounts", "{dir}/history.csv", "--target", "converted", "--out", "{dir}/m.json"]);
        dir.join("m.json")
    })
}

fn m() -> &'static str {
    model().to_str().expect("UTF-8 path")
}

/// `score --events` on the folder's `accounts.csv` and `events.csv` fails
/// with exit code 1 and one error line matching `pattern`.
fn score_with_events_fails(dir: &Path, pattern: &str) {
    let args = ["score", "--model", m(), "--accounts", "{dir}/accounts.csv", "--events", "{dir}/events.csv"];
    fails(dir, 1, &[&args[..], &["--out", "{dir}/o.csv"]].concat(), pattern);
}

/// An accounts file of three generated accounts whose ids are `a`, `b` and `c`.
fn abc_accounts(dir: &Path) {
    write(dir, "accounts.csv", with_ids(&accounts(3, 21), &["a", "b", "c"]));
}

// ---------------------------------------------------------------- quality (was quality_report)

/// A run that must fail: the case of the root suite it was, its files, the
/// command (`{dir}` is the case's folder, `{model}` the shared model), the exit code (1 for a failed
/// run, 2 for a usage error) and the pattern of its one `error: ` line.
struct Failing {
    was: &'static str,
    files: &'static [(&'static str, &'static [u8])],
    args: &'static [&'static str],
    code: i32,
    error: &'static str,
}

/// The cases whose input is a few literal bytes.
const FAILING: &[Failing] = &[
    Failing {
        was: "encoding, \"quality_report names the file of a Latin-1 input\".",
        files: &[("a.csv", b"id,name,y\n1,Jos\xe9,1\n2,Ana,0\n")],
        args: &["quality", "{dir}/a.csv", "--target", "y"],
        code: 1,
        error: "{dir}/a.csv: CSV line 2: column `name`: the value is not valid UTF-8*",
    },
    Failing {
        was: "target values, \"quality_report: three values without --positive\".",
        files: &[("a.csv", b"id,x,stage\na,1,won\nb,2,lost\nc,3,open\n")],
        args: &["quality", "{dir}/a.csv", "--target", "stage"],
        code: 1,
        error: "{dir}/a.csv: target `stage`: target `stage` has more than two values (lost: 1 row, open: 1 row, won: 1 row); say which value is positive",
    },
    Failing {
        was: "options, \"quality_report: --suspect-auc above --leakage-auc\".",
        files: &[],
        args: &["quality", "x.csv", "--target", "y", "--suspect-auc", "0.95", "--leakage-auc", "0.9"],
        code: 2,
        error: "--suspect-auc (0.95) must not be above --leakage-auc (0.9)",
    },
    Failing {
        was: "options, \"quality_report: --leakage-auc below 0.5\".",
        files: &[],
        args: &["quality", "x.csv", "--target", "y", "--leakage-auc", "0.4"],
        code: 2,
        error: "invalid value '0.4' for '--leakage-auc <AUC>': `0.4` is not in [0.5, 1]*",
    },
    Failing {
        was: "options, \"quality_report: a two-byte delimiter\".",
        files: &[("a.csv", b"id,y\na,1\n")],
        args: &["quality", "{dir}/a.csv", "--target", "y", "--delimiter", "ab"],
        code: 2,
        error: "invalid value 'ab' for '--delimiter <CHAR>': `ab` is not one ASCII character*",
    },
    Failing {
        was: "whole files, \"quality_report: a file that is not there\".",
        files: &[],
        args: &["quality", "{dir}/none.csv", "--target", "y"],
        code: 1,
        error: "{dir}/none.csv: cannot read `{dir}/none.csv`: No such file or directory (os error 2)",
    },
    Failing {
        was: "decimal comma, \"evaluate names the file of a decimal-comma score\".",
        files: &[("s.csv", b"y;p\n1;0,9\n0;0,1\n")],
        args: &["evaluate", "{dir}/s.csv", "--target", "y", "--score-col", "p"],
        code: 1,
        error: "{dir}/s.csv: CSV line 2: column `p`: `0,9` is not a valid numeric value",
    },
    Failing {
        was: "target values, \"evaluate: one class only names --positive\".",
        files: &[("s.csv", b"y,p\n1,0.9\n1,0.1\n")],
        args: &["evaluate", "{dir}/s.csv", "--target", "y", "--score-col", "p"],
        code: 1,
        error: "{dir}/s.csv: column `y` holds a single class (2 positives of 2 rows; is --positive `1` right?)",
    },
    Failing {
        was: "options, \"evaluate: a NaN threshold\".",
        files: &[],
        args: &["evaluate", "x.csv", "--target", "y", "--score-col", "p", "--threshold", "NaN"],
        code: 2,
        error: "invalid value 'NaN' for '--threshold <THRESHOLD>': `NaN` is not a finite number*",
    },
    Failing {
        was: "sizes/limits, \"evaluate: --curve-points 1\".",
        files: &[],
        args: &["evaluate", "x.csv", "--target", "y", "--score-col", "p", "--curve-points", "1"],
        code: 2,
        error: "invalid value '1' for '--curve-points <CURVE_POINTS>': must be at least 2*",
    },
    Failing {
        was: "whole files, \"evaluate: a score column of words\".",
        files: &[("s.csv", b"y,p\n1,high\n0,low\n")],
        args: &["evaluate", "{dir}/s.csv", "--target", "y", "--score-col", "p"],
        code: 1,
        error: "{dir}/s.csv: CSV line 2: column `p`: `high` is not a valid numeric value",
    },
    Failing {
        was: "options, \"engagement: a half-life of 0 days\" (the engagement settings are the model's: `fit --half-life-days`).",
        files: &[],
        args: &[
            "fit", "--accounts", "a.csv", "--target", "converted", "--out", "m.json", "--half-life-days", "email=0",
        ],
        code: 2,
        error: "invalid value 'email=0' for '--half-life-days <KIND=DAYS>': `email=0`: `0` is not greater than 0*",
    },
    Failing {
        was: "options, \"anomaly_report: an unknown option\".",
        files: &[],
        args: &["score", "--model", "m.json", "--accounts", "a.csv", "--out", "o.csv", "--segment", "s.json"],
        code: 2,
        error: "unexpected argument '--segment' found*",
    },
    Failing {
        was: "whole files, \"anomaly_report on a file that is not there\".",
        files: &[],
        args: &["score", "--model", "{model}", "--accounts", "{dir}/none.csv", "--out", "{dir}/o.csv"],
        code: 1,
        error: "{dir}/none.csv: *No such file or directory (os error 2)",
    },
];

#[test]
fn each_bad_input_fails_with_one_error_line() {
    for (k, case) in FAILING.iter().enumerate() {
        eprintln!("case {k}: {}", case.was);
        let d = folder(&format!("case-{k}"));
        for (file, bytes) in case.files {
            write(&d, file, bytes);
        }
        let args: Vec<&str> = case.args.iter().map(|&a| if a == "{model}" { m() } else { a }).collect();
        fails(&d, case.code, &args, case.error);
    }
}

// ---------------------------------------------------------------- evaluate

/// Was: whole files, "evaluate: a good file" (an ignored label and a missing one).
#[test]
fn evaluate_a_good_file() {
    let d = folder("e-good");
    write(&d, "s.csv", "y,p\n1,0.9\n0,0.2\n1,0.7\n0,0.4\nopen,0.5\n,0.3\n");
    let out = ok(
        &d,
        &["-q", "evaluate", "{dir}/s.csv", "--target", "y", "--score-col", "p", "--ignore", "open", "--format", "json"],
    );
    let report: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!((report["rows"].as_u64(), report["ignored_rows"].as_u64()), (Some(4), Some(1)), "{report}");
    assert_eq!(report["auc"].as_f64(), Some(1.0), "{report}");
}

// ---------------------------------------------------------------- engagement (fit + score --events)

/// Was: options, "engagement: a kind with neither weight nor half-life".
#[test]
fn score_events_a_kind_with_neither_weight_nor_half_life() {
    let d = folder("g-webinar");
    abc_accounts(&d);
    write(&d, "events.csv", "account_id,kind,timestamp\na,webinar,1767000000\n");
    score_with_events_fails(
        &d,
        "scoring {dir}/accounts.csv: {dir}/events.csv: line 2: unknown activity kind `webinar`",
    );
}

/// Was: time units, "engagement example: milliseconds named with file and line".
#[test]
fn score_events_milliseconds_named_with_file_and_line() {
    let d = folder("g-millis");
    abc_accounts(&d);
    write(&d, "events.csv", "account_id,kind,timestamp\na,email,1767000000\nb,call,1767000000123\n");
    score_with_events_fails(
        &d,
        "scoring {dir}/accounts.csv: {dir}/events.csv: line 3: timestamp 1767000000123 looks like milliseconds*",
    );
}

/// Was: duplicates, "engagement --accounts lists a repeated id once". The
/// example kept a repeated id's first row; `score --events` writes a row per
/// input row, so it refuses the repeated id instead, naming both rows (the
/// same policy as the pool readers' default).
#[test]
fn score_events_refuses_a_repeated_account_id() {
    let d = folder("g-repeated");
    let csv = accounts(3, 4);
    let second = csv.lines().nth(1).expect("a data row").to_string();
    let id = second.split(',').next().expect("an id").to_string();
    write(&d, "accounts.csv", format!("{csv}{second}\n"));
    write(&d, "events.csv", "account_id,kind,timestamp\n");
    score_with_events_fails(
        &d,
        &format!(
            "scoring {{dir}}/accounts.csv: {{dir}}/events.csv: account id `{id}` appears on data rows 1 and 4 of the accounts*"
        ),
    );
}

/// Was: whole files, "engagement: decayed sums per account, sorted by id".
/// The same activities, with the weights and half-lives given to `fit`: a
/// call at `now` is 3, an email at `now` is 1, a later email is left out.
#[test]
fn score_events_decayed_sums_per_account() {
    let d = folder("g-sums");
    abc_accounts(&d);
    write(&d, "history.csv", accounts(300, 20));
    ok(
        &d,
        &[
            "-q", "fit", "--accounts", "{dir}/history.csv", "--target", "converted", "--weights", "email=1,call=3",
            "--half-life-days", "email=14,call=30", "--out", "{dir}/m.json",
        ],
    );
    write(
        &d,
        "events.csv",
        "account_id,kind,timestamp,rep_id\nb,email,1767225600,r1\na,call,1767225600,r2\na,email,1769817600,r1\n",
    );
    let o = run(
        &d,
        &[
            "score", "--model", "{dir}/m.json", "--accounts", "{dir}/accounts.csv", "--events", "{dir}/events.csv",
            "--now", NOW, "--all", "--out", "{dir}/out.csv",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "warning: {dir}/events.csv: 1 activities after --now left out"
                .replace("{dir}", &d.display().to_string())
                .as_str()
        ),
        "{}",
        stderr(&o)
    );
    let out = read(&d, "out.csv");
    let header: Vec<&str> = out.lines().next().expect("header").split(',').collect();
    let (id, eng) = (
        header.iter().position(|c| *c == "account_id").expect("account_id"),
        header.iter().position(|c| *c == "engagement").expect("engagement"),
    );
    let mut sums: Vec<(String, String)> = out
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[id].to_string(), f[eng].to_string())
        })
        .collect();
    sums.sort();
    let want: Vec<(String, String)> =
        [("a", "3"), ("b", "1"), ("c", "0")].iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(sums, want);
}

// ---------------------------------------------------------------- anomaly checks (fit + score)

/// Was: model files, "anomaly_report --segments with a scorer model file".
/// The anomaly segments live in the model file now; a file of another
/// format (here a segments file) given as the model is refused, naming both formats.
#[test]
fn score_a_model_file_of_another_format() {
    use acctscore::anomaly::SegmentParams;
    let d = folder("a-format");
    write(&d, "accounts.csv", accounts(50, 9));
    let rows = acctscore::pool::read_accounts_path(d.join("accounts.csv")).expect("accounts");
    let segments = SegmentParams::new().fit(rows.iter().map(|r| r.anomaly_inputs())).expect("segments");
    write(&d, "seg.json", segments.to_json().expect("json"));
    fails(
        &d,
        1,
        &["score", "--model", "{dir}/seg.json", "--accounts", "{dir}/accounts.csv", "--out", "{dir}/o.csv"],
        "model file {dir}/seg.json: *the file is a `acctscore-segments` file, not `acctscore-scorer`*",
    );
}

/// Was: whole files, "anomaly_report checks every account of a pool file".
/// Fitted on the file itself (as the example fitted its segments), every
/// account is scored with its anomaly penalty and checks, and the saved
/// model, loaded again, gives the same file.
#[test]
fn score_checks_every_account_of_a_pool_file() {
    let d = folder("a-every");
    write(&d, "accounts.csv", accounts(200, 17));
    ok(
        &d,
        &[
            "-q", "fit", "--accounts", "{dir}/accounts.csv", "--target", "converted", "--as-of", NOW, "--out",
            "{dir}/m.json",
        ],
    );
    for out in ["flags.csv", "again.csv"] {
        let out = format!("{{dir}}/{out}");
        ok(&d, &["-q", "score", "--model", "{dir}/m.json", "--accounts", "{dir}/accounts.csv", "--all", "--out", &out]);
    }
    let flags = read(&d, "flags.csv");
    let header = flags.lines().next().expect("header");
    assert!(header.contains(",anomaly_penalty,anomaly_checks,"), "{header}");
    assert_eq!(flags.lines().count(), 201);
    assert_eq!(flags, read(&d, "again.csv"), "reloaded alike");
}

// ---------------------------------------------------------------- the options added from the examples

/// `quality --delimiter` and `--skip-bad-rows` (from quality_report): a
/// `;` file with a short row is read, the row skipped with a warning naming
/// its line; `--leakage-auc`/`--suspect-auc` set the flags' thresholds.
#[test]
fn quality_reads_a_delimiter_and_skips_bad_rows_when_asked() {
    let d = folder("q-options");
    let mut csv = String::from("id;x;y\n");
    for k in 0..40 {
        csv.push_str(&format!("r{k};{};{}\n", k % 7, u8::from(k % 2 == 0)));
    }
    csv.push_str("bad;1\n");
    write(&d, "a.csv", &csv);
    fails(&d, 1, &["quality", "{dir}/a.csv", "--target", "y", "--delimiter", ";"], "{dir}/a.csv: *line 42*");
    let o = run(
        &d,
        &["quality", "{dir}/a.csv", "--target", "y", "--delimiter", ";", "--skip-bad-rows", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("skipped 1 malformed rows (line 42:"), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(report["rows"].as_u64(), Some(40), "{report}");
    ok(
        &d,
        &[
            "-q", "quality", "{dir}/a.csv", "--target", "y", "--delimiter", ";", "--skip-bad-rows", "--leakage-auc",
            "0.6", "--suspect-auc", "0.6",
        ],
    );
}

/// `evaluate --delimiter` (from evaluate): a `;` file with a decimal point.
#[test]
fn evaluate_reads_a_delimiter() {
    let d = folder("e-delimiter");
    write(&d, "s.csv", "y;p\n1;0.9\n0;0.1\n");
    let out = ok(
        &d,
        &["-q", "evaluate", "{dir}/s.csv", "--target", "y", "--score-col", "p", "--delimiter", ";", "--format", "json"],
    );
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!((report["rows"].as_u64(), report["auc"].as_f64()), (Some(2), Some(1.0)), "{report}");
}
