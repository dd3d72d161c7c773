//! Wiring: opens the data root's stores once and hands them to the services. This is the only
//! place that knows which concrete implementation sits behind each seam.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use wharf_image::store::{ImageStore, TABLES as IMAGE_TABLES};
use wharf_store::content::ContentStore;
use wharf_store::db::Db;
use wharf_store::journal::{self, JOURNAL};
use wharf_store::lease::Leases;
use wharf_store::snapshot::{DirSnapshotter, Driver, Snapshotter};
use wharf_store::{StoreError, fsutil};

use crate::config::{DaemonConfig, StorageDriver};
use crate::hostinfo::HostInfo;
use crate::service::containers::Containers;
use crate::service::containers::exec::Execs;
use crate::service::events::Events;
use crate::service::image_cache::ImageListCache;
use crate::service::images::ImageUsers;
use crate::service::network::Networks;
use crate::service::network::record::NETWORKS;
use crate::service::volumes::{VOLUMES, Volumes};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("data root {path}: {source}")]
    DataRoot {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("loading containers: {0}")]
    Containers(String),
    #[error("registry settings: {0}")]
    Registry(#[from] wharf_registry::RegistryError),
    #[error("loading networks: {0}")]
    Networks(String),
    #[error(
        "data root {path} was created with the {stored} storage driver; refusing to use it with {requested}"
    )]
    DriverMismatch {
        path: PathBuf,
        stored: String,
        requested: String,
    },
    #[error(transparent)]
    Remap(#[from] crate::remap::RemapError),
}

/// Facts about the data root that must not change between runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct EngineState {
    id: String,
    storage_driver: String,
}

pub struct Engine {
    pub config: DaemonConfig,
    /// `--userns-remap`, resolved: containers not opting out get a user namespace.
    pub remap: Option<crate::remap::Remap>,
    pub id: String,
    pub db: Arc<Db>,
    pub images: ImageStore,
    pub builder: wharf_builder::Builder,
    pub containers: Containers,
    pub volumes: Volumes,
    pub networks: Arc<Networks>,
    pub execs: Execs,
    pub events: Events,
    pub registry: Arc<wharf_registry::Registry>,
    pub host: HostInfo,
    pub started: Instant,
    pub image_list: ImageListCache,
    /// The binary shims are started from.
    pub shim_exe: PathBuf,
}

fn random_uuid() -> String {
    let mut b = [0u8; 16];
    rustix::rand::getrandom(&mut b, rustix::rand::GetRandomFlags::empty()).ok();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn overlay_supported(data_root: &Path) -> bool {
    let listed = std::fs::read_to_string("/proc/filesystems")
        .map(|s| {
            s.lines()
                .any(|l| l.trim_end().ends_with("\toverlay") || l.trim() == "nodev\toverlay")
        })
        .unwrap_or(false);
    const OVERLAYFS_SUPER_MAGIC: i64 = 0x794c_7630;
    let on_overlay = rustix::fs::statfs(data_root)
        .map(|s| s.f_type == OVERLAYFS_SUPER_MAGIC)
        .unwrap_or(false);
    listed && !on_overlay
}

/// Copies a full tree for the vfs driver by streaming it through the layer writer and applier,
/// which already preserve every kind of file and its metadata.
fn copy_tree(src: &Path, dst: &Path) -> std::io::Result<()> {
    let (reader, writer) = std::io::pipe()?;
    let src = src.to_path_buf();
    let producer = std::thread::spawn(move || {
        wharf_archive::write_tree(&src, writer, &wharf_archive::WriteOptions::default())
    });
    let opts = wharf_archive::ApplyOptions {
        whiteouts: wharf_archive::Whiteouts::Remove,
        ..Default::default()
    };
    let applied = wharf_archive::apply_layer(reader, dst, &opts);
    let produced = producer
        .join()
        .map_err(|_| std::io::Error::other("tree copy thread panicked"))?;
    produced.map_err(std::io::Error::other)?;
    applied.map(|_| ()).map_err(std::io::Error::other)
}

impl Engine {
    pub fn open(config: DaemonConfig) -> Result<Engine, EngineError> {
        let remap = match config.userns_remap.as_str() {
            "" => None,
            v => Some(crate::remap::resolve(v)?),
        };
        let root = config.data_root.clone();
        let dr = |source| EngineError::DataRoot {
            path: root.clone(),
            source,
        };
        std::fs::create_dir_all(&root).map_err(dr)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o711)).map_err(dr)?;
        for d in ["tmp", "containers", "volumes"] {
            std::fs::create_dir_all(root.join(d)).map_err(dr)?;
        }

        let mut tables = IMAGE_TABLES.to_vec();
        tables.extend(DirSnapshotter::TABLES);
        tables.extend(wharf_builder::TABLES);
        tables.push(JOURNAL);
        tables.push(VOLUMES);
        tables.extend(crate::service::distmeta::TABLES);
        tables.push(NETWORKS);
        let db = Arc::new(Db::open(&root.join("metadata.db"), &tables)?);

        let state = Self::load_state(&root, &config.storage_driver)?;
        let driver = if state.storage_driver == "vfs" {
            Driver::Copy
        } else {
            Driver::Overlay
        };
        let snapshots: Arc<dyn Snapshotter> = Arc::new(DirSnapshotter::new(
            db.clone(),
            &root.join("snapshots"),
            driver,
            Some(Arc::new(copy_tree)),
        )?);
        let content = ContentStore::open(&root.join("content"))?;

        // Recovery: only work that was in flight when the last process died.
        let replayed = journal::recover(&db, DirSnapshotter::drop_record)?;
        let ingests = content.clear_ingests()?;
        if replayed + ingests > 0 {
            tracing::info!(replayed, ingests, "recovered from an interrupted run");
        }
        fsutil::remove_all(&root.join("tmp")).ok();
        std::fs::create_dir_all(root.join("tmp")).map_err(dr)?;

        let images = ImageStore::new(db.clone(), content, snapshots, Leases::new());
        let networks = Arc::new(
            Networks::open(db.clone(), &root, &state.id)
                .map_err(|e| EngineError::Networks(e.message))?,
        );
        let builder = wharf_builder::Builder {
            store: images.clone(),
            cache: wharf_builder::cache::Cache::new(db.clone()),
            work_root: root.join("tmp"),
            cache_mounts: root.join("build-cache-mounts"),
            helper: std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into()),
            docker_version: crate::VERSION.to_string(),
            puller: None,
            contexts: Default::default(),
            networks: Some(Arc::new(crate::service::network::steps::BuildNetworks {
                nw: networks.clone(),
            })),
        };
        let containers = Containers::open(&root.join("containers"), &images)
            .map_err(|e| EngineError::Containers(e.message))?;
        let volumes = Volumes::new(
            db.clone(),
            &root.join("volumes"),
            remap.as_ref().map(|r| r.root()),
        );
        let registry = wharf_registry::Registry::new(wharf_registry::RegistryConfig::new(
            &config.insecure_registries,
            &config.registry_mirrors,
        )?);
        Ok(Engine {
            registry,
            config,
            remap,
            id: state.id,
            db,
            images,
            builder,
            containers,
            volumes,
            networks,
            execs: Execs::default(),
            events: Events::default(),
            host: HostInfo::read(),
            started: Instant::now(),
            image_list: ImageListCache::default(),
            shim_exe: crate::service::containers::shim::current_exe(),
        })
    }

    fn load_state(root: &Path, requested: &StorageDriver) -> Result<EngineState, EngineError> {
        let path = root.join("engine.json");
        let wanted = match requested {
            StorageDriver::Overlay => "overlay2",
            StorageDriver::Vfs => "vfs",
            StorageDriver::Auto if overlay_supported(root) => "overlay2",
            StorageDriver::Auto => "vfs",
        };
        if let Ok(data) = std::fs::read(&path)
            && let Ok(state) = serde_json::from_slice::<EngineState>(&data)
        {
            if *requested != StorageDriver::Auto && state.storage_driver != wanted {
                return Err(EngineError::DriverMismatch {
                    path: root.to_path_buf(),
                    stored: state.storage_driver,
                    requested: wanted.to_string(),
                });
            }
            return Ok(state);
        }
        let state = EngineState {
            id: random_uuid(),
            storage_driver: wanted.to_string(),
        };
        fsutil::write_atomic(
            &path,
            &serde_json::to_vec_pretty(&state).unwrap_or_default(),
        )?;
        Ok(state)
    }

    pub fn storage_driver(&self) -> &'static str {
        self.images.snapshots().driver()
    }

    /// Ids of the containers that mount volume `name` (except `except`).
    pub fn volume_users(&self, name: &str, except: Option<&str>) -> Vec<String> {
        self.containers
            .all()
            .iter()
            .filter(|c| Some(c.id.as_str()) != except)
            .filter(|c| {
                c.lock()
                    .mounts
                    .iter()
                    .any(|m| m.kind == "volume" && m.name == name)
            })
            .map(|c| c.id.clone())
            .collect()
    }

    /// Which containers use an image (for `rmi` conflicts).
    pub fn image_users(&self, id: &wharf_digest::Digest) -> ImageUsers {
        let mut users = ImageUsers::default();
        for c in self.containers.all() {
            let r = c.lock();
            if r.image != id.as_str() {
                continue;
            }
            if r.state.status.is_alive()
                || r.state.status == crate::service::containers::record::Status::Restarting
            {
                users.running.get_or_insert_with(|| r.id.clone());
            } else {
                users.stopped.get_or_insert_with(|| r.id.clone());
            }
        }
        users
    }

    /// Runs blocking store work off the async runtime.
    pub async fn blocking<T, F>(self: &Arc<Self>, f: F) -> Result<T, crate::error::ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> Result<T, crate::error::ApiError> + Send + 'static,
    {
        let me = self.clone();
        tokio::task::spawn_blocking(move || f(&me)).await?
    }
}
