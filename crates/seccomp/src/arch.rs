//! Architectures: libseccomp names, Go names, audit numbers, syscall tables.

use crate::tables;

/// Bit 30 marks an x32 syscall number (`__X32_SYSCALL_BIT`).
pub(crate) const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// An architecture a filter can cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    X86_64,
    /// i386 compat on x86_64.
    X86,
    /// x32 ABI (x86_64 audit arch, syscall numbers with bit 30 set).
    X32,
    Aarch64,
    /// 32-bit arm EABI (compat on aarch64).
    Arm,
}

const ALL: [Arch; 5] = [Arch::X86_64, Arch::X86, Arch::X32, Arch::Aarch64, Arch::Arm];

impl Arch {
    /// The architecture this crate was built for.
    pub fn native() -> Arch {
        if cfg!(target_arch = "aarch64") {
            Arch::Aarch64
        } else if cfg!(target_arch = "x86") {
            Arch::X86
        } else if cfg!(target_arch = "arm") {
            Arch::Arm
        } else if cfg!(all(target_arch = "x86_64", target_pointer_width = "32")) {
            Arch::X32
        } else {
            Arch::X86_64
        }
    }

    /// From a libseccomp name (`SCMP_ARCH_X86_64`).
    pub fn from_scmp(name: &str) -> Option<Arch> {
        ALL.into_iter().find(|a| a.scmp_name() == name)
    }

    /// The libseccomp name (`SCMP_ARCH_X86_64`).
    pub fn scmp_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "SCMP_ARCH_X86_64",
            Arch::X86 => "SCMP_ARCH_X86",
            Arch::X32 => "SCMP_ARCH_X32",
            Arch::Aarch64 => "SCMP_ARCH_AARCH64",
            Arch::Arm => "SCMP_ARCH_ARM",
        }
    }

    /// The spelling moby matches against profile `arches` filters (libseccomp's native
    /// names derived from `runtime.GOARCH`: `amd64`, `x86`, `arm64`, ...).
    pub fn go_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::X86 => "x86",
            Arch::X32 => "x32",
            Arch::Aarch64 => "arm64",
            Arch::Arm => "arm",
        }
    }

    /// `AUDIT_ARCH_*` as seen in `seccomp_data.arch` (x32 shares x86_64's).
    pub fn audit_arch(self) -> u32 {
        const EM_386: u32 = 3;
        const EM_ARM: u32 = 40;
        const EM_X86_64: u32 = 62;
        const EM_AARCH64: u32 = 183;
        const AUDIT_ARCH_64BIT: u32 = 0x8000_0000;
        const AUDIT_ARCH_LE: u32 = 0x4000_0000;
        match self {
            Arch::X86_64 | Arch::X32 => EM_X86_64 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE,
            Arch::X86 => EM_386 | AUDIT_ARCH_LE,
            Arch::Aarch64 => EM_AARCH64 | AUDIT_ARCH_64BIT | AUDIT_ARCH_LE,
            Arch::Arm => EM_ARM | AUDIT_ARCH_LE,
        }
    }

    /// Syscall number as seen in `seccomp_data.nr`, `None` if this arch lacks it.
    pub fn syscall_nr(self, name: &str) -> Option<u32> {
        let table = match self {
            Arch::X86_64 => tables::X86_64,
            Arch::X86 => tables::X86,
            Arch::X32 => tables::X32,
            Arch::Aarch64 => tables::AARCH64,
            Arch::Arm => tables::ARM,
        };
        let nr = table
            .binary_search_by(|(n, _)| (*n).cmp(name))
            .ok()
            .map(|i| table[i].1)?;
        Some(if self == Arch::X32 {
            nr | X32_SYSCALL_BIT
        } else {
            nr
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_numbers() {
        assert_eq!(Arch::X86_64.syscall_nr("read"), Some(0));
        assert_eq!(Arch::X86_64.syscall_nr("clone3"), Some(435));
        assert_eq!(Arch::X86.syscall_nr("read"), Some(3));
        assert_eq!(Arch::X32.syscall_nr("read"), Some(X32_SYSCALL_BIT));
        assert_eq!(Arch::Aarch64.syscall_nr("read"), Some(63));
        assert_eq!(Arch::Aarch64.syscall_nr("open"), None);
        assert_eq!(Arch::Arm.syscall_nr("set_tls"), Some(0xf0005));
        assert_eq!(Arch::X86_64.syscall_nr("no_such_call"), None);
    }

    #[test]
    fn names_round_trip() {
        for a in ALL {
            assert_eq!(Arch::from_scmp(a.scmp_name()), Some(a));
        }
        assert_eq!(Arch::X86_64.audit_arch(), 0xc000_003e);
        assert_eq!(Arch::X86.audit_arch(), 0x4000_0003);
        assert_eq!(Arch::Aarch64.audit_arch(), 0xc000_00b7);
    }

    #[test]
    fn tables_sorted() {
        for t in [
            tables::X86_64,
            tables::X86,
            tables::X32,
            tables::AARCH64,
            tables::ARM,
        ] {
            assert!(t.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }
}
