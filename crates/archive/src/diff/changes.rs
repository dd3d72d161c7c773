//! `docker diff`: the changes an overlay upper dir makes to the view of its lower layers.
//!
//! Docker computes these by comparing the mounted container and image trees (moby
//! `ChangesDirs`); we get the same answer from the upper dir and the lower layer dirs without
//! mounting anything:
//! - a path visible only in the new view is `A` (and so is everything below it);
//! - a path visible only in the old view is `D` (a whiteout, or a child of a lower directory
//!   hidden by an opaque upper directory); only the top-most deleted path is listed;
//! - a path in both is `C` when type and mode, owner, device number or `security.capability`
//!   differ, or, for non-directories, size or mtime (same second with one side lacking
//!   sub-second precision counts as equal, as in Docker);
//! - a directory with any change below it is `C`, listed before its children.
//!
//! Unlike Docker, whose output order depends on Go map iteration, entries come in sorted
//! depth-first order.

use std::collections::{BTreeSet, HashSet};
use std::ffi::OsStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Stat};

use super::emit::path_under;
use super::{Change, ChangeKind, same_fs_time};
use crate::apply::{OPAQUE_XATTR, WHITEOUT_META_PREFIX};
use crate::error::ArchiveError;
use crate::fsutil;

const CAPABILITY_XATTR: &str = "security.capability";

/// The changes of `upper` relative to `lowers` (overlay order: the top-most lower first).
pub fn changes(upper: &Path, lowers: &[&Path]) -> Result<Vec<Change>, ArchiveError> {
    let upper_fd =
        fsutil::open_dir(upper).map_err(|e| ArchiveError::fs(upper, "opening upper dir", e))?;
    let view = LowerView::open(lowers)?;
    let mut c = Collector {
        upper,
        view,
        out: Vec::new(),
    };
    c.walk(upper_fd.as_fd(), b"", false, false)?;
    Ok(c.out)
}

struct Collector<'a> {
    upper: &'a Path,
    view: LowerView,
    out: Vec<Change>,
}

enum Child {
    Upper(Vec<u8>, Stat),
    /// Only in the lower layers, under an opaque upper directory: deleted.
    HiddenLower(Vec<u8>),
}

impl Collector<'_> {
    /// `added`: the directory is new, so nothing below it can be in the lower layers.
    fn walk(
        &mut self,
        dir: BorrowedFd<'_>,
        rel: &[u8],
        opaque: bool,
        added: bool,
    ) -> Result<(), ArchiveError> {
        let err = |op, e| ArchiveError::fs(path_under(self.upper, rel), op, e);
        let mut kids: Vec<(Vec<u8>, Child)> = Vec::new();
        for name in fsutil::read_dir_names(dir).map_err(|e| err("listing directory", e))? {
            if let Some(st) = fsutil::stat_at(dir, &name).map_err(|e| err("stat", e))? {
                kids.push((name.clone(), Child::Upper(name, st)));
            }
        }
        if opaque && !added {
            let upper_names: HashSet<Vec<u8>> = kids.iter().map(|(n, _)| n.clone()).collect();
            for name in self.view.children(rel)? {
                if !upper_names.contains(&name) {
                    kids.push((name.clone(), Child::HiddenLower(name)));
                }
            }
            kids.sort_by(|a, b| a.0.cmp(&b.0));
        }
        for (_, kid) in kids {
            match kid {
                Child::HiddenLower(name) => {
                    self.push(ChangeKind::Deleted, &fsutil::join(rel, &name))
                }
                Child::Upper(name, st) => self.upper_child(dir, rel, &name, &st, added)?,
            }
        }
        Ok(())
    }

    fn upper_child(
        &mut self,
        dir: BorrowedFd<'_>,
        rel: &[u8],
        name: &[u8],
        st: &Stat,
        parent_added: bool,
    ) -> Result<(), ArchiveError> {
        if name.starts_with(WHITEOUT_META_PREFIX) {
            return Ok(());
        }
        let child = fsutil::join(rel, name);
        let path = || path_under(self.upper, &child);
        let lower = if parent_added {
            None
        } else {
            self.view.lookup(&child)?
        };
        if fsutil::is_whiteout(st) {
            // A whiteout hiding nothing changes nothing in the merged view.
            if lower.is_some() {
                self.push(ChangeKind::Deleted, &child);
            }
            return Ok(());
        }
        let mark = self.out.len();
        let (recorded, added) = match &lower {
            None => {
                self.push(ChangeKind::Added, &child);
                (true, true)
            }
            Some(l) => {
                let cap = fsutil::get_xattr_at(dir, name, CAPABILITY_XATTR)
                    .map_err(|e| ArchiveError::fs(path(), "reading xattrs", e))?;
                let changed = stat_differs(&l.stat, st) || l.capability != cap;
                if changed {
                    self.push(ChangeKind::Modified, &child);
                }
                (changed, false)
            }
        };
        if fsutil::file_type(st) != FileType::Directory {
            return Ok(());
        }
        let opaque = fsutil::get_xattr_at(dir, name, OPAQUE_XATTR)
            .map_err(|e| ArchiveError::fs(path(), "reading xattrs", e))?
            .is_some_and(|v| v == b"y");
        let sub = fsutil::open_subdir(dir, name)
            .map_err(|e| ArchiveError::fs(path(), "opening directory", e))?;
        self.walk(sub.as_fd(), &child, opaque, added)?;
        if !recorded && self.out.len() > mark {
            // Something below changed: the directory is listed, before its children.
            self.out.insert(
                mark,
                Change {
                    kind: ChangeKind::Modified,
                    path: abs(&child),
                },
            );
        }
        Ok(())
    }

    fn push(&mut self, kind: ChangeKind, rel: &[u8]) {
        self.out.push(Change {
            kind,
            path: abs(rel),
        });
    }
}

/// moby's `statDifferent`: size and mtime are not compared for directories.
fn stat_differs(old: &Stat, new: &Stat) -> bool {
    if old.st_mode != new.st_mode
        || old.st_uid != new.st_uid
        || old.st_gid != new.st_gid
        || old.st_rdev != new.st_rdev
    {
        return true;
    }
    fsutil::file_type(old) != FileType::Directory
        && (old.st_size != new.st_size || !same_fs_time(fsutil::mtime(old), fsutil::mtime(new)))
}

fn abs(rel: &[u8]) -> PathBuf {
    let mut p = Vec::with_capacity(rel.len() + 1);
    p.push(b'/');
    p.extend_from_slice(rel);
    PathBuf::from(OsStr::from_bytes(&p))
}

/// A lower entry as the merged lower view shows it.
struct LowerEntry {
    stat: Stat,
    capability: Option<Vec<u8>>,
}

/// The merged view of overlay lower layers (top-most first), read without mounting them.
struct LowerView {
    layers: Vec<(PathBuf, OwnedFd)>,
}

/// Where a path stands in one lower layer.
enum Lookup {
    Found {
        stat: Stat,
        /// `security.capability`, read when the directory is not opened.
        capability: Option<Vec<u8>>,
        dir: Option<OwnedFd>,
        opaque: bool,
    },
    /// Not in this layer; `opaque_above` when an ancestor here hides the layers further down.
    Missing { opaque_above: bool },
    /// Deleted by a whiteout, or an ancestor is not a directory: hidden in all layers below.
    Hidden,
}

impl LowerView {
    fn open(lowers: &[&Path]) -> Result<LowerView, ArchiveError> {
        let layers = lowers
            .iter()
            .map(|p| {
                let fd = fsutil::open_dir(p)
                    .map_err(|e| ArchiveError::fs(*p, "opening lower dir", e))?;
                Ok((p.to_path_buf(), fd))
            })
            .collect::<Result<_, ArchiveError>>()?;
        Ok(LowerView { layers })
    }

    /// The lower entry visible at `rel`, if any.
    fn lookup(&self, rel: &[u8]) -> Result<Option<LowerEntry>, ArchiveError> {
        for i in 0..self.layers.len() {
            match self.resolve(i, rel, false)? {
                Lookup::Found {
                    stat, capability, ..
                } => {
                    return Ok(Some(LowerEntry { stat, capability }));
                }
                Lookup::Missing {
                    opaque_above: false,
                } => {}
                Lookup::Missing { opaque_above: true } | Lookup::Hidden => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Names visible in the lower directory `rel`.
    fn children(&self, rel: &[u8]) -> Result<BTreeSet<Vec<u8>>, ArchiveError> {
        let mut visible = BTreeSet::new();
        let mut hidden = HashSet::new();
        for i in 0..self.layers.len() {
            let (dir, opaque) = match self.resolve(i, rel, true)? {
                Lookup::Found {
                    dir: Some(dir),
                    opaque,
                    ..
                } => (dir, opaque),
                Lookup::Found { dir: None, .. } | Lookup::Hidden => break,
                Lookup::Missing { opaque_above: true } => break,
                Lookup::Missing {
                    opaque_above: false,
                } => continue,
            };
            let err = |op, e| ArchiveError::fs(path_under(&self.layers[i].0, rel), op, e);
            for name in
                fsutil::read_dir_names(dir.as_fd()).map_err(|e| err("listing directory", e))?
            {
                if visible.contains(&name) || hidden.contains(&name) {
                    continue;
                }
                match fsutil::stat_at(dir.as_fd(), &name).map_err(|e| err("stat", e))? {
                    Some(st) if fsutil::is_whiteout(&st) => {
                        hidden.insert(name);
                    }
                    Some(_) => {
                        visible.insert(name);
                    }
                    None => {}
                }
            }
            if opaque {
                break;
            }
        }
        Ok(visible)
    }

    /// Walks `rel` component by component in layer `i`, never following symlinks.
    fn resolve(&self, i: usize, rel: &[u8], open_dir: bool) -> Result<Lookup, ArchiveError> {
        let (root_path, root) = &self.layers[i];
        let err = |op, e| ArchiveError::fs(path_under(root_path, rel), op, e);
        let mut cur: Option<OwnedFd> = None;
        let mut opaque = false;
        let mut comps = rel.split(|&c| c == b'/').peekable();
        while let Some(comp) = comps.next() {
            let dir = cur.as_ref().map_or(root.as_fd(), |f| f.as_fd());
            let Some(st) = fsutil::stat_at(dir, comp).map_err(|e| err("stat", e))? else {
                return Ok(Lookup::Missing {
                    opaque_above: opaque,
                });
            };
            if fsutil::is_whiteout(&st) {
                return Ok(Lookup::Hidden);
            }
            let is_dir = fsutil::file_type(&st) == FileType::Directory;
            let last = comps.peek().is_none();
            if !is_dir && !last {
                return Ok(Lookup::Hidden);
            }
            if is_dir {
                let xattr = fsutil::get_xattr_at(dir, comp, OPAQUE_XATTR)
                    .map_err(|e| err("reading xattrs", e))?;
                opaque |= xattr.is_some_and(|v| v == b"y");
            }
            if last {
                if open_dir {
                    let sub = is_dir
                        .then(|| fsutil::open_subdir(dir, comp))
                        .transpose()
                        .map_err(|e| err("opening directory", e))?;
                    return Ok(Lookup::Found {
                        stat: st,
                        capability: None,
                        dir: sub,
                        opaque,
                    });
                }
                let capability = fsutil::get_xattr_at(dir, comp, CAPABILITY_XATTR)
                    .map_err(|e| err("reading xattrs", e))?;
                return Ok(Lookup::Found {
                    stat: st,
                    capability,
                    dir: None,
                    opaque,
                });
            }
            cur = Some(fsutil::open_subdir(dir, comp).map_err(|e| err("opening directory", e))?);
        }
        Ok(Lookup::Missing {
            opaque_above: opaque,
        })
    }
}
