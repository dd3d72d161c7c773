//! Layer from two full trees, for the copying snapshotter where no upper dir exists.
//!
//! Both trees are walked together in name order. New or changed entries are written, deleted
//! ones become `.wh.NAME`, and unchanged directories are written only when something below them
//! changed (Docker includes parents so their permissions are restored). Regular files count as
//! changed when type, mode, owner, size, mtime or xattrs differ (contents are not compared, as
//! in Docker).

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use rustix::fs::{self as rfs, FileType, Stat};

use super::emit::{Emitter, keep_xattr};
use super::walk::{Source, children, write_dir};
use super::{LayerStats, WriteOptions, same_fs_time};
use crate::error::ArchiveError;
use crate::fsutil;
use crate::tar::Header;

/// Writes the layer that turns `lower` into `upper` (both complete trees).
pub fn diff_trees(
    lower: &Path,
    upper: &Path,
    w: impl Write,
    opts: &WriteOptions,
) -> Result<LayerStats, ArchiveError> {
    let lfd =
        fsutil::open_dir(lower).map_err(|e| ArchiveError::fs(lower, "opening directory", e))?;
    let ufd =
        fsutil::open_dir(upper).map_err(|e| ArchiveError::fs(upper, "opening directory", e))?;
    let mut d = TreeDiff {
        em: Emitter::new(w, opts, upper),
        lower_em: Emitter::new(std::io::sink(), opts, lower),
        pending: Vec::new(),
    };
    d.dir(lfd.as_fd(), ufd.as_fd(), b"")?;
    Ok(d.em.finish()?.1)
}

struct TreeDiff<'o, W: Write> {
    em: Emitter<'o, W>,
    /// Only used to read and describe lower entries (never written).
    lower_em: Emitter<'o, std::io::Sink>,
    /// Unchanged ancestor directories, written as soon as something below them changes.
    pending: Vec<Header>,
}

struct Side<'a> {
    dir: BorrowedFd<'a>,
    name: &'a [u8],
    st: &'a Stat,
}

impl<W: Write> TreeDiff<'_, W> {
    fn dir(
        &mut self,
        lower: BorrowedFd<'_>,
        upper: BorrowedFd<'_>,
        rel: &[u8],
    ) -> Result<(), ArchiveError> {
        let lkids = children(&self.lower_em, lower, rel)?;
        let ukids = children(&self.em, upper, rel)?;
        let (mut li, mut ui) = (lkids.iter().peekable(), ukids.iter().peekable());
        loop {
            let order = match (li.peek(), ui.peek()) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(l), Some(u)) => l.0.cmp(&u.0),
            };
            match order {
                std::cmp::Ordering::Less => {
                    let (name, _) = li.next().expect("peeked");
                    self.flush_pending()?;
                    self.em.whiteout(&fsutil::join(rel, name), None)?;
                }
                std::cmp::Ordering::Greater => {
                    let (name, st) = ui.next().expect("peeked");
                    self.added(upper, name, &fsutil::join(rel, name), st)?;
                }
                std::cmp::Ordering::Equal => {
                    let (name, lst) = li.next().expect("peeked");
                    let (_, ust) = ui.next().expect("peeked");
                    let l = Side {
                        dir: lower,
                        name,
                        st: lst,
                    };
                    let u = Side {
                        dir: upper,
                        name,
                        st: ust,
                    };
                    self.both(l, u, &fsutil::join(rel, name))?;
                }
            }
        }
        Ok(())
    }

    /// An entry only in the upper tree: it and everything below it.
    fn added(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &[u8],
        rel: &[u8],
        st: &Stat,
    ) -> Result<(), ArchiveError> {
        self.flush_pending()?;
        let xattrs = fsutil::list_xattrs_at(dir, name)
            .map_err(|e| self.em.fs_error(rel, "reading xattrs", e))?;
        self.em.emit(dir, name, rel, st, &xattrs)?;
        if fsutil::file_type(st) == FileType::Directory {
            let sub = fsutil::open_subdir(dir, name)
                .map_err(|e| self.em.fs_error(rel, "opening directory", e))?;
            write_dir(&mut self.em, sub.as_fd(), rel, Source::Tree)?;
        }
        Ok(())
    }

    fn both(&mut self, l: Side<'_>, u: Side<'_>, rel: &[u8]) -> Result<(), ArchiveError> {
        let lt = fsutil::file_type(l.st);
        let ut = fsutil::file_type(u.st);
        if lt == FileType::Directory && ut == FileType::Directory && !same_inode(l.st, u.st) {
            let lx = fsutil::list_xattrs_at(l.dir, l.name)
                .map_err(|e| self.lower_em.fs_error(rel, "reading xattrs", e))?;
            let ux = fsutil::list_xattrs_at(u.dir, u.name)
                .map_err(|e| self.em.fs_error(rel, "reading xattrs", e))?;
            let lh = self.lower_em.header(l.dir, l.name, rel, l.st, &lx)?;
            let Some(uh) = self.em.header(u.dir, u.name, rel, u.st, &ux)? else {
                return Ok(());
            };
            let depth = self.pending.len();
            if lh.as_ref().is_some_and(|lh| same_dir_meta(lh, &uh)) {
                self.pending.push(uh);
            } else {
                self.flush_pending()?;
                self.em.write_header(&uh)?;
            }
            let lsub = fsutil::open_subdir(l.dir, l.name)
                .map_err(|e| self.lower_em.fs_error(rel, "opening directory", e))?;
            let usub = fsutil::open_subdir(u.dir, u.name)
                .map_err(|e| self.em.fs_error(rel, "opening directory", e))?;
            self.dir(lsub.as_fd(), usub.as_fd(), rel)?;
            self.pending.truncate(depth);
            return Ok(());
        }
        if ut == FileType::Directory || lt != ut {
            // A new kind of entry replaces the old one (an applier removes what was there).
            return self.added(u.dir, u.name, rel, u.st);
        }
        if !self.file_changed(&l, &u, rel)? {
            return Ok(());
        }
        self.added(u.dir, u.name, rel, u.st)
    }

    fn file_changed(&self, l: &Side<'_>, u: &Side<'_>, rel: &[u8]) -> Result<bool, ArchiveError> {
        if same_inode(l.st, u.st) {
            return Ok(false);
        }
        let (a, b) = (l.st, u.st);
        if a.st_mode != b.st_mode
            || a.st_uid != b.st_uid
            || a.st_gid != b.st_gid
            || a.st_rdev != b.st_rdev
            || a.st_size != b.st_size
            || !same_fs_time(fsutil::mtime(a), fsutil::mtime(b))
        {
            return Ok(true);
        }
        if fsutil::file_type(b) == FileType::Symlink {
            let lt = rfs::readlinkat(l.dir, l.name, Vec::new())
                .map_err(|e| self.lower_em.fs_error(rel, "reading symlink", e))?;
            let ut = rfs::readlinkat(u.dir, u.name, Vec::new())
                .map_err(|e| self.em.fs_error(rel, "reading symlink", e))?;
            if lt != ut {
                return Ok(true);
            }
        }
        let lx = fsutil::list_xattrs_at(l.dir, l.name)
            .map_err(|e| self.lower_em.fs_error(rel, "reading xattrs", e))?;
        let ux = fsutil::list_xattrs_at(u.dir, u.name)
            .map_err(|e| self.em.fs_error(rel, "reading xattrs", e))?;
        let keep = |x: Vec<(String, Vec<u8>)>| {
            x.into_iter()
                .filter(|(k, _)| keep_xattr(k))
                .collect::<Vec<_>>()
        };
        Ok(keep(lx) != keep(ux))
    }

    fn flush_pending(&mut self) -> Result<(), ArchiveError> {
        for h in std::mem::take(&mut self.pending) {
            self.em.write_header(&h)?;
        }
        Ok(())
    }
}

fn same_inode(a: &Stat, b: &Stat) -> bool {
    a.st_dev == b.st_dev && a.st_ino == b.st_ino
}

/// Directory metadata that matters in a layer: mode, owner, xattrs (not size or mtime, which
/// change with any child, as Docker decided in moby#9874).
fn same_dir_meta(a: &Header, b: &Header) -> bool {
    a.mode == b.mode && a.uid == b.uid && a.gid == b.gid && a.xattrs == b.xattrs
}
