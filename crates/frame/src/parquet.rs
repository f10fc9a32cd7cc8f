//! Parquet input (feature `parquet`): a [`Frame`] from a Parquet file,
//! through the Arrow reader of the `parquet` crate and the column mapping of
//! [`crate::arrow`].
//!
//! - Only the columns an [`ArrowOptions::only`] projection names are read
//!   from the file (the others are not decompressed or decoded).
//! - Codecs: uncompressed, zstd (Polars' default), snappy (Spark's and
//!   pandas') and lz4; a file compressed otherwise (gzip, brotli) is a
//!   [`FrameError::Parquet`] naming the file.
//! - Columns keep the Arrow types the file's writer recorded: a column
//!   Arrow wrote as a dictionary is read as one, and becomes categorical
//!   with one lookup per dictionary entry ([`crate::arrow`]).
//! - The columns are decoded in parallel (feature `parallel`), each by a
//!   reader of its own that goes through the file's row groups in order and
//!   appends each batch as it is decoded: only one batch per column is
//!   held, and the frame does not depend on the thread count.
//! - Every error names the file: I/O as [`FrameError::Io`], a file that is
//!   not Parquet or is damaged as [`FrameError::Parquet`], and a column of
//!   the wrong type as a [`FrameError::ArrowType`] in a
//!   [`FrameError::InFile`].
//!
//! ```no_run
//! use acctscore_frame::{ColumnKind, Frame, arrow::ArrowOptions};
//!
//! let options = ArrowOptions::new().only(["account_id", "industry", "employees"]).kind("industry", ColumnKind::Categorical);
//! let frame = Frame::from_parquet_path("accounts.parquet", &options)?;
//! println!("{} accounts", frame.nrows());
//! # Ok::<(), acctscore_frame::FrameError>(())
//! ```

use crate::arrow::{ArrowFrameBuilder, ArrowOptions};
use crate::{Frame, FrameError, Result};
use ::parquet::arrow::ProjectionMask;
use ::parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use std::fs::File;
use std::path::Path;

/// Rows per record batch decoded.
const BATCH_ROWS: usize = 64 * 1024;

impl Frame {
    /// Reads a Parquet file (see the [module docs](crate::parquet)): the
    /// columns `options` names (all by default), each of the kind its Arrow
    /// type gives or the kind declared for it.
    ///
    /// # Errors
    /// [`FrameError::Io`] when the file cannot be opened or read,
    /// [`FrameError::Parquet`] when it is not Parquet or cannot be decoded,
    /// and the errors of [`Frame::from_record_batches`] in a
    /// [`FrameError::InFile`] naming the path.
    pub fn from_parquet_path(path: impl AsRef<Path>, options: &ArrowOptions) -> Result<Frame> {
        let path = path.as_ref();
        let in_file = |e: FrameError| match e {
            e @ (FrameError::Io { .. } | FrameError::Parquet { .. } | FrameError::InFile { .. }) => e,
            other => FrameError::InFile { path: path.display().to_string(), source: Box::new(other) },
        };
        let metadata = open_parquet(path)?;
        let schema = metadata.schema().clone();
        let roots: Vec<usize> =
            schema.fields().iter().enumerate().filter(|(_, f)| options.wants(f.name())).map(|(k, _)| k).collect();
        let projected = schema.project(&roots).map_err(|e| parquet_error(path, &e))?;
        // Checks the kinds before any row is decoded.
        let mut builder = ArrowFrameBuilder::new(&projected, options).map_err(in_file)?;
        let rows = metadata.metadata().file_metadata().num_rows();
        builder.reserve(usize::try_from(rows).unwrap_or(0).min(1 << 32));
        // `k` is a column of the projected schema, `roots[k]` its place in the file's.
        let stream = |k: usize| -> Result<_> {
            // A file of its own: clones of one handle share its offset, which
            // each column's reader seeks.
            let file =
                File::open(path).map_err(|source| FrameError::Io { path: path.display().to_string(), source })?;
            let root = roots
                .get(k)
                .copied()
                .ok_or_else(|| parquet_error(path, &format!("column {k} of the projection is not in the file")))?;
            let mask = ProjectionMask::roots(metadata.parquet_schema(), [root]);
            let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata.clone())
                .with_projection(mask)
                .with_batch_size(BATCH_ROWS)
                .build()
                .map_err(|e| parquet_error(path, &e))?;
            Ok(reader.map(|b| b.map(|b| b.column(0).clone()).map_err(|e| parquet_error(path, &e))))
        };
        builder.push_streams(stream).map_err(in_file)?;
        builder.finish().map_err(in_file)
    }
}

/// Opens a Parquet file and reads its footer.
///
/// # Errors
/// [`FrameError::Io`], or [`FrameError::Parquet`] for a file that is not Parquet.
fn open_parquet(path: &Path) -> Result<ArrowReaderMetadata> {
    let file = File::open(path).map_err(|source| FrameError::Io { path: path.display().to_string(), source })?;
    let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).map_err(|e| parquet_error(path, &e))?;
    Ok(metadata)
}

/// A [`FrameError::Parquet`] for `path`.
fn parquet_error(path: &Path, e: &dyn std::fmt::Display) -> FrameError {
    FrameError::Parquet { path: path.display().to_string(), reason: e.to_string() }
}
