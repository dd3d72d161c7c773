//! `GET /containers/{id}/stats`: dockerd's `StatsJSON` (cgroup v1 and v2 fields).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PidsStats {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub current: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub limit: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BlkioStatEntry {
    pub major: u64,
    pub minor: u64,
    pub op: String,
    pub value: u64,
}

/// Lists are `null` on cgroup v2 (only `io_service_bytes_recursive` and `io_serviced_recursive`
/// are filled) and `[]` when empty on v1, as dockerd writes them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BlkioStats {
    pub io_service_bytes_recursive: Option<Vec<BlkioStatEntry>>,
    pub io_serviced_recursive: Option<Vec<BlkioStatEntry>>,
    pub io_queue_recursive: Option<Vec<BlkioStatEntry>>,
    pub io_service_time_recursive: Option<Vec<BlkioStatEntry>>,
    pub io_wait_time_recursive: Option<Vec<BlkioStatEntry>>,
    pub io_merged_recursive: Option<Vec<BlkioStatEntry>>,
    pub io_time_recursive: Option<Vec<BlkioStatEntry>>,
    pub sectors_recursive: Option<Vec<BlkioStatEntry>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CpuUsage {
    pub total_usage: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percpu_usage: Option<Vec<u64>>,
    pub usage_in_kernelmode: u64,
    pub usage_in_usermode: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ThrottlingData {
    pub periods: u64,
    pub throttled_periods: u64,
    pub throttled_time: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CpuStats {
    pub cpu_usage: CpuUsage,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub system_cpu_usage: u64,
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub online_cpus: u32,
    pub throttling_data: ThrottlingData,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MemoryStats {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub usage: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_usage: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stats: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failcnt: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub limit: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NetworkStats {
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errors: u64,
    pub rx_dropped: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errors: u64,
    pub tx_dropped: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct StorageStats {}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct StatsResponse {
    /// RFC 3339 times of this sample and the previous one (`0001-01-01T00:00:00Z` if none).
    pub read: String,
    pub preread: String,
    pub pids_stats: PidsStats,
    pub blkio_stats: BlkioStats,
    pub num_procs: u32,
    pub storage_stats: StorageStats,
    pub cpu_stats: CpuStats,
    pub precpu_stats: CpuStats,
    pub memory_stats: MemoryStats,
    pub name: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networks: Option<BTreeMap<String, NetworkStats>>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_dockerd_v1_sample() {
        let s = r#"{"read":"2026-11-23T19:11:48.120764589Z","preread":"2026-11-23T19:11:47.115584182Z","pids_stats":{"current":2},"blkio_stats":{"io_service_bytes_recursive":[],"io_serviced_recursive":[],"io_queue_recursive":[],"io_service_time_recursive":[],"io_wait_time_recursive":[],"io_merged_recursive":[],"io_time_recursive":[],"sectors_recursive":[]},"num_procs":0,"storage_stats":{},"cpu_stats":{"cpu_usage":{"total_usage":62309330,"percpu_usage":[26900349,35408981],"usage_in_kernelmode":10000000,"usage_in_usermode":40000000},"system_cpu_usage":5071710000000,"online_cpus":2,"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"precpu_stats":{"cpu_usage":{"total_usage":62309330,"percpu_usage":[26900349,35408981],"usage_in_kernelmode":10000000,"usage_in_usermode":40000000},"system_cpu_usage":5069710000000,"online_cpus":2,"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"memory_stats":{"usage":794624,"max_usage":3563520,"stats":{"active_anon":8192,"cache":0},"limit":25276063744},"name":"/t1","id":"d50e"}"#;
        let v: StatsResponse = serde_json::from_str(s).unwrap();
        assert_eq!(v.pids_stats.current, 2);
        assert_eq!(v.memory_stats.limit, 25276063744);
        let again = serde_json::to_string(&v).unwrap();
        assert!(again.contains(r#""blkio_stats":{"io_service_bytes_recursive":[],"#));
        assert!(again.contains(
            r#""cpu_stats":{"cpu_usage":{"total_usage":62309330,"percpu_usage":[26900349,35408981]"#
        ));
    }
}
