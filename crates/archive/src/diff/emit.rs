//! Turning filesystem entries into tar entries: headers from `lstat` and xattrs, file data,
//! hard links (to the first path seen for a dev+ino), whiteout and opaque markers.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{self as rfs, FileType, Mode, OFlags, Stat};
use wharf_digest::HashingWriter;

use super::{LayerStats, WriteOptions};
use crate::apply::{OPAQUE_MARKER, WHITEOUT_PREFIX};
use crate::error::{ArchiveError, show};
use crate::fsutil;
use crate::tar::{EntryKind, Header, Timestamp, Writer};

/// Writes entries found under one root directory (`root` is only for error messages).
pub(crate) struct Emitter<'o, W: Write> {
    tar: Writer<HashingWriter<W>>,
    /// (dev, ino) of regular files with several links → the first path written.
    links: HashMap<(u64, u64), Vec<u8>>,
    opts: &'o WriteOptions,
    root: PathBuf,
}

impl<'o, W: Write> Emitter<'o, W> {
    pub(crate) fn new(w: W, opts: &'o WriteOptions, root: &Path) -> Emitter<'o, W> {
        Emitter {
            tar: Writer::new(HashingWriter::new(w)),
            links: HashMap::new(),
            opts,
            root: root.to_path_buf(),
        }
    }

    /// The filesystem path of `rel` under the root, for error messages.
    pub(crate) fn path_of(&self, rel: &[u8]) -> PathBuf {
        path_under(&self.root, rel)
    }

    pub(crate) fn fs_error(
        &self,
        rel: &[u8],
        op: &'static str,
        e: impl Into<io::Error>,
    ) -> ArchiveError {
        ArchiveError::fs(self.path_of(rel), op, e.into())
    }

    /// The tar header describing `name` in `dir`; `None` for sockets, which layers cannot hold.
    pub(crate) fn header(
        &self,
        dir: BorrowedFd<'_>,
        name: &[u8],
        rel: &[u8],
        st: &Stat,
        xattrs: &[(String, Vec<u8>)],
    ) -> Result<Option<Header>, ArchiveError> {
        let kind = match fsutil::file_type(st) {
            FileType::RegularFile => EntryKind::Regular,
            FileType::Directory => EntryKind::Directory,
            FileType::Symlink => EntryKind::Symlink,
            FileType::CharacterDevice => EntryKind::CharDevice,
            FileType::BlockDevice => EntryKind::BlockDevice,
            FileType::Fifo => EntryKind::Fifo,
            _ => return Ok(None),
        };
        let mut h = Header::new(kind, rel.to_vec());
        h.mode = st.st_mode & 0o7777;
        (h.uid, h.gid) = self.container_ids(rel, st)?;
        h.mtime = self.mtime(fsutil::mtime(st).0);
        match kind {
            EntryKind::Regular => h.size = st.st_size as u64,
            EntryKind::Symlink => {
                h.link_name = rfs::readlinkat(dir, name, Vec::new())
                    .map_err(|e| self.fs_error(rel, "reading symlink", e))?
                    .into_bytes();
            }
            EntryKind::CharDevice | EntryKind::BlockDevice => {
                h.dev_major = rfs::major(st.st_rdev);
                h.dev_minor = rfs::minor(st.st_rdev);
            }
            _ => {}
        }
        h.xattrs = xattrs
            .iter()
            .filter(|(k, _)| keep_xattr(k))
            .cloned()
            .collect();
        Ok(Some(h))
    }

    /// Writes `name` in `dir` as is (data for regular files; a hard link if its inode was
    /// already written).
    pub(crate) fn emit(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &[u8],
        rel: &[u8],
        st: &Stat,
        xattrs: &[(String, Vec<u8>)],
    ) -> Result<(), ArchiveError> {
        let Some(mut h) = self.header(dir, name, rel, st, xattrs)? else {
            return Ok(());
        };
        if h.kind != EntryKind::Regular {
            return self.write_header(&h);
        }
        if st.st_nlink > 1 {
            let key = fsutil::inode(st);
            if let Some(first) = self.links.get(&key) {
                h.kind = EntryKind::HardLink;
                h.link_name = first.clone();
                h.size = 0;
                h.xattrs.clear();
                return self.write_header(&h);
            }
            self.links.insert(key, rel.to_vec());
        }
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rfs::openat(dir, name, flags, Mode::empty())
            .map_err(|e| self.fs_error(rel, "opening file", e))?;
        self.tar.append(&h, File::from(fd))
    }

    pub(crate) fn write_header(&mut self, h: &Header) -> Result<(), ArchiveError> {
        self.tar.append(h, io::empty())
    }

    /// `.wh.NAME` for the deleted `rel`. With the whiteout's own stat (overlay upper dirs) its
    /// owner and mtime are kept, as Docker does; without, they are zero.
    pub(crate) fn whiteout(&mut self, rel: &[u8], st: Option<&Stat>) -> Result<(), ArchiveError> {
        let (dir, base) = fsutil::split_parent(rel);
        let name = fsutil::join(dir, &[WHITEOUT_PREFIX, base].concat());
        let mut h = Header::new(EntryKind::Regular, name);
        h.mode = 0o600;
        if let Some(st) = st {
            // overlayfs makes whiteouts with its mounter's ids (host root), which a remapped
            // container's map does not cover; a whiteout's owner means nothing.
            (h.uid, h.gid) = self.container_ids(rel, st).unwrap_or((0, 0));
            h.mtime = self.mtime(fsutil::mtime(st).0);
        }
        self.write_header(&h)
    }

    /// `DIR/.wh..wh..opq` for an opaque directory, owned like the directory.
    pub(crate) fn opaque(&mut self, dir: &Header) -> Result<(), ArchiveError> {
        let rel = dir.path.strip_suffix(b"/").unwrap_or(&dir.path);
        let mut h = Header::new(EntryKind::Regular, fsutil::join(rel, OPAQUE_MARKER));
        h.mode = dir.mode & 0o777;
        h.uid = dir.uid;
        h.gid = dir.gid;
        h.mtime = dir.mtime;
        self.write_header(&h)
    }

    pub(crate) fn finish(self) -> Result<(W, LayerStats), ArchiveError> {
        let (w, diff_id, size) = self.tar.finish()?.finish();
        Ok((w, LayerStats { diff_id, size }))
    }

    fn mtime(&self, secs: i64) -> Timestamp {
        let secs = match self.opts.mtime_clamp {
            Some(max) => secs.min(max),
            None => secs,
        };
        // Whole seconds, as Docker writes them: sub-second times would need a PAX record for
        // every entry and make identical trees differ.
        Timestamp::new(secs, 0)
    }

    fn container_ids(&self, rel: &[u8], st: &Stat) -> Result<(u64, u64), ArchiveError> {
        let Some(m) = &self.opts.id_map else {
            return Ok((u64::from(st.st_uid), u64::from(st.st_gid)));
        };
        let not_mapped = |kind, id: u32| ArchiveError::IdNotMapped {
            entry: show(rel),
            kind,
            id: u64::from(id),
        };
        let keep = self.opts.keep_unmapped_ids;
        let uid = match m.uid_to_container(u64::from(st.st_uid)) {
            Some(id) => id,
            None if keep => st.st_uid,
            None => return Err(not_mapped("uid", st.st_uid)),
        };
        let gid = match m.gid_to_container(u64::from(st.st_gid)) {
            Some(id) => id,
            None if keep => st.st_gid,
            None => return Err(not_mapped("gid", st.st_gid)),
        };
        Ok((u64::from(uid), u64::from(gid)))
    }
}

/// Xattrs that belong in a layer: not overlayfs bookkeeping, not host SELinux labels.
pub(crate) fn keep_xattr(key: &str) -> bool {
    !crate::apply::is_overlay_internal(key) && key != "security.selinux"
}

pub(crate) fn path_under(root: &Path, rel: &[u8]) -> PathBuf {
    if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(OsStr::from_bytes(rel))
    }
}
