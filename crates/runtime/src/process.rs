//! The part of the child's setup that is about the process, not the filesystem: stdio or
//! terminal, rlimits, user and groups, capabilities, no_new_privs, seccomp, exec.

use std::ffi::CString;
use std::os::fd::OwnedFd;

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::process::{Gid, Uid};
use rustix::thread::{CapabilitySet, CapabilitySets};

use crate::error::{ChildError, ChildErrorKind};
use crate::rlimit::Planned;
use crate::spec::{ConsoleSize, User};

/// The container process's standard streams when it has no terminal. `None` is `/dev/null`.
#[derive(Debug, Default)]
pub struct Stdio {
    pub stdin: Option<OwnedFd>,
    pub stdout: Option<OwnedFd>,
    pub stderr: Option<OwnedFd>,
}

impl Stdio {
    /// All three on `/dev/null`.
    pub fn null() -> Stdio {
        Stdio::default()
    }
}

/// Capability sets by bit, prepared in the parent.
#[derive(Debug, Clone, Copy)]
pub struct CapPlan {
    pub bounding: CapabilitySet,
    pub effective: CapabilitySet,
    pub permitted: CapabilitySet,
    pub inheritable: CapabilitySet,
    pub ambient: CapabilitySet,
}

impl CapPlan {
    /// From the spec's names; unknown names are an error naming the capability.
    pub fn from_spec(c: Option<&crate::spec::Capabilities>) -> Result<CapPlan, String> {
        let none = CapabilitySet::empty();
        let Some(c) = c else {
            return Ok(CapPlan {
                bounding: none,
                effective: none,
                permitted: none,
                inheritable: none,
                ambient: none,
            });
        };
        let f = crate::caps::to_set;
        Ok(CapPlan {
            bounding: f(&c.bounding)?,
            effective: f(&c.effective)?,
            permitted: f(&c.permitted)?,
            inheritable: f(&c.inheritable)?,
            ambient: f(&c.ambient)?,
        })
    }
}

/// Everything about the process, prepared in the parent before fork.
#[derive(Debug)]
pub struct ProcessPlan {
    pub args: Vec<CString>,
    pub env: Vec<CString>,
    /// `PATH` from the env (or Docker's default) for the lookup inside the container.
    pub path_env: String,
    pub cwd: String,
    pub user: User,
    pub caps: CapPlan,
    pub no_new_privs: bool,
    pub rlimits: Vec<Planned>,
    pub oom_score_adj: Option<i32>,
    pub terminal: bool,
    pub console_size: Option<ConsoleSize>,
    pub seccomp: Option<wharf_seccomp::BpfProgram>,
}

pub type StepError = (String, Errno);

fn at<T>(r: Result<T, Errno>, what: impl FnOnce() -> String) -> Result<T, StepError> {
    r.map_err(|e| (what(), e))
}

/// Put the caller's fds (or /dev/null) on 0, 1, 2.
pub fn install_stdio(stdio: &Stdio, devnull: &OwnedFd) -> Result<(), StepError> {
    // Move everything above 2 first so installing one cannot clobber another.
    let high = |fd: Option<&OwnedFd>| rustix::io::fcntl_dupfd_cloexec(fd.unwrap_or(devnull), 10);
    let i = at(high(stdio.stdin.as_ref()), || "dup stdin".into())?;
    let o = at(high(stdio.stdout.as_ref()), || "dup stdout".into())?;
    let e = at(high(stdio.stderr.as_ref()), || "dup stderr".into())?;
    at(rustix::stdio::dup2_stdin(&i), || "dup2 stdin".into())?;
    at(rustix::stdio::dup2_stdout(&o), || "dup2 stdout".into())?;
    at(rustix::stdio::dup2_stderr(&e), || "dup2 stderr".into())?;
    Ok(())
}

/// Allocate a pty from the container's `/dev/ptmx`, make its slave our controlling terminal
/// and stdio, and return the master for the caller. The slave is `/dev/pts/0` in a fresh
/// devpts instance.
pub fn setup_terminal(
    size: Option<ConsoleSize>,
    uid: u32,
    bind_console: bool,
) -> Result<OwnedFd, StepError> {
    let master = at(
        rustix::fs::open(
            "/dev/ptmx",
            OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
            Mode::empty(),
        ),
        || "open /dev/ptmx".into(),
    )?;
    at(rustix::pty::unlockpt(&master), || "unlockpt".into())?;
    let name = at(rustix::pty::ptsname(&master, Vec::new()), || {
        "ptsname".into()
    })?;
    let name = name.to_string_lossy().into_owned();
    let slave = at(
        rustix::fs::open(
            name.as_str(),
            OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
            Mode::empty(),
        ),
        || format!("open {name}"),
    )?;
    if uid != 0 {
        at(
            rustix::fs::fchown(&slave, Some(Uid::from_raw(uid)), None),
            || format!("chown {name}"),
        )?;
    }
    if let Some(s) = size {
        let ws = rustix::termios::Winsize {
            ws_row: s.height as u16,
            ws_col: s.width as u16,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        at(rustix::termios::tcsetwinsize(&master, ws), || {
            "set window size".into()
        })?;
    }
    at(rustix::process::setsid().map(|_| ()), || "setsid".into())?;
    at(rustix::process::ioctl_tiocsctty(&slave), || {
        "TIOCSCTTY".into()
    })?;
    at(rustix::stdio::dup2_stdin(&slave), || "dup2 pty".into())?;
    at(rustix::stdio::dup2_stdout(&slave), || "dup2 pty".into())?;
    at(rustix::stdio::dup2_stderr(&slave), || "dup2 pty".into())?;
    if bind_console {
        // runc binds the pty over /dev/console; a failure here is not worth failing for.
        if rustix::fs::open(
            "/dev/console",
            OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .is_ok()
        {
            let _ = rustix::mount::mount_bind(name.as_str(), "/dev/console");
        }
    }
    Ok(master)
}

/// Apply rlimits (already clamped) and the OOM score.
pub fn apply_limits(p: &ProcessPlan) -> Result<(), StepError> {
    for l in &p.rlimits {
        let lim = rustix::process::Rlimit {
            current: Some(l.soft),
            maximum: Some(l.hard),
        };
        at(rustix::process::setrlimit(l.resource, lim), || {
            format!("setrlimit {:?}", l.resource)
        })?;
    }
    if let Some(adj) = p.oom_score_adj {
        std::fs::write("/proc/self/oom_score_adj", adj.to_string()).map_err(|e| {
            (
                "write /proc/self/oom_score_adj".to_string(),
                Errno::from_io_error(&e).unwrap_or(Errno::IO),
            )
        })?;
    }
    Ok(())
}

/// Load the seccomp filter.
pub fn load_seccomp(p: &ProcessPlan) -> Result<(), ChildError> {
    if let Some(prog) = &p.seccomp {
        wharf_seccomp::load(prog).map_err(|e| ChildError {
            kind: ChildErrorKind::Setup,
            step: format!("load seccomp filter: {e}"),
            errno: 0,
        })?;
    }
    Ok(())
}

/// Drop the bounding set, switch user and groups keeping capabilities across the uid
/// change, then set effective/permitted/inheritable and raise ambient capabilities.
pub fn switch_user_and_caps(p: &ProcessPlan) -> Result<(), StepError> {
    let last = crate::caps::last_cap();
    for bit in 0..=last.min(63) {
        let cap = CapabilitySet::from_bits_retain(1 << bit);
        if !p.caps.bounding.contains(cap) {
            match rustix::thread::remove_capability_from_bounding_set(cap) {
                Ok(()) | Err(Errno::INVAL) => {}
                Err(e) => {
                    return Err((
                        format!(
                            "drop {} from bounding set",
                            crate::caps::ALL.get(bit as usize).unwrap_or(&"?")
                        ),
                        e,
                    ));
                }
            }
        }
    }
    at(rustix::thread::set_keep_capabilities(true), || {
        "prctl PR_SET_KEEPCAPS".into()
    })?;
    let gids: Vec<Gid> = p
        .user
        .additional_gids
        .iter()
        .map(|g| Gid::from_raw(*g))
        .collect();
    at(rustix::thread::set_thread_groups(&gids), || {
        "setgroups".into()
    })?;
    let gid = Gid::from_raw(p.user.gid);
    at(rustix::thread::set_thread_res_gid(gid, gid, gid), || {
        format!("setgid {}", p.user.gid)
    })?;
    let uid = Uid::from_raw(p.user.uid);
    at(rustix::thread::set_thread_res_uid(uid, uid, uid), || {
        format!("setuid {}", p.user.uid)
    })?;
    at(rustix::thread::set_keep_capabilities(false), || {
        "prctl PR_SET_KEEPCAPS".into()
    })?;
    at(
        rustix::thread::set_capabilities(
            None,
            CapabilitySets {
                effective: p.caps.effective,
                permitted: p.caps.permitted,
                inheritable: p.caps.inheritable,
            },
        ),
        || "capset".into(),
    )?;
    for bit in 0..=last.min(63) {
        let cap = CapabilitySet::from_bits_retain(1 << bit);
        if p.caps.ambient.contains(cap) {
            at(
                rustix::thread::configure_capability_in_ambient_set(cap, true),
                || {
                    format!(
                        "raise ambient {}",
                        crate::caps::ALL.get(bit as usize).unwrap_or(&"?")
                    )
                },
            )?;
        }
    }
    Ok(())
}

/// Final step: resolve the command and execve it. Returns only on failure.
pub fn exec(p: &ProcessPlan, resolved: &str) -> ChildError {
    crate::sys::reset_signals();
    let mask = p.user.umask.unwrap_or(0o022);
    rustix::process::umask(Mode::from_raw_mode(mask));
    let path = CString::new(resolved).unwrap_or_default();
    let errno = crate::sys::execve(&path, &p.args, &p.env);
    crate::lookup::exec_error(
        &p.args
            .first()
            .map(|a| a.to_string_lossy().into_owned())
            .unwrap_or_default(),
        errno,
    )
}

/// `chdir` into the working directory, creating it first (as root) if missing, like runc.
pub fn enter_cwd(cwd: &str, create: bool) -> Result<(), StepError> {
    if create && std::fs::metadata(cwd).is_err() {
        let _ = std::fs::create_dir_all(cwd);
    }
    at(rustix::process::chdir(cwd), || {
        format!("chdir to cwd (\"{cwd}\") set in config.json failed")
    })
}
