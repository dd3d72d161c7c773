//! [`Cgroup`]: one container's cgroup, on whichever version the host has.

use std::os::fd::OwnedFd;

use crate::{CgroupError, Hierarchy, LinuxResources, Stats};

/// A container's cgroup. Dropping it leaves the cgroup in place (call [`Cgroup::destroy`]).
#[derive(Debug)]
pub struct Cgroup {
    pub(crate) path: String,
    pub(crate) backend: Backend,
    pub(crate) kill_on_destroy: bool,
}

#[derive(Debug)]
pub(crate) enum Backend {
    V1(crate::v1::V1Cgroup),
    V2(crate::v2::V2Cgroup),
}

impl Cgroup {
    /// Create `path` (e.g. `"/wharf/<id>"`) on the host's hierarchy and apply `res`.
    /// Parent directories are created as needed; an existing cgroup is reused.
    pub fn create(path: &str, res: &LinuxResources) -> Result<Cgroup, CgroupError> {
        Self::create_in(&Hierarchy::detect()?, path, res)
    }

    /// [`Cgroup::create`] on a given hierarchy.
    pub fn create_in(
        hierarchy: &Hierarchy,
        path: &str,
        res: &LinuxResources,
    ) -> Result<Cgroup, CgroupError> {
        let _ = (hierarchy, path, res);
        todo!()
    }

    /// Re-adopt an existing cgroup (after a daemon restart). `NotFound` if absent.
    pub fn open(path: &str) -> Result<Cgroup, CgroupError> {
        Self::open_in(&Hierarchy::detect()?, path)
    }

    /// [`Cgroup::open`] on a given hierarchy.
    pub fn open_in(hierarchy: &Hierarchy, path: &str) -> Result<Cgroup, CgroupError> {
        let _ = (hierarchy, path);
        todo!()
    }

    /// The path this cgroup was created with.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Move a process (all its threads) into the cgroup.
    pub fn add_process(&self, pid: u32) -> Result<(), CgroupError> {
        let _ = pid;
        todo!()
    }

    /// Apply changed limits (`docker update`). Absent fields are left alone.
    pub fn update(&self, res: &LinuxResources) -> Result<(), CgroupError> {
        let _ = res;
        todo!()
    }

    /// Freeze every process and return once the kernel reports the cgroup frozen.
    pub fn freeze(&self) -> Result<(), CgroupError> {
        todo!()
    }

    /// Thaw and return once the kernel reports the cgroup running.
    pub fn thaw(&self) -> Result<(), CgroupError> {
        todo!()
    }

    /// Every pid in the cgroup and its sub-cgroups, sorted.
    pub fn pids(&self) -> Result<Vec<u32>, CgroupError> {
        todo!()
    }

    /// Accounting snapshot for `docker stats`.
    pub fn stats(&self) -> Result<Stats, CgroupError> {
        todo!()
    }

    /// Send `signal` to every process in the cgroup (frozen first so none can fork away).
    pub fn kill_all(&self, signal: i32) -> Result<(), CgroupError> {
        let _ = signal;
        todo!()
    }

    /// Whether [`Cgroup::destroy`] SIGKILLs processes still inside (default: true).
    pub fn set_kill_on_destroy(&mut self, kill: bool) {
        self.kill_on_destroy = kill;
    }

    /// Remove the cgroup: SIGKILL leftovers (unless disabled), wait until empty, rmdir
    /// every controller directory (sub-cgroups first). Missing directories are fine, so
    /// calling it on an already removed cgroup succeeds.
    pub fn destroy(self) -> Result<(), CgroupError> {
        todo!()
    }

    /// On cgroup v2: an `O_PATH` directory fd for `clone3(CLONE_INTO_CGROUP)`.
    /// `None` on v1 / hybrid or if the directory cannot be opened.
    pub fn v2_dir_fd(&self) -> Option<OwnedFd> {
        todo!()
    }
}
