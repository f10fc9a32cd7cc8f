//! Shared by the examples (each includes it with `#[path = "common/mod.rs"] mod common;`):
//!
//! - option checks for clap's `value_parser` (a number that is not finite or
//!   not in range is a usage error naming the option's value and the range);
//! - output written whole: a file through [`acctscore::core::write_atomic`]
//!   (a failed run leaves the previous file as it was), or stdout, where a
//!   reader that went away (`| head`) ends the output quietly instead of a
//!   broken-pipe panic.
//!
//! Its tests are in `tests/example_options.rs`.

// Each example uses a part of this module.
#![allow(dead_code)]

use std::io::{self, BufWriter, Write};
use std::path::Path;

/// An error of an example: anything that prints.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Whether `e`, or an error it wraps, is a broken pipe (stdout's reader closed it).
pub(crate) fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe) {
            return true;
        }
        if let Some(csv) = e.downcast_ref::<csv::Error>()
            && let csv::ErrorKind::Io(io) = csv.kind()
            && io.kind() == io::ErrorKind::BrokenPipe
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// Runs `body` with stdout (locked and buffered), flushed at the end. A
/// reader that went away (`| head`) ends the output early and quietly:
/// `Ok`, nothing more written.
///
/// # Errors
/// Other errors of `body` or of the flush.
pub(crate) fn to_stdout(body: impl FnOnce(&mut dyn Write) -> Result<(), BoxError>) -> Result<(), BoxError> {
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let result = body(&mut out).and_then(|()| out.flush().map_err(BoxError::from));
    quiet_broken_pipe(result)
}

/// `result`, with a broken pipe as `Ok`.
///
/// # Errors
/// Any other error of `result`.
pub(crate) fn quiet_broken_pipe(result: Result<(), BoxError>) -> Result<(), BoxError> {
    match result {
        Err(e) if is_broken_pipe(&*e) => Ok(()),
        other => other,
    }
}

/// Runs `body` on `path` written whole (a temporary file beside it, renamed
/// over it once `body` succeeded), or on stdout (as [`to_stdout`]) without a path.
///
/// # Errors
/// The errors of `body`, and of writing the file (naming it).
pub(crate) fn to_file_or_stdout(
    path: Option<&Path>,
    body: impl FnOnce(&mut dyn Write) -> Result<(), BoxError>,
) -> Result<(), BoxError> {
    match path {
        Some(path) => acctscore::core::write_atomic(path, body),
        None => to_stdout(body),
    }
}

/// A number: finite (no `NaN`, no infinity).
///
/// # Errors
/// Not a number, or not finite.
pub(crate) fn finite(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("`{s}` is not a number"))?;
    if v.is_finite() { Ok(v) } else { Err(format!("`{s}` is not a finite number")) }
}

/// A finite number in `[min, max]`.
///
/// # Errors
/// Not a finite number, or out of range.
pub(crate) fn finite_in(s: &str, min: f64, max: f64) -> Result<f64, String> {
    let v = finite(s)?;
    if (min..=max).contains(&v) { Ok(v) } else { Err(format!("`{s}` is not in [{min}, {max}]")) }
}

/// A probability: a finite number in `[0, 1]`.
///
/// # Errors
/// As [`finite_in`].
pub(crate) fn probability(s: &str) -> Result<f64, String> {
    finite_in(s, 0.0, 1.0)
}

/// An AUC threshold: a finite number in `[0.5, 1]` (below 0.5 every column
/// would be flagged: a reversed column scores `1 - AUC`).
///
/// # Errors
/// As [`finite_in`].
pub(crate) fn auc_threshold(s: &str) -> Result<f64, String> {
    finite_in(s, 0.5, 1.0)
}

/// A positive finite number (`> 0`).
///
/// # Errors
/// Not a finite number, or `<= 0`.
pub(crate) fn positive(s: &str) -> Result<f64, String> {
    let v = finite(s)?;
    if v > 0.0 { Ok(v) } else { Err(format!("`{s}` is not greater than 0")) }
}

/// A whole number in `[min, max]`.
///
/// # Errors
/// Not a whole number, or out of range.
pub(crate) fn count_in(s: &str, min: usize, max: usize) -> Result<usize, String> {
    let v: usize = s.trim().parse().map_err(|_| format!("`{s}` is not a whole number"))?;
    if (min..=max).contains(&v) { Ok(v) } else { Err(format!("`{s}` is not in [{min}, {max}]")) }
}

/// Most of anything counted by an option (rows, trees, points, ...): 100 million.
pub(crate) const MAX_COUNT: usize = 100_000_000;

/// A whole number in `[1, MAX_COUNT]`.
///
/// # Errors
/// As [`count_in`].
pub(crate) fn count(s: &str) -> Result<usize, String> {
    count_in(s, 1, MAX_COUNT)
}

/// An account count for the generator: in `[1, MAX_ACCOUNTS]`.
///
/// # Errors
/// As [`count_in`].
pub(crate) fn accounts(s: &str) -> Result<usize, String> {
    count_in(s, 1, acctscore::pool::MAX_ACCOUNTS)
}

/// Checks `lo <= hi` for two options (`--lo-name`, `--hi-name`).
///
/// # Errors
/// A message naming both options and values.
pub(crate) fn ordered(lo_name: &str, lo: f64, hi_name: &str, hi: f64) -> Result<(), String> {
    if lo <= hi { Ok(()) } else { Err(format!("{lo_name} ({lo}) must not be above {hi_name} ({hi})")) }
}

/// Checks that every column an option names (`--drop a,b`) exists.
///
/// # Errors
/// The first that does not, with the columns there are (at most 20, then "and N more").
pub(crate) fn columns_exist(option: &str, wanted: &[String], available: &[String]) -> Result<(), String> {
    const SHOWN: usize = 20;
    let Some(missing) = wanted.iter().find(|w| !available.contains(w)) else { return Ok(()) };
    let mut has = available.iter().take(SHOWN).map(String::as_str).collect::<Vec<_>>().join(", ");
    if available.len() > SHOWN {
        has.push_str(&format!(", and {} more", available.len() - SHOWN));
    }
    Err(format!("{option}: no column `{missing}`; the columns are: {has}"))
}

/// The target options of the examples that read a labelled CSV
/// (`#[command(flatten)]`): the column, its positive value, and values
/// whose rows are left out.
#[derive(clap::Args, Debug)]
pub(crate) struct TargetArgs {
    /// Target column.
    #[arg(long)]
    pub target: String,
    /// Target value read as positive (default `1`; needed when the target
    /// has more than two values).
    #[arg(long)]
    pub positive: Option<String>,
    /// Target values whose rows are left out (comma-separated), e.g. open deals.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
}

impl TargetArgs {
    /// The target as the quality report and the label reader take it.
    pub(crate) fn to_target(&self) -> acctscore::features::quality::Target {
        target(&self.target, self.positive.as_deref()).ignore(&self.ignore)
    }
}

/// The target `column` with its positive value when one was given. Without
/// one the positive value is `1` and a target of more than two values is
/// refused with its values and their rows (`FeaturesError::TargetValues`),
/// instead of reading every other value as negative.
pub(crate) fn target(column: &str, positive: Option<&str>) -> acctscore::features::quality::Target {
    let t = acctscore::features::quality::Target::new(column);
    match positive {
        Some(p) => t.positive(p),
        None => t,
    }
}

/// Ends the program with a usage error of `A`'s command line (exit code 2,
/// as clap's own): for checks across options, after parsing.
pub(crate) fn usage_error<A: clap::CommandFactory>(message: impl std::fmt::Display) -> ! {
    let mut command = A::command();
    if let Some(name) = std::env::args_os().next().as_deref().map(Path::new).and_then(Path::file_stem) {
        command = command.bin_name(name.to_string_lossy().into_owned());
    }
    command.error(clap::error::ErrorKind::ArgumentConflict, message).exit()
}
