//! Capability names (`CAP_CHOWN`) and their numbers.

use rustix::thread::CapabilitySet;

/// Every capability the kernel knows, indexed by number.
pub const ALL: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Number of a capability given as `CAP_X`, `cap_x` or `X` (Docker accepts all three).
pub fn number(name: &str) -> Option<u32> {
    let upper = name.to_ascii_uppercase();
    let full = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    ALL.iter().position(|c| *c == full).map(|n| n as u32)
}

/// Canonical `CAP_X` spelling, or `None` if unknown.
pub fn normalize(name: &str) -> Option<&'static str> {
    number(name).map(|n| ALL[n as usize])
}

/// The highest capability number this kernel supports (`/proc/sys/kernel/cap_last_cap`).
pub fn last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(ALL.len() as u32 - 1)
}

/// Every capability this process may hand on: known here, supported by the kernel and in our
/// bounding set. `--privileged` and `--cap-add ALL` mean these: an engine that itself runs
/// without some capability (e.g. inside another container) cannot grant it.
pub fn grantable() -> Vec<String> {
    let last = last_cap();
    let bounding = bounding_set();
    ALL.iter()
        .enumerate()
        .filter(|&(n, _)| n as u32 <= last && bounding & (1 << n) != 0)
        .map(|(_, c)| c.to_string())
        .collect()
}

/// This process's bounding set (`CapBnd` in /proc/self/status); every bit if unreadable.
fn bounding_set() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("CapBnd:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .unwrap_or(u64::MAX)
}

/// Turn a list of names into a set; unknown names are returned as the error.
pub fn to_set(names: &[String]) -> Result<CapabilitySet, String> {
    let mut set = CapabilitySet::empty();
    for n in names {
        let bit = number(n).ok_or_else(|| n.clone())?;
        set |= CapabilitySet::from_bits_retain(1 << bit);
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_all_spellings() {
        assert_eq!(number("CAP_CHOWN"), Some(0));
        assert_eq!(number("net_raw"), Some(13));
        assert_eq!(normalize("sys_admin"), Some("CAP_SYS_ADMIN"));
        assert_eq!(number("CAP_NOPE"), None);
        assert_eq!(number("CAP_CHECKPOINT_RESTORE"), Some(40));
    }
}
