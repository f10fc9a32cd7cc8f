//! Whole files only: write to a temporary file beside the destination,
//! flush and sync it, then rename it over the destination.
//!
//! A write that fails part-way (a full disk, an error of the caller's own)
//! leaves the previous file byte for byte as it was and no temporary file
//! behind; readers never see a half-written file. Every file acctscore
//! writes goes through [`AtomicFile`] or [`write_atomic`].
//!
//! A destination that exists and is not a regular file or a folder (a
//! device such as `/dev/null`, a named pipe, a terminal, or a link to one)
//! cannot be replaced by a rename (renaming over `/dev/null` would put a
//! regular file in its place for every program of the machine): it is
//! written in place, with no whole-file guarantee.
//!
//! ```
//! use std::io::Write;
//!
//! let dir = std::env::temp_dir().join(format!("acctscore-doc-atomic-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("scores.csv");
//! acctscore_core::write_atomic(&path, |w| writeln!(w, "account_id,score\na1,0.5"))?;
//! assert_eq!(std::fs::read_to_string(&path)?, "account_id,score\na1,0.5\n");
//!
//! // A body that fails part-way leaves the previous file as it was.
//! let failed: Result<(), _> = acctscore_core::write_atomic(&path, |w| {
//!     w.write_all(b"account_id,sc")?;
//!     Err(std::io::Error::other("disk full"))
//! });
//! assert!(failed.is_err());
//! assert_eq!(std::fs::read_to_string(&path)?, "account_id,score\na1,0.5\n");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The step of writing a file whole that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteStep {
    /// Creating the temporary file in the destination's folder.
    CreateTemp,
    /// Writing or flushing the contents.
    Write,
    /// Syncing the contents to disk.
    Sync,
    /// Renaming the temporary file over the destination.
    Rename,
}

impl std::fmt::Display for WriteStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WriteStep::CreateTemp => "cannot create a temporary file in its folder",
            WriteStep::Write => "cannot write",
            WriteStep::Sync => "cannot sync to disk",
            WriteStep::Rename => "cannot rename the temporary file over it",
        })
    }
}

/// Writing a file whole failed; the destination is as it was before.
///
/// ```text
/// out/scores.csv: cannot write: No space left on device (os error 28)
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{}: {step}: {source}", .path.display())]
#[non_exhaustive]
pub struct FileWriteError {
    /// The destination.
    pub path: PathBuf,
    /// The step that failed.
    pub step: WriteStep,
    /// The I/O error of that step.
    #[source]
    pub source: io::Error,
}

impl FileWriteError {
    /// The error of `step` writing `path`.
    pub fn new(path: impl Into<PathBuf>, step: WriteStep, source: io::Error) -> FileWriteError {
        FileWriteError { path: path.into(), step, source }
    }
}

impl From<FileWriteError> for io::Error {
    /// An I/O error of the same kind whose message names the file and the step.
    fn from(e: FileWriteError) -> io::Error {
        io::Error::new(e.source.kind(), e)
    }
}

/// Temporary names are unique per process and per file opened.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A file written whole: bytes go to a temporary file in the destination's
/// folder, and [`AtomicFile::commit`] flushes and syncs it and renames it
/// over the destination. Dropped without `commit` (an error, a panic), the
/// temporary file is removed and the destination is untouched.
///
/// Writes are buffered. The destination's permissions, when it exists, are
/// kept; a symbolic link at the destination is replaced by the file.
///
/// ```
/// use std::io::Write;
/// use acctscore_core::AtomicFile;
///
/// let dir = std::env::temp_dir().join(format!("acctscore-doc-atomicfile-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("model.json");
/// let mut file = AtomicFile::create(&path)?;
/// file.write_all(b"{}")?;
/// assert!(!path.exists(), "nothing at the destination before commit");
/// file.commit()?;
/// assert_eq!(std::fs::read(&path)?, b"{}");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct AtomicFile {
    dest: PathBuf,
    /// `None` when the destination is written in place (a device, a pipe).
    temp: Option<PathBuf>,
    /// `None` once committed (or while committing).
    file: Option<BufWriter<File>>,
    /// The temporary file is still on disk and must be removed on drop.
    pending: bool,
}

impl AtomicFile {
    /// Creates a temporary file beside `path` (named `.{file name}.{pid}.{n}.tmp`).
    ///
    /// # Errors
    /// [`FileWriteError`] at [`WriteStep::CreateTemp`]: the folder is
    /// missing or not writable, or `path` has no file name.
    pub fn create(path: impl AsRef<Path>) -> Result<AtomicFile, FileWriteError> {
        let dest = path.as_ref().to_path_buf();
        let fail = |source| FileWriteError { path: dest.clone(), step: WriteStep::CreateTemp, source };
        let Some(name) = dest.file_name() else {
            return Err(fail(io::Error::new(io::ErrorKind::InvalidInput, "the path names no file")));
        };
        // A device or a pipe (links followed) is written in place.
        if let Ok(meta) = std::fs::metadata(&dest)
            && !meta.is_file()
            && !meta.is_dir()
        {
            let file = File::options().write(true).open(&dest).map_err(fail)?;
            return Ok(AtomicFile { dest, temp: None, file: Some(BufWriter::new(file)), pending: false });
        }
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut attempts = 0;
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let mut temp_name = std::ffi::OsString::from(".");
            temp_name.push(name);
            temp_name.push(format!(".{}.{n}.tmp", std::process::id()));
            let temp = dir.join(temp_name);
            match File::options().write(true).create_new(true).open(&temp) {
                Ok(file) => {
                    // Keep the destination's permissions (best effort: a
                    // failure here leaves the default ones).
                    if let Ok(meta) = std::fs::metadata(&dest) {
                        let _ = file.set_permissions(meta.permissions());
                    }
                    return Ok(AtomicFile { dest, temp: Some(temp), file: Some(BufWriter::new(file)), pending: true });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 16 => attempts += 1,
                Err(e) => return Err(fail(e)),
            }
        }
    }

    /// The destination.
    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// Flushes and syncs the contents, then renames the temporary file over
    /// the destination (and, on Unix, syncs the folder, best effort).
    ///
    /// # Errors
    /// [`FileWriteError`] at [`WriteStep::Write`], [`WriteStep::Sync`] or
    /// [`WriteStep::Rename`]; the temporary file is then removed and the
    /// destination is as it was.
    pub fn commit(mut self) -> Result<(), FileWriteError> {
        let dest = self.dest.clone();
        let fail = |step, source| FileWriteError { path: dest.clone(), step, source };
        let Some(buffered) = self.file.take() else {
            return Err(fail(WriteStep::Write, io::Error::other("already committed")));
        };
        let file = buffered.into_inner().map_err(|e| fail(WriteStep::Write, e.into_error()))?;
        // Written in place (a device, a pipe): flushed, nothing to rename.
        let Some(temp) = self.temp.clone() else { return Ok(()) };
        file.sync_all().map_err(|e| fail(WriteStep::Sync, e))?;
        drop(file);
        std::fs::rename(&temp, &self.dest).map_err(|e| fail(WriteStep::Rename, e))?;
        self.pending = false;
        #[cfg(unix)]
        if let Some(dir) = self.dest.parent() {
            let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.file.as_mut() {
            Some(f) => f.write(buf),
            None => Err(io::Error::other("write after commit")),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.write_all(buf),
            None => Err(io::Error::other("write after commit")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.pending {
            // Close before removing (Windows cannot remove an open file).
            drop(self.file.take());
            if let Some(temp) = &self.temp {
                let _ = std::fs::remove_file(temp);
            }
        }
    }
}

/// Writes `path` whole: `body` writes the contents to a temporary file
/// beside it, which is then flushed, synced and renamed over `path`
/// ([`AtomicFile`]). If `body` returns an error, or any step fails, the
/// previous file at `path` is left as it was and the temporary file is
/// removed.
///
/// `body` gets a buffered writer; a writer it wraps around it that buffers
/// on its own (`csv::Writer`) must be flushed inside `body`, since errors of
/// a flush on drop are lost.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("acctscore-doc-write-atomic-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("a.txt");
/// acctscore_core::write_atomic(&path, |w| w.write_all(b"whole"))?;
/// assert_eq!(std::fs::read(&path)?, b"whole");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
/// The error of `body`, or a [`FileWriteError`] converted into `E`.
pub fn write_atomic<T, E>(path: impl AsRef<Path>, body: impl FnOnce(&mut dyn Write) -> Result<T, E>) -> Result<T, E>
where
    E: From<FileWriteError>,
{
    let mut file = AtomicFile::create(path)?;
    let value = body(&mut file)?;
    file.commit()?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many entries `dir` holds: a temporary file left behind is one more.
    fn entries(dir: &Path) -> usize {
        std::fs::read_dir(dir).expect("read dir").count()
    }

    #[test]
    fn a_body_failing_part_way_leaves_the_previous_file_and_no_temp_file() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path();
        let path = dir.join("model.json");
        let before: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
        std::fs::write(&path, &before).expect("seed");
        let r: Result<(), io::Error> = write_atomic(&path, |w| {
            // More than the buffer, so bytes reach the temporary file.
            w.write_all(&[b'x'; 200_000])?;
            Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
        });
        let e = r.expect_err("the body's error");
        assert_eq!(e.kind(), io::ErrorKind::StorageFull);
        assert_eq!(std::fs::read(&path).expect("read"), before, "previous file byte for byte");
        assert_eq!(entries(dir), 1, "no temporary file left");
    }

    /// A link to `/dev/null` (so that a failure would replace the link, not
    /// the device): the device is written in place and stays a device.
    #[cfg(unix)]
    #[test]
    fn a_device_is_written_in_place_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let tmp = tempfile::tempdir().expect("temp dir");
        let link = tmp.path().join("out.csv");
        std::os::unix::fs::symlink("/dev/null", &link).expect("link");
        let r: Result<(), io::Error> = write_atomic(&link, |w| w.write_all(b"account_id\n"));
        r.expect("written");
        let meta = std::fs::symlink_metadata(&link).expect("link metadata");
        assert!(meta.file_type().is_symlink(), "the link is still a link");
        assert!(std::fs::metadata(&link).expect("device").file_type().is_char_device());
        assert_eq!(entries(tmp.path()), 1, "no temporary file left");
    }

    #[test]
    fn a_successful_write_replaces_the_file() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path();
        let path = dir.join("scores.csv");
        std::fs::write(&path, "old contents that are longer than the new ones\n").expect("seed");
        let n: Result<usize, io::Error> = write_atomic(&path, |w| {
            w.write_all(b"new\n")?;
            Ok(4)
        });
        assert_eq!(n.expect("written"), 4);
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new\n");
        assert_eq!(entries(dir), 1);
        // A new file too.
        let fresh = dir.join("fresh.txt");
        write_atomic::<_, io::Error>(&fresh, |w| w.write_all(b"1")).expect("written");
        assert_eq!(std::fs::read(&fresh).expect("read"), b"1");
    }

    #[test]
    fn write_reports_its_bytes_and_a_bare_name_lives_in_the_current_folder() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path();
        let path = dir.join("w.txt");
        let mut f = AtomicFile::create(&path).expect("created");
        assert_eq!(f.path(), path.as_path());
        assert_eq!(f.write(b"abc").expect("written"), 3);
        f.flush().expect("flushed");
        f.commit().expect("committed");
        assert_eq!(std::fs::read(&path).expect("read"), b"abc");
        // A bare file name: the temporary file is created in `.` (never committed here).
        let name = format!("acctscore-core-bare-{}.txt", std::process::id());
        let f = AtomicFile::create(&name).expect("created in the current folder");
        let temp = f.temp.clone().expect("a temporary file");
        assert_eq!(temp.parent(), Some(Path::new(".")));
        assert!(temp.exists());
        drop(f);
        assert!(!temp.exists() && !Path::new(&name).exists());
    }

    #[test]
    fn a_taken_temp_name_is_skipped() {
        // The next temporary names already exist (left by a crashed run):
        // create moves on to a free one instead of failing.
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path();
        let path = dir.join("t.txt");
        let next = COUNTER.load(Ordering::Relaxed);
        for n in next..next + 8 {
            std::fs::write(dir.join(format!(".t.txt.{}.{n}.tmp", std::process::id())), b"stale").expect("stale temp");
        }
        let mut f = AtomicFile::create(&path).expect("a free name");
        f.write_all(b"fresh").expect("written");
        f.commit().expect("committed");
        assert_eq!(std::fs::read(&path).expect("read"), b"fresh");
    }

    #[test]
    fn dropping_without_commit_removes_the_temp_file() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path();
        let path = dir.join("a.txt");
        std::fs::write(&path, "keep").expect("seed");
        {
            let mut f = AtomicFile::create(&path).expect("create");
            f.write_all(b"partial").expect("write");
            f.flush().expect("flush");
            assert_eq!(entries(dir), 2, "the temporary file sits beside the destination");
            assert_eq!(f.path(), path.as_path());
        }
        assert_eq!(entries(dir), 1);
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "keep");
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_the_file_and_step() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path();
        let path = dir.join("no/such/folder/out.csv");
        let e = AtomicFile::create(&path).expect_err("no folder");
        assert_eq!(e.step, WriteStep::CreateTemp);
        assert_eq!(e.path, path);
        assert_eq!(e.source.kind(), io::ErrorKind::NotFound);
        assert!(
            e.to_string().starts_with(&format!("{}: cannot create a temporary file in its folder: ", path.display())),
            "{e}"
        );
        let io: io::Error = e.into();
        assert_eq!(io.kind(), io::ErrorKind::NotFound);
        let e = AtomicFile::create("/").expect_err("no file name");
        assert_eq!(e.source.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn a_failed_rename_leaves_no_temp_file() {
        // The destination is a non-empty folder: the rename fails.
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path();
        let path = dir.join("occupied");
        std::fs::create_dir_all(path.join("inside")).expect("folder");
        let e = write_atomic::<_, io::Error>(&path, |w| w.write_all(b"x")).expect_err("cannot rename over a folder");
        let inner = e.get_ref().and_then(|r| r.downcast_ref::<FileWriteError>()).expect("a FileWriteError");
        assert_eq!(inner.step, WriteStep::Rename);
        assert_eq!(entries(dir), 1, "no temporary file left");
        assert!(path.join("inside").is_dir(), "the folder is as it was");
    }
}
