//! The content store: immutable blobs named by their sha256 digest under
//! `content/blobs/sha256/<hex>`. Writes go to `content/ingest/<ref>`, are checked against the
//! expected digest and size, synced, and renamed into place, so a blob that exists is always
//! complete and correct. An ingest can be resumed by writing to the same ref again.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use wharf_digest::{Digest, Hasher};

use crate::fsutil;
use crate::{Result, StoreError};

#[derive(Clone)]
pub struct ContentStore {
    root: PathBuf,
}

impl ContentStore {
    /// Opens the store under `root` (`<data-root>/content`). Ingests left by a previous process
    /// are kept for resumption; [`ContentStore::clear_ingests`] drops them.
    pub fn open(root: &Path) -> Result<ContentStore> {
        for d in ["blobs/sha256", "ingest"] {
            let p = root.join(d);
            fs::create_dir_all(&p).map_err(StoreError::io("create", &p))?;
        }
        Ok(ContentStore {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root
            .join("blobs")
            .join(digest.algorithm())
            .join(digest.hex())
    }

    pub fn exists(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }

    /// Size of a stored blob.
    pub fn size(&self, digest: &Digest) -> Result<u64> {
        match fs::metadata(self.blob_path(digest)) {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(StoreError::BlobNotFound(digest.clone()))
            }
            Err(e) => Err(StoreError::Io {
                op: "stat",
                path: self.blob_path(digest),
                source: e,
            }),
        }
    }

    pub fn open_blob(&self, digest: &Digest) -> Result<File> {
        let p = self.blob_path(digest);
        File::open(&p).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                StoreError::BlobNotFound(digest.clone())
            } else {
                StoreError::Io {
                    op: "open",
                    path: p,
                    source: e,
                }
            }
        })
    }

    /// Reads a whole (small) blob and verifies it against its digest.
    pub fn read_blob(&self, digest: &Digest) -> Result<Vec<u8>> {
        let mut data = Vec::new();
        self.open_blob(digest)?
            .read_to_end(&mut data)
            .map_err(StoreError::io("read", self.blob_path(digest)))?;
        let actual = Digest::sha256_of(&data);
        if &actual != digest {
            return Err(StoreError::DigestMismatch {
                expected: digest.clone(),
                actual,
            });
        }
        Ok(data)
    }

    /// Stores `data`, checking it against `expected` when given.
    pub fn write_blob(&self, data: &[u8], expected: Option<&Digest>) -> Result<Digest> {
        let digest = Digest::sha256_of(data);
        if let Some(e) = expected
            && e != &digest
        {
            return Err(StoreError::DigestMismatch {
                expected: e.clone(),
                actual: digest,
            });
        }
        if self.exists(&digest) {
            return Ok(digest);
        }
        let mut w = self
            .writer(&format!("write-{}", digest.hex()), None)?
            .hashed_by_producer();
        w.write_all(data)
            .map_err(StoreError::io("write", w.path.clone()))?;
        w.commit(Some((&digest, data.len() as u64)))
    }

    /// Opens (or resumes) the ingest named `reference`. Data already in a resumed ingest is
    /// rehashed, and [`Writer::offset`] says where to continue.
    pub fn writer(&self, reference: &str, _hint: Option<u64>) -> Result<Writer> {
        let name: String = reference
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = self.root.join("ingest").join(name);
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(StoreError::io("open", &path))?;
        let mut hasher = Hasher::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf).map_err(StoreError::io("read", &path))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(Writer {
            store: self.clone(),
            file,
            path,
            hasher,
            unhashed: None,
        })
    }

    /// Removes a blob; a missing blob is not an error.
    pub fn delete(&self, digest: &Digest) -> Result<()> {
        fsutil::remove_all(&self.blob_path(digest))
    }

    /// Every stored blob with its size, for garbage collection and accounting.
    pub fn list(&self) -> Result<Vec<(Digest, u64)>> {
        let dir = self.root.join("blobs/sha256");
        let mut out = Vec::new();
        for entry in fs::read_dir(&dir).map_err(StoreError::io("read dir", &dir))? {
            let entry = entry.map_err(StoreError::io("read dir", &dir))?;
            let name = entry.file_name();
            let Some(d) = name.to_str().and_then(|h| Digest::from_sha256_hex(h).ok()) else {
                continue;
            };
            let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
            out.push((d, len));
        }
        Ok(out)
    }

    /// Drops every unfinished ingest (start-up: nothing resumes across a daemon restart yet).
    pub fn clear_ingests(&self) -> Result<usize> {
        let dir = self.root.join("ingest");
        let mut n = 0;
        for entry in fs::read_dir(&dir).map_err(StoreError::io("read dir", &dir))? {
            let entry = entry.map_err(StoreError::io("read dir", &dir))?;
            fsutil::remove_all(&entry.path())?;
            n += 1;
        }
        Ok(n)
    }
}

/// An in-progress blob write.
pub struct Writer {
    store: ContentStore,
    file: File,
    path: PathBuf,
    hasher: Hasher,
    /// Bytes written when the writer does not hash (see [`Writer::hashed_by_producer`]).
    unhashed: Option<u64>,
}

impl Writer {
    /// For producers that hash every byte they write themselves (a layer writer computes the
    /// DiffID of the tar it emits): the writer stops hashing, and [`Writer::commit`] then needs
    /// the producer's digest and size, which name the blob. Only for a fresh ingest.
    pub fn hashed_by_producer(mut self) -> Writer {
        self.unhashed = Some(self.hasher.len());
        self
    }

    /// The ingest file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written so far (including those of a resumed ingest).
    pub fn offset(&self) -> u64 {
        if let Some(n) = self.unhashed {
            return n;
        }
        self.hasher.len()
    }

    /// Verifies, syncs and moves the blob into place (not synced inside [`crate::db::deferred`]).
    /// With `expected`, a wrong digest or size is refused and the ingest discarded.
    pub fn commit(self, expected: Option<(&Digest, u64)>) -> Result<Digest> {
        self.finish(expected, true)
    }

    /// Like [`Writer::commit`] for a caller that has synced the whole filesystem (`syncfs`)
    /// since the last write: the data is durable already, so only the rename is synced.
    /// This lets a pull sync a layer's blob and its unpacked files with one `syncfs`.
    pub fn commit_synced(self, expected: Option<(&Digest, u64)>) -> Result<Digest> {
        self.finish(expected, false)
    }

    fn finish(mut self, expected: Option<(&Digest, u64)>, sync_data: bool) -> Result<Digest> {
        self.file
            .flush()
            .map_err(StoreError::io("flush", &self.path))?;
        let (digest, size) = match (self.unhashed, expected) {
            (Some(n), Some((d, _))) => (d.clone(), n),
            (Some(_), None) => {
                let _ = fs::remove_file(&self.path);
                return Err(StoreError::Db(
                    "a blob written without hashing needs its producer's digest".into(),
                ));
            }
            (None, _) => {
                let size = self.hasher.len();
                (std::mem::take(&mut self.hasher).finish(), size)
            }
        };
        if let Some((want, want_size)) = expected {
            if want != &digest {
                let _ = fs::remove_file(&self.path);
                return Err(StoreError::DigestMismatch {
                    expected: want.clone(),
                    actual: digest,
                });
            }
            if want_size != size {
                let _ = fs::remove_file(&self.path);
                return Err(StoreError::SizeMismatch {
                    digest,
                    expected: want_size,
                    actual: size,
                });
            }
        }
        let target = self.store.blob_path(&digest);
        if target.exists() {
            let _ = fs::remove_file(&self.path);
            return Ok(digest);
        }
        let durable = !crate::db::is_deferred();
        if durable && sync_data {
            self.file
                .sync_all()
                .map_err(StoreError::io("fsync", &self.path))?;
        }
        fs::rename(&self.path, &target).map_err(StoreError::io("rename", &target))?;
        if durable {
            fsutil::sync_dir(target.parent().unwrap_or(Path::new("/")))?;
        }
        Ok(digest)
    }

    /// Abandons the ingest and removes its data.
    pub fn abort(self) {
        let _ = fs::remove_file(&self.path);
    }
}

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        match &mut self.unhashed {
            Some(len) => *len += n as u64,
            None => self.hasher.update(&buf[..n]),
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, ContentStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = ContentStore::open(dir.path()).unwrap();
        (dir, s)
    }

    #[test]
    fn blobs_are_stored_by_digest_and_verified_on_read() {
        let (_d, s) = store();
        let dg = s.write_blob(b"hello", None).unwrap();
        assert_eq!(dg, Digest::sha256_of(b"hello"));
        assert_eq!(s.read_blob(&dg).unwrap(), b"hello");
        assert_eq!(s.size(&dg).unwrap(), 5);
        fs::write(s.blob_path(&dg), b"tampered").unwrap();
        assert!(matches!(
            s.read_blob(&dg),
            Err(StoreError::DigestMismatch { .. })
        ));
    }

    #[test]
    fn wrong_digest_is_refused_and_leaves_nothing() {
        let (_d, s) = store();
        let other = Digest::sha256_of(b"other");
        assert!(matches!(
            s.write_blob(b"hello", Some(&other)),
            Err(StoreError::DigestMismatch { .. })
        ));
        let mut w = s.writer("x", None).unwrap();
        w.write_all(b"abc").unwrap();
        assert!(w.commit(Some((&other, 3))).is_err());
        assert!(s.list().unwrap().is_empty());
        assert_eq!(fs::read_dir(s.root().join("ingest")).unwrap().count(), 0);
    }

    #[test]
    fn ingest_resumes_where_it_stopped() {
        let (_d, s) = store();
        let mut w = s.writer("pull-1", None).unwrap();
        w.write_all(b"hello ").unwrap();
        drop(w);
        let mut w = s.writer("pull-1", None).unwrap();
        assert_eq!(w.offset(), 6);
        w.write_all(b"world").unwrap();
        let want = Digest::sha256_of(b"hello world");
        assert_eq!(w.commit(Some((&want, 11))).unwrap(), want);
        assert!(s.exists(&want));
    }

    #[test]
    fn a_producer_that_hashes_names_the_blob() {
        let (_t, s) = store();
        let want = Digest::sha256_of(b"layer data");
        let mut w = s.writer("producer", None).unwrap().hashed_by_producer();
        w.write_all(b"layer data").unwrap();
        assert_eq!(w.offset(), 10);
        assert_eq!(w.commit(Some((&want, 10))).unwrap(), want);
        assert_eq!(s.read_blob(&want).unwrap(), b"layer data");
        let w = s.writer("nameless", None).unwrap().hashed_by_producer();
        assert!(w.commit(None).is_err());
    }

    #[test]
    fn a_presynced_commit_verifies_all_the_same() {
        let (_d, s) = store();
        let mut w = s.writer("x", None).unwrap();
        w.write_all(b"abc").unwrap();
        let other = Digest::sha256_of(b"other");
        assert!(w.commit_synced(Some((&other, 3))).is_err());
        let mut w = s.writer("x", None).unwrap();
        w.write_all(b"abc").unwrap();
        crate::fsutil::syncfs(s.root()).unwrap();
        let d = w
            .commit_synced(Some((&Digest::sha256_of(b"abc"), 3)))
            .unwrap();
        assert_eq!(s.read_blob(&d).unwrap(), b"abc");
    }

    #[test]
    fn missing_blob_is_a_typed_not_found() {
        let (_d, s) = store();
        let e = s.open_blob(&Digest::sha256_of(b"nope")).unwrap_err();
        assert!(e.is_not_found());
    }
}
