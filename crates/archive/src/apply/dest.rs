//! The destination directory: resolves parent directories beneath it (creating missing ones),
//! with a small cache of open directory fds because tar entries arrive grouped by directory.

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::rc::Rc;

use rustix::fs::{self as rfs, Mode};
use rustix::io::Errno;

use crate::error::ArchiveError;
use crate::fsutil;

const CACHE_LIMIT: usize = 256;

pub(crate) struct Dest {
    root: OwnedFd,
    cache: HashMap<Vec<u8>, Rc<OwnedFd>>,
}

impl Dest {
    pub(crate) fn open(path: &Path) -> Result<Dest, ArchiveError> {
        let root =
            fsutil::open_dir(path).map_err(|e| ArchiveError::fs(path, "opening destination", e))?;
        Ok(Dest {
            root,
            cache: HashMap::new(),
        })
    }

    pub(crate) fn root(&self) -> BorrowedFd<'_> {
        self.root.as_fd()
    }

    /// Forgets cached directories; called whenever something is removed, since a cached fd
    /// could then point at a directory no longer reachable by its path.
    pub(crate) fn invalidate(&mut self) {
        self.cache.clear();
    }

    /// The directory at `rel` (empty: the root), resolved beneath the root. With `create`,
    /// missing components are made (mode 0755, as Docker does); without, `None` if missing.
    pub(crate) fn dir(&mut self, rel: &[u8], create: bool) -> io::Result<Option<Rc<OwnedFd>>> {
        if let Some(fd) = self.cache.get(rel) {
            return Ok(Some(fd.clone()));
        }
        let fd = match fsutil::resolve_dir_beneath(self.root.as_fd(), rel) {
            Ok(fd) => fd,
            Err(e) if e.raw_os_error() == Some(Errno::NOENT.raw_os_error()) => {
                if !create {
                    return Ok(None);
                }
                self.create_dirs(rel)?
            }
            Err(e) => return Err(e),
        };
        if self.cache.len() >= CACHE_LIMIT {
            self.cache.clear();
        }
        let fd = Rc::new(fd);
        self.cache.insert(rel.to_vec(), fd.clone());
        Ok(Some(fd))
    }

    /// Walks `rel` from the root, creating components from the first missing one on. Existing
    /// components are resolved beneath the root; new ones are opened without following links.
    fn create_dirs(&self, rel: &[u8]) -> io::Result<OwnedFd> {
        let mut cur = fsutil::resolve_dir_beneath(self.root.as_fd(), b"")?;
        let mut creating = false;
        let mut end = 0;
        for comp in rel.split(|&c| c == b'/') {
            end += comp.len();
            if !creating {
                match fsutil::resolve_dir_beneath(self.root.as_fd(), &rel[..end]) {
                    Ok(fd) => {
                        cur = fd;
                        end += 1;
                        continue;
                    }
                    Err(e) if e.raw_os_error() == Some(Errno::NOENT.raw_os_error()) => {
                        creating = true
                    }
                    Err(e) => return Err(e),
                }
            }
            match rfs::mkdirat(cur.as_fd(), comp, Mode::from_raw_mode(0o755)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(e.into()),
            }
            cur = fsutil::open_subdir(cur.as_fd(), comp)?;
            end += 1;
        }
        Ok(cur)
    }
}
