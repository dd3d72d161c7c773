//! What is kept per container (`containers/<id>/container.json`): the configuration as
//! created, and the last known state. The shim's `exit.json` is the record of an exit that
//! happened while the daemon was away.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wharf_api::container::{EndpointSettings, HealthcheckResult, MountPoint};
use wharf_api::hostconfig::PortMap;
use wharf_api::{ContainerConfig, HostConfig};

/// Go's zero time, as dockerd prints unset times.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Restarting => "restarting",
            Status::Removing => "removing",
            Status::Exited => "exited",
            Status::Dead => "dead",
        }
    }

    /// A process is alive (running or paused).
    pub fn is_alive(self) -> bool {
        matches!(self, Status::Running | Status::Paused)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct HealthState {
    pub status: String,
    pub failing_streak: i64,
    #[serde(default)]
    pub log: Vec<HealthcheckResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct State {
    pub status: Status,
    pub pid: u32,
    pub exit_code: i64,
    pub error: String,
    pub started_at: String,
    pub finished_at: String,
    #[serde(default)]
    pub oom_killed: bool,
    /// Stopped by `stop` (or `kill` before a restart): restart policies other than `always`
    /// leave it stopped, also across a daemon restart.
    #[serde(default)]
    pub manually_stopped: bool,
    #[serde(default)]
    pub health: Option<HealthState>,
}

impl Default for State {
    fn default() -> Self {
        State {
            status: Status::Created,
            pid: 0,
            exit_code: 0,
            error: String::new(),
            started_at: ZERO_TIME.into(),
            finished_at: ZERO_TIME.into(),
            oom_killed: false,
            manually_stopped: false,
            health: None,
        }
    }
}

/// A mount resolved at create time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MountSpec {
    /// `bind`, `volume`, `tmpfs`.
    pub kind: String,
    /// Volume name (volumes only).
    #[serde(default)]
    pub name: String,
    /// Host path (binds and volumes).
    #[serde(default)]
    pub source: String,
    pub destination: String,
    pub rw: bool,
    /// Mode string as shown in inspect (`ro`, `z`, …).
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub propagation: String,
    /// tmpfs options (`size=…,mode=…`).
    #[serde(default)]
    pub options: String,
    /// Bind without `rbind`.
    #[serde(default)]
    pub non_recursive: bool,
    /// Anonymous volume: removed with `rm -v` / `--rm`.
    #[serde(default)]
    pub anonymous: bool,
    /// Listed in `Mounts` (tmpfs from `--tmpfs` are not).
    #[serde(default = "yes")]
    pub listed: bool,
    /// A directory inside the volume to mount instead of its root (`volume-subpath`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subpath: String,
}

fn yes() -> bool {
    true
}

impl MountSpec {
    pub fn point(&self) -> MountPoint {
        MountPoint {
            kind: self.kind.clone(),
            name: self.name.clone(),
            source: self.source.clone(),
            destination: self.destination.clone(),
            driver: if self.kind == "volume" {
                "local".into()
            } else {
                String::new()
            },
            mode: self.mode.clone(),
            rw: self.rw,
            propagation: self.propagation.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ContainerRecord {
    pub id: String,
    /// With the leading slash.
    pub name: String,
    /// RFC 3339.
    pub created: String,
    pub path: String,
    pub args: Vec<String>,
    pub config: ContainerConfig,
    pub host_config: HostConfig,
    /// The image ID (`sha256:…`).
    pub image: String,
    /// Top ChainID of the image: the snapshot's parent (none for an image without layers).
    #[serde(default)]
    pub chain_id: Option<String>,
    pub driver: String,
    pub mounts: Vec<MountSpec>,
    /// OCI runtime for this container (`wharf`, `runc`, `crun`).
    pub runtime: String,
    pub state: State,
    pub restart_count: i64,
    #[serde(default)]
    pub has_been_started: bool,
    /// The networks the container is connected to, by name, with its endpoint on each (the
    /// addresses are set while it runs).
    #[serde(
        default,
        deserialize_with = "crate::service::network::record::endpoints"
    )]
    pub networks: BTreeMap<String, EndpointSettings>,
    /// MAC addresses the user chose, per network name (`--mac-address`, an endpoint's
    /// `MacAddress`); others derive from the address each start.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub desired_macs: BTreeMap<String, String>,
    /// Published ports while it runs (`NetworkSettings.Ports`).
    #[serde(default)]
    pub ports: PortMap,
}

impl ContainerRecord {
    pub fn short_id(&self) -> &str {
        &self.id[..12]
    }

    /// Name without the leading slash.
    pub fn bare_name(&self) -> &str {
        self.name.trim_start_matches('/')
    }
}
