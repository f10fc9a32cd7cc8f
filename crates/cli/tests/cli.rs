//! The `acctscore` binary, run as a user runs it: exit codes (0 success,
//! 1 failed run, 2 usage error), the one-line error naming the file or
//! column, the files and tables each subcommand writes, and `score`'s
//! output equal to the library `Scorer`'s on the same inputs.
//!
//! One small pool (3,000 accounts) and its model are made once and shared
//! by the tests. The test on `../shared/data` finds it at
//! `<workspace>/../shared` (or `$ACCTSCORE_SHARED`), and passes with a
//! notice when it is absent unless `ACCTSCORE_REQUIRE_SHARED=1`, when it fails.

use acctscore::Scorer;
use acctscore::core::Timestamp;
use acctscore::pool::{read_accounts_frame, read_engagement_path};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const NOW: i64 = 1_767_225_600;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_acctscore"))
}

/// Runs the binary with `args`; returns its output.
fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 stderr")
}

/// Runs the binary and asserts exit code 0.
fn ok(args: &[&str]) -> Output {
    let o = run(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}\nstdout: {}\nstderr: {}", stdout(&o), stderr(&o));
    o
}

/// Runs the binary, asserts exit code `code` and one `error: ` line on
/// stderr holding every one of `needles`.
fn fails(code: i32, args: &[&str], needles: &[&str]) {
    let o = run(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(code), "{args:?}\nstderr: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(lines.len(), 1, "one error line: {err}");
    for n in needles {
        assert!(lines[0].contains(n), "`{n}` in `{}`", lines[0]);
    }
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("acctscore-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Text of one command-line argument: a string as it is, a path as UTF-8.
trait Arg {
    fn arg(&self) -> &str;
}

impl Arg for &str {
    fn arg(&self) -> &str {
        self
    }
}

impl Arg for PathBuf {
    fn arg(&self) -> &str {
        s(self)
    }
}

impl Arg for &Path {
    fn arg(&self) -> &str {
        s(self)
    }
}

/// A command line from strings and paths: `argv!["fit", "--accounts", path]`.
macro_rules! argv {
    ($($a:expr),* $(,)?) => {
        &[$(Arg::arg(&$a)),*]
    };
}

/// `acctscore -q fit --accounts ACCOUNTS --target converted`, for more options.
fn fitting(accounts: &Path) -> [&str; 6] {
    ["-q", "fit", "--accounts", s(accounts), "--target", "converted"]
}

/// `acctscore -q score --model MODEL --accounts ACCOUNTS`, for more options.
fn scoring<'a>(model: &'a Path, accounts: &'a Path) -> [&'a str; 6] {
    ["-q", "score", "--model", s(model), "--accounts", s(accounts)]
}

/// The shared pool and its model: (folder, model file).
fn pool() -> &'static (PathBuf, PathBuf) {
    static POOL: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    POOL.get_or_init(|| {
        // Shared by every test while the process runs, so not removed at its
        // end: it lives in Cargo's test folder under `target/`, under one
        // name that each run replaces.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-shared-pool");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("shared pool folder");
        ok(&["-q", "generate", "--accounts", "3000", "--seed", "7", "--out", s(&dir)]);
        let model = dir.join("model.json");
        let history = dir.join("history.csv");
        ok(&["-q", "fit", "--accounts", s(&history), "--target", "converted", "--out", s(&model)]);
        (dir, model)
    })
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().expect("header").iter().map(str::to_string).collect();
    let rows = r.records().map(|rec| rec.expect("record").iter().map(str::to_string).collect()).collect();
    (header, rows)
}

#[test]
fn generate_writes_the_pool_files_deterministically() {
    let (dir, _) = pool();
    let (h, rows) = read_csv(&dir.join("history.csv"));
    assert_eq!(rows.len(), 2400);
    let converted = h.iter().position(|c| c == "converted").expect("converted");
    assert!(rows.iter().all(|r| r[converted] == "0" || r[converted] == "1"));
    let (h, rows) = read_csv(&dir.join("open_accounts.csv"));
    assert_eq!(rows.len(), 600);
    let converted = h.iter().position(|c| c == "converted").expect("converted");
    assert!(rows.iter().all(|r| r[converted].is_empty()), "open accounts have no outcome");
    let (h, events) = read_csv(&dir.join("events.csv"));
    assert_eq!(h, ["account_id", "kind", "timestamp", "rep_id"]);
    assert!(events.iter().all(|e| e[3].starts_with("rep_")), "every activity has its rep");
    let (h, reps) = read_csv(&dir.join("reps.csv"));
    assert_eq!(h, ["rep_id", "capacity"]);
    assert_eq!(reps.len(), 12);
    let capacity: u64 = reps.iter().map(|r| r[1].parse::<u64>().expect("capacity")).sum();
    assert!((590..=610).contains(&capacity), "capacities share out the open accounts: {capacity}");
    let (h, truth) = read_csv(&dir.join("truth.csv"));
    assert_eq!(h, ["account_id", "set", "p_true", "converted", "anomaly"]);
    assert_eq!(truth.len(), 3000);
    // The same seed, the same bytes.
    let again = temp("pool-again");
    ok(&["-q", "generate", "--accounts", "3000", "--seed", "7", "--out", s(&again)]);
    for f in ["history.csv", "open_accounts.csv", "events.csv", "reps.csv", "truth.csv"] {
        assert_eq!(std::fs::read(dir.join(f)).expect(f), std::fs::read(again.join(f)).expect(f), "{f}");
    }
    let _ = std::fs::remove_dir_all(again);
}

/// A closed stderr (`2>&1 | head -1`) neither stops the run nor makes it
/// panic: the files are written and the exit code is 0.
#[test]
fn a_closed_stderr_does_not_stop_the_run() {
    let out = temp("closed-stderr");
    let mut child = bin()
        .args(["-v", "generate", "--accounts", "300", "--out", s(&out)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Closed before the run writes its first line there.
    drop(child.stderr.take());
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    assert!(out.join("truth.csv").is_file());
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn score_equals_the_library_scorer() {
    let (dir, model) = pool();
    let (open, events, out) = (dir.join("open_accounts.csv"), dir.join("events.csv"), dir.join("ranked-all.csv"));
    let now = NOW.to_string();
    ok(&[&scoring(model, &open)[..], &["--events", s(&events), "--now", &now, "--all", "--out", s(&out)]].concat());
    // The library, as the README's embedding example uses it.
    let scorer = Scorer::load(model).expect("model");
    let frame = read_accounts_frame(&open).expect("open accounts");
    let ids = frame.column("account_id").expect("ids");
    let log = read_engagement_path(&events, ids, scorer.engagement_model(), Some(Timestamp::from_unix_seconds(NOW)))
        .expect("events");
    let expected = scorer.top_n(&frame, Some(log.engagement.scores()), frame.nrows()).expect("scores");
    let (header, rows) = read_csv(&out);
    assert_eq!(header[..15], acctscore::pool::RANKED_COLUMNS);
    assert_eq!(rows.len(), expected.len());
    let num = |s: &str| -> f64 { s.parse().unwrap_or_else(|_| panic!("a number: `{s}`")) };
    for (k, (row, e)) in rows.iter().zip(&expected).enumerate() {
        assert_eq!(row[0], (k + 1).to_string());
        assert_eq!(row[1], e.account_id, "same ids in the same order");
        assert_eq!(num(&row[2]), e.priority);
        assert_eq!(num(&row[3]), e.quality);
        assert_eq!(row[4], e.tier.to_string());
        assert_eq!(num(&row[5]), e.icp.get());
        assert_eq!(num(&row[6]), e.icp_baseline);
        let revenue = e.revenue.as_ref().expect("revenue");
        assert_eq!(num(&row[7]), revenue.estimate);
        assert_eq!(num(&row[8]), revenue.in_range.get());
        assert_eq!(row[9], revenue.source.as_str());
        let anomaly = e.anomaly.as_ref().expect("anomaly");
        assert_eq!(num(&row[10]), anomaly.penalty);
        assert_eq!(row[11], anomaly.checks.join(";"));
        assert_eq!(num(&row[12]), e.engagement.expect("engagement"));
        assert_eq!(num(&row[13]), e.engagement_effect);
        let reasons: Vec<(String, f64)> = row[14]
            .split(';')
            .map(|r| {
                let (code, c) = r.rsplit_once(':').expect("code:contribution");
                (code.to_string(), num(c))
            })
            .collect();
        let want: Vec<(String, f64)> = e.reasons.iter().map(|r| (r.code.clone(), r.contribution)).collect();
        assert_eq!(reasons, want);
    }
    // --top N writes the first N of the same ranking.
    let top = dir.join("ranked-top.csv");
    ok(&[&scoring(model, &open)[..], &["--events", s(&events), "--now", &now, "--top", "25", "--out", s(&top)]]
        .concat());
    assert_eq!(read_csv(&top).1, rows[..25]);
}

#[test]
fn failed_runs_exit_1_with_one_line_naming_the_file_or_column() {
    let (dir, model) = pool();
    let history = dir.join("history.csv");
    let missing = dir.join("no-such-file.csv");
    let out = dir.join("never.json");
    fails(1, &["fit", "--accounts", s(&missing), "--target", "converted", "--out", s(&out)], &["no-such-file.csv"]);
    fails(
        1,
        &["fit", "--accounts", s(&history), "--target", "convertd", "--out", s(&out)],
        &["history.csv", "no column `convertd`", "--target"],
    );
    fails(
        1,
        &["fit", "--accounts", s(&history), "--target", "converted", "--keep", "nope", "--out", s(&out)],
        &["no column `nope`", "--keep"],
    );
    assert!(!out.exists(), "a failed fit writes no model");
    fails(1, &["score", "--model", s(&missing), "--accounts", s(&history), "--out", "-"], &["no-such-file.csv"]);
    fails(
        1,
        &["score", "--model", s(model), "--accounts", s(&dir.join("reps.csv")), "--out", "-"],
        &["reps.csv", "account_id"],
    );
    fails(
        1,
        &["score", "--model", s(model), "--accounts", s(&history), "--carry", "nope", "--out", "-"],
        &["history.csv", "no column `nope`", "--carry"],
    );
    fails(1, &["quality", s(&history), "--target", "nope"], &["history.csv", "nope"]);
    fails(
        1,
        &["explain", "--model", s(model), "--accounts", s(&history), "--id", "acct_9999999"],
        &["acct_9999999", "history.csv"],
    );
    fails(
        1,
        &["evaluate", s(&history), "--target", "converted", "--score-col", "nope"],
        &["history.csv", "no column `nope`", "--score-col"],
    );
    // A model file that is not one.
    fails(1, &["score", "--model", s(&history), "--accounts", s(&history), "--out", "-"], &["history.csv"]);
}

#[test]
fn usage_errors_exit_2() {
    let (dir, model) = pool();
    let history = dir.join("history.csv");
    fails(2, &["fit", "--accounts", s(&history), "--out", "x.json"], &["--target"]);
    fails(
        2,
        &["score", "--model", s(model), "--accounts", s(&history), "--top", "3", "--all", "--out", "-"],
        &["--top", "--all"],
    );
    fails(
        2,
        &["score", "--model", s(model), "--accounts", s(&history), "--now", "2026-01-01", "--out", "-"],
        &["--events"],
    );
    fails(2, &["score", "--model", s(model), "--accounts", s(&history), "--top", "0", "--out", "-"], &["--top"]);
    fails(2, &["generate", "--accounts", "10", "--open-share", "1.5", "--out", "x"], &["--open-share"]);
    fails(
        2,
        &["fit", "--accounts", s(&history), "--target", "converted", "--family", "forest", "--out", "x"],
        &["forest"],
    );
    fails(2, &["no-such-subcommand"], &["no-such-subcommand"]);
    fails(2, &["-q", "-v", "quality", s(&history), "--target", "converted"], &["--quiet"]);
    assert_eq!(run(&[]).status.code(), Some(2), "no subcommand");
    let help = ok(&["--help"]);
    for sub in ["demo", "generate", "quality", "fit", "score", "explain", "evaluate"] {
        assert!(stdout(&help).contains(sub), "{sub} in the help");
    }
}

#[test]
fn fit_prints_its_report_and_writes_the_same_model_twice() {
    let (dir, model) = pool();
    let history = dir.join("history.csv");
    let again = dir.join("model-again.json");
    let events = dir.join("events.csv");
    let o = ok(argv!["fit", "--accounts", history, "--events", events, "--target", "converted", "--out", again]);
    let text = stdout(&o);
    for needle in
        ["ICP model: ", "cross-validated AUC", "columns left out by the quality gate", "revenue: ", "tiers on quality"]
    {
        assert!(text.contains(needle), "`{needle}` in {text}");
    }
    assert_eq!(std::fs::read(model).expect("model"), std::fs::read(&again).expect("again"), "deterministic");
    let json = dir.join("model-json.json");
    let o = ok(&[&fitting(&history)[..], &["--family", "logistic", "--format", "json", "--out", s(&json)]].concat());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["metrics"]["icp_family"], "logistic");
    assert!(v["report"]["tiers"].is_object());
    // The default preferred revenue range, stated.
    assert_eq!(
        (v["revenue_range"]["low"].as_f64(), v["revenue_range"]["high"].as_f64()),
        (Some(1e4), Some(1e5)),
        "{v}"
    );
    // Weighted rules from a file: the rules family, its tiers from the rules' points.
    let rules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/rules/icp_rules.toml");
    let o = ok(&[
        &fitting(&history)[..],
        &["--family", "rules", "--rules", s(&rules), "--format", "json", "--out", s(&json)],
    ]
    .concat());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["metrics"]["icp_family"], "rules");
    assert_eq!(v["report"]["tier_source"]["from"], "rule_points");
    fails(
        1,
        &["fit", "--accounts", s(&history), "--target", "converted", "--rules", s(&history), "--out", s(&json)],
        &["rules file", "history.csv"],
    );
}

#[test]
fn explain_adds_up() {
    let (dir, model) = pool();
    let (open, events) = (dir.join("open_accounts.csv"), dir.join("events.csv"));
    let id = read_csv(&open).1[3][0].clone();
    let o = ok(&["explain", "--model", s(model), "--accounts", s(&open), "--events", s(&events), "--id", &id]);
    let text = stdout(&o);
    for needle in [id.as_str(), "priority", "baseline", "= baseline + reasons", "revenue: ", "anomaly", "engagement at"]
    {
        assert!(text.contains(needle), "`{needle}` in {text}");
    }
    let o = ok(&[
        "-q",
        "explain",
        "--model",
        s(model),
        "--accounts",
        s(&open),
        "--events",
        s(&events),
        "--id",
        &id,
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["account_id"], id.as_str());
    assert!(v["icp_sum_check"]["difference"].as_f64().expect("difference").abs() < 1e-9);
    let e = &v["engagement_sum_check"];
    let (sum, engagement) = (e["sum_of_kinds"].as_f64().expect("sum"), e["engagement"].as_f64().expect("engagement"));
    assert!((sum - engagement).abs() <= 1e-9 * engagement.max(1.0), "{sum} vs {engagement}");
}

#[test]
fn quality_and_evaluate_print_tables() {
    let (dir, model) = pool();
    let history = dir.join("history.csv");
    let text = stdout(&ok(&["-q", "quality", s(&history), "--target", "converted"]));
    assert!(text.contains("account_id") && text.contains("id_like"), "{text}");
    let (h, rows) = {
        let o = ok(&["-q", "quality", s(&history), "--target", "converted", "--format", "csv"]);
        let mut r = csv::Reader::from_reader(o.stdout.as_slice());
        let h: Vec<String> = r.headers().expect("header").iter().map(str::to_string).collect();
        (h, r.records().count())
    };
    assert_eq!(h[0], "name");
    assert_eq!(rows, 15, "every column but the target");
    let v: serde_json::Value = serde_json::from_str(&stdout(&ok(argv![
        "-q", "quality", history, "--target", "converted", "--format", "json"
    ])))
    .expect("json");
    assert_eq!(v["positives"].as_u64().map(|p| p > 0), Some(true));

    let scored = dir.join("scored-history.csv");
    ok(&[&scoring(model, &history)[..], &["--all", "--carry", "converted", "--out", s(&scored)]].concat());
    let o = ok(argv![
        "-q", "evaluate", scored, "--target", "converted", "--score-col", "icp", "--baseline-col", "quality",
        "--format", "json"
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let auc = v["auc"].as_f64().expect("auc");
    assert!(auc > 0.6 && auc <= 1.0, "{auc}");
    assert!(v["threshold"]["qualified_conversion_rate"].is_number() || v["threshold"]["qualified"] == 0);
    assert!(v["drift"]["psi"].is_number());
    assert_eq!(v["rows"], 2400);
    let text = stdout(&ok(&["-q", "evaluate", s(&scored), "--target", "converted", "--score-col", "priority"]));
    for needle in ["ROC AUC", "share of conversions that were qualified", "lift", "reliability"] {
        assert!(text.contains(needle), "`{needle}` in {text}");
    }
    let o = ok(&["-q", "evaluate", s(&scored), "--target", "converted", "--score-col", "priority", "--format", "csv"]);
    assert_eq!(String::from_utf8(o.stdout).expect("utf-8").lines().count(), 11, "a header and ten deciles");
}

#[test]
fn demo_ranks_the_open_accounts_and_says_where_the_files_are() {
    let dir = temp("demo");
    let o = ok(&["demo", "--dir", s(&dir), "--accounts", "2000"]);
    let text = stdout(&o);
    assert!(text.contains(" 20. "), "the top 20: {text}");
    assert!(text.contains("p(icp)"), "{text}");
    assert!(text.contains("files written"), "{text}");
    let files =
        ["history.csv", "open_accounts.csv", "events.csv", "reps.csv", "truth.csv", "scorer.json", "ranked.csv"];
    for f in files.iter().chain(&["report.html"]) {
        assert!(dir.join(f).is_file(), "{f}");
        assert!(text.contains(s(&dir.join(f))), "{f} listed in {text}");
    }
    assert_eq!(read_csv(&dir.join("ranked.csv")).1.len(), 400);
    // The report opens offline: no script, no address but the SVG namespace; five charts.
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report");
    assert!(!html.contains("<script") && !html.contains("src=\"http"), "self-contained");
    for chart in ["Cumulative gains", "Reliability", "Score distribution by tier", "Top factors"] {
        assert!(html.contains(chart), "{chart}");
    }
    assert!(html.matches("<svg").count() >= 4, "every chart drawn");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn mapping_files_are_checked() {
    let (dir, _) = pool();
    let history = dir.join("history.csv");
    let map = dir.join("bad.toml");
    std::fs::write(&map, "id = \"account_id\"\nemployes = \"employees\"\n").expect("write");
    fails(
        1,
        &["fit", "--accounts", s(&history), "--target", "converted", "--map", s(&map), "--out", "x.json"],
        &["bad.toml", "employes"],
    );
    std::fs::write(&map, "id = \"account_id\"\nemployees = \"staff\"\n").expect("write");
    fails(
        1,
        &["fit", "--accounts", s(&history), "--target", "converted", "--map", s(&map), "--out", "x.json"],
        &["history.csv", "no column `staff`", "employees"],
    );
    // The pool through a mapping file that names its columns.
    std::fs::write(
        &map,
        "id = \"account_id\"\nindustry = \"industry\"\nemployees = \"employees\"\nmonthly_revenue = \"monthly_revenue_usd\"\n\
         business_model = \"business_model\"\nnot_features = [\"job_title_of_contact\"]\n[csv]\ndelimiter = \",\"\n",
    )
    .expect("write");
    let model = dir.join("mapped.json");
    ok(&["-q", "fit", "--accounts", s(&history), "--target", "converted", "--map", s(&map), "--out", s(&model)]);
    let out = dir.join("mapped-ranked.csv");
    ok(&[&scoring(&model, &dir.join("open_accounts.csv"))[..], &["--map", s(&map), "--out", s(&out)]].concat());
    assert_eq!(read_csv(&out).1.len(), 600);
}

#[test]
fn x_education_leads_through_the_mapping_file() {
    let Some(shared) = acctscore_testkit::shared_dir() else { return };
    let leads = shared.join("data/x_education/leads_train.csv");
    let map = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("maps/x_education.toml");
    let dir = temp("x-education");
    let model = dir.join("leads.json");
    let o = ok(&["-q", "fit", "--accounts", s(&leads), "--target", "Converted", "--map", s(&map), "--out", s(&model)]);
    let report = stdout(&o);
    assert!(report.contains("fitted on 6468 rows"), "{report}");
    assert!(report.contains("column `Tags`: leakage") && report.contains("left out"), "{report}");
    assert!(report.contains("column `Lead Number`: id_like"), "{report}");
    let ranked = dir.join("ranked.csv");
    ok(&[&scoring(&model, &leads)[..], &["--map", s(&map), "--all", "--carry", "Converted", "--out", s(&ranked)]]
        .concat());
    let (header, rows) = read_csv(&ranked);
    assert_eq!(rows.len(), 6468);
    assert_eq!(header.last().map(String::as_str), Some("Converted"));
    let o = ok(&["-q", "evaluate", s(&ranked), "--target", "Converted", "--score-col", "icp", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert!(v["auc"].as_f64().expect("auc") > 0.8, "{}", v["auc"]);
    let id = &rows[0][1];
    let o = ok(&[
        "-q",
        "explain",
        "--model",
        s(&model),
        "--accounts",
        s(&leads),
        "--map",
        s(&map),
        "--id",
        id,
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert!(v["icp_sum_check"]["difference"].as_f64().expect("difference").abs() < 1e-9);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bank_marketing_through_the_mapping_file_from_quality_to_report() {
    let Some(shared) = acctscore_testkit::shared_dir() else { return };
    let bank = shared.join("data/bank_marketing/bank_train.csv");
    let map = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("maps/bank_marketing.toml");
    let dir = temp("bank");
    let o = ok(&["-q", "quality", s(&bank), "--target", "y", "--positive", "yes", "--format", "csv"]);
    assert!(stdout(&o).contains("duration"), "every column is reported");
    let model = dir.join("bank.json");
    let fit = ["-q", "fit", "--accounts", s(&bank), "--target", "y", "--positive", "yes", "--map", s(&map)];
    let o = ok(&[&fit[..], &["--out", s(&model)]].concat());
    assert!(stdout(&o).contains("fitted on 36168 rows"), "{}", stdout(&o));
    let scored = dir.join("scored.csv");
    let score = ["-q", "score", "--model", s(&model), "--accounts", s(&bank), "--map", s(&map), "--all"];
    ok(&[&score[..], &["--carry", "y", "--out", s(&scored)]].concat());
    let (header, rows) = read_csv(&scored);
    assert_eq!((rows.len(), header.last().map(String::as_str)), (36168, Some("y")));
    assert!(rows.iter().all(|r| r.last().is_some_and(|y| y == "yes" || y == "no")), "--carry keeps the bytes");
    let o = ok(argv![
        "-q", "evaluate", scored, "--target", "y", "--positive", "yes", "--score-col", "icp", "--format", "json"
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert!(v["auc"].as_f64().expect("auc") > 0.6, "{}", v["auc"]);
    let html = dir.join("bank.html");
    ok(&["-q", "report", "--scored", s(&scored), "--target", "y", "--positive", "yes", "--out", s(&html)]);
    assert!(std::fs::read_to_string(&html).expect("report").contains("Cumulative gains"));
    let _ = std::fs::remove_dir_all(dir);
}

/// Maven's accounts with an outcome the data lacks: `won_most`, 1 when an
/// account's share of won among its closed deals is above the median share.
fn maven_accounts_with_outcome(maven: &Path, out: &Path) -> PathBuf {
    let pipeline = std::fs::read_to_string(maven.join("sales_pipeline.csv")).expect("pipeline");
    let mut closed: std::collections::HashMap<&str, (u32, u32)> = std::collections::HashMap::new();
    for line in pipeline.lines().skip(1) {
        let f: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
        let e = closed.entry(f[3]).or_default();
        match f[4] {
            "Won" => e.0 += 1,
            "Lost" => e.1 += 1,
            _ => {}
        }
    }
    let share = |a: &str| closed.get(a).map_or(0.0, |&(w, l)| f64::from(w) / f64::from((w + l).max(1)));
    let accounts = std::fs::read_to_string(maven.join("accounts.csv")).expect("accounts");
    let lines: Vec<&str> = accounts.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.is_empty()).collect();
    let mut shares: Vec<f64> = lines[1..].iter().map(|l| share(l.split(',').next().unwrap_or(""))).collect();
    shares.sort_by(f64::total_cmp);
    let median = shares[shares.len() / 2];
    let mut text = format!("{},won_most\n", lines[0]);
    for l in &lines[1..] {
        let won = share(l.split(',').next().unwrap_or("")) > median;
        text.push_str(&format!("{l},{}\n", u8::from(won)));
    }
    let path = out.join("accounts_won.csv");
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn maven_crm_through_the_mapping_file_from_fit_to_assign() {
    let Some(shared) = acctscore_testkit::shared_dir() else { return };
    let maven = shared.join("data/maven_crm");
    let map = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("maps/maven_crm.toml");
    let out = temp("maven");
    let accounts = maven_accounts_with_outcome(&maven, &out);
    let (pipeline, teams) = (maven.join("sales_pipeline.csv"), maven.join("sales_teams.csv"));
    let o = ok(&["-q", "quality", s(&pipeline), "--target", "deal_stage", "--positive", "Won", "--format", "csv"]);
    assert!(stdout(&o).contains("close_value"), "{}", stdout(&o));
    let model = out.join("maven.json");
    let o = ok(argv![
        "fit", "--accounts", accounts, "--target", "won_most", "--map", map, "--events", pipeline, "--revenue-range",
        "1000000..100000000", "--out", model
    ]);
    assert!(stdout(&o).contains("fitted on 85 rows"), "{}", stdout(&o));
    assert!(stdout(&o).contains("preferred monthly revenue: 1000000..100000000 USD"), "{}", stdout(&o));
    // The pipeline's undated opportunities are named, not silently dropped.
    let err = stderr(&o);
    assert!(err.contains("warning: ") && err.contains("500 activities without a timestamp left out"), "{err}");
    assert!(err.contains("8800 activities read, 7212 used"), "{err}");
    let ranked = out.join("ranked.csv");
    let score = ["-q", "score", "--model", s(&model), "--accounts", s(&accounts), "--map", s(&map), "--all"];
    ok(&[&score[..], &["--events", s(&pipeline), "--carry", "won_most", "--out", s(&ranked)]].concat());
    let (header, rows) = read_csv(&ranked);
    assert_eq!(rows.len(), 85);
    let e = header.iter().position(|c| c == "engagement").expect("engagement column");
    assert!(rows.iter().filter(|r| r[e].parse::<f64>().expect("number") > 0.0).count() > 80);
    // Engagement by kind adds up, and counts the account's dated opportunities.
    let acme_dated = std::fs::read_to_string(&pipeline)
        .expect("pipeline")
        .lines()
        .filter(|l| {
            l.split(',').nth(3) == Some("Acme Corporation") && l.split(',').nth(5).is_some_and(|d| !d.is_empty())
        })
        .count();
    let o = ok(argv![
        "-q", "explain", "--model", model, "--accounts", accounts, "--map", map, "--events", pipeline, "--id",
        "Acme Corporation", "--format", "json"
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["engagement_by_kind"][0]["kind"], "meeting");
    assert_eq!(v["engagement_by_kind"][0]["activities"].as_u64(), Some(acme_dated as u64));
    let check = &v["engagement_sum_check"];
    let (sum, total) = (check["sum_of_kinds"].as_f64().expect("sum"), check["engagement"].as_f64().expect("total"));
    assert!(total > 0.0 && (sum - total).abs() <= 1e-9 * total, "{check}");
    // Engagement kept in a state: the first 8000 opportunities, then the rest folded in.
    let text = std::fs::read_to_string(&pipeline).expect("pipeline");
    let lines: Vec<&str> = text.lines().collect();
    let (old, new) = (out.join("old.csv"), out.join("new.csv"));
    std::fs::write(&old, format!("{}\n", lines[..8001].join("\n"))).expect("write");
    std::fs::write(&new, format!("{}\n{}\n", lines[0], lines[8001..].join("\n"))).expect("write");
    let state = out.join("maven.state");
    let init = ["engagement", "init", "--model", s(&model), "--accounts", s(&accounts), "--map", s(&map)];
    ok(&[&init[..], &["--events", s(&old), "--out", s(&state)]].concat());
    let o = ok(argv!["engagement", "update", "--model", model, "--state", state, "--events", new, "--map", map]);
    assert!(stderr(&o).contains("800 activities read"), "{}", stderr(&o));
    let from_state = out.join("from_state.csv");
    ok(&[&score[..], &["--engagement-state", s(&state), "--carry", "won_most", "--out", s(&from_state)]].concat());
    let (_, state_rows) = read_csv(&from_state);
    for (x, y) in state_rows.iter().zip(&rows) {
        assert_eq!(x[1], y[1], "same order");
        let (u, v): (f64, f64) = (x[e].parse().expect("number"), y[e].parse().expect("number"));
        assert!((u - v).abs() <= 1e-12 * v.abs(), "{}: {u} vs {v}", x[1]);
    }
    // Evaluation and the report on the derived outcome.
    let o = ok(&["-q", "evaluate", s(&ranked), "--target", "won_most", "--score-col", "icp", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert!(v["auc"].as_f64().is_some_and(|a| a.is_finite()), "{v}");
    let html = out.join("maven.html");
    ok(&["-q", "report", "--scored", s(&ranked), "--target", "won_most", "--out", s(&html)]);
    // Assignment to the sales agents, two accounts each, keeping recent owners.
    let o = ok(argv![
        "assign", "--ranked", ranked, "--reps", teams, "--capacity", "2", "--events", pipeline, "--map", map,
        "--format", "json"
    ]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!((doc["accounts"].as_u64(), doc["assigned"].as_u64()), (Some(85), Some(70)));
    assert!(doc["kept_with_owner"].as_u64().expect("count") > 0, "{doc}");
    let reps = doc["reps"].as_array().expect("reps");
    assert_eq!(reps.len(), 35);
    for rep in reps {
        assert!(rep["off_share"].as_f64().expect("number").abs() <= 0.05, "{rep}");
    }
    // Capacities twice, or none, are refused.
    fails(
        1,
        &["assign", "--ranked", s(&ranked), "--reps", s(&teams), "--map", s(&map)],
        &["sales_teams.csv", "capacity"],
    );
    let both = out.join("reps.csv");
    std::fs::write(&both, "sales_agent,capacity\nAnna Snelling,3\n").expect("write");
    fails(
        2,
        &["assign", "--ranked", s(&ranked), "--reps", s(&both), "--capacity", "2", "--map", s(&map)],
        &["--capacity", "reps.csv"],
    );
    let _ = std::fs::remove_dir_all(out);
}

/// Splits `events.csv` into the activities before the last `new` and those.
fn split_events(dir: &Path, out: &Path, new: usize) -> (PathBuf, PathBuf) {
    let text = std::fs::read_to_string(dir.join("events.csv")).expect("events");
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    let cut = lines.len() - new;
    let write = |name: &str, rows: &[&str]| {
        let path = out.join(name);
        std::fs::write(&path, format!("{header}\n{}\n", rows.join("\n"))).expect("write");
        path
    };
    (write("old.csv", &lines[..cut]), write("new.csv", &lines[cut..]))
}

#[test]
fn an_updated_engagement_state_scores_as_the_whole_log() {
    let (dir, model) = pool();
    let out = temp("state");
    let (old, new) = split_events(dir, &out, 300);
    let open = dir.join("open_accounts.csv");
    let state = out.join("engagement.state");
    ok(&["engagement", "init", "--model", s(model), "--accounts", s(&open), "--events", s(&old), "--out", s(&state)]);
    let o = ok(&["engagement", "update", "--model", s(model), "--state", s(&state), "--events", s(&new)]);
    assert!(stdout(&o).contains("600 accounts"), "{}", stdout(&o));
    assert!(stderr(&o).contains("300 activities read"), "{}", stderr(&o));
    let now = (NOW + 86_400).to_string();
    let (a, b) = (out.join("from_state.csv"), out.join("from_log.csv"));
    let events = dir.join("events.csv");
    let common = ["-q", "score", "--model", s(model), "--accounts", s(&open), "--now", &now, "--all"];
    ok(&[&common[..], &["--engagement-state", s(&state), "--out", s(&a)]].concat());
    ok(&[&common[..], &["--events", s(&events), "--out", s(&b)]].concat());
    let ((ha, ra), (hb, rb)) = (read_csv(&a), read_csv(&b));
    assert_eq!(ha, hb);
    let e = ha.iter().position(|c| c == "engagement").expect("engagement column");
    assert!(ra.iter().any(|r| r[e].parse::<f64>().expect("number") > 0.0));
    for (x, y) in ra.iter().zip(&rb) {
        let (u, v): (f64, f64) = (x[e].parse().expect("number"), y[e].parse().expect("number"));
        assert!((u - v).abs() <= 1e-12 * v.abs(), "{}: {u} vs {v}", x[1]);
    }
    // A state of another model, a damaged state, and --now before the latest activity fail in one line.
    let other = out.join("other.json");
    std::fs::write(&other, std::fs::read_to_string(model).expect("model")).expect("copy");
    let mut bytes = std::fs::read(&state).expect("state");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    let damaged = out.join("damaged.state");
    std::fs::write(&damaged, bytes).expect("write");
    fails(
        1,
        &["score", "--model", s(model), "--accounts", s(&open), "--engagement-state", s(&damaged), "--out", s(&a)],
        &["damaged.state", "checksum"],
    );
    fails(
        1,
        &[&scoring(model, &open)[..], &["--engagement-state", s(&state), "--now", "2020-01-01", "--out", s(&a)]]
            .concat(),
        &["engagement.state", "precedes"],
    );
    fails(
        2,
        &[&scoring(model, &open)[..], &["--engagement-state", s(&state), "--events", s(&events), "--out", s(&a)]]
            .concat(),
        &["--events"],
    );
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn assign_deals_value_by_capacity_and_keeps_recent_owners() {
    let (dir, model) = pool();
    let out = temp("assign");
    let ranked = out.join("ranked.csv");
    let (open, events, reps) = (dir.join("open_accounts.csv"), dir.join("events.csv"), dir.join("reps.csv"));
    ok(&[&scoring(model, &open)[..], &["--events", s(&events), "--all", "--out", s(&ranked)]].concat());
    let table = out.join("assigned.csv");
    // `assign` with the log's owners, writing `table`, plus extra options.
    let assign = |ranked: &Path, reps: &Path, table: &Path, more: &[&str]| {
        let head = ["assign", "--ranked", s(ranked), "--reps", s(reps), "--events", s(&events), "--out", s(table)];
        ok(&[&head[..], more].concat())
    };
    let o = assign(&ranked, &reps, &table, &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(doc["accounts"], 600);
    assert!(doc["kept_with_owner"].as_u64().expect("count") > 0);
    for rep in doc["reps"].as_array().expect("reps") {
        let off = rep["off_share"].as_f64().expect("number");
        assert!(off.abs() <= 0.05, "{rep}");
        assert!(rep["after_accounts"].as_u64() <= rep["capacity"].as_u64());
    }
    let (h, rows) = read_csv(&table);
    assert_eq!(h, ["account_id", "rep_id", "priority", "previous_rep"]);
    assert_eq!(rows.len() as u64, doc["assigned"].as_u64().expect("count"));
    // Every account once; ids as in the ranked file.
    let (_, ranked_rows) = read_csv(&ranked);
    let ids: std::collections::HashSet<&str> = ranked_rows.iter().map(|r| r[1].as_str()).collect();
    let mut seen = std::collections::HashSet::new();
    assert!(rows.iter().all(|r| ids.contains(r[0].as_str()) && seen.insert(r[0].clone())));
    // The same ranked file with its ids quoted (read by the frame's loader, not streamed) deals the same.
    let text = std::fs::read_to_string(&ranked).expect("ranked");
    let quoted: String = text
        .lines()
        .enumerate()
        .map(|(k, l)| {
            let f: Vec<&str> = l.splitn(3, ',').collect();
            if k == 0 { format!("{l}\n") } else { format!("{},\"{}\",{}\n", f[0], f[1], f[2]) }
        })
        .collect();
    let (quoted_ranked, quoted_table) = (out.join("quoted.csv"), out.join("quoted_assigned.csv"));
    std::fs::write(&quoted_ranked, quoted).expect("write");
    assign(&quoted_ranked, &reps, &quoted_table, &["-q"]);
    assert_eq!(std::fs::read(&quoted_table).expect("quoted"), std::fs::read(&table).expect("plain"));
    // A reps file with spaces after its commas: the same reps (trimmed, as the log's reps are).
    let spaced = out.join("spaced_reps.csv");
    std::fs::write(&spaced, std::fs::read_to_string(&reps).expect("reps").replace(',', ", ")).expect("write");
    let spaced_table = out.join("spaced_assigned.csv");
    assign(&ranked, &spaced, &spaced_table, &["-q"]);
    assert_eq!(std::fs::read(&spaced_table).expect("spaced"), std::fs::read(&table).expect("plain"));
    // A reps file without capacities, and segments without --segment-col.
    let bad = out.join("bad_reps.csv");
    std::fs::write(&bad, "rep_id,capacity\nrep_00,ten\n").expect("write");
    fails(1, &["assign", "--ranked", s(&ranked), "--reps", s(&bad)], &["bad_reps.csv", "line 2", "ten"]);
    std::fs::write(&bad, "rep_id,capacity,segment\nrep_00,10,smb\n").expect("write");
    fails(2, &["assign", "--ranked", s(&ranked), "--reps", s(&bad)], &["--segment-col"]);
    // The latest rep of an account, missing from the reps file; a log without rep_id.
    let log = out.join("gone.csv");
    std::fs::write(&log, format!("account_id,kind,timestamp,rep_id\n{},call,{NOW},rep_gone\n", ranked_rows[0][1]))
        .expect("write");
    fails(
        1,
        &["assign", "--ranked", s(&ranked), "--reps", s(&reps), "--events", s(&log)],
        &["gone.csv", "line 2", "rep_gone", "reps.csv"],
    );
    std::fs::write(&log, format!("account_id,kind,timestamp\n{},call,{NOW}\n", ranked_rows[0][1])).expect("write");
    fails(1, &["assign", "--ranked", s(&ranked), "--reps", s(&reps), "--events", s(&log)], &["gone.csv", "rep_id"]);
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn report_draws_a_scored_file_with_outcomes() {
    let (dir, model) = pool();
    let out = temp("report");
    let (history, scored) = (dir.join("history.csv"), out.join("scored.csv"));
    ok(&[&scoring(model, &history)[..], &["--all", "--carry", "converted", "--out", s(&scored)]].concat());
    let html = out.join("report.html");
    let o =
        ok(&["report", "--scored", s(&scored), "--target", "converted", "--baseline", s(&scored), "--out", s(&html)]);
    assert!(stdout(&o).contains("2400 accounts"), "{}", stdout(&o));
    let page = std::fs::read_to_string(&html).expect("report");
    assert!(page.contains("Tier migration") && page.matches("<svg").count() >= 5, "migration drawn too");
    assert!(!page.contains("No baseline scoring was given"), "the baseline was read");
    // Without the outcome carried, one line says how to get it.
    let ranked = out.join("ranked.csv");
    ok(&["-q", "score", "--model", s(model), "--accounts", s(&history), "--all", "--out", s(&ranked)]);
    fails(
        1,
        &["report", "--scored", s(&ranked), "--target", "converted", "--out", s(&html)],
        &["ranked.csv", "--carry converted"],
    );
    // Open accounts (no outcome yet) are left out with a warning.
    let open = dir.join("open_accounts.csv");
    let both = out.join("both.csv");
    let mut text = std::fs::read_to_string(&history).expect("history");
    text.push_str(std::fs::read_to_string(&open).expect("open").split_once('\n').expect("header").1);
    std::fs::write(&both, text).expect("write");
    ok(&[&scoring(model, &both)[..], &["--all", "--carry", "converted", "--out", s(&scored)]].concat());
    let o = ok(&["report", "--scored", s(&scored), "--target", "converted", "--out", s(&html)]);
    assert!(stderr(&o).contains("left out 600 rows"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(out);
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_files_score_as_their_csv() {
    use acctscore::pool::{read_accounts_path, read_events_path, write_accounts_parquet, write_events_parquet};
    let (dir, model) = pool();
    let out = temp("parquet");
    let (open, events) = (dir.join("open_accounts.csv"), dir.join("events.csv"));
    let (open_pq, events_pq) = (out.join("open_accounts.parquet"), out.join("events.parquet"));
    write_accounts_parquet(&open_pq, &read_accounts_path(&open).expect("accounts")).expect("write accounts");
    write_events_parquet(&events_pq, &read_events_path(&events).expect("events")).expect("write events");
    let now = NOW.to_string();
    let (a, b) = (out.join("from_csv.csv"), out.join("from_parquet.csv"));
    ok(&[&scoring(model, &open)[..], &["--events", s(&events), "--now", &now, "--all", "--out", s(&a)]].concat());
    ok(&[&scoring(model, &open_pq)[..], &["--events", s(&events_pq), "--now", &now, "--all", "--out", s(&b)]].concat());
    let ((ha, ra), (hb, rb)) = (read_csv(&a), read_csv(&b));
    assert_eq!((ha.clone(), ra.len()), (hb, rb.len()));
    for (x, y) in ra.iter().zip(&rb) {
        assert_eq!(x[1], y[1], "same accounts in the same order");
        for (k, name) in ha.iter().enumerate() {
            match (x[k].parse::<f64>(), y[k].parse::<f64>()) {
                (Ok(u), Ok(v)) => assert!((u - v).abs() <= 1e-9 * v.abs().max(1.0), "{name}: {u} vs {v}"),
                _ if name == "reasons" => {}
                _ => assert_eq!(x[k], y[k], "{name}"),
            }
        }
    }
    let _ = std::fs::remove_dir_all(out);
}
