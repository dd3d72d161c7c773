//! [`Cgroup`]: one container's cgroup, on whichever version the host has.

use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use rustix::process::{Pid, Signal};

use crate::v1::V1Cgroup;
use crate::v2::V2Cgroup;
use crate::{CgroupError, Hierarchy, LinuxResources, Mode, Stats, fsutil};

/// A container's cgroup. Dropping it leaves the cgroup in place (call [`Cgroup::destroy`]).
#[derive(Debug)]
pub struct Cgroup {
    pub(crate) path: String,
    pub(crate) backend: Backend,
    pub(crate) kill_on_destroy: bool,
}

#[derive(Debug)]
pub(crate) enum Backend {
    V1(V1Cgroup),
    V2(V2Cgroup),
}

/// `"/wharf/<id>"` → `wharf/<id>`; rejects anything that could leave the hierarchy.
fn relative(path: &str) -> Result<PathBuf, CgroupError> {
    let invalid = || CgroupError::InvalidPath(path.to_string());
    if !path.starts_with('/') || path.split('/').skip(1).any(str::is_empty) {
        return Err(invalid());
    }
    let mut rel = PathBuf::new();
    for c in Path::new(path).components() {
        match c {
            Component::RootDir => {}
            Component::Normal(p) => rel.push(p),
            _ => return Err(invalid()),
        }
    }
    if rel.as_os_str().is_empty() || path.contains("/./") || path.ends_with("/.") {
        return Err(invalid());
    }
    Ok(rel)
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
        let rel = relative(path)?;
        let backend = match (hierarchy.mode, &hierarchy.unified) {
            (Mode::Unified, Some(root)) => Backend::V2(V2Cgroup::create(root, &rel)?),
            (Mode::Unified, None) => {
                return Err(CgroupError::NoHierarchy(
                    "unified mode without a root".into(),
                ));
            }
            _ => Backend::V1(V1Cgroup::create(hierarchy, &rel)?),
        };
        let cg = Cgroup {
            path: path.to_string(),
            backend,
            kill_on_destroy: true,
        };
        cg.update(res)?;
        Ok(cg)
    }

    /// Re-adopt an existing cgroup (after a daemon restart). `NotFound` if absent.
    pub fn open(path: &str) -> Result<Cgroup, CgroupError> {
        Self::open_in(&Hierarchy::detect()?, path)
    }

    /// [`Cgroup::open`] on a given hierarchy.
    pub fn open_in(hierarchy: &Hierarchy, path: &str) -> Result<Cgroup, CgroupError> {
        let rel = relative(path)?;
        let backend = match (hierarchy.mode, &hierarchy.unified) {
            (Mode::Unified, Some(root)) => V2Cgroup::open(root, &rel).map(Backend::V2),
            (Mode::Unified, None) => None,
            _ => V1Cgroup::open(hierarchy, &rel).map(Backend::V1),
        };
        let backend = backend.ok_or_else(|| CgroupError::NotFound(path.to_string()))?;
        Ok(Cgroup {
            path: path.to_string(),
            backend,
            kill_on_destroy: true,
        })
    }

    /// The path this cgroup was created with.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Move a process (all its threads) into the cgroup.
    pub fn add_process(&self, pid: u32) -> Result<(), CgroupError> {
        match &self.backend {
            Backend::V1(v) => v.add_process(pid),
            Backend::V2(v) => v.add_process(pid),
        }
    }

    /// Apply changed limits (`docker update`). Absent fields are left alone. A limit
    /// whose controller (or control file) is missing fails with `ControllerMissing`.
    pub fn update(&self, res: &LinuxResources) -> Result<(), CgroupError> {
        match &self.backend {
            Backend::V1(v) => v.apply(res),
            Backend::V2(v) => v.apply(res),
        }
    }

    /// Freeze every process and return once the kernel reports the cgroup frozen
    /// (v1 `freezer.state` FROZEN, v2 `cgroup.events` frozen 1); 5 s timeout, after
    /// which the cgroup is thawed again and `Timeout` returned.
    pub fn freeze(&self) -> Result<(), CgroupError> {
        match &self.backend {
            Backend::V1(v) => v.set_freezer("FROZEN"),
            Backend::V2(v) => v.set_frozen(true),
        }
    }

    /// Thaw and return once the kernel reports the cgroup running.
    pub fn thaw(&self) -> Result<(), CgroupError> {
        match &self.backend {
            Backend::V1(v) => v.set_freezer("THAWED"),
            Backend::V2(v) => v.set_frozen(false),
        }
    }

    /// Every pid in the cgroup and its sub-cgroups, sorted.
    pub fn pids(&self) -> Result<Vec<u32>, CgroupError> {
        let mut pids = match &self.backend {
            Backend::V1(v) => v.pids()?,
            Backend::V2(v) => v.pids()?,
        };
        pids.sort_unstable();
        pids.dedup();
        Ok(pids)
    }

    /// Accounting snapshot for `docker stats`. Missing controllers leave zeros.
    pub fn stats(&self) -> Result<Stats, CgroupError> {
        match &self.backend {
            Backend::V1(v) => v.stats(),
            Backend::V2(v) => v.stats(),
        }
    }

    /// Send `signal` to every process in the cgroup. SIGKILL on v2 uses `cgroup.kill`
    /// where the kernel has it; otherwise the cgroup is frozen (if a freezer exists)
    /// so nothing can fork away, signalled pid by pid, and thawed.
    pub fn kill_all(&self, signal: i32) -> Result<(), CgroupError> {
        let sig = Signal::from_named_raw(signal).ok_or(CgroupError::InvalidResource {
            field: "signal",
            reason: format!("{signal} is not a signal"),
        })?;
        if let Backend::V2(v) = &self.backend
            && sig == Signal::KILL
            && let Some(kill) = v.kill_file()
        {
            return fsutil::write(&kill, "1");
        }
        let can_freeze = match &self.backend {
            Backend::V1(v) => v.has_freezer(),
            Backend::V2(v) => v.dir().join("cgroup.freeze").exists(),
        };
        let frozen = can_freeze && self.freeze().is_ok();
        let result = self.signal_each(sig);
        if frozen {
            self.thaw()?;
        }
        result
    }

    fn signal_each(&self, sig: Signal) -> Result<(), CgroupError> {
        for pid in self.pids()? {
            let Some(p) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
                continue;
            };
            match rustix::process::kill_process(p, sig) {
                Ok(()) | Err(rustix::io::Errno::SRCH) => {}
                Err(errno) => {
                    return Err(CgroupError::Sys {
                        call: "kill",
                        arg: format!("{pid}, {}", sig.as_raw()),
                        errno,
                    });
                }
            }
        }
        Ok(())
    }

    /// Whether [`Cgroup::destroy`] SIGKILLs processes still inside (default: true).
    pub fn set_kill_on_destroy(&mut self, kill: bool) {
        self.kill_on_destroy = kill;
    }

    /// Remove the cgroup: SIGKILL leftovers (unless disabled), wait until empty, rmdir
    /// every controller directory (sub-cgroups first, EBUSY retried for ~2 s). Missing
    /// directories are fine, so calling it on an already removed cgroup succeeds.
    pub fn destroy(self) -> Result<(), CgroupError> {
        if self.kill_on_destroy && !self.pids()?.is_empty() {
            self.kill_all(Signal::KILL.as_raw())?;
            fsutil::wait_until(Duration::from_secs(2), || Ok(self.pids()?.is_empty()))?;
        }
        match &self.backend {
            Backend::V1(v) => v.remove(),
            Backend::V2(v) => v.remove(),
        }
    }

    /// On cgroup v2: an `O_PATH` directory fd for `clone3(CLONE_INTO_CGROUP)`.
    /// `None` on v1 / hybrid or if the directory cannot be opened.
    pub fn v2_dir_fd(&self) -> Option<OwnedFd> {
        match &self.backend {
            Backend::V1(_) => None,
            Backend::V2(v) => v.dir_fd(),
        }
    }
}

/// Starts the kernel's wait for the next cgroup migration now, off the caller's path.
///
/// Moving a process into a cgroup (what starting a container does) takes the kernel's global
/// threadgroup lock for writing. On kernels where no hierarchy is mounted with
/// `favordynmods`, the first such writer after a quiet moment waits for a whole RCU grace
/// period (about 7 ms on a 2-core VM); writers arriving during that grace period, or within
/// one more after it, wait only for what is left of it. A move of this process into the
/// cgroup it is already in, begun as a container start begins, overlaps that wait with the
/// start's network and shim set-up. Errors are irrelevant: the lock is taken before any check.
pub fn prime_migration() {
    let Ok(h) = Hierarchy::detect() else {
        return;
    };
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let path_in = |v2: bool, controller: Option<&str>| {
        own.lines().find_map(|l| {
            let mut f = l.splitn(3, ':');
            let (_, ctrls, path) = (f.next()?, f.next()?, f.next()?);
            let hit = match controller {
                None => v2 && ctrls.is_empty(),
                Some(c) => ctrls.split(',').any(|x| x == c),
            };
            hit.then(|| path.trim_start_matches('/').to_string())
        })
    };
    let target = match (h.unified_root(), h.v1_mounts().first()) {
        (Some(root), _) => path_in(true, None).map(|p| root.join(p)),
        (None, Some(m)) => m
            .controllers
            .first()
            .and_then(|c| path_in(false, Some(c)))
            .map(|p| m.mount_point.join(p)),
        (None, None) => None,
    };
    if let Some(dir) = target {
        let _ = crate::fsutil::write(&dir.join("cgroup.procs"), &std::process::id().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(relative("/wharf/abc").unwrap(), Path::new("wharf/abc"));
        for bad in [
            "",
            "/",
            "wharf/x",
            "/wharf/../etc",
            "/wharf//x",
            "/wharf/x/",
            "/./x",
            "/x/.",
        ] {
            assert!(relative(bad).is_err(), "{bad:?}");
        }
    }
}
