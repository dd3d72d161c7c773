//! Snapshots: unpacked image layers (committed, keyed by ChainID) and container layers (active,
//! keyed by container id), stored as `snapshots/<n>/fs` directories. A snapshotter never mounts
//! anything itself; it describes the mounts (overlay or bind) for the runtime to perform.
//!
//! Two drivers share the record keeping in [`DirSnapshotter`]:
//! - [`Driver::Overlay`]: each snapshot's directory holds only its own changes, with overlay
//!   whiteouts; a layer can be unpacked without its parents present.
//! - [`Driver::Copy`]: for filesystems without overlay support; each snapshot's directory holds
//!   the whole tree (its parent's contents copied in first).

mod dir;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use dir::{DirSnapshotter, Driver};

use crate::Result;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Kind {
    /// Writable; becomes `Committed` through [`Snapshotter::commit`].
    Active,
    /// A read-only view of a parent (used for inspection, never committed).
    View,
    /// Immutable.
    Committed,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Active => "active",
            Kind::View => "view",
            Kind::Committed => "committed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Info {
    /// Directory number under the snapshotter root; never reused.
    pub id: u64,
    pub kind: Kind,
    pub parent: Option<String>,
    /// Unix time in nanoseconds.
    pub created: i64,
    /// Apparent bytes of this snapshot's own directory, measured at commit.
    #[serde(default)]
    pub size: u64,
    /// Allocated bytes on disk of this snapshot's own directory, measured at commit.
    #[serde(default)]
    pub disk: u64,
    /// Committed or active snapshots whose parent this is.
    #[serde(default)]
    pub children: u32,
    /// Journal entry that undoes this snapshot if the process dies before it is committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal: Option<String>,
}

/// A mount the runtime should perform to assemble a snapshot's root filesystem.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Mount {
    /// `overlay` or `bind`.
    pub fstype: String,
    pub source: String,
    pub options: Vec<String>,
}

/// How layer tarballs must be applied into this snapshotter's directories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerFormat {
    /// Each directory holds only its layer's changes; deletions are overlay whiteouts.
    OverlayDiff,
    /// Each directory holds a full tree; deletions remove files.
    FullTree,
}

/// Lifecycle: `prepare` (or `view`) creates a snapshot on top of an optional committed parent;
/// its `upper_dir` is written (by a layer applier or a running container); `commit` freezes an
/// active snapshot under a new name; `remove` deletes a snapshot that has no children.
pub trait Snapshotter: Send + Sync {
    /// The driver name shown in `docker info` style output.
    fn driver(&self) -> &'static str;
    fn layer_format(&self) -> LayerFormat;
    fn stat(&self, key: &str) -> Result<Info>;
    /// Creates an active snapshot. With `ephemeral`, the snapshot is undone at start-up unless it
    /// was committed (used while unpacking layers and running build steps).
    fn prepare(&self, key: &str, parent: Option<&str>, ephemeral: bool) -> Result<Vec<Mount>>;
    fn view(&self, key: &str, parent: &str) -> Result<Vec<Mount>>;
    fn mounts(&self, key: &str) -> Result<Vec<Mount>>;
    fn commit(&self, name: &str, key: &str) -> Result<Info>;
    /// Commits an active snapshot that was prepared without a parent under `name`, on top of the
    /// committed `parent`. Only drivers whose directories hold just their own changes
    /// ([`LayerFormat::OverlayDiff`]) allow a parent other than the one given at `prepare`:
    /// there a layer can be unpacked before its parents exist (parallel pulls) and linked to
    /// them once they are committed.
    fn commit_onto(&self, name: &str, key: &str, parent: Option<&str>) -> Result<Info>;
    fn remove(&self, key: &str) -> Result<()>;
    /// The directory an active snapshot's writes land in (overlay upper dir, or the full tree).
    fn upper_dir(&self, key: &str) -> Result<PathBuf>;
    /// Directories of the committed ancestors of `key`, nearest first (overlay lower dirs).
    fn parent_dirs(&self, key: &str) -> Result<Vec<PathBuf>>;
    /// Allocated bytes of `key`'s own directory now (active snapshots grow; committed ones are
    /// measured once).
    fn usage(&self, key: &str) -> Result<u64>;
    /// Every snapshot key with its record.
    fn list(&self) -> Result<Vec<(String, Info)>>;
    /// Snapshot directories on disk that no record names, for garbage collection.
    fn orphan_dirs(&self) -> Result<Vec<PathBuf>>;
}
