//! From directories back to layers: overlay upper dir → layer tar, `docker diff` change
//! lists, full-tree comparison for the copying snapshotter, and whole-tree export.
//!
//! All writers are deterministic: entries in sorted depth-first order, whole-second mtimes
//! (optionally clamped), no user/group name lookups, PAX records only when needed.

mod changes;
mod emit;
mod trees;
mod walk;

use std::fmt;
use std::io::Write;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use wharf_digest::Digest;

use crate::error::ArchiveError;
use crate::fsutil;
use crate::idmap::IdMap;
use emit::Emitter;
use walk::Source;

pub use changes::changes;
pub use trees::diff_trees;

#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    /// Entries newer than this (Unix seconds) get this mtime: `SOURCE_DATE_EPOCH` builds.
    pub mtime_clamp: Option<i64>,
    /// Maps host uids/gids back to the container's; ids outside the map are an error.
    pub id_map: Option<IdMap>,
    /// With `id_map`: keep ids outside the map as they are instead. For trees that mix
    /// both, e.g. a remapped container's merged view (image layers hold container ids,
    /// what the container wrote holds host ids).
    pub keep_unmapped_ids: bool,
}

/// What a written layer is: its DiffID and uncompressed size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerStats {
    pub diff_id: Digest,
    pub size: u64,
}

/// Docker's change kinds, with Docker's numbering (the API's `Kind` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    Modified = 0,
    Added = 1,
    Deleted = 2,
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChangeKind::Modified => "C",
            ChangeKind::Added => "A",
            ChangeKind::Deleted => "D",
        })
    }
}

/// One line of `docker diff`: `C /etc`, `A /etc/new`, `D /etc/old`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    /// Absolute path inside the container.
    pub path: PathBuf,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.path.display())
    }
}

/// Writes the layer tar for an overlay upper directory: whiteouts (char 0/0) become
/// `.wh.NAME`, opaque directories are written followed by `DIR/.wh..wh..opq`, overlay-internal
/// xattrs are dropped. Upper dirs using `redirect_dir` or `metacopy` are refused.
pub fn write_layer_from_upper(
    upper: &Path,
    w: impl Write,
    opts: &WriteOptions,
) -> Result<LayerStats, ArchiveError> {
    write(upper, w, opts, Source::Upper)
}

/// Writes every entry below `dir` (not `dir` itself) as a tar stream, for `export`, `import`
/// and saving locally made layers.
pub fn write_tree(
    dir: &Path,
    w: impl Write,
    opts: &WriteOptions,
) -> Result<LayerStats, ArchiveError> {
    write(dir, w, opts, Source::Tree)
}

/// Writes one path (a file, link or directory with everything below it) under the name `as_name`
/// in the archive: `docker cp` out of a container, where `/etc` is archived as `etc/…`.
pub fn write_path(
    path: &Path,
    as_name: &[u8],
    w: impl Write,
    opts: &WriteOptions,
) -> Result<LayerStats, ArchiveError> {
    let parent = path.parent().unwrap_or(Path::new("/"));
    let name = path
        .file_name()
        .map(|n| std::os::unix::ffi::OsStrExt::as_bytes(n).to_vec())
        .unwrap_or_else(|| b".".to_vec());
    let fd =
        fsutil::open_dir(parent).map_err(|e| ArchiveError::fs(parent, "opening directory", e))?;
    let mut em = Emitter::new(w, opts, parent);
    let st = fsutil::stat_at(fd.as_fd(), &name)
        .map_err(|e| ArchiveError::fs(path, "stat", e))?
        .ok_or_else(|| {
            ArchiveError::fs(
                path,
                "stat",
                std::io::Error::from(std::io::ErrorKind::NotFound),
            )
        })?;
    let xattrs = fsutil::list_xattrs_at(fd.as_fd(), &name)
        .map_err(|e| ArchiveError::fs(path, "reading xattrs", e))?;
    if fsutil::file_type(&st) != rustix::fs::FileType::Directory {
        em.emit(fd.as_fd(), &name, as_name, &st, &xattrs)?;
    } else {
        if let Some(h) = em.header(fd.as_fd(), &name, as_name, &st, &xattrs)? {
            em.write_header(&h)?;
        }
        let sub = fsutil::open_subdir(fd.as_fd(), &name)
            .map_err(|e| ArchiveError::fs(path, "opening directory", e))?;
        walk::write_dir(&mut em, sub.as_fd(), as_name, Source::Tree)?;
    }
    Ok(em.finish()?.1)
}

fn write(
    root: &Path,
    w: impl Write,
    opts: &WriteOptions,
    source: Source,
) -> Result<LayerStats, ArchiveError> {
    let fd = fsutil::open_dir(root).map_err(|e| ArchiveError::fs(root, "opening directory", e))?;
    let mut em = Emitter::new(w, opts, root);
    walk::write_dir(&mut em, fd.as_fd(), b"", source)?;
    Ok(em.finish()?.1)
}

/// Docker's rule for comparing mtimes: equal, or the same second with either side lacking
/// sub-second precision (tar layers only keep seconds).
pub(crate) fn same_fs_time(a: (i64, u64), b: (i64, u64)) -> bool {
    a == b || (a.0 == b.0 && (a.1 == 0 || b.1 == 0))
}
