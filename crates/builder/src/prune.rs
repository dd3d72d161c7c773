//! Build cache accounting (`system df`) and `builder prune`: cache records, the intermediate
//! images only the cache kept alive, and `RUN --mount=type=cache` directories.

use std::collections::BTreeSet;

use wharf_digest::Digest;

use crate::Builder;
use crate::error::BuildError;

/// One build cache entry as `system df -v` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheItem {
    pub id: String,
    /// `regular` (a step) or `exec.cachemount`.
    pub kind: String,
    pub description: String,
    pub in_use: bool,
    /// Its layer is also part of an image.
    pub shared: bool,
    pub size: u64,
    /// Unix seconds.
    pub created_at: i64,
    pub last_used_at: i64,
    pub usage_count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    pub caches_deleted: Vec<String>,
    pub space_reclaimed: u64,
}

fn mtime(p: &std::path::Path) -> i64 {
    std::fs::metadata(p)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Builder {
    /// Every cache entry with its size.
    pub fn cache_usage(&self) -> Result<Vec<CacheItem>, BuildError> {
        let mut out = Vec::new();
        for (key, rec) in self.cache.list()? {
            let Some(img) = self.store.get(&rec.image)? else {
                continue;
            };
            out.push(CacheItem {
                id: key[..25.min(key.len())].to_string(),
                kind: "regular".into(),
                description: rec
                    .inputs
                    .instruction
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string(),
                in_use: false,
                shared: !img.refs.is_empty() || !self.store.children(&img.id)?.is_empty(),
                size: rec.size,
                created_at: rec.created,
                last_used_at: rec.last_used,
                usage_count: rec.usage_count,
            });
        }
        if let Ok(rd) = std::fs::read_dir(&self.cache_mounts) {
            for e in rd.flatten() {
                if !e.path().is_dir() {
                    continue;
                }
                let t = mtime(&e.path());
                out.push(CacheItem {
                    id: e.file_name().to_string_lossy().chars().take(25).collect(),
                    kind: "exec.cachemount".into(),
                    description: "cached mount for RUN --mount=type=cache".into(),
                    in_use: false,
                    shared: false,
                    size: wharf_store::fsutil::disk_usage(&e.path()).unwrap_or(0),
                    created_at: t,
                    last_used_at: t,
                    usage_count: 1,
                });
            }
        }
        Ok(out)
    }

    /// Removes cache records last used before `until` (all when `None`), the untagged
    /// intermediate images they kept (unless `in_use`), and cache mount directories.
    pub fn prune(
        &self,
        until: Option<i64>,
        in_use: &dyn Fn(&Digest) -> bool,
    ) -> Result<PruneReport, BuildError> {
        let mut report = PruneReport::default();
        let old: Vec<_> = self
            .cache
            .list()?
            .into_iter()
            .filter(|(_, r)| until.is_none_or(|u| r.last_used < u))
            .collect();
        self.cache.remove(&old)?;
        let mut candidates: BTreeSet<Digest> = old.iter().map(|(_, r)| r.image.clone()).collect();
        report
            .caches_deleted
            .extend(old.iter().map(|(k, _)| k[..25.min(k.len())].to_string()));
        // Remove leaf intermediates repeatedly: removing one may make its parent a leaf.
        loop {
            let mut progress = false;
            for id in candidates.clone() {
                let Some(img) = self.store.get(&id)? else {
                    candidates.remove(&id);
                    continue;
                };
                if !img.refs.is_empty() || in_use(&id) || !self.store.children(&id)?.is_empty() {
                    continue;
                }
                let removal = self.store.delete(&id)?;
                report.space_reclaimed += removal.bytes;
                candidates.remove(&id);
                progress = true;
            }
            if !progress {
                break;
            }
        }
        if let Ok(rd) = std::fs::read_dir(&self.cache_mounts) {
            for e in rd.flatten() {
                let p = e.path();
                if until.is_some_and(|u| mtime(&p) >= u) {
                    continue;
                }
                report.space_reclaimed += wharf_store::fsutil::disk_usage(&p).unwrap_or(0);
                let _ = wharf_store::fsutil::remove_all(&p);
                report
                    .caches_deleted
                    .push(e.file_name().to_string_lossy().chars().take(25).collect());
            }
        }
        Ok(report)
    }
}
