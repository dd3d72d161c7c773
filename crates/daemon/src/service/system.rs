//! `GET /system/df` and the counts of `/info`: what the data root holds, so that what `df`
//! reports is what pruning frees.

use std::collections::BTreeMap;

use wharf_api::ApiVersion;
use wharf_api::system::DiskUsage;
use wharf_store::fsutil;

use crate::engine::Engine;
use crate::error::ApiError;
use crate::service::containers::record::Status;
use crate::service::containers::view;
use crate::service::{build, images};

/// Container counts for `/info`: (total, running, paused, stopped).
pub fn container_counts(e: &Engine) -> (i64, i64, i64, i64) {
    let (mut running, mut paused, mut stopped) = (0, 0, 0);
    let all = e.containers.all();
    for c in &all {
        match c.rec().state.status {
            Status::Running | Status::Restarting => running += 1,
            Status::Paused => paused += 1,
            _ => stopped += 1,
        }
    }
    (all.len() as i64, running, paused, stopped)
}

/// Disk usage per kind.
/// - `LayersSize`: bytes image data occupies on disk (unpacked layers and the blobs kept for
///   `save` and `push`), which `image prune -a` frees together.
/// - a container's `SizeRw`: its writable layer plus its state directory (logs included),
///   which `container prune` frees.
pub fn disk_usage(e: &Engine, version: ApiVersion) -> Result<DiskUsage, ApiError> {
    let records = e.images.list()?;
    let shared = e.images.shared_sizes(&records);
    let mut per_image: BTreeMap<String, i64> = BTreeMap::new();
    let mut volume_refs: BTreeMap<String, i64> = BTreeMap::new();
    let mut containers = Vec::new();
    for c in e.containers.all() {
        let rec = c.rec();
        *per_image.entry(rec.image.clone()).or_default() += 1;
        for m in rec.mounts.iter().filter(|m| m.kind == "volume") {
            *volume_refs.entry(m.name.clone()).or_default() += 1;
        }
        let mut s = view::summary(e, &rec, true);
        // The container's directory holds its writable layer and its logs.
        let state_dir = fsutil::disk_usage(&e.containers.dir(&rec.id)).unwrap_or(0) as i64;
        s.size_rw = Some(state_dir);
        containers
            .push(serde_json::to_value(&s).map_err(|err| ApiError::internal(err.to_string()))?);
    }
    let mut summaries: Vec<_> = records
        .iter()
        .map(|r| {
            let mut s = images::summary(r, version);
            s.shared_size = shared.get(&r.id).copied().unwrap_or(0) as i64;
            s.containers = per_image.get(r.id.as_str()).copied().unwrap_or(0);
            s
        })
        .collect();
    summaries.sort_by_key(|s| std::cmp::Reverse(s.created));
    let volumes = e
        .volumes
        .disk_usage(&volume_refs)?
        .into_iter()
        .map(|v| serde_json::to_value(&v).map_err(|err| ApiError::internal(err.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let (cache, builder_size) = build::disk_usage(e)?;
    let cache = cache
        .into_iter()
        .map(|c| serde_json::to_value(&c).map_err(|err| ApiError::internal(err.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DiskUsage {
        layers_size: e.images.disk_usage()? as i64,
        images: summaries,
        containers,
        volumes,
        build_cache: Some(cache),
        builder_size,
    })
}
