//! A streaming tar reader and a deterministic tar writer.
//!
//! Reads ustar, PAX (local and global extended headers, `SCHILY.xattr.*`), GNU long names and
//! links (`L`/`K`), base-256 numeric fields and V7 archives; verifies header checksums. Writes
//! ustar headers and adds PAX records only for what ustar cannot hold.

mod block;
mod pax;
mod reader;
mod writer;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub use reader::{Entry, Reader};
pub use writer::Writer;

/// The kinds of entries a layer can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EntryKind {
    #[default]
    Regular,
    HardLink,
    Symlink,
    CharDevice,
    BlockDevice,
    Directory,
    Fifo,
}

impl EntryKind {
    /// Entries that never carry data in the archive, whatever their size field says.
    pub fn is_header_only(self) -> bool {
        !matches!(self, EntryKind::Regular)
    }
}

/// Seconds and nanoseconds since the Unix epoch; `nanos` is always below 1e9 (a negative time
/// has negative `secs` and positive `nanos`, as `struct timespec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
}

impl Timestamp {
    pub const fn new(secs: i64, nanos: u32) -> Timestamp {
        Timestamp { secs, nanos }
    }
}

/// One tar entry's metadata, after all extended headers are merged.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Header {
    pub kind: EntryKind,
    /// The entry name as raw bytes (Linux names need not be UTF-8). Directories may end in `/`.
    pub path: Vec<u8>,
    /// Symlink target or hard link target.
    pub link_name: Vec<u8>,
    /// Permission bits plus setuid, setgid and sticky (`0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub uname: String,
    pub gname: String,
    /// Data size; always 0 for kinds other than [`EntryKind::Regular`].
    pub size: u64,
    pub mtime: Timestamp,
    pub atime: Option<Timestamp>,
    pub ctime: Option<Timestamp>,
    pub dev_major: u32,
    pub dev_minor: u32,
    /// Extended attributes (PAX `SCHILY.xattr.NAME`), sorted by name.
    pub xattrs: BTreeMap<String, Vec<u8>>,
}

impl Header {
    /// A header of the given kind and path with everything else zero.
    pub fn new(kind: EntryKind, path: impl Into<Vec<u8>>) -> Header {
        Header {
            kind,
            path: path.into(),
            ..Header::default()
        }
    }

    /// The entry name as a filesystem path (not sanitised: see `apply` for that).
    pub fn path(&self) -> &Path {
        Path::new(OsStr::from_bytes(&self.path))
    }

    /// The entry name for messages (lossy UTF-8).
    pub fn display_path(&self) -> String {
        crate::error::show(&self.path)
    }
}
