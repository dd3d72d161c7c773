//! Building the container's filesystem inside its new mount namespace (runs in the child).
//!
//! Order: propagation of `/` → the rootfs mount itself → the spec's mounts (cgroup, binds...)
//! → default devices and `/dev` links → `pivot_root(".", ".")` + lazy unmount of the old root.
//! Everything is mounted in the container's own namespace, so nothing is visible on the host
//! and everything disappears with the namespace.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{CWD, FileType, Mode, OFlags, makedev, mknodat, symlinkat};
use rustix::io::Errno;
use rustix::mount::{
    FsMountFlags, FsOpenFlags, MountAttrFlags, MountFlags, MountPropagationFlags, MoveMountFlags,
    UnmountFlags, fsconfig_create, fsconfig_set_fd, fsconfig_set_flag, fsconfig_set_string,
    fsmount, fsopen, mount, mount_bind, mount_bind_recursive, mount_change, mount_remount,
    move_mount, unmount,
};

use crate::mountopts::{self, MountOptions};
use crate::safepath::{Create, open_in_root, proc_fd_path};
use crate::spec::{Device, Mount};

/// How to mount the container's root filesystem onto `root.path`, described by the caller
/// (the snapshotter's mount description) and performed inside the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootfsMount {
    /// Filesystem type: `overlay`, `tmpfs`, ... or `bind` for a plain directory.
    pub fstype: String,
    /// Source: `overlay`, or the directory to bind.
    pub source: String,
    /// Comma-separated options (`lowerdir=…,upperdir=…,workdir=…`; `ro`, `rbind` for binds).
    pub options: String,
}

impl RootfsMount {
    /// An overlay of `lower` directories (top first) with `upper` and `work`.
    pub fn overlay(lower: &[impl AsRef<Path>], upper: &Path, work: &Path) -> RootfsMount {
        let lower: Vec<String> = lower
            .iter()
            .map(|p| p.as_ref().display().to_string())
            .collect();
        RootfsMount {
            fstype: "overlay".into(),
            source: "overlay".into(),
            options: format!(
                "lowerdir={},upperdir={},workdir={}",
                lower.join(":"),
                upper.display(),
                work.display()
            ),
        }
    }

    /// A recursive bind of a plain directory.
    pub fn bind(dir: &Path) -> RootfsMount {
        RootfsMount {
            fstype: "bind".into(),
            source: dir.display().to_string(),
            options: "rbind".into(),
        }
    }

    fn is_bind(&self) -> bool {
        self.fstype == "bind" || self.options.split(',').any(|o| o == "bind" || o == "rbind")
    }

    /// Mount onto `target` in the calling process's current mount namespace.
    ///
    /// Filesystems go through `fsopen`/`fsconfig`, one option per call. `fsconfig` takes
    /// values of at most 255 bytes, so a longer overlay `lowerdir` list is given one layer at
    /// a time (`lowerdir+`, Linux 6.5+); where that is refused, mount(2) takes the options as
    /// one string (up to a page).
    pub fn mount_at(&self, target: &Path) -> Result<(), Errno> {
        match self.mount_fs(target) {
            Err(Errno::INVAL) if self.has_long_option() => self.mount_legacy(target),
            r => r,
        }
    }

    fn has_long_option(&self) -> bool {
        self.options.split(',').any(|o| {
            o.split_once('=')
                .is_some_and(|(_, v)| v.len() > FSCONFIG_MAX)
        })
    }

    /// mount(2) with the whole option string.
    fn mount_legacy(&self, target: &Path) -> Result<(), Errno> {
        let mut flags = MountFlags::empty();
        let data: Vec<&str> = self
            .options
            .split(',')
            .filter(|o| match *o {
                "ro" => {
                    flags |= MountFlags::RDONLY;
                    false
                }
                "rw" | "" => false,
                _ => true,
            })
            .collect();
        let data = std::ffi::CString::new(data.join(",")).map_err(|_| Errno::INVAL)?;
        mount(
            self.source.as_str(),
            target,
            self.fstype.as_str(),
            flags,
            Some(data.as_c_str()),
        )
    }

    /// For a container in the user namespace `userns`: a detached mount of this rootfs whose
    /// read-only parts are idmapped (see [`crate::userns`]). An overlay gets each lower layer
    /// as an idmapped clone (by descriptor, Linux 6.13+) with the upper and work directories
    /// as they are; a plain directory is bound idmapped as a whole.
    pub fn detached_idmapped(&self, userns: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
        if self.is_bind() {
            let tree = crate::userns::idmapped_clone(&self.source, userns)?;
            if self.options.split(',').any(|o| o == "ro") {
                crate::sys::set_mount_readonly(tree.as_fd())?;
            }
            return Ok(tree);
        }
        let fs = fsopen(self.fstype.as_str(), FsOpenFlags::FSOPEN_CLOEXEC)?;
        fsconfig_set_string(&fs, "source", self.source.as_str())?;
        let mut attrs = MountAttrFlags::empty();
        // The clones must outlive the superblock's creation: closing a detached tree's last
        // descriptor unmounts it, and overlayfs clones its layers only then.
        let mut layers = Vec::new();
        for opt in self.options.split(',').filter(|o| !o.is_empty()) {
            match opt.split_once('=') {
                Some(("lowerdir", v)) if self.fstype == "overlay" => {
                    for layer in v.split(':') {
                        let tree = crate::userns::idmapped_clone(layer, userns)?;
                        fsconfig_set_fd(&fs, "lowerdir+", tree.as_fd())?;
                        layers.push(tree);
                    }
                }
                Some((k, v)) => fsconfig_set_string(&fs, k, v)?,
                None if opt == "ro" => attrs |= MountAttrFlags::MOUNT_ATTR_RDONLY,
                None if opt == "rw" => {}
                None if opt == "volatile" => {
                    let _ = fsconfig_set_flag(&fs, opt);
                }
                None => fsconfig_set_flag(&fs, opt)?,
            }
        }
        fsconfig_create(&fs)?;
        drop(layers);
        fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, attrs)
    }

    fn mount_fs(&self, target: &Path) -> Result<(), Errno> {
        if self.is_bind() {
            let opts: Vec<String> = self.options.split(',').map(str::to_string).collect();
            let o = mountopts::parse(&opts);
            if o.recursive || !opts.iter().any(|x| x == "bind") {
                mount_bind_recursive(self.source.as_str(), target)?;
            } else {
                mount_bind(self.source.as_str(), target)?;
            }
            if o.readonly() {
                mount_remount(target, MountFlags::BIND | MountFlags::RDONLY, "")?;
            }
            return Ok(());
        }
        let fs = fsopen(self.fstype.as_str(), FsOpenFlags::FSOPEN_CLOEXEC)?;
        fsconfig_set_string(&fs, "source", self.source.as_str())?;
        let mut attrs = MountAttrFlags::empty();
        for opt in self.options.split(',').filter(|o| !o.is_empty()) {
            match opt.split_once('=') {
                Some(("lowerdir", v)) if v.len() > FSCONFIG_MAX => {
                    for layer in v.split(':') {
                        fsconfig_set_string(&fs, "lowerdir+", layer)?;
                    }
                }
                Some((k, v)) => fsconfig_set_string(&fs, k, v)?,
                None if opt == "ro" => attrs |= MountAttrFlags::MOUNT_ATTR_RDONLY,
                None if opt == "rw" => {}
                // An optimisation only: kernels before 5.10 lack it.
                None if opt == "volatile" => {
                    let _ = fsconfig_set_flag(&fs, opt);
                }
                None => fsconfig_set_flag(&fs, opt)?,
            }
        }
        fsconfig_create(&fs)?;
        let m = fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, attrs)?;
        move_mount(&m, "", CWD, target, MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH)
    }
}

/// The longest string value `fsconfig` accepts (the kernel copies at most 256 bytes with the
/// terminating NUL).
const FSCONFIG_MAX: usize = 255;

/// A failed step: what was being done and the errno.
pub type StepError = (String, Errno);

fn at<T>(r: Result<T, Errno>, what: impl FnOnce() -> String) -> Result<T, StepError> {
    r.map_err(|e| (what(), e))
}

/// One spec mount, prepared in the parent.
#[derive(Debug, Clone)]
pub struct PlannedMount {
    pub mount: Mount,
    pub opts: MountOptions,
    /// For binds: whether the source is a directory (decides the mountpoint type).
    pub source_is_dir: bool,
}

impl PlannedMount {
    pub fn new(m: &Mount) -> PlannedMount {
        let opts = mountopts::parse(&m.options);
        let bind = opts.bind || m.typ == "bind";
        let source_is_dir = !bind
            || std::fs::metadata(&m.source)
                .map(|md| md.is_dir())
                .unwrap_or(true);
        PlannedMount {
            mount: m.clone(),
            opts,
            source_is_dir,
        }
    }

    fn is_bind(&self) -> bool {
        self.opts.bind || self.mount.typ == "bind"
    }
}

/// Host cgroup v1 hierarchies to expose under a `cgroup` mount: (directory name, mount
/// options), plus the v2 tree's name if any. Prepared in the parent.
#[derive(Debug, Clone, Default)]
pub struct CgroupLayout {
    pub unified_only: bool,
    pub v1: Vec<(String, String)>,
    pub unified: Option<String>,
    /// The container shares the host's cgroup namespace: show it its own cgroups by binding
    /// their host directories (as runc does) instead of mounting whole hierarchies. Besides
    /// hiding the host's other cgroups, this avoids a fresh cgroup2 mount in the initial
    /// cgroup namespace, which waits for an RCU grace period (10-18 ms per container).
    pub bind_own: bool,
}

/// `/proc/self/cgroup`: (controllers, path) per hierarchy; the v2 tree has no controllers.
pub fn parse_proc_cgroup(text: &str) -> Vec<(Vec<String>, String)> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, ':');
            let (_id, ctrls, path) = (f.next()?, f.next()?, f.next()?);
            let ctrls = ctrls
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect();
            Some((ctrls, path.to_string()))
        })
        .collect()
}

/// The path of our cgroup in the hierarchy mounted with `opts` (`""` or `cpu,cpuacct`
/// style; `""` is the v2 tree), from [`parse_proc_cgroup`]'s entries.
fn own_path<'a>(own: &'a [(Vec<String>, String)], opts: Option<&str>) -> &'a str {
    let found = own.iter().find(|(ctrls, _)| match opts {
        None => ctrls.is_empty(),
        Some(o) => !ctrls.is_empty() && ctrls.iter().all(|c| o.split(',').any(|x| x == c)),
    });
    found.map(|(_, p)| p.as_str()).unwrap_or("/")
}

impl CgroupLayout {
    /// The host's layout, from `/proc/self/mountinfo`.
    pub fn detect() -> CgroupLayout {
        Self::from_mountinfo(&std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default())
    }

    /// Parse mountinfo: v1 hierarchies and the v2 tree under `/sys/fs/cgroup`.
    pub fn from_mountinfo(text: &str) -> CgroupLayout {
        let mut layout = CgroupLayout::default();
        for line in text.lines() {
            let fields: Vec<&str> = line.split(' ').collect();
            let Some(sep) = fields.iter().position(|f| *f == "-") else {
                continue;
            };
            let (Some(mount_point), Some(fstype), Some(super_opts)) =
                (fields.get(4), fields.get(sep + 1), fields.get(sep + 3))
            else {
                continue;
            };
            let Some(name) = mount_point.strip_prefix("/sys/fs/cgroup") else {
                continue;
            };
            let name = name.trim_start_matches('/');
            match *fstype {
                "cgroup2" if name.is_empty() => layout.unified_only = true,
                "cgroup2" => layout.unified = Some(name.to_string()),
                "cgroup" if !name.is_empty() => {
                    let opts: Vec<&str> = super_opts
                        .split(',')
                        .filter(|o| *o != "rw" && *o != "ro")
                        .collect();
                    layout.v1.push((name.to_string(), opts.join(",")));
                }
                _ => {}
            }
        }
        layout
    }
}

/// What a container in a user namespace prepares while still privileged on the host (or
/// before its cgroup namespace), for [`RootfsPlan::setup_rest`].
#[derive(Debug, Default)]
pub struct Premade {
    /// This process's cgroups ([`parse_proc_cgroup`]), bound instead of mounting hierarchies
    /// (cgroup v1 cannot be mounted in a user namespace); empty to follow `cgroups.bind_own`.
    pub own_cgroups: Vec<(Vec<String>, String)>,
    /// A detached sysfs made in the joined (host-owned) network namespace, so the container
    /// sees its own network devices; the user namespace may not mount it there.
    pub sysfs: Option<OwnedFd>,
}

/// A detached read-only sysfs of the caller's network namespace.
pub fn detached_sysfs() -> Result<OwnedFd, StepError> {
    let fs = at(fsopen("sysfs", FsOpenFlags::FSOPEN_CLOEXEC), || {
        "fsopen sysfs".into()
    })?;
    at(fsconfig_set_string(&fs, "source", "sysfs"), || {
        "configure sysfs".into()
    })?;
    at(fsconfig_create(&fs), || "create sysfs".into())?;
    at(
        fsmount(
            &fs,
            FsMountFlags::FSMOUNT_CLOEXEC,
            MountAttrFlags::MOUNT_ATTR_RDONLY
                | MountAttrFlags::MOUNT_ATTR_NOSUID
                | MountAttrFlags::MOUNT_ATTR_NODEV
                | MountAttrFlags::MOUNT_ATTR_NOEXEC,
        ),
        || "fsmount sysfs".into(),
    )
}

/// Everything the child needs to build its root filesystem.
#[derive(Debug, Clone)]
pub struct RootfsPlan {
    pub root: PathBuf,
    pub rootfs_mount: Option<RootfsMount>,
    /// Propagation applied to `/` before anything is mounted.
    pub root_propagation: MountPropagationFlags,
    /// Propagation applied to the new `/` after pivot, when the spec asks for shared.
    pub after_pivot_propagation: Option<MountPropagationFlags>,
    pub mounts: Vec<PlannedMount>,
    pub devices: Vec<Device>,
    /// Create the default device nodes (when `/dev` is a tmpfs we mounted).
    pub default_devices: bool,
    pub cgroups: CgroupLayout,
}

/// Docker's (and runc's) always-present devices: (path, major, minor).
const DEFAULT_DEVICES: [(&str, u32, u32); 6] = [
    ("/dev/null", 1, 3),
    ("/dev/zero", 1, 5),
    ("/dev/full", 1, 7),
    ("/dev/random", 1, 8),
    ("/dev/urandom", 1, 9),
    ("/dev/tty", 5, 0),
];

impl RootfsPlan {
    /// The first steps: propagation of `/` and the rootfs mount itself. They do not depend on
    /// the process's cgroup, so they can run while the caller places it.
    /// `detached`: the rootfs already mounted by the caller (user namespaces), to attach.
    pub fn mount_root(&self, detached: Option<&OwnedFd>) -> Result<(), StepError> {
        at(mount_change("/", self.root_propagation), || {
            "make / rslave".into()
        })?;
        let root = self.root.as_path();
        if let Some(fd) = detached {
            return at(
                move_mount(fd, "", CWD, root, MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH),
                || format!("attach rootfs on {}", root.display()),
            );
        }
        match &self.rootfs_mount {
            Some(m) => at(m.mount_at(root), || {
                format!("mount rootfs {} on {}", m.fstype, root.display())
            })?,
            None => at(mount_bind_recursive(root, root), || {
                format!("bind rootfs {}", root.display())
            })?,
        }
        Ok(())
    }

    /// The spec's mounts (cgroup mounts show the process's own cgroup), devices, up to and
    /// including `pivot_root`; on return the cwd is the new `/`.
    ///
    pub fn setup_rest(&self, pre: &Premade) -> Result<(), StepError> {
        let root = self.root.as_path();
        let root_fd = at(
            rustix::fs::open(
                root,
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            ),
            || format!("open rootfs {}", root.display()),
        )?;
        for m in &self.mounts {
            self.mount_one(&root_fd, m, pre)?;
        }
        if self.default_devices {
            self.create_devices(&root_fd)?;
        }
        at(rustix::process::chdir(root), || "chdir rootfs".into())?;
        at(rustix::process::pivot_root(".", "."), || {
            "pivot_root".into()
        })?;
        at(
            mount_change(
                ".",
                MountPropagationFlags::DOWNSTREAM | MountPropagationFlags::REC,
            ),
            || "make old root rslave".into(),
        )?;
        at(unmount(".", UnmountFlags::DETACH), || {
            "unmount old root".into()
        })?;
        at(rustix::process::chdir("/"), || "chdir /".into())?;
        if let Some(p) = self.after_pivot_propagation {
            at(mount_change("/", p), || "set rootfs propagation".into())?;
        }
        Ok(())
    }

    fn mount_one(&self, root: &OwnedFd, pm: &PlannedMount, pre: &Premade) -> Result<(), StepError> {
        let m = &pm.mount;
        let dest = m.destination.as_str();
        let create = if pm.source_is_dir {
            Create::Dir
        } else {
            Create::File
        };
        let target_fd = at(open_in_root(root, dest, create), || format!("mkdir {dest}"))?;
        let target = proc_fd_path(&target_fd);
        let o = &pm.opts;
        if m.typ == "cgroup" {
            return self.mount_cgroup(root, dest, &target, o, &pre.own_cgroups);
        }
        if let (Some(sysfs), "sysfs") = (&pre.sysfs, m.typ.as_str()) {
            // By descriptor: move_mount refuses a /proc/self/fd/N target path (EINVAL).
            return at(
                move_mount(
                    sysfs,
                    "",
                    &target_fd,
                    "",
                    MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH
                        | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
                ),
                || format!("attach sysfs on {dest}"),
            );
        }
        if pm.is_bind() {
            let r = if o.recursive {
                mount_bind_recursive(m.source.as_str(), target.as_str())
            } else {
                mount_bind(m.source.as_str(), target.as_str())
            };
            at(r, || format!("bind {} on {dest}", m.source))?;
            let flags = o.flags & !(MountFlags::BIND);
            if !flags.is_empty() {
                let mounted = reopen(root, dest)?;
                at(
                    mount_remount(
                        proc_fd_path(&mounted).as_str(),
                        MountFlags::BIND | flags,
                        "",
                    ),
                    || format!("remount {dest}"),
                )?;
            }
        } else {
            let data = std::ffi::CString::new(o.data.clone()).unwrap_or_default();
            let data = (!o.data.is_empty()).then_some(data.as_c_str());
            let src = if m.source.is_empty() {
                m.typ.as_str()
            } else {
                m.source.as_str()
            };
            match mount(src, target.as_str(), m.typ.as_str(), o.flags, data) {
                // Inside a user namespace sysfs can only be mounted for a network namespace
                // it owns; for a joined one, bind the host's, as runc does.
                Err(Errno::PERM) if m.typ == "sysfs" => {
                    at(mount_bind_recursive("/sys", target.as_str()), || {
                        format!("bind /sys on {dest}")
                    })?;
                    let mounted = reopen(root, dest)?;
                    at(
                        mount_remount(
                            proc_fd_path(&mounted).as_str(),
                            MountFlags::BIND | o.flags,
                            "",
                        ),
                        || format!("remount {dest}"),
                    )?;
                }
                r => at(r, || format!("mount {dest}"))?,
            }
        }
        if let Some(p) = o.propagation {
            let mounted = reopen(root, dest)?;
            at(mount_change(proc_fd_path(&mounted).as_str(), p), || {
                format!("set propagation of {dest}")
            })?;
        }
        Ok(())
    }

    fn mount_cgroup(
        &self,
        root: &OwnedFd,
        dest: &str,
        target: &str,
        o: &MountOptions,
        own_cgroups: &[(Vec<String>, String)],
    ) -> Result<(), StepError> {
        let flags = o.flags & (MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC);
        let own = if !own_cgroups.is_empty() {
            Some(own_cgroups.to_vec())
        } else if self.cgroups.bind_own {
            let text = at(
                std::fs::read_to_string("/proc/self/cgroup")
                    .map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::IO)),
                || "read /proc/self/cgroup".into(),
            )?;
            Some(parse_proc_cgroup(&text))
        } else {
            None
        };
        // One hierarchy on `target`: the container's own directory bound, or a fresh mount.
        let one = |target: &str, host_dir: &str, fstype: &str, opts: &str, what: &str| match &own {
            Some(own) => {
                let v2 = fstype == "cgroup2";
                let path = own_path(own, (!v2).then_some(opts));
                let src = format!("{}{}", host_dir.trim_end_matches('/'), path);
                at(mount_bind(src.as_str(), target), || {
                    format!("bind {src} on {what}")
                })?;
                let mounted = reopen(root, what)?;
                at(
                    mount_remount(
                        proc_fd_path(&mounted).as_str(),
                        MountFlags::BIND | o.flags,
                        "",
                    ),
                    || format!("remount {what}"),
                )
            }
            None => {
                let data = std::ffi::CString::new(opts).unwrap_or_default();
                let data = (fstype == "cgroup").then_some(data.as_c_str());
                at(mount(fstype, target, fstype, o.flags, data), || {
                    format!("mount {what}")
                })
            }
        };
        if self.cgroups.unified_only {
            return one(target, "/sys/fs/cgroup", "cgroup2", "", dest);
        }
        at(
            mount("tmpfs", target, "tmpfs", flags, Some(c"mode=755")),
            || format!("mount tmpfs on {dest}"),
        )?;
        for (name, controllers) in &self.cgroups.v1 {
            let sub = format!("{dest}/{name}");
            let fd = at(open_in_root(root, &sub, Create::Dir), || {
                format!("mkdir {sub}")
            })?;
            let host_dir = format!("/sys/fs/cgroup/{name}");
            one(
                proc_fd_path(&fd).as_str(),
                &host_dir,
                "cgroup",
                controllers,
                &sub,
            )?;
        }
        if let Some(name) = &self.cgroups.unified {
            let sub = format!("{dest}/{name}");
            let fd = at(open_in_root(root, &sub, Create::Dir), || {
                format!("mkdir {sub}")
            })?;
            let host_dir = format!("/sys/fs/cgroup/{name}");
            one(proc_fd_path(&fd).as_str(), &host_dir, "cgroup2", "", &sub)?;
        }
        if o.readonly() {
            let mounted = reopen(root, dest)?;
            at(
                mount_remount(
                    proc_fd_path(&mounted).as_str(),
                    flags | MountFlags::RDONLY,
                    "mode=755",
                ),
                || format!("remount {dest} ro"),
            )?;
        }
        Ok(())
    }

    fn create_devices(&self, root: &OwnedFd) -> Result<(), StepError> {
        let dev = at(open_in_root(root, "/dev", Create::Dir), || {
            "open /dev".into()
        })?;
        let dev_path = proc_fd_path(&dev);
        let old = rustix::process::umask(Mode::empty());
        let mut nodes: Vec<(String, FileType, u32, u32, u32)> = DEFAULT_DEVICES
            .iter()
            .map(|(p, ma, mi)| (p.to_string(), FileType::CharacterDevice, *ma, *mi, 0o666))
            .collect();
        for d in &self.devices {
            let ft = match d.typ.as_str() {
                "b" => FileType::BlockDevice,
                "p" => FileType::Fifo,
                _ => FileType::CharacterDevice,
            };
            nodes.push((
                d.path.clone(),
                ft,
                d.major as u32,
                d.minor as u32,
                d.file_mode.unwrap_or(0o666),
            ));
        }
        let r = (|| {
            for (path, ft, ma, mi, mode) in &nodes {
                let Some(parent_rel) = Path::new(path).parent() else {
                    continue;
                };
                let name = Path::new(path).file_name().unwrap_or_default();
                let parent = at(
                    open_in_root(root, &parent_rel.to_string_lossy(), Create::Dir),
                    || format!("mkdir {}", parent_rel.display()),
                )?;
                let pdir = at(
                    rustix::fs::openat(
                        &parent,
                        ".",
                        OFlags::DIRECTORY | OFlags::CLOEXEC,
                        Mode::empty(),
                    ),
                    || format!("open {}", parent_rel.display()),
                )?;
                match mknodat(
                    &pdir,
                    name,
                    *ft,
                    Mode::from_raw_mode(*mode),
                    makedev(*ma, *mi),
                ) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    // No mknod inside a user namespace: bind the host's node, as runc does.
                    Err(Errno::PERM) => bind_host_device(&pdir, name, path)?,
                    Err(e) => return Err((format!("mknod {path}"), e)),
                }
            }
            let links = [
                ("/proc/self/fd", "fd"),
                ("/proc/self/fd/0", "stdin"),
                ("/proc/self/fd/1", "stdout"),
                ("/proc/self/fd/2", "stderr"),
                ("pts/ptmx", "ptmx"),
            ];
            let devdir = at(
                rustix::fs::open(
                    dev_path.as_str(),
                    OFlags::DIRECTORY | OFlags::CLOEXEC,
                    Mode::empty(),
                ),
                || "open /dev".into(),
            )?;
            for (target, name) in links {
                match symlinkat(target, &devdir, name) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err((format!("symlink /dev/{name}"), e)),
                }
            }
            Ok(())
        })();
        rustix::process::umask(old);
        r
    }
}

/// Bind the host's device node `path` onto an empty file `name` in `dir`.
fn bind_host_device(dir: &OwnedFd, name: &std::ffi::OsStr, path: &str) -> Result<(), StepError> {
    let f = at(
        rustix::fs::openat(
            dir,
            name,
            OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
            Mode::from_raw_mode(0o600),
        ),
        || format!("create {path}"),
    )?;
    at(mount_bind(path, proc_fd_path(&f).as_str()), || {
        format!("bind host {path}")
    })
}

/// Open `dest` again after something was mounted on it (the old descriptor still names the
/// directory underneath).
fn reopen(root: &OwnedFd, dest: &str) -> Result<OwnedFd, StepError> {
    at(open_in_root(root, dest, Create::Nothing), || {
        format!("open {dest}")
    })
}

/// After pivot: hide `paths` (bind `/dev/null` over files, an empty read-only tmpfs over
/// directories). Missing paths are skipped.
pub fn mask_paths(paths: &[String]) -> Result<(), StepError> {
    for p in paths {
        match mount_bind("/dev/null", p.as_str()) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(Errno::NOTDIR) => at(
                mount("tmpfs", p.as_str(), "tmpfs", MountFlags::RDONLY, None),
                || format!("mask {p}"),
            )?,
            Err(e) => return Err((format!("mask {p}"), e)),
        }
    }
    Ok(())
}

/// After pivot: make `paths` read-only (recursive bind onto itself, then a read-only
/// remount keeping nosuid/nodev/noexec). Missing paths are skipped.
pub fn readonly_paths(paths: &[String]) -> Result<(), StepError> {
    for p in paths {
        match mount_bind_recursive(p.as_str(), p.as_str()) {
            Ok(()) => {}
            Err(Errno::NOENT) => continue,
            Err(e) => return Err((format!("bind {p} read-only"), e)),
        }
        remount_ro(p)?;
    }
    Ok(())
}

/// Remount `path` read-only, keeping its other per-mount flags.
pub fn remount_ro(path: &str) -> Result<(), StepError> {
    use rustix::fs::StatVfsMountFlags as S;
    let st = at(rustix::fs::statvfs(path), || format!("statfs {path}"))?;
    let mut flags = MountFlags::BIND | MountFlags::RDONLY;
    for (s, m) in [
        (S::NOSUID, MountFlags::NOSUID),
        (S::NODEV, MountFlags::NODEV),
        (S::NOEXEC, MountFlags::NOEXEC),
    ] {
        if st.f_flag.contains(s) {
            flags |= m;
        }
    }
    at(mount_remount(path, flags, ""), || {
        format!("remount {path} read-only")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "9:name=systemd:/wharf/abc\n8:pids:/wharf/abc\n2:cpu,cpuacct:/wharf/abc\n1:memory:/\n0::/wharf/abc\n";

    #[test]
    fn proc_cgroup_lines_split_into_controllers_and_path() {
        let own = parse_proc_cgroup(HYBRID);
        assert_eq!(own.len(), 5);
        assert_eq!(own[2].0, vec!["cpu".to_string(), "cpuacct".to_string()]);
        assert_eq!(own[4], (Vec::new(), "/wharf/abc".to_string()));
    }

    #[test]
    fn own_path_matches_a_hierarchy_by_its_mount_options() {
        let own = parse_proc_cgroup(HYBRID);
        assert_eq!(own_path(&own, Some("name=systemd")), "/wharf/abc");
        assert_eq!(own_path(&own, Some("cpu,cpuacct")), "/wharf/abc");
        assert_eq!(own_path(&own, Some("memory")), "/");
        assert_eq!(own_path(&own, None), "/wharf/abc");
        // Options that are not controllers (xattr) do not hide the match.
        assert_eq!(own_path(&own, Some("xattr,pids")), "/wharf/abc");
        // A hierarchy the process is not listed in falls back to its root.
        assert_eq!(own_path(&own, Some("hugetlb")), "/");
    }
}
