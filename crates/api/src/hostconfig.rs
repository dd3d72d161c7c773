//! `HostConfig` (Go's `container.HostConfig`): how a container is run on the host. Field order
//! and presence follow dockerd's JSON. Lists are `Option<Vec<_>>` so a client's `null` and
//! `[]` come back from inspect as they were sent, as dockerd does.
//!
//! wharf extension: [`HostConfig::health_on_failure`] (`HealthOnFailure`, omitted when empty)
//! is what `--health-on-failure=none|kill|restart|stop` sets; clients that cannot send it (the
//! docker CLI) may use the label [`HEALTH_ON_FAILURE_LABEL`] instead. The field wins when both
//! are set.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Label read when `HostConfig.HealthOnFailure` is empty: `--label wharf.health-on-failure=kill`.
pub const HEALTH_ON_FAILURE_LABEL: &str = "wharf.health-on-failure";

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct HostConfig {
    #[serde(default)]
    pub binds: Option<Vec<String>>,
    #[serde(rename = "ContainerIDFile", default)]
    pub container_id_file: String,
    #[serde(default)]
    pub log_config: LogConfig,
    #[serde(default)]
    pub network_mode: String,
    #[serde(default)]
    pub port_bindings: Option<PortMap>,
    #[serde(default)]
    pub restart_policy: RestartPolicy,
    #[serde(default)]
    pub auto_remove: bool,
    #[serde(default)]
    pub volume_driver: String,
    #[serde(default)]
    pub volumes_from: Option<Vec<String>>,
    /// `[height, width]`.
    #[serde(default, deserialize_with = "crate::nullable")]
    pub console_size: [u64; 2],
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub cap_add: Option<Vec<String>>,
    #[serde(default)]
    pub cap_drop: Option<Vec<String>>,
    #[serde(default)]
    pub cgroupns_mode: String,
    #[serde(default)]
    pub dns: Option<Vec<String>>,
    #[serde(default)]
    pub dns_options: Option<Vec<String>>,
    #[serde(default)]
    pub dns_search: Option<Vec<String>>,
    #[serde(default)]
    pub extra_hosts: Option<Vec<String>>,
    #[serde(default)]
    pub group_add: Option<Vec<String>>,
    #[serde(default)]
    pub ipc_mode: String,
    #[serde(default)]
    pub cgroup: String,
    #[serde(default)]
    pub links: Option<Vec<String>>,
    #[serde(default)]
    pub oom_score_adj: i64,
    #[serde(default)]
    pub pid_mode: String,
    #[serde(default)]
    pub privileged: bool,
    #[serde(default)]
    pub publish_all_ports: bool,
    #[serde(default)]
    pub readonly_rootfs: bool,
    #[serde(default)]
    pub security_opt: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_opt: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmpfs: Option<BTreeMap<String, String>>,
    #[serde(rename = "UTSMode", default)]
    pub uts_mode: String,
    #[serde(default)]
    pub userns_mode: String,
    #[serde(default)]
    pub shm_size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysctls: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub runtime: String,
    #[serde(default)]
    pub isolation: String,
    #[serde(flatten)]
    pub resources: Resources,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mounts: Option<Vec<Mount>>,
    #[serde(default)]
    pub masked_paths: Option<Vec<String>>,
    #[serde(default)]
    pub readonly_paths: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    /// wharf extension: `none` (default), `kill`, `restart` or `stop`: what the engine does
    /// when the container turns unhealthy.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub health_on_failure: String,
}

/// Port bindings: `"80/tcp" -> [{"HostIp": "", "HostPort": "8080"}]`.
pub type PortMap = BTreeMap<String, Option<Vec<PortBinding>>>;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct PortBinding {
    #[serde(default)]
    pub host_ip: String,
    #[serde(default)]
    pub host_port: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct LogConfig {
    #[serde(rename = "Type", default)]
    pub kind: String,
    #[serde(default, deserialize_with = "crate::nullable")]
    pub config: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct RestartPolicy {
    /// `""`, `no`, `always`, `on-failure`, `unless-stopped`.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub maximum_retry_count: i64,
}

impl RestartPolicy {
    pub fn is_none(&self) -> bool {
        self.name.is_empty() || self.name == "no"
    }

    /// dockerd's validation and messages.
    pub fn validate(&self) -> Result<(), String> {
        match self.name.as_str() {
            "always" | "unless-stopped" | "no" => {
                if self.maximum_retry_count != 0 {
                    let mut m = "invalid restart policy: maximum retry count can only be used with 'on-failure'".to_string();
                    if self.maximum_retry_count < 0 {
                        m.push_str(" and cannot be negative");
                    }
                    return Err(m);
                }
                Ok(())
            }
            "on-failure" if self.maximum_retry_count < 0 => {
                Err("invalid restart policy: maximum retry count cannot be negative".to_string())
            }
            "on-failure" | "" => Ok(()),
            other => Err(format!(
                "invalid restart policy: unknown policy '{other}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"
            )),
        }
    }
}

/// Go's `container.Resources`, flattened into `HostConfig` and `UpdateConfig`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Resources {
    #[serde(rename = "CpuShares", default)]
    pub cpu_shares: i64,
    #[serde(rename = "Memory", default)]
    pub memory: i64,
    #[serde(rename = "NanoCpus", default)]
    pub nano_cpus: i64,
    #[serde(rename = "CgroupParent", default)]
    pub cgroup_parent: String,
    #[serde(rename = "BlkioWeight", default)]
    pub blkio_weight: u16,
    #[serde(rename = "BlkioWeightDevice", default)]
    pub blkio_weight_device: Option<Vec<serde_json::Value>>,
    #[serde(rename = "BlkioDeviceReadBps", default)]
    pub blkio_device_read_bps: Option<Vec<serde_json::Value>>,
    #[serde(rename = "BlkioDeviceWriteBps", default)]
    pub blkio_device_write_bps: Option<Vec<serde_json::Value>>,
    #[serde(rename = "BlkioDeviceReadIOps", default)]
    pub blkio_device_read_iops: Option<Vec<serde_json::Value>>,
    #[serde(rename = "BlkioDeviceWriteIOps", default)]
    pub blkio_device_write_iops: Option<Vec<serde_json::Value>>,
    #[serde(rename = "CpuPeriod", default)]
    pub cpu_period: i64,
    #[serde(rename = "CpuQuota", default)]
    pub cpu_quota: i64,
    #[serde(rename = "CpuRealtimePeriod", default)]
    pub cpu_realtime_period: i64,
    #[serde(rename = "CpuRealtimeRuntime", default)]
    pub cpu_realtime_runtime: i64,
    #[serde(rename = "CpusetCpus", default)]
    pub cpuset_cpus: String,
    #[serde(rename = "CpusetMems", default)]
    pub cpuset_mems: String,
    #[serde(rename = "Devices", default)]
    pub devices: Option<Vec<DeviceMapping>>,
    #[serde(rename = "DeviceCgroupRules", default)]
    pub device_cgroup_rules: Option<Vec<String>>,
    #[serde(rename = "DeviceRequests", default)]
    pub device_requests: Option<Vec<serde_json::Value>>,
    #[serde(rename = "MemoryReservation", default)]
    pub memory_reservation: i64,
    #[serde(rename = "MemorySwap", default)]
    pub memory_swap: i64,
    #[serde(rename = "MemorySwappiness", default)]
    pub memory_swappiness: Option<i64>,
    #[serde(rename = "OomKillDisable", default)]
    pub oom_kill_disable: Option<bool>,
    #[serde(rename = "PidsLimit", default)]
    pub pids_limit: Option<i64>,
    #[serde(rename = "Ulimits", default)]
    pub ulimits: Option<Vec<Ulimit>>,
    #[serde(rename = "CpuCount", default)]
    pub cpu_count: i64,
    #[serde(rename = "CpuPercent", default)]
    pub cpu_percent: i64,
    #[serde(rename = "IOMaximumIOps", default)]
    pub io_maximum_iops: u64,
    #[serde(rename = "IOMaximumBandwidth", default)]
    pub io_maximum_bandwidth: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct DeviceMapping {
    #[serde(default)]
    pub path_on_host: String,
    #[serde(default)]
    pub path_in_container: String,
    #[serde(default)]
    pub cgroup_permissions: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Ulimit {
    pub name: String,
    pub hard: i64,
    pub soft: i64,
}

/// `POST /containers/{id}/update`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UpdateConfig {
    #[serde(flatten)]
    pub resources: Resources,
    #[serde(rename = "RestartPolicy", default)]
    pub restart_policy: RestartPolicy,
}

/// `--mount` (Go's `mount.Mount`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Mount {
    /// `bind`, `volume`, `tmpfs` (`npipe`, `cluster`, `image` are refused).
    #[serde(rename = "Type", default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub consistency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_options: Option<BindOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_options: Option<VolumeOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_options: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmpfs_options: Option<TmpfsOptions>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct BindOptions {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub propagation: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub non_recursive: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_mountpoint: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only_non_recursive: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only_force_recursive: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeOptions {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_copy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subpath: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_config: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct TmpfsOptions {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub size_bytes: i64,
    /// Go's `os.FileMode` as a number.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub mode: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<Vec<String>>>,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_policies_are_validated_with_dockerds_messages() {
        let p = |n: &str, c| RestartPolicy {
            name: n.into(),
            maximum_retry_count: c,
        };
        assert!(p("on-failure", 3).validate().is_ok());
        assert!(p("", 0).validate().is_ok());
        assert_eq!(
            p("always", 2).validate().unwrap_err(),
            "invalid restart policy: maximum retry count can only be used with 'on-failure'"
        );
        assert_eq!(
            p("sometimes", 0).validate().unwrap_err(),
            "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"
        );
    }

    #[test]
    fn host_config_round_trips_null_and_empty_lists() {
        let json = r#"{"Binds":null,"Dns":[],"Memory":5,"RestartPolicy":{"Name":"always","MaximumRetryCount":0},"ConsoleSize":[24,80]}"#;
        let h: HostConfig = serde_json::from_str(json).unwrap();
        assert_eq!(h.dns, Some(vec![]));
        assert_eq!(h.binds, None);
        assert_eq!(h.resources.memory, 5);
        assert_eq!(h.console_size, [24, 80]);
        let out = serde_json::to_string(&h).unwrap();
        assert!(out.starts_with(r#"{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"""#));
        assert!(out.contains(r#""Dns":[],"DnsOptions":null"#));
        assert!(out.contains(r#""Isolation":"","CpuShares":0,"Memory":5,"NanoCpus":0"#));
        assert!(!out.contains("HealthOnFailure") && !out.contains("\"Init\""));
    }

    #[test]
    fn update_config_reads_flattened_resources() {
        let u: UpdateConfig =
            serde_json::from_str(r#"{"Memory":1048576,"RestartPolicy":{"Name":"always"}}"#)
                .unwrap();
        assert_eq!(u.resources.memory, 1 << 20);
        assert_eq!(u.restart_policy.name, "always");
    }
}
