//! Profile → OCI `linux.seccomp`, filtered for the container's capabilities and arch
//! the way moby's `profiles/seccomp/seccomp_linux.go` does:
//! - `archMap`: the entry for the native arch contributes it and its sub-arches;
//!   a flat `architectures` list is passed through instead when present;
//! - a rule is dropped if `excludes` matches (arch listed, any listed cap held, kernel
//!   at least `minKernel`) or `includes` does not (arch not listed, a listed cap not
//!   held, kernel older than `minKernel`).

use serde_json::{Map, Value, json};

use crate::{Arch, Filter, Profile};

/// A kernel version for `minKernel` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KernelVersion {
    pub major: u32,
    pub minor: u32,
}

impl KernelVersion {
    /// The running kernel, from `/proc/sys/kernel/osrelease`.
    pub fn current() -> Option<KernelVersion> {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
        KernelVersion::parse(release.trim())
    }

    /// Parse `"5.8"`, `"6.18.0-foo"`.
    pub fn parse(s: &str) -> Option<KernelVersion> {
        let mut parts = s.split(['.', '-', '+']);
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
        Some(KernelVersion { major, minor })
    }
}

/// What Docker puts in the OCI spec's `linux.seccomp` for `profile`, a container with
/// bounding capabilities `caps` (`"CAP_SYS_ADMIN"` or `"SYS_ADMIN"`) on `arch`,
/// checking `minKernel` against the running kernel.
pub fn to_oci(profile: &Profile, caps: &[String], arch: Arch) -> Value {
    to_oci_for_kernel(profile, caps, arch, KernelVersion::current())
}

/// [`to_oci`] with an explicit kernel version. With `None`, `minKernel` conditions are
/// treated as met (the kernel is assumed new enough).
pub fn to_oci_for_kernel(
    profile: &Profile,
    caps: &[String],
    arch: Arch,
    kernel: Option<KernelVersion>,
) -> Value {
    let caps: Vec<String> = caps.iter().map(|c| normalize_cap(c)).collect();
    let ctx = Context {
        caps: &caps,
        arch: arch.go_name(),
        kernel,
    };

    let mut architectures: Vec<String> = profile.architectures.clone();
    if let Some(m) = profile
        .arch_map
        .iter()
        .find(|m| m.architecture == arch.scmp_name())
    {
        architectures.push(m.architecture.clone());
        architectures.extend(m.sub_architectures.iter().cloned());
    }

    let syscalls: Vec<Value> = profile
        .syscalls
        .iter()
        .filter(|s| !ctx.excluded_by(&s.excludes) && ctx.included_by(&s.includes))
        .map(|s| {
            let names: Vec<&String> = s.name.iter().chain(s.names.iter()).collect();
            let mut o = Map::new();
            o.insert("names".into(), json!(names));
            o.insert("action".into(), json!(s.action));
            if let Some(e) = s.errno_ret {
                o.insert("errnoRet".into(), json!(e));
            }
            if !s.args.is_empty() {
                o.insert("args".into(), json!(s.args));
            }
            Value::Object(o)
        })
        .collect();

    let mut out = Map::new();
    out.insert("defaultAction".into(), json!(profile.default_action));
    if let Some(e) = profile.default_errno_ret {
        out.insert("defaultErrnoRet".into(), json!(e));
    }
    if !architectures.is_empty() {
        out.insert("architectures".into(), json!(architectures));
    }
    if !profile.flags.is_empty() {
        out.insert("flags".into(), json!(profile.flags));
    }
    out.insert("syscalls".into(), Value::Array(syscalls));
    Value::Object(out)
}

/// `SYS_ADMIN` and `cap_sys_admin` → `CAP_SYS_ADMIN`.
fn normalize_cap(cap: &str) -> String {
    let upper = cap.to_ascii_uppercase();
    if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    }
}

struct Context<'a> {
    caps: &'a [String],
    arch: &'static str,
    kernel: Option<KernelVersion>,
}

impl Context<'_> {
    fn has_cap(&self, cap: &str) -> bool {
        let cap = normalize_cap(cap);
        self.caps.contains(&cap)
    }

    /// Kernel at least `min`; unknown kernel or unparsable version counts as new enough.
    fn kernel_at_least(&self, min: &str) -> bool {
        match (self.kernel, KernelVersion::parse(min)) {
            (Some(k), Some(m)) => k >= m,
            _ => true,
        }
    }

    fn excluded_by(&self, f: &Filter) -> bool {
        f.arches.iter().any(|a| a == self.arch)
            || f.caps.iter().any(|c| self.has_cap(c))
            || f.min_kernel
                .as_deref()
                .is_some_and(|m| self.kernel_at_least(m))
    }

    fn included_by(&self, f: &Filter) -> bool {
        (f.arches.is_empty() || f.arches.iter().any(|a| a == self.arch))
            && f.caps.iter().all(|c| self.has_cap(c))
            && f.min_kernel
                .as_deref()
                .is_none_or(|m| self.kernel_at_least(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::default_profile;

    fn has_rule_for(oci: &Value, name: &str) -> bool {
        oci["syscalls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["names"].as_array().unwrap().iter().any(|n| n == name))
    }

    #[test]
    fn arch_map_and_caps_filtering() {
        let p = default_profile();
        let k = KernelVersion::parse("6.1");
        let plain = to_oci_for_kernel(&p, &["CAP_CHOWN".into()], Arch::X86_64, k);
        assert_eq!(
            plain["architectures"],
            json!(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        );
        assert_eq!(plain["defaultErrnoRet"], 1);
        assert!(!has_rule_for(&plain, "mount"));
        assert!(has_rule_for(&plain, "clone3")); // the ENOSYS rule
        assert!(has_rule_for(&plain, "arch_prctl"));
        assert!(!has_rule_for(&plain, "cacheflush"));

        let admin = to_oci_for_kernel(&p, &["SYS_ADMIN".into()], Arch::X86_64, k);
        assert!(has_rule_for(&admin, "mount"));
        let clone3: Vec<&Value> = admin["syscalls"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["names"].as_array().unwrap().iter().any(|n| n == "clone3"))
            .collect();
        assert_eq!(clone3.len(), 1);
        assert_eq!(clone3[0]["action"], "SCMP_ACT_ALLOW");

        let arm = to_oci_for_kernel(&p, &[], Arch::Aarch64, k);
        assert_eq!(
            arm["architectures"],
            json!(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
        );
        assert!(has_rule_for(&arm, "cacheflush"));
        assert!(!has_rule_for(&arm, "arch_prctl"));
    }

    #[test]
    fn min_kernel() {
        let p = default_profile();
        let old = to_oci_for_kernel(&p, &[], Arch::X86_64, KernelVersion::parse("4.4"));
        let new = to_oci_for_kernel(&p, &[], Arch::X86_64, KernelVersion::parse("4.8.1"));
        // ptrace is allowed from 4.8 on without CAP_SYS_PTRACE.
        assert!(!has_rule_for(&old, "ptrace"));
        assert!(has_rule_for(&new, "ptrace"));
        assert_eq!(
            KernelVersion::parse("6.18.0-rc1"),
            Some(KernelVersion {
                major: 6,
                minor: 18
            })
        );
    }
}
