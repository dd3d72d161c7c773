use wharf_digest::Digest;

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// Docker's wording: `No such image: busybox:latest`.
    #[error("No such image: {0}")]
    NotFound(String),
    #[error("{0}")]
    Ambiguous(String),
    #[error(transparent)]
    Store(#[from] wharf_store::StoreError),
    #[error(transparent)]
    Archive(#[from] wharf_archive::ArchiveError),
    #[error(transparent)]
    Reference(#[from] wharf_reference::ReferenceError),
    #[error(
        "layer digest mismatch: the image config names {expected}, but the layer's content is {actual}"
    )]
    LayerMismatch { expected: Digest, actual: Digest },
    #[error("invalid image config {digest}: {source}")]
    Config {
        digest: Digest,
        source: serde_json::Error,
    },
    #[error("invalid archive: {0}")]
    InvalidArchive(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    #[error("{op}: {source}")]
    Io { op: String, source: std::io::Error },
}

impl ImageError {
    pub fn io(op: impl Into<String>) -> impl FnOnce(std::io::Error) -> ImageError {
        let op = op.into();
        move |source| ImageError::Io { op, source }
    }
}

pub type Result<T, E = ImageError> = std::result::Result<T, E>;
