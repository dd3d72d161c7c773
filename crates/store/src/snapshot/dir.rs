use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{Info, Kind, LayerFormat, Mount, Snapshotter};
use crate::db::{Db, Table, WriteTx};
use crate::fsutil;
use crate::journal::{self, Undo};
use crate::{Result, StoreError};

pub const SNAPSHOTS: Table = Table::new("snapshots");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    Overlay,
    Copy,
}

/// Copies a full tree into an empty directory, preserving ownership, modes, times, xattrs,
/// hard links and special files. Supplied by the caller (the archive code does this).
pub type TreeCopier = dyn Fn(&Path, &Path) -> std::io::Result<()> + Send + Sync;

pub struct DirSnapshotter {
    db: Arc<Db>,
    root: PathBuf,
    driver: Driver,
    copier: Option<Arc<TreeCopier>>,
}

fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

impl DirSnapshotter {
    /// `root` is `<data-root>/snapshots`. The copy driver needs `copier` to populate a new
    /// snapshot from its parent.
    pub fn new(
        db: Arc<Db>,
        root: &Path,
        driver: Driver,
        copier: Option<Arc<TreeCopier>>,
    ) -> Result<DirSnapshotter> {
        fs::create_dir_all(root).map_err(StoreError::io("create", root))?;
        Ok(DirSnapshotter {
            db,
            root: root.to_path_buf(),
            driver,
            copier,
        })
    }

    pub const TABLES: [Table; 1] = [SNAPSHOTS];

    /// Drops a snapshot record during journal recovery (its directory is removed separately).
    pub fn drop_record(tx: &mut WriteTx, key: &str) -> Result<()> {
        if let Some(info) = tx.get::<Info>(SNAPSHOTS, key)? {
            tx.delete(SNAPSHOTS, key)?;
            if let Some(p) = &info.parent {
                Self::adjust_children(tx, p, -1)?;
            }
        }
        Ok(())
    }

    fn dir(&self, id: u64) -> PathBuf {
        self.root.join(id.to_string())
    }

    fn get(&self, key: &str) -> Result<Info> {
        self.db
            .read(|tx| tx.get::<Info>(SNAPSHOTS, key))?
            .ok_or_else(|| StoreError::SnapshotNotFound(key.to_string()))
    }

    fn adjust_children(tx: &mut WriteTx, key: &str, delta: i32) -> Result<()> {
        if let Some(mut p) = tx.get::<Info>(SNAPSHOTS, key)? {
            p.children = (p.children as i64 + delta as i64).max(0) as u32;
            tx.put(SNAPSHOTS, key, &p)?;
        }
        Ok(())
    }

    /// Committed ancestor chain of a parent key, nearest first, as (key, info).
    fn chain(&self, parent: Option<&str>) -> Result<Vec<Info>> {
        let mut out = Vec::new();
        let mut next = parent.map(str::to_string);
        while let Some(k) = next {
            let info = self.get(&k)?;
            next = info.parent.clone();
            out.push(info);
        }
        Ok(out)
    }

    fn create(&self, key: &str, parent: Option<&str>, kind: Kind, ephemeral: bool) -> Result<Info> {
        if let Some(p) = parent {
            let pi = self.get(p)?;
            if pi.kind != Kind::Committed {
                return Err(StoreError::SnapshotKind {
                    key: p.to_string(),
                    expected: "committed",
                    actual: pi.kind.as_str(),
                });
            }
        }
        // Allocate the id and journal the directory before it exists on disk.
        let (id, jid) = self.db.write(|tx| {
            if tx.contains(SNAPSHOTS, key)? {
                return Err(StoreError::SnapshotExists(key.to_string()));
            }
            let mut id = tx.next_id("snapshot")?;
            // After a crash the counter restarts from its last durable value, while a
            // directory of the lost ids may remain (one a surviving build step still had
            // mounted could not be removed): never reuse one.
            while self.dir(id).exists() {
                id = tx.next_id("snapshot")?;
            }
            let jid = journal::add(
                tx,
                vec![
                    Undo::DropSnapshot(key.to_string()),
                    Undo::RemovePath(self.dir(id)),
                ],
            )?;
            Ok((id, jid))
        })?;
        let dir = self.dir(id);
        let made = self.populate(&dir, parent, kind);
        if let Err(e) = made {
            let _ = fsutil::remove_all(&dir);
            let _ = self.db.write(|tx| journal::done(tx, &jid));
            return Err(e);
        }
        let info = Info {
            id,
            kind,
            parent: parent.map(str::to_string),
            created: now_nanos(),
            size: 0,
            disk: 0,
            children: 0,
            journal: ephemeral.then(|| jid.clone()),
        };
        self.db
            .write(|tx| {
                if tx.contains(SNAPSHOTS, key)? {
                    return Err(StoreError::SnapshotExists(key.to_string()));
                }
                tx.put(SNAPSHOTS, key, &info)?;
                if let Some(p) = parent {
                    Self::adjust_children(tx, p, 1)?;
                }
                if !ephemeral {
                    journal::done(tx, &jid)?;
                }
                Ok(())
            })
            .inspect_err(|_| {
                let _ = fsutil::remove_all(&dir);
            })?;
        Ok(info)
    }

    fn populate(&self, dir: &Path, parent: Option<&str>, kind: Kind) -> Result<()> {
        let fs_dir = dir.join("fs");
        fs::create_dir_all(&fs_dir).map_err(StoreError::io("create", &fs_dir))?;
        match self.driver {
            Driver::Overlay => {
                if kind == Kind::Active {
                    let work = dir.join("work");
                    fs::create_dir_all(&work).map_err(StoreError::io("create", &work))?;
                }
                Ok(())
            }
            Driver::Copy => {
                let Some(p) = parent else { return Ok(()) };
                let pdir = self.dir(self.get(p)?.id).join("fs");
                let copier = self.copier.as_ref().ok_or_else(|| {
                    StoreError::Db("copy snapshotter configured without a tree copier".into())
                })?;
                copier(&pdir, &fs_dir).map_err(StoreError::io("copy tree into", &fs_dir))
            }
        }
    }

    fn mounts_for(&self, info: &Info) -> Result<Vec<Mount>> {
        let own = self.dir(info.id);
        let parents = self.chain(info.parent.as_deref())?;
        let bind = |path: &Path, rw: bool| Mount {
            fstype: "bind".into(),
            source: path.display().to_string(),
            options: vec!["rbind".into(), if rw { "rw" } else { "ro" }.into()],
        };
        if self.driver == Driver::Copy || parents.is_empty() {
            return Ok(vec![bind(&own.join("fs"), info.kind == Kind::Active)]);
        }
        let lowers: Vec<String> = parents
            .iter()
            .map(|p| self.dir(p.id).join("fs").display().to_string())
            .collect();
        match info.kind {
            Kind::Active => Ok(vec![Mount {
                fstype: "overlay".into(),
                source: "overlay".into(),
                options: vec![
                    format!("lowerdir={}", lowers.join(":")),
                    format!("upperdir={}", own.join("fs").display()),
                    format!("workdir={}", own.join("work").display()),
                ],
            }]),
            _ if lowers.len() == 1 => Ok(vec![bind(Path::new(&lowers[0]), false)]),
            _ => Ok(vec![Mount {
                fstype: "overlay".into(),
                source: "overlay".into(),
                options: vec![format!("lowerdir={}", lowers.join(":"))],
            }]),
        }
    }
}

impl Snapshotter for DirSnapshotter {
    fn driver(&self) -> &'static str {
        match self.driver {
            Driver::Overlay => "overlay2",
            Driver::Copy => "vfs",
        }
    }

    fn layer_format(&self) -> LayerFormat {
        match self.driver {
            Driver::Overlay => LayerFormat::OverlayDiff,
            Driver::Copy => LayerFormat::FullTree,
        }
    }

    fn stat(&self, key: &str) -> Result<Info> {
        self.get(key)
    }

    fn prepare(&self, key: &str, parent: Option<&str>, ephemeral: bool) -> Result<Vec<Mount>> {
        let info = self.create(key, parent, Kind::Active, ephemeral)?;
        self.mounts_for(&info)
    }

    fn view(&self, key: &str, parent: &str) -> Result<Vec<Mount>> {
        let info = self.create(key, Some(parent), Kind::View, false)?;
        self.mounts_for(&info)
    }

    fn mounts(&self, key: &str) -> Result<Vec<Mount>> {
        let info = self.get(key)?;
        self.mounts_for(&info)
    }

    fn commit(&self, name: &str, key: &str) -> Result<Info> {
        let parent = self.get(key)?.parent;
        self.commit_onto(name, key, parent.as_deref())
    }

    fn commit_onto(&self, name: &str, key: &str, parent: Option<&str>) -> Result<Info> {
        let info = self.get(key)?;
        if info.kind != Kind::Active {
            return Err(StoreError::SnapshotKind {
                key: key.to_string(),
                expected: "active",
                actual: info.kind.as_str(),
            });
        }
        let relink = info.parent.as_deref() != parent;
        if relink && (self.driver == Driver::Copy || info.parent.is_some()) {
            return Err(StoreError::Relink {
                key: key.to_string(),
                parent: parent.unwrap_or("").to_string(),
            });
        }
        let dir = self.dir(info.id);
        let fs_dir = dir.join("fs");
        let size = fsutil::content_size(&fs_dir)?;
        let disk = fsutil::disk_usage(&fs_dir)?;
        fsutil::remove_all(&dir.join("work"))?;
        let committed = Info {
            kind: Kind::Committed,
            size,
            disk,
            journal: None,
            parent: parent.map(str::to_string),
            ..info.clone()
        };
        self.db.write(|tx| {
            if tx.contains(SNAPSHOTS, name)? {
                return Err(StoreError::SnapshotExists(name.to_string()));
            }
            if relink && let Some(p) = parent {
                let pi = tx
                    .get::<Info>(SNAPSHOTS, p)?
                    .ok_or_else(|| StoreError::SnapshotNotFound(p.to_string()))?;
                if pi.kind != Kind::Committed {
                    return Err(StoreError::SnapshotKind {
                        key: p.to_string(),
                        expected: "committed",
                        actual: pi.kind.as_str(),
                    });
                }
                Self::adjust_children(tx, p, 1)?;
            }
            tx.delete(SNAPSHOTS, key)?;
            tx.put(SNAPSHOTS, name, &committed)?;
            if let Some(j) = &info.journal {
                journal::done(tx, j)?;
            }
            Ok(())
        })?;
        Ok(committed)
    }

    fn remove(&self, key: &str) -> Result<()> {
        let dir = self.db.write(|tx| {
            let info = tx
                .get::<Info>(SNAPSHOTS, key)?
                .ok_or_else(|| StoreError::SnapshotNotFound(key.to_string()))?;
            if info.children > 0 {
                return Err(StoreError::SnapshotInUse(
                    key.to_string(),
                    info.children as usize,
                ));
            }
            tx.delete(SNAPSHOTS, key)?;
            if let Some(p) = &info.parent {
                Self::adjust_children(tx, p, -1)?;
            }
            if let Some(j) = &info.journal {
                journal::done(tx, j)?;
            }
            let dir = self.dir(info.id);
            let jid = journal::add(tx, vec![Undo::RemovePath(dir.clone())])?;
            Ok((dir, jid))
        })?;
        fsutil::remove_all(&dir.0)?;
        self.db.write(|tx| journal::done(tx, &dir.1))
    }

    fn upper_dir(&self, key: &str) -> Result<PathBuf> {
        Ok(self.dir(self.get(key)?.id).join("fs"))
    }

    fn parent_dirs(&self, key: &str) -> Result<Vec<PathBuf>> {
        let info = self.get(key)?;
        Ok(self
            .chain(info.parent.as_deref())?
            .iter()
            .map(|p| self.dir(p.id).join("fs"))
            .collect())
    }

    fn usage(&self, key: &str) -> Result<u64> {
        let info = self.get(key)?;
        match info.kind {
            Kind::Committed => Ok(info.disk),
            _ => fsutil::disk_usage(&self.dir(info.id)),
        }
    }

    fn list(&self) -> Result<Vec<(String, Info)>> {
        self.db.read(|tx| tx.scan(SNAPSHOTS, ""))
    }

    fn orphan_dirs(&self) -> Result<Vec<PathBuf>> {
        let known: std::collections::HashSet<u64> =
            self.list()?.into_iter().map(|(_, i)| i.id).collect();
        let journaled: Vec<(String, journal::Entry)> =
            self.db.read(|tx| tx.scan(journal::JOURNAL, ""))?;
        let pending: std::collections::HashSet<PathBuf> = journaled
            .into_iter()
            .flat_map(|(_, e)| e.undo)
            .filter_map(|u| match u {
                Undo::RemovePath(p) => Some(p),
                Undo::DropSnapshot(_) => None,
            })
            .collect();
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.root).map_err(StoreError::io("read dir", &self.root))? {
            let path = entry
                .map_err(StoreError::io("read dir", &self.root))?
                .path();
            let id = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.parse::<u64>().ok());
            match id {
                Some(id) if known.contains(&id) || pending.contains(&path) => {}
                _ => out.push(path),
            }
        }
        Ok(out)
    }
}
