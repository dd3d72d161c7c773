//! The container's process between fork and execve: the whole in-container setup, in the
//! order runc uses, each failure reported to the caller as "step: ERRNO".

use std::convert::Infallible;
use std::os::fd::OwnedFd;

use rustix::io::Errno;
use rustix::thread::UnshareFlags;

use crate::error::{ChildError, ChildErrorKind};
use crate::process::{self, ProcessPlan, Stdio};
use crate::rootfs::{self, RootfsPlan};
use crate::spec::NamespaceType;
use crate::sync::{Channel, Msg};
use crate::sys;

/// Container-level setup (absent for `exec`).
#[derive(Debug)]
pub struct ContainerSetup {
    pub rootfs: RootfsPlan,
    pub unshare: UnshareFlags,
    pub hostname: Option<String>,
    pub domainname: Option<String>,
    pub sysctl: Vec<(String, String)>,
    pub masked: Vec<String>,
    pub readonly: Vec<String>,
    pub readonly_root: bool,
    /// Create a user namespace first (the caller writes its maps); `unshare` then includes
    /// `CLONE_NEWPID` when the container has a pid namespace of its own, so that namespace
    /// belongs to the user namespace.
    pub userns: bool,
    /// `net.*` sysctls of a joined network namespace: written before entering the user
    /// namespace, which does not own that network namespace.
    pub sysctl_early: Vec<(String, String)>,
    /// Make the container's sysfs before entering the user namespace (a joined network
    /// namespace the user namespace does not own).
    pub sysfs_early: bool,
}

/// Everything the child does, prepared before fork.
#[derive(Debug)]
pub struct ChildPlan {
    pub container: Option<ContainerSetup>,
    /// Namespaces to join first (`setns`), in order.
    pub join: Vec<(NamespaceType, OwnedFd)>,
    pub process: ProcessPlan,
    pub stdio: Stdio,
    pub devnull: OwnedFd,
}

fn step(e: (String, Errno)) -> ChildError {
    ChildError {
        kind: ChildErrorKind::Setup,
        step: e.0,
        errno: e.1.raw_os_error(),
    }
}

fn at<T>(r: Result<T, Errno>, what: impl FnOnce() -> String) -> Result<T, ChildError> {
    r.map_err(|e| step((what(), e)))
}

/// Run in the child after fork: never returns.
pub fn run(plan: ChildPlan, chan: Channel) -> ! {
    match setup(&plan, &chan) {
        Ok(never) => match never {},
        Err(e) => {
            let _ = chan.send(&Msg::Failed(e));
            sys::exit_now(1)
        }
    }
}

/// Waits for the caller to have placed us in the container's cgroup.
fn await_continue(chan: &Channel) {
    match chan.recv() {
        Ok(Msg::Continue) => {}
        _ => sys::exit_now(1),
    }
}

fn setup(plan: &ChildPlan, chan: &Channel) -> Result<Infallible, ChildError> {
    let p = &plan.process;
    if p.terminal {
        process::install_stdio(&Stdio::null(), &plan.devnull).map_err(step)?;
    } else {
        process::install_stdio(&plan.stdio, &plan.devnull).map_err(step)?;
    }
    for (typ, fd) in &plan.join {
        at(
            rustix::thread::move_into_link_name_space(std::os::fd::AsFd::as_fd(fd), None),
            || format!("join {} namespace", typ.proc_name()),
        )?;
        if *typ == NamespaceType::User {
            become_root().map_err(step)?;
        }
    }
    if let Some(c) = &plan.container {
        let mut detached_rootfs = None;
        let mut pre = rootfs::Premade::default();
        if c.userns {
            write_sysctls(&c.sysctl_early)?;
            if c.sysfs_early {
                pre.sysfs = Some(rootfs::detached_sysfs().map_err(step)?);
            }
            at(sys::unshare(UnshareFlags::NEWUSER), || {
                "unshare user namespace".into()
            })?;
            at(chan.send(&Msg::Userns), || "report user namespace".into())?;
            match chan.recv() {
                Ok(Msg::Mapped(fd)) => detached_rootfs = fd,
                _ => sys::exit_now(1),
            }
            become_root().map_err(step)?;
        }
        // Everything that does not depend on our cgroup first: the caller places us in the
        // container's cgroup meanwhile (on cgroup v1 moving a task waits for an RCU grace
        // period, ~10 ms, which this overlaps with the rootfs mount). The cgroup namespace
        // and the cgroup mounts come after, so they show the container's own cgroup.
        let cgroupns = c.unshare & UnshareFlags::NEWCGROUP;
        at(sys::unshare(c.unshare - UnshareFlags::NEWCGROUP), || {
            "unshare namespaces".into()
        })?;
        if c.unshare.contains(UnshareFlags::NEWPID) {
            // Only our children enter the new pid namespace: the init is a child that
            // carries on while we exit; the caller (a subreaper) adopts it.
            match at(sys::fork(), || "fork into pid namespace".into())? {
                sys::Forked::Child => {}
                sys::Forked::Parent(pid) => {
                    let _ = chan.send(&Msg::Pid(pid.as_raw_nonzero().get() as u32));
                    sys::exit_now(0)
                }
            }
        }
        c.rootfs
            .mount_root(detached_rootfs.as_ref())
            .map_err(step)?;
        drop(detached_rootfs);
        await_continue(chan);
        if c.userns {
            pre.own_cgroups = rootfs::parse_proc_cgroup(
                &std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default(),
            );
        }
        if !cgroupns.is_empty() {
            at(sys::unshare(cgroupns), || "unshare cgroup namespace".into())?;
        }
        c.rootfs.setup_rest(&pre).map_err(step)?;
        drop(pre);
        if let Some(h) = &c.hostname {
            at(rustix::system::sethostname(h.as_bytes()), || {
                "sethostname".into()
            })?;
        }
        if let Some(d) = &c.domainname {
            at(rustix::system::setdomainname(d.as_bytes()), || {
                "setdomainname".into()
            })?;
        }
        write_sysctls(&c.sysctl)?;
        rootfs::readonly_paths(&c.readonly).map_err(step)?;
        rootfs::mask_paths(&c.masked).map_err(step)?;
        if c.readonly_root {
            rootfs::remount_ro("/").map_err(step)?;
        }
    }
    if plan.container.is_none() {
        await_continue(chan);
    }
    let master = if p.terminal {
        let bind_console = plan
            .container
            .as_ref()
            .is_some_and(|c| c.rootfs.default_devices);
        Some(process::setup_terminal(p.console_size, p.user.uid, bind_console).map_err(step)?)
    } else {
        None
    };
    if plan.container.is_some() && std::fs::metadata(&p.cwd).is_err() {
        let _ = std::fs::create_dir_all(&p.cwd);
    }
    process::apply_limits(p).map_err(step)?;
    if !p.no_new_privs {
        // Loaded while still privileged, as runc does, so the profile need not allow
        // the privileged steps below to be skipped.
        process::load_seccomp(p)?;
    }
    process::switch_user_and_caps(p).map_err(step)?;
    process::enter_cwd(&p.cwd, false).map_err(step)?;
    let cmd = p
        .args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let resolved = crate::lookup::look_path(&cmd, &p.path_env)?;
    if p.no_new_privs {
        at(rustix::thread::set_no_new_privs(true), || {
            "prctl PR_SET_NO_NEW_PRIVS".into()
        })?;
        process::load_seccomp(p)?;
    }
    at(sys::cloexec_from(3), || "close_range".into())?;
    at(chan.send(&Msg::Ready(master)), || "report ready".into())?;
    match chan.recv() {
        Ok(Msg::Start) => {}
        _ => sys::exit_now(1),
    }
    Err(process::exec(p, &resolved))
}

fn write_sysctls(list: &[(String, String)]) -> Result<(), ChildError> {
    for (k, v) in list {
        let path = format!("/proc/sys/{}", k.replace('.', "/"));
        std::fs::write(&path, v).map_err(|e| ChildError {
            kind: ChildErrorKind::Setup,
            step: format!("write sysctl {k}"),
            errno: e.raw_os_error().unwrap_or(0),
        })?;
    }
    Ok(())
}

/// In a user namespace just entered: take uid and gid 0 of that namespace, so files we
/// create are owned by its (mapped) root; capabilities there are already full.
fn become_root() -> Result<(), (String, Errno)> {
    use rustix::process::{Gid, Uid};
    let r = |e| ("setresuid/setresgid 0 in user namespace".to_string(), e);
    rustix::thread::set_thread_res_gid(Gid::ROOT, Gid::ROOT, Gid::ROOT).map_err(r)?;
    rustix::thread::set_thread_res_uid(Uid::ROOT, Uid::ROOT, Uid::ROOT).map_err(r)?;
    rustix::thread::set_thread_groups(&[]).map_err(r)
}
