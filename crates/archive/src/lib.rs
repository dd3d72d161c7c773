//! Layer tarballs: tar reading/writing, decompression, applying layers safely, computing diffs.
//!
//! - [`tar`]: streaming reader and deterministic writer (ustar, PAX, GNU long names).
//! - [`compression`]: gzip/zstd/xz detection and decoding; gzip/zstd encoding.
//! - [`apply_layer`]: unpack a layer into its own directory (overlay whiteouts) or onto a full
//!   tree (copying snapshotter), refusing anything that would escape the destination.
//! - [`write_layer_from_upper`], [`changes`], [`diff_trees`], [`write_tree`]: from directories
//!   back to layer tars and `docker diff` lists.
//!
//! Everything is synchronous; the daemon calls it from blocking threads.

mod apply;
pub mod compression;
mod diff;
mod error;
mod fsutil;
mod idmap;
pub mod tar;

pub use apply::{ApplyOptions, ApplyStats, Whiteouts, apply_layer};
pub use compression::{Compression, Compressor, Decompressor, decompress};
pub use diff::{
    Change, ChangeKind, LayerStats, WriteOptions, changes, diff_trees, write_layer_from_upper,
    write_path, write_tree,
};
pub use error::ArchiveError;
pub use idmap::{IdMap, IdRange};
