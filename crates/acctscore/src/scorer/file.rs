//! The model file: one JSON document in an envelope.
//!
//! ```json
//! {"format":"acctscore-scorer","format_version":1,"crate_version":"0.1.0",
//!  "schema":[["industry","categorical"],…],"fit_metrics":{…},
//!  "checksum":"fnv1a64:…","model":{…}}
//! ```
//!
//! The checksum is FNV-1a (64 bit) of the exact bytes of `model` as
//! written, so a truncated or edited file is caught before anything is
//! trusted. The same fitted scorer always writes the same bytes: fields are
//! in declaration order, sequences in a fixed order, and floats in their
//! shortest round-trip form.

use super::{FitMetrics, Scorer, ScorerState};
use crate::core::{AtomicFile, FileWriteError, WriteStep};
use crate::features::ColumnKind;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::io::Write as _;
use std::path::Path;

/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 2;
const FORMAT_NAME: &str = "acctscore-scorer";

/// What is wrong with a model file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelFileError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file could not be written whole (the previous file, if any, is
    /// left as it was).
    #[error(transparent)]
    Write(#[from] FileWriteError),
    /// Not JSON, truncated, or not an acctscore model file.
    #[error("not a valid model file: {reason}")]
    Malformed {
        /// What the JSON parser reported.
        reason: String,
    },
    /// A model file of another format version.
    #[error("model file format version {found}, this build reads version {expected}")]
    Version {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// The body does not match its checksum: the file was edited or damaged.
    #[error("checksum mismatch: the file says {expected}, its model hashes to {found}")]
    Checksum {
        /// The checksum in the file.
        expected: String,
        /// The checksum of the body as read.
        found: String,
    },
}

#[derive(Serialize)]
struct EnvelopeOut<'a> {
    format: &'static str,
    format_version: u32,
    crate_version: &'static str,
    schema: &'a [(String, ColumnKind)],
    fit_metrics: &'a FitMetrics,
    checksum: String,
    model: &'a RawValue,
}

#[derive(Deserialize)]
struct EnvelopeIn {
    format: String,
    format_version: u32,
    #[allow(dead_code)]
    crate_version: String,
    schema: Vec<(String, ColumnKind)>,
    checksum: String,
    model: Box<RawValue>,
}

fn fnv1a64(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

fn malformed(e: impl std::fmt::Display) -> Error {
    Error::ModelFile(ModelFileError::Malformed { reason: e.to_string() })
}

impl Scorer {
    /// The model file as a JSON string (same scorer → same bytes).
    ///
    /// # Errors
    /// [`ModelFileError::Malformed`] if serialisation fails.
    pub fn to_json(&self) -> Result<String> {
        let body = serde_json::to_string(&self.state).map_err(malformed)?;
        let raw = RawValue::from_string(body).map_err(malformed)?;
        let env = EnvelopeOut {
            format: FORMAT_NAME,
            format_version: FORMAT_VERSION,
            crate_version: env!("CARGO_PKG_VERSION"),
            schema: &self.state.schema,
            fit_metrics: &self.state.metrics,
            checksum: fnv1a64(raw.get().as_bytes()),
            model: &raw,
        };
        serde_json::to_string(&env).map_err(malformed)
    }

    /// Reads a model file from a JSON string.
    ///
    /// # Errors
    /// [`ModelFileError::Malformed`] (not JSON, truncated, wrong format
    /// name, a body that does not describe a scorer),
    /// [`ModelFileError::Version`], [`ModelFileError::Checksum`], or an
    /// [`Error::Schema`] when the envelope's schema and the body's disagree.
    pub fn from_json(json: &str) -> Result<Scorer> {
        let env: EnvelopeIn = serde_json::from_str(json).map_err(malformed)?;
        if env.format != FORMAT_NAME {
            return Err(malformed(format!("format `{}` is not `{FORMAT_NAME}`", env.format)));
        }
        if env.format_version != FORMAT_VERSION {
            return Err(Error::ModelFile(ModelFileError::Version {
                found: env.format_version,
                expected: FORMAT_VERSION,
            }));
        }
        let found = fnv1a64(env.model.get().as_bytes());
        if found != env.checksum {
            return Err(Error::ModelFile(ModelFileError::Checksum { expected: env.checksum, found }));
        }
        let state: ScorerState = serde_json::from_str(env.model.get()).map_err(malformed)?;
        if state.schema != env.schema {
            let column =
                env.schema.iter().find(|c| !state.schema.contains(c)).map_or_else(String::new, |c| c.0.clone());
            return Err(Error::Schema {
                column,
                expected: None,
                found: None,
                needed_by: Vec::new(),
                available: Vec::new(),
                origin: None,
            });
        }
        Scorer::from_state(state)
    }

    /// Writes the model file whole: to a temporary file beside `path`,
    /// synced, then renamed over it ([`AtomicFile`]), so a
    /// failed save leaves the previous model file as it was.
    ///
    /// # Errors
    /// [`ModelFileError::Write`] and as [`Scorer::to_json`].
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let json = self.to_json()?;
        let write = |e| Error::ModelFile(ModelFileError::Write(e));
        let mut file = AtomicFile::create(path).map_err(write)?;
        file.write_all(json.as_bytes()).map_err(|source| write(FileWriteError::new(path, WriteStep::Write, source)))?;
        file.commit().map_err(write)
    }

    /// Reads a model file.
    ///
    /// # Errors
    /// [`ModelFileError::Io`] and as [`Scorer::from_json`].
    pub fn load(path: impl AsRef<Path>) -> Result<Scorer> {
        let path = path.as_ref();
        let json = std::fs::read_to_string(path)
            .map_err(|source| Error::ModelFile(ModelFileError::Io { path: path.display().to_string(), source }))?;
        Scorer::from_json(&json)
    }
}
