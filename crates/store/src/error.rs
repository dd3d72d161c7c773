use std::path::PathBuf;

use wharf_digest::Digest;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("metadata database: {0}")]
    Db(String),
    #[error("corrupt metadata record {table}/{key}: {source}")]
    Record {
        table: &'static str,
        key: String,
        source: serde_json::Error,
    },
    #[error("blob {0} not found")]
    BlobNotFound(Digest),
    #[error("content digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch { expected: Digest, actual: Digest },
    #[error("content size mismatch for {digest}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        digest: Digest,
        expected: u64,
        actual: u64,
    },
    #[error("snapshot {0} not found")]
    SnapshotNotFound(String),
    #[error("snapshot {0} already exists")]
    SnapshotExists(String),
    #[error("snapshot {key} is {actual}, expected {expected}")]
    SnapshotKind {
        key: String,
        expected: &'static str,
        actual: &'static str,
    },
    #[error("snapshot {0} is still in use by {1} other snapshot(s)")]
    SnapshotInUse(String, usize),
    #[error(
        "snapshot {key} cannot be committed onto {parent:?}: only a snapshot prepared without a parent, on a driver with per-layer directories, can be linked to a parent at commit"
    )]
    Relink { key: String, parent: String },
    #[error("data root {0} is in use by another wharf daemon")]
    Locked(PathBuf),
}

impl StoreError {
    pub fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Io { op, path, source }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            StoreError::BlobNotFound(_) | StoreError::SnapshotNotFound(_)
        )
    }
}

macro_rules! db_err {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self { StoreError::Db(e.to_string()) }
        }
    )*};
}
db_err!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
