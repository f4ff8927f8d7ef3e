//! [`PhotoLibrary`]: the directory (inside the app's files directory) where prepared photos are
//! kept as `<sha256>.jpg`. Content addressing makes a photo's name its identity: the same
//! picture added twice is stored once, sync refers to it by hash, and a file can be checked.
//!
//! Writes are atomic: bytes go to a temporary file in the same directory, are flushed to disk
//! (`fsync`), then renamed over the final name, and the directory itself is flushed. A kill at
//! any moment leaves either no file or the whole file, plus at worst a stray temporary that
//! [`PhotoLibrary::open`] sweeps away.
//!
//! The library knows nothing of drafts: which hashes are still wanted is the database's
//! business (`crate::drafts::photos`), which calls [`PhotoLibrary::put`] and
//! [`PhotoLibrary::remove`] while holding the library's own gate (a mutex per directory, see
//! [`PhotoLibrary`]), so a removal never races an add of the same picture.

use super::error::PhotoError;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

const EXT: &str = "jpg";
const TMP_EXT: &str = "tmp";

/// A 64-character lowercase hex SHA-256: the only names the library reads or writes, so a
/// hash coming from the UI or a sync peer can never name a path outside the directory.
pub fn is_valid_hash(hash: &str) -> bool {
    fundi_sync::hash::is_content_hash(hash)
}

/// One per directory (like the store, one per database): its gate serialises the adds and
/// removals that touch files.
#[derive(Debug)]
pub struct PhotoLibrary {
    dir: PathBuf,
    gate: Mutex<()>,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl PhotoLibrary {
    /// Open (creating if needed) the library in `dir`, removing temporaries left by a kill.
    pub fn open(dir: impl AsRef<Path>) -> Result<PhotoLibrary, PhotoError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir)?;
        let lib = PhotoLibrary { dir, gate: Mutex::new(()) };
        for entry in fs::read_dir(&lib.dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == TMP_EXT) {
                let _ = fs::remove_file(path);
            }
        }
        Ok(lib)
    }

    /// Held by the store's photo operations around their file and row changes.
    pub(crate) fn gate(&self) -> MutexGuard<'_, ()> {
        self.gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the photo with this hash lives (whether or not it is there).
    pub fn path_of(&self, hash: &str) -> Result<PathBuf, PhotoError> {
        if !is_valid_hash(hash) {
            return Err(PhotoError::Internal("not a photo hash".into()));
        }
        Ok(self.dir.join(format!("{hash}.{EXT}")))
    }

    pub fn contains(&self, hash: &str) -> bool {
        self.path_of(hash).is_ok_and(|p| p.is_file())
    }

    /// Store `bytes` under `hash` (their SHA-256), atomically. Storing what is already there
    /// does nothing.
    pub fn put(&self, hash: &str, bytes: &[u8]) -> Result<PathBuf, PhotoError> {
        let path = self.path_of(hash)?;
        if path.is_file() {
            return Ok(path);
        }
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = self.dir.join(format!(".{hash}.{}-{n}.{TMP_EXT}", std::process::id()));
        let written = (|| -> io::Result<()> {
            let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &path)?;
            sync_dir(&self.dir)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e.into());
        }
        Ok(path)
    }

    /// Delete the file for `hash`; a file already gone is not an error.
    pub fn remove(&self, hash: &str) -> Result<(), PhotoError> {
        match fs::remove_file(self.path_of(hash)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Every hash stored, in no particular order (other files are ignored).
    pub fn hashes(&self) -> Result<Vec<String>, PhotoError> {
        let mut out = vec![];
        for entry in fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(hash) = name.strip_suffix(".jpg").filter(|h| is_valid_hash(h)) {
                out.push(hash.to_string());
            }
        }
        Ok(out)
    }
}

/// Flush the directory entry of a rename (POSIX needs this for the rename itself to survive a
/// power cut; on platforms where a directory cannot be opened this is skipped).
fn sync_dir(dir: &Path) -> io::Result<()> {
    match File::open(dir) {
        Ok(d) => d.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fundi_sync::hash::sha256_hex as sha;

    #[test]
    fn put_is_atomic_idempotent_and_removable() {
        let dir = tempfile::tempdir().unwrap();
        let lib = PhotoLibrary::open(dir.path().join("photos")).unwrap();
        let bytes = b"not really a jpeg".to_vec();
        let h = sha(&bytes);
        let p = lib.put(&h, &bytes).unwrap();
        assert_eq!(fs::read(&p).unwrap(), bytes);
        lib.put(&h, &bytes).unwrap();
        assert_eq!(lib.hashes().unwrap(), vec![h.clone()]);
        let names: Vec<_> = fs::read_dir(lib.dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "no temporary left behind: {names:?}");
        lib.remove(&h).unwrap();
        lib.remove(&h).unwrap();
        assert!(!lib.contains(&h));
    }

    #[test]
    fn leftover_temporaries_are_swept_on_open() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".abc.1-0.tmp"), b"half a photo").unwrap();
        let lib = PhotoLibrary::open(dir.path()).unwrap();
        assert_eq!(fs::read_dir(lib.dir()).unwrap().count(), 0);
    }

    #[test]
    fn hashes_from_outside_cannot_name_other_paths() {
        let dir = tempfile::tempdir().unwrap();
        let lib = PhotoLibrary::open(dir.path()).unwrap();
        for bad in ["../etc/passwd", "", "ABCDEF", &"g".repeat(64), &format!("{}/", "a".repeat(63))] {
            assert!(lib.path_of(bad).is_err(), "{bad}");
            assert!(lib.put(bad, b"x").is_err());
        }
    }
}
