//! The image store: image records, their references (tags and digests), and the reference
//! counts that decide when a layer snapshot or a blob can go. Layer snapshots are keyed by
//! ChainID and shared by every image whose layer stack starts the same way.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use wharf_archive::{ApplyOptions, Whiteouts};
use wharf_digest::Digest;
use wharf_reference::Reference;
use wharf_store::content::ContentStore;
use wharf_store::db::{Db, Table, WriteTx};
use wharf_store::journal::{self, Undo};
use wharf_store::lease::{Lease, Leases};
use wharf_store::snapshot::{DirSnapshotter, Kind, LayerFormat, Snapshotter};
use wharf_store::{StoreError, fsutil};

use crate::error::{ImageError, Result};
use crate::record::{BlobRef, ImageRecord, LayerRecord};
use crate::spec::ImageConfig;

pub const IMAGES: Table = Table::new("images");
/// Normalized reference (`docker.io/library/busybox:latest`, `…@sha256:…`) → image id.
pub const REFS: Table = Table::new("image_refs");
/// ChainID → number of images whose top layer it is.
pub const LAYER_REFS: Table = Table::new("layer_refs");
/// Blob digest → number of images holding it.
pub const BLOB_REFS: Table = Table::new("blob_refs");
/// `<parent id>/<child id>` for local parent links.
pub const CHILDREN: Table = Table::new("image_children");

pub const TABLES: [Table; 5] = [IMAGES, REFS, LAYER_REFS, BLOB_REFS, CHILDREN];

/// A layer unpacked into its snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackedLayer {
    pub diff_id: Digest,
    pub chain_id: Digest,
    /// Apparent bytes of the unpacked layer.
    pub size: u64,
    /// Bytes of the uncompressed tar (0 when an existing snapshot was reused unread).
    pub tar_size: u64,
}

/// A layer unpacked without its parents, not yet committed (see
/// [`ImageStore::unpack_detached`]).
#[derive(Debug)]
pub struct DetachedLayer {
    key: String,
    pub diff_id: Digest,
    pub tar_size: u64,
    synced: bool,
}

impl DetachedLayer {
    /// Tells [`ImageStore::commit_detached`] that the caller synced the filesystem (`syncfs`)
    /// after the layer was unpacked, so committing need not sync again.
    pub fn mark_synced(&mut self) {
        self.synced = true;
    }
}

/// What deleting an image removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removal {
    /// ChainIDs of removed layers, top first.
    pub layers: Vec<Digest>,
    /// Bytes freed on disk (layer directories and blobs).
    pub bytes: u64,
}

/// What [`ImageStore::create`] records.
pub struct NewImage {
    pub config: Vec<u8>,
    pub layers: Vec<LayerRecord>,
    pub manifest: Option<BlobRef>,
    pub parent: Option<Digest>,
}

#[derive(Clone)]
pub struct ImageStore {
    db: Arc<Db>,
    content: ContentStore,
    snapshots: Arc<dyn Snapshotter>,
    leases: Leases,
    /// Bumped by every change to image records or references, so readers can cache.
    generation: Arc<AtomicU64>,
}

use crate::clock::now_rfc3339;

fn bump(tx: &mut WriteTx, table: Table, key: &str, delta: i64) -> wharf_store::Result<u64> {
    let cur = tx.get::<u64>(table, key)?.unwrap_or(0) as i64;
    let next = (cur + delta).max(0) as u64;
    if next == 0 {
        tx.delete(table, key)?;
    } else {
        tx.put(table, key, &next)?;
    }
    Ok(next)
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl ImageStore {
    pub fn new(
        db: Arc<Db>,
        content: ContentStore,
        snapshots: Arc<dyn Snapshotter>,
        leases: Leases,
    ) -> ImageStore {
        ImageStore {
            db,
            content,
            snapshots,
            leases,
            generation: Arc::new(AtomicU64::new(1)),
        }
    }

    /// Changes whenever an image or reference changes.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn content(&self) -> &ContentStore {
        &self.content
    }

    pub fn snapshots(&self) -> &Arc<dyn Snapshotter> {
        &self.snapshots
    }

    pub fn db(&self) -> &Arc<Db> {
        &self.db
    }

    pub fn lease(&self) -> Lease {
        self.leases.start()
    }

    pub fn get(&self, id: &Digest) -> Result<Option<ImageRecord>> {
        Ok(self.db.read(|tx| tx.get(IMAGES, id.as_str()))?)
    }

    pub fn list(&self) -> Result<Vec<ImageRecord>> {
        Ok(self
            .db
            .read(|tx| tx.scan::<ImageRecord>(IMAGES, ""))?
            .into_iter()
            .map(|(_, r)| r)
            .collect())
    }

    pub fn count(&self) -> Result<u64> {
        Ok(self.db.read(|tx| tx.count(IMAGES))?)
    }

    pub fn config(&self, rec: &ImageRecord) -> Result<ImageConfig> {
        let bytes = self.content.read_blob(&rec.id)?;
        ImageConfig::parse(&bytes).map_err(|source| ImageError::Config {
            digest: rec.id.clone(),
            source,
        })
    }

    pub fn config_bytes(&self, id: &Digest) -> Result<Vec<u8>> {
        Ok(self.content.read_blob(id)?)
    }

    /// Looks an image up as dockerd does: a full ID (`sha256:…` or 64 hex), a reference
    /// (default tag `latest`), then a unique ID prefix.
    pub fn resolve(&self, name: &str) -> Result<ImageRecord> {
        let not_found = || {
            let shown = Reference::parse_normalized(name)
                .map(|r| r.with_default_tag().familiar_string())
                .unwrap_or_else(|_| name.to_string());
            ImageError::NotFound(shown)
        };
        let hex = name.strip_prefix("sha256:").unwrap_or(name);
        if hex.len() == 64 && is_hex(hex) {
            let id = Digest::from_sha256_hex(hex).map_err(|_| not_found())?;
            return self.get(&id)?.ok_or_else(not_found);
        }
        if !name.starts_with("sha256:")
            && let Ok(r) = Reference::parse_normalized(name)
        {
            let key = r.with_default_tag().to_string();
            if let Some(id) = self.db.read(|tx| tx.get::<Digest>(REFS, &key))? {
                return self.get(&id)?.ok_or_else(not_found);
            }
        }
        if is_hex(hex) {
            let prefix = format!("sha256:{hex}");
            let ids = self.db.read(|tx| tx.keys(IMAGES, &prefix))?;
            match ids.len() {
                0 => {}
                1 => {
                    let id: Digest = ids[0].parse().map_err(|_| not_found())?;
                    return self.get(&id)?.ok_or_else(not_found);
                }
                _ => {
                    return Err(ImageError::Ambiguous(format!(
                        "multiple IDs found with provided prefix: {hex}"
                    )));
                }
            }
        }
        Err(not_found())
    }

    /// Image id a normalized reference points at.
    pub fn lookup_ref(&self, r: &Reference) -> Result<Option<Digest>> {
        let key = r.clone().with_default_tag().to_string();
        Ok(self.db.read(|tx| tx.get::<Digest>(REFS, &key))?)
    }

    pub fn children(&self, id: &Digest) -> Result<Vec<Digest>> {
        let keys = self.db.read(|tx| tx.keys(CHILDREN, &format!("{id}/")))?;
        Ok(keys
            .iter()
            .filter_map(|k| k.split_once('/').and_then(|(_, c)| c.parse().ok()))
            .collect())
    }

    /// Points `r` at image `id` (moving it from another image if needed). Returns the image the
    /// reference was moved away from.
    pub fn add_ref(&self, id: &Digest, r: &Reference) -> Result<Option<Digest>> {
        let key = r.clone().with_default_tag().to_string();
        let prev = self.db.write(|tx| Self::add_ref_tx(tx, id, &key))?;
        self.changed();
        Ok(prev)
    }

    fn add_ref_tx(tx: &mut WriteTx, id: &Digest, key: &str) -> wharf_store::Result<Option<Digest>> {
        let mut rec: ImageRecord = tx
            .get(IMAGES, id.as_str())?
            .ok_or_else(|| StoreError::Db(format!("image {id} vanished")))?;
        let previous = tx.get::<Digest>(REFS, key)?;
        if previous.as_ref() == Some(id) {
            rec.last_tag_time = Some(now_rfc3339());
            tx.put(IMAGES, id.as_str(), &rec)?;
            return Ok(None);
        }
        if let Some(prev) = &previous
            && let Some(mut old) = tx.get::<ImageRecord>(IMAGES, prev.as_str())?
        {
            old.refs.retain(|x| x != key);
            tx.put(IMAGES, prev.as_str(), &old)?;
        }
        tx.put(REFS, key, id)?;
        rec.refs.push(key.to_string());
        rec.refs.sort();
        rec.last_tag_time = Some(now_rfc3339());
        tx.put(IMAGES, id.as_str(), &rec)?;
        Ok(previous)
    }

    /// Removes a reference; returns the image it pointed at.
    pub fn remove_ref(&self, r: &Reference) -> Result<Option<Digest>> {
        let key = r.clone().with_default_tag().to_string();
        let removed = self.db.write(|tx| {
            let Some(id) = tx.get::<Digest>(REFS, &key)? else {
                return Ok(None);
            };
            tx.delete(REFS, &key)?;
            if let Some(mut rec) = tx.get::<ImageRecord>(IMAGES, id.as_str())? {
                rec.refs.retain(|x| x != &key);
                tx.put(IMAGES, id.as_str(), &rec)?;
            }
            Ok(Some(id))
        })?;
        self.changed();
        Ok(removed)
    }

    /// Unpacks one layer on top of `parent` (a ChainID) unless a snapshot with the same content is
    /// already there. With `expected` (the DiffID the image config names), an existing snapshot
    /// is reused without reading the layer, and content that does not match is refused. The
    /// snapshot stays leased by `lease` until the caller records an image using it.
    pub fn unpack_layer(
        &self,
        lease: &mut Lease,
        parent: Option<&Digest>,
        expected: Option<&Digest>,
        layer: impl Read,
    ) -> Result<UnpackedLayer> {
        let chain_of = |diff: &Digest| match parent {
            None => diff.clone(),
            Some(p) => Digest::sha256_of(format!("{p} {diff}").as_bytes()),
        };
        if let Some(diff) = expected {
            let chain = chain_of(diff);
            lease.add(chain.to_string());
            if let Ok(info) = self.snapshots.stat(chain.as_str())
                && info.kind == Kind::Committed
            {
                return Ok(UnpackedLayer {
                    diff_id: diff.clone(),
                    chain_id: chain,
                    size: info.size,
                    tar_size: 0,
                });
            }
        }
        let key = format!("extract-{}", random_hex());
        self.snapshots
            .prepare(&key, parent.map(|p| p.as_str()), true)?;
        let upper = self.snapshots.upper_dir(&key)?;
        let opts = ApplyOptions {
            whiteouts: match self.snapshots.layer_format() {
                LayerFormat::OverlayDiff => Whiteouts::Overlay,
                LayerFormat::FullTree => Whiteouts::Remove,
            },
            ..ApplyOptions::default()
        };
        let stats = match wharf_archive::apply_layer(layer, &upper, &opts) {
            Ok(s) => s,
            Err(e) => {
                let _ = self.snapshots.remove(&key);
                return Err(e.into());
            }
        };
        if let Some(diff) = expected
            && &stats.diff_id != diff
        {
            let _ = self.snapshots.remove(&key);
            return Err(ImageError::LayerMismatch {
                expected: diff.clone(),
                actual: stats.diff_id,
            });
        }
        let chain = chain_of(&stats.diff_id);
        lease.add(chain.to_string());
        fsutil::syncfs(&upper)?;
        let size = match self.snapshots.commit(chain.as_str(), &key) {
            Ok(info) => info.size,
            Err(StoreError::SnapshotExists(_)) => {
                // The same layer is already unpacked (another image, or a concurrent unpack).
                let _ = self.snapshots.remove(&key);
                self.snapshots.stat(chain.as_str())?.size
            }
            Err(e) => {
                let _ = self.snapshots.remove(&key);
                return Err(e.into());
            }
        };
        Ok(UnpackedLayer {
            diff_id: stats.diff_id,
            chain_id: chain,
            size,
            tar_size: stats.tar_size,
        })
    }

    /// Whether layers can be unpacked before their parents ([`ImageStore::unpack_detached`]).
    pub fn supports_detached(&self) -> bool {
        self.snapshots.layer_format() == LayerFormat::OverlayDiff
    }

    /// The unpacked size of the committed layer snapshot `chain`, if it exists.
    pub fn layer_size(&self, chain: &Digest) -> Option<u64> {
        self.snapshots
            .stat(chain.as_str())
            .ok()
            .filter(|i| i.kind == Kind::Committed)
            .map(|i| i.size)
    }

    /// Unpacks a layer into a snapshot of its own, without its parents (overlay only), so the
    /// layers of an image can unpack in parallel and in any order. The snapshot is journaled:
    /// if the process dies before [`ImageStore::commit_detached`], recovery removes it.
    pub fn unpack_detached(&self, layer: impl Read) -> Result<DetachedLayer> {
        if !self.supports_detached() {
            return Err(ImageError::InvalidArgument(
                "this storage driver unpacks layers on top of their parents only".into(),
            ));
        }
        let key = format!("extract-{}", random_hex());
        self.snapshots.prepare(&key, None, true)?;
        let upper = self.snapshots.upper_dir(&key)?;
        let opts = ApplyOptions {
            whiteouts: Whiteouts::Overlay,
            ..ApplyOptions::default()
        };
        match wharf_archive::apply_layer(layer, &upper, &opts) {
            Ok(stats) => Ok(DetachedLayer {
                key,
                diff_id: stats.diff_id,
                tar_size: stats.tar_size,
                synced: false,
            }),
            Err(e) => {
                let _ = self.snapshots.remove(&key);
                Err(e.into())
            }
        }
    }

    /// Links a detached layer onto `parent` (a committed ChainID) and commits it under its
    /// ChainID. With `expected`, a layer whose content is not that DiffID is refused (and
    /// removed). The snapshot stays leased by `lease` until an image records it.
    pub fn commit_detached(
        &self,
        lease: &mut Lease,
        layer: DetachedLayer,
        parent: Option<&Digest>,
        expected: Option<&Digest>,
    ) -> Result<UnpackedLayer> {
        if let Some(diff) = expected
            && &layer.diff_id != diff
        {
            let _ = self.snapshots.remove(&layer.key);
            return Err(ImageError::LayerMismatch {
                expected: diff.clone(),
                actual: layer.diff_id,
            });
        }
        let chain = match parent {
            None => layer.diff_id.clone(),
            Some(p) => Digest::sha256_of(format!("{p} {}", layer.diff_id).as_bytes()),
        };
        lease.add(chain.to_string());
        let upper = self.snapshots.upper_dir(&layer.key)?;
        fsutil::syncfs(&upper)?;
        let size =
            match self
                .snapshots
                .commit_onto(chain.as_str(), &layer.key, parent.map(|p| p.as_str()))
            {
                Ok(info) => info.size,
                Err(StoreError::SnapshotExists(_)) => {
                    let _ = self.snapshots.remove(&layer.key);
                    self.snapshots.stat(chain.as_str())?.size
                }
                Err(e) => {
                    let _ = self.snapshots.remove(&layer.key);
                    return Err(e.into());
                }
            };
        Ok(UnpackedLayer {
            diff_id: layer.diff_id,
            chain_id: chain,
            size,
            tar_size: layer.tar_size,
        })
    }

    /// Drops a detached layer that will not be committed.
    pub fn discard_detached(&self, layer: DetachedLayer) {
        let _ = self.snapshots.remove(&layer.key);
    }

    /// Deletes blobs written by an operation that no image ended up referencing.
    pub fn discard_unreferenced(&self, blobs: &[Digest]) -> Result<()> {
        for b in blobs {
            let refs = self.db.read(|tx| tx.contains(BLOB_REFS, b.as_str()))?;
            if !refs {
                self.content.delete(b)?;
            }
        }
        Ok(())
    }

    /// Records an image whose config blob, layer blobs and layer snapshots are in place.
    /// Idempotent: recording an existing image changes nothing. Returns the record.
    pub fn create(&self, new: NewImage) -> Result<ImageRecord> {
        let id = self.content.write_blob(&new.config, None)?;
        let config = ImageConfig::parse(&new.config).map_err(|source| ImageError::Config {
            digest: id.clone(),
            source,
        })?;
        let created = config
            .created
            .as_deref()
            .and_then(crate::clock::unix_secs)
            .unwrap_or(0);
        let labels = config
            .config
            .as_ref()
            .and_then(|c| c.labels.clone())
            .unwrap_or_default();
        let rec = ImageRecord {
            id: id.clone(),
            config_size: new.config.len() as u64,
            created,
            size: new.layers.iter().map(|l| l.size).sum(),
            layers: new.layers,
            manifest: new.manifest,
            parent: new.parent,
            refs: Vec::new(),
            labels,
            last_tag_time: None,
        };
        for l in &rec.layers {
            self.snapshots.stat(l.chain_id.as_str())?;
        }
        let stored = self.db.write(|tx| {
            if let Some(existing) = tx.get::<ImageRecord>(IMAGES, id.as_str())? {
                if existing.manifest.is_none()
                    && let Some(m) = &rec.manifest
                {
                    let mut upd = existing.clone();
                    upd.manifest = Some(m.clone());
                    bump(tx, BLOB_REFS, m.digest.as_str(), 1)?;
                    tx.put(IMAGES, id.as_str(), &upd)?;
                    return Ok(upd);
                }
                return Ok(existing);
            }
            if let Some(top) = rec.top_chain() {
                bump(tx, LAYER_REFS, top.as_str(), 1)?;
            }
            for b in rec.blobs() {
                bump(tx, BLOB_REFS, b.as_str(), 1)?;
            }
            if let Some(p) = &rec.parent {
                tx.put(CHILDREN, &format!("{p}/{id}"), &())?;
            }
            tx.put(IMAGES, id.as_str(), &rec)?;
            Ok(rec.clone())
        })?;
        self.changed();
        Ok(stored)
    }

    /// Points an image's layers at other blobs holding the same layers (compressed for a push)
    /// and records `manifest`, moving the blob reference counts. Blobs no image holds any more
    /// are deleted. `layer_blobs` has one entry per layer.
    pub fn replace_blobs(
        &self,
        id: &Digest,
        layer_blobs: &[BlobRef],
        manifest: Option<BlobRef>,
    ) -> Result<()> {
        let dead = self.db.write(|tx| {
            let mut rec: ImageRecord = tx
                .get(IMAGES, id.as_str())?
                .ok_or_else(|| StoreError::Db(format!("image {id} not found")))?;
            if rec.layers.len() != layer_blobs.len() {
                return Err(StoreError::Db(format!(
                    "image {id} has {} layers, not {}",
                    rec.layers.len(),
                    layer_blobs.len()
                )));
            }
            let before = rec.blobs();
            for (l, b) in rec.layers.iter_mut().zip(layer_blobs) {
                l.blob = b.clone();
            }
            if manifest.is_some() {
                rec.manifest = manifest.clone();
            }
            let after = rec.blobs();
            for b in &after {
                bump(tx, BLOB_REFS, b.as_str(), 1)?;
            }
            let mut dead = Vec::new();
            for b in before {
                if bump(tx, BLOB_REFS, b.as_str(), -1)? == 0 && !dead.contains(&b) {
                    dead.push(b);
                }
            }
            tx.put(IMAGES, id.as_str(), &rec)?;
            Ok(dead)
        })?;
        for b in dead {
            if !self.leases.is_leased(b.as_str()) {
                self.content.delete(&b)?;
            }
        }
        Ok(())
    }

    /// Deletes an image record, its references, and the layers and blobs no other image uses.
    /// Reports the ChainIDs of the layers removed (top first, as dockerd lists them) and the
    /// bytes freed.
    pub fn delete(&self, id: &Digest) -> Result<Removal> {
        let (rec, dead_blobs, jid) = self.db.write(|tx| {
            let rec: ImageRecord = tx
                .get(IMAGES, id.as_str())?
                .ok_or_else(|| StoreError::Db(format!("image {id} not found")))?;
            tx.delete(IMAGES, id.as_str())?;
            for r in &rec.refs {
                tx.delete(REFS, r)?;
            }
            if let Some(p) = &rec.parent {
                tx.delete(CHILDREN, &format!("{p}/{id}"))?;
            }
            if let Some(top) = rec.top_chain() {
                bump(tx, LAYER_REFS, top.as_str(), -1)?;
            }
            let mut dead = Vec::new();
            for b in rec.blobs() {
                if bump(tx, BLOB_REFS, b.as_str(), -1)? == 0 && !dead.contains(&b) {
                    dead.push(b);
                }
            }
            let undo = dead
                .iter()
                .map(|b| Undo::RemovePath(self.content.blob_path(b)))
                .collect();
            let jid = journal::add(tx, undo)?;
            Ok((rec, dead, jid))
        })?;
        self.changed();
        let mut out = Removal::default();
        for b in &dead_blobs {
            if !self.leases.is_leased(b.as_str()) {
                out.bytes += self.content.size(b).unwrap_or(0);
                self.content.delete(b)?;
            }
        }
        self.db.write(|tx| journal::done(tx, &jid))?;
        for l in rec.layers.iter().rev() {
            let disk = self
                .snapshots
                .stat(l.chain_id.as_str())
                .map(|i| i.disk)
                .unwrap_or(0);
            if !self.remove_layer_if_unused(&l.chain_id)? {
                break;
            }
            out.bytes += disk;
            out.layers.push(l.chain_id.clone());
        }
        Ok(out)
    }

    /// Removes a committed layer snapshot when no image tops on it, no snapshot builds on it,
    /// and no in-flight work holds it.
    fn remove_layer_if_unused(&self, chain: &Digest) -> Result<bool> {
        if self.leases.is_leased(chain.as_str()) {
            return Ok(false);
        }
        let refs = self
            .db
            .read(|tx| tx.get::<u64>(LAYER_REFS, chain.as_str()))?
            .unwrap_or(0);
        if refs > 0 {
            return Ok(false);
        }
        match self.snapshots.remove(chain.as_str()) {
            Ok(()) => Ok(true),
            Err(StoreError::SnapshotInUse(..)) | Err(StoreError::SnapshotNotFound(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes everything no image, container or in-flight work references: committed layer
    /// snapshots without users, unreferenced blobs, stray snapshot directories and abandoned
    /// ingests. Returns the bytes freed.
    pub fn collect_garbage(&self) -> Result<u64> {
        let mut freed = 0u64;
        loop {
            let mut progress = false;
            for (key, info) in self.snapshots.list()? {
                if info.kind != Kind::Committed || info.children > 0 || !key.starts_with("sha256:")
                {
                    continue;
                }
                let Ok(chain) = key.parse::<Digest>() else {
                    continue;
                };
                if self.remove_layer_if_unused(&chain)? {
                    freed += info.disk;
                    progress = true;
                }
            }
            if !progress {
                break;
            }
        }
        let live: HashSet<String> = self
            .db
            .read(|tx| tx.keys(BLOB_REFS, ""))?
            .into_iter()
            .collect();
        for (digest, size) in self.content.list()? {
            if !live.contains(digest.as_str()) && !self.leases.is_leased(digest.as_str()) {
                self.content.delete(&digest)?;
                freed += size;
            }
        }
        for dir in self.snapshots.orphan_dirs()? {
            freed += fsutil::disk_usage(&dir).unwrap_or(0);
            fsutil::remove_all(&dir)?;
        }
        Ok(freed)
    }

    /// Bytes on disk for image data: every committed layer directory plus every stored blob
    /// (allocated blocks, as `du` counts them).
    pub fn disk_usage(&self) -> Result<u64> {
        let mut total = 0u64;
        for (_, info) in self.snapshots.list()? {
            if info.kind == Kind::Committed {
                total += info.disk;
            }
        }
        for (digest, _) in self.content.list()? {
            total += fsutil::disk_usage(&self.content.blob_path(&digest)).unwrap_or(0);
        }
        Ok(total)
    }

    /// For each image, the apparent bytes of its layers that other images share.
    pub fn shared_sizes(&self, images: &[ImageRecord]) -> BTreeMap<Digest, u64> {
        let mut users: std::collections::HashMap<&Digest, usize> = std::collections::HashMap::new();
        for img in images {
            for l in &img.layers {
                *users.entry(&l.chain_id).or_default() += 1;
            }
        }
        images
            .iter()
            .map(|img| {
                let shared = img
                    .layers
                    .iter()
                    .filter(|l| users.get(&l.chain_id).copied().unwrap_or(0) > 1)
                    .map(|l| l.size)
                    .sum();
                (img.id.clone(), shared)
            })
            .collect()
    }

    /// References grouped per image id, for listing.
    pub fn all_refs(&self) -> Result<BTreeMap<String, Digest>> {
        Ok(self
            .db
            .read(|tx| tx.scan::<Digest>(REFS, ""))?
            .into_iter()
            .collect())
    }

    /// Drops a snapshot record during journal recovery.
    pub fn drop_snapshot_record(tx: &mut WriteTx, key: &str) -> wharf_store::Result<()> {
        DirSnapshotter::drop_record(tx, key)
    }
}

/// 16 random hex characters for names of temporary work.
pub fn random_hex() -> String {
    let mut b = [0u8; 8];
    rustix::rand::getrandom(&mut b, rustix::rand::GetRandomFlags::empty()).ok();
    b.iter().map(|x| format!("{x:02x}")).collect()
}
