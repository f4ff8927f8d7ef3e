//! The depot's blob files (ADR 0013). Finished blobs are content-addressed:
//! `<data-dir>/blobs/ab/abcdef…` (the first two hex digits name the folder). An unfinished
//! upload's bytes are in `<data-dir>/uploads/<id>`; a PATCH receives its chunk into
//! `<data-dir>/uploads/<id>.<random>.chunk`, and only a chunk received whole (and matching its
//! checksum, when it has one) is appended. Every file reaches its place by a flushed write and a
//! rename (then the folder is flushed), so a kill leaves the old state or the new one, and at
//! worst a stray file that the next start removes. Bytes the depot makes itself (a photo taken
//! at the console's quality check) are written into the uploads folder and stored the same way.
//! No SQL here: `uploads` keeps the rows.

use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

const BLOBS: &str = "blobs";
const UPLOADS: &str = "uploads";
const CHUNK_SUFFIX: &str = ".chunk";

/// The blob and upload folders of one data directory.
#[derive(Clone, Debug)]
pub struct BlobDir {
    root: PathBuf,
}

/// A file found in the blob store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobFile {
    /// The file's name: the hash its bytes should have.
    pub sha256: String,
    pub bytes: u64,
    pub path: PathBuf,
}

/// A file in the uploads folder: an upload's partial file, or a chunk being received.
#[derive(Clone, Debug)]
pub struct UploadFile {
    /// The upload it belongs to (the name up to its first dot).
    pub upload_id: String,
    pub chunk: bool,
    pub path: PathBuf,
}

impl BlobDir {
    pub fn new(data_dir: &Path) -> BlobDir {
        BlobDir { root: data_dir.to_path_buf() }
    }

    pub fn blob_path(&self, sha256: &str) -> PathBuf {
        self.root.join(BLOBS).join(&sha256[..2]).join(sha256)
    }

    pub fn partial_path(&self, upload_id: &str) -> PathBuf {
        self.root.join(UPLOADS).join(upload_id)
    }

    /// A fresh name for the chunk a PATCH is about to receive (its folder created).
    pub fn new_chunk_path(&self, upload_id: &str) -> io::Result<PathBuf> {
        let dir = self.root.join(UPLOADS);
        fs::create_dir_all(&dir)?;
        Ok(dir.join(format!("{upload_id}.{}{CHUNK_SUFFIX}", uuid::Uuid::new_v4().simple())))
    }

    /// Whether the depot holds this blob.
    pub fn has(&self, sha256: &str) -> bool {
        self.blob_path(sha256).is_file()
    }

    pub fn read(&self, sha256: &str) -> io::Result<Vec<u8>> {
        fs::read(self.blob_path(sha256))
    }

    /// Append `chunk`'s bytes to the upload's partial file at `at` (what the store says it
    /// holds: a longer file, left by a kill between this write and the row's update, is cut
    /// back first), then flush the file.
    pub fn append(&self, upload_id: &str, at: u64, chunk: &Path) -> io::Result<()> {
        let path = self.partial_path(upload_id);
        fs::create_dir_all(path.parent().expect("in the uploads folder"))?;
        let mut file = OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
        if file.metadata()?.len() < at {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the partial file is shorter than its stored offset"));
        }
        file.set_len(at)?;
        file.seek(SeekFrom::Start(at))?;
        io::copy(&mut File::open(chunk)?, &mut file)?;
        file.sync_data()?;
        Ok(())
    }

    /// The SHA-256 (hex) and length of an upload's partial file.
    pub fn partial_hash(&self, upload_id: &str) -> io::Result<(String, u64)> {
        hash_file(&self.partial_path(upload_id))
    }

    /// Make a finished upload's partial file the blob `sha256`: flushed, renamed into place,
    /// the folder flushed. A blob already there has the same bytes (its name is their hash),
    /// so the rename replaces it with an equal file.
    pub fn store(&self, upload_id: &str, sha256: &str) -> io::Result<()> {
        self.store_file(&self.partial_path(upload_id), sha256)
    }

    /// Make the file `from` (in the uploads folder) the blob `sha256`: flushed, renamed into
    /// place, the folder flushed.
    fn store_file(&self, from: &Path, sha256: &str) -> io::Result<()> {
        File::open(from)?.sync_all()?;
        let to = self.blob_path(sha256);
        let dir = to.parent().expect("in a blob folder");
        fs::create_dir_all(dir)?;
        fs::rename(from, &to)?;
        sync_dir(dir)
    }

    /// Keep `bytes` made at the depot (not uploaded) as a blob, under their SHA-256, which is
    /// returned. They are written into a file of the uploads folder, then stored as a finished
    /// upload is; a kill in between leaves a file no upload owns, which the next start removes.
    pub fn put(&self, bytes: &[u8]) -> io::Result<String> {
        let sha256 = fundi_sync::hash::sha256_hex(bytes);
        if self.has(&sha256) {
            return Ok(sha256);
        }
        let path = self.new_chunk_path(&uuid::Uuid::new_v4().simple().to_string())?;
        fs::write(&path, bytes)?;
        self.store_file(&path, &sha256)?;
        Ok(sha256)
    }

    /// Remove an upload's partial file (gone already is fine).
    pub fn remove_partial(&self, upload_id: &str) -> io::Result<()> {
        remove_if_there(&self.partial_path(upload_id))
    }

    /// Remove a blob (gone already is fine).
    pub fn remove_blob(&self, sha256: &str) -> io::Result<()> {
        remove_if_there(&self.blob_path(sha256))
    }

    /// Every file in the blob folders, named by a content hash or not (a name that is not one,
    /// or that sits in the wrong folder, is reported by `verify` as stray).
    pub fn blobs(&self) -> io::Result<Vec<BlobFile>> {
        let mut out = vec![];
        for dir in read_dir_sorted(&self.root.join(BLOBS))? {
            if !dir.is_dir() {
                out.push(blob_file(dir)?);
                continue;
            }
            for path in read_dir_sorted(&dir)? {
                out.push(blob_file(path)?);
            }
        }
        Ok(out)
    }

    /// Every file in the uploads folder.
    pub fn upload_files(&self) -> io::Result<Vec<UploadFile>> {
        let mut out = vec![];
        for path in read_dir_sorted(&self.root.join(UPLOADS))? {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            out.push(UploadFile {
                upload_id: name.split('.').next().unwrap_or_default().to_string(),
                chunk: name.ends_with(CHUNK_SUFFIX),
                path,
            });
        }
        Ok(out)
    }
}

fn blob_file(path: PathBuf) -> io::Result<BlobFile> {
    let bytes = fs::metadata(&path)?.len();
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let in_its_folder = path.parent().and_then(Path::file_name).is_some_and(|d| name.get(..2) == Some(&*d.to_string_lossy()));
    let sha256 = if fundi_sync::hash::is_content_hash(&name) && in_its_folder { name } else { String::new() };
    Ok(BlobFile { sha256, bytes, path })
}

/// The SHA-256 (hex) and length of a file, read in pieces.
pub fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    hash_copy(File::open(path)?, io::sink())
}

/// Copy `from` into `to` in pieces, hashing the bytes as they go: their SHA-256 (hex) and length.
pub(crate) fn hash_copy(mut from: impl Read, mut to: impl io::Write) -> io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n])?;
        total += n as u64;
    }
    Ok((hasher.finalize().iter().map(|b| format!("{b:02x}")).collect(), total))
}

/// The entries of `dir`, sorted (none when it does not exist).
pub(crate) fn read_dir_sorted(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(e),
    };
    let mut out: Vec<PathBuf> = entries.map(|e| e.map(|e| e.path())).collect::<io::Result<_>>()?;
    out.sort();
    Ok(out)
}

fn remove_if_there(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Flush a folder, so that a rename into it survives a power cut.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_is_appended_at_the_stored_offset_and_the_blob_lands_under_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let b = BlobDir::new(dir.path());
        let chunk = b.new_chunk_path("u1").unwrap();
        fs::write(&chunk, b"hello ").unwrap();
        b.append("u1", 0, &chunk).unwrap();
        // A kill after a write whose offset was never stored: the tail is cut back.
        fs::write(&chunk, b"torn tail").unwrap();
        b.append("u1", 6, &chunk).unwrap();
        fs::write(&chunk, b"world").unwrap();
        b.append("u1", 6, &chunk).unwrap();
        let (sha, len) = b.partial_hash("u1").unwrap();
        assert_eq!((sha.as_str(), len), (fundi_sync::hash::sha256_hex(b"hello world").as_str(), 11));
        // A stored offset beyond the file is damage, never papered over with zeros.
        assert!(b.append("u1", 50, &chunk).is_err());
        b.store("u1", &sha).unwrap();
        assert!(b.has(&sha) && !b.partial_path("u1").exists());
        assert_eq!(b.read(&sha).unwrap(), b"hello world");
        let listed = b.blobs().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].sha256.as_str(), listed[0].bytes), (sha.as_str(), 11));
        let files = b.upload_files().unwrap();
        assert_eq!(files.len(), 1, "the chunk file is still there: {files:?}");
        assert!(files[0].chunk && files[0].upload_id == "u1");
    }

    #[test]
    fn bytes_made_at_the_depot_land_under_their_hash_and_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let b = BlobDir::new(dir.path());
        let sha = b.put(b"a photo of the goods").unwrap();
        assert_eq!(sha, fundi_sync::hash::sha256_hex(b"a photo of the goods"));
        assert_eq!(b.read(&sha).unwrap(), b"a photo of the goods");
        // Again: the same blob, nothing new anywhere.
        assert_eq!(b.put(b"a photo of the goods").unwrap(), sha);
        assert_eq!(b.blobs().unwrap().len(), 1);
        assert!(b.upload_files().unwrap().is_empty(), "no file left in the uploads folder");
    }
}
