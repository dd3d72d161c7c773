//! Storage mechanisms under the data root: immutable blobs (`content`), unpacked layers and
//! container layers (`snapshot`), the metadata database (`db`) with its undo journal, and leases
//! that protect in-flight work from garbage collection.
//!
//! Crash safety rests on one rule: before a step creates something on disk that the database
//! does not yet name, the step records how to undo it in the journal, in the same transaction
//! that allocates it. Recovery at start-up replays only the journal, so its cost grows with the
//! work that was in flight, never with the number of images.

pub mod content;
pub mod db;
mod error;
pub mod fsutil;
pub mod journal;
pub mod lease;
pub mod snapshot;

pub use error::StoreError;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
