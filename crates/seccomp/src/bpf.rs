//! Classic BPF instructions and programs.

/// One `struct sock_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SockFilter {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// A compiled seccomp filter plus the `SECCOMP_FILTER_FLAG_*` bits to load it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BpfProgram {
    pub(crate) insns: Vec<SockFilter>,
    pub(crate) flags: u32,
}

impl BpfProgram {
    pub fn instructions(&self) -> &[SockFilter] {
        &self.insns
    }

    pub fn len(&self) -> usize {
        self.insns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }

    /// `SECCOMP_FILTER_FLAG_*` bits from the OCI `flags` list.
    pub fn flags(&self) -> u32 {
        self.flags
    }
}
