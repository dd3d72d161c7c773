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
    /// Processes the kernel's OOM killer ended in this cgroup (v1 `memory.oom_control`, v2
    /// `memory.events`), where the kernel counts them.
    #[serde(default)]
    pub oom_kills: Option<u64>,
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

/// Linux reports /proc/stat and cpuacct.stat in USER_HZ ticks, fixed at 100 by the ABI.
pub(crate) const NANOS_PER_TICK: u64 = 1_000_000_000 / 100;

/// Host-wide busy+idle cpu time in ns (first 7 fields of the `cpu` line, as dockerd
/// sums them) and the number of online cpus, from /proc/stat.
pub(crate) fn host_cpu() -> (u64, u32) {
    let Ok(text) = std::fs::read_to_string("/proc/stat") else {
        return (0, 0);
    };
    let mut system = 0;
    let mut online = 0;
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        match fields.next() {
            Some("cpu") => {
                let ticks: u64 = fields.take(7).filter_map(|f| f.parse::<u64>().ok()).sum();
                system = ticks * NANOS_PER_TICK;
            }
            Some(name) if name.starts_with("cpu") => online += 1,
            _ => {}
        }
    }
    (system, online)
}

/// Parse blkio / io lines of the form `maj:min Op value` (v1; `Total n` lines skipped).
pub(crate) fn parse_blkio_v1(text: &str) -> Vec<BlkioEntry> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let (dev, op, value) = (f.next()?, f.next()?, f.next()?);
            let (major, minor) = dev.split_once(':')?;
            Some(BlkioEntry {
                major: major.parse().ok()?,
                minor: minor.parse().ok()?,
                op: op.to_string(),
                value: value.parse().ok()?,
            })
        })
        .collect()
}

/// Parse v2 `io.stat` (`maj:min rbytes=.. wbytes=.. rios=.. wios=..`) into Docker's
/// v1-shaped (bytes, ios) entry lists.
pub(crate) fn parse_io_stat_v2(text: &str) -> (Vec<BlkioEntry>, Vec<BlkioEntry>) {
    let (mut bytes, mut ios) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let Some((major, minor)) = f.next().and_then(|d| d.split_once(':')) else {
            continue;
        };
        let (Ok(major), Ok(minor)) = (major.parse(), minor.parse()) else {
            continue;
        };
        for kv in f {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            let Ok(value) = v.parse() else { continue };
            let (list, op) = match k {
                "rbytes" => (&mut bytes, "Read"),
                "wbytes" => (&mut bytes, "Write"),
                "rios" => (&mut ios, "Read"),
                "wios" => (&mut ios, "Write"),
                _ => continue,
            };
            list.push(BlkioEntry {
                major,
                minor,
                op: op.to_string(),
                value,
            });
        }
    }
    (bytes, ios)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blkio_parsers() {
        let v1 = parse_blkio_v1("8:0 Read 4096\n8:0 Write 0\nTotal 4096\n");
        assert_eq!(v1.len(), 2);
        assert_eq!(
            (v1[0].major, v1[0].op.as_str(), v1[0].value),
            (8, "Read", 4096)
        );
        let (b, i) = parse_io_stat_v2("8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
        assert_eq!(b.iter().map(|e| e.value).collect::<Vec<_>>(), [10, 20]);
        assert_eq!(
            i.iter().map(|e| e.op.as_str()).collect::<Vec<_>>(),
            ["Read", "Write"]
        );
    }

    #[test]
    fn host_cpu_reads_proc() {
        let (system, online) = host_cpu();
        assert!(system > 0 && online > 0);
    }
}
