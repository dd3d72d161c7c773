//! The one error type of this crate.

/// Why a profile could not be compiled or loaded.
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    /// The OCI `linux.seccomp` value is not shaped like the spec says.
    #[error("invalid seccomp config: {0}")]
    InvalidConfig(String),
    /// One syscall rule is wrong; `index` is its position in `syscalls`.
    #[error("seccomp rule {index} ({names}): {reason}")]
    Rule {
        index: usize,
        names: String,
        reason: String,
    },
    /// An architecture we have no syscall table for.
    #[error("unsupported seccomp architecture {0}")]
    UnsupportedArch(String),
    /// The program exceeds the kernel's BPF_MAXINSNS.
    #[error("seccomp program has {len} instructions, more than the kernel limit of {max}")]
    TooLong { len: usize, max: usize },
    /// A syscall failed.
    #[error("{call}: {errno}")]
    Sys {
        call: &'static str,
        #[source]
        errno: std::io::Error,
    },
}
