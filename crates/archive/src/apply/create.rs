//! Creating one entry (file, directory, link, device, fifo) and setting its metadata.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::rc::Rc;

use rustix::fs::{self as rfs, AtFlags, FileType, Gid, Mode, OFlags, Timespec, Timestamps, Uid};
use rustix::io::Errno;

use super::{Applier, DirTimes, Whiteouts, apply_error, unsafe_path};
use crate::error::ArchiveError;
use crate::fsutil;
use crate::tar::{EntryKind, Header, Timestamp};

pub(crate) const OPAQUE_XATTR: &str = "trusted.overlay.opaque";

/// What was at an entry's path before it.
enum Previous {
    Nothing,
    /// A directory, kept because the entry is a directory too.
    Directory,
    /// Removed; `whiteout` if it was an overlay whiteout.
    Removed {
        whiteout: bool,
    },
}

impl Applier<'_> {
    /// The `./` entry: only a directory may describe the root, and only its metadata applies.
    pub(super) fn apply_root(&mut self, h: &Header) -> Result<(), ArchiveError> {
        if h.kind != EntryKind::Directory {
            return Err(unsafe_path(
                h,
                "only a directory entry may describe the destination root",
            ));
        }
        let root = rfs::openat(
            self.dest.root(),
            c".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| apply_error(h, "opening destination root", e))?;
        self.fd_metadata(h, root.as_fd())?;
        self.dir_times.push(DirTimes {
            rel: Vec::new(),
            atime: atime(h),
            mtime: h.mtime,
        });
        Ok(())
    }

    pub(super) fn create<R: Read>(
        &mut self,
        h: &Header,
        rel: &[u8],
        data: &mut R,
    ) -> Result<(), ArchiveError> {
        let (parent, base) = fsutil::split_parent(rel);
        let pfd = self
            .parent(h, parent, true)?
            .ok_or_else(|| apply_error(h, "resolving parent", Errno::NOENT))?;
        let pfd = pfd.as_fd();
        match h.kind {
            EntryKind::Regular => self.create_file(h, pfd, base, data),
            EntryKind::Directory => self.create_dir(h, pfd, base, rel),
            EntryKind::Symlink => {
                self.with_replace(h, pfd, base, false, |p| {
                    rfs::symlinkat(&h.link_name[..], p, base)
                })?;
                self.path_metadata(h, pfd, base, true)
            }
            EntryKind::HardLink => self.create_hardlink(h, pfd, base, rel),
            EntryKind::CharDevice | EntryKind::BlockDevice | EntryKind::Fifo => {
                let ft = match h.kind {
                    EntryKind::CharDevice => FileType::CharacterDevice,
                    EntryKind::BlockDevice => FileType::BlockDevice,
                    _ => FileType::Fifo,
                };
                let dev = rfs::makedev(h.dev_major, h.dev_minor);
                let mode = Mode::from_raw_mode(h.mode & 0o777);
                self.with_replace(h, pfd, base, false, |p| {
                    rfs::mknodat(p, base, ft, mode, dev)
                })?;
                self.path_metadata(h, pfd, base, false)
            }
        }
    }

    /// Resolves a parent directory beneath the destination, mapping escapes to clear errors.
    pub(super) fn parent(
        &mut self,
        h: &Header,
        rel: &[u8],
        create: bool,
    ) -> Result<Option<Rc<OwnedFd>>, ArchiveError> {
        self.dest
            .dir(rel, create)
            .map_err(|e| match Errno::from_io_error(&e) {
                Some(Errno::XDEV) => unsafe_path(
                    h,
                    "its parent path goes through a symlink that leads outside the destination",
                ),
                Some(Errno::LOOP) => {
                    unsafe_path(h, "too many levels of symlinks in its parent path")
                }
                Some(Errno::NOTDIR) => apply_error(
                    h,
                    "resolving parent: a path component is not a directory",
                    e,
                ),
                _ => apply_error(h, "resolving parent directory", e),
            })
    }

    fn create_file<R: Read>(
        &mut self,
        h: &Header,
        pfd: BorrowedFd<'_>,
        base: &[u8],
        data: &mut R,
    ) -> Result<(), ArchiveError> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mut fd = None;
        self.with_replace(h, pfd, base, false, |p| {
            fd = Some(rfs::openat(p, base, flags, Mode::from_raw_mode(0o600))?);
            Ok(())
        })?;
        let Some(fd) = fd else {
            return Err(apply_error(h, "creating file", Errno::NOENT));
        };
        let mut file = File::from(fd);
        let mut written = 0u64;
        loop {
            let n = match data.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ArchiveError::reading_data(&h.display_path(), e)),
            };
            file.write_all(&self.buf[..n])
                .map_err(|e| apply_error(h, "writing file data", e))?;
            written += n as u64;
        }
        self.unpacked_bytes += written;
        self.fd_metadata(h, file.as_fd())?;
        rfs::futimens(&file, &timestamps(atime(h), h.mtime))
            .map_err(|e| apply_error(h, "setting times", e))
    }

    fn create_dir(
        &mut self,
        h: &Header,
        pfd: BorrowedFd<'_>,
        base: &[u8],
        rel: &[u8],
    ) -> Result<(), ArchiveError> {
        let mode = Mode::from_raw_mode(h.mode & 0o777);
        let prev = self.with_replace(h, pfd, base, true, |p| rfs::mkdirat(p, base, mode))?;
        let dfd =
            fsutil::open_subdir(pfd, base).map_err(|e| apply_error(h, "opening directory", e))?;
        self.fd_metadata(h, dfd.as_fd())?;
        // A directory replacing a whiteout in the same layer was deleted and re-created:
        // nothing below it in lower layers may show through.
        if self.opts.whiteouts == Whiteouts::Overlay
            && matches!(prev, Previous::Removed { whiteout: true })
        {
            fsutil::set_xattr_fd(dfd.as_fd(), OPAQUE_XATTR, b"y")
                .map_err(|e| apply_error(h, "marking directory opaque", e))?;
        }
        self.dir_times.push(DirTimes {
            rel: rel.to_vec(),
            atime: atime(h),
            mtime: h.mtime,
        });
        Ok(())
    }

    fn create_hardlink(
        &mut self,
        h: &Header,
        pfd: BorrowedFd<'_>,
        base: &[u8],
        rel: &[u8],
    ) -> Result<(), ArchiveError> {
        let target = super::names::clean(&h.link_name)
            .map_err(|_| unsafe_path(h, "hard link target escapes the destination root"))?;
        if !self.added.contains(&target) {
            return Err(unsafe_path(
                h,
                format!(
                    "hard link target {:?} is not an earlier entry of this layer",
                    crate::error::show(&h.link_name)
                ),
            ));
        }
        if target == rel {
            return Ok(());
        }
        let (tparent, tbase) = fsutil::split_parent(&target);
        let tfd = self
            .parent(h, tparent, false)?
            .ok_or_else(|| apply_error(h, "resolving hard link target", Errno::NOENT))?;
        self.with_replace(h, pfd, base, false, |p| {
            rfs::linkat(tfd.as_fd(), tbase, p, base, AtFlags::empty())
        })?;
        Ok(())
    }

    /// Runs `make`; if the path is taken, removes what is there (unless both are directories)
    /// and runs it again.
    fn with_replace(
        &mut self,
        h: &Header,
        pfd: BorrowedFd<'_>,
        base: &[u8],
        is_dir: bool,
        mut make: impl FnMut(BorrowedFd<'_>) -> rustix::io::Result<()>,
    ) -> Result<Previous, ArchiveError> {
        match make(pfd) {
            Ok(()) => return Ok(Previous::Nothing),
            Err(Errno::EXIST) => {}
            Err(e) => return Err(apply_error(h, "creating", e)),
        }
        let st = fsutil::stat_at(pfd, base)
            .map_err(|e| apply_error(h, "inspecting existing path", e))?;
        let whiteout = st.as_ref().is_some_and(fsutil::is_whiteout);
        if is_dir
            && st
                .as_ref()
                .is_some_and(|s| fsutil::file_type(s) == FileType::Directory)
        {
            return Ok(Previous::Directory);
        }
        fsutil::remove_all_at(pfd, base)
            .map_err(|e| apply_error(h, "removing existing path", e))?;
        self.dest.invalidate();
        make(pfd).map_err(|e| apply_error(h, "creating", e))?;
        Ok(Previous::Removed { whiteout })
    }

    /// Owner, mode and xattrs through an open fd (regular files and directories). The owner is
    /// always set: even a fresh file may have inherited the group of a setgid directory.
    fn fd_metadata(&mut self, h: &Header, fd: BorrowedFd<'_>) -> Result<(), ArchiveError> {
        let (uid, gid) = self.host_ids(h)?;
        rfs::fchown(fd, Some(uid_of(uid)), Some(gid_of(gid)))
            .map_err(|e| apply_error(h, "changing owner", e))?;
        // After chown, which clears setuid/setgid.
        rfs::fchmod(fd, Mode::from_raw_mode(h.mode & 0o7777))
            .map_err(|e| apply_error(h, "changing mode", e))?;
        // After chown too, which clears security.capability.
        self.set_xattrs(h, |k, v| fsutil::set_xattr_fd(fd, k, v))
    }

    /// Owner, mode, xattrs and times by name, not following a final symlink (symlinks, device
    /// nodes and fifos, which we must not open).
    fn path_metadata(
        &mut self,
        h: &Header,
        pfd: BorrowedFd<'_>,
        base: &[u8],
        symlink: bool,
    ) -> Result<(), ArchiveError> {
        let (uid, gid) = self.host_ids(h)?;
        let (uid, gid) = (Some(uid_of(uid)), Some(gid_of(gid)));
        rfs::chownat(pfd, base, uid, gid, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| apply_error(h, "changing owner", e))?;
        if !symlink {
            rfs::chmodat(
                pfd,
                base,
                Mode::from_raw_mode(h.mode & 0o7777),
                AtFlags::empty(),
            )
            .map_err(|e| apply_error(h, "changing mode", e))?;
        }
        self.set_xattrs(h, |k, v| fsutil::set_xattr_at(pfd, base, k, v))?;
        rfs::utimensat(
            pfd,
            base,
            &timestamps(atime(h), h.mtime),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(|e| apply_error(h, "setting times", e))
    }

    fn set_xattrs(
        &mut self,
        h: &Header,
        mut set: impl FnMut(&str, &[u8]) -> io::Result<()>,
    ) -> Result<(), ArchiveError> {
        for (key, value) in &h.xattrs {
            if is_overlay_internal(key) {
                // Only our own whiteout handling may mark directories opaque; a layer must not
                // smuggle in overlay redirects or metacopy markers.
                self.warn(format!(
                    "{}: ignored overlay-internal xattr {key}",
                    h.display_path()
                ));
                continue;
            }
            if let Err(e) = set(key, value) {
                let privileged = key.starts_with("trusted.") || key.starts_with("security.");
                if self.opts.ignore_xattr_errors && privileged {
                    self.warn(format!("{}: xattr {key} not set: {e}", h.display_path()));
                } else {
                    return Err(apply_error(
                        h,
                        "setting extended attribute",
                        io::Error::new(e.kind(), format!("{key}: {e}")),
                    ));
                }
            }
        }
        Ok(())
    }

    pub(super) fn host_ids(&self, h: &Header) -> Result<(u32, u32), ArchiveError> {
        let not_mapped = |kind, id| ArchiveError::IdNotMapped {
            entry: h.display_path(),
            kind,
            id,
        };
        // u32::MAX is (uid_t)-1, "leave unchanged" to chown: never a real owner.
        let valid = |id: u32| (id != u32::MAX).then_some(id);
        let (uid, gid) = match &self.opts.id_map {
            Some(m) => (m.uid_to_host(h.uid), m.gid_to_host(h.gid)),
            None => (u32::try_from(h.uid).ok(), u32::try_from(h.gid).ok()),
        };
        Ok((
            uid.and_then(valid)
                .ok_or_else(|| not_mapped("uid", h.uid))?,
            gid.and_then(valid)
                .ok_or_else(|| not_mapped("gid", h.gid))?,
        ))
    }

    pub(super) fn set_dir_times(&mut self, t: &DirTimes) -> Result<(), ArchiveError> {
        let ts = timestamps(t.atime, t.mtime);
        let err = |e: Errno| ArchiveError::Apply {
            entry: crate::error::show(&t.rel),
            op: "setting directory times",
            source: e.into(),
        };
        if t.rel.is_empty() {
            return rfs::futimens(self.dest.root(), &ts).map_err(err);
        }
        let (parent, base) = fsutil::split_parent(&t.rel);
        let Ok(Some(pfd)) = self.dest.dir(parent, false) else {
            return Ok(()); // removed later in the layer
        };
        match rfs::utimensat(pfd.as_fd(), base, &ts, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(err(e)),
        }
    }
}

/// Extended attributes overlayfs interprets; never taken from a layer.
pub(crate) fn is_overlay_internal(key: &str) -> bool {
    key.starts_with("trusted.overlay.") || key.starts_with("user.overlay.")
}

/// Docker's rule: access time defaults to the modification time.
fn atime(h: &Header) -> Timestamp {
    h.atime.unwrap_or(h.mtime)
}

fn timestamps(atime: Timestamp, mtime: Timestamp) -> Timestamps {
    let ts = |t: Timestamp| Timespec {
        tv_sec: t.secs,
        tv_nsec: i64::from(t.nanos),
    };
    Timestamps {
        last_access: ts(atime),
        last_modification: ts(mtime),
    }
}

fn uid_of(id: u32) -> Uid {
    Uid::from_raw(id)
}

fn gid_of(id: u32) -> Gid {
    Gid::from_raw(id)
}
