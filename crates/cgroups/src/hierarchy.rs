//! Which cgroup layout the host has, and where each hierarchy is mounted.

use std::path::{Path, PathBuf};

use crate::CgroupError;

/// The host's cgroup layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Only v1 hierarchies.
    V1,
    /// v1 controllers plus a controller-less v2 tree (usually `/sys/fs/cgroup/unified`).
    /// Resources are managed through v1.
    Hybrid,
    /// Pure v2 at `/sys/fs/cgroup`.
    Unified,
}

/// One mounted v1 hierarchy: its controllers (a named hierarchy such as
/// `name=systemd` has that as its only entry) and its mount point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V1Mount {
    pub controllers: Vec<String>,
    pub mount_point: PathBuf,
}

/// Where the cgroup hierarchies are. Build it with [`Hierarchy::detect`] on a real host,
/// or point it at any directory for tests and private mounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    pub(crate) mode: Mode,
    pub(crate) v1: Vec<V1Mount>,
    pub(crate) unified: Option<PathBuf>,
}

/// The host's layout, from `/proc/self/mountinfo`; `V1` when nothing is found.
pub fn detect() -> Mode {
    Hierarchy::detect().map(|h| h.mode).unwrap_or(Mode::V1)
}

impl Hierarchy {
    /// Read `/proc/self/mountinfo`.
    pub fn detect() -> Result<Hierarchy, CgroupError> {
        todo!()
    }

    /// Parse mountinfo text (exposed for tests).
    pub fn from_mountinfo(text: &str) -> Result<Hierarchy, CgroupError> {
        let _ = text;
        todo!()
    }

    /// A pure v2 tree rooted at `root` (which must hold `cgroup.controllers`).
    pub fn unified_at(root: impl Into<PathBuf>) -> Hierarchy {
        Hierarchy {
            mode: Mode::Unified,
            v1: Vec::new(),
            unified: Some(root.into()),
        }
    }

    /// A v1 layout made of the given mounts.
    pub fn v1_at(mounts: Vec<V1Mount>) -> Hierarchy {
        Hierarchy {
            mode: Mode::V1,
            v1: mounts,
            unified: None,
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The v2 root, if any (also set in hybrid mode).
    pub fn unified_root(&self) -> Option<&Path> {
        self.unified.as_deref()
    }

    pub fn v1_mounts(&self) -> &[V1Mount] {
        &self.v1
    }
}
