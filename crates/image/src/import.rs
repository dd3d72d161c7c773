//! `docker import`: a root filesystem tarball (plain or compressed) becomes a one-layer image.

use std::io::Read;

use wharf_api::ContainerConfig;
use wharf_archive::compression;

use crate::error::{ImageError, Result};
use crate::record::{BlobRef, ImageRecord, LayerRecord};
use crate::spec::{History, ImageConfig, RootFs};
use crate::store::{ImageStore, NewImage};
use crate::tee::{Peeked, TeeReader};

pub struct ImportOptions {
    /// Commit message (`-m`), also the history comment.
    pub message: String,
    /// The image's runtime config after `--change` instructions.
    pub config: ContainerConfig,
    pub architecture: String,
    pub os: String,
    /// RFC 3339 creation time.
    pub created: String,
    pub docker_version: String,
}

/// Imports `input`; the layer blob is stored exactly as received (so a gzip input stays gzip)
/// while it is unpacked in the same pass.
pub fn import(store: &ImageStore, input: impl Read, opts: ImportOptions) -> Result<ImageRecord> {
    let mut lease = store.lease();
    let peeked = Peeked::new(input, 8).map_err(ImageError::io("reading import data"))?;
    if peeked.head().is_empty() {
        return Err(ImageError::InvalidArchive(
            "the import data is empty".into(),
        ));
    }
    let kind = compression::detect(peeked.head());
    let mut writer = store
        .content()
        .writer(&format!("import-{}", crate::store::random_hex()), None)?;
    let unpacked = {
        let tee = TeeReader {
            inner: peeked,
            sink: &mut writer,
        };
        store.unpack_layer(&mut lease, None, None, tee)
    };
    let unpacked = match unpacked {
        Ok(u) => u,
        Err(e) => {
            writer.abort();
            return Err(e);
        }
    };
    let blob_size = writer.offset();
    let blob = writer.commit(None)?;
    lease.add(blob.to_string());

    let comment = if opts.message.is_empty() {
        "Imported from -".to_string()
    } else {
        opts.message.clone()
    };
    let config = ImageConfig {
        architecture: opts.architecture,
        comment: opts.message,
        config: Some(opts.config),
        container_config: Some(ContainerConfig::default()),
        created: Some(opts.created.clone()),
        docker_version: opts.docker_version,
        history: vec![History {
            created: Some(opts.created),
            comment,
            ..Default::default()
        }],
        os: opts.os,
        rootfs: RootFs {
            kind: "layers".into(),
            diff_ids: vec![unpacked.diff_id.clone()],
        },
        ..Default::default()
    };
    let layer = LayerRecord {
        diff_id: unpacked.diff_id.clone(),
        chain_id: unpacked.chain_id,
        blob: BlobRef {
            digest: blob.clone(),
            media_type: crate::layer_media_type(kind).to_string(),
            size: blob_size,
        },
        tar_size: unpacked.tar_size,
        size: unpacked.size,
    };
    let rec = store.create(NewImage {
        config: config.to_bytes(),
        layers: vec![layer],
        manifest: None,
        parent: None,
    });
    drop(lease);
    if rec.is_err() {
        let _ = store.discard_unreferenced(&[blob]);
    }
    rec
}
