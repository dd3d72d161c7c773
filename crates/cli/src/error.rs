use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A flag or argument problem: printed with the command's usage, exit status 125
    /// (Docker's status for CLI errors) unless `status` says otherwise.
    #[error("{message}")]
    Usage {
        message: String,
        command: String,
        status: i32,
    },
    #[error("Error response from daemon: {message}")]
    Daemon { status: u16, message: String },
    #[error("Cannot connect to the wharf daemon at unix://{}. Is the wharf daemon running? ({source})", socket.display())]
    Connect {
        socket: PathBuf,
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Protocol(String),
    /// Any other failure, printed as is.
    #[error("{0}")]
    Message(String),
    /// Exit with this status without printing anything more.
    #[error("")]
    Exit(i32),
    /// A message printed as is, then exit with `status` (docker's `cli.StatusError`).
    #[error("{message}")]
    Status { message: String, status: i32 },
}

impl CliError {
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
        let what = what.into();
        move |source| CliError::Io { what, source }
    }

    pub fn msg(m: impl Into<String>) -> CliError {
        CliError::Message(m.into())
    }

    /// Whether the engine answered 404 (no such container, image, volume…).
    pub fn is_not_found(&self) -> bool {
        matches!(self, CliError::Daemon { status: 404, .. })
    }

    /// The process exit status for this error.
    pub fn status(&self) -> i32 {
        match self {
            CliError::Usage { status, .. } => *status,
            CliError::Exit(s) => *s,
            CliError::Status { status, .. } => *status,
            _ => 1,
        }
    }
}
