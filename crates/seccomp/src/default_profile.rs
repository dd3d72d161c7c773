//! Docker's default seccomp profile, built from the table in `default_rules.rs`.

use crate::{Action, ArchMap, Arg, Filter, Profile, Syscall};

#[path = "default_rules.rs"]
mod rules;

/// One `archMap` entry of the table.
struct ArchDef {
    arch: &'static str,
    sub: &'static [&'static str],
}

/// One rule of the table; `inc_*` / `exc_*` are the profile's `includes` / `excludes`.
struct RuleDef {
    names: &'static [&'static str],
    action: Action,
    errno: Option<u32>,
    args: &'static [Arg],
    inc_caps: &'static [&'static str],
    inc_arches: &'static [&'static str],
    inc_min_kernel: Option<&'static str>,
    exc_caps: &'static [&'static str],
    exc_arches: &'static [&'static str],
    exc_min_kernel: Option<&'static str>,
    comment: Option<&'static str>,
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

/// Docker's default profile: an allowlist with default action `ERRNO(EPERM)`, the
/// arch map (x86_64 covers x86 and x32, aarch64 covers arm), argument filters on
/// `clone`, `personality` and `socket`, and capability-conditional allowances.
pub fn default_profile() -> Profile {
    Profile {
        default_action: rules::DEFAULT_ACTION,
        default_errno_ret: rules::DEFAULT_ERRNO,
        architectures: Vec::new(),
        arch_map: rules::ARCH_MAP
            .iter()
            .map(|a| ArchMap {
                architecture: a.arch.to_string(),
                sub_architectures: strings(a.sub),
            })
            .collect(),
        syscalls: rules::RULES
            .iter()
            .map(|r| Syscall {
                name: None,
                names: strings(r.names),
                action: r.action,
                errno_ret: r.errno,
                args: r.args.to_vec(),
                comment: r.comment.map(str::to_string),
                includes: Filter {
                    caps: strings(r.inc_caps),
                    arches: strings(r.inc_arches),
                    min_kernel: r.inc_min_kernel.map(str::to_string),
                },
                excludes: Filter {
                    caps: strings(r.exc_caps),
                    arches: strings(r.exc_arches),
                    min_kernel: r.exc_min_kernel.map(str::to_string),
                },
            })
            .collect(),
        flags: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_matches_docker() {
        let p = default_profile();
        assert_eq!(p.default_action, Action::Errno);
        assert_eq!(p.default_errno_ret, Some(1));
        let x86 = p
            .arch_map
            .iter()
            .find(|a| a.architecture == "SCMP_ARCH_X86_64")
            .unwrap();
        assert_eq!(x86.sub_architectures, ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
        let allowed: Vec<&str> = p.syscalls[0].names.iter().map(String::as_str).collect();
        assert!(allowed.contains(&"read") && allowed.contains(&"execve"));
        for banned in [
            "kexec_load",
            "swapon",
            "keyctl",
            "unshare",
            "mount",
            "clone3",
        ] {
            assert!(
                !allowed.contains(&banned),
                "{banned} must not be allowed by default"
            );
        }
        let clone3 = p.syscalls.iter().find(|s| s.names == ["clone3"]).unwrap();
        assert_eq!((clone3.action, clone3.errno_ret), (Action::Errno, Some(38)));
        assert_eq!(clone3.excludes.caps, ["CAP_SYS_ADMIN"]);
    }

    #[test]
    fn serializes_as_docker_json() {
        let v = serde_json::to_value(default_profile()).unwrap();
        assert_eq!(v["defaultAction"], "SCMP_ACT_ERRNO");
        assert_eq!(v["archMap"][0]["subArchitectures"][1], "SCMP_ARCH_X32");
        let back: Profile = serde_json::from_value(v).unwrap();
        assert_eq!(back, default_profile());
    }
}
