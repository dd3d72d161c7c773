//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong managing a cgroup. Each variant names the file or
/// syscall involved so a message is actionable on its own.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    /// A read, write, mkdir, rmdir or open on a cgroup file failed.
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A syscall that is not a plain file operation failed (kill, open of a dir fd...).
    #[error("{call}({arg}): {errno}")]
    Sys {
        call: &'static str,
        arg: String,
        #[source]
        errno: rustix::io::Errno,
    },
    /// A resource was requested whose controller (or control file) is not available.
    #[error("cgroup controller {controller} is not available but {resource} was requested")]
    ControllerMissing {
        controller: String,
        resource: &'static str,
    },
    /// The requested resource cannot be expressed on this cgroup version or is out of range.
    #[error("invalid resource {field}: {reason}")]
    InvalidResource { field: &'static str, reason: String },
    /// The cgroup path is not a clean absolute path ("/wharf/<id>").
    #[error("invalid cgroup path {0:?}: must be absolute, without '.', '..' or empty parts")]
    InvalidPath(String),
    /// `open` found no such cgroup.
    #[error("cgroup {0} does not exist")]
    NotFound(String),
    /// No cgroup hierarchy is mounted (or none we can use).
    #[error("no usable cgroup hierarchy found: {0}")]
    NoHierarchy(String),
    /// Waiting for a state change (frozen, empty) took too long.
    #[error("timed out waiting for {what} at {path}")]
    Timeout { what: &'static str, path: PathBuf },
    /// A control file held something we could not parse.
    #[error("parse {path}: unexpected content {content:?}")]
    Parse { path: PathBuf, content: String },
}
