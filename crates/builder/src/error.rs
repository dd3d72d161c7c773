//! Build errors. Each says what went wrong in the user's terms; errors raised while running an
//! instruction carry its Dockerfile line.

use wharf_dockerfile::ParseError;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The request itself is wrong (bad parameter, unknown target, ...).
    #[error("{0}")]
    InvalidArgument(String),
    /// The Dockerfile does not parse. Docker's wording (`dockerfile parse error on line N: …`).
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// The build context could not be read.
    #[error("{0}")]
    Context(String),
    /// An instruction failed. `code` is the exit status of a failed RUN (0 otherwise).
    #[error("{file}:{line}: {message}")]
    Step {
        file: String,
        line: usize,
        message: String,
        code: i32,
    },
    /// A base image or `--from` image that is not available.
    #[error("{0}")]
    ImageNotFound(String),
    /// The network the build names (`--network`).
    #[error(transparent)]
    Network(#[from] crate::network::NetworkError),
    /// The client went away or the daemon is stopping.
    #[error("build cancelled")]
    Cancelled,
    /// Storage failures and other engine-side problems.
    #[error("{0}")]
    Internal(String),
}

impl BuildError {
    /// The exit status a CLI should end with (a failed RUN's own status, else 1).
    pub fn code(&self) -> i32 {
        match self {
            BuildError::Step { code, .. } if *code != 0 => *code,
            _ => 1,
        }
    }
}

/// What an instruction's implementation reports; the executor adds the line.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("{0}")]
    Msg(String),
    #[error("The command '{cmd}' returned a non-zero code: {code}")]
    NonZero { cmd: String, code: i32 },
    #[error("{0}")]
    ImageNotFound(String),
    #[error("build cancelled")]
    Cancelled,
}

impl StepError {
    pub fn msg(m: impl Into<String>) -> StepError {
        StepError::Msg(m.into())
    }
}

impl From<wharf_store::StoreError> for StepError {
    fn from(e: wharf_store::StoreError) -> Self {
        StepError::Msg(e.to_string())
    }
}

impl From<wharf_image::ImageError> for StepError {
    fn from(e: wharf_image::ImageError) -> Self {
        match e {
            wharf_image::ImageError::NotFound(_) => StepError::ImageNotFound(e.to_string()),
            e => StepError::Msg(e.to_string()),
        }
    }
}

impl From<wharf_archive::ArchiveError> for StepError {
    fn from(e: wharf_archive::ArchiveError) -> Self {
        StepError::Msg(e.to_string())
    }
}

impl From<std::io::Error> for StepError {
    fn from(e: std::io::Error) -> Self {
        StepError::Msg(e.to_string())
    }
}

impl From<wharf_store::StoreError> for BuildError {
    fn from(e: wharf_store::StoreError) -> Self {
        BuildError::Internal(e.to_string())
    }
}

impl From<wharf_image::ImageError> for BuildError {
    fn from(e: wharf_image::ImageError) -> Self {
        match e {
            wharf_image::ImageError::NotFound(_) => BuildError::ImageNotFound(e.to_string()),
            e => BuildError::Internal(e.to_string()),
        }
    }
}
