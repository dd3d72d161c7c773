//! Docker's default runtime spec (moby `daemon/pkg/oci/defaults.go`, `caps/defaults.go`).

use wharf_cgroups::LinuxDeviceCgroup;

use crate::spec::{
    Capabilities, Linux, Mount, Namespace, NamespaceType, OCI_VERSION, Process, Root, Spec,
};

/// `PATH` set when the image does not set one.
pub const DEFAULT_PATH_ENV: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Docker's default `--shm-size` (64 MiB).
pub const DEFAULT_SHM_SIZE: u64 = 64 * 1024 * 1024;

/// The capabilities a non-privileged Docker container keeps.
pub const DEFAULT_CAPABILITIES: [&str; 14] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// Paths hidden from the container (a `/dev/null` bind over files, an empty ro tmpfs over dirs).
pub const MASKED_PATHS: [&str; 12] = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/sys/devices/virtual/powercap",
    "/sys/firmware",
];

/// Paths remounted read-only.
pub const READONLY_PATHS: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// Docker's default device-cgroup rules: deny all, then allow null, zero, full, random,
/// urandom, tty, console, and deny `/dev/net/tun` unless asked for. Type `a` with no
/// major/minor is the wildcard.
pub fn default_device_rules() -> Vec<LinuxDeviceCgroup> {
    let rule = |allow: bool, kind: Option<&str>, major: Option<i64>, minor: Option<i64>| {
        LinuxDeviceCgroup {
            allow,
            kind: kind.map(str::to_string),
            major,
            minor,
            access: Some("rwm".into()),
        }
    };
    vec![
        rule(false, None, None, None),
        rule(true, Some("c"), Some(1), Some(5)),
        rule(true, Some("c"), Some(1), Some(3)),
        rule(true, Some("c"), Some(1), Some(9)),
        rule(true, Some("c"), Some(1), Some(8)),
        rule(true, Some("c"), Some(5), Some(0)),
        rule(true, Some("c"), Some(5), Some(1)),
        rule(false, Some("c"), Some(10), Some(229)),
    ]
}

/// Rules every runtime appends to the spec's (as runc does): `mknod` of any node, and the
/// devices it always creates: null, zero, full, random, urandom, tty, console, pts, ptmx.
pub fn runtime_device_rules() -> Vec<LinuxDeviceCgroup> {
    let rule =
        |kind: &str, major: Option<i64>, minor: Option<i64>, access: &str| LinuxDeviceCgroup {
            allow: true,
            kind: Some(kind.to_string()),
            major,
            minor,
            access: Some(access.to_string()),
        };
    vec![
        rule("c", None, None, "m"),
        rule("b", None, None, "m"),
        rule("c", Some(1), Some(3), "rwm"),
        rule("c", Some(1), Some(5), "rwm"),
        rule("c", Some(1), Some(7), "rwm"),
        rule("c", Some(1), Some(8), "rwm"),
        rule("c", Some(1), Some(9), "rwm"),
        rule("c", Some(5), Some(0), "rwm"),
        rule("c", Some(5), Some(1), "rwm"),
        rule("c", Some(5), Some(2), "rwm"),
        rule("c", Some(136), None, "rwm"),
    ]
}

/// `--privileged`: every device allowed.
pub fn privileged_device_rules() -> Vec<LinuxDeviceCgroup> {
    vec![LinuxDeviceCgroup {
        allow: true,
        kind: None,
        major: None,
        minor: None,
        access: Some("rwm".into()),
    }]
}

fn mount(dest: &str, typ: &str, source: &str, options: &[&str]) -> Mount {
    Mount {
        destination: dest.into(),
        typ: typ.into(),
        source: source.into(),
        options: options.iter().map(|s| s.to_string()).collect(),
    }
}

/// Docker's default mounts. `/dev/shm` gets its size from the builder.
pub fn default_mounts() -> Vec<Mount> {
    vec![
        mount("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"]),
        mount(
            "/dev",
            "tmpfs",
            "tmpfs",
            &["nosuid", "strictatime", "mode=755", "size=65536k"],
        ),
        mount(
            "/dev/pts",
            "devpts",
            "devpts",
            &[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ],
        ),
        mount(
            "/sys",
            "sysfs",
            "sysfs",
            &["nosuid", "noexec", "nodev", "ro"],
        ),
        mount(
            "/sys/fs/cgroup",
            "cgroup",
            "cgroup",
            &["ro", "nosuid", "noexec", "nodev"],
        ),
        mount(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["nosuid", "noexec", "nodev"],
        ),
        mount(
            "/dev/shm",
            "tmpfs",
            "shm",
            &["nosuid", "noexec", "nodev", "mode=1777"],
        ),
    ]
}

/// Docker's default capability set as owned strings.
pub fn default_capabilities() -> Vec<String> {
    DEFAULT_CAPABILITIES.iter().map(|s| s.to_string()).collect()
}

/// The namespaces a default container gets (all private).
pub fn default_namespaces() -> Vec<Namespace> {
    [
        NamespaceType::Mount,
        NamespaceType::Network,
        NamespaceType::Uts,
        NamespaceType::Pid,
        NamespaceType::Ipc,
        NamespaceType::Cgroup,
    ]
    .into_iter()
    .map(|typ| Namespace {
        typ,
        path: String::new(),
    })
    .collect()
}

/// Docker's default Linux spec, before any container configuration is applied.
pub fn default_spec() -> Spec {
    let caps = default_capabilities();
    Spec {
        oci_version: OCI_VERSION.into(),
        process: Some(Process {
            cwd: "/".into(),
            env: vec![format!("PATH={DEFAULT_PATH_ENV}")],
            capabilities: Some(Capabilities {
                bounding: caps.clone(),
                effective: caps.clone(),
                permitted: caps,
                ..Capabilities::default()
            }),
            ..Process::default()
        }),
        root: Some(Root::default()),
        mounts: default_mounts(),
        linux: Some(Linux {
            namespaces: default_namespaces(),
            masked_paths: MASKED_PATHS.iter().map(|s| s.to_string()).collect(),
            readonly_paths: READONLY_PATHS.iter().map(|s| s.to_string()).collect(),
            ..Linux::default()
        }),
        ..Spec::default()
    }
}
