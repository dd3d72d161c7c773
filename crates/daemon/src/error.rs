//! The one place where errors become HTTP statuses and `{"message": ...}` bodies.

use http::StatusCode;
use wharf_image::ImageError;
use wharf_store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    pub fn not_implemented(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::NOT_IMPLEMENTED, message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        let status = match &e {
            StoreError::BlobNotFound(_) | StoreError::SnapshotNotFound(_) => StatusCode::NOT_FOUND,
            StoreError::SnapshotExists(_) | StoreError::SnapshotInUse(..) => StatusCode::CONFLICT,
            StoreError::DigestMismatch { .. } | StoreError::SizeMismatch { .. } => {
                StatusCode::BAD_REQUEST
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}

impl From<ImageError> for ApiError {
    fn from(e: ImageError) -> ApiError {
        match e {
            ImageError::NotFound(_) => ApiError::not_found(e.to_string()),
            ImageError::Store(s) => s.into(),
            ImageError::Ambiguous(_)
            | ImageError::Reference(_)
            | ImageError::InvalidArchive(_)
            | ImageError::InvalidArgument(_)
            | ImageError::LayerMismatch { .. }
            | ImageError::Config { .. }
            | ImageError::Archive(_) => ApiError::bad_request(e.to_string()),
            ImageError::Io { .. } => ApiError::internal(e.to_string()),
        }
    }
}

impl From<wharf_builder::BuildError> for ApiError {
    fn from(e: wharf_builder::BuildError) -> ApiError {
        use wharf_builder::BuildError as B;
        match e {
            B::InvalidArgument(_) | B::Parse(_) | B::Context(_) | B::Step { .. } => {
                ApiError::bad_request(e.to_string())
            }
            B::ImageNotFound(_) => ApiError::not_found(e.to_string()),
            B::Network(wharf_builder::NetworkError::NotFound(_)) => {
                ApiError::not_found(e.to_string())
            }
            B::Network(wharf_builder::NetworkError::Unsupported(_)) => {
                ApiError::bad_request(e.to_string())
            }
            B::Network(wharf_builder::NetworkError::Setup(_)) => ApiError::internal(e.to_string()),
            B::Cancelled | B::Internal(_) => ApiError::internal(e.to_string()),
        }
    }
}

impl From<wharf_reference::ReferenceError> for ApiError {
    fn from(e: wharf_reference::ReferenceError) -> ApiError {
        ApiError::bad_request(e.to_string())
    }
}

impl From<wharf_network::NetError> for ApiError {
    fn from(e: wharf_network::NetError) -> ApiError {
        ApiError::internal(e.to_string())
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> ApiError {
        ApiError::internal(format!("internal error: {e}"))
    }
}

impl From<wharf_registry::RegistryError> for ApiError {
    fn from(e: wharf_registry::RegistryError) -> ApiError {
        use wharf_registry::ErrorKind;
        let status = match e.kind() {
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Denied => StatusCode::FORBIDDEN,
            ErrorKind::InvalidInput => StatusCode::BAD_REQUEST,
            ErrorKind::Unavailable | ErrorKind::Other => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}
