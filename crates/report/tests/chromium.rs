//! The report as a browser shows it: rendered in headless Chromium, every
//! chart's box in a screenshot holds drawn pixels (and coloured marks, not
//! only axes and text), and each chart's SVG has its marks with a non-zero
//! size in the laid-out page.
//!
//! Needs the `chromium` binary (Debian package `chromium`; `.ci/run`
//! installs it). Without it the test prints why and passes, unless
//! `ACCTSCORE_REQUIRE_SHARED=1` (set by CI), when it fails. With
//! `ACCTSCORE_REPORT_KEEP=1` the page, the probe's DOM and the screenshot
//! stay in the temporary folder it prints.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Page width in CSS pixels (device scale factor 1).
const WIDTH: u32 = 1400;

/// Reads each chart's box and marks once the page is laid out, and writes
/// them into the DOM (a `<pre id="probe">`) for `--dump-dom`: one line per
/// chart, `chart ID LEFT TOP WIDTH HEIGHT MARKS SIZED TAG:COUNT,…`, and a
/// last line `page WIDTH HEIGHT`. A mark is an element of the SVG whose
/// fill or stroke is one of the figure's `data-marks` colours; it is sized
/// when its client box has a non-zero width and height (a polyline or line
/// may be flat in one of them).
const PROBE: &str = r#"<script>
(function () {
  var out = [];
  var figs = document.querySelectorAll('figure.chart');
  for (var i = 0; i < figs.length; i++) {
    var f = figs[i], svg = f.querySelector('svg');
    if (!svg) { out.push('chart ' + f.id + ' 0 0 0 0 0 0 -'); continue; }
    var r = svg.getBoundingClientRect();
    var colors = (f.getAttribute('data-marks') || '').toUpperCase().split(' ').filter(Boolean);
    var marks = 0, sized = 0, kinds = {};
    var els = svg.querySelectorAll('rect,polyline,polygon,circle,line,path');
    for (var j = 0; j < els.length; j++) {
      var e = els[j];
      var fill = (e.getAttribute('fill') || '').toUpperCase(), stroke = (e.getAttribute('stroke') || '').toUpperCase();
      if (colors.indexOf(fill) < 0 && colors.indexOf(stroke) < 0) continue;
      marks++;
      var b = e.getBoundingClientRect(), tag = e.tagName.toLowerCase();
      var flat_ok = tag === 'polyline' || tag === 'line' || tag === 'path';
      if ((b.width > 0 && b.height > 0) || (flat_ok && (b.width > 0 || b.height > 0))) {
        sized++;
        kinds[tag] = (kinds[tag] || 0) + 1;
      }
    }
    var k = Object.keys(kinds).sort().map(function (t) { return t + ':' + kinds[t]; }).join(',') || '-';
    out.push(['chart', f.id, Math.round(r.left + window.scrollX), Math.round(r.top + window.scrollY),
              Math.round(r.width), Math.round(r.height), marks, sized, k].join(' '));
  }
  var d = document.documentElement;
  out.push('page ' + d.scrollWidth + ' ' + d.scrollHeight);
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = out.join('\n');
  document.body.appendChild(pre);
})();
</script>"#;

/// The chromium binary on PATH, if any.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n))).find(|p| p.is_file())
}

/// Runs chromium headless on `page` with `extra` arguments, stdout into
/// `stdout_to`; fails after two minutes.
fn run_chromium(bin: &Path, dir: &Path, page: &Path, extra: &[String], stdout_to: &Path) {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
    ]
    .map(String::from)
    .to_vec();
    args.push(format!("--user-data-dir={}", dir.join("profile").display()));
    args.extend(extra.iter().cloned());
    args.push(format!("file://{}", page.display()));
    let out = File::create(stdout_to).expect("stdout file");
    let err = File::create(dir.join("chromium.stderr")).expect("stderr file");
    let mut child = Command::new(bin)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match child.try_wait().expect("wait for chromium") {
            Some(status) => {
                let stderr = std::fs::read_to_string(dir.join("chromium.stderr")).unwrap_or_default();
                assert!(status.success(), "chromium {args:?} failed ({status}):\n{stderr}");
                return;
            }
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium {args:?} did not finish in two minutes");
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

#[derive(Debug)]
struct ChartBox {
    id: String,
    left: u32,
    top: u32,
    width: u32,
    height: u32,
    marks: usize,
    sized: usize,
    kinds: Vec<(String, usize)>,
}

impl ChartBox {
    fn kind(&self, tag: &str) -> usize {
        self.kinds.iter().find(|(t, _)| t == tag).map_or(0, |(_, c)| *c)
    }
}

fn parse_probe(dom: &str) -> (Vec<ChartBox>, (u32, u32)) {
    let start = dom.find("<pre id=\"probe\">").expect("the probe ran and wrote its <pre>") + "<pre id=\"probe\">".len();
    let end = start + dom[start..].find("</pre>").expect("end of the probe");
    let mut charts = Vec::new();
    let mut page = (0, 0);
    for line in dom[start..end].lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let n =
            |i: usize| -> u32 { f[i].parse::<i64>().unwrap_or_else(|_| panic!("number in {line:?}")).max(0) as u32 };
        match f.first() {
            Some(&"chart") => charts.push(ChartBox {
                id: f[1].to_string(),
                left: n(2),
                top: n(3),
                width: n(4),
                height: n(5),
                marks: n(6) as usize,
                sized: n(7) as usize,
                kinds: f[8]
                    .split(',')
                    .filter_map(|kv| kv.split_once(':'))
                    .map(|(k, v)| (k.to_string(), v.parse().expect("count")))
                    .collect(),
            }),
            Some(&"page") => page = (n(1), n(2)),
            _ => {}
        }
    }
    (charts, page)
}

/// RGB pixels of a PNG screenshot.
fn decode(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(File::open(path).expect("screenshot")));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a screenshot fits in memory")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let channels = info.color_type.samples();
    assert!(channels >= 3 && info.bit_depth == png::BitDepth::Eight, "unexpected PNG {info:?}");
    let px = buf[..info.buffer_size()].chunks(channels).map(|c| [c[0], c[1], c[2]]).collect();
    (info.width, info.height, px)
}

#[test]
fn every_chart_is_drawn_in_headless_chromium() {
    let Some(bin) = chromium() else {
        assert!(
            !acctscore_testkit::required(),
            "chromium is not installed and ACCTSCORE_REQUIRE_SHARED=1: install the Debian package `chromium`"
        );
        eprintln!("skipping: chromium is not on PATH (set ACCTSCORE_REQUIRE_SHARED=1 to make this a failure)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("acctscore-report-chromium-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");

    let input = common::input(400, 7);
    let report = dir.join("report.html");
    acctscore_report::write_html(&report, &input).expect("write the report");
    let html = std::fs::read_to_string(&report).expect("read it back");
    // Self-contained: no address but the SVG namespace, no script, no link.
    let bare = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!bare.contains("http") && !bare.contains("<script") && !bare.contains("<link"), "self-contained");

    // 1. Layout: the probe copy (the report plus the script at the end of its body).
    let probe = dir.join("probe.html");
    std::fs::write(&probe, html.replacen("</body>", &format!("{PROBE}\n</body>"), 1)).expect("probe page");
    let dom = dir.join("dom.html");
    run_chromium(&bin, &dir, &probe, &[format!("--window-size={WIDTH},1000"), "--dump-dom".into()], &dom);
    let (charts, (page_w, page_h)) = parse_probe(&std::fs::read_to_string(&dom).expect("dumped DOM"));
    let ids: Vec<&str> = charts.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["chart-gains", "chart-reliability", "chart-tiers", "chart-migration", "chart-factors"]);
    assert!(page_w <= WIDTH, "the page is wider than the window: {page_w}");

    // Each chart's SVG holds its marks with a non-zero size: lines, points, bars, cells.
    let want: [(&str, &[(&str, usize)]); 5] = [
        ("chart-gains", &[("polyline", 1), ("circle", 11), ("rect", 10)]),
        ("chart-reliability", &[("polyline", 1), ("circle", 3)]),
        ("chart-tiers", &[("rect", 8)]),
        ("chart-migration", &[("rect", 16)]),
        ("chart-factors", &[("rect", 8)]),
    ];
    for (c, (id, kinds)) in charts.iter().zip(want) {
        assert_eq!(c.id, id);
        assert!(c.width >= 300 && c.height >= 200, "{id}: box {c:?}");
        assert!(c.marks > 0 && c.sized == c.marks, "{id}: marks without a size: {c:?}");
        for &(tag, min) in kinds {
            assert!(c.kind(tag) >= min, "{id}: expected at least {min} sized <{tag}> marks: {c:?}");
        }
    }

    // 2. Pixels: a screenshot of the whole page (the report itself, no script).
    let shot = dir.join("report.png");
    let height = page_h.clamp(600, 12_000);
    run_chromium(
        &bin,
        &dir,
        &report,
        &[format!("--window-size={WIDTH},{height}"), format!("--screenshot={}", shot.display())],
        &dir.join("shot.stdout"),
    );
    let (w, h, px) = decode(&shot);
    assert_eq!((w, h), (WIDTH, height), "screenshot size");
    for c in &charts {
        assert!(c.left + c.width <= w && c.top + c.height <= h, "{}: box outside the screenshot: {c:?}", c.id);
        let (mut ink, mut colour) = (0usize, 0usize);
        for y in c.top..c.top + c.height {
            for x in c.left..c.left + c.width {
                let [r, g, b] = px[(y * w + x) as usize];
                if r.min(g).min(b) < 235 {
                    ink += 1;
                }
                if r.max(g).max(b) - r.min(g).min(b) > 60 {
                    colour += 1;
                }
            }
        }
        let area = (c.width * c.height) as f64;
        let (ink_share, colour_share) = (ink as f64 / area, colour as f64 / area);
        eprintln!("{}: {:.1}% drawn, {:.1}% in colour", c.id, ink_share * 100.0, colour_share * 100.0);
        assert!(ink_share >= 0.03, "{}: only {:.2}% of its box is drawn", c.id, ink_share * 100.0);
        assert!(colour_share >= 0.01, "{}: only {:.2}% of its box is coloured marks", c.id, colour_share * 100.0);
    }
    if std::env::var_os("ACCTSCORE_REPORT_KEEP").is_some() {
        eprintln!("kept the report, its probe and screenshot in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
