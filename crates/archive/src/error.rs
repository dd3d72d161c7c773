//! The one error type of this crate. Every variant names the tar entry or filesystem path it is
//! about, so a failed pull or commit says which file was wrong.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The stream ended inside a header, inside entry data or inside its padding.
    #[error("truncated tar archive: unexpected end of stream in {what} {entry:?}")]
    Truncated { entry: String, what: &'static str },

    /// The stream does not start with a tar header at all: junk, or a format wharf does not read.
    #[error("not a tar archive (plain, gzip, xz or zstd): {reason}")]
    NotTar { reason: String },

    /// A header block or extended header that cannot be decoded.
    #[error("invalid tar header for entry {entry:?}: {reason}")]
    InvalidHeader { entry: String, reason: String },

    /// A valid tar feature that wharf does not implement (sparse files, volume labels, ...).
    #[error("tar entry {entry:?}: {what} is not supported")]
    Unsupported { entry: String, what: String },

    /// An entry that would create or touch something outside the destination directory.
    #[error("refusing layer entry {entry:?}: {reason}")]
    UnsafePath { entry: String, reason: String },

    /// A filesystem operation for one entry failed while applying a layer.
    #[error("layer entry {entry:?}: {op}: {source}")]
    Apply {
        entry: String,
        op: &'static str,
        source: io::Error,
    },

    /// A filesystem operation on a directory tree (destination root, upper dir, lower dirs).
    #[error("{}: {op}: {source}", path.display())]
    Fs {
        path: PathBuf,
        op: &'static str,
        source: io::Error,
    },

    /// Reading or writing the layer stream itself failed (including decompression errors).
    #[error("{context}: {source}")]
    Stream { context: String, source: io::Error },

    /// A compression format we recognise but do not handle.
    #[error("{format} compressed layers are not supported")]
    UnsupportedCompression { format: &'static str },

    /// A uid or gid that the configured id map does not cover.
    #[error("entry {entry:?}: {kind} {id} is not covered by the id map")]
    IdNotMapped {
        entry: String,
        kind: &'static str,
        id: u64,
    },

    /// An entry whose header contradicts what is written (file shrank while archiving, ...).
    #[error("entry {entry:?}: {reason}")]
    Inconsistent { entry: String, reason: String },

    /// An overlay upper directory using a feature that cannot be expressed as a layer tar.
    #[error("{}: {reason}", path.display())]
    UnsupportedUpper { path: PathBuf, reason: &'static str },
}

impl ArchiveError {
    /// Maps an error raised while reading entry data: end-of-stream becomes [`Truncated`],
    /// anything else (e.g. a corrupt gzip stream) a [`Stream`] error naming the entry.
    ///
    /// [`Truncated`]: ArchiveError::Truncated
    /// [`Stream`]: ArchiveError::Stream
    pub(crate) fn reading_data(entry: &str, err: io::Error) -> ArchiveError {
        if err.kind() == io::ErrorKind::UnexpectedEof {
            ArchiveError::Truncated {
                entry: entry.to_string(),
                what: "the data of entry",
            }
        } else {
            ArchiveError::Stream {
                context: format!("reading data of entry {entry:?}"),
                source: err,
            }
        }
    }

    pub(crate) fn fs(path: impl Into<PathBuf>, op: &'static str, source: io::Error) -> Self {
        ArchiveError::Fs {
            path: path.into(),
            op,
            source,
        }
    }
}

/// Shows a byte path the way error messages print it (lossy UTF-8).
pub(crate) fn show(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}
