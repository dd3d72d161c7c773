//! Container endpoints: create, inspect, list (`ps`), wait, changes, top, update, prune,
//! archive stat. Shapes follow dockerd's JSON (20.10's superset, which newer clients read too).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::ContainerConfig;
use crate::hostconfig::{HostConfig, PortMap};
use crate::image::GraphDriver;
use crate::{null_if_empty, nullable};

/// `POST /containers/create` body: the container `Config` with `HostConfig` and
/// `NetworkingConfig` beside its fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CreateRequest {
    #[serde(flatten)]
    pub config: ContainerConfig,
    #[serde(
        rename = "HostConfig",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub host_config: Option<HostConfig>,
    #[serde(
        rename = "NetworkingConfig",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub networking_config: Option<NetworkingConfig>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkingConfig {
    #[serde(default, deserialize_with = "nullable")]
    pub endpoints_config: BTreeMap<String, EndpointSettings>,
}

/// One network a container is attached to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EndpointSettings {
    #[serde(rename = "IPAMConfig", default)]
    pub ipam_config: Option<serde_json::Value>,
    #[serde(rename = "Links", default)]
    pub links: Option<Vec<String>>,
    #[serde(rename = "Aliases", default)]
    pub aliases: Option<Vec<String>>,
    #[serde(rename = "MacAddress", default)]
    pub mac_address: String,
    #[serde(rename = "DriverOpts", default)]
    pub driver_opts: Option<BTreeMap<String, String>>,
    #[serde(rename = "NetworkID", default)]
    pub network_id: String,
    #[serde(rename = "EndpointID", default)]
    pub endpoint_id: String,
    #[serde(rename = "Gateway", default)]
    pub gateway: String,
    #[serde(rename = "IPAddress", default)]
    pub ip_address: String,
    #[serde(rename = "IPPrefixLen", default)]
    pub ip_prefix_len: i64,
    #[serde(rename = "IPv6Gateway", default)]
    pub ipv6_gateway: String,
    #[serde(rename = "GlobalIPv6Address", default)]
    pub global_ipv6_address: String,
    #[serde(rename = "GlobalIPv6PrefixLen", default)]
    pub global_ipv6_prefix_len: i64,
    #[serde(rename = "DNSNames", default)]
    pub dns_names: Option<Vec<String>>,
}

/// `POST /containers/create` answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CreateResponse {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "Warnings", default, deserialize_with = "nullable")]
    pub warnings: Vec<String>,
}

/// `State` in inspect.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ContainerState {
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited`, `dead`.
    #[serde(rename = "Status")]
    pub status: String,
    #[serde(rename = "Running")]
    pub running: bool,
    #[serde(rename = "Paused")]
    pub paused: bool,
    #[serde(rename = "Restarting")]
    pub restarting: bool,
    #[serde(rename = "OOMKilled")]
    pub oom_killed: bool,
    #[serde(rename = "Dead")]
    pub dead: bool,
    #[serde(rename = "Pid")]
    pub pid: i64,
    #[serde(rename = "ExitCode")]
    pub exit_code: i64,
    #[serde(rename = "Error")]
    pub error: String,
    /// RFC 3339 with nanoseconds; `0001-01-01T00:00:00Z` when never started.
    #[serde(rename = "StartedAt")]
    pub started_at: String,
    #[serde(rename = "FinishedAt")]
    pub finished_at: String,
    #[serde(rename = "Health", default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
}

/// Health check state: `Status` is `starting`, `healthy` or `unhealthy`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Health {
    pub status: String,
    pub failing_streak: i64,
    #[serde(
        default,
        deserialize_with = "nullable",
        serialize_with = "null_if_empty"
    )]
    pub log: Vec<HealthcheckResult>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct HealthcheckResult {
    pub start: String,
    pub end: String,
    pub exit_code: i64,
    pub output: String,
}

/// One entry of `Mounts` (inspect and `ps`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MountPoint {
    #[serde(rename = "Type", default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(rename = "Name", default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(rename = "Source", default)]
    pub source: String,
    #[serde(rename = "Destination", default)]
    pub destination: String,
    #[serde(rename = "Driver", default, skip_serializing_if = "String::is_empty")]
    pub driver: String,
    #[serde(rename = "Mode", default)]
    pub mode: String,
    #[serde(rename = "RW", default)]
    pub rw: bool,
    #[serde(rename = "Propagation", default)]
    pub propagation: String,
}

/// `NetworkSettings` in inspect (dockerd 20.10's fields; the top-level address fields mirror
/// the default network's endpoint).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NetworkSettings {
    #[serde(rename = "Bridge", default)]
    pub bridge: String,
    #[serde(rename = "SandboxID", default)]
    pub sandbox_id: String,
    #[serde(rename = "HairpinMode", default)]
    pub hairpin_mode: bool,
    #[serde(rename = "LinkLocalIPv6Address", default)]
    pub link_local_ipv6_address: String,
    #[serde(rename = "LinkLocalIPv6PrefixLen", default)]
    pub link_local_ipv6_prefix_len: i64,
    #[serde(rename = "Ports", default)]
    pub ports: PortMap,
    #[serde(rename = "SandboxKey", default)]
    pub sandbox_key: String,
    #[serde(rename = "SecondaryIPAddresses", default)]
    pub secondary_ip_addresses: Option<Vec<serde_json::Value>>,
    #[serde(rename = "SecondaryIPv6Addresses", default)]
    pub secondary_ipv6_addresses: Option<Vec<serde_json::Value>>,
    #[serde(rename = "EndpointID", default)]
    pub endpoint_id: String,
    #[serde(rename = "Gateway", default)]
    pub gateway: String,
    #[serde(rename = "GlobalIPv6Address", default)]
    pub global_ipv6_address: String,
    #[serde(rename = "GlobalIPv6PrefixLen", default)]
    pub global_ipv6_prefix_len: i64,
    #[serde(rename = "IPAddress", default)]
    pub ip_address: String,
    #[serde(rename = "IPPrefixLen", default)]
    pub ip_prefix_len: i64,
    #[serde(rename = "IPv6Gateway", default)]
    pub ipv6_gateway: String,
    #[serde(rename = "MacAddress", default)]
    pub mac_address: String,
    #[serde(rename = "Networks", default)]
    pub networks: BTreeMap<String, EndpointSettings>,
}

/// `GET /containers/{id}/json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ContainerInspect {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "Created")]
    pub created: String,
    #[serde(rename = "Path")]
    pub path: String,
    #[serde(rename = "Args", default)]
    pub args: Vec<String>,
    #[serde(rename = "State")]
    pub state: ContainerState,
    #[serde(rename = "Image")]
    pub image: String,
    #[serde(rename = "ResolvConfPath")]
    pub resolv_conf_path: String,
    #[serde(rename = "HostnamePath")]
    pub hostname_path: String,
    #[serde(rename = "HostsPath")]
    pub hosts_path: String,
    #[serde(rename = "LogPath")]
    pub log_path: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "RestartCount")]
    pub restart_count: i64,
    #[serde(rename = "Driver")]
    pub driver: String,
    #[serde(rename = "Platform")]
    pub platform: String,
    #[serde(rename = "MountLabel", default)]
    pub mount_label: String,
    #[serde(rename = "ProcessLabel", default)]
    pub process_label: String,
    #[serde(rename = "AppArmorProfile", default)]
    pub app_armor_profile: String,
    #[serde(
        rename = "ExecIDs",
        default,
        deserialize_with = "nullable",
        serialize_with = "null_if_empty"
    )]
    pub exec_ids: Vec<String>,
    #[serde(rename = "HostConfig")]
    pub host_config: HostConfig,
    #[serde(rename = "GraphDriver")]
    pub graph_driver: GraphDriver,
    #[serde(rename = "SizeRw", default, skip_serializing_if = "Option::is_none")]
    pub size_rw: Option<i64>,
    #[serde(
        rename = "SizeRootFs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub size_root_fs: Option<i64>,
    #[serde(rename = "Mounts", default)]
    pub mounts: Vec<MountPoint>,
    #[serde(rename = "Config")]
    pub config: ContainerConfig,
    #[serde(rename = "NetworkSettings")]
    pub network_settings: NetworkSettings,
}

/// A published port in `ps`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Port {
    #[serde(rename = "IP", default, skip_serializing_if = "String::is_empty")]
    pub ip: String,
    #[serde(rename = "PrivatePort")]
    pub private_port: u16,
    #[serde(rename = "PublicPort", default, skip_serializing_if = "is_zero_u16")]
    pub public_port: u16,
    #[serde(rename = "Type")]
    pub kind: String,
}

fn is_zero_u16(v: &u16) -> bool {
    *v == 0
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct SummaryHostConfig {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub network_mode: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct SummaryNetworkSettings {
    #[serde(default)]
    pub networks: BTreeMap<String, EndpointSettings>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct HealthSummary {
    pub status: String,
    pub failing_streak: i64,
}

/// One row of `GET /containers/json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ContainerSummary {
    #[serde(rename = "Id")]
    pub id: String,
    /// With the leading slash: `["/web"]`.
    #[serde(rename = "Names", default)]
    pub names: Vec<String>,
    #[serde(rename = "Image")]
    pub image: String,
    #[serde(rename = "ImageID")]
    pub image_id: String,
    #[serde(rename = "Command")]
    pub command: String,
    #[serde(rename = "Created")]
    pub created: i64,
    #[serde(rename = "Ports", default)]
    pub ports: Vec<Port>,
    #[serde(rename = "SizeRw", default, skip_serializing_if = "Option::is_none")]
    pub size_rw: Option<i64>,
    #[serde(
        rename = "SizeRootFs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub size_root_fs: Option<i64>,
    #[serde(rename = "Labels", default)]
    pub labels: BTreeMap<String, String>,
    #[serde(rename = "State")]
    pub state: String,
    /// Human status: `Up 3 seconds`, `Exited (0) 2 minutes ago`, `Created`.
    #[serde(rename = "Status")]
    pub status: String,
    #[serde(rename = "HostConfig", default)]
    pub host_config: SummaryHostConfig,
    #[serde(rename = "Health", default, skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthSummary>,
    #[serde(rename = "NetworkSettings", default)]
    pub network_settings: SummaryNetworkSettings,
    #[serde(rename = "Mounts", default)]
    pub mounts: Vec<MountPoint>,
}

/// `POST /containers/{id}/wait` answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct WaitResponse {
    #[serde(rename = "Error", default)]
    pub error: Option<WaitExitError>,
    #[serde(rename = "StatusCode")]
    pub status_code: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct WaitExitError {
    #[serde(rename = "Message", default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// `GET /containers/{id}/changes`: `Kind` 0 = modified, 1 = added, 2 = deleted.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ChangeItem {
    #[serde(rename = "Path")]
    pub path: String,
    #[serde(rename = "Kind")]
    pub kind: u8,
}

/// `GET /containers/{id}/top`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TopResponse {
    #[serde(rename = "Processes", default)]
    pub processes: Vec<Vec<String>>,
    #[serde(rename = "Titles", default)]
    pub titles: Vec<String>,
}

/// `POST /containers/{id}/update` answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UpdateResponse {
    #[serde(rename = "Warnings", default, deserialize_with = "nullable")]
    pub warnings: Vec<String>,
}

/// `POST /containers/prune` answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ContainersPruneReport {
    #[serde(
        rename = "ContainersDeleted",
        default,
        deserialize_with = "nullable",
        serialize_with = "null_if_empty"
    )]
    pub containers_deleted: Vec<String>,
    #[serde(rename = "SpaceReclaimed")]
    pub space_reclaimed: u64,
}

/// `HEAD /containers/{id}/archive`: base64 of this JSON in the
/// `X-Docker-Container-Path-Stat` header.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PathStat {
    pub name: String,
    pub size: i64,
    /// Go's `os.FileMode` bits (type bits in Go's layout, not `st_mode`'s).
    pub mode: u32,
    pub mtime: String,
    #[serde(rename = "linkTarget")]
    pub link_target: String,
}

/// Go `os.FileMode` type bits, as `PathStat.mode` carries them.
pub mod file_mode {
    pub const DIR: u32 = 1 << 31;
    pub const SYMLINK: u32 = 1 << 27;
    pub const DEVICE: u32 = 1 << 26;
    pub const NAMED_PIPE: u32 = 1 << 25;
    pub const SOCKET: u32 = 1 << 24;
    pub const SETUID: u32 = 1 << 23;
    pub const SETGID: u32 = 1 << 22;
    pub const CHAR_DEVICE: u32 = 1 << 21;
    pub const STICKY: u32 = 1 << 20;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_request_reads_config_beside_host_config() {
        let r: CreateRequest = serde_json::from_str(
            r#"{"Image":"busybox","Cmd":["true"],"Tty":true,"HostConfig":{"NetworkMode":"none","AutoRemove":true},"NetworkingConfig":{"EndpointsConfig":{}}}"#,
        )
        .unwrap();
        assert_eq!(r.config.image, "busybox");
        assert!(r.config.tty);
        let h = r.host_config.unwrap();
        assert_eq!(h.network_mode, "none");
        assert!(h.auto_remove);
    }

    #[test]
    fn wait_and_prune_answers_encode_like_dockerd() {
        assert_eq!(
            serde_json::to_string(&WaitResponse::default()).unwrap(),
            r#"{"Error":null,"StatusCode":0}"#
        );
        assert_eq!(
            serde_json::to_string(&ContainersPruneReport::default()).unwrap(),
            r#"{"ContainersDeleted":null,"SpaceReclaimed":0}"#
        );
        assert_eq!(
            serde_json::to_string(&CreateResponse {
                id: "x".into(),
                warnings: vec![]
            })
            .unwrap(),
            r#"{"Id":"x","Warnings":[]}"#
        );
    }

    #[test]
    fn state_omits_health_without_a_healthcheck() {
        let s = ContainerState {
            status: "created".into(),
            started_at: "0001-01-01T00:00:00Z".into(),
            finished_at: "0001-01-01T00:00:00Z".into(),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"Status":"created","Running":false,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":0,"ExitCode":0,"Error":"","StartedAt":"0001-01-01T00:00:00Z","FinishedAt":"0001-01-01T00:00:00Z"}"#
        );
    }

    #[test]
    fn mount_points_omit_empty_type_name_and_driver() {
        let m = MountPoint {
            source: "/a".into(),
            destination: "/b".into(),
            rw: true,
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"Source":"/a","Destination":"/b","Mode":"","RW":true,"Propagation":""}"#
        );
    }
}
