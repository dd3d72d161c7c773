//! The built-in executor: forks the container's init straight from the caller (the shim),
//! with no helper binary, and sets it up in new namespaces.

use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};

use rustix::fs::{Mode, OFlags};
use rustix::process::{Pid, Signal};
use rustix::thread::{LinkNameSpaceType, UnshareFlags, move_into_link_name_space};
use wharf_cgroups::Cgroup;

use crate::child::{self, ChildPlan, ContainerSetup};
use crate::defaults::DEFAULT_PATH_ENV;
use crate::error::Error;
use crate::process::{CapPlan, ProcessPlan};
use crate::rootfs::{CgroupLayout, PlannedMount, RootfsPlan};
use crate::runtime::{
    Backend, Container, CreateOptions, ExecOptions, ProcessHandle, Runtime, Status, root_path,
};
use crate::spec::{NamespaceType, Process, Spec};
use crate::sync::{self, Channel, Msg};
use crate::sys::{self, Forked};

/// The built-in runtime.
#[derive(Debug, Default, Clone, Copy)]
pub struct Builtin;

/// Built-in state kept per container.
#[derive(Debug)]
pub struct Handle {
    chan: Option<Channel>,
    cgroup: Option<Cgroup>,
    seccomp: Option<wharf_seccomp::BpfProgram>,
}

fn cstrings(v: &[String], what: &str) -> Result<Vec<CString>, Error> {
    v.iter()
        .map(|s| {
            CString::new(s.as_str()).map_err(|_| Error::Spec(format!("{what} contains NUL: {s:?}")))
        })
        .collect()
}

fn compile_seccomp(spec: &Spec) -> Result<Option<wharf_seccomp::BpfProgram>, Error> {
    match spec.linux.as_ref().and_then(|l| l.seccomp.as_ref()) {
        Some(v) => Ok(Some(wharf_seccomp::compile_oci(v)?)),
        None => Ok(None),
    }
}

fn process_plan(
    p: &Process,
    seccomp: Option<wharf_seccomp::BpfProgram>,
    warnings: &mut Vec<String>,
) -> Result<ProcessPlan, Error> {
    if p.args.is_empty() {
        return Err(Error::Spec("process.args must not be empty".into()));
    }
    let (rlimits, w) = crate::rlimit::plan(&p.rlimits)
        .map_err(|n| Error::Spec(format!("unknown rlimit type {n:?}")))?;
    warnings.extend(w);
    Ok(ProcessPlan {
        args: cstrings(&p.args, "process.args")?,
        env: cstrings(&p.env, "process.env")?,
        path_env: p.env_var("PATH").unwrap_or(DEFAULT_PATH_ENV).to_string(),
        cwd: if p.cwd.is_empty() {
            "/".into()
        } else {
            p.cwd.clone()
        },
        user: p.user.clone(),
        caps: CapPlan::from_spec(p.capabilities.as_ref())
            .map_err(|n| Error::Spec(format!("unknown capability {n:?}")))?,
        no_new_privs: p.no_new_privileges,
        rlimits,
        oom_score_adj: p.oom_score_adj,
        terminal: p.terminal,
        console_size: p.console_size,
        seccomp,
    })
}

fn open_ns(path: &str) -> Result<OwnedFd, Error> {
    rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| Error::sys(format!("open namespace {path}"), e))
}

fn devnull() -> Result<OwnedFd, Error> {
    rustix::fs::open("/dev/null", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| Error::sys("open /dev/null", e))
}

/// Existing namespaces to join, in order.
type JoinList = Vec<(NamespaceType, OwnedFd)>;

/// Which pid namespace the forked child lands in.
enum PidNs {
    /// The caller's own.
    Same,
    /// A new one (the child is its PID 1).
    New,
    /// An existing one (joining a container).
    Join(OwnedFd),
}

/// Fork with the child's pid namespace chosen through this thread's `pid_for_children`,
/// restored right after, so the child is our direct child yet PID 1 of its namespace.
fn fork_into(
    pidns: PidNs,
    plan: ChildPlan,
    parent: Channel,
    child_end: Channel,
) -> Result<(Pid, Channel), Error> {
    let saved = match pidns {
        PidNs::Same => None,
        _ => Some(open_ns("/proc/thread-self/ns/pid_for_children")?),
    };
    let set = match &pidns {
        PidNs::Same => Ok(()),
        PidNs::New => sys::unshare(UnshareFlags::NEWPID),
        PidNs::Join(fd) => {
            move_into_link_name_space(fd.as_fd(), Some(LinkNameSpaceType::ProcessID))
        }
    };
    let forked = set.and_then(|()| sys::fork());
    if let Ok(Forked::Child) = forked {
        // Never return into the caller's code from the child.
        drop(parent);
        child::run(plan, child_end)
    }
    if let Some(saved) = &saved {
        // Restoring our own namespace cannot fail for a privileged caller; if it did, the
        // next container would land in the wrong pid namespace, so report it.
        move_into_link_name_space(saved.as_fd(), Some(LinkNameSpaceType::ProcessID))
            .map_err(|e| Error::sys("setns back to own pid namespace", e))?;
    }
    match forked.map_err(|e| Error::sys("fork into new namespaces", e))? {
        Forked::Child => unreachable!("the child never gets here"),
        Forked::Parent(pid) => Ok((pid, parent)),
    }
}

/// The caller's side of a new user namespace: wait for the child to have unshared it, write
/// its maps, mount the rootfs idmapped for it, and learn the pid of the init (forked into the
/// pid namespace the user namespace owns). Returns the init's pid.
fn map_user_namespace(
    child: Pid,
    parent: &Channel,
    spec: &Spec,
    rootfs: Option<&crate::RootfsMount>,
) -> Result<Pid, Error> {
    match parent.recv() {
        Ok(Msg::Userns) => {}
        Ok(Msg::Failed(e)) => return Err(Error::Child(e)),
        Ok(_) => return Err(Error::ChildVanished("unexpected message".into())),
        Err(e) => return Err(Error::sys("read from container process", e)),
    }
    let linux = spec.linux.as_ref();
    let uid = linux.map(|l| l.uid_mappings.as_slice()).unwrap_or_default();
    let gid = linux.map(|l| l.gid_mappings.as_slice()).unwrap_or_default();
    crate::userns::write_maps(child, uid, gid).map_err(|(what, e)| Error::sys(what, e))?;
    let mounted = match rootfs {
        Some(m) => {
            let ns = crate::userns::open_userns(child)
                .map_err(|e| Error::sys("open the container's user namespace", e))?;
            Some(
                m.detached_idmapped(ns.as_fd())
                    .map_err(|e| Error::sys(format!("mount rootfs {} idmapped", m.fstype), e))?,
            )
        }
        None => None,
    };
    parent
        .send(&Msg::Mapped(mounted))
        .map_err(|e| Error::sys("signal container process", e))?;
    let new_pidns = linux
        .and_then(|l| l.namespace(NamespaceType::Pid))
        .is_some_and(|n| n.path.is_empty());
    if !new_pidns {
        return Ok(child);
    }
    let init = match parent.recv() {
        Ok(Msg::Pid(p)) => Pid::from_raw(p as i32),
        Ok(Msg::Failed(e)) => return Err(Error::Child(e)),
        Ok(_) => return Err(Error::ChildVanished("unexpected message".into())),
        Err(e) => return Err(Error::sys("read from container process", e)),
    };
    let _ = rustix::process::waitpid(Some(child), rustix::process::WaitOptions::empty());
    init.ok_or_else(|| Error::ChildVanished("invalid init pid".into()))
}

/// Wait for the child's first report, cleaning up if it failed.
fn await_ready(pid: Pid, parent: &Channel) -> Result<Option<OwnedFd>, Error> {
    let r = match parent.recv() {
        Ok(Msg::Ready(master)) => return Ok(master),
        Ok(Msg::Failed(e)) => Error::Child(e),
        Ok(_) => Error::ChildVanished("unexpected message".into()),
        Err(e) => Error::sys("read from container process", e),
    };
    reap(pid);
    Err(r)
}

/// Kills and reaps a child whose setup went wrong, returning the failure it reported, if any.
fn child_failure(pid: Pid, parent: &Channel) -> Option<Error> {
    let _ = rustix::process::kill_process(pid, Signal::KILL);
    let reported = match parent.recv() {
        Ok(Msg::Failed(e)) => Some(Error::Child(e)),
        _ => None,
    };
    reap(pid);
    reported
}

fn reap(pid: Pid) {
    let _ = rustix::process::kill_process(pid, Signal::KILL);
    let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
}

fn ns_differs(pid: u32, name: &str) -> bool {
    let ino = |p: String| {
        std::fs::metadata(p)
            .ok()
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
    };
    ino(format!("/proc/{pid}/ns/{name}")) != ino(format!("/proc/self/ns/{name}"))
}

impl Builtin {
    fn plan_container(
        spec: &Spec,
        opts: &CreateOptions<'_>,
        warnings: &mut Vec<String>,
    ) -> Result<(ContainerSetup, PidNs, JoinList), Error> {
        let linux = spec.linux.clone().unwrap_or_default();
        let userns = match linux.namespace(NamespaceType::User) {
            None if linux.uid_mappings.is_empty() => false,
            None => {
                return Err(Error::Spec(
                    "uidMappings need a user namespace in linux.namespaces".into(),
                ));
            }
            Some(ns) if !ns.path.is_empty() => {
                return Err(Error::Unsupported("joining an existing user namespace"));
            }
            Some(_) if linux.uid_mappings.is_empty() || linux.gid_mappings.is_empty() => {
                return Err(Error::Spec(
                    "a new user namespace needs linux.uidMappings and gidMappings".into(),
                ));
            }
            Some(_) => true,
        };
        let mut unshare = UnshareFlags::empty();
        let mut join = Vec::new();
        let mut pidns = PidNs::Same;
        for ns in &linux.namespaces {
            let flag = match ns.typ {
                NamespaceType::Mount => UnshareFlags::NEWNS,
                NamespaceType::Uts => UnshareFlags::NEWUTS,
                NamespaceType::Ipc => UnshareFlags::NEWIPC,
                NamespaceType::Network => UnshareFlags::NEWNET,
                NamespaceType::Cgroup => UnshareFlags::NEWCGROUP,
                NamespaceType::Pid | NamespaceType::User => UnshareFlags::empty(),
            };
            match (ns.typ, ns.path.is_empty()) {
                // Unshared after the user namespace, so that one owns it.
                (NamespaceType::Pid, true) if userns => unshare |= UnshareFlags::NEWPID,
                (NamespaceType::Pid, true) => pidns = PidNs::New,
                (NamespaceType::User, _) => {}
                (NamespaceType::Pid, false) => pidns = PidNs::Join(open_ns(&ns.path)?),
                (NamespaceType::Mount, false) => {
                    return Err(Error::Unsupported("joining an existing mount namespace"));
                }
                (_, true) => unshare |= flag,
                (t, false) => join.push((t, open_ns(&ns.path)?)),
            }
        }
        if !unshare.contains(UnshareFlags::NEWNS) {
            return Err(Error::Spec(
                "the built-in runtime needs a mount namespace".into(),
            ));
        }
        let root = root_path(spec, opts.bundle)?;
        let mounts: Vec<PlannedMount> = spec.mounts.iter().map(PlannedMount::new).collect();
        let cgroups = if mounts.iter().any(|m| m.mount.typ == "cgroup") {
            CgroupLayout {
                bind_own: !unshare.contains(UnshareFlags::NEWCGROUP),
                ..CgroupLayout::detect()
            }
        } else {
            CgroupLayout::default()
        };
        let default_devices = mounts
            .iter()
            .any(|m| m.mount.destination == "/dev" && !m.opts.bind && m.mount.typ != "bind");
        let (root_propagation, after_pivot_propagation) = match linux.rootfs_propagation.as_str() {
            "" => (crate::mountopts::propagation("rslave"), None),
            "shared" | "rshared" => (
                crate::mountopts::propagation("rslave"),
                crate::mountopts::propagation(&linux.rootfs_propagation),
            ),
            p => (crate::mountopts::propagation(p), None),
        };
        let root_propagation = root_propagation.ok_or_else(|| {
            Error::Spec(format!(
                "invalid rootfsPropagation {:?}",
                linux.rootfs_propagation
            ))
        })?;
        let mut sysctl: Vec<(String, String)> = linux.sysctl.clone().into_iter().collect();
        let joined_net = join.iter().any(|(t, _)| *t == NamespaceType::Network);
        let sysctl_early = if userns && joined_net {
            let (early, rest) = sysctl.into_iter().partition(|(k, _)| k.starts_with("net."));
            sysctl = rest;
            early
        } else {
            Vec::new()
        };
        let _ = warnings;
        let uts = unshare.contains(UnshareFlags::NEWUTS);
        Ok((
            ContainerSetup {
                rootfs: RootfsPlan {
                    root,
                    rootfs_mount: opts.rootfs.cloned(),
                    root_propagation,
                    after_pivot_propagation,
                    mounts,
                    devices: linux.devices.clone(),
                    default_devices,
                    cgroups,
                },
                unshare,
                hostname: (uts && !spec.hostname.is_empty()).then(|| spec.hostname.clone()),
                domainname: (uts && !spec.domainname.is_empty()).then(|| spec.domainname.clone()),
                sysctl,
                masked: linux.masked_paths.clone(),
                readonly: linux.readonly_paths.clone(),
                readonly_root: spec.root.as_ref().is_some_and(|r| r.readonly),
                userns,
                sysctl_early,
                sysfs_early: userns && joined_net && spec.mounts.iter().any(|m| m.typ == "sysfs"),
            },
            pidns,
            join,
        ))
    }
}

impl Runtime for Builtin {
    fn name(&self) -> &str {
        "builtin"
    }

    fn create(&self, opts: CreateOptions<'_>) -> Result<Container, Error> {
        let spec = opts.spec;
        let process = spec
            .process
            .as_ref()
            .ok_or_else(|| Error::Spec("process is required".into()))?;
        let mut warnings = Vec::new();
        let seccomp = compile_seccomp(spec)?;
        let pplan = process_plan(process, seccomp.clone(), &mut warnings)?;
        let (setup, pidns, join) = Self::plan_container(spec, &opts, &mut warnings)?;
        let userns = setup.userns;
        if userns {
            // The init is a grandchild (see `child`): it must be re-parented to us.
            crate::runtime::set_child_subreaper()?;
        }
        let linux = spec.linux.as_ref();
        let cgroup = match linux.map(|l| l.cgroups_path.as_str()).unwrap_or("") {
            "" => None,
            path => {
                let mut res = linux.and_then(|l| l.resources.clone()).unwrap_or_default();
                if !res.devices.is_empty() {
                    res.devices.extend(crate::defaults::runtime_device_rules());
                }
                Some(Cgroup::create(path, &res)?)
            }
        };
        let fail = |cg: Option<Cgroup>, e: Error| -> Error {
            if let Some(cg) = cg {
                let _ = cg.destroy();
            }
            e
        };
        let plan = ChildPlan {
            container: Some(setup),
            join,
            process: pplan,
            stdio: opts.stdio,
            devnull: match devnull() {
                Ok(d) => d,
                Err(e) => return Err(fail(cgroup, e)),
            },
        };
        let (parent, child_end) = match sync::pair() {
            Ok(p) => p,
            Err(e) => return Err(fail(cgroup, Error::sys("socketpair", e))),
        };
        let (mut pid, parent) = match fork_into(pidns, plan, parent, child_end) {
            Ok(r) => r,
            Err(e) => return Err(fail(cgroup, e)),
        };
        let result = (|| {
            if let Some(cg) = &cgroup {
                cg.add_process(pid.as_raw_nonzero().get() as u32)?;
            }
            if userns {
                pid = map_user_namespace(pid, &parent, spec, opts.rootfs)?;
            }
            parent
                .send(&Msg::Continue)
                .map_err(|e| Error::sys("signal container process", e))?;
            Ok::<_, Error>(())
        })();
        if let Err(e) = result {
            // The child sets itself up meanwhile and may have failed on its own: its report
            // explains more than a failed cgroup write to a dead pid.
            let e = child_failure(pid, &parent).unwrap_or(e);
            return Err(fail(cgroup, e));
        }
        let master = match await_ready(pid, &parent) {
            Ok(m) => m,
            Err(e) => return Err(fail(cgroup, e)),
        };
        let init = match ProcessHandle::new(pid, master) {
            Ok(h) => h,
            Err(e) => {
                reap(pid);
                return Err(fail(cgroup, e));
            }
        };
        Ok(Container {
            id: opts.id.to_string(),
            init,
            started: false,
            paused: false,
            warnings,
            backend: Backend::Builtin(Handle {
                chan: Some(parent),
                cgroup,
                seccomp,
            }),
        })
    }

    fn start(&self, c: &mut Container) -> Result<(), Error> {
        let Backend::Builtin(h) = &mut c.backend else {
            return Err(wrong_backend());
        };
        let chan = h.chan.take().ok_or(Error::State {
            id: c.id.clone(),
            state: "started",
            op: "start",
        })?;
        c.started = true;
        chan.send(&Msg::Start)
            .map_err(|e| Error::sys("signal container process", e))?;
        match chan.recv() {
            Ok(Msg::Eof) => Ok(()),
            Ok(Msg::Failed(e)) => {
                let _ = c.init.wait();
                Err(Error::Child(e))
            }
            Ok(_) => Err(Error::ChildVanished(
                "unexpected message after start".into(),
            )),
            Err(e) => Err(Error::sys("read from container process", e)),
        }
    }

    fn exec(&self, c: &Container, opts: ExecOptions<'_>) -> Result<ProcessHandle, Error> {
        let Backend::Builtin(h) = &c.backend else {
            return Err(wrong_backend());
        };
        if c.status() != Status::Running {
            return Err(Error::State {
                id: c.id.clone(),
                state: c.status().as_str(),
                op: "exec",
            });
        }
        let pid = c.pid();
        let mut warnings = Vec::new();
        let pplan = process_plan(opts.process, h.seccomp.clone(), &mut warnings)?;
        let mut join = Vec::new();
        for typ in NamespaceType::ALL {
            if typ == NamespaceType::Pid || !ns_differs(pid, typ.proc_name()) {
                continue;
            }
            join.push((
                typ,
                open_ns(&format!("/proc/{pid}/ns/{}", typ.proc_name()))?,
            ));
        }
        // Everything else is joined while still privileged on the host (a network namespace
        // the container's user namespace does not own could not be joined from inside it).
        join.sort_by_key(|(t, _)| *t == NamespaceType::User);
        let pidns = if ns_differs(pid, "pid") {
            PidNs::Join(open_ns(&format!("/proc/{pid}/ns/pid"))?)
        } else {
            PidNs::Same
        };
        let plan = ChildPlan {
            container: None,
            join,
            process: pplan,
            stdio: opts.stdio,
            devnull: devnull()?,
        };
        let (parent, child_end) = sync::pair().map_err(|e| Error::sys("socketpair", e))?;
        let (child, parent) = fork_into(pidns, plan, parent, child_end)?;
        let setup = (|| {
            if let Some(cg) = &h.cgroup {
                cg.add_process(child.as_raw_nonzero().get() as u32)?;
            }
            parent
                .send(&Msg::Continue)
                .map_err(|e| Error::sys("signal exec process", e))
        })();
        if let Err(e) = setup {
            reap(child);
            return Err(e);
        }
        let master = await_ready(child, &parent)?;
        let handle = ProcessHandle::new(child, master)?;
        parent
            .send(&Msg::Start)
            .map_err(|e| Error::sys("signal exec process", e))?;
        match parent.recv() {
            Ok(Msg::Eof) => Ok(handle),
            Ok(Msg::Failed(e)) => {
                reap(child);
                Err(Error::Child(e))
            }
            Ok(_) => Err(Error::ChildVanished(
                "unexpected message after start".into(),
            )),
            Err(e) => Err(Error::sys("read from exec process", e)),
        }
    }

    fn kill(&self, c: &Container, signal: i32, all: bool) -> Result<(), Error> {
        let Backend::Builtin(h) = &c.backend else {
            return Err(wrong_backend());
        };
        match (&h.cgroup, all) {
            (Some(cg), true) => Ok(cg.kill_all(signal)?),
            _ => c.init.signal(signal),
        }
    }

    fn pause(&self, c: &mut Container) -> Result<(), Error> {
        let Backend::Builtin(h) = &c.backend else {
            return Err(wrong_backend());
        };
        let cg = h
            .cgroup
            .as_ref()
            .ok_or(Error::Spec("pause needs linux.cgroupsPath".into()))?;
        cg.freeze()?;
        c.paused = true;
        Ok(())
    }

    fn resume(&self, c: &mut Container) -> Result<(), Error> {
        let Backend::Builtin(h) = &c.backend else {
            return Err(wrong_backend());
        };
        let cg = h
            .cgroup
            .as_ref()
            .ok_or(Error::Spec("resume needs linux.cgroupsPath".into()))?;
        cg.thaw()?;
        c.paused = false;
        Ok(())
    }

    fn state(&self, c: &Container) -> Result<Status, Error> {
        Ok(c.status())
    }

    fn delete(&self, mut c: Container, force: bool) -> Result<(), Error> {
        if !c.init.exited() {
            if !force && c.started {
                return Err(Error::State {
                    id: c.id.clone(),
                    state: c.status().as_str(),
                    op: "delete",
                });
            }
            let _ = c.init.signal(libc::SIGKILL);
        }
        // Reap if we are the parent; a caller that already reaped gets an error we ignore.
        let _ = c.init.wait();
        let Backend::Builtin(h) = c.backend else {
            return Err(wrong_backend());
        };
        if let Some(cg) = h.cgroup {
            cg.destroy()?;
        }
        Ok(())
    }
}

fn wrong_backend() -> Error {
    Error::Spec("container was not created by this runtime".into())
}

/// For callers that mount the rootfs of an external runtime: the caller's own private
/// mount namespace (affects only the calling thread; the shim is single-threaded).
pub fn enter_private_mount_namespace() -> Result<(), Error> {
    sys::unshare(UnshareFlags::NEWNS).map_err(|e| Error::sys("unshare(CLONE_NEWNS)", e))?;
    rustix::mount::mount_change(
        "/",
        rustix::mount::MountPropagationFlags::DOWNSTREAM
            | rustix::mount::MountPropagationFlags::REC,
    )
    .map_err(|e| Error::sys("make / rslave", e))
}
