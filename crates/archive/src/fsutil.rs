//! Filesystem primitives relative to directory file descriptors, built on rustix's safe
//! wrappers. Nothing here follows a symlink in the last path component, and paths below a root
//! are resolved with `openat2(RESOLVE_BENEATH)` so they cannot leave it.

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{self as rfs, AtFlags, Dir, FileType, Mode, OFlags, ResolveFlags, Stat};
use rustix::io::Errno;

/// Opens a directory for reading entries and as a base for `*at` calls.
pub(crate) fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    Ok(rfs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Opens the directory `name` inside `dir` without following a symlink there.
pub(crate) fn open_subdir(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(rfs::openat(dir, name, flags, Mode::empty())?)
}

/// Resolves `rel` (relative, `/`-separated; empty means `root` itself) to a directory that is
/// guaranteed to lie below `root`: `..` and symlinks may be followed only while they stay
/// beneath it; an absolute symlink or a climb out fails with `EXDEV`.
pub(crate) fn resolve_dir_beneath(root: BorrowedFd<'_>, rel: &[u8]) -> io::Result<OwnedFd> {
    let path: &[u8] = if rel.is_empty() { b"." } else { rel };
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let how = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
    // openat2 may report EAGAIN when a concurrent rename races the lookup; retry a little.
    let mut tries = 0;
    loop {
        match rfs::openat2(root, path, flags, Mode::empty(), how) {
            Err(Errno::AGAIN) if tries < 16 => tries += 1,
            r => return Ok(r?),
        }
    }
}

/// `lstat` of `name` in `dir`; `None` when it does not exist.
pub(crate) fn stat_at(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<Option<Stat>> {
    match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(st)),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn file_type(st: &Stat) -> FileType {
    FileType::from_raw_mode(st.st_mode)
}

/// An overlayfs whiteout: a character device with device number 0/0.
pub(crate) fn is_whiteout(st: &Stat) -> bool {
    file_type(st) == FileType::CharacterDevice && st.st_rdev == 0
}

/// Removes `name` in `dir` and, for a directory, everything below it. Missing is not an error.
pub(crate) fn remove_all_at(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    match rfs::unlinkat(dir, name, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => return Ok(()),
        Err(Errno::ISDIR) => {}
        Err(e) => return Err(e.into()),
    }
    let sub = open_subdir(dir, name)?;
    for child in read_dir_names(sub.as_fd())? {
        remove_all_at(sub.as_fd(), &child)?;
    }
    match rfs::unlinkat(dir, name, AtFlags::REMOVEDIR) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Names in a directory except `.` and `..`, sorted bytewise (the order tar entries use).
pub(crate) fn read_dir_names(dir: BorrowedFd<'_>) -> io::Result<Vec<Vec<u8>>> {
    let fd = rfs::openat(
        dir,
        c".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut names = Vec::new();
    for entry in Dir::new(fd)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(name.to_vec());
        }
    }
    names.sort_unstable();
    Ok(names)
}

/// A path that reaches `name` inside the already-resolved `dir` through procfs, for the calls
/// that have no `*at` form (`lsetxattr`, `lgetxattr`, `llistxattr`). The directory part is the
/// fd's own magic link, so no name is looked up again; the last component is not followed by the
/// `l*` calls.
pub(crate) fn proc_path(dir: BorrowedFd<'_>, name: &[u8]) -> PathBuf {
    use std::os::fd::AsRawFd;
    let mut p = format!("/proc/self/fd/{}/", dir.as_raw_fd()).into_bytes();
    p.extend_from_slice(name);
    PathBuf::from(OsStr::from_bytes(&p))
}

/// Extended attributes of `name` in `dir` (not following a symlink), sorted by name.
pub(crate) fn list_xattrs_at(
    dir: BorrowedFd<'_>,
    name: &[u8],
) -> io::Result<Vec<(String, Vec<u8>)>> {
    let path = proc_path(dir, name);
    let names = read_sized(|buf| match buf {
        None => rfs::llistxattr_query(&path),
        Some(b) => rfs::llistxattr(&path, b),
    })?;
    let mut out = Vec::new();
    for key in names.split(|&c| c == 0).filter(|k| !k.is_empty()) {
        let value = match read_sized(|buf| match buf {
            None => rfs::lgetxattr_query(&path, key),
            Some(b) => rfs::lgetxattr(&path, key, b),
        }) {
            Ok(v) => v,
            // Removed between listing and reading.
            Err(e) if e.raw_os_error() == Some(Errno::NODATA.raw_os_error()) => continue,
            Err(e) => return Err(e),
        };
        let key = String::from_utf8(key.to_vec()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "extended attribute name is not UTF-8",
            )
        })?;
        out.push((key, value));
    }
    out.sort();
    Ok(out)
}

/// One extended attribute of `name` in `dir`, or `None` when absent.
pub(crate) fn get_xattr_at(
    dir: BorrowedFd<'_>,
    name: &[u8],
    key: &str,
) -> io::Result<Option<Vec<u8>>> {
    let path = proc_path(dir, name);
    match read_sized(|buf| match buf {
        None => rfs::lgetxattr_query(&path, key),
        Some(b) => rfs::lgetxattr(&path, key, b),
    }) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.raw_os_error() == Some(Errno::NODATA.raw_os_error()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Runs a size query (`None`) then a read into a buffer of that size, retrying if the value
/// grew in between.
fn read_sized(
    mut f: impl FnMut(Option<&mut [u8]>) -> rustix::io::Result<usize>,
) -> io::Result<Vec<u8>> {
    for _ in 0..8 {
        let size = f(None)?;
        if size == 0 {
            return Ok(Vec::new());
        }
        let mut buf = vec![0u8; size];
        match f(Some(&mut buf)) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(Errno::RANGE) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Errno::RANGE.into())
}

/// Sets an extended attribute on `name` in `dir` without following a symlink.
pub(crate) fn set_xattr_at(
    dir: BorrowedFd<'_>,
    name: &[u8],
    key: &str,
    value: &[u8],
) -> io::Result<()> {
    Ok(rfs::lsetxattr(
        proc_path(dir, name),
        key,
        value,
        rfs::XattrFlags::empty(),
    )?)
}

pub(crate) fn set_xattr_fd(fd: BorrowedFd<'_>, key: &str, value: &[u8]) -> io::Result<()> {
    Ok(rfs::fsetxattr(fd, key, value, rfs::XattrFlags::empty())?)
}

/// Joins a relative path and a name with `/`.
pub(crate) fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    if dir.is_empty() {
        return name.to_vec();
    }
    let mut p = Vec::with_capacity(dir.len() + 1 + name.len());
    p.extend_from_slice(dir);
    p.push(b'/');
    p.extend_from_slice(name);
    p
}

/// Splits `a/b/c` into (`a/b`, `c`); a single name has an empty parent.
pub(crate) fn split_parent(rel: &[u8]) -> (&[u8], &[u8]) {
    match rel.iter().rposition(|&c| c == b'/') {
        Some(i) => (&rel[..i], &rel[i + 1..]),
        None => (&[], rel),
    }
}

/// `(seconds, nanoseconds)` of the modification time. (`struct stat` field types differ
/// between architectures, hence the casts.)
#[allow(clippy::unnecessary_cast)]
pub(crate) fn mtime(st: &Stat) -> (i64, u64) {
    (st.st_mtime as i64, st.st_mtime_nsec as u64)
}

/// `(device, inode)`: the identity of a file.
#[allow(clippy::unnecessary_cast)]
pub(crate) fn inode(st: &Stat) -> (u64, u64) {
    (st.st_dev as u64, st.st_ino as u64)
}
