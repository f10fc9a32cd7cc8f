//! One versioned, checksummed envelope for every saved model part.
//!
//! ```json
//! {"format":"acctscore-calibrator","format_version":2,"crate_version":"0.1.0",
//!  "checksum":"fnv1a64:…","model":{…}}
//! ```
//!
//! A part may add header fields of its own between `crate_version` and
//! `checksum` (the scorer writes its `schema` and `fit_metrics` there). The
//! checksum is FNV-1a (64 bit) of the exact bytes of `model` as written, so
//! an edited or damaged body is refused before anything in it is trusted.
//!
//! Reading checks, in order: valid JSON with this envelope
//! ([`EnvelopeError::Malformed`], which also covers a truncated file), the
//! format name ([`EnvelopeError::Format`]), the format version
//! ([`EnvelopeError::Version`]) and the checksum
//! ([`EnvelopeError::Checksum`]). A body that then does not describe the
//! part is [`EnvelopeError::Malformed`]; a body that describes it with
//! broken invariants (unsorted edges, a zero scale, …) is
//! [`EnvelopeError::Invalid`], which names the part, the field and the
//! problem ([`InvalidModel`]).
//!
//! ```
//! use acctscore_core::envelope::{self, Envelope, EnvelopeError};
//!
//! let json = Envelope::new("demo", 1).seal(&vec![1.0, 2.5])?;
//! let opened = envelope::open(&json, "demo", &[1])?;
//! assert_eq!(opened.version(), 1);
//! assert_eq!(opened.body::<Vec<f64>>()?, vec![1.0, 2.5]);
//!
//! // an edited body is refused
//! let edited = json.replace("2.5", "3.5");
//! assert!(matches!(envelope::open(&edited, "demo", &[1]), Err(EnvelopeError::Checksum { .. })));
//! // another format or version is refused
//! assert!(matches!(envelope::open(&json, "other", &[1]), Err(EnvelopeError::Format { .. })));
//! assert!(matches!(envelope::open(&json, "demo", &[2]), Err(EnvelopeError::Version { found: 1, .. })));
//! # Ok::<(), EnvelopeError>(())
//! ```

use serde::de::DeserializeOwned;
use serde::ser::SerializeMap as _;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::fmt;

/// The version of the crates that write envelopes (all acctscore crates
/// share one version).
pub(crate) const CRATE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The envelope's own field names; a part's header fields may not use them.
const RESERVED: [&str; 5] = ["format", "format_version", "crate_version", "checksum", "model"];

/// What is wrong with an envelope, or with the model part inside it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// Not JSON, truncated, not an envelope, or a body that does not
    /// describe the part.
    #[error("not a valid `{format}` file: {reason}")]
    Malformed {
        /// The format that was expected.
        format: String,
        /// What the JSON parser (or the envelope check) reported.
        reason: String,
    },
    /// An envelope of another format (another kind of model part).
    #[error("the file is a `{found}` file, not `{expected}`")]
    Format {
        /// The format that was expected.
        expected: String,
        /// The format named in the file.
        found: String,
    },
    /// A format version this build cannot read.
    #[error("`{format}` format version {found}: this build reads {}", versions(.readable))]
    Version {
        /// The format.
        format: String,
        /// The version in the file.
        found: u32,
        /// The versions this build reads (the last one is the one it writes).
        readable: Vec<u32>,
    },
    /// The body does not match its checksum: the file was edited or damaged.
    #[error("checksum mismatch: the file says {expected}, its model hashes to {found}")]
    Checksum {
        /// The checksum in the file.
        expected: String,
        /// The checksum of the body as read.
        found: String,
    },
    /// The body describes the part but breaks one of its invariants.
    #[error(transparent)]
    Invalid(#[from] InvalidModel),
}

fn versions(v: &[u32]) -> String {
    let list: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    if list.is_empty() { "no version".to_string() } else { format!("version {}", list.join(", ")) }
}

/// A loaded model part that breaks one of its invariants (checked as at
/// fit time): which part, which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid {part}: `{field}` {problem}")]
#[non_exhaustive]
pub struct InvalidModel {
    /// The model part (for example "isotonic calibrator", "segment model").
    pub part: &'static str,
    /// The field, with a path when nested (for example `bands[2].scale`).
    pub field: String,
    /// What is wrong with it.
    pub problem: Problem,
}

impl InvalidModel {
    /// A new refusal.
    pub fn new(part: &'static str, field: impl Into<String>, problem: Problem) -> Self {
        InvalidModel { part, field: field.into(), problem }
    }
}

/// What is wrong with a field of a loaded model part.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Problem {
    /// A value that must be finite is NaN or infinite.
    NotFinite {
        /// Position in the field (0 for a single value).
        index: usize,
        /// The value.
        value: f64,
    },
    /// A value that must be > 0 is not.
    NotPositive {
        /// Position in the field (0 for a single value).
        index: usize,
        /// The value.
        value: f64,
    },
    /// Values that must increase do not, at `index` (compared with `index - 1`).
    NotSorted {
        /// The first position out of order.
        index: usize,
    },
    /// A field of the wrong length.
    Length {
        /// The length the model needs.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// A value outside its allowed range.
    OutOfRange {
        /// The value.
        value: f64,
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
    /// A column the model reads is not in its schema.
    MissingColumn {
        /// The column.
        column: String,
    },
    /// Two parts of the model disagree.
    Inconsistent {
        /// How.
        reason: &'static str,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NotFinite { index, value } => write!(f, "holds the non-finite value {value} at index {index}"),
            Problem::NotPositive { index, value } => {
                write!(f, "holds {value} at index {index}, where a value > 0 is needed")
            }
            Problem::NotSorted { index } => write!(f, "is not in increasing order at index {index}"),
            Problem::Length { expected, found } => write!(f, "has {found} values, expected {expected}"),
            Problem::OutOfRange { value, min, max } => write!(f, "is {value}, outside [{min}, {max}]"),
            Problem::MissingColumn { column } => write!(f, "names the column `{column}`, which is not in the schema"),
            Problem::Inconsistent { reason } => write!(f, "{reason}"),
        }
    }
}

/// Checks that every value is finite.
///
/// # Errors
/// [`Problem::NotFinite`] for the first value that is not.
pub fn check_finite(part: &'static str, field: &str, values: &[f64]) -> Result<(), InvalidModel> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(InvalidModel::new(part, field, Problem::NotFinite { index, value: values[index] })),
        None => Ok(()),
    }
}

/// Checks that every value is finite and > 0.
///
/// # Errors
/// [`Problem::NotFinite`] or [`Problem::NotPositive`] for the first value
/// that is not.
pub fn check_positive(part: &'static str, field: &str, values: &[f64]) -> Result<(), InvalidModel> {
    check_finite(part, field, values)?;
    match values.iter().position(|v| *v <= 0.0) {
        Some(index) => Err(InvalidModel::new(part, field, Problem::NotPositive { index, value: values[index] })),
        None => Ok(()),
    }
}

/// Checks that the values are finite and increasing: strictly when
/// `strict`, else non-decreasing.
///
/// # Errors
/// [`Problem::NotFinite`] or [`Problem::NotSorted`] for the first value
/// out of line.
pub fn check_sorted(part: &'static str, field: &str, values: &[f64], strict: bool) -> Result<(), InvalidModel> {
    check_finite(part, field, values)?;
    let bad = values.windows(2).position(|w| if strict { w[0] >= w[1] } else { w[0] > w[1] });
    match bad {
        Some(i) => Err(InvalidModel::new(part, field, Problem::NotSorted { index: i + 1 })),
        None => Ok(()),
    }
}

/// Checks a field's length.
///
/// # Errors
/// [`Problem::Length`] when `found != expected`.
pub fn check_len(part: &'static str, field: &str, expected: usize, found: usize) -> Result<(), InvalidModel> {
    if expected == found { Ok(()) } else { Err(InvalidModel::new(part, field, Problem::Length { expected, found })) }
}

/// FNV-1a (64 bit) of `bytes`, written as `fnv1a64:` and 16 hex digits.
pub fn checksum(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

fn malformed(format: &str, reason: impl fmt::Display) -> EnvelopeError {
    EnvelopeError::Malformed { format: format.to_string(), reason: reason.to_string() }
}

/// Writes envelopes of one format and version: the header fields, then the
/// checksummed body.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    format: &'a str,
    version: u32,
    header: Vec<(&'a str, Box<RawValue>)>,
}

impl<'a> Envelope<'a> {
    /// An envelope of `format` at `version`, without extra header fields.
    pub fn new(format: &'a str, version: u32) -> Self {
        Envelope { format, version, header: Vec::new() }
    }

    /// Adds a header field (written, in the order added, between
    /// `crate_version` and `checksum`; not covered by the checksum).
    ///
    /// # Errors
    /// [`EnvelopeError::Malformed`] if `value` does not serialise or `name`
    /// is one of the envelope's own fields.
    pub fn with_header<T: Serialize + ?Sized>(mut self, name: &'a str, value: &T) -> Result<Self, EnvelopeError> {
        if RESERVED.contains(&name) {
            return Err(malformed(self.format, format!("`{name}` is a field of the envelope itself")));
        }
        let raw =
            serde_json::to_string(value).and_then(RawValue::from_string).map_err(|e| malformed(self.format, e))?;
        self.header.push((name, raw));
        Ok(self)
    }

    /// The envelope around `body`, as one JSON document (the same body
    /// always gives the same bytes).
    ///
    /// # Errors
    /// [`EnvelopeError::Malformed`] if `body` does not serialise.
    pub fn seal<T: Serialize + ?Sized>(&self, body: &T) -> Result<String, EnvelopeError> {
        let body =
            serde_json::to_string(body).and_then(RawValue::from_string).map_err(|e| malformed(self.format, e))?;
        let sealed = Sealed { env: self, checksum: checksum(body.get().as_bytes()), body: &body };
        serde_json::to_string(&sealed).map_err(|e| malformed(self.format, e))
    }
}

struct Sealed<'e, 'a> {
    env: &'e Envelope<'a>,
    checksum: String,
    body: &'e RawValue,
}

impl Serialize for Sealed<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(5 + self.env.header.len()))?;
        m.serialize_entry("format", self.env.format)?;
        m.serialize_entry("format_version", &self.env.version)?;
        m.serialize_entry("crate_version", CRATE_VERSION)?;
        for (name, value) in &self.env.header {
            m.serialize_entry(name, value)?;
        }
        m.serialize_entry("checksum", &self.checksum)?;
        m.serialize_entry("model", self.body)?;
        m.end()
    }
}

/// An envelope that passed every check: its version, header fields and body.
#[derive(Debug)]
pub struct Opened<'a> {
    format: &'static str,
    version: u32,
    crate_version: String,
    fields: BTreeMap<String, &'a RawValue>,
    body: &'a RawValue,
}

impl Opened<'_> {
    /// The format version in the file (one of the readable versions).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The version of the crate that wrote the file.
    pub fn crate_version(&self) -> &str {
        &self.crate_version
    }

    /// The body's exact JSON text.
    pub fn body_json(&self) -> &str {
        self.body.get()
    }

    /// The body, deserialised.
    ///
    /// # Errors
    /// [`EnvelopeError::Malformed`] when it does not describe a `T`.
    pub fn body<T: DeserializeOwned>(&self) -> Result<T, EnvelopeError> {
        serde_json::from_str(self.body.get()).map_err(|e| malformed(self.format, format!("model: {e}")))
    }

    /// A header field, deserialised.
    ///
    /// # Errors
    /// [`EnvelopeError::Malformed`] when it is absent or not a `T`.
    pub fn header<T: DeserializeOwned>(&self, name: &str) -> Result<T, EnvelopeError> {
        let Some(raw) = self.fields.get(name) else {
            return Err(malformed(self.format, format!("missing field `{name}`")));
        };
        serde_json::from_str(raw.get()).map_err(|e| malformed(self.format, format!("{name}: {e}")))
    }
}

/// Opens an envelope of `format`, checking (in order) that it is JSON with
/// the envelope's fields, its format name, that its version is one of
/// `readable`, and its checksum.
///
/// # Errors
/// [`EnvelopeError::Malformed`], [`EnvelopeError::Format`],
/// [`EnvelopeError::Version`] or [`EnvelopeError::Checksum`].
pub fn open<'a>(json: &'a str, format: &'static str, readable: &[u32]) -> Result<Opened<'a>, EnvelopeError> {
    let mut fields: BTreeMap<String, &'a RawValue> = serde_json::from_str(json).map_err(|e| malformed(format, e))?;
    let mut take = |name: &str| fields.remove(name).ok_or_else(|| malformed(format, format!("missing field `{name}`")));
    let found: String = parse(format, "format", take("format")?)?;
    if found != format {
        return Err(EnvelopeError::Format { expected: format.to_string(), found });
    }
    let version: u32 = parse(format, "format_version", take("format_version")?)?;
    let crate_version: String = parse(format, "crate_version", take("crate_version")?)?;
    let expected: String = parse(format, "checksum", take("checksum")?)?;
    let body = take("model")?;
    if !readable.contains(&version) {
        return Err(EnvelopeError::Version { format: format.to_string(), found: version, readable: readable.to_vec() });
    }
    let found = checksum(body.get().as_bytes());
    if found != expected {
        return Err(EnvelopeError::Checksum { expected, found });
    }
    Ok(Opened { format, version, crate_version, fields, body })
}

fn parse<T: DeserializeOwned>(format: &str, name: &str, raw: &RawValue) -> Result<T, EnvelopeError> {
    serde_json::from_str(raw.get()).map_err(|e| malformed(format, format!("{name}: {e}")))
}

/// Replaces the body of an envelope by `body` (exact JSON text) and writes
/// the matching checksum: for tests that edit a saved model so that only
/// the part's own validation can catch the edit.
///
/// # Errors
/// As [`open`] (the envelope must be readable apart from its checksum), or
/// [`EnvelopeError::Malformed`] when `body` is not JSON.
pub fn reseal(json: &str, body: &str) -> Result<String, EnvelopeError> {
    let fields: Vec<(String, Box<RawValue>)> = {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(json).map_err(|e| malformed("?", e))?;
        let mut out = Vec::with_capacity(map.len());
        for (k, v) in map {
            let raw = if k == "model" {
                RawValue::from_string(body.to_string()).map_err(|e| malformed("?", e))?
            } else if k == "checksum" {
                RawValue::from_string(format!("\"{}\"", checksum(body.as_bytes()))).map_err(|e| malformed("?", e))?
            } else {
                serde_json::to_string(&v).and_then(RawValue::from_string).map_err(|e| malformed("?", e))?
            };
            out.push((k, raw));
        }
        out
    };
    struct Out(Vec<(String, Box<RawValue>)>);
    impl Serialize for Out {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(Some(self.0.len()))?;
            for (k, v) in &self.0 {
                m.serialize_entry(k, v)?;
            }
            m.end()
        }
    }
    serde_json::to_string(&Out(fields)).map_err(|e| malformed("?", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_header_and_order() {
        let json = Envelope::new("t", 3).with_header("schema", &["a", "b"]).expect("ok").seal(&[1u8, 2]).expect("ok");
        assert_eq!(
            json,
            format!(
                "{{\"format\":\"t\",\"format_version\":3,\"crate_version\":\"{CRATE_VERSION}\",\"schema\":[\"a\",\"b\"],\"checksum\":\"{}\",\"model\":[1,2]}}",
                checksum(b"[1,2]")
            )
        );
        let o = open(&json, "t", &[2, 3]).expect("opens");
        assert_eq!(o.header::<Vec<String>>("schema").expect("schema"), vec!["a", "b"]);
        assert_eq!(o.body_json(), "[1,2]");
        assert_eq!(o.crate_version(), CRATE_VERSION);
        assert!(matches!(o.header::<u8>("nope"), Err(EnvelopeError::Malformed { .. })));
        assert!(Envelope::new("t", 1).with_header("checksum", &1).is_err());
    }

    #[test]
    fn refusals() {
        let json = Envelope::new("t", 1).seal(&vec![1.5]).expect("ok");
        assert!(matches!(open("{", "t", &[1]), Err(EnvelopeError::Malformed { .. })));
        assert!(matches!(open(&json[..json.len() - 2], "t", &[1]), Err(EnvelopeError::Malformed { .. })));
        assert!(matches!(open("{}", "t", &[1]), Err(EnvelopeError::Malformed { .. })));
        assert_eq!(
            open(&json, "u", &[1]).expect_err("refused"),
            EnvelopeError::Format { expected: "u".into(), found: "t".into() }
        );
        assert_eq!(
            open(&json, "t", &[2, 3]).expect_err("refused"),
            EnvelopeError::Version { format: "t".into(), found: 1, readable: vec![2, 3] }
        );
        let edited = json.replace("1.5", "2.5");
        assert!(matches!(open(&edited, "t", &[1]), Err(EnvelopeError::Checksum { .. })));
        let resealed = reseal(&json, "[2.5]").expect("reseals");
        assert_eq!(open(&resealed, "t", &[1]).expect("opens").body::<Vec<f64>>().expect("body"), vec![2.5]);
        assert!(matches!(open(&json, "t", &[1]).expect("ok").body::<String>(), Err(EnvelopeError::Malformed { .. })));
    }

    #[test]
    fn checks() {
        assert_eq!(
            check_sorted("p", "edges", &[1.0, 1.0], true).expect_err("refused"),
            InvalidModel::new("p", "edges", Problem::NotSorted { index: 1 })
        );
        assert!(check_sorted("p", "edges", &[1.0, 1.0], false).is_ok());
        assert_eq!(
            check_positive("p", "s", &[1.0, 0.0]).expect_err("refused").to_string(),
            "invalid p: `s` holds 0 at index 1, where a value > 0 is needed"
        );
        assert!(matches!(
            check_finite("p", "s", &[f64::NAN]).expect_err("refused").problem,
            Problem::NotFinite { index: 0, .. }
        ));
        assert!(check_len("p", "w", 2, 3).is_err());
    }
}
