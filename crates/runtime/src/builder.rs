//! Turns a container's configuration into a runtime spec, the way dockerd does
//! (moby `daemon/oci_linux.go`): defaults first, then the container's settings on top.

use std::collections::BTreeMap;
use std::path::Path;

use crate::caps;
use crate::defaults::{self, DEFAULT_PATH_ENV, DEFAULT_SHM_SIZE};
use crate::spec::{
    Capabilities, ConsoleSize, Mount, Namespace, NamespaceType, Resources, Rlimit, Spec, User,
};

/// Where the spec builder found a problem in the container's configuration.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BuildError {
    #[error("unknown capability: {0:?}")]
    UnknownCapability(String),
    #[error("unknown ulimit: {0:?}")]
    UnknownUlimit(String),
    #[error("invalid mount destination {0:?}: must be an absolute path")]
    RelativeDestination(String),
    #[error("no command specified")]
    NoCommand,
}

/// How a container gets one kind of namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceMode {
    /// A new namespace of its own (the default).
    Private,
    /// The host's namespace (`--net=host`, `--pid=host`, ...).
    Host,
    /// Join an existing namespace, e.g. `/proc/<pid>/ns/net` of another container.
    Join(String),
}

/// Propagation of a bind mount (`-v src:dst:rslave`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Propagation {
    #[default]
    Default,
    Private,
    RPrivate,
    Shared,
    RShared,
    Slave,
    RSlave,
}

impl Propagation {
    fn option(self) -> Option<&'static str> {
        match self {
            Propagation::Default => None,
            Propagation::Private => Some("private"),
            Propagation::RPrivate => Some("rprivate"),
            Propagation::Shared => Some("shared"),
            Propagation::RShared => Some("rshared"),
            Propagation::Slave => Some("slave"),
            Propagation::RSlave => Some("rslave"),
        }
    }
}

/// A bind mount from the host (`-v`, `--mount type=bind`, volumes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    pub source: String,
    pub destination: String,
    pub readonly: bool,
    /// `false` for `bind-nonrecursive`.
    pub recursive: bool,
    pub propagation: Propagation,
}

impl Bind {
    /// A recursive read-write bind.
    pub fn new(source: impl Into<String>, destination: impl Into<String>) -> Bind {
        Bind {
            source: source.into(),
            destination: destination.into(),
            readonly: false,
            recursive: true,
            propagation: Propagation::Default,
        }
    }

    /// Same bind, read-only.
    pub fn readonly(mut self) -> Bind {
        self.readonly = true;
        self
    }
}

/// Builds a [`Spec`] from Docker-style container settings.
#[derive(Debug, Clone)]
pub struct SpecBuilder {
    spec: Spec,
    user_mounts: Vec<Mount>,
    env: Vec<String>,
    cap_add: Vec<String>,
    cap_drop: Vec<String>,
    privileged: bool,
    shm_size: u64,
    namespaces: BTreeMap<&'static str, (NamespaceType, NamespaceMode)>,
    init: Option<String>,
    tty: bool,
    host_sysfs: bool,
}

/// Where `--init`'s binary is mounted inside the container.
pub const INIT_PATH: &str = "/sbin/docker-init";

impl SpecBuilder {
    /// Start from Docker's defaults with `root.path = rootfs` and the given command.
    pub fn new(rootfs: impl Into<String>, args: Vec<String>) -> SpecBuilder {
        let mut spec = defaults::default_spec();
        if let Some(root) = spec.root.as_mut() {
            root.path = rootfs.into();
        }
        if let Some(p) = spec.process.as_mut() {
            p.args = args;
        }
        let namespaces = defaults::default_namespaces()
            .into_iter()
            .map(|n| (n.typ.proc_name(), (n.typ, NamespaceMode::Private)))
            .collect();
        SpecBuilder {
            spec,
            user_mounts: Vec::new(),
            env: Vec::new(),
            cap_add: Vec::new(),
            cap_drop: Vec::new(),
            privileged: false,
            shm_size: DEFAULT_SHM_SIZE,
            namespaces,
            init: None,
            tty: false,
            host_sysfs: false,
        }
    }

    fn process(&mut self) -> &mut crate::spec::Process {
        self.spec.process.get_or_insert_with(Default::default)
    }

    /// Image and user environment, `KEY=value`, later entries win.
    pub fn env<I: IntoIterator<Item = String>>(mut self, env: I) -> Self {
        self.env.extend(env);
        self
    }

    /// Numeric user, group and supplementary groups.
    pub fn user(mut self, user: User) -> Self {
        self.process().user = user;
        self
    }

    /// Working directory (`-w`); empty means `/`.
    pub fn cwd(mut self, cwd: impl Into<String>) -> Self {
        let cwd = cwd.into();
        self.process().cwd = if cwd.is_empty() { "/".into() } else { cwd };
        self
    }

    /// Hostname (`-h`); also exported as `HOSTNAME`.
    pub fn hostname(mut self, name: impl Into<String>) -> Self {
        self.spec.hostname = name.into();
        self
    }

    /// NIS domain name (`--domainname`).
    pub fn domainname(mut self, name: impl Into<String>) -> Self {
        self.spec.domainname = name.into();
        self
    }

    /// Allocate a pty (`-t`), with an optional initial size.
    pub fn tty(mut self, tty: bool, size: Option<ConsoleSize>) -> Self {
        self.tty = tty;
        let p = self.process();
        p.terminal = tty;
        p.console_size = size;
        self
    }

    /// Add a bind mount; it replaces any default mount at the same destination.
    pub fn bind(mut self, b: Bind) -> Self {
        let mut options = vec![if b.recursive { "rbind" } else { "bind" }.to_string()];
        if b.readonly {
            options.push("ro".into());
        }
        if let Some(p) = b.propagation.option() {
            options.push(p.into());
        }
        self.user_mounts.push(Mount {
            destination: b.destination,
            typ: "bind".into(),
            source: b.source,
            options,
        });
        self
    }

    /// Add a tmpfs (`--tmpfs /run:size=64m`); `options` is the comma-separated data.
    pub fn tmpfs(mut self, destination: impl Into<String>, options: &str) -> Self {
        let mut opts: Vec<String> = ["noexec", "nosuid", "nodev"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for o in options.split(',').filter(|o| !o.is_empty()) {
            // A later exec/suid/dev overrides the secure default, as Docker's merge does.
            let negated = match o {
                "exec" => Some("noexec"),
                "suid" => Some("nosuid"),
                "dev" => Some("nodev"),
                _ => None,
            };
            if let Some(n) = negated {
                opts.retain(|x| x != n);
            }
            opts.push(o.to_string());
        }
        self.user_mounts.push(Mount {
            destination: destination.into(),
            typ: "tmpfs".into(),
            source: "tmpfs".into(),
            options: opts,
        });
        self
    }

    /// Any other mount, taken as given.
    pub fn mount(mut self, m: Mount) -> Self {
        self.user_mounts.push(m);
        self
    }

    /// `--read-only`.
    pub fn readonly_rootfs(mut self, ro: bool) -> Self {
        if let Some(r) = self.spec.root.as_mut() {
            r.readonly = ro;
        }
        self
    }

    /// `--privileged`: all capabilities, no masked or read-only paths, writable `/sys` and cgroups.
    pub fn privileged(mut self, privileged: bool) -> Self {
        self.privileged = privileged;
        self
    }

    /// `--cap-add` (names with or without `CAP_`, or `ALL`).
    pub fn cap_add<I: IntoIterator<Item = String>>(mut self, caps: I) -> Self {
        self.cap_add.extend(caps);
        self
    }

    /// `--cap-drop` (names with or without `CAP_`, or `ALL`).
    pub fn cap_drop<I: IntoIterator<Item = String>>(mut self, caps: I) -> Self {
        self.cap_drop.extend(caps);
        self
    }

    /// `--ulimit nofile=soft:hard`; `name` is `nofile` or `RLIMIT_NOFILE`.
    pub fn ulimit(mut self, name: &str, soft: u64, hard: u64) -> Result<Self, BuildError> {
        let typ = crate::rlimit::normalize(name)
            .ok_or_else(|| BuildError::UnknownUlimit(name.to_string()))?;
        let p = self.process();
        p.rlimits.retain(|r| r.typ != typ);
        p.rlimits.push(Rlimit {
            typ: typ.to_string(),
            soft,
            hard,
        });
        Ok(self)
    }

    /// `--sysctl key=value`.
    pub fn sysctl(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.linux().sysctl.insert(key.into(), value.into());
        self
    }

    /// `--shm-size` in bytes (default 64 MiB).
    pub fn shm_size(mut self, bytes: u64) -> Self {
        self.shm_size = bytes;
        self
    }

    /// `--net`, `--pid`, `--ipc`, `--uts`, `--cgroupns`, `--userns` modes.
    pub fn namespace(mut self, typ: NamespaceType, mode: NamespaceMode) -> Self {
        self.namespaces.insert(typ.proc_name(), (typ, mode));
        self
    }

    /// A user namespace of its own with these maps (`--userns-remap`).
    pub fn user_namespace(
        mut self,
        uid: Vec<crate::spec::IdMapping>,
        gid: Vec<crate::spec::IdMapping>,
    ) -> Self {
        let l = self.linux();
        l.uid_mappings = uid;
        l.gid_mappings = gid;
        self.namespace(NamespaceType::User, NamespaceMode::Private)
    }

    /// Join another container's network namespace (`--net container:ID`).
    pub fn join_netns(self, path: impl Into<String>) -> Self {
        self.namespace(NamespaceType::Network, NamespaceMode::Join(path.into()))
    }

    /// `--init`: run the given host binary as PID 1 in front of the command.
    pub fn init(mut self, init_binary_on_host: impl Into<String>) -> Self {
        self.init = Some(init_binary_on_host.into());
        self
    }

    /// Cgroup path (e.g. `/docker/<id>`).
    pub fn cgroups_path(mut self, path: impl Into<String>) -> Self {
        self.linux().cgroups_path = path.into();
        self
    }

    /// Resource limits.
    pub fn resources(mut self, r: Resources) -> Self {
        self.linux().resources = Some(r);
        self
    }

    /// Seccomp profile (the OCI `LinuxSeccomp` object), or `None` for unconfined.
    pub fn seccomp(mut self, profile: Option<serde_json::Value>) -> Self {
        self.linux().seccomp = profile;
        self
    }

    /// `--security-opt no-new-privileges`.
    pub fn no_new_privileges(mut self, on: bool) -> Self {
        self.process().no_new_privileges = on;
        self
    }

    /// `--oom-score-adj`.
    pub fn oom_score_adj(mut self, adj: i32) -> Self {
        self.process().oom_score_adj = (adj != 0).then_some(adj);
        self
    }

    fn linux(&mut self) -> &mut crate::spec::Linux {
        self.spec.linux.get_or_insert_with(Default::default)
    }

    /// Produce the spec.
    pub fn build(mut self) -> Result<Spec, BuildError> {
        if self.spec.process.as_ref().is_none_or(|p| p.args.is_empty()) {
            return Err(BuildError::NoCommand);
        }
        for m in &self.user_mounts {
            if !m.destination.starts_with('/') {
                return Err(BuildError::RelativeDestination(m.destination.clone()));
            }
        }
        self.apply_env();
        self.apply_capabilities()?;
        self.apply_namespaces();
        self.apply_mounts();
        if self.host_sysfs {
            self.bind_sysfs_for_foreign_netns();
        }
        self.apply_init();
        if self.privileged {
            let l = self.linux();
            l.masked_paths.clear();
            l.readonly_paths.clear();
        }
        let privileged = self.privileged;
        let res = self.linux().resources.get_or_insert_with(Default::default);
        let mut rules = if privileged {
            defaults::privileged_device_rules()
        } else {
            defaults::default_device_rules()
        };
        rules.append(&mut res.devices);
        res.devices = rules;
        Ok(self.spec)
    }

    /// sysfs can only be mounted by the user namespace owning the network namespace; with
    /// `on`, a container in its own user namespace that joins an existing (host-owned)
    /// network namespace gets the host's `/sys` bound read-only instead, as runc does
    /// rootless. For OCI runtimes that cannot do better (the built-in runtime mounts sysfs
    /// in the network namespace before entering the user namespace).
    pub fn host_sysfs_for_foreign_netns(mut self, on: bool) -> Self {
        self.host_sysfs = on;
        self
    }

    fn bind_sysfs_for_foreign_netns(&mut self) {
        let own_userns = matches!(
            self.namespaces.get("user"),
            Some((_, NamespaceMode::Private))
        );
        let own_netns = matches!(
            self.namespaces.get("net"),
            None | Some((_, NamespaceMode::Private))
        );
        if !own_userns || own_netns {
            return;
        }
        for m in &mut self.spec.mounts {
            if m.typ == "sysfs" {
                m.typ = "bind".into();
                m.source = "/sys".into();
                m.options = ["rbind", "nosuid", "noexec", "nodev", "ro"]
                    .map(String::from)
                    .to_vec();
            }
        }
    }

    fn apply_env(&mut self) {
        let hostname = self.spec.hostname.clone();
        let tty = self.tty;
        let mut env: Vec<String> = vec![format!("PATH={DEFAULT_PATH_ENV}")];
        if !hostname.is_empty() {
            env.push(format!("HOSTNAME={hostname}"));
        }
        if tty {
            env.push("TERM=xterm".into());
        }
        for kv in std::mem::take(&mut self.env) {
            let key = kv.split('=').next().unwrap_or_default().to_string();
            env.retain(|e| e.split('=').next() != Some(key.as_str()));
            env.push(kv);
        }
        self.process().env = env;
    }

    fn apply_capabilities(&mut self) -> Result<(), BuildError> {
        let all = caps::grantable;
        let mut set: Vec<String> = if self.privileged {
            all()
        } else {
            defaults::default_capabilities()
        };
        if !self.privileged {
            let has = |list: &[String]| list.iter().any(|c| c.eq_ignore_ascii_case("ALL"));
            if has(&self.cap_drop) {
                set.clear();
            }
            if has(&self.cap_add) {
                set = all();
            }
            for c in self
                .cap_drop
                .iter()
                .filter(|c| !c.eq_ignore_ascii_case("ALL"))
            {
                let n =
                    caps::normalize(c).ok_or_else(|| BuildError::UnknownCapability(c.clone()))?;
                set.retain(|x| x != n);
            }
            for c in self
                .cap_add
                .iter()
                .filter(|c| !c.eq_ignore_ascii_case("ALL"))
            {
                let n =
                    caps::normalize(c).ok_or_else(|| BuildError::UnknownCapability(c.clone()))?;
                if !set.iter().any(|x| x == n) {
                    set.push(n.to_string());
                }
            }
        }
        self.process().capabilities = Some(Capabilities {
            bounding: set.clone(),
            effective: set.clone(),
            permitted: set,
            ..Capabilities::default()
        });
        Ok(())
    }

    fn apply_namespaces(&mut self) {
        let mut list = Vec::new();
        let mut private_net = false;
        for (typ, mode) in self.namespaces.values() {
            match mode {
                NamespaceMode::Host => {}
                NamespaceMode::Private => {
                    private_net |= *typ == NamespaceType::Network;
                    list.push(Namespace {
                        typ: *typ,
                        path: String::new(),
                    });
                }
                NamespaceMode::Join(p) => list.push(Namespace {
                    typ: *typ,
                    path: p.clone(),
                }),
            }
        }
        self.linux().namespaces = list;
        if private_net {
            for (k, v) in [
                ("net.ipv4.ping_group_range", "0 2147483647"),
                ("net.ipv4.ip_unprivileged_port_start", "0"),
            ] {
                if Path::new("/proc/sys").join(k.replace('.', "/")).exists() {
                    self.linux()
                        .sysctl
                        .entry(k.into())
                        .or_insert_with(|| v.into());
                }
            }
        }
    }

    fn apply_mounts(&mut self) {
        let user = std::mem::take(&mut self.user_mounts);
        let user_dev = user.iter().any(|m| m.destination == "/dev");
        let ipc_host = matches!(
            self.namespaces.get("ipc"),
            Some((_, NamespaceMode::Host | NamespaceMode::Join(_)))
        );
        let readonly = self.spec.root.as_ref().is_some_and(|r| r.readonly);
        let mut mounts: Vec<Mount> = Vec::new();
        for mut m in std::mem::take(&mut self.spec.mounts) {
            if user.iter().any(|u| u.destination == m.destination)
                || (user_dev && m.destination.starts_with("/dev/"))
            {
                continue;
            }
            if m.destination == "/dev/shm" {
                if ipc_host {
                    continue;
                }
                m.options.push(format!("size={}", self.shm_size));
            }
            if readonly
                && !matches!(
                    m.destination.as_str(),
                    "/proc" | "/dev/pts" | "/dev/shm" | "/dev/mqueue" | "/dev"
                )
                && !m.options.iter().any(|o| o == "ro")
            {
                m.options.push("ro".into());
            }
            if self.privileged && (m.destination == "/sys" || m.typ == "cgroup") {
                m.options.retain(|o| o != "ro");
            }
            mounts.push(m);
        }
        // Parents before children, as dockerd sorts them.
        let mut user = user;
        user.sort_by_key(|m| m.destination.trim_end_matches('/').matches('/').count());
        mounts.extend(user);
        self.spec.mounts = mounts;
    }

    fn apply_init(&mut self) {
        let Some(init) = self.init.take() else { return };
        let private_pid = matches!(
            self.namespaces.get("pid"),
            Some((_, NamespaceMode::Private))
        );
        if !private_pid {
            return;
        }
        let p = self.process();
        let mut args = vec![INIT_PATH.to_string(), "--".to_string()];
        args.append(&mut p.args);
        p.args = args;
        self.spec.mounts.push(Mount {
            destination: INIT_PATH.into(),
            typ: "bind".into(),
            source: init,
            options: vec!["bind".into(), "ro".into()],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd() -> Vec<String> {
        vec!["sh".into()]
    }

    #[test]
    fn defaults_match_docker() {
        let s = SpecBuilder::new("/r", cmd()).build().unwrap();
        let p = s.process.as_ref().unwrap();
        assert_eq!(p.capabilities.as_ref().unwrap().bounding.len(), 14);
        assert_eq!(p.env, vec![format!("PATH={DEFAULT_PATH_ENV}")]);
        let shm = s
            .mounts
            .iter()
            .find(|m| m.destination == "/dev/shm")
            .unwrap();
        assert!(shm.options.contains(&"size=67108864".to_string()));
        let l = s.linux.as_ref().unwrap();
        assert!(l.masked_paths.contains(&"/proc/kcore".to_string()));
        assert!(l.readonly_paths.contains(&"/proc/sys".to_string()));
    }

    #[test]
    fn cap_add_and_drop() {
        let s = SpecBuilder::new("/r", cmd())
            .cap_drop(["net_raw".to_string()])
            .cap_add(["CAP_SYS_ADMIN".to_string()])
            .build()
            .unwrap();
        let c = s.process.unwrap().capabilities.unwrap();
        assert!(!c.bounding.contains(&"CAP_NET_RAW".to_string()));
        assert!(c.effective.contains(&"CAP_SYS_ADMIN".to_string()));
        let s = SpecBuilder::new("/r", cmd())
            .cap_drop(["ALL".into()])
            .build()
            .unwrap();
        assert!(s.process.unwrap().capabilities.unwrap().bounding.is_empty());
        let e = SpecBuilder::new("/r", cmd())
            .cap_add(["CAP_BOGUS".into()])
            .build();
        assert_eq!(
            e.unwrap_err(),
            BuildError::UnknownCapability("CAP_BOGUS".into())
        );
    }

    #[test]
    fn user_mount_replaces_default_and_readonly_root_marks_mounts() {
        let s = SpecBuilder::new("/r", cmd())
            .bind(Bind::new("/host", "/dev/shm").readonly())
            .readonly_rootfs(true)
            .build()
            .unwrap();
        let shm: Vec<_> = s
            .mounts
            .iter()
            .filter(|m| m.destination == "/dev/shm")
            .collect();
        assert_eq!(shm.len(), 1);
        assert_eq!(shm[0].options, vec!["rbind", "ro"]);
        let sys = s.mounts.iter().find(|m| m.destination == "/sys").unwrap();
        assert!(sys.options.contains(&"ro".into()));
        assert!(s.root.unwrap().readonly);
    }

    #[test]
    fn env_hostname_tty_and_override() {
        let s = SpecBuilder::new("/r", cmd())
            .hostname("box")
            .tty(true, None)
            .env(["PATH=/bin".to_string(), "A=1".to_string()])
            .build()
            .unwrap();
        let p = s.process.unwrap();
        assert_eq!(
            p.env,
            vec!["HOSTNAME=box", "TERM=xterm", "PATH=/bin", "A=1"]
        );
        assert!(p.terminal);
    }

    #[test]
    fn privileged_and_host_namespaces_and_init() {
        let s = SpecBuilder::new("/r", cmd())
            .privileged(true)
            .namespace(NamespaceType::Network, NamespaceMode::Host)
            .namespace(
                NamespaceType::Ipc,
                NamespaceMode::Join("/proc/9/ns/ipc".into()),
            )
            .init("/usr/bin/tini")
            .build()
            .unwrap();
        let l = s.linux.as_ref().unwrap();
        assert!(l.masked_paths.is_empty() && l.readonly_paths.is_empty());
        assert!(l.namespace(NamespaceType::Network).is_none());
        assert_eq!(
            l.namespace(NamespaceType::Ipc).unwrap().path,
            "/proc/9/ns/ipc"
        );
        assert!(!s.mounts.iter().any(|m| m.destination == "/dev/shm"));
        assert_eq!(
            s.process.as_ref().unwrap().args,
            vec![INIT_PATH, "--", "sh"]
        );
        assert_eq!(
            s.process.unwrap().capabilities.unwrap().bounding,
            caps::grantable()
        );
    }

    #[test]
    fn spec_json_round_trip_uses_oci_names() {
        let s = SpecBuilder::new("/r", cmd())
            .ulimit("nofile", 10, 20)
            .unwrap()
            .join_netns("/proc/1/ns/net")
            .build()
            .unwrap();
        let json = String::from_utf8(s.to_json()).unwrap();
        for key in [
            "\"ociVersion\"",
            "\"RLIMIT_NOFILE\"",
            "\"maskedPaths\"",
            "\"cwd\"",
        ] {
            assert!(json.contains(key), "{key} missing in {json}");
        }
        assert_eq!(Spec::from_json(json.as_bytes()).unwrap(), s);
    }
}
