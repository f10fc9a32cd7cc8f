//! The model file: one JSON document in an envelope.
//!
//! ```json
//! {"format":"acctscore-scorer","format_version":1,"crate_version":"0.1.0",
//!  "schema":[["industry","categorical"],…],"fit_metrics":{…},
//!  "checksum":"fnv1a64:…","model":{…}}
//! ```
//!
//! This is the envelope of [`acctscore_core::envelope`] with two header
//! fields of the scorer's own (`schema`, `fit_metrics`). The checksum is
//! FNV-1a (64 bit) of the exact bytes of `model` as written, so a truncated or edited file is caught before anything is
//! trusted. The same fitted scorer always writes the same bytes: fields are
//! in declaration order, sequences in a fixed order, and floats in their
//! shortest round-trip form.

use super::{Scorer, ScorerState};
use crate::core::envelope::{self, Envelope};
use crate::core::{AtomicFile, EnvelopeError, FileWriteError, WriteStep};
use crate::frame::ColumnKind;
use crate::{Error, Result};
use std::io::Write as _;
use std::path::Path;

/// The format version this build writes (and reads, with every earlier
/// version in [`READABLE`]).
pub const FORMAT_VERSION: u32 = 2;
/// The format name in the model file's envelope.
pub const FORMAT_NAME: &str = "acctscore-scorer";
/// The format versions this build reads. A change of the bytes written
/// bumps [`FORMAT_VERSION`] and keeps a reader for the previous version.
pub const READABLE: [u32; 1] = [FORMAT_VERSION];

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
    /// The envelope or the body is refused: not JSON or truncated
    /// ([`EnvelopeError::Malformed`], which also covers a body that does not
    /// describe a scorer), another format ([`EnvelopeError::Format`]) or
    /// version ([`EnvelopeError::Version`]), an edited or damaged body
    /// ([`EnvelopeError::Checksum`]), or a part that breaks its invariants
    /// ([`EnvelopeError::Invalid`]).
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The file at `path` was read but refused ([`Scorer::load`]): what
    /// [`Envelope`](ModelFileError::Envelope) says of a string, with the
    /// file named.
    #[error("{path}: {source}")]
    Refused {
        /// The path.
        path: String,
        /// Why it was refused.
        source: EnvelopeError,
    },
}

fn file_error(e: impl Into<EnvelopeError>) -> Error {
    Error::ModelFile(ModelFileError::Envelope(e.into()))
}

impl Scorer {
    /// The model file as a JSON string (same scorer → same bytes).
    ///
    /// # Errors
    /// [`ModelFileError::Envelope`] if serialisation fails.
    pub fn to_json(&self) -> Result<String> {
        let seal = || {
            Envelope::new(FORMAT_NAME, FORMAT_VERSION)
                .with_header("schema", &self.state.schema)?
                .with_header("fit_metrics", &self.state.metrics)?
                .seal(&self.state)
        };
        seal().map_err(file_error)
    }

    /// Reads a model file from a JSON string, checking the envelope, then
    /// that every part of the model holds its invariants as at fit time.
    ///
    /// # Errors
    /// [`ModelFileError::Envelope`] (not JSON, truncated, wrong format name
    /// or version, a checksum mismatch, a body that does not describe a
    /// scorer, a part that breaks its invariants), or an [`Error::Schema`]
    /// when the envelope's schema and the body's disagree.
    pub fn from_json(json: &str) -> Result<Scorer> {
        let opened = envelope::open(json, FORMAT_NAME, &READABLE).map_err(file_error)?;
        let schema: Vec<(String, ColumnKind)> = opened.header("schema").map_err(file_error)?;
        let state: ScorerState = opened.body().map_err(file_error)?;
        if state.schema != schema {
            let column = schema.iter().find(|c| !state.schema.contains(c)).map_or_else(String::new, |c| c.0.clone());
            return Err(Error::Schema {
                column,
                expected: None,
                found: None,
                needed_by: Vec::new(),
                available: Vec::new(),
                origin: None,
            });
        }
        state.validate().map_err(file_error)?;
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
    /// [`ModelFileError::Io`]; a file refused as [`Scorer::from_json`]
    /// refuses a string is [`ModelFileError::Refused`], naming the file.
    pub fn load(path: impl AsRef<Path>) -> Result<Scorer> {
        let path = path.as_ref();
        let json = std::fs::read_to_string(path)
            .map_err(|source| Error::ModelFile(ModelFileError::Io { path: path.display().to_string(), source }))?;
        Scorer::from_json(&json).map_err(|e| match e {
            Error::ModelFile(ModelFileError::Envelope(source)) => {
                Error::ModelFile(ModelFileError::Refused { path: path.display().to_string(), source })
            }
            other => other,
        })
    }
}
