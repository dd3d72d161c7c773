//! Whiteout entries: `.wh.NAME` deletes NAME from the layers below; `.wh..wh..opq` hides
//! everything below its directory in the layers below.

use std::os::fd::{AsFd, BorrowedFd};

use rustix::fs::{self as rfs, AtFlags, FileType, Gid, Mode, Uid};
use rustix::io::Errno;

use super::create::OPAQUE_XATTR;
use super::{Applier, Whiteouts, apply_error, unsafe_path};
use super::{OPAQUE_MARKER, WHITEOUT_META_PREFIX, WHITEOUT_PREFIX};
use crate::error::ArchiveError;
use crate::fsutil;
use crate::tar::Header;

impl Applier<'_> {
    /// Handles an entry whose name starts with `.wh.` (`base`) in directory `parent`.
    pub(super) fn apply_whiteout(
        &mut self,
        h: &Header,
        parent: &[u8],
        base: &[u8],
    ) -> Result<(), ArchiveError> {
        if base == OPAQUE_MARKER {
            return self.apply_opaque(h, parent);
        }
        if base.starts_with(WHITEOUT_META_PREFIX) {
            return Ok(()); // other aufs metadata
        }
        let target = &base[WHITEOUT_PREFIX.len()..];
        if target.is_empty() || target == b"." || target == b".." {
            return Err(unsafe_path(h, "invalid whiteout name"));
        }
        self.added.remove(&fsutil::join(parent, target));
        match self.opts.whiteouts {
            Whiteouts::Overlay => self.overlay_whiteout(h, parent, target),
            Whiteouts::Remove => {
                let Some(pfd) = self.parent(h, parent, false)? else {
                    return Ok(()); // nothing below to delete
                };
                fsutil::remove_all_at(pfd.as_fd(), target)
                    .map_err(|e| apply_error(h, "removing whited-out path", e))?;
                self.dest.invalidate();
                Ok(())
            }
        }
    }

    /// An overlayfs whiteout: a character device 0/0 named like the deleted entry.
    fn overlay_whiteout(
        &mut self,
        h: &Header,
        parent: &[u8],
        target: &[u8],
    ) -> Result<(), ArchiveError> {
        let pfd = self
            .parent(h, parent, true)?
            .ok_or_else(|| apply_error(h, "resolving parent", Errno::NOENT))?;
        let pfd = pfd.as_fd();
        let mknod = |p: BorrowedFd<'_>| {
            rfs::mknodat(p, target, FileType::CharacterDevice, Mode::empty(), 0)
        };
        match mknod(pfd) {
            Ok(()) => {}
            Err(Errno::EXIST) => {
                fsutil::remove_all_at(pfd, target)
                    .map_err(|e| apply_error(h, "removing existing path", e))?;
                self.dest.invalidate();
                mknod(pfd).map_err(|e| apply_error(h, "creating whiteout", e))?;
            }
            Err(e) => return Err(apply_error(h, "creating whiteout", e)),
        }
        // Docker keeps the whiteout entry's owner.
        let (uid, gid) = self.host_ids(h)?;
        let (uid, gid) = (Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid)));
        rfs::chownat(pfd, target, uid, gid, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| apply_error(h, "changing whiteout owner", e))?;
        Ok(())
    }

    fn apply_opaque(&mut self, h: &Header, dir: &[u8]) -> Result<(), ArchiveError> {
        match self.opts.whiteouts {
            Whiteouts::Overlay => {
                let dfd = self
                    .parent(h, dir, true)?
                    .ok_or_else(|| apply_error(h, "resolving directory", Errno::NOENT))?;
                fsutil::set_xattr_fd(dfd.as_fd(), OPAQUE_XATTR, b"y")
                    .map_err(|e| apply_error(h, "marking directory opaque", e))
            }
            Whiteouts::Remove => {
                let Some(dfd) = self.parent(h, dir, false)? else {
                    return Ok(());
                };
                self.remove_not_added(h, dfd.as_fd(), dir)?;
                self.dest.invalidate();
                Ok(())
            }
        }
    }

    /// Removes everything below `dir` (relative path `rel`) that this layer did not create.
    fn remove_not_added(
        &self,
        h: &Header,
        dir: BorrowedFd<'_>,
        rel: &[u8],
    ) -> Result<(), ArchiveError> {
        let names = fsutil::read_dir_names(dir)
            .map_err(|e| apply_error(h, "listing opaque directory", e))?;
        for name in names {
            let child = fsutil::join(rel, &name);
            if !self.added.contains(&child) {
                fsutil::remove_all_at(dir, &name)
                    .map_err(|e| apply_error(h, "emptying opaque directory", e))?;
                continue;
            }
            let st = fsutil::stat_at(dir, &name)
                .map_err(|e| apply_error(h, "inspecting opaque directory", e))?;
            if st.is_some_and(|s| fsutil::file_type(&s) == FileType::Directory) {
                let sub = fsutil::open_subdir(dir, &name)
                    .map_err(|e| apply_error(h, "opening directory", e))?;
                self.remove_not_added(h, sub.as_fd(), &child)?;
            }
        }
        Ok(())
    }
}
