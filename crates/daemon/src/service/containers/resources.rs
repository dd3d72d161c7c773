//! `stats`, `top` and `update`: read and change the container's cgroup.

use std::sync::Arc;

use wharf_api::container::{TopResponse, UpdateResponse};
use wharf_api::hostconfig::UpdateConfig;
use wharf_api::stats::{
    BlkioStatEntry, BlkioStats, CpuStats, CpuUsage, MemoryStats, NetworkStats, PidsStats,
    StatsResponse, ThrottlingData,
};
use wharf_cgroups::Cgroup;

use super::Ctr;
use super::record::ContainerRecord;
use crate::engine::Engine;
use crate::error::ApiError;

pub const ZERO_TIME: &str = super::record::ZERO_TIME;

/// The container's cgroup path, as the spec names it.
pub fn cgroup_path(rec: &ContainerRecord) -> String {
    let parent = &rec.host_config.resources.cgroup_parent;
    if parent.is_empty() {
        format!("/wharf/{}", rec.id)
    } else {
        format!("{}/{}", parent.trim_end_matches('/'), rec.id)
    }
}

fn cpu(s: &wharf_cgroups::CpuStats) -> CpuStats {
    CpuStats {
        cpu_usage: CpuUsage {
            total_usage: s.total_usage,
            percpu_usage: (!s.percpu_usage.is_empty()).then(|| s.percpu_usage.clone()),
            usage_in_kernelmode: s.usage_in_kernelmode,
            usage_in_usermode: s.usage_in_usermode,
        },
        system_cpu_usage: s.system_cpu_usage,
        online_cpus: s.online_cpus,
        throttling_data: ThrottlingData {
            periods: s.throttling.periods,
            throttled_periods: s.throttling.throttled_periods,
            throttled_time: s.throttling.throttled_time,
        },
    }
}

fn blkio(v: &[wharf_cgroups::BlkioEntry]) -> Option<Vec<BlkioStatEntry>> {
    Some(
        v.iter()
            .map(|b| BlkioStatEntry {
                major: b.major,
                minor: b.minor,
                op: b.op.clone(),
                value: b.value,
            })
            .collect(),
    )
}

/// One sample; `pre` is the previous one (for the cpu percentage) if any.
pub fn sample(e: &Engine, c: &Ctr, pre: Option<&StatsResponse>) -> StatsResponse {
    let rec = c.rec();
    let now = wharf_units::Timestamp::now().to_rfc3339_nano();
    let mut out = StatsResponse {
        read: now,
        preread: pre
            .map(|p| p.read.clone())
            .unwrap_or_else(|| ZERO_TIME.into()),
        name: rec.name.clone(),
        id: rec.id.clone(),
        precpu_stats: pre.map(|p| p.cpu_stats.clone()).unwrap_or_default(),
        ..Default::default()
    };
    let _ = e;
    if !rec.state.status.is_alive() {
        out.read = ZERO_TIME.into();
        return out;
    }
    let Ok(cg) = Cgroup::open(&cgroup_path(&rec)) else {
        return out;
    };
    let Ok(s) = cg.stats() else {
        return out;
    };
    let v1 = !s.cpu.percpu_usage.is_empty();
    out.pids_stats = PidsStats {
        current: s.pids.current,
        limit: s.pids.limit.unwrap_or(0),
    };
    out.blkio_stats = BlkioStats {
        io_service_bytes_recursive: blkio(&s.blkio.io_service_bytes_recursive),
        io_serviced_recursive: blkio(&s.blkio.io_serviced_recursive),
        io_queue_recursive: v1.then(Vec::new),
        io_service_time_recursive: v1.then(Vec::new),
        io_wait_time_recursive: v1.then(Vec::new),
        io_merged_recursive: v1.then(Vec::new),
        io_time_recursive: v1.then(Vec::new),
        sectors_recursive: v1.then(Vec::new),
    };
    out.cpu_stats = cpu(&s.cpu);
    out.memory_stats = MemoryStats {
        usage: s.memory.usage,
        max_usage: s.memory.max_usage.unwrap_or(0),
        stats: s.memory.stats.clone(),
        failcnt: s.memory.failcnt.unwrap_or(0),
        limit: s.memory.limit.unwrap_or(e.host.mem_total as u64),
    };
    let own_netns = !(rec.host_config.network_mode == "host"
        || rec.host_config.network_mode.starts_with("container:"));
    if own_netns
        && let Ok(dev) = std::fs::read_to_string(format!("/proc/{}/net/dev", rec.state.pid))
    {
        out.networks = Some(net_dev(&dev)).filter(|n| !n.is_empty());
    }
    out
}

/// The interfaces of a `/proc/<pid>/net/dev` (loopback left out, as dockerd does).
fn net_dev(text: &str) -> std::collections::BTreeMap<String, NetworkStats> {
    text.lines()
        .skip(2)
        .filter_map(|l| {
            let (name, counters) = l.split_once(':')?;
            let name = name.trim();
            let v: Vec<u64> = counters
                .split_whitespace()
                .map(|x| x.parse().unwrap_or(0))
                .collect();
            (name != "lo" && v.len() >= 12).then(|| {
                let s = NetworkStats {
                    rx_bytes: v[0],
                    rx_packets: v[1],
                    rx_errors: v[2],
                    rx_dropped: v[3],
                    tx_bytes: v[8],
                    tx_packets: v[9],
                    tx_errors: v[10],
                    tx_dropped: v[11],
                };
                (name.to_string(), s)
            })
        })
        .collect()
}

/// `GET /containers/{id}/top?ps_args=`: `ps` on the host, rows of the container's processes.
pub fn top(c: &Ctr, ps_args: &str) -> Result<TopResponse, ApiError> {
    let rec = c.rec();
    if !rec.state.status.is_alive() {
        return Err(ApiError::conflict(format!(
            "Container {} is not running",
            rec.id
        )));
    }
    let pids: Vec<u32> = Cgroup::open(&cgroup_path(&rec))
        .and_then(|cg| cg.pids())
        .unwrap_or_else(|_| vec![rec.state.pid]);
    let args: Vec<&str> = if ps_args.is_empty() {
        vec!["-ef"]
    } else {
        ps_args.split_whitespace().collect()
    };
    let out = std::process::Command::new("ps")
        .args(&args)
        .output()
        .map_err(|err| ApiError::internal(format!("running ps: {err}")))?;
    if !out.status.success() {
        return Err(ApiError::internal(format!(
            "ps: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    parse_ps(&String::from_utf8_lossy(&out.stdout), &pids)
}

/// dockerd's parsing: the header names the columns, `PID` finds the pid column, the last
/// column takes the rest of the line.
pub fn parse_ps(text: &str, pids: &[u32]) -> Result<TopResponse, ApiError> {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("");
    let titles: Vec<String> = header.split_whitespace().map(str::to_string).collect();
    let pid_col = titles
        .iter()
        .position(|t| t == "PID")
        .ok_or_else(|| ApiError::internal("Couldn't find PID field in ps output"))?;
    let mut processes = Vec::new();
    for line in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Some(pid) = fields.get(pid_col).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !pids.contains(&pid) {
            continue;
        }
        let n = titles.len();
        let mut row: Vec<String> = fields.iter().take(n - 1).map(|s| s.to_string()).collect();
        row.push(fields.get(n - 1..).map(|r| r.join(" ")).unwrap_or_default());
        processes.push(row);
    }
    Ok(TopResponse { processes, titles })
}

/// `POST /containers/{id}/update`.
pub fn update(e: &Engine, c: &Arc<Ctr>, u: UpdateConfig) -> Result<UpdateResponse, ApiError> {
    let mut rec = c.rec();
    if !u.restart_policy.name.is_empty() {
        u.restart_policy.validate().map_err(ApiError::bad_request)?;
        if rec.host_config.auto_remove && !u.restart_policy.is_none() {
            return Err(ApiError::bad_request(
                "Restart policy cannot be updated because AutoRemove is enabled for the container",
            ));
        }
        rec.host_config.restart_policy = u.restart_policy.clone();
    }
    let r = &u.resources;
    let hr = &mut rec.host_config.resources;
    if r.memory != 0 {
        if r.memory < 6 * 1024 * 1024 {
            return Err(ApiError::bad_request("Minimum memory limit allowed is 6MB"));
        }
        hr.memory = r.memory;
    }
    if r.memory_swap != 0 {
        hr.memory_swap = r.memory_swap;
    }
    if r.memory_reservation != 0 {
        hr.memory_reservation = r.memory_reservation;
    }
    if r.cpu_shares != 0 {
        hr.cpu_shares = r.cpu_shares;
    }
    if r.nano_cpus != 0 {
        hr.nano_cpus = r.nano_cpus;
    }
    if r.cpu_period != 0 {
        hr.cpu_period = r.cpu_period;
    }
    if r.cpu_quota != 0 {
        hr.cpu_quota = r.cpu_quota;
    }
    if !r.cpuset_cpus.is_empty() {
        hr.cpuset_cpus = r.cpuset_cpus.clone();
    }
    if !r.cpuset_mems.is_empty() {
        hr.cpuset_mems = r.cpuset_mems.clone();
    }
    if r.pids_limit.is_some() {
        hr.pids_limit = r.pids_limit;
    }
    if r.blkio_weight != 0 {
        hr.blkio_weight = r.blkio_weight;
    }
    if hr.memory > 0 && hr.memory_swap > 0 && hr.memory_swap < hr.memory {
        return Err(ApiError::bad_request(format!(
            "Cannot update container {}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time",
            rec.id
        )));
    }
    if rec.state.status.is_alive() {
        let res = super::spec::resources(&rec.host_config);
        Cgroup::open(&cgroup_path(&rec))
            .and_then(|cg| cg.update(&res))
            .map_err(|err| {
                ApiError::internal(format!("Cannot update container {}: {err}", rec.id))
            })?;
    }
    let (hc, id) = (rec.host_config.clone(), rec.id.clone());
    c.lock().host_config = hc;
    e.containers.save(c)?;
    let _ = id;
    Ok(UpdateResponse {
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn net_dev_counters_per_interface_without_loopback() {
        let text = "Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0
  eth0:    1296      16    1    2    0     0          0         0     1086      13    3    4    0     0       0          0
";
        let m = net_dev(text);
        assert_eq!(m.len(), 1);
        let e = &m["eth0"];
        assert_eq!(
            (e.rx_bytes, e.rx_packets, e.rx_errors, e.rx_dropped),
            (1296, 16, 1, 2)
        );
        assert_eq!(
            (e.tx_bytes, e.tx_packets, e.tx_errors, e.tx_dropped),
            (1086, 13, 3, 4)
        );
    }

    use super::*;

    #[test]
    fn ps_output_is_filtered_by_pid_and_keeps_the_command_whole() {
        let text = "UID PID PPID C STIME TTY TIME CMD\nroot 10 1 0 10:00 ? 00:00:00 sleep 1000\nroot 11 1 0 10:00 ? 00:00:00 other thing\n";
        let t = parse_ps(text, &[10]).unwrap();
        assert_eq!(t.titles.len(), 8);
        assert_eq!(
            t.processes,
            vec![vec![
                "root",
                "10",
                "1",
                "0",
                "10:00",
                "?",
                "00:00:00",
                "sleep 1000"
            ]]
        );
    }
}
