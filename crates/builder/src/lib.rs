//! Dockerfile builds: the executor behind `POST /build` (the legacy builder's API and output),
//! with a content-keyed cache that survives restarts and explains its misses.
//!
//! * [`context`]: the build context as received (spooled, indexed, hashed once).
//! * [`exec`] and `stage`: stages (in parallel when independent) and their steps.
//! * [`config`]: instructions that only edit the image config (also `--change`).
//! * `copy`, `run`, `mounts`: the steps that write files.
//! * [`cache`]: the build cache.
//! * [`step`]: the `wharf build-step` helper that runs a RUN container.

pub mod args;
pub mod cache;
pub mod commit;
pub mod config;
pub mod context;
mod copy;
pub mod ctxcache;
pub mod error;
pub mod exec;
pub mod fetch;
pub mod fsview;
mod gofmt;
mod mounts;
pub mod network;
pub mod output;
mod prune;
mod run;
mod stage;
pub mod step;
mod users;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub use args::Platform;
pub use context::Context;
pub use error::BuildError;
pub use exec::{Outcome, Prepared};
pub use network::{Network, NetworkError, StepNetworks, StepRequest, StepSandbox};
pub use output::Output;
pub use prune::{CacheItem, PruneReport};

use wharf_image::{ImageRecord, ImageStore};

/// Fetches a base image the store lacks (wired to the registry client by the daemon).
pub trait Puller: Send + Sync {
    /// Pulls `reference` for `platform`, reporting progress lines; returns the image.
    fn pull(
        &self,
        reference: &str,
        platform: &Platform,
        progress: &mut dyn FnMut(&str),
    ) -> Result<ImageRecord, String>;
}

/// A build as the API describes it (`POST /build` parameters).
#[derive(Debug, Clone, Default)]
pub struct BuildRequest {
    /// Path of the Dockerfile inside the context (`Dockerfile` when empty).
    pub dockerfile: String,
    pub tags: Vec<String>,
    /// `--build-arg`; `None` for a name given without a value.
    pub build_args: BTreeMap<String, Option<String>>,
    pub labels: BTreeMap<String, String>,
    pub no_cache: bool,
    pub pull: bool,
    pub quiet: bool,
    pub target: String,
    /// `default`/`bridge` (the default bridge network), `host`, `none`, or a user-defined
    /// bridge network's name or id.
    pub network: String,
    pub platform: String,
    /// Say why each step missed the cache.
    pub explain: bool,
    /// `RUN --mount=type=secret` data by id.
    pub secrets: BTreeMap<String, Vec<u8>>,
    /// `--add-host`: (name, address) lines added to the steps' `/etc/hosts`.
    pub extra_hosts: Vec<(String, std::net::IpAddr)>,
    /// `--cache-from`: when given, the only images (with their ancestors) a step may reuse.
    pub cache_from: Vec<String>,
}

/// The builder of one engine: its stores and where it works.
pub struct Builder {
    pub store: ImageStore,
    pub cache: cache::Cache,
    /// Scratch space for builds (`<data-root>/tmp`).
    pub work_root: PathBuf,
    /// Persistent `RUN --mount=type=cache` directories.
    pub cache_mounts: PathBuf,
    /// The `wharf` binary, for its `build-step` helper.
    pub helper: PathBuf,
    /// Recorded as `docker_version` in image configs.
    pub docker_version: String,
    pub puller: Option<Arc<dyn Puller>>,
    /// Contexts wharf's CLI sends incrementally.
    pub contexts: ctxcache::ContextCache,
    /// Namespaces for RUN steps on bridge networks (the engine's network service).
    pub networks: Option<Arc<dyn StepNetworks>>,
}

/// Database tables the builder keeps (register them when opening the database).
pub const TABLES: [wharf_store::db::Table; 2] = cache::TABLES;
