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
