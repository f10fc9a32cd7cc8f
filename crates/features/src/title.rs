//! Job-title normaliser: free text typed by hand → seniority and function.
//!
//! `"Sr. Director Marketing"`, `"VP of Sales"`, `"eCommerce Mgr"`,
//! `"C.E.O."`, `"Mkrteting Manager"` (a typo) all map to a small fixed set
//! of [`Seniority`] and [`JobFunction`] buckets. Steps:
//!
//! 1. lower case; the letters and digits alone (`"v.p. marketing"` →
//!    `"vpmarketing"`) are split into known words with the fewest words
//!    (this also repairs typos that moved a space or a dot);
//! 2. otherwise the words between separators are taken one by one, and a
//!    word that is not known is replaced by the known word within a
//!    Damerau–Levenshtein distance of 1 (words of 4–8 letters) or 2 (longer
//!    words), when exactly one such word is closest;
//! 3. ordered rules on the words pick the seniority (founder/owner, then
//!    C-level, VP, head/lead, director, manager, junior, else individual
//!    contributor) and the function.
//!
//! ```
//! use acctscore_features::title::{normalise, Seniority, JobFunction};
//!
//! let t = normalise("Sr. Director, Mktg");
//! assert_eq!((t.seniority, t.function), (Seniority::Director, JobFunction::Marketing));
//! assert_eq!(normalise("V.P. Sales").seniority, Seniority::Vp);
//! assert_eq!(normalise("Mrakeitng Manager").function, JobFunction::Marketing); // two typos, long word
//! assert_eq!(normalise("  ").seniority, Seniority::Missing);
//! ```

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Seniority bucket of a job title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seniority {
    /// CEO, CTO, chief anything, president.
    Clevel,
    /// Founder, co-founder, owner.
    Founder,
    /// Vice president (VP, SVP, EVP).
    Vp,
    /// Head of, lead.
    Head,
    /// Director.
    Director,
    /// Manager, product manager/owner.
    Manager,
    /// Individual contributor (the default for a non-empty title).
    Ic,
    /// Intern, assistant, junior, coordinator, associate.
    Junior,
    /// No title.
    Missing,
}

impl Seniority {
    /// Every bucket, in a fixed order.
    pub const ALL: [Seniority; 9] = [
        Seniority::Clevel,
        Seniority::Founder,
        Seniority::Vp,
        Seniority::Head,
        Seniority::Director,
        Seniority::Manager,
        Seniority::Ic,
        Seniority::Junior,
        Seniority::Missing,
    ];

    /// Stable lower-case name (`clevel`, `vp`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Seniority::Clevel => "clevel",
            Seniority::Founder => "founder",
            Seniority::Vp => "vp",
            Seniority::Head => "head",
            Seniority::Director => "director",
            Seniority::Manager => "manager",
            Seniority::Ic => "ic",
            Seniority::Junior => "junior",
            Seniority::Missing => "missing",
        }
    }
}

/// Function bucket of a job title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobFunction {
    /// E-commerce, online store.
    Ecommerce,
    /// Marketing, growth, SEO, content.
    Marketing,
    /// Sales, account executives, SDR/BDR.
    Sales,
    /// Engineering, software, technology.
    Engineering,
    /// Operations.
    Operations,
    /// Product management.
    Product,
    /// General management: CEO, founder, owner, president.
    Executive,
    /// Anything else.
    Other,
    /// No title.
    Missing,
}

impl JobFunction {
    /// Every bucket, in a fixed order.
    pub const ALL: [JobFunction; 9] = [
        JobFunction::Ecommerce,
        JobFunction::Marketing,
        JobFunction::Sales,
        JobFunction::Engineering,
        JobFunction::Operations,
        JobFunction::Product,
        JobFunction::Executive,
        JobFunction::Other,
        JobFunction::Missing,
    ];

    /// Stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobFunction::Ecommerce => "ecommerce",
            JobFunction::Marketing => "marketing",
            JobFunction::Sales => "sales",
            JobFunction::Engineering => "engineering",
            JobFunction::Operations => "operations",
            JobFunction::Product => "product",
            JobFunction::Executive => "executive",
            JobFunction::Other => "other",
            JobFunction::Missing => "missing",
        }
    }
}

/// A normalised title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NormalisedTitle {
    /// Seniority bucket.
    pub seniority: Seniority,
    /// Function bucket.
    pub function: JobFunction,
}

/// Known words (lower case). Abbreviations are words of their own.
#[rustfmt::skip]
const VOCAB: &[&str] = &[
    // C-level and executive
    "ceo", "cto", "cmo", "coo", "cfo", "cio", "cro", "cpo", "chief", "executive", "exec", "officer", "president",
    "vice", "vp", "svp", "evp", "avp", "founder", "cofounder", "founding", "owner", "partner", "business", "general",
    "gm", "managing",
    // levels
    "head", "lead", "director", "dir", "manager", "mgr", "senior", "sr", "junior", "jr", "intern", "assistant",
    "associate", "coordinator", "principal", "staff", "specialist", "analyst", "consultant", "trainee",
    // functions
    "marketing", "mktg", "marketer", "growth", "seo", "content", "digital", "performance", "brand", "ecommerce", "ecom",
    "commerce", "online", "store", "shop", "sales", "account", "ae", "bdr", "sdr", "rep", "representative", "engineer",
    "engineering", "developer", "dev", "software", "full", "stack", "technology", "technical", "tech", "operations",
    "operating", "ops", "operator", "product", "pm", "finance", "hr", "people", "support", "customer", "success",
    "design", "designer", "data",
    // glue
    "of", "and", "the",
];

fn vocab() -> &'static HashSet<&'static str> {
    static V: OnceLock<HashSet<&'static str>> = OnceLock::new();
    V.get_or_init(|| VOCAB.iter().copied().collect())
}

/// Splits `s` into known words with the fewest words, if possible.
fn word_break(s: &str) -> Option<Vec<String>> {
    let v = vocab();
    let b = s.as_bytes();
    let n = b.len();
    // best[i] = (words, previous cut) for the prefix of length i.
    let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
    best[0] = Some((0, 0));
    for i in 1..=n {
        for j in i.saturating_sub(12)..i {
            let Some((w, _)) = best[j] else { continue };
            let Some(piece) = s.get(j..i) else { continue };
            if v.contains(piece) && best[i].is_none_or(|(bw, _)| w + 1 < bw) {
                best[i] = Some((w + 1, j));
            }
        }
    }
    best[n]?;
    let mut words = Vec::new();
    let mut i = n;
    while i > 0 {
        let (_, j) = best[i]?;
        words.push(s.get(j..i)?.to_string());
        i = j;
    }
    words.reverse();
    Some(words)
}

/// Optimal string alignment distance (Damerau–Levenshtein with adjacent
/// transpositions), stopping early above `max`.
fn osa_distance(a: &[u8], b: &[u8], max: usize) -> usize {
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        let mut row_min = usize::MAX;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return max + 1;
        }
    }
    d[n][m]
}

/// The closest known word within the allowed distance, when unique.
fn correct(word: &str) -> Option<&'static str> {
    let max = match word.len() {
        0..=2 => return None,
        3 => {
            // Three letters: only a swap of two neighbours (`coe` → `ceo`).
            let b = word.as_bytes();
            let hits: Vec<&'static str> = (0..2)
                .filter_map(|i| {
                    let mut s = b.to_vec();
                    s.swap(i, i + 1);
                    VOCAB.iter().copied().find(|v| v.as_bytes() == s.as_slice())
                })
                .collect();
            return if hits.len() == 1 { hits.first().copied() } else { None };
        }
        4..=8 => 1,
        _ => 2,
    };
    let mut best: Option<(usize, &'static str)> = None;
    let mut tie = false;
    for &v in VOCAB {
        if v.len() < 4 {
            continue;
        }
        let d = osa_distance(word.as_bytes(), v.as_bytes(), max);
        if d > max {
            continue;
        }
        match best {
            Some((bd, _)) if d > bd => {}
            Some((bd, _)) if d == bd => tie = true,
            _ => {
                best = Some((d, v));
                tie = false;
            }
        }
    }
    if tie { None } else { best.map(|(_, v)| v) }
}

/// The words of a title after folding and repair (see the module docs).
pub fn title_words(title: &str) -> Vec<String> {
    let lower = title.to_lowercase();
    let compact: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    if compact.is_empty() {
        return Vec::new();
    }
    if let Some(words) = word_break(&compact) {
        return words;
    }
    let v = vocab();
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .flat_map(|w| {
            if v.contains(w) {
                vec![w.to_string()]
            } else if let Some(ws) = word_break(w) {
                ws
            } else {
                vec![correct(w).map_or_else(|| w.to_string(), str::to_string)]
            }
        })
        .collect()
}

/// Normalises one title (empty or whitespace-only → [`Seniority::Missing`]).
pub fn normalise(title: &str) -> NormalisedTitle {
    let words = title_words(title);
    classify(&words)
}

fn classify(words: &[String]) -> NormalisedTitle {
    if words.is_empty() {
        return NormalisedTitle { seniority: Seniority::Missing, function: JobFunction::Missing };
    }
    let has = |w: &str| words.iter().any(|x| x == w);
    let any = |ws: &[&str]| ws.iter().any(|w| has(w));
    let product_owner = words.windows(2).any(|p| p[0] == "product" && p[1] == "owner");
    let vice_president = words.windows(2).any(|p| p[0] == "vice" && p[1] == "president");
    let seniority = if any(&["founder", "cofounder", "founding"]) || (has("owner") && !product_owner) {
        Seniority::Founder
    } else if any(&["ceo", "cto", "cmo", "coo", "cfo", "cio", "cro", "cpo", "chief"])
        || (has("president") && !vice_president)
    {
        Seniority::Clevel
    } else if any(&["vp", "svp", "evp", "avp"]) || vice_president {
        Seniority::Vp
    } else if any(&["head", "lead"]) {
        Seniority::Head
    } else if any(&["director", "dir"]) {
        Seniority::Director
    } else if any(&["manager", "mgr", "pm", "gm"]) || product_owner {
        Seniority::Manager
    } else if any(&["intern", "assistant", "junior", "jr", "coordinator", "associate", "trainee"]) {
        Seniority::Junior
    } else {
        Seniority::Ic
    };
    let ecommerce = any(&["ecommerce", "ecom", "online", "store", "shop"])
        || words.windows(2).any(|p| (p[0] == "e" || p[0] == "digital") && p[1] == "commerce");
    let function = if ecommerce {
        JobFunction::Ecommerce
    } else if any(&["marketing", "mktg", "marketer", "growth", "seo", "content", "cmo", "brand"]) {
        JobFunction::Marketing
    } else if any(&["sales", "ae", "bdr", "sdr", "rep", "representative", "cro"])
        || words.windows(2).any(|p| p[0] == "account" && (p[1] == "executive" || p[1] == "exec"))
    {
        JobFunction::Sales
    } else if any(&[
        "engineer", "engineering", "developer", "dev", "software", "cto", "technology", "technical", "tech",
    ]) {
        JobFunction::Engineering
    } else if any(&["operations", "operating", "ops", "coo", "operator"]) {
        JobFunction::Operations
    } else if any(&["product", "pm", "cpo"]) {
        JobFunction::Product
    } else if any(&["ceo", "chief", "founder", "cofounder", "founding", "owner", "president", "gm", "managing"]) {
        JobFunction::Executive
    } else {
        JobFunction::Other
    };
    NormalisedTitle { seniority, function }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benchmark_spellings_map_to_their_buckets() {
        use Seniority::*;
        let cases: &[(&str, Seniority)] = &[
            ("CEO", Clevel),
            ("C.E.O.", Clevel),
            ("Chief Exec Officer", Clevel),
            ("Founder & CEO", Founder),
            ("Co-Founder, CEO", Founder),
            ("co founder", Founder),
            ("Founder/Owner", Founder),
            ("Founding Partner", Founder),
            ("Owner/Operator", Founder),
            ("Shop owner", Founder),
            ("Chief Technical Officer", Clevel),
            ("Chief Mktg Officer", Clevel),
            ("VP Marketing", Vp),
            ("Vice President, Marketing", Vp),
            ("V.P. Marketing", Vp),
            ("SVP, Sales", Vp),
            ("VP, Growth Marketing", Vp),
            ("Head of E-commerce", Head),
            ("head of ecom", Head),
            ("Growth Lead", Head),
            ("Dir. Marketing", Director),
            ("Sr. Director Marketing", Director),
            ("Dir of eCommerce", Director),
            ("Director, Digital", Director),
            ("E-Commerce Mgr.", Manager),
            ("eCom Manager", Manager),
            ("Online Store Manager", Manager),
            ("Mktg Manager", Manager),
            ("ops mgr", Manager),
            ("PM", Manager),
            ("Product Owner", Manager),
            ("Sr Product Manager", Manager),
            ("Marketing Specialist", Ic),
            ("SEO Specialist", Ic),
            ("Content Marketer", Ic),
            ("Full Stack Developer", Ic),
            ("software dev", Ic),
            ("Account Executive", Ic),
            ("AE", Ic),
            ("SDR", Ic),
            ("Intern", Junior),
            ("Jr. Marketing Associate", Junior),
            ("Coordinator", Junior),
            ("", Missing),
        ];
        for (t, s) in cases {
            assert_eq!(normalise(t).seniority, *s, "{t}");
        }
    }

    #[test]
    fn typos_and_noise_are_repaired() {
        // The generator's typo swaps two adjacent characters; it also adds
        // case changes, padding, a trailing dot and doubled spaces.
        for (t, s, f) in [
            ("Mraketing Manager", Seniority::Manager, JobFunction::Marketing),
            ("VPM arketing", Seniority::Vp, JobFunction::Marketing),
            ("Driector of Marketing", Seniority::Director, JobFunction::Marketing),
            ("Ecommerce Manaegr", Seniority::Manager, JobFunction::Ecommerce),
            ("Chief Executive Offcier", Seniority::Clevel, JobFunction::Executive),
            ("  SALES REP. ", Seniority::Ic, JobFunction::Sales),
            ("Head  of  Growth.", Seniority::Head, JobFunction::Marketing),
            ("Foudner", Seniority::Founder, JobFunction::Executive),
            ("Software Enigneer", Seniority::Ic, JobFunction::Engineering),
            ("COE ", Seniority::Clevel, JobFunction::Executive),
        ] {
            let n = normalise(t);
            assert_eq!((n.seniority, n.function), (s, f), "{t}");
        }
    }

    /// Every spelling of the benchmark generator (`../shared/bench/gen_data.py`
    /// TITLES) with its noise: case, padding, trailing dot, doubled spaces,
    /// and the swap of two neighbours at every position.
    #[test]
    fn benchmark_generator_spellings_and_noise() {
        let spellings: &[(&str, &str)] = &[
            ("CEO", "clevel"),
            ("ceo", "clevel"),
            ("C.E.O.", "clevel"),
            ("Chief Executive Officer", "clevel"),
            ("Chief Exec Officer", "clevel"),
            ("CEO ", "clevel"),
            ("Ceo", "clevel"),
            ("Founder", "founder"),
            ("founder", "founder"),
            ("Co-Founder", "founder"),
            ("Co-founder", "founder"),
            ("Cofounder", "founder"),
            ("co founder", "founder"),
            ("Founder & CEO", "founder"),
            ("Co-Founder, CEO", "founder"),
            ("Founder/Owner", "founder"),
            ("Founding Partner", "founder"),
            ("Owner", "founder"),
            ("owner", "founder"),
            ("Business Owner", "founder"),
            ("Store Owner", "founder"),
            ("Owner/Operator", "founder"),
            ("Shop owner", "founder"),
            ("CTO", "clevel"),
            ("Chief Technology Officer", "clevel"),
            ("cto", "clevel"),
            ("Chief Technical Officer", "clevel"),
            ("CMO", "clevel"),
            ("Chief Marketing Officer", "clevel"),
            ("cmo", "clevel"),
            ("Chief Mktg Officer", "clevel"),
            ("COO", "clevel"),
            ("Chief Operating Officer", "clevel"),
            ("coo", "clevel"),
            ("VP Marketing", "vp"),
            ("VP of Marketing", "vp"),
            ("Vice President, Marketing", "vp"),
            ("V.P. Marketing", "vp"),
            ("vp marketing", "vp"),
            ("Vice President of Marketing", "vp"),
            ("SVP Marketing", "vp"),
            ("VP, Growth Marketing", "vp"),
            ("VP Sales", "vp"),
            ("VP of Sales", "vp"),
            ("Vice President Sales", "vp"),
            ("vp sales", "vp"),
            ("SVP, Sales", "vp"),
            ("Head of Growth", "head"),
            ("head of growth", "head"),
            ("Growth Lead", "head"),
            ("Head Of Growth", "head"),
            ("Head of E-commerce", "head"),
            ("Head of eCommerce", "head"),
            ("Head of Ecommerce", "head"),
            ("head of ecom", "head"),
            ("Head of Digital Commerce", "head"),
            ("Head of Online", "head"),
            ("Director of Marketing", "director"),
            ("Marketing Director", "director"),
            ("Dir. Marketing", "director"),
            ("Director, Marketing", "director"),
            ("marketing director", "director"),
            ("Sr. Director Marketing", "director"),
            ("Director of E-Commerce", "director"),
            ("Ecommerce Director", "director"),
            ("E-commerce Director", "director"),
            ("Dir of eCommerce", "director"),
            ("Director, Digital", "director"),
            ("E-commerce Manager", "manager"),
            ("Ecommerce Manager", "manager"),
            ("eCommerce Mgr", "manager"),
            ("eCom Manager", "manager"),
            ("ecommerce manager", "manager"),
            ("E-Commerce Mgr.", "manager"),
            ("Online Store Manager", "manager"),
            ("Marketing Manager", "manager"),
            ("Mktg Manager", "manager"),
            ("Marketing Mgr", "manager"),
            ("marketing manager", "manager"),
            ("Sr. Marketing Manager", "manager"),
            ("Senior Marketing Manager", "manager"),
            ("Digital Marketing Manager", "manager"),
            ("Performance Marketing Manager", "manager"),
            ("Operations Manager", "manager"),
            ("Ops Manager", "manager"),
            ("ops mgr", "manager"),
            ("Head of Operations", "manager"),
            ("Product Manager", "manager"),
            ("PM", "manager"),
            ("Sr Product Manager", "manager"),
            ("Product Owner", "manager"),
            ("Marketing Specialist", "ic"),
            ("Digital Marketing Specialist", "ic"),
            ("Growth Marketer", "ic"),
            ("marketing specialist", "ic"),
            ("Mktg Specialist", "ic"),
            ("SEO Specialist", "ic"),
            ("Content Marketer", "ic"),
            ("Software Engineer", "ic"),
            ("Developer", "ic"),
            ("Sr. Software Engineer", "ic"),
            ("software dev", "ic"),
            ("Full Stack Developer", "ic"),
            ("Engineer", "ic"),
            ("Account Executive", "ic"),
            ("Sales Rep", "ic"),
            ("Sales Representative", "ic"),
            ("AE", "ic"),
            ("BDR", "ic"),
            ("SDR", "ic"),
            ("Intern", "junior"),
            ("Marketing Intern", "junior"),
            ("Assistant", "junior"),
            ("Marketing Assistant", "junior"),
            ("Jr. Marketing Associate", "junior"),
            ("Junior Marketer", "junior"),
            ("Coordinator", "junior"),
        ];
        let (mut ok, mut total) = (0usize, 0usize);
        let mut clean_misses = Vec::new();
        for (v, bucket) in spellings {
            let mut forms = vec![
                v.to_string(),
                v.to_uppercase(),
                v.to_lowercase(),
                format!("  {v} "),
                format!("{v}."),
                v.replace(' ', "  "),
            ];
            let chars: Vec<char> = v.chars().collect();
            if chars.len() >= 4 {
                for i in 1..chars.len() - 2 {
                    let mut c = chars.clone();
                    c.swap(i, i + 1);
                    forms.push(c.into_iter().collect());
                }
            }
            for (k, f) in forms.iter().enumerate() {
                total += 1;
                if normalise(f).seniority.as_str() == *bucket {
                    ok += 1;
                } else if k == 0 {
                    clean_misses.push(*v);
                }
            }
        }
        let accuracy = ok as f64 / total as f64;
        println!("title seniority accuracy on {total} generator forms: {accuracy:.4}");
        // "Head of Operations" is a manager in the generator's truth but a head by its words.
        assert!(clean_misses.iter().all(|m| *m == "Head of Operations"), "{clean_misses:?}");
        assert!(accuracy >= 0.95, "{accuracy}");
    }

    #[test]
    fn distance_is_osa() {
        assert_eq!(osa_distance(b"manager", b"manaegr", 2), 1);
        assert_eq!(osa_distance(b"abc", b"abc", 1), 0);
        assert_eq!(osa_distance(b"kitten", b"sitting", 5), 3);
        assert!(osa_distance(b"a", b"abcdef", 1) > 1);
    }
}
