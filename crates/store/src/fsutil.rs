//! Small filesystem helpers shared by the stores: durable writes, removal, and disk usage.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::{Result, StoreError};

/// Writes `data` to `path` atomically: a temporary sibling is written, synced and renamed over
/// `path`, then the directory is synced, so readers see the old or the new file, never a mix.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    ));
    let mut f = File::create(&tmp).map_err(StoreError::io("create", &tmp))?;
    f.write_all(data).map_err(StoreError::io("write", &tmp))?;
    f.sync_all().map_err(StoreError::io("fsync", &tmp))?;
    fs::rename(&tmp, path).map_err(StoreError::io("rename", path))?;
    sync_dir(dir)
}

pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(StoreError::io("fsync", dir))
}

/// Removes a file or directory tree; a path that is already gone is not an error.
pub fn remove_all(path: &Path) -> Result<()> {
    let res = match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) => Err(e),
    };
    match res {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::Io {
            op: "remove",
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

/// Bytes a tree occupies on disk (allocated blocks), counting hard-linked inodes once, as `du`
/// does. Symlinks are not followed.
pub fn disk_usage(path: &Path) -> Result<u64> {
    let mut seen = HashSet::new();
    let mut total = 0u64;
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        let meta = match fs::symlink_metadata(&p) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(StoreError::Io {
                    op: "stat",
                    path: p,
                    source: e,
                });
            }
        };
        if meta.nlink() > 1 && !meta.is_dir() && !seen.insert((meta.dev(), meta.ino())) {
            continue;
        }
        total += meta.blocks() * 512;
        if meta.is_dir() {
            let rd = fs::read_dir(&p).map_err(StoreError::io("read dir", &p))?;
            for entry in rd {
                stack.push(entry.map_err(StoreError::io("read dir", &p))?.path());
            }
        }
    }
    Ok(total)
}

/// Apparent size of a tree: the sum of regular file and symlink sizes, as Docker reports layer
/// sizes (hard links counted once).
pub fn content_size(path: &Path) -> Result<u64> {
    let mut seen = HashSet::new();
    let mut total = 0u64;
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        let meta = match fs::symlink_metadata(&p) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(StoreError::Io {
                    op: "stat",
                    path: p,
                    source: e,
                });
            }
        };
        if meta.is_dir() {
            let rd = fs::read_dir(&p).map_err(StoreError::io("read dir", &p))?;
            for entry in rd {
                stack.push(entry.map_err(StoreError::io("read dir", &p))?.path());
            }
        } else if meta.nlink() <= 1 || seen.insert((meta.dev(), meta.ino())) {
            total += meta.size();
        }
    }
    Ok(total)
}

/// Flushes every dirty page of the filesystem holding `path` (one call instead of an fsync per
/// file after unpacking a layer).
pub fn syncfs(path: &Path) -> Result<()> {
    let f = File::open(path).map_err(StoreError::io("open", path))?;
    rustix::fs::syncfs(&f).map_err(|e| StoreError::Io {
        op: "syncfs",
        path: path.to_path_buf(),
        source: e.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn remove_all_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("a/b");
        fs::create_dir_all(&t).unwrap();
        fs::write(t.join("f"), b"x").unwrap();
        remove_all(&dir.path().join("a")).unwrap();
        remove_all(&dir.path().join("a")).unwrap();
        assert!(!dir.path().join("a").exists());
    }

    #[test]
    fn sizes_count_hard_links_once() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("f"), vec![7u8; 10_000]).unwrap();
        fs::hard_link(dir.path().join("f"), dir.path().join("g")).unwrap();
        assert_eq!(content_size(dir.path()).unwrap(), 10_000);
        let du = disk_usage(dir.path()).unwrap();
        assert!((10_000..40_000).contains(&du), "du {du}");
    }
}
