//! `GET /system/df`: what the data root holds, so that what it reports is what pruning frees.

use wharf_api::ApiVersion;
use wharf_api::system::DiskUsage;

use crate::engine::Engine;
use crate::error::ApiError;
use crate::service::images;

/// Disk usage per kind. `LayersSize` is the bytes image data occupies on disk: unpacked layers
/// and the blobs kept for `save` and `push` (which `image prune` frees together).
pub fn disk_usage(e: &Engine, version: ApiVersion) -> Result<DiskUsage, ApiError> {
    let records = e.images.list()?;
    let shared = e.images.shared_sizes(&records);
    let mut summaries: Vec<_> = records
        .iter()
        .map(|r| {
            let mut s = images::summary(r, version);
            s.shared_size = shared.get(&r.id).copied().unwrap_or(0) as i64;
            s.containers = 0;
            s
        })
        .collect();
    summaries.sort_by_key(|s| std::cmp::Reverse(s.created));
    let (cache, builder_size) = crate::service::build::disk_usage(e)?;
    let build_cache = cache
        .into_iter()
        .filter_map(|c| serde_json::to_value(c).ok())
        .collect();
    Ok(DiskUsage {
        layers_size: e.images.disk_usage()? as i64,
        images: summaries,
        containers: Vec::new(),
        volumes: Vec::new(),
        build_cache: Some(build_cache),
        builder_size,
    })
}
