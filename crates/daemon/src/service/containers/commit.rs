//! `docker commit`: the container's writable layer becomes a new layer on top of its image,
//! with the container's config (overridden by the request's config and `--change`s).

use std::io::{Read, Write};

use wharf_api::ContainerConfig;
use wharf_digest::Digest;
use wharf_image::spec::{History, ImageConfig};
use wharf_image::{BlobRef, LayerRecord, NewImage};
use wharf_reference::Reference;
use wharf_shim::protocol::Request;

use super::create::merge;
use super::{Ctr, shim};
use crate::engine::Engine;
use crate::error::ApiError;

pub struct CommitOptions {
    pub target: Option<Reference>,
    pub comment: String,
    pub author: String,
    pub pause: bool,
    pub changes: Vec<String>,
    pub config: Option<ContainerConfig>,
}

/// Copies what is read into a sink (the content store writer) on the way through.
struct Tee<'a, R, W> {
    inner: R,
    sink: &'a mut W,
}

impl<R: Read, W: Write> Read for Tee<'_, R, W> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sink.write_all(&buf[..n])?;
        Ok(n)
    }
}

pub fn commit(e: &Engine, c: &Ctr, o: CommitOptions) -> Result<Digest, ApiError> {
    let rec = c.rec();
    let parent_id: Digest = rec
        .image
        .parse()
        .map_err(|_| ApiError::internal(format!("container {} has a bad image id", rec.id)))?;
    let parent = e
        .images
        .get(&parent_id)?
        .ok_or_else(|| ApiError::not_found(format!("No such image: {}", rec.image)))?;
    let parent_config = e.images.config(&parent)?;

    let mut config = o.config.unwrap_or_default();
    wharf_builder::config::apply_changes(&mut config, &o.changes)
        .map_err(|err| ApiError::bad_request(format!("invalid --change: {err}")))?;
    merge(&mut config, &rec.config);
    config.hostname.clear();
    config.domainname.clear();
    config.image = rec.image.clone();

    let dir = e.containers.dir(&rec.id);
    // As dockerd, a pause that fails (the container just exited) does not fail the commit.
    let paused = o.pause
        && rec.state.status == super::record::Status::Running
        && shim::call_blocking(&dir, &Request::Pause, &[]).is_ok();
    let upper = super::layer::of(e, &rec)?.upper;
    // A remapped container's files are owned by host ids: the layer holds the container's.
    let id_map = super::disk_id_map(e, &rec.host_config);
    let layer = write_layer(e, upper, parent.top_chain(), id_map);
    if paused {
        let _ = shim::call_blocking(&dir, &Request::Resume, &[]);
    }
    let (mut lease, layer) = layer?;

    let created = wharf_image::clock::now_rfc3339();
    let mut history = parent_config.history.clone();
    history.push(History {
        created: Some(created.clone()),
        created_by: {
            let mut cmd = vec![rec.path.clone()];
            cmd.extend(rec.args.iter().cloned());
            cmd.join(" ")
        },
        author: o.author.clone(),
        comment: o.comment.clone(),
        empty_layer: false,
    });
    let mut diff_ids = parent_config.rootfs.diff_ids.clone();
    diff_ids.push(layer.diff_id.clone());
    let image_config = ImageConfig {
        architecture: if parent_config.architecture.is_empty() {
            e.host.goarch().to_string()
        } else {
            parent_config.architecture.clone()
        },
        author: o.author,
        comment: o.comment,
        config: Some(config),
        container: rec.id.clone(),
        container_config: Some(rec.config.clone()),
        created: Some(created),
        docker_version: crate::VERSION.to_string(),
        history,
        os: "linux".into(),
        rootfs: wharf_image::spec::RootFs {
            kind: "layers".into(),
            diff_ids,
        },
        ..Default::default()
    };
    let mut layers = parent.layers.clone();
    layers.push(layer.clone());
    let img = e.images.create(NewImage {
        config: image_config.to_bytes(),
        layers,
        manifest: None,
        parent: Some(parent.id.clone()),
    })?;
    lease.add(img.id.to_string());
    drop(lease);
    if let Some(t) = &o.target {
        e.images.add_ref(&img.id, t)?;
    }
    Ok(img.id)
}

/// Writes the upper directory as a layer blob and unpacks it as a snapshot on the image's top
/// layer, in one pass.
fn write_layer(
    e: &Engine,
    upper: std::path::PathBuf,
    parent_chain: Option<&Digest>,
    id_map: Option<wharf_archive::IdMap>,
) -> Result<(wharf_store::lease::Lease, LayerRecord), ApiError> {
    let mut lease = e.images.lease();
    let (reader, writer) = std::io::pipe().map_err(|err| ApiError::internal(err.to_string()))?;
    let producer = std::thread::spawn(move || {
        let opts = wharf_archive::WriteOptions {
            id_map,
            ..Default::default()
        };
        wharf_archive::write_layer_from_upper(&upper, writer, &opts)
    });
    let mut blob = e.images.content().writer(
        &format!("commit-{}", wharf_image::store::random_hex()),
        None,
    )?;
    let unpacked = {
        let tee = Tee {
            inner: reader,
            sink: &mut blob,
        };
        e.images.unpack_layer(&mut lease, parent_chain, None, tee)
    };
    let produced = producer
        .join()
        .map_err(|_| ApiError::internal("layer writer panicked"))?;
    let unpacked = match (unpacked, produced) {
        (Ok(u), Ok(_)) => u,
        (Err(err), _) => {
            blob.abort();
            return Err(err.into());
        }
        (_, Err(err)) => {
            blob.abort();
            return Err(ApiError::internal(format!("writing the layer: {err}")));
        }
    };
    let size = blob.offset();
    let digest = blob.commit(None)?;
    lease.add(digest.to_string());
    Ok((
        lease,
        LayerRecord {
            diff_id: unpacked.diff_id,
            chain_id: unpacked.chain_id,
            blob: BlobRef {
                digest,
                media_type: wharf_image::layer_media_type(wharf_archive::Compression::None)
                    .to_string(),
                size,
            },
            tar_size: unpacked.tar_size,
            size: unpacked.size,
        },
    ))
}
