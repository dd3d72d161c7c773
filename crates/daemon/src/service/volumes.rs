//! Volumes with the `local` driver: `volumes/<name>/_data` under the data root, recorded in the
//! `volumes` table. Anonymous volumes get a random 64-hex name and are removed with their
//! container by `rm -v` and `--rm`. Which containers use a volume is derived from the container
//! records, never stored twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use wharf_api::filters::Filters;
use wharf_api::volume::{UsageData, Volume, VolumeCreateRequest};
use wharf_store::db::{Db, Table};
use wharf_store::fsutil;

use crate::error::ApiError;

pub const VOLUMES: Table = Table::new("volumes");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VolumeRecord {
    pub name: String,
    pub created_at: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    #[serde(default)]
    pub anonymous: bool,
}

pub struct Volumes {
    db: Arc<Db>,
    root: PathBuf,
    /// Owner of new volumes' `_data` (the remapped root with `--userns-remap`, as dockerd's
    /// remapped volume store).
    owner: Option<(u32, u32)>,
}

/// Docker's volume name rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() >= 2
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

impl Volumes {
    pub fn new(db: Arc<Db>, root: &Path, owner: Option<(u32, u32)>) -> Volumes {
        Volumes {
            db,
            root: root.to_path_buf(),
            owner,
        }
    }

    pub fn data_dir(&self, name: &str) -> PathBuf {
        self.root.join(name).join("_data")
    }

    pub fn get(&self, name: &str) -> Result<Option<VolumeRecord>, ApiError> {
        Ok(self.db.read(|tx| tx.get(VOLUMES, name))?)
    }

    pub fn inspect(&self, name: &str) -> Result<Volume, ApiError> {
        let rec = self
            .get(name)?
            .ok_or_else(|| ApiError::not_found(format!("get {name}: no such volume")))?;
        Ok(self.view(&rec))
    }

    pub fn view(&self, rec: &VolumeRecord) -> Volume {
        let opt = |m: &BTreeMap<String, String>| (!m.is_empty()).then(|| m.clone());
        Volume {
            created_at: rec.created_at.clone(),
            driver: "local".into(),
            labels: opt(&rec.labels),
            mountpoint: self.data_dir(&rec.name).display().to_string(),
            name: rec.name.clone(),
            options: opt(&rec.options),
            scope: "local".into(),
            status: None,
            usage_data: None,
        }
    }

    /// Creates a volume, or returns the existing one of that name (as dockerd does).
    /// Returns the record and whether it was created.
    pub fn create(
        &self,
        req: &VolumeCreateRequest,
        anonymous: bool,
    ) -> Result<(VolumeRecord, bool), ApiError> {
        let driver = if req.driver.is_empty() {
            "local"
        } else {
            req.driver.as_str()
        };
        if driver != "local" {
            return Err(ApiError::not_found(format!(
                "error looking up volume plugin {driver}: plugin \"{driver}\" not found"
            )));
        }
        if let Some(k) = req.driver_opts.keys().next() {
            return Err(ApiError::bad_request(format!(
                "create {}: invalid option key: {k:?}: the local driver of wharf takes no options",
                req.name
            )));
        }
        let name = if req.name.is_empty() {
            crate::service::containers::new_id()
        } else {
            req.name.clone()
        };
        if !valid_name(&name) {
            return Err(ApiError::bad_request(format!(
                "create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"
            )));
        }
        if let Some(existing) = self.get(&name)? {
            return Ok((existing, false));
        }
        let rec = VolumeRecord {
            name: name.clone(),
            created_at: go_seconds_now(),
            labels: req.labels.clone(),
            options: req.driver_opts.clone(),
            anonymous,
        };
        let dir = self.data_dir(&name);
        std::fs::create_dir_all(&dir).map_err(|e| {
            ApiError::internal(format!(
                "create {name}: error while creating volume root path '{}': {e}",
                dir.display()
            ))
        })?;
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).map_err(|e| {
                ApiError::internal(format!("create {name}: chown {}: {e}", dir.display()))
            })?;
        }
        self.db.write(|tx| tx.put(VOLUMES, &name, &rec))?;
        Ok((rec, true))
    }

    pub fn list(&self) -> Result<Vec<VolumeRecord>, ApiError> {
        Ok(self
            .db
            .read(|tx| tx.scan::<VolumeRecord>(VOLUMES, ""))?
            .into_iter()
            .map(|(_, v)| v)
            .collect())
    }

    /// Removes a volume that no container uses (`users` names one that does).
    pub fn remove(&self, name: &str, users: &[String], force: bool) -> Result<(), ApiError> {
        if self.get(name)?.is_none() {
            if force {
                return Ok(());
            }
            return Err(ApiError::not_found(format!("get {name}: no such volume")));
        }
        if !users.is_empty() {
            return Err(ApiError::conflict(format!(
                "remove {name}: volume is in use - [{}]",
                users.join(", ")
            )));
        }
        fsutil::remove_all(&self.root.join(name))?;
        self.db.write(|tx| tx.delete(VOLUMES, name).map(|_| ()))?;
        Ok(())
    }

    /// Bytes a volume holds.
    pub fn size(&self, name: &str) -> u64 {
        fsutil::disk_usage(&self.data_dir(name)).unwrap_or(0)
    }

    /// `system df` rows: every volume with its size and how many containers use it.
    pub fn disk_usage(&self, ref_counts: &BTreeMap<String, i64>) -> Result<Vec<Volume>, ApiError> {
        Ok(self
            .list()?
            .iter()
            .map(|r| {
                let mut v = self.view(r);
                v.usage_data = Some(UsageData {
                    ref_count: ref_counts.get(&r.name).copied().unwrap_or(0),
                    size: self.size(&r.name) as i64,
                });
                v
            })
            .collect())
    }
}

/// RFC 3339 to the second, as dockerd shows volume creation times.
fn go_seconds_now() -> String {
    let s = wharf_units::Timestamp::now().to_rfc3339_nano();
    match s.split_once('.') {
        Some((head, _)) => format!("{head}Z"),
        None => s,
    }
}

/// `volume ls` / `volume prune` filters: `name`, `label`, `label!`, `dangling`, `driver`,
/// `all` (prune: also named volumes).
pub fn matches(rec: &VolumeRecord, in_use: bool, f: &Filters) -> Result<bool, ApiError> {
    if let Some(d) = f.bool_value("dangling").map_err(ApiError::bad_request)?
        && d == in_use
    {
        return Ok(false);
    }
    let names = f.get("name");
    if !names.is_empty() && !names.iter().any(|n| rec.name.contains(n.as_str())) {
        return Ok(false);
    }
    let drivers = f.get("driver");
    if !drivers.is_empty() && !drivers.iter().any(|d| d == "local") {
        return Ok(false);
    }
    let label = |l: &String| match l.split_once('=') {
        Some((k, v)) => rec.labels.get(k).is_some_and(|x| x == v),
        None => rec.labels.contains_key(l.as_str()),
    };
    Ok(f.get("label").iter().all(label) && !f.get("label!").iter().any(label))
}
