//! The page: one HTML document, styles inline, charts as inline SVG, no
//! script and no link to anything outside it.

use crate::charts::{Chart, Charts, DrawResult, short};
use crate::figures::{self, Figures, Migration};
use crate::input::{ReportInput, Tier};
use std::fmt::Write;

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;padding:24px 32px;color:#222;background:#fff}\
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:0 0 6px}\
.sub{color:#555;margin:0 0 16px}\
.headline{display:flex;flex-wrap:wrap;gap:12px;margin:0 0 24px;padding:0}\
.headline div{border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:150px}\
.headline dt{font-size:13px;color:#555}.headline dd{font-size:26px;font-weight:600;margin:2px 0 0}\
section{margin:0 0 32px;border-top:1px solid #eee;padding-top:16px}\
.note{color:#555;margin:0 0 10px;max-width:1100px}\
.row{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}\
figure.chart{margin:0;flex:none;line-height:0}\
.row>div{flex:1 1 360px;min-width:320px}\
table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}\
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f5f5f5}\
td.code,th.code{text-align:left}\
.absent{background:#fff8e1;border:1px solid #f0d98c;border-radius:6px;padding:10px 14px;max-width:1100px}\
footer{color:#888;font-size:12px}";

/// Escapes text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A number in a table: four decimals.
pub(crate) fn num(x: f64) -> String {
    format!("{x:.4}")
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".to_string(), |v| format!("{:.1}%", v * 100.0))
}

fn tiers_from(t: Tier) -> String {
    match t {
        Tier::A => "tier A".to_string(),
        other => format!("tiers A–{}", other.letter()),
    }
}

/// The whole page.
pub(crate) fn page(input: &ReportInput) -> String {
    let mut o = String::with_capacity(256 * 1024);
    let title = esc(&input.title);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{title}</h1>\n"
    );
    match Figures::compute(input) {
        Ok(f) => body(&mut o, input, &f),
        Err(e) => {
            let _ = writeln!(o, "</header>\n<p class=\"absent\">{}</p>", esc(&figures::describe(&e)));
        }
    }
    let _ = write!(
        o,
        "<footer>acctscore-report {}: one file, no network; charts drawn with plotters.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    o
}

fn headline_item(o: &mut String, id: &str, label: &str, value: Option<f64>, shown: &str, title: &str) {
    let data = value.map_or_else(String::new, |v| format!(" data-value=\"{v}\""));
    let _ = writeln!(
        o,
        "<div title=\"{}\"><dt>{}</dt><dd id=\"{id}\"{data}>{}</dd></div>",
        esc(title),
        esc(label),
        esc(shown)
    );
}

fn body(o: &mut String, input: &ReportInput, f: &Figures) {
    let h = &f.headline;
    let base = h.converted as f64 / h.accounts as f64;
    let qualified = tiers_from(input.qualified_from);
    let _ = writeln!(
        o,
        "<p class=\"sub\">{} accounts, {} converted (base rate {:.1}%); score: <code>{}</code>; qualified: {} ({} accounts).</p>",
        h.accounts,
        h.converted,
        base * 100.0,
        esc(&input.score_name),
        qualified,
        h.qualified
    );
    o.push_str("<dl class=\"headline\">\n");
    headline_item(o, "h-auc", "AUC", Some(h.auc), &format!("{:.3}", h.auc), "area under the ROC curve of the score");
    headline_item(
        o,
        "h-qualified-converted",
        "Qualified → converted",
        h.qualified_converted,
        &pct(h.qualified_converted),
        &format!("share of the accounts in {qualified} that converted"),
    );
    headline_item(
        o,
        "h-conversions-qualified",
        "Conversions qualified",
        h.conversions_qualified,
        &pct(h.conversions_qualified),
        &format!("share of the conversions whose account was in {qualified}"),
    );
    headline_item(
        o,
        "h-lift",
        "Lift at top decile",
        Some(h.lift_top_decile),
        &format!("{:.2}×", h.lift_top_decile),
        "conversion rate of the best-scored tenth over the base rate",
    );
    headline_item(
        o,
        "h-ece",
        "ECE",
        Some(h.ece),
        &format!("{:.3}", h.ece),
        "expected calibration error, 10 equal-width bins weighted by accounts",
    );
    o.push_str("</dl>\n</header>\n");
    let charts = Charts::draw(f);

    section_start(
        o,
        "gains",
        "Cumulative gains and lift",
        &format!(
            "Accounts ranked by {} and cut into deciles. Gains: the share of all conversions found by working the best deciles (dashed: random order). Lift: each decile's conversion rate over the base rate.",
            esc(&input.score_name)
        ),
    );
    chart_or_error(o, "gains", &charts.gains);
    gains_table(o, f);
    section_end(o);

    section_start(
        o,
        "reliability",
        "Reliability diagram",
        "Accounts binned by predicted probability (10 equal-width bins); each point is a bin's mean prediction against its observed conversion rate. On the dashed diagonal the score is calibrated.",
    );
    chart_or_error(o, "reliability", &charts.reliability);
    reliability_table(o, f);
    section_end(o);

    section_start(
        o,
        "tiers",
        "Score distribution by tier",
        "How the scores of each tier spread (stacked histogram), and each tier's conversion.",
    );
    chart_or_error(o, "tiers", &charts.tiers);
    tiers_table(o, f);
    section_end(o);

    section_start(
        o,
        "migration",
        "Tier migration against the baseline",
        "Accounts by their tier in the baseline scoring (rows) and in this one (columns); the diagonal stayed.",
    );
    match (&f.migration, &charts.migration) {
        (Some(m), Some(c)) => migration_section(o, m, c),
        _ => o.push_str("<p class=\"absent\" id=\"migration-absent\">No baseline scoring was given, so there is no tier migration to show. Give one (e.g. <code>--baseline FILE</code>) to compare tiers and score drift (PSI) against it.</p>\n"),
    }
    section_end(o);

    section_start(
        o,
        "factors",
        "Top factors across the pool",
        "Reason codes by total absolute contribution over all accounts (how much they drive scores), with how often they appear.",
    );
    match (&f.factors, &charts.factors) {
        (Some(fa), Some(c)) => {
            match c {
                Ok(Some(c)) => chart(o, "factors", c),
                Ok(None) => o.push_str("<p class=\"absent\" id=\"factors-absent\">No account has a reason other than <code>other</code>.</p>\n"),
                Err(e) => chart_error(o, "factors", &e.to_string()),
            }
            factors_table(o, fa, h.accounts);
        }
        _ => o.push_str("<p class=\"absent\" id=\"factors-absent\">No reasons were given for the accounts, so there are no factors to rank.</p>\n"),
    }
    section_end(o);
}

fn section_start(o: &mut String, id: &str, title: &str, note: &str) {
    let _ = write!(
        o,
        "<section id=\"{id}\">\n<h2>{}</h2>\n<p class=\"note\">{note}</p>\n<div class=\"row\">\n",
        esc(title)
    );
}

fn section_end(o: &mut String) {
    o.push_str("</div>\n</section>\n");
}

fn chart_error(o: &mut String, id: &str, e: &str) {
    let _ = writeln!(o, "<p class=\"absent\" id=\"chart-{id}-error\">The chart could not be drawn: {}</p>", esc(e));
}

fn chart(o: &mut String, id: &str, c: &Chart) {
    let svg = c.svg.trim_end().replacen("<svg ", "<svg role=\"img\" ", 1);
    let _ = write!(
        o,
        "<figure class=\"chart\" id=\"chart-{id}\" data-marks=\"{}\">\n{svg}\n</figure>\n",
        c.marks.join(" ")
    );
}

fn chart_or_error(o: &mut String, id: &str, c: &DrawResult<Chart>) {
    match c {
        Ok(c) => chart(o, id, c),
        Err(e) => chart_error(o, id, &e.to_string()),
    }
}

fn table_start(o: &mut String, id: &str, head: &[&str]) {
    let _ = write!(o, "<table id=\"table-{id}\">\n<thead><tr>");
    for (i, h) in head.iter().enumerate() {
        let class = if i == 0 { " class=\"code\"" } else { "" };
        let _ = write!(o, "<th{class}>{}</th>", esc(h));
    }
    o.push_str("</tr></thead>\n<tbody>\n");
}

fn row(o: &mut String, cells: &[String]) {
    o.push_str("<tr>");
    for (i, c) in cells.iter().enumerate() {
        let class = if i == 0 { " class=\"code\"" } else { "" };
        let _ = write!(o, "<td{class}>{c}</td>");
    }
    o.push_str("</tr>\n");
}

fn table_end(o: &mut String) {
    o.push_str("</tbody>\n</table>\n");
}

fn gains_table(o: &mut String, f: &Figures) {
    table_start(o, "gains", &["decile", "accounts", "converted", "rate", "lift", "cum. gain", "cum. lift"]);
    for r in &f.gains {
        row(
            o,
            &[
                r.group.to_string(),
                r.rows.to_string(),
                num(r.positives),
                num(r.rate),
                num(r.lift),
                num(r.cumulative_gain),
                num(r.cumulative_lift),
            ],
        );
    }
    table_end(o);
}

fn reliability_table(o: &mut String, f: &Figures) {
    table_start(o, "reliability", &["bin", "accounts", "mean predicted", "observed", "gap"]);
    for (i, p) in f.reliability.iter().enumerate() {
        row(
            o,
            &[
                (i + 1).to_string(),
                p.count.to_string(),
                num(p.mean_predicted),
                num(p.fraction_positive),
                num(p.fraction_positive - p.mean_predicted),
            ],
        );
    }
    table_end(o);
}

fn tiers_table(o: &mut String, f: &Figures) {
    table_start(
        o,
        "tiers",
        &["tier", "accounts", "share", "converted", "conversion rate", "min score", "mean score", "max score"],
    );
    let n = f.headline.accounts.max(1) as f64;
    for r in &f.tiers {
        let rate = if r.accounts > 0 { num(r.converted as f64 / r.accounts as f64) } else { "n/a".into() };
        let (min, mean, max) = if r.accounts > 0 {
            (num(r.min), num(r.mean), num(r.max))
        } else {
            ("–".into(), "–".into(), "–".into())
        };
        row(
            o,
            &[
                r.tier.letter().to_string(),
                r.accounts.to_string(),
                num(r.accounts as f64 / n),
                r.converted.to_string(),
                rate,
                min,
                mean,
                max,
            ],
        );
    }
    table_end(o);
}

fn migration_section(o: &mut String, m: &Migration, c: &DrawResult<Option<Chart>>) {
    let unmatched = if m.current_unmatched + m.baseline_unmatched > 0 {
        format!(
            " {} current accounts have no baseline row and {} baseline rows have no current account; they are left out of the comparison.",
            m.current_unmatched, m.baseline_unmatched
        )
    } else {
        String::new()
    };
    let (Some(matrix), Ok(Some(chart_ok))) = (&m.matrix, c) else {
        if let Err(e) = c {
            chart_error(o, "migration", &e.to_string());
        }
        let _ = writeln!(
            o,
            "<p class=\"absent\" id=\"migration-absent\">The baseline scoring shares no account with this one, so there is no tier migration to show.{unmatched}</p>"
        );
        return;
    };
    chart(o, "migration", chart_ok);
    o.push_str("<div>\n");
    table_start(o, "migration", &["baseline \\ current", "A", "B", "C", "D", "all"]);
    for &from in &Tier::ALL {
        let counts: Vec<u64> = Tier::ALL.iter().map(|&to| matrix.count(from.rank(), to.rank())).collect();
        let mut cells = vec![from.letter().to_string()];
        cells.extend(counts.iter().map(u64::to_string));
        cells.push(counts.iter().sum::<u64>().to_string());
        row(o, &cells);
    }
    table_end(o);
    let psi = m.psi.as_ref().map_or_else(|| "n/a".to_string(), |p| num(p.psi));
    let _ = writeln!(
        o,
        "<p class=\"note\" id=\"migration-summary\">{} accounts compared: {} stayed ({:.1}%), {} moved up, {} moved down. Score drift, population stability index over 10 baseline quantile bins: <b id=\"psi\">{psi}</b> (&lt; 0.1 stable, 0.1–0.25 watch, &gt; 0.25 shifted).{unmatched}</p>",
        m.matched,
        matrix.stayed(),
        matrix.stability() * 100.0,
        matrix.upgraded(),
        matrix.downgraded()
    );
    o.push_str("</div>\n");
}

fn factors_table(o: &mut String, fa: &figures::Factors, accounts: usize) {
    o.push_str("<div>\n");
    table_start(o, "factors", &["code", "accounts", "share of accounts", "mean contribution", "total |contribution|"]);
    for r in &fa.top {
        row(
            o,
            &[
                esc(&short(&r.code, 40)),
                r.accounts.to_string(),
                num(r.accounts as f64 / accounts.max(1) as f64),
                num(r.sum / r.accounts.max(1) as f64),
                num(r.sum_abs),
            ],
        );
    }
    table_end(o);
    let mut note = format!("{} of {} codes shown.", fa.top.len(), fa.codes);
    if let Some(other) = &fa.other {
        let _ = write!(
            note,
            " <code>{}</code> (the factors each account's reasons leave out, summed) is not ranked: {} accounts, total |contribution| {}.",
            figures::OTHER_CODE,
            other.accounts,
            num(other.sum_abs)
        );
    }
    let _ = writeln!(o, "<p class=\"note\">{note}</p>\n</div>");
}
