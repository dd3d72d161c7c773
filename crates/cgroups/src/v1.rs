//! cgroup v1: one directory per mounted hierarchy (plus the controller-less v2 tree in
//! hybrid mode, which is only joined, as runc does).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::devices::DeviceRule;
use crate::fsutil::{self, read_kv, read_opt, read_u64, set};
use crate::stats::{NANOS_PER_TICK, host_cpu, parse_blkio_v1};
use crate::{CgroupError, Hierarchy, LinuxResources, Mode, Stats};

/// v1 reports "unlimited" as PAGE_COUNTER_MAX pages; anything this large is unlimited.
const V1_UNLIMITED: u64 = 0x7fff_ffff_ffff_f000 / 2;

#[derive(Debug)]
struct Dir {
    /// Empty for the hybrid unified tree.
    controllers: Vec<String>,
    path: PathBuf,
}

#[derive(Debug)]
pub(crate) struct V1Cgroup {
    dirs: Vec<Dir>,
}

impl V1Cgroup {
    fn layout(h: &Hierarchy, rel: &Path) -> V1Cgroup {
        let mut dirs: Vec<Dir> =
            h.v1.iter()
                .map(|m| Dir {
                    controllers: m.controllers.clone(),
                    path: m.mount_point.join(rel),
                })
                .collect();
        if h.mode == Mode::Hybrid
            && let Some(root) = &h.unified
        {
            dirs.push(Dir {
                controllers: Vec::new(),
                path: root.join(rel),
            });
        }
        V1Cgroup { dirs }
    }

    /// mkdir under every hierarchy; new cpuset levels get their parent's cpus/mems.
    pub(crate) fn create(h: &Hierarchy, rel: &Path) -> Result<V1Cgroup, CgroupError> {
        let cg = Self::layout(h, rel);
        for m in &h.v1 {
            let cpuset = m.controllers.iter().any(|c| c == "cpuset");
            let mut dir = m.mount_point.clone();
            for part in rel.components() {
                dir.push(part);
                if !dir.exists() {
                    fsutil::mkdir_all(&dir)?;
                }
                if cpuset {
                    inherit_cpuset(&dir)?;
                }
            }
        }
        if let Some(d) = cg.dirs.iter().find(|d| d.controllers.is_empty()) {
            fsutil::mkdir_all(&d.path)?;
        }
        Ok(cg)
    }

    /// Adopt an existing cgroup: it must exist in at least one hierarchy.
    pub(crate) fn open(h: &Hierarchy, rel: &Path) -> Option<V1Cgroup> {
        let cg = Self::layout(h, rel);
        cg.dirs.iter().any(|d| d.path.is_dir()).then_some(cg)
    }

    fn dir(&self, controller: &str) -> Option<&Path> {
        self.dirs
            .iter()
            .find(|d| d.controllers.iter().any(|c| c == controller))
            .map(|d| d.path.as_path())
    }

    fn need(&self, controller: &str, resource: &'static str) -> Result<&Path, CgroupError> {
        self.dir(controller)
            .ok_or_else(|| CgroupError::ControllerMissing {
                controller: controller.to_string(),
                resource,
            })
    }

    /// Some directory that lists the cgroup's processes.
    fn procs_dir(&self) -> Option<&Path> {
        ["pids", "freezer", "memory", "cpu"]
            .iter()
            .find_map(|c| self.dir(c))
            .or_else(|| self.dirs.first().map(|d| d.path.as_path()))
    }

    pub(crate) fn add_process(&self, pid: u32) -> Result<(), CgroupError> {
        for d in &self.dirs {
            fsutil::write(&d.path.join("cgroup.procs"), &pid.to_string())?;
        }
        Ok(())
    }

    pub(crate) fn apply(&self, res: &LinuxResources) -> Result<(), CgroupError> {
        if !res.unified.is_empty() {
            return Err(CgroupError::InvalidResource {
                field: "unified",
                reason: "cgroup v2 files cannot be set on a cgroup v1 host".into(),
            });
        }
        self.apply_memory(res)?;
        self.apply_cpu(res)?;
        if let Some(p) = &res.pids {
            let dir = self.need("pids", "pids.limit")?;
            let v = if p.limit > 0 {
                p.limit.to_string()
            } else {
                "max".into()
            };
            set(dir, "pids.max", &v, "pids.limit")?;
        }
        self.apply_blkio(res)?;
        for hp in &res.hugepage_limits {
            let dir = self.need("hugetlb", "hugepageLimits")?;
            let file = format!("hugetlb.{}.limit_in_bytes", hp.page_size);
            set(dir, &file, &hp.limit.to_string(), "hugepageLimits")?;
        }
        if !res.devices.is_empty() {
            let rules = res
                .devices
                .iter()
                .map(DeviceRule::parse)
                .collect::<Result<Vec<_>, _>>()?;
            let dir = self.need("devices", "devices")?;
            for rule in rules {
                let (file, line) = rule.v1_line();
                set(dir, file, &line, "devices")?;
            }
        }
        Ok(())
    }

    fn apply_memory(&self, res: &LinuxResources) -> Result<(), CgroupError> {
        let Some(m) = &res.memory else { return Ok(()) };
        let wants = m.limit.is_some()
            || m.reservation.is_some()
            || m.swap.is_some()
            || m.swappiness.is_some()
            || m.disable_oom_killer.is_some();
        if !wants {
            return Ok(());
        }
        let dir = self.need("memory", "memory")?;
        let memsw = dir.join("memory.memsw.limit_in_bytes");
        let mut swap = m.swap;
        if m.limit == Some(-1) && swap.is_none() && memsw.exists() {
            swap = Some(-1);
        }
        if let Some(s) = swap
            && !memsw.exists()
        {
            // Without swap accounting, only "no extra swap" or "unlimited" can be honoured.
            if s == -1 || Some(s) == m.limit {
                swap = None;
            } else {
                return Err(CgroupError::ControllerMissing {
                    controller: "memory.memsw (swap accounting)".into(),
                    resource: "memory.swap",
                });
            }
        }
        let limit_file = "memory.limit_in_bytes";
        let write_swap = |s: i64| {
            set(
                dir,
                "memory.memsw.limit_in_bytes",
                &s.to_string(),
                "memory.swap",
            )
        };
        let write_limit = |l: i64| set(dir, limit_file, &l.to_string(), "memory.limit");
        match (m.limit, swap) {
            (Some(l), Some(s)) => {
                // memsw must stay >= limit at every step: raise memsw first when growing.
                let current = read_u64(&dir.join(limit_file))?.unwrap_or(u64::MAX);
                if s == -1 || u64::try_from(s).is_ok_and(|s| current < s) {
                    write_swap(s)?;
                    write_limit(l)?;
                } else {
                    write_limit(l)?;
                    write_swap(s)?;
                }
            }
            (Some(l), None) => write_limit(l)?,
            (None, Some(s)) => write_swap(s)?,
            (None, None) => {}
        }
        if let Some(r) = m.reservation {
            set(
                dir,
                "memory.soft_limit_in_bytes",
                &r.to_string(),
                "memory.reservation",
            )?;
        }
        if let Some(s) = m.swappiness {
            if s > 100 {
                return Err(CgroupError::InvalidResource {
                    field: "memory.swappiness",
                    reason: format!("{s} is not in 0..=100"),
                });
            }
            set(
                dir,
                "memory.swappiness",
                &s.to_string(),
                "memory.swappiness",
            )?;
        }
        if let Some(d) = m.disable_oom_killer {
            let v = if d { "1" } else { "0" };
            set(dir, "memory.oom_control", v, "memory.disableOOMKiller")?;
        }
        Ok(())
    }

    fn apply_cpu(&self, res: &LinuxResources) -> Result<(), CgroupError> {
        let Some(c) = &res.cpu else { return Ok(()) };
        let cfs = c.shares.is_some()
            || c.quota.is_some()
            || c.period.is_some()
            || c.burst.is_some()
            || c.realtime_runtime.is_some()
            || c.realtime_period.is_some()
            || c.idle.is_some();
        if cfs {
            let dir = self.need("cpu", "cpu")?;
            if let Some(s) = c.shares {
                set(dir, "cpu.shares", &s.to_string(), "cpu.shares")?;
            }
            // A new period can be rejected until the quota fits it: retry after the quota.
            let mut retry_period = false;
            if let Some(p) = c.period {
                let r = set(dir, "cpu.cfs_period_us", &p.to_string(), "cpu.period");
                match r {
                    Err(CgroupError::Io { ref source, .. })
                        if source.raw_os_error()
                            == Some(rustix::io::Errno::INVAL.raw_os_error())
                            && c.quota.is_some() =>
                    {
                        retry_period = true
                    }
                    other => other?,
                }
            }
            if let Some(q) = c.quota {
                let q = if q <= 0 { -1 } else { q };
                set(dir, "cpu.cfs_quota_us", &q.to_string(), "cpu.quota")?;
            }
            if retry_period && let Some(p) = c.period {
                set(dir, "cpu.cfs_period_us", &p.to_string(), "cpu.period")?;
            }
            if let Some(b) = c.burst {
                set(dir, "cpu.cfs_burst_us", &b.to_string(), "cpu.burst")?;
            }
            if let Some(p) = c.realtime_period {
                set(
                    dir,
                    "cpu.rt_period_us",
                    &p.to_string(),
                    "cpu.realtimePeriod",
                )?;
            }
            if let Some(r) = c.realtime_runtime {
                set(
                    dir,
                    "cpu.rt_runtime_us",
                    &r.to_string(),
                    "cpu.realtimeRuntime",
                )?;
            }
            if let Some(i) = c.idle {
                set(dir, "cpu.idle", &i.to_string(), "cpu.idle")?;
            }
        }
        if c.cpus.is_some() || c.mems.is_some() {
            let dir = self.need("cpuset", "cpu.cpus/cpu.mems")?;
            if let Some(cpus) = &c.cpus {
                set(dir, "cpuset.cpus", cpus, "cpu.cpus")?;
            }
            if let Some(mems) = &c.mems {
                set(dir, "cpuset.mems", mems, "cpu.mems")?;
            }
        }
        Ok(())
    }

    fn apply_blkio(&self, res: &LinuxResources) -> Result<(), CgroupError> {
        let Some(b) = &res.block_io else {
            return Ok(());
        };
        let any = b.weight.is_some()
            || b.leaf_weight.is_some()
            || !b.weight_device.is_empty()
            || !b.throttle_read_bps_device.is_empty()
            || !b.throttle_write_bps_device.is_empty()
            || !b.throttle_read_iops_device.is_empty()
            || !b.throttle_write_iops_device.is_empty();
        if !any {
            return Ok(());
        }
        let dir = self.need("blkio", "blockIO")?;
        // CFQ's blkio.weight is gone on modern kernels; BFQ's takes the same units.
        let cfq = dir.join("blkio.weight").exists();
        let (weight_file, weight_dev_file) = if cfq {
            ("blkio.weight", "blkio.weight_device")
        } else {
            ("blkio.bfq.weight", "blkio.bfq.weight_device")
        };
        if let Some(w) = b.weight {
            set(dir, weight_file, &w.to_string(), "blockIO.weight")?;
        }
        if let Some(w) = b.leaf_weight {
            set(
                dir,
                "blkio.leaf_weight",
                &w.to_string(),
                "blockIO.leafWeight",
            )?;
        }
        for d in &b.weight_device {
            if let Some(w) = d.weight {
                let line = format!("{}:{} {}", d.major, d.minor, w);
                set(dir, weight_dev_file, &line, "blockIO.weightDevice")?;
            }
            if let Some(w) = d.leaf_weight {
                let line = format!("{}:{} {}", d.major, d.minor, w);
                set(
                    dir,
                    "blkio.leaf_weight_device",
                    &line,
                    "blockIO.weightDevice",
                )?;
            }
        }
        let throttles = [
            (
                &b.throttle_read_bps_device,
                "blkio.throttle.read_bps_device",
            ),
            (
                &b.throttle_write_bps_device,
                "blkio.throttle.write_bps_device",
            ),
            (
                &b.throttle_read_iops_device,
                "blkio.throttle.read_iops_device",
            ),
            (
                &b.throttle_write_iops_device,
                "blkio.throttle.write_iops_device",
            ),
        ];
        for (devs, file) in throttles {
            for d in devs {
                let line = format!("{}:{} {}", d.major, d.minor, d.rate);
                set(dir, file, &line, "blockIO.throttle")?;
            }
        }
        Ok(())
    }

    fn freezer(&self, what: &'static str) -> Result<PathBuf, CgroupError> {
        Ok(self.need("freezer", what)?.join("freezer.state"))
    }

    /// Write `state` until the kernel reports it (FREEZING can take a few rounds).
    pub(crate) fn set_freezer(&self, state: &'static str) -> Result<(), CgroupError> {
        let file = self.freezer(if state == "FROZEN" { "freeze" } else { "thaw" })?;
        let reached = fsutil::wait_until(Duration::from_secs(5), || {
            fsutil::write(&file, state)?;
            Ok(fsutil::read(&file)?.trim() == state)
        })?;
        if reached {
            return Ok(());
        }
        if state == "FROZEN" {
            // Do not leave a half-frozen container behind.
            let _ = fsutil::write(&file, "THAWED");
        }
        Err(CgroupError::Timeout {
            what: if state == "FROZEN" {
                "freezer.state FROZEN"
            } else {
                "freezer.state THAWED"
            },
            path: file,
        })
    }

    pub(crate) fn has_freezer(&self) -> bool {
        self.dir("freezer").is_some()
    }

    pub(crate) fn pids(&self) -> Result<Vec<u32>, CgroupError> {
        let mut out = Vec::new();
        if let Some(dir) = self.procs_dir() {
            fsutil::procs_recursive(dir, &mut out)?;
        }
        Ok(out)
    }

    pub(crate) fn stats(&self) -> Result<Stats, CgroupError> {
        let mut st = Stats::default();
        if let Some(dir) = self.dir("memory") {
            let m = &mut st.memory;
            m.usage = read_u64(&dir.join("memory.usage_in_bytes"))?.unwrap_or(0);
            m.max_usage = read_u64(&dir.join("memory.max_usage_in_bytes"))?;
            m.limit = read_u64(&dir.join("memory.limit_in_bytes"))?.filter(|l| *l < V1_UNLIMITED);
            m.failcnt = read_u64(&dir.join("memory.failcnt"))?;
            m.oom_kills = read_kv(&dir.join("memory.oom_control"))?
                .get("oom_kill")
                .copied();
            m.stats = read_kv(&dir.join("memory.stat"))?;
            m.cache = m
                .stats
                .get("total_cache")
                .or_else(|| m.stats.get("cache"))
                .copied()
                .unwrap_or(0);
        }
        if let Some(dir) = self.dir("cpuacct") {
            let c = &mut st.cpu;
            c.total_usage = read_u64(&dir.join("cpuacct.usage"))?.unwrap_or(0);
            c.percpu_usage = read_opt(&dir.join("cpuacct.usage_percpu"))?
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect();
            let ticks = read_kv(&dir.join("cpuacct.stat"))?;
            c.usage_in_usermode = ticks.get("user").copied().unwrap_or(0) * NANOS_PER_TICK;
            c.usage_in_kernelmode = ticks.get("system").copied().unwrap_or(0) * NANOS_PER_TICK;
        }
        if let Some(dir) = self.dir("cpu") {
            let t = read_kv(&dir.join("cpu.stat"))?;
            let th = &mut st.cpu.throttling;
            th.periods = t.get("nr_periods").copied().unwrap_or(0);
            th.throttled_periods = t.get("nr_throttled").copied().unwrap_or(0);
            th.throttled_time = t.get("throttled_time").copied().unwrap_or(0);
        }
        (st.cpu.system_cpu_usage, st.cpu.online_cpus) = host_cpu();
        if let Some(dir) = self.dir("pids") {
            st.pids.current = read_u64(&dir.join("pids.current"))?.unwrap_or(0);
            st.pids.limit = read_u64(&dir.join("pids.max"))?;
        }
        if let Some(dir) = self.dir("blkio") {
            let pick = |cfq: &str, throttle: &str| -> Result<_, CgroupError> {
                let v = parse_blkio_v1(&read_opt(&dir.join(cfq))?.unwrap_or_default());
                if !v.is_empty() {
                    return Ok(v);
                }
                Ok(parse_blkio_v1(
                    &read_opt(&dir.join(throttle))?.unwrap_or_default(),
                ))
            };
            st.blkio.io_service_bytes_recursive = pick(
                "blkio.io_service_bytes_recursive",
                "blkio.throttle.io_service_bytes_recursive",
            )?;
            st.blkio.io_serviced_recursive = pick(
                "blkio.io_serviced_recursive",
                "blkio.throttle.io_serviced_recursive",
            )?;
        }
        Ok(st)
    }

    pub(crate) fn remove(&self) -> Result<(), CgroupError> {
        let mut first_err = None;
        for d in &self.dirs {
            if let Err(e) = fsutil::remove_tree(&d.path) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

/// A fresh cpuset directory has empty cpus and mems, and no task may join it until
/// they are set: copy them from the parent.
fn inherit_cpuset(dir: &Path) -> Result<(), CgroupError> {
    let Some(parent) = dir.parent() else {
        return Ok(());
    };
    for file in ["cpuset.cpus", "cpuset.mems"] {
        let own = dir.join(file);
        if fsutil::read(&own)?.trim().is_empty() {
            let from_parent = fsutil::read(&parent.join(file))?;
            fsutil::write(&own, from_parent.trim())?;
        }
    }
    Ok(())
}
