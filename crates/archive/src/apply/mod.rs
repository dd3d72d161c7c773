//! Unpacking a layer tarball into a directory, safely.
//!
//! Every entry is created through a parent directory fd resolved with
//! `openat2(RESOLVE_BENEATH)` and `*at` calls that do not follow the last component, so no
//! entry, link or symlink in a layer can make us write outside the destination.

mod create;
mod dest;
mod names;
mod whiteout;

use std::collections::HashSet;
use std::io::{BufReader, Read};
use std::path::Path;

use wharf_digest::{Digest, HashingReader};

use crate::compression::Decompressor;
use crate::error::ArchiveError;
use crate::fsutil;
use crate::idmap::IdMap;
use crate::tar::{self, Entry, Header, Timestamp};
use dest::Dest;

pub(crate) use create::{OPAQUE_XATTR, is_overlay_internal};
pub(crate) use names::{OPAQUE_MARKER, WHITEOUT_META_PREFIX, WHITEOUT_PREFIX};

const READ_BUF: usize = 1 << 20;
const MAX_WARNINGS: usize = 100;

/// How whiteout entries (`.wh.NAME`, `.wh..wh..opq`) are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Whiteouts {
    /// The destination is one overlayfs layer directory: a whiteout becomes a 0/0 character
    /// device and an opaque marker the `trusted.overlay.opaque=y` xattr on its directory.
    #[default]
    Overlay,
    /// The destination holds the full contents of the layers below (copying snapshotter): a
    /// whiteout removes its target and an opaque marker empties its directory of everything this
    /// layer did not add.
    Remove,
}

#[derive(Clone, Debug, Default)]
pub struct ApplyOptions {
    pub whiteouts: Whiteouts,
    /// Maps the layer's (container) uids/gids to host ids; ids outside the map are an error.
    pub id_map: Option<IdMap>,
    /// Skip, with a warning, `trusted.*` and `security.*` xattrs the kernel refuses to set
    /// (unprivileged or on a filesystem without support) instead of failing.
    pub ignore_xattr_errors: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyStats {
    /// sha256 of the uncompressed tar stream, read to its very end (the layer's DiffID).
    pub diff_id: Digest,
    /// Size of the uncompressed tar stream.
    pub tar_size: u64,
    /// Regular file data written.
    pub unpacked_bytes: u64,
    /// Entries processed (including whiteouts and skipped metadata entries).
    pub entries: u64,
    /// Things skipped on purpose (refused xattrs when allowed, overlay-internal xattrs), at
    /// most 100; `warnings_omitted` counts the rest.
    pub warnings: Vec<String>,
    pub warnings_omitted: u64,
}

/// Unpacks the (possibly gzip/zstd/xz compressed) layer read from `r` into `dest`, which must
/// exist. The caller syncs the result (`syncfs`) when it needs durability; nothing is fsynced
/// per file.
pub fn apply_layer(
    r: impl Read,
    dest: &Path,
    opts: &ApplyOptions,
) -> Result<ApplyStats, ArchiveError> {
    let stream = HashingReader::new(Decompressor::new(r)?);
    let mut tar = tar::Reader::new(BufReader::with_capacity(READ_BUF, stream));
    let mut applier = Applier::new(dest, opts)?;
    while let Some(mut entry) = tar.next_entry()? {
        applier.apply(&mut entry)?;
    }
    applier.finish_dir_times()?;
    // The rest of the stream (trailer, padding some writers add) is part of the DiffID.
    let (diff_id, tar_size) =
        tar.into_inner()
            .into_inner()
            .finish()
            .map_err(|e| ArchiveError::Stream {
                context: "reading the layer stream after the end-of-archive marker".into(),
                source: e,
            })?;
    Ok(ApplyStats {
        diff_id,
        tar_size,
        unpacked_bytes: applier.unpacked_bytes,
        entries: applier.entries,
        warnings: applier.warnings,
        warnings_omitted: applier.warnings_omitted,
    })
}

/// Access and modification time to set on a directory after its children exist.
struct DirTimes {
    rel: Vec<u8>,
    atime: Timestamp,
    mtime: Timestamp,
}

pub(crate) struct Applier<'o> {
    opts: &'o ApplyOptions,
    dest: Dest,
    /// Cleaned paths of entries this layer created (for hard link targets and opaque dirs).
    added: HashSet<Vec<u8>>,
    dir_times: Vec<DirTimes>,
    buf: Vec<u8>,
    unpacked_bytes: u64,
    entries: u64,
    warnings: Vec<String>,
    warnings_omitted: u64,
}

impl<'o> Applier<'o> {
    fn new(dest: &Path, opts: &'o ApplyOptions) -> Result<Applier<'o>, ArchiveError> {
        Ok(Applier {
            opts,
            dest: Dest::open(dest)?,
            added: HashSet::new(),
            dir_times: Vec::new(),
            buf: vec![0; READ_BUF],
            unpacked_bytes: 0,
            entries: 0,
            warnings: Vec::new(),
            warnings_omitted: 0,
        })
    }

    fn apply<R: Read>(&mut self, entry: &mut Entry<'_, R>) -> Result<(), ArchiveError> {
        self.entries += 1;
        let h = entry.header().clone();
        let rel = names::clean(&h.path).map_err(|reason| unsafe_path(&h, reason))?;
        if rel.is_empty() {
            return self.apply_root(&h);
        }
        let (parent, base) = fsutil::split_parent(&rel);
        if rel.starts_with(WHITEOUT_META_PREFIX) {
            return Ok(()); // aufs metadata directories (.wh..wh.plnk, ...)
        }
        if base.starts_with(WHITEOUT_PREFIX) {
            return self.apply_whiteout(&h, parent, base);
        }
        self.create(&h, &rel, entry)?;
        self.added.insert(rel);
        Ok(())
    }

    fn warn(&mut self, msg: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(msg);
        } else {
            self.warnings_omitted += 1;
        }
    }

    /// Sets directory times last, once nothing more will be created inside them.
    fn finish_dir_times(&mut self) -> Result<(), ArchiveError> {
        for t in std::mem::take(&mut self.dir_times) {
            self.set_dir_times(&t)?;
        }
        Ok(())
    }
}

pub(crate) fn unsafe_path(h: &Header, reason: impl Into<String>) -> ArchiveError {
    ArchiveError::UnsafePath {
        entry: h.display_path(),
        reason: reason.into(),
    }
}

pub(crate) fn apply_error(
    h: &Header,
    op: &'static str,
    e: impl Into<std::io::Error>,
) -> ArchiveError {
    ArchiveError::Apply {
        entry: h.display_path(),
        op,
        source: e.into(),
    }
}
