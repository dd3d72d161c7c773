//! The crate's error type.

use std::fmt;
use std::path::PathBuf;

use rustix::io::Errno;

/// Symbolic name of an errno (`EPERM`), or `errno N` for rare ones.
pub fn errno_name(e: i32) -> String {
    let name = match e {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        4 => "EINTR",
        5 => "EIO",
        6 => "ENXIO",
        7 => "E2BIG",
        8 => "ENOEXEC",
        9 => "EBADF",
        10 => "ECHILD",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        15 => "ENOTBLK",
        16 => "EBUSY",
        17 => "EEXIST",
        18 => "EXDEV",
        19 => "ENODEV",
        20 => "ENOTDIR",
        21 => "EISDIR",
        22 => "EINVAL",
        23 => "ENFILE",
        24 => "EMFILE",
        25 => "ENOTTY",
        26 => "ETXTBSY",
        27 => "EFBIG",
        28 => "ENOSPC",
        30 => "EROFS",
        32 => "EPIPE",
        36 => "ENAMETOOLONG",
        38 => "ENOSYS",
        39 => "ENOTEMPTY",
        40 => "ELOOP",
        95 => "EOPNOTSUPP",
        110 => "ETIMEDOUT",
        _ => return format!("errno {e}"),
    };
    name.to_string()
}

/// What kind of failure the container's process reported; decides Docker's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildErrorKind {
    /// Setting up the container failed (mounts, namespaces, capabilities...).
    Setup,
    /// The command was not found (Docker exits 127).
    NotFound,
    /// The command was found but cannot be executed (Docker exits 126).
    NotExecutable,
}

/// A failure inside the container's process before `execve` succeeded, reported over the
/// sync channel: which step failed and with which errno.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildError {
    pub kind: ChildErrorKind,
    /// The step, e.g. `mount /proc` or `exec: "foo": executable file not found in $PATH`.
    pub step: String,
    /// The errno, 0 when the step has no errno (a message says it all).
    pub errno: i32,
}

impl fmt::Display for ChildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.errno == 0 {
            f.write_str(&self.step)
        } else {
            write!(f, "{}: {}", self.step, errno_name(self.errno))
        }
    }
}

/// Everything this crate can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The container's process reported a failure before exec.
    #[error("{0}")]
    Child(ChildError),
    /// A syscall in the calling process failed.
    #[error("{call}: {}", errno_name(.errno.raw_os_error()))]
    Sys { call: String, errno: Errno },
    /// A file operation in the calling process failed.
    #[error("{op} {}: {source}", .path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The spec asks for something this runtime cannot do or is malformed.
    #[error("invalid spec: {0}")]
    Spec(String),
    /// The spec asks for a feature the built-in executor does not implement.
    #[error("not supported by the built-in runtime: {0}")]
    Unsupported(&'static str),
    /// The container's process closed the sync channel without reporting.
    #[error("container process exited during setup ({0})")]
    ChildVanished(String),
    /// An external runtime binary failed.
    #[error("{runtime} {command}: {message}")]
    External {
        runtime: String,
        command: &'static str,
        message: String,
    },
    /// The operation does not fit the container's state (e.g. start twice).
    #[error("container {id} is {state}: cannot {op}")]
    State {
        id: String,
        state: &'static str,
        op: &'static str,
    },
    #[error(transparent)]
    Cgroup(#[from] wharf_cgroups::CgroupError),
    #[error(transparent)]
    Seccomp(#[from] wharf_seccomp::SeccompError),
}

impl Error {
    pub(crate) fn sys(call: impl Into<String>, errno: Errno) -> Error {
        Error::Sys {
            call: call.into(),
            errno,
        }
    }

    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// The exit code Docker reports when starting the container fails this way:
    /// 127 command not found, 126 not executable, `None` for other failures (Docker: 125).
    pub fn exit_code_hint(&self) -> Option<i32> {
        match self {
            Error::Child(ChildError {
                kind: ChildErrorKind::NotFound,
                ..
            }) => Some(127),
            Error::Child(ChildError {
                kind: ChildErrorKind::NotExecutable,
                ..
            }) => Some(126),
            Error::External { message, .. } => {
                if message.contains("executable file not found")
                    || message.contains("no such file or directory")
                {
                    Some(127)
                } else if message.contains("permission denied") {
                    Some(126)
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}
