//! Which cgroup layout the host has, and where each hierarchy is mounted.

use std::path::{Path, PathBuf};

use crate::CgroupError;

const DEFAULT_ROOT: &str = "/sys/fs/cgroup";

/// v1 controllers we recognise in a cgroup mount's super options.
const V1_CONTROLLERS: &[&str] = &[
    "cpu",
    "cpuacct",
    "cpuset",
    "memory",
    "devices",
    "freezer",
    "net_cls",
    "net_prio",
    "blkio",
    "perf_event",
    "hugetlb",
    "pids",
    "rdma",
    "misc",
];

struct MountLine<'a> {
    mount_point: PathBuf,
    fstype: &'a str,
    super_opts: &'a str,
}

/// `id parent maj:min root mountpoint opts [optional...] - fstype source superopts`
fn parse_line(line: &str) -> Option<MountLine<'_>> {
    let (pre, post) = line.split_once(" - ")?;
    let mount_point = unescape(pre.split(' ').nth(4)?);
    let mut post = post.split(' ');
    let fstype = post.next()?;
    let _source = post.next()?;
    let super_opts = post.next().unwrap_or("");
    Some(MountLine {
        mount_point: PathBuf::from(mount_point),
        fstype,
        super_opts,
    })
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 4])
                .ok()
                .and_then(|d| u8::from_str_radix(d, 8).ok())
        {
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

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
        let path = Path::new("/proc/self/mountinfo");
        Hierarchy::from_mountinfo(&crate::fsutil::read(path)?)
    }

    /// Parse mountinfo text (exposed for tests).
    pub fn from_mountinfo(text: &str) -> Result<Hierarchy, CgroupError> {
        let mut v1: Vec<V1Mount> = Vec::new();
        let mut v2: Vec<PathBuf> = Vec::new();
        for line in text.lines() {
            let Some(m) = parse_line(line) else { continue };
            match m.fstype {
                "cgroup2" => v2.push(m.mount_point),
                "cgroup" => {
                    let controllers: Vec<String> = m
                        .super_opts
                        .split(',')
                        .filter(|o| V1_CONTROLLERS.contains(o) || o.starts_with("name="))
                        .map(str::to_string)
                        .collect();
                    // The same hierarchy mounted twice: keep the first.
                    if !controllers.is_empty() && !v1.iter().any(|x| x.controllers == controllers) {
                        v1.push(V1Mount {
                            controllers,
                            mount_point: m.mount_point,
                        });
                    }
                }
                _ => {}
            }
        }
        let default_root = Path::new(DEFAULT_ROOT);
        if let Some(root) = v2.iter().find(|p| *p == default_root) {
            return Ok(Hierarchy::unified_at(root.clone()));
        }
        match (v1.is_empty(), v2.into_iter().next()) {
            (false, unified) => Ok(Hierarchy {
                mode: if unified.is_some() {
                    Mode::Hybrid
                } else {
                    Mode::V1
                },
                v1,
                unified,
            }),
            (true, Some(root)) => Ok(Hierarchy::unified_at(root)),
            (true, None) => Err(CgroupError::NoHierarchy(
                "no cgroup or cgroup2 mount in /proc/self/mountinfo".into(),
            )),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn hybrid() {
        let h = Hierarchy::from_mountinfo(HYBRID).unwrap();
        assert_eq!(h.mode(), Mode::Hybrid);
        assert_eq!(h.unified_root(), Some(Path::new("/sys/fs/cgroup/unified")));
        assert_eq!(h.v1_mounts().len(), 4);
        assert_eq!(h.v1_mounts()[3].controllers, ["name=systemd"]);
    }

    #[test]
    fn pure_v1_and_v2() {
        let v1: String = HYBRID
            .lines()
            .filter(|l| !l.contains("cgroup2"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(Hierarchy::from_mountinfo(&v1).unwrap().mode(), Mode::V1);
        let v2 = "30 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";
        let h = Hierarchy::from_mountinfo(v2).unwrap();
        assert_eq!(h.mode(), Mode::Unified);
        assert_eq!(h.unified_root(), Some(Path::new("/sys/fs/cgroup")));
        assert!(Hierarchy::from_mountinfo("").is_err());
    }

    #[test]
    fn combined_controllers_and_escapes() {
        let text = "1 0 0:1 / /cg/cpu\\040acct rw - cgroup cgroup rw,cpu,cpuacct\n";
        let h = Hierarchy::from_mountinfo(text).unwrap();
        assert_eq!(h.v1_mounts()[0].controllers, ["cpu", "cpuacct"]);
        assert_eq!(h.v1_mounts()[0].mount_point, Path::new("/cg/cpu acct"));
    }

    #[test]
    fn this_host() {
        // Whatever the host has, detection must not fail where /sys/fs/cgroup exists.
        if Path::new("/sys/fs/cgroup").exists() {
            Hierarchy::detect().unwrap();
        }
    }
}
