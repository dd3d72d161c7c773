use wharf_digest::Digest;

/// What kind of failure, for callers that map errors to statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    Unauthorized,
    Denied,
    InvalidInput,
    Unavailable,
    Other,
}

/// One entry of a registry's `{"errors": [...]}` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct ApiErrorEntry {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The request never got an answer (connection refused, reset, TLS, timeout).
    #[error("{method} \"{url}\": {reason}")]
    Transport {
        method: String,
        url: String,
        reason: String,
    },
    /// The registry answered with an error status.
    #[error("{}", status_text(*.status, .errors))]
    Status {
        status: u16,
        url: String,
        errors: Vec<ApiErrorEntry>,
    },
    #[error("manifest for {reference} not found: manifest unknown: manifest unknown")]
    ManifestUnknown { reference: String },
    #[error(
        "pull access denied for {repository}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
    )]
    PullDenied { repository: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("login attempt to {url} failed with status: {status}")]
    LoginFailed { url: String, status: String },
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: Digest,
        actual: Digest,
    },
    #[error("size mismatch for {digest}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        digest: Digest,
        expected: u64,
        actual: u64,
    },
    #[error("invalid manifest: {0}")]
    InvalidManifest(String),
    #[error("{0}")]
    Platform(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    #[error("error from registry: {0}")]
    Protocol(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn status_text(status: u16, errors: &[ApiErrorEntry]) -> String {
    if errors.is_empty() {
        match status {
            401 => return "unauthorized: authentication required".into(),
            403 => return "denied: requested access to the resource is denied".into(),
            _ => {}
        }
        let reason = http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        return format!("unexpected status from registry: {status} {reason}");
    }
    errors
        .iter()
        .map(|e| {
            let code = e.code.to_ascii_lowercase().replace('_', " ");
            if e.message.is_empty() {
                code
            } else {
                format!("{code}: {}", e.message)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl RegistryError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            RegistryError::Transport { .. } => ErrorKind::Unavailable,
            RegistryError::Status { status, .. } => match status {
                401 => ErrorKind::Unauthorized,
                403 => ErrorKind::Denied,
                404 => ErrorKind::NotFound,
                400 => ErrorKind::InvalidInput,
                502..=504 => ErrorKind::Unavailable,
                _ => ErrorKind::Other,
            },
            RegistryError::ManifestUnknown { .. } => ErrorKind::NotFound,
            RegistryError::PullDenied { .. } => ErrorKind::NotFound,
            RegistryError::Unauthorized(_) | RegistryError::LoginFailed { .. } => {
                ErrorKind::Unauthorized
            }
            RegistryError::InvalidArgument(_) | RegistryError::Platform(_) => {
                ErrorKind::InvalidInput
            }
            _ => ErrorKind::Other,
        }
    }

    /// Whether trying again (after a pause) may help: dropped connections, 5xx, truncation.
    pub fn is_retryable(&self) -> bool {
        match self {
            RegistryError::Transport { .. } | RegistryError::Io(_) => true,
            RegistryError::Status { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    pub(crate) fn transport(method: &http::Method, url: &str, reason: impl ToString) -> Self {
        RegistryError::Transport {
            method: method_name(method),
            url: url.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// Go's `http.Method` spelling in error messages (`Get`, `Head`, `Put`…).
fn method_name(m: &http::Method) -> String {
    let s = m.as_str();
    let mut out = s[..1].to_string();
    out.push_str(&s[1..].to_ascii_lowercase());
    out
}

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;
