//! Resolving and creating paths inside the container's root without ever leaving it.
//!
//! Every lookup goes through `openat2(RESOLVE_IN_ROOT)`, so `..` and symlinks (absolute or
//! relative) are resolved as if the root directory were `/`: an image cannot point a mount
//! target at the host. The result is an `O_PATH` descriptor; mounting onto
//! `/proc/self/fd/N` then mounts onto exactly the object that was checked.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use rustix::fs::{Mode, OFlags, ResolveFlags, mkdirat, openat, openat2};
use rustix::io::Errno;

/// What to create when the path does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// Fail with `ENOENT`.
    Nothing,
    /// Missing directories, including the last component.
    Dir,
    /// Missing parent directories and an empty regular file as the last component.
    File,
}

const RESOLVE: ResolveFlags = ResolveFlags::IN_ROOT.union(ResolveFlags::NO_MAGICLINKS);

fn open_path(root: impl AsFd, rel: &str, dir: bool) -> Result<OwnedFd, Errno> {
    let mut flags = OFlags::PATH | OFlags::CLOEXEC;
    if dir {
        flags |= OFlags::DIRECTORY;
    }
    let rel = if rel.is_empty() { "." } else { rel };
    loop {
        match openat2(&root, rel, flags, Mode::empty(), RESOLVE) {
            Err(Errno::AGAIN) | Err(Errno::INTR) => continue,
            r => return r,
        }
    }
}

fn components(path: &str) -> Vec<&str> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// Open `path` (absolute or relative, interpreted inside `root`) as an `O_PATH` descriptor,
/// creating what is missing as asked.
pub fn open_in_root(root: impl AsFd, path: &str, create: Create) -> Result<OwnedFd, Errno> {
    let comps = components(path);
    let full = comps.join("/");
    match open_path(&root, &full, false) {
        Err(Errno::NOENT) if create != Create::Nothing && !comps.is_empty() => {}
        r => return r,
    }
    let mut parent = open_path(&root, "", true)?;
    for (i, comp) in comps.iter().enumerate() {
        let prefix = comps[..=i].join("/");
        let last = i + 1 == comps.len();
        if last && create == Create::File {
            match openat(
                &parent,
                *comp,
                OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o644),
            ) {
                Ok(_) | Err(Errno::EXIST) => {}
                Err(e) => return Err(e),
            }
            return open_path(&root, &prefix, false);
        }
        parent = match open_path(&root, &prefix, true) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => {
                match mkdirat(&parent, *comp, Mode::from_raw_mode(0o755)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(e),
                }
                open_path(&root, &prefix, true)?
            }
            Err(e) => return Err(e),
        };
    }
    Ok(parent)
}

/// The magic-link path that names `fd` (`/proc/self/fd/N`).
pub fn proc_fd_path(fd: &OwnedFd) -> String {
    format!("/proc/self/fd/{}", fd.as_raw_fd())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn symlinks_cannot_escape_root() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root_path = dir.path().join("root");
        std::fs::create_dir(&root_path).unwrap();
        symlink(outside.path(), root_path.join("escape")).unwrap();
        symlink("../../../..", root_path.join("up")).unwrap();
        let root =
            rustix::fs::open(&root_path, OFlags::PATH | OFlags::DIRECTORY, Mode::empty()).unwrap();
        // An absolute symlink resolves inside the root, where its target does not exist:
        // refused rather than followed to the host.
        assert_eq!(
            open_in_root(&root, "/escape/made", Create::Dir).unwrap_err(),
            Errno::NOENT
        );
        // `..` past the root stays at the root.
        open_in_root(&root, "up/etc/file", Create::File).unwrap();
        assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
        assert!(root_path.join("etc/file").is_file());
        // A symlink whose target exists inside the root is followed inside it.
        let inside = root_path.join(outside.path().strip_prefix("/").unwrap());
        std::fs::create_dir_all(&inside).unwrap();
        open_in_root(&root, "/escape/made", Create::Dir).unwrap();
        assert!(inside.join("made").is_dir());
        assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
        assert_eq!(
            open_in_root(&root, "/nope", Create::Nothing).unwrap_err(),
            Errno::NOENT
        );
    }
}
