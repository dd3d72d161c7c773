//! `docker diff`: the changes an overlay upper dir makes to its lower layers.
//!
//! Docker's rules (moby `collectChanges`): walk the upper dir depth-first in name order; a
//! whiteout is `D`; anything else is `C` if the path is visible in the lower layers and `A`
//! otherwise, except a directory whose size, mode and mtime match the lower one, which is not
//! listed; the parent of an `A` or `D` is listed as `C` if it was not already. Beyond Docker's
//! overlay walk, entries of the lower layers hidden by an opaque upper directory are listed
//! as `D` (what Docker shows when it compares mounted trees).

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

/// The changes of `upper` relative to `lowers` (overlay order: the top-most lower first).
pub fn changes(upper: &Path, lowers: &[&Path]) -> Result<Vec<Change>, ArchiveError> {
    let upper_fd =
        fsutil::open_dir(upper).map_err(|e| ArchiveError::fs(upper, "opening upper dir", e))?;
    let view = LowerView::open(lowers)?;
    let mut c = Collector {
        upper,
        view,
        out: Vec::new(),
        changed_dirs: HashSet::new(),
    };
    c.walk(upper_fd.as_fd(), b"", false)?;
    Ok(c.out)
}

struct Collector<'a> {
    upper: &'a Path,
    view: LowerView,
    out: Vec<Change>,
    changed_dirs: HashSet<Vec<u8>>,
}

enum Child {
    Upper(Vec<u8>, Stat),
    /// Only in the lower layers, under an opaque upper directory: deleted.
    HiddenLower(Vec<u8>),
}

impl Collector<'_> {
    fn walk(&mut self, dir: BorrowedFd<'_>, rel: &[u8], opaque: bool) -> Result<(), ArchiveError> {
        let err = |op, e| ArchiveError::fs(path_under(self.upper, rel), op, e);
        let mut kids: Vec<(Vec<u8>, Child)> = Vec::new();
        for name in fsutil::read_dir_names(dir).map_err(|e| err("listing directory", e))? {
            if let Some(st) = fsutil::stat_at(dir, &name).map_err(|e| err("stat", e))? {
                kids.push((name.clone(), Child::Upper(name, st)));
            }
        }
        if opaque {
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
                    self.record(ChangeKind::Deleted, fsutil::join(rel, &name), false)
                }
                Child::Upper(name, st) => self.upper_child(dir, rel, &name, &st)?,
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
    ) -> Result<(), ArchiveError> {
        if name.starts_with(WHITEOUT_META_PREFIX) {
            return Ok(());
        }
        let child = fsutil::join(rel, name);
        if fsutil::is_whiteout(st) {
            self.record(ChangeKind::Deleted, child, false);
            return Ok(());
        }
        let is_dir = fsutil::file_type(st) == FileType::Directory;
        match self.view.lookup(&child)? {
            None => self.record(ChangeKind::Added, child.clone(), is_dir),
            Some(lower)
                if is_dir
                    && fsutil::file_type(&lower) == FileType::Directory
                    && same_dir(&lower, st) => {}
            Some(_) => self.record(ChangeKind::Modified, child.clone(), is_dir),
        }
        if is_dir {
            let path = || path_under(self.upper, &child);
            let opaque = fsutil::get_xattr_at(dir, name, OPAQUE_XATTR)
                .map_err(|e| ArchiveError::fs(path(), "reading xattrs", e))?
                .is_some_and(|v| v == b"y");
            let sub = fsutil::open_subdir(dir, name)
                .map_err(|e| ArchiveError::fs(path(), "opening directory", e))?;
            self.walk(sub.as_fd(), &child, opaque)?;
        }
        Ok(())
    }

    fn record(&mut self, kind: ChangeKind, rel: Vec<u8>, is_dir: bool) {
        if is_dir {
            self.changed_dirs.insert(rel.clone());
        }
        if kind != ChangeKind::Modified {
            let (parent, _) = fsutil::split_parent(&rel);
            if !parent.is_empty() && !self.changed_dirs.contains(parent) {
                self.changed_dirs.insert(parent.to_vec());
                self.out.push(Change {
                    kind: ChangeKind::Modified,
                    path: abs(parent),
                });
            }
        }
        self.out.push(Change {
            kind,
            path: abs(&rel),
        });
    }
}

/// Docker ignores directory contents here: same size, mode and mtime means unchanged.
fn same_dir(a: &Stat, b: &Stat) -> bool {
    a.st_size == b.st_size
        && a.st_mode == b.st_mode
        && same_fs_time(fsutil::mtime(a), fsutil::mtime(b))
}

fn abs(rel: &[u8]) -> PathBuf {
    let mut p = Vec::with_capacity(rel.len() + 1);
    p.push(b'/');
    p.extend_from_slice(rel);
    PathBuf::from(OsStr::from_bytes(&p))
}

/// The merged view of overlay lower layers (top-most first), read without mounting them.
struct LowerView {
    layers: Vec<(PathBuf, OwnedFd)>,
}

/// Where a path stands in one lower layer.
enum Lookup {
    Found {
        stat: Stat,
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
    fn lookup(&self, rel: &[u8]) -> Result<Option<Stat>, ArchiveError> {
        for i in 0..self.layers.len() {
            match self.resolve(i, rel, false)? {
                Lookup::Found { stat, .. } => return Ok(Some(stat)),
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
                let dir = if is_dir && open_dir {
                    Some(fsutil::open_subdir(dir, comp).map_err(|e| err("opening directory", e))?)
                } else {
                    None
                };
                return Ok(Lookup::Found {
                    stat: st,
                    dir,
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
