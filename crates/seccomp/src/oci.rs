//! Profile → OCI `linux.seccomp`, filtered for the container's capabilities and arch
//! the way moby's `profiles/seccomp/seccomp_linux.go` does.

use crate::{Arch, Profile};

/// A kernel version for `minKernel` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KernelVersion {
    pub major: u32,
    pub minor: u32,
}

impl KernelVersion {
    /// The running kernel, from `/proc/sys/kernel/osrelease`.
    pub fn current() -> Option<KernelVersion> {
        todo!()
    }

    /// Parse `"5.8"`, `"6.18.0-foo"`.
    pub fn parse(s: &str) -> Option<KernelVersion> {
        let _ = s;
        todo!()
    }
}

/// What Docker puts in the OCI spec's `linux.seccomp` for `profile`, a container with
/// bounding capabilities `caps` (`"CAP_SYS_ADMIN"` or `"SYS_ADMIN"`) on `arch`,
/// checking `minKernel` against the running kernel.
pub fn to_oci(profile: &Profile, caps: &[String], arch: Arch) -> serde_json::Value {
    to_oci_for_kernel(profile, caps, arch, KernelVersion::current())
}

/// [`to_oci`] with an explicit kernel version (`None`: skip `minKernel` rules).
pub fn to_oci_for_kernel(
    profile: &Profile,
    caps: &[String],
    arch: Arch,
    kernel: Option<KernelVersion>,
) -> serde_json::Value {
    let _ = (profile, caps, arch, kernel);
    todo!()
}
