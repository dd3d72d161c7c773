//! Architectures: libseccomp names, Go names, audit numbers, syscall tables.

/// An architecture a filter can cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    X86_64,
    /// i386 compat on x86_64.
    X86,
    /// x32 ABI (x86_64 audit arch, syscall numbers with bit 30 set).
    X32,
    Aarch64,
    /// 32-bit arm (compat on aarch64).
    Arm,
}

impl Arch {
    /// The architecture this crate was built for.
    pub fn native() -> Arch {
        todo!()
    }

    /// From a libseccomp name (`SCMP_ARCH_X86_64`).
    pub fn from_scmp(name: &str) -> Option<Arch> {
        let _ = name;
        todo!()
    }

    /// The libseccomp name (`SCMP_ARCH_X86_64`).
    pub fn scmp_name(self) -> &'static str {
        todo!()
    }

    /// Go's `runtime.GOARCH` spelling used in profile `arches` filters (`amd64`).
    pub fn go_name(self) -> &'static str {
        todo!()
    }

    /// `AUDIT_ARCH_*` as seen in `seccomp_data.arch`.
    pub fn audit_arch(self) -> u32 {
        todo!()
    }

    /// Syscall number as seen in `seccomp_data.nr`, `None` if this arch lacks it.
    pub fn syscall_nr(self, name: &str) -> Option<u32> {
        let _ = name;
        todo!()
    }
}
