//! Turning a build step into an image, as dockerd's legacy builder does: every step makes a
//! child image of the previous one (its config, `container_config` and one history entry), with
//! a new layer when the step changed files. Layers are written from the active snapshot's upper
//! directory as deterministic tars (times clamped to `SOURCE_DATE_EPOCH` when given), stored
//! uncompressed, and the snapshot is committed under its ChainID.

use wharf_api::ContainerConfig;
use wharf_archive::WriteOptions;
use wharf_digest::Digest;
use wharf_image::record::{BlobRef, ImageRecord, LayerRecord};
use wharf_image::spec::{History, ImageConfig, RootFs};
use wharf_image::{ImageStore, NewImage};
use wharf_store::StoreError;
use wharf_store::snapshot::LayerFormat;

use crate::args::Platform;
use crate::error::StepError;

/// DiffID of the empty layer (a tar of two zero blocks).
pub const EMPTY_LAYER: &str =
    "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

/// The image a stage is at.
#[derive(Debug, Clone)]
pub struct ImageState {
    /// `None` for `scratch` before its first step.
    pub id: Option<Digest>,
    pub config: ImageConfig,
    pub layers: Vec<LayerRecord>,
}

impl ImageState {
    pub fn scratch(platform: &Platform) -> ImageState {
        ImageState {
            id: None,
            config: ImageConfig {
                architecture: platform.arch.clone(),
                os: platform.os.clone(),
                variant: platform.variant.clone(),
                rootfs: RootFs {
                    kind: "layers".into(),
                    diff_ids: Vec::new(),
                },
                ..Default::default()
            },
            layers: Vec::new(),
        }
    }

    pub fn from_record(store: &ImageStore, rec: ImageRecord) -> Result<ImageState, StepError> {
        let config = store.config(&rec)?;
        Ok(ImageState {
            id: Some(rec.id),
            config,
            layers: rec.layers,
        })
    }

    pub fn id_string(&self) -> String {
        self.id.as_ref().map(|d| d.to_string()).unwrap_or_default()
    }

    /// ChainID of the top layer.
    pub fn chain(&self) -> Option<&Digest> {
        self.layers.last().map(|l| &l.chain_id)
    }

    pub fn run_config(&self) -> ContainerConfig {
        self.config.config.clone().unwrap_or_default()
    }
}

/// How a step's image is described.
pub struct StepMeta<'a> {
    /// The stage's runtime config after the step.
    pub config: &'a ContainerConfig,
    /// The config recorded as `container_config` (its `Cmd` becomes the history's created_by).
    pub container_config: &'a ContainerConfig,
    /// MAINTAINER.
    pub author: &'a str,
    /// The `container` field (the step's container id, empty for COPY/ADD).
    pub container: &'a str,
}

/// Creates step images in the store.
pub struct Committer<'a> {
    pub store: &'a ImageStore,
    /// `SOURCE_DATE_EPOCH`: image and history times, and the clamp for file times.
    pub epoch: Option<i64>,
    pub docker_version: &'a str,
}

/// A layer written from an upper directory.
pub struct NewLayer {
    pub record: LayerRecord,
}

impl Committer<'_> {
    fn created(&self) -> String {
        match self.epoch {
            Some(s) => wharf_units::Timestamp::from_unix_normalized(s, 0).to_rfc3339_nano(),
            None => wharf_image::clock::now_rfc3339(),
        }
    }

    /// Writes the layer of an active snapshot and commits the snapshot under its ChainID.
    /// Returns `None` (and removes the snapshot) when the step changed nothing.
    pub fn write_layer(
        &self,
        parent: &ImageState,
        key: &str,
        lease: &mut wharf_store::lease::Lease,
    ) -> Result<Option<NewLayer>, StepError> {
        let snaps = self.store.snapshots();
        let upper = snaps.upper_dir(key)?;
        let opts = WriteOptions {
            mtime_clamp: self.epoch,
            ..Default::default()
        };
        // The layer writer hashes the tar it emits (the DiffID): the blob needs no second hash.
        let mut writer = self
            .store
            .content()
            .writer(&format!("build-{}", wharf_image::store::random_hex()), None)?
            .hashed_by_producer();
        let written = match snaps.layer_format() {
            LayerFormat::OverlayDiff => {
                wharf_archive::write_layer_from_upper(&upper, &mut writer, &opts)
            }
            LayerFormat::FullTree => {
                let lower = snaps.parent_dirs(key)?.into_iter().next();
                let empty;
                let lower = match lower {
                    Some(l) => l,
                    None => {
                        empty = upper.with_extension("empty");
                        std::fs::create_dir_all(&empty)?;
                        empty.clone()
                    }
                };
                let r = wharf_archive::diff_trees(&lower, &upper, &mut writer, &opts);
                if lower.extension().is_some_and(|e| e == "empty") {
                    let _ = std::fs::remove_dir(&lower);
                }
                r
            }
        };
        let stats = match written {
            Ok(s) => s,
            Err(e) => {
                writer.abort();
                return Err(e.into());
            }
        };
        if stats.diff_id.as_str() == EMPTY_LAYER {
            writer.abort();
            snaps.remove(key)?;
            return Ok(None);
        }
        let blob = writer.commit(Some((&stats.diff_id, stats.size)))?;
        lease.add(blob.to_string());
        let chain = match parent.chain() {
            None => stats.diff_id.clone(),
            Some(p) => Digest::sha256_of(format!("{p} {}", stats.diff_id).as_bytes()),
        };
        lease.add(chain.to_string());
        let size = match snaps.commit(chain.as_str(), key) {
            Ok(info) => info.size,
            Err(StoreError::SnapshotExists(_)) => {
                let _ = snaps.remove(key);
                snaps.stat(chain.as_str())?.size
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Some(NewLayer {
            record: LayerRecord {
                diff_id: stats.diff_id.clone(),
                chain_id: chain,
                blob: BlobRef {
                    digest: blob,
                    media_type: wharf_image::spec::media::OCI_LAYER.to_string(),
                    size: stats.size,
                },
                tar_size: stats.size,
                size,
            },
        }))
    }

    /// Records the child image of `parent` for one step.
    pub fn commit(
        &self,
        parent: &ImageState,
        layer: Option<NewLayer>,
        meta: StepMeta<'_>,
    ) -> Result<ImageState, StepError> {
        let created = self.created();
        let mut config = parent.config.clone();
        let mut layers = parent.layers.clone();
        let empty = layer.is_none();
        if let Some(l) = layer {
            config.rootfs.diff_ids.push(l.record.diff_id.clone());
            layers.push(l.record);
        }
        if config.rootfs.kind.is_empty() {
            config.rootfs.kind = "layers".into();
        }
        config.history.push(History {
            created: Some(created.clone()),
            created_by: meta
                .container_config
                .cmd
                .as_ref()
                .map(|c| c.join(" "))
                .unwrap_or_default(),
            author: meta.author.to_string(),
            comment: String::new(),
            empty_layer: empty,
        });
        config.config = Some(meta.config.clone());
        config.container_config = Some(meta.container_config.clone());
        config.container = meta.container.to_string();
        config.created = Some(created);
        config.author = meta.author.to_string();
        config.comment = String::new();
        config.docker_version = self.docker_version.to_string();
        let rec = self.store.create(NewImage {
            config: config.to_bytes(),
            layers: layers.clone(),
            manifest: None,
            parent: parent.id.clone(),
        })?;
        Ok(ImageState {
            id: Some(rec.id),
            config,
            layers,
        })
    }
}
