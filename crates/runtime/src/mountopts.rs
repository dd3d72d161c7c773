//! OCI mount options (`["nosuid", "ro", "mode=755"]`) → mount(2) flags and data.

use rustix::mount::{MountFlags, MountPropagationFlags};

/// Parsed options of one mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountOptions {
    /// Flags for the initial mount (and for the read-only remount of binds).
    pub flags: MountFlags,
    /// Propagation to set after mounting (`rslave`...), if any.
    pub propagation: Option<MountPropagationFlags>,
    /// Filesystem-specific data (`mode=755,size=65536k`).
    pub data: String,
    /// `bind` or `rbind` was given.
    pub bind: bool,
    /// `rbind` was given.
    pub recursive: bool,
}

impl MountOptions {
    pub fn readonly(&self) -> bool {
        self.flags.contains(MountFlags::RDONLY)
    }
}

/// Parse OCI mount options. Unknown options become filesystem data, as runc does.
pub fn parse(options: &[String]) -> MountOptions {
    let mut o = MountOptions {
        flags: MountFlags::empty(),
        propagation: None,
        data: String::new(),
        bind: false,
        recursive: false,
    };
    let mut data: Vec<&str> = Vec::new();
    for opt in options {
        let (set, clear) = match opt.as_str() {
            "ro" | "rro" => (MountFlags::RDONLY, MountFlags::empty()),
            "rw" | "rrw" => (MountFlags::empty(), MountFlags::RDONLY),
            "nosuid" => (MountFlags::NOSUID, MountFlags::empty()),
            "suid" => (MountFlags::empty(), MountFlags::NOSUID),
            "nodev" => (MountFlags::NODEV, MountFlags::empty()),
            "dev" => (MountFlags::empty(), MountFlags::NODEV),
            "noexec" => (MountFlags::NOEXEC, MountFlags::empty()),
            "exec" => (MountFlags::empty(), MountFlags::NOEXEC),
            "sync" => (MountFlags::SYNCHRONOUS, MountFlags::empty()),
            "async" => (MountFlags::empty(), MountFlags::SYNCHRONOUS),
            "dirsync" => (MountFlags::DIRSYNC, MountFlags::empty()),
            "noatime" => (MountFlags::NOATIME, MountFlags::empty()),
            "atime" => (MountFlags::empty(), MountFlags::NOATIME),
            "nodiratime" => (MountFlags::NODIRATIME, MountFlags::empty()),
            "diratime" => (MountFlags::empty(), MountFlags::NODIRATIME),
            "relatime" => (MountFlags::RELATIME, MountFlags::empty()),
            "norelatime" => (MountFlags::empty(), MountFlags::RELATIME),
            "strictatime" => (MountFlags::STRICTATIME, MountFlags::empty()),
            "nostrictatime" => (MountFlags::empty(), MountFlags::STRICTATIME),
            "nosymfollow" => (MountFlags::NOSYMFOLLOW, MountFlags::empty()),
            "mand" => (
                MountFlags::PERMIT_MANDATORY_FILE_LOCKING,
                MountFlags::empty(),
            ),
            "nomand" => (
                MountFlags::empty(),
                MountFlags::PERMIT_MANDATORY_FILE_LOCKING,
            ),
            "defaults" => (MountFlags::empty(), MountFlags::empty()),
            "bind" => {
                o.bind = true;
                continue;
            }
            "rbind" => {
                o.bind = true;
                o.recursive = true;
                continue;
            }
            p => {
                if let Some(prop) = propagation(p) {
                    o.propagation = Some(prop);
                } else {
                    data.push(p);
                }
                continue;
            }
        };
        o.flags |= set;
        o.flags &= !clear;
    }
    o.data = data.join(",");
    o
}

/// `rslave` → `MS_SLAVE | MS_REC`, etc.
pub fn propagation(name: &str) -> Option<MountPropagationFlags> {
    use MountPropagationFlags as P;
    Some(match name {
        "private" => P::PRIVATE,
        "rprivate" => P::PRIVATE | P::REC,
        "shared" => P::SHARED,
        "rshared" => P::SHARED | P::REC,
        "slave" => P::DOWNSTREAM,
        "rslave" => P::DOWNSTREAM | P::REC,
        "unbindable" => P::UNBINDABLE,
        "runbindable" => P::UNBINDABLE | P::REC,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn flags_data_and_propagation() {
        let o = parse(&s(&["nosuid", "strictatime", "mode=755", "size=65536k"]));
        assert_eq!(o.flags, MountFlags::NOSUID | MountFlags::STRICTATIME);
        assert_eq!(o.data, "mode=755,size=65536k");
        let o = parse(&s(&["rbind", "ro", "rslave"]));
        assert!(o.bind && o.recursive && o.readonly());
        assert_eq!(
            o.propagation,
            Some(MountPropagationFlags::DOWNSTREAM | MountPropagationFlags::REC)
        );
        let o = parse(&s(&["ro", "rw"]));
        assert!(!o.readonly());
    }
}
