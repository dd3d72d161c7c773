//! Writing whole directory trees: `write_tree` (plain export) and `write_layer_from_upper`
//! (overlay upper dir → layer, converting whiteouts and opaque directories).

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};

use rustix::fs::{FileType, Stat};

use super::emit::Emitter;
use crate::apply::OPAQUE_XATTR;
use crate::error::ArchiveError;
use crate::fsutil;

/// Sorted children of `dir` with their `lstat`.
pub(crate) fn children<W: Write>(
    em: &Emitter<'_, W>,
    dir: BorrowedFd<'_>,
    rel: &[u8],
) -> Result<Vec<(Vec<u8>, Stat)>, ArchiveError> {
    let names =
        fsutil::read_dir_names(dir).map_err(|e| em.fs_error(rel, "listing directory", e))?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let child = fsutil::join(rel, &name);
        // Gone between listing and stat (a running container): nothing to write.
        if let Some(st) = fsutil::stat_at(dir, &name).map_err(|e| em.fs_error(&child, "stat", e))? {
            out.push((name, st));
        }
    }
    Ok(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// A plain directory: everything as is.
    Tree,
    /// An overlay upper directory: whiteouts and opaque markers converted.
    Upper,
}

/// Writes everything below `dir` (relative path `rel`) in sorted depth-first order.
pub(crate) fn write_dir<W: Write>(
    em: &mut Emitter<'_, W>,
    dir: BorrowedFd<'_>,
    rel: &[u8],
    source: Source,
) -> Result<(), ArchiveError> {
    for (name, st) in children(em, dir, rel)? {
        let child = fsutil::join(rel, &name);
        if source == Source::Upper && fsutil::is_whiteout(&st) {
            em.whiteout(&child, Some(&st))?;
            continue;
        }
        let xattrs = fsutil::list_xattrs_at(dir, &name)
            .map_err(|e| em.fs_error(&child, "reading xattrs", e))?;
        if source == Source::Upper {
            check_upper_xattrs(em, &child, &xattrs)?;
        }
        if fsutil::file_type(&st) != FileType::Directory {
            em.emit(dir, &name, &child, &st, &xattrs)?;
            continue;
        }
        let Some(h) = em.header(dir, &name, &child, &st, &xattrs)? else {
            continue;
        };
        em.write_header(&h)?;
        if source == Source::Upper && is_opaque(&xattrs) {
            em.opaque(&h)?;
        }
        let sub = fsutil::open_subdir(dir, &name)
            .map_err(|e| em.fs_error(&child, "opening directory", e))?;
        write_dir(em, sub.as_fd(), &child, source)?;
    }
    Ok(())
}

pub(crate) fn is_opaque(xattrs: &[(String, Vec<u8>)]) -> bool {
    xattrs
        .iter()
        .any(|(k, v)| (k == OPAQUE_XATTR || k == "user.overlay.opaque") && v == b"y")
}

/// Upper dirs written with overlay features that a tar layer cannot express are refused rather
/// than turned into a wrong layer.
fn check_upper_xattrs<W: Write>(
    em: &Emitter<'_, W>,
    rel: &[u8],
    xattrs: &[(String, Vec<u8>)],
) -> Result<(), ArchiveError> {
    for (k, _) in xattrs {
        let reason = match k
            .strip_prefix("trusted.overlay.")
            .or_else(|| k.strip_prefix("user.overlay."))
        {
            Some("redirect") => {
                "renamed directory (overlay redirect_dir): mount the overlay with redirect_dir=off"
            }
            Some("metacopy") => {
                "metadata-only copy-up (overlay metacopy): mount the overlay with metacopy=off"
            }
            _ => continue,
        };
        return Err(ArchiveError::UnsupportedUpper {
            path: em.path_of(rel),
            reason,
        });
    }
    Ok(())
}
