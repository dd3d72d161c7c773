//! The seam the shim uses: one [`Runtime`] trait over the built-in executor and external
//! OCI runtimes (`runc`, `crun`).
//!
//! Lifecycle: [`Runtime::create`] makes the init process, stopped before exec, and returns a
//! [`Container`] (pid, pidfd, pty master) → [`Runtime::start`] lets it exec → the shim waits
//! with [`Container::wait`] (it must be the init's parent or a child subreaper, see
//! [`set_child_subreaper`]) → [`Runtime::delete`] removes what is left (cgroup, bundle,
//! rootfs mount). [`Runtime::exec`] starts another process in a running container.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::io::Errno;
use rustix::process::{Pid, Signal, WaitId, WaitIdOptions, pidfd_send_signal, waitid};

use crate::error::Error;
use crate::process::Stdio;
use crate::rootfs::RootfsMount;
use crate::spec::{Process, Spec};

/// What the caller hands to [`Runtime::create`].
#[derive(Debug)]
pub struct CreateOptions<'a> {
    /// Container id (also the external runtime's container name).
    pub id: &'a str,
    pub spec: &'a Spec,
    /// How to mount `root.path`; `None` when `root.path` already holds the tree.
    pub rootfs: Option<&'a RootfsMount>,
    /// Standard streams when `process.terminal` is false.
    pub stdio: Stdio,
    /// A directory the runtime may use for this container (bundle, pid file, logs).
    pub bundle: &'a Path,
}

/// What the caller hands to [`Runtime::exec`].
#[derive(Debug)]
pub struct ExecOptions<'a> {
    pub process: &'a Process,
    /// Standard streams when `process.terminal` is false.
    pub stdio: Stdio,
}

/// The status of a container, as `runc state` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Created,
    Running,
    Paused,
    Stopped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        }
    }
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(i32),
    Signaled(i32),
}

impl ExitStatus {
    /// Docker's exit code: the status, or 128 + signal.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => c,
            ExitStatus::Signaled(s) => 128 + s,
        }
    }
}

/// A process the runtime started (the init, or an exec'd process).
#[derive(Debug)]
pub struct ProcessHandle {
    pub(crate) pid: Pid,
    pub(crate) pidfd: OwnedFd,
    pub(crate) console: Option<OwnedFd>,
    pub(crate) exit: Option<ExitStatus>,
}

impl ProcessHandle {
    pub(crate) fn new(pid: Pid, console: Option<OwnedFd>) -> Result<ProcessHandle, Error> {
        let pidfd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
            .map_err(|e| Error::sys(format!("pidfd_open {}", pid.as_raw_nonzero()), e))?;
        Ok(ProcessHandle {
            pid,
            pidfd,
            console,
            exit: None,
        })
    }

    /// Host pid.
    pub fn pid(&self) -> u32 {
        self.pid.as_raw_nonzero().get() as u32
    }

    /// A pidfd: readable (for poll/epoll) once the process has exited.
    pub fn pidfd(&self) -> BorrowedFd<'_> {
        self.pidfd.as_fd()
    }

    /// The pty master when `process.terminal` was set (taken once).
    pub fn take_console(&mut self) -> Option<OwnedFd> {
        self.console.take()
    }

    /// Block until the process exits and reap it. The caller must be its parent or a child
    /// subreaper it was reparented to. Idempotent.
    pub fn wait(&mut self) -> Result<ExitStatus, Error> {
        if let Some(s) = self.exit {
            return Ok(s);
        }
        let s = loop {
            match waitid(WaitId::PidFd(self.pidfd.as_fd()), WaitIdOptions::EXITED) {
                Err(Errno::INTR) => continue,
                r => break r.map_err(|e| Error::sys("waitid", e))?,
            }
        };
        let s = s.ok_or_else(|| Error::sys("waitid", Errno::CHILD))?;
        let status = match (s.exit_status(), s.terminating_signal()) {
            (_, Some(sig)) => ExitStatus::Signaled(sig),
            (Some(code), None) => ExitStatus::Exited(code),
            _ => ExitStatus::Exited(0),
        };
        self.exit = Some(status);
        Ok(status)
    }

    /// Whether the process has exited (without reaping it).
    pub fn exited(&self) -> bool {
        if self.exit.is_some() {
            return true;
        }
        match waitid(
            WaitId::PidFd(self.pidfd.as_fd()),
            WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT,
        ) {
            Ok(Some(_)) => true,
            Ok(None) => false,
            // Not our child (or already reaped elsewhere): ask the kernel if it is alive.
            Err(_) => rustix::process::test_kill_process(self.pid).is_err(),
        }
    }

    /// Send a signal through the pidfd (never hits a recycled pid).
    pub fn signal(&self, sig: i32) -> Result<(), Error> {
        let s = Signal::from_named_raw(sig).ok_or(Error::Spec(format!("unknown signal {sig}")))?;
        pidfd_send_signal(&self.pidfd, s)
            .map_err(|e| Error::sys(format!("kill {} {sig}", self.pid()), e))
    }
}

/// A created container.
#[derive(Debug)]
pub struct Container {
    pub(crate) id: String,
    pub(crate) init: ProcessHandle,
    pub(crate) started: bool,
    pub(crate) paused: bool,
    pub(crate) warnings: Vec<String>,
    pub(crate) backend: Backend,
}

#[derive(Debug)]
pub(crate) enum Backend {
    Builtin(crate::builtin::Handle),
    External(crate::external::Handle),
}

impl Container {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The init process.
    pub fn init(&self) -> &ProcessHandle {
        &self.init
    }

    /// The init process, to wait on or take its console.
    pub fn init_mut(&mut self) -> &mut ProcessHandle {
        &mut self.init
    }

    /// Host pid of the init process.
    pub fn pid(&self) -> u32 {
        self.init.pid()
    }

    /// Non-fatal problems met while creating (e.g. an rlimit clamped to the hard limit).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Wait for the init process to exit (see [`ProcessHandle::wait`]).
    pub fn wait(&mut self) -> Result<ExitStatus, Error> {
        self.init.wait()
    }

    pub(crate) fn status(&self) -> Status {
        if self.init.exited() {
            Status::Stopped
        } else if !self.started {
            Status::Created
        } else if self.paused {
            Status::Paused
        } else {
            Status::Running
        }
    }
}

/// A container runtime: the built-in executor or an external OCI runtime.
pub trait Runtime {
    /// Short name (`builtin`, `runc`, `crun`).
    fn name(&self) -> &str;
    /// Create the container: init process set up and stopped just before exec.
    fn create(&self, opts: CreateOptions<'_>) -> Result<Container, Error>;
    /// Let the init process exec the command. Fails with the exec error (127/126 hints).
    fn start(&self, c: &mut Container) -> Result<(), Error>;
    /// Start another process inside the running container (`docker exec`).
    fn exec(&self, c: &Container, opts: ExecOptions<'_>) -> Result<ProcessHandle, Error>;
    /// Signal the init process, or with `all` every process in the container.
    fn kill(&self, c: &Container, signal: i32, all: bool) -> Result<(), Error>;
    /// Freeze every process (cgroup freezer).
    fn pause(&self, c: &mut Container) -> Result<(), Error>;
    /// Thaw a paused container.
    fn resume(&self, c: &mut Container) -> Result<(), Error>;
    /// Current status.
    fn state(&self, c: &Container) -> Result<Status, Error>;
    /// Remove everything the container left (cgroup, runtime state, rootfs mount). A running
    /// container is killed first when `force`, an error otherwise.
    fn delete(&self, c: Container, force: bool) -> Result<(), Error>;
}

/// Whether the kernel's OOM killer ended a process in the container's cgroup (Docker's
/// `State.OOMKilled`). Asked before the cgroup is removed; false when it cannot be read.
pub fn oom_killed(cgroups_path: &str) -> bool {
    !cgroups_path.is_empty()
        && wharf_cgroups::Cgroup::open(cgroups_path)
            .and_then(|cg| cg.stats())
            .is_ok_and(|st| st.memory.oom_kills.unwrap_or(0) > 0)
}

/// Make the calling process a child subreaper, so init processes started by an external
/// runtime (whose parent exits) are reparented to it and can be waited for.
pub fn set_child_subreaper() -> Result<(), Error> {
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
        .map_err(|e| Error::sys("prctl PR_SET_CHILD_SUBREAPER", e))
}

/// Resize a pty (`docker resize`, SIGWINCH forwarding).
pub fn resize_console(
    console: BorrowedFd<'_>,
    size: crate::spec::ConsoleSize,
) -> Result<(), Error> {
    let ws = rustix::termios::Winsize {
        ws_row: size.height as u16,
        ws_col: size.width as u16,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    rustix::termios::tcsetwinsize(console, ws).map_err(|e| Error::sys("TIOCSWINSZ", e))
}

/// The absolute `root.path` of a spec, relative paths taken from `bundle`.
pub(crate) fn root_path(spec: &Spec, bundle: &Path) -> Result<PathBuf, Error> {
    let root = spec
        .root
        .as_ref()
        .ok_or_else(|| Error::Spec("root is required".into()))?;
    let p = Path::new(&root.path);
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        bundle.join(p)
    })
}
