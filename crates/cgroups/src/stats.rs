//! Usage numbers for `docker stats`, in the units the Engine API reports.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One snapshot of a cgroup's accounting.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub memory: MemoryStats,
    pub cpu: CpuStats,
    pub pids: PidsStats,
    pub blkio: BlkioStats,
}

/// Bytes. `limit` is `None` when unlimited.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryStats {
    pub usage: u64,
    pub max_usage: Option<u64>,
    pub limit: Option<u64>,
    /// Page cache (v1 `total_cache`, v2 `file`).
    pub cache: u64,
    pub failcnt: Option<u64>,
    /// The raw `memory.stat` key/values.
    pub stats: BTreeMap<String, u64>,
}

/// Nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuStats {
    pub total_usage: u64,
    /// Empty on cgroup v2 (the kernel does not account per cpu there).
    pub percpu_usage: Vec<u64>,
    pub usage_in_usermode: u64,
    pub usage_in_kernelmode: u64,
    /// Host-wide cpu time from /proc/stat, for Docker's cpu percentage.
    pub system_cpu_usage: u64,
    pub online_cpus: u32,
    pub throttling: ThrottlingStats,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThrottlingStats {
    pub periods: u64,
    pub throttled_periods: u64,
    /// Nanoseconds.
    pub throttled_time: u64,
}

/// `limit` is `None` when unlimited.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PidsStats {
    pub current: u64,
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BlkioStats {
    pub io_service_bytes_recursive: Vec<BlkioEntry>,
    pub io_serviced_recursive: Vec<BlkioEntry>,
}

/// One `major:minor op value` line; `op` is `Read`, `Write`, `Sync`, `Async`, `Discard` or `Total`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlkioEntry {
    pub major: u64,
    pub minor: u64,
    pub op: String,
    pub value: u64,
}
