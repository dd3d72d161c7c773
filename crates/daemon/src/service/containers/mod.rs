//! Containers: the registry of container records (in memory, persisted in the metadata
//! database), and the operations on them, split by job:
//!
//! * [`create`]: validation, image config merge, snapshot, mounts and volumes, generated files;
//! * [`lifecycle`]: start (through a [`shim`]), stop, kill, restart, pause, wait, remove, and the
//!   monitor that records exits and applies restart policies ([`policy`]);
//! * [`restore`]: re-adoption of running shims at daemon start;
//! * [`attach`], [`logs`], [`exec`], [`health`]: streams and processes;
//! * [`view`]: inspect and `ps` shapes and filters; [`fs`]: diff, commit, archive, export;
//!   [`resources`]: stats, top, update.
//!
//! Records: each container's record is `containers/<id>/container.json` (written atomically,
//! no fsync on the request path; a background flusher makes changes durable within a second),
//! so create/start/stop/rm cost no database commit. The record survives a daemon crash (page
//! cache); what runs is re-learned from the shims. Its writable layer lives beside it ([`layer`]).
//!
//! Locking: the registry map is a short-lived `std` mutex; each container's record is behind
//! its own `std` mutex (never held across an await); lifecycle operations on one container are
//! serialized by its async `op` lock.

pub mod attach;
pub mod commit;
pub mod create;
pub mod exec;
pub mod files;
pub mod fs;
pub mod health;
pub mod layer;
pub mod lifecycle;
pub mod links;
pub mod logs;
pub mod mounts;
pub mod names;
pub mod policy;
pub mod record;
pub mod resources;
pub mod restore;
pub mod shim;
pub mod spec;
pub mod view;

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;
use wharf_image::ImageStore;
use wharf_shim::protocol::AttachSpec;
use wharf_store::lease::Lease;

use crate::error::ApiError;
use record::ContainerRecord;

/// The record's file name in the container's directory.
pub const RECORD_FILE: &str = "container.json";

/// One container in memory.
pub struct Ctr {
    pub id: String,
    rec: Mutex<ContainerRecord>,
    /// Serializes start/stop/kill/rm/… on this container.
    pub op: tokio::sync::Mutex<()>,
    /// Bumped on every state change (wait, logs follow, restart manager listen here).
    changed: watch::Sender<u64>,
    /// Exits seen so far (for `wait?condition=next-exit`).
    exits: AtomicU64,
    removed: AtomicBool,
    /// Clients that attached before the container started: handed to the shim at start.
    pub pending_attach: Mutex<Vec<(OwnedFd, AttachSpec)>>,
    /// Attach requests answered but not yet in `pending_attach` or the shim (see
    /// [`Ctr::attach_begun`]).
    attaching: AtomicU64,
    /// Set while a restart is scheduled by the restart policy; cleared to cancel it.
    pub restart_pending: AtomicBool,
    /// Execs created for this container (ids).
    pub exec_ids: Mutex<Vec<String>>,
    /// The restart manager's current back-off.
    pub backoff_ms: AtomicU64,
    /// Keeps the image's layers from being removed while the container exists.
    _lease: Mutex<Option<Lease>>,
}

/// See [`Ctr::attach_begun`].
pub struct AttachGuard(Arc<Ctr>);

impl Drop for AttachGuard {
    fn drop(&mut self) {
        self.0.attaching.fetch_sub(1, Ordering::SeqCst);
        self.0.notify();
    }
}

impl Ctr {
    fn new(rec: ContainerRecord, lease: Option<Lease>) -> Ctr {
        Ctr {
            _lease: Mutex::new(lease),
            id: rec.id.clone(),
            rec: Mutex::new(rec),
            op: tokio::sync::Mutex::new(()),
            changed: watch::channel(0).0,
            exits: AtomicU64::new(0),
            removed: AtomicBool::new(false),
            pending_attach: Mutex::new(Vec::new()),
            attaching: AtomicU64::new(0),
            restart_pending: AtomicBool::new(false),
            exec_ids: Mutex::new(Vec::new()),
            backoff_ms: AtomicU64::new(0),
        }
    }

    /// The record (a copy).
    pub fn rec(&self) -> ContainerRecord {
        self.lock().clone()
    }

    pub fn lock(&self) -> MutexGuard<'_, ContainerRecord> {
        self.rec.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    pub fn notify(&self) {
        self.changed.send_modify(|v| *v += 1);
    }

    /// Counts an attach from before its answer goes out until the connection is placed (the
    /// guard drops): a client that read the answer may send `start` at once, and the start
    /// must find it (see [`Ctr::attaches_placed`]).
    pub fn attach_begun(self: &Arc<Self>) -> AttachGuard {
        self.attaching.fetch_add(1, Ordering::SeqCst);
        AttachGuard(self.clone())
    }

    /// Waits (bounded) until every answered attach is placed.
    pub async fn attaches_placed(&self) {
        let mut rx = self.subscribe();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
        while self.attaching.load(Ordering::SeqCst) > 0 {
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                return;
            }
        }
    }

    pub fn exits(&self) -> u64 {
        self.exits.load(Ordering::SeqCst)
    }

    pub fn count_exit(&self) {
        self.exits.fetch_add(1, Ordering::SeqCst);
    }

    pub fn is_removed(&self) -> bool {
        self.removed.load(Ordering::SeqCst)
    }
}

#[derive(Default)]
struct Registry {
    by_id: HashMap<String, Arc<Ctr>>,
    /// `/name` → id.
    names: HashMap<String, String>,
}

pub struct Containers {
    root: PathBuf,
    images: ImageStore,
    reg: Mutex<Registry>,
    /// Records written since the last flush.
    dirty: Mutex<std::collections::HashSet<String>>,
}

fn lease_for(images: &ImageStore, rec: &ContainerRecord) -> Option<Lease> {
    let chain = rec.chain_id.as_ref()?;
    let mut l = images.lease();
    l.add(chain.clone());
    Some(l)
}

impl Containers {
    /// Loads every container record (start-up cost proportional to containers).
    pub fn open(root: &Path, images: &ImageStore) -> Result<Containers, ApiError> {
        let mut reg = Registry::default();
        for ent in std::fs::read_dir(root).into_iter().flatten().flatten() {
            let path = ent.path().join(RECORD_FILE);
            let Ok(data) = std::fs::read(&path) else {
                continue;
            };
            let rec: ContainerRecord = match serde_json::from_slice(&data) {
                Ok(r) => r,
                Err(err) => {
                    tracing::warn!(path = %path.display(), error = %err, "unreadable container record");
                    continue;
                }
            };
            reg.names.insert(rec.name.clone(), rec.id.clone());
            let lease = lease_for(images, &rec);
            reg.by_id
                .insert(rec.id.clone(), Arc::new(Ctr::new(rec, lease)));
        }
        Ok(Containers {
            root: root.to_path_buf(),
            images: images.clone(),
            reg: Mutex::new(reg),
            dirty: Mutex::new(Default::default()),
        })
    }

    fn reg(&self) -> MutexGuard<'_, Registry> {
        self.reg.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `<data root>/containers/<id>`.
    pub fn dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    pub fn all(&self) -> Vec<Arc<Ctr>> {
        self.reg().by_id.values().cloned().collect()
    }

    pub fn count(&self) -> usize {
        self.reg().by_id.len()
    }

    /// Finds a container by full id, name, or unique id prefix, as dockerd does.
    pub fn get(&self, name_or_id: &str) -> Result<Arc<Ctr>, ApiError> {
        let reg = self.reg();
        if let Some(c) = reg.by_id.get(name_or_id) {
            return Ok(c.clone());
        }
        let as_name = if name_or_id.starts_with('/') {
            name_or_id.to_string()
        } else {
            format!("/{name_or_id}")
        };
        if let Some(id) = reg.names.get(&as_name)
            && let Some(c) = reg.by_id.get(id)
        {
            return Ok(c.clone());
        }
        if !name_or_id.is_empty() && name_or_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut found = reg
                .by_id
                .iter()
                .filter(|(id, _)| id.starts_with(name_or_id));
            if let Some((_, c)) = found.next() {
                if found.next().is_some() {
                    return Err(ApiError::bad_request(format!(
                        "Multiple IDs found with provided prefix: {name_or_id}"
                    )));
                }
                return Ok(c.clone());
            }
        }
        Err(not_found(name_or_id))
    }

    /// The id a name is taken by, if any.
    pub fn name_owner(&self, name: &str) -> Option<String> {
        self.reg().names.get(name).cloned()
    }

    /// Registers a new container; fails if its name was taken meanwhile.
    pub fn insert(&self, rec: ContainerRecord) -> Result<Arc<Ctr>, ApiError> {
        let mut reg = self.reg();
        if let Some(owner) = reg.names.get(&rec.name) {
            return Err(ApiError::conflict(names::conflict_message(
                &rec.name, owner,
            )));
        }
        reg.names.insert(rec.name.clone(), rec.id.clone());
        let lease = lease_for(&self.images, &rec);
        let c = Arc::new(Ctr::new(rec, lease));
        reg.by_id.insert(c.id.clone(), c.clone());
        Ok(c)
    }

    /// Reserves `name` for `id` (rename); fails if taken.
    pub fn rename(&self, c: &Ctr, new: &str) -> Result<String, ApiError> {
        let mut reg = self.reg();
        if let Some(owner) = reg.names.get(new) {
            return Err(ApiError::conflict(names::conflict_message(new, owner)));
        }
        let old = c.lock().name.clone();
        reg.names.remove(&old);
        reg.names.insert(new.to_string(), c.id.clone());
        c.lock().name = new.to_string();
        Ok(old)
    }

    /// Drops a container from memory (its record is deleted by the caller).
    pub fn forget(&self, c: &Ctr) {
        let mut reg = self.reg();
        let name = c.lock().name.clone();
        if reg.names.get(&name) == Some(&c.id) {
            reg.names.remove(&name);
        }
        reg.by_id.remove(&c.id);
        c.removed.store(true, Ordering::SeqCst);
        c.notify();
    }

    /// Writes a container's record (a small atomic file write; call from a blocking context).
    pub fn save(&self, c: &Ctr) -> Result<(), ApiError> {
        let rec = c.rec();
        if c.is_removed() {
            return Ok(());
        }
        let dir = self.dir(&rec.id);
        let data = serde_json::to_vec(&rec)
            .map_err(|err| ApiError::internal(format!("encoding container record: {err}")))?;
        if !write_record(&dir, &data)
            .map_err(|err| ApiError::internal(format!("writing container record: {err}")))?
        {
            return Ok(());
        }
        self.dirty
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(rec.id);
        Ok(())
    }

    /// Makes the records written since the last call durable (fsync of each file and of the
    /// containers directory). Run by a background task every second.
    pub fn flush(&self) {
        let ids: Vec<String> =
            std::mem::take(&mut *self.dirty.lock().unwrap_or_else(|p| p.into_inner()))
                .into_iter()
                .collect();
        if ids.is_empty() {
            return;
        }
        for id in &ids {
            let dir = self.dir(id);
            if let Ok(f) = std::fs::File::open(dir.join(RECORD_FILE)) {
                let _ = f.sync_all();
            }
            let _ = wharf_store::fsutil::sync_dir(&dir);
        }
        let _ = wharf_store::fsutil::sync_dir(&self.root);
    }

    /// Forgets a removed container's pending flush.
    pub fn delete_record(&self, id: &str) {
        self.dirty
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }
}

pub fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("No such container: {name}"))
}

/// A fresh 64-hex-digit container id.
/// Replaces `dir`'s record with `data`; `false` when the directory is gone, as it is once a
/// concurrent removal moved it away (there is nothing left to record then).
fn write_record(dir: &Path, data: &[u8]) -> std::io::Result<bool> {
    let tmp = dir.join(".container.json.tmp");
    match std::fs::write(&tmp, data).and_then(|()| std::fs::rename(&tmp, dir.join(RECORD_FILE))) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !dir.exists() => Ok(false),
        Err(err) => Err(err),
    }
}

pub fn new_id() -> String {
    let mut b = [0u8; 32];
    rustix::rand::getrandom(&mut b, rustix::rand::GetRandomFlags::empty()).ok();
    let id: String = b.iter().map(|x| format!("{x:02x}")).collect();
    // dockerd avoids ids that parse as numbers (ambiguous with short-id lookups).
    if id[..12].bytes().all(|c| c.is_ascii_digit()) {
        return new_id();
    }
    id
}

/// The remapping a container runs with: the daemon's `--userns-remap`, unless the
/// container opted out with `--userns=host`.
pub fn uses_remap<'a>(
    e: &'a crate::engine::Engine,
    hc: &wharf_api::HostConfig,
) -> Option<&'a crate::remap::Remap> {
    e.remap.as_ref().filter(|_| hc.userns_mode != "host")
}

/// How ids on disk in a container's tree relate to the container's own: with overlay, what a
/// remapped container writes holds host ids, translated by this map in archives; with the
/// copying driver its tree is bound idmapped, so disk ids already are the container's.
pub fn disk_id_map(
    e: &crate::engine::Engine,
    hc: &wharf_api::HostConfig,
) -> Option<wharf_archive::IdMap> {
    uses_remap(e, hc)
        .filter(|_| !layer::full_tree(e))
        .map(crate::remap::archive_map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_for_a_removed_container_is_skipped_not_an_error() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("c1");
        std::fs::create_dir(&dir).unwrap();
        assert!(write_record(&dir, b"{}").unwrap());
        assert_eq!(std::fs::read(dir.join(RECORD_FILE)).unwrap(), b"{}");
        std::fs::rename(&dir, d.path().join("removed-c1")).unwrap();
        assert!(!write_record(&dir, b"{}").unwrap());
        assert!(!dir.exists(), "nothing recreated");
    }
}
