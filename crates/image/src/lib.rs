//! Images: their formats (configs, manifests, archives), the image store that records them over
//! the content store and snapshots, and the `save`/`load`/`import` conversions.

pub mod clock;
pub mod error;
pub mod import;
pub mod load;
pub mod record;
pub mod save;
pub mod spec;
pub mod store;
mod tee;

pub use error::{ImageError, Result};
pub use record::{BlobRef, ImageRecord, LayerRecord};
pub use store::{DetachedLayer, ImageStore, NewImage, Removal, UnpackedLayer};

/// The OCI layer media type for a stored layer blob of the given compression.
pub fn layer_media_type(c: wharf_archive::Compression) -> &'static str {
    use wharf_archive::Compression;
    match c {
        Compression::Gzip => spec::media::OCI_LAYER_GZIP,
        Compression::Zstd => spec::media::OCI_LAYER_ZSTD,
        _ => spec::media::OCI_LAYER,
    }
}
