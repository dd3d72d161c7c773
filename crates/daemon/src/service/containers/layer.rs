//! A container's writable layer: `containers/<id>/fs` (the overlay upper directory) and
//! `containers/<id>/work`, on top of the image's unpacked layers. It lives with the container's
//! state instead of in the snapshot database, so creating and removing a container costs no
//! database commit; the image's top layer is held with an in-memory lease for as long as the
//! container exists (re-taken at start-up), which keeps image deletion and garbage collection
//! away from it. With the copying driver the image's full tree is copied into `fs`.

use std::path::{Path, PathBuf};

use wharf_runtime::RootfsMount;
use wharf_store::snapshot::LayerFormat;

use super::record::ContainerRecord;
use crate::engine::Engine;
use crate::error::ApiError;

pub struct Layer {
    pub upper: PathBuf,
    pub work: PathBuf,
    /// The image's layers, top first (empty for an image without layers).
    pub lowers: Vec<PathBuf>,
    /// `upper` holds the whole tree (copying driver).
    pub full_tree: bool,
}

pub fn full_tree(e: &Engine) -> bool {
    e.images.snapshots().layer_format() == LayerFormat::FullTree
}

fn image_dirs(e: &Engine, chain: Option<&str>) -> Result<Vec<PathBuf>, ApiError> {
    let Some(chain) = chain else {
        return Ok(Vec::new());
    };
    let snaps = e.images.snapshots();
    let mut dirs = vec![snaps.upper_dir(chain)?];
    dirs.extend(snaps.parent_dirs(chain)?);
    Ok(dirs)
}

pub fn of(e: &Engine, rec: &ContainerRecord) -> Result<Layer, ApiError> {
    at(e, &e.containers.dir(&rec.id), rec.chain_id.as_deref())
}

/// The layer of the container whose directory is `dir`, on the image layer `chain`.
pub fn at(e: &Engine, dir: &Path, chain: Option<&str>) -> Result<Layer, ApiError> {
    Ok(Layer {
        upper: dir.join("fs"),
        work: dir.join("work"),
        lowers: image_dirs(e, chain)?,
        full_tree: full_tree(e),
    })
}

/// Creates the directories (and, for the copying driver, the copy of the image).
pub fn prepare(e: &Engine, dir: &Path, chain: Option<&str>) -> Result<(), ApiError> {
    let mk = |p: PathBuf| {
        std::fs::create_dir_all(&p)
            .map_err(|err| ApiError::internal(format!("creating {}: {err}", p.display())))
    };
    mk(dir.join("fs"))?;
    mk(dir.join("work"))?;
    if full_tree(e)
        && let Some(top) = image_dirs(e, chain)?.first()
    {
        super::fs::copy_tree(top, &dir.join("fs"))?;
    }
    Ok(())
}

impl Layer {
    /// Every directory of the container's tree, top first (for reading files through the
    /// layers).
    pub fn dirs(&self) -> Vec<PathBuf> {
        let mut v = vec![self.upper.clone()];
        if !self.full_tree {
            v.extend(self.lowers.iter().cloned());
        }
        v
    }

    /// The read-write root filesystem the runtime mounts.
    pub fn mount(&self) -> RootfsMount {
        if self.full_tree || self.lowers.is_empty() {
            return RootfsMount::bind(&self.upper);
        }
        RootfsMount::overlay(&self.lowers, &self.upper, &self.work)
    }

    /// A read-only view of the same tree (a second overlay without upper directory, which can
    /// be mounted while the container runs).
    pub fn read_only_mount(&self) -> RootfsMount {
        if self.full_tree || self.lowers.is_empty() {
            let mut m = RootfsMount::bind(&self.upper);
            m.options = "rbind,ro".into();
            return m;
        }
        let lower: Vec<String> = self
            .dirs()
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        RootfsMount {
            fstype: "overlay".into(),
            source: "overlay".into(),
            options: format!("lowerdir={},ro", lower.join(":")),
        }
    }

    /// Bytes the writable layer holds (`SizeRw`).
    pub fn size(&self) -> u64 {
        wharf_store::fsutil::content_size(&self.upper).unwrap_or(0)
    }

    /// Allocated bytes on disk.
    pub fn disk_usage(&self) -> u64 {
        wharf_store::fsutil::disk_usage(&self.upper).unwrap_or(0)
    }
}
