//! Test support shared by acctscore's test suites (a dev-dependency only;
//! not published): where the real datasets are, whether a test must find
//! them, and the glob the bad-input tables match messages with.
//!
//! ```
//! use acctscore_testkit::glob_matches;
//! assert!(glob_matches("CSV line *: expected 3 fields, found *", "CSV line 3: expected 3 fields, found 2"));
//! assert!(!glob_matches("a*b", "ab c"));
//! ```

use std::path::PathBuf;

/// Whether a test must find what it needs outside the repository (the
/// shared datasets, a browser) instead of skipping: `ACCTSCORE_REQUIRE_SHARED=1`,
/// which CI sets.
pub fn required() -> bool {
    std::env::var("ACCTSCORE_REQUIRE_SHARED").is_ok_and(|v| v == "1")
}

/// The shared folder holding `data/`: `$ACCTSCORE_SHARED`, or `../shared`
/// beside the workspace. `None` (with a notice on stderr) when it has no
/// `data/` folder.
///
/// # Panics
/// When the folder is missing and [`required`] holds: the test fails
/// instead of passing without its data.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ACCTSCORE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    if dir.join("data").is_dir() {
        return Some(dir);
    }
    assert!(!required(), "ACCTSCORE_REQUIRE_SHARED=1 but {} has no data/ folder", dir.display());
    eprintln!("notice: skipping, shared data not found at {} (set ACCTSCORE_SHARED)", dir.display());
    None
}

/// Whether `text` matches `pattern`, where each `*` stands for any run of
/// characters (none included) and everything else for itself.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let Some((first, rest)) = parts.split_first() else { return text.is_empty() };
    if !text.starts_with(first) {
        return false;
    }
    let Some((last, middle)) = rest.split_last() else { return text.len() == first.len() };
    let mut at = first.len();
    for p in middle {
        match text[at..].find(p) {
            Some(k) => at += k + p.len(),
            None => return false,
        }
    }
    text.len() >= at + last.len() && text.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn the_glob_matches_as_documented() {
        assert!(glob_matches("a*c", "abbc"));
        assert!(glob_matches("abc", "abc"));
        assert!(!glob_matches("abc", "abcd"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*", "a"));
        assert!(!glob_matches("a*b*c", "acb"));
        assert!(glob_matches("*x*", "axb"));
        assert!(!glob_matches("ab*ba", "aba"));
    }
}
