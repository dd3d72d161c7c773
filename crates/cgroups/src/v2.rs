//! cgroup v2: one directory in the unified tree.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::convert::{blkio_weight_to_io_weight, shares_to_weight, swap_to_v2};
use crate::devices::DeviceRule;
use crate::fsutil::{self, read_kv, read_opt, read_u64, set};
use crate::stats::{host_cpu, parse_io_stat_v2};
use crate::{CgroupError, LinuxResources, Stats};

#[derive(Debug)]
pub(crate) struct V2Cgroup {
    dir: PathBuf,
}

/// -1 (or any negative) → `max`.
fn limit_str(v: i64) -> String {
    if v < 0 { "max".into() } else { v.to_string() }
}

impl V2Cgroup {
    /// Create every level below `root`, enabling in each parent all the controllers
    /// it has, so the leaf gets them all (as runc does).
    pub(crate) fn create(root: &Path, rel: &Path) -> Result<V2Cgroup, CgroupError> {
        let mut dir = root.to_path_buf();
        for part in rel.components() {
            enable_controllers(&dir)?;
            dir.push(part);
            if !dir.exists() {
                fsutil::mkdir_all(&dir)?;
            }
        }
        Ok(V2Cgroup { dir })
    }

    pub(crate) fn open(root: &Path, rel: &Path) -> Option<V2Cgroup> {
        let dir = root.join(rel);
        dir.is_dir().then_some(V2Cgroup { dir })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn add_process(&self, pid: u32) -> Result<(), CgroupError> {
        fsutil::write(&self.dir.join("cgroup.procs"), &pid.to_string())
    }

    pub(crate) fn apply(&self, res: &LinuxResources) -> Result<(), CgroupError> {
        let dir = &self.dir;
        let rules = res
            .devices
            .iter()
            .map(DeviceRule::parse)
            .collect::<Result<Vec<_>, _>>()?;
        // "Allow everything" (--privileged) needs no filter; other rules become an eBPF
        // device program on the cgroup.
        let allow_all = rules.last().is_some_and(|r| r.allow && r.is_everything());
        if !rules.is_empty() && !allow_all {
            crate::bpf::attach_device_filter(dir, &crate::devfilter::program(&rules))?;
        }
        if let Some(m) = &res.memory {
            if let Some(s) = swap_to_v2(m.swap, m.limit)? {
                let v = limit_str(s);
                match set(dir, "memory.swap.max", &v, "memory.swap") {
                    // No swap accounting: "unlimited" and "none" are moot.
                    Err(CgroupError::ControllerMissing { .. }) if v == "max" || v == "0" => {}
                    r => r?,
                }
            }
            if let Some(l) = m.limit {
                set(dir, "memory.max", &limit_str(l), "memory.limit")?;
            }
            if let Some(r) = m.reservation {
                set(dir, "memory.low", &limit_str(r), "memory.reservation")?;
            }
            // swappiness and disableOOMKiller have no v2 equivalent; like runc, ignored.
        }
        if let Some(c) = &res.cpu {
            if c.realtime_runtime.is_some() || c.realtime_period.is_some() {
                return Err(CgroupError::InvalidResource {
                    field: "cpu.realtimeRuntime",
                    reason: "realtime scheduling limits do not exist on cgroup v2".into(),
                });
            }
            if let Some(s) = c.shares.filter(|s| *s > 0) {
                set(
                    dir,
                    "cpu.weight",
                    &shares_to_weight(s).to_string(),
                    "cpu.shares",
                )?;
            }
            if let Some(i) = c.idle {
                set(dir, "cpu.idle", &i.to_string(), "cpu.idle")?;
            }
            if c.quota.is_some() || c.period.is_some() {
                let (cur_quota, cur_period) = self.current_cpu_max()?;
                let quota = match c.quota {
                    Some(q) if q > 0 => q.to_string(),
                    Some(_) => "max".into(),
                    None => cur_quota,
                };
                let period = c.period.unwrap_or(cur_period);
                set(dir, "cpu.max", &format!("{quota} {period}"), "cpu.quota")?;
            }
            if let Some(b) = c.burst {
                set(dir, "cpu.max.burst", &b.to_string(), "cpu.burst")?;
            }
            if let Some(cpus) = &c.cpus {
                set(dir, "cpuset.cpus", cpus, "cpu.cpus")?;
            }
            if let Some(mems) = &c.mems {
                set(dir, "cpuset.mems", mems, "cpu.mems")?;
            }
        }
        if let Some(p) = &res.pids {
            let v = if p.limit > 0 {
                p.limit.to_string()
            } else {
                "max".into()
            };
            set(dir, "pids.max", &v, "pids.limit")?;
        }
        self.apply_io(res)?;
        for hp in &res.hugepage_limits {
            let file = format!("hugetlb.{}.max", hp.page_size);
            set(dir, &file, &hp.limit.to_string(), "hugepageLimits")?;
        }
        for (file, value) in &res.unified {
            if file.contains('/') || file.starts_with('.') || file.is_empty() {
                return Err(CgroupError::InvalidResource {
                    field: "unified",
                    reason: format!("{file:?} is not a cgroup file name"),
                });
            }
            set(dir, file, value, "unified")?;
        }
        Ok(())
    }

    /// `cpu.max` as (quota, period); defaults if the file is missing.
    fn current_cpu_max(&self) -> Result<(String, u64), CgroupError> {
        let path = self.dir.join("cpu.max");
        let text = read_opt(&path)?.unwrap_or_default();
        let mut f = text.split_whitespace();
        let quota = f.next().unwrap_or("max").to_string();
        let period = f
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(crate::convert::DEFAULT_CPU_PERIOD);
        Ok((quota, period))
    }

    fn apply_io(&self, res: &LinuxResources) -> Result<(), CgroupError> {
        let Some(b) = &res.block_io else {
            return Ok(());
        };
        let dir = &self.dir;
        if b.leaf_weight.is_some() || b.weight_device.iter().any(|d| d.leaf_weight.is_some()) {
            return Err(CgroupError::InvalidResource {
                field: "blockIO.leafWeight",
                reason: "leaf weights do not exist on cgroup v2".into(),
            });
        }
        let bfq = dir.join("io.bfq.weight").exists();
        if let Some(w) = b.weight.filter(|w| *w > 0) {
            if bfq {
                set(dir, "io.bfq.weight", &w.to_string(), "blockIO.weight")?;
            } else {
                let v = format!("default {}", blkio_weight_to_io_weight(w));
                set(dir, "io.weight", &v, "blockIO.weight")?;
            }
        }
        for d in &b.weight_device {
            if let Some(w) = d.weight {
                let line = format!("{}:{} {}", d.major, d.minor, w);
                set(dir, "io.bfq.weight", &line, "blockIO.weightDevice")?;
            }
        }
        let throttles = [
            (&b.throttle_read_bps_device, "rbps"),
            (&b.throttle_write_bps_device, "wbps"),
            (&b.throttle_read_iops_device, "riops"),
            (&b.throttle_write_iops_device, "wiops"),
        ];
        for (devs, key) in throttles {
            for d in devs {
                let rate = if d.rate == 0 {
                    "max".to_string()
                } else {
                    d.rate.to_string()
                };
                let line = format!("{}:{} {key}={rate}", d.major, d.minor);
                set(dir, "io.max", &line, "blockIO.throttle")?;
            }
        }
        Ok(())
    }

    /// Write `cgroup.freeze` and wait for `cgroup.events` to say `frozen <want>`.
    pub(crate) fn set_frozen(&self, frozen: bool) -> Result<(), CgroupError> {
        let want = if frozen { "1" } else { "0" };
        let resource = if frozen { "freeze" } else { "thaw" };
        set(&self.dir, "cgroup.freeze", want, resource)?;
        let events = self.dir.join("cgroup.events");
        let done = fsutil::wait_until(Duration::from_secs(5), || {
            let text = fsutil::read(&events)?;
            Ok(text
                .lines()
                .any(|l| l.split_once(' ') == Some(("frozen", want))))
        })?;
        if done {
            return Ok(());
        }
        if frozen {
            let _ = fsutil::write(&self.dir.join("cgroup.freeze"), "0");
        }
        Err(CgroupError::Timeout {
            what: if frozen {
                "cgroup.events frozen 1"
            } else {
                "cgroup.events frozen 0"
            },
            path: events,
        })
    }

    /// `cgroup.kill` (Linux 5.14+) kills the whole subtree atomically.
    pub(crate) fn kill_file(&self) -> Option<PathBuf> {
        let f = self.dir.join("cgroup.kill");
        f.exists().then_some(f)
    }

    pub(crate) fn pids(&self) -> Result<Vec<u32>, CgroupError> {
        let mut out = Vec::new();
        fsutil::procs_recursive(&self.dir, &mut out)?;
        Ok(out)
    }

    pub(crate) fn stats(&self) -> Result<Stats, CgroupError> {
        let dir = &self.dir;
        let mut st = Stats::default();
        let m = &mut st.memory;
        m.usage = read_u64(&dir.join("memory.current"))?.unwrap_or(0);
        m.max_usage = read_u64(&dir.join("memory.peak"))?;
        m.limit = read_u64(&dir.join("memory.max"))?;
        m.stats = read_kv(&dir.join("memory.stat"))?;
        m.cache = m.stats.get("file").copied().unwrap_or(0);
        let events = read_kv(&dir.join("memory.events"))?;
        m.failcnt = events.get("max").copied();
        m.oom_kills = events.get("oom_kill").copied();

        let cpu = read_kv(&dir.join("cpu.stat"))?;
        let us = |k: &str| cpu.get(k).copied().unwrap_or(0) * 1000;
        let c = &mut st.cpu;
        c.total_usage = us("usage_usec");
        c.usage_in_usermode = us("user_usec");
        c.usage_in_kernelmode = us("system_usec");
        c.throttling.periods = cpu.get("nr_periods").copied().unwrap_or(0);
        c.throttling.throttled_periods = cpu.get("nr_throttled").copied().unwrap_or(0);
        c.throttling.throttled_time = us("throttled_usec");
        (c.system_cpu_usage, c.online_cpus) = host_cpu();

        st.pids.current = read_u64(&dir.join("pids.current"))?.unwrap_or(0);
        st.pids.limit = read_u64(&dir.join("pids.max"))?;
        let io = read_opt(&dir.join("io.stat"))?.unwrap_or_default();
        (
            st.blkio.io_service_bytes_recursive,
            st.blkio.io_serviced_recursive,
        ) = parse_io_stat_v2(&io);
        Ok(st)
    }

    pub(crate) fn remove(&self) -> Result<(), CgroupError> {
        fsutil::remove_tree(&self.dir)
    }

    pub(crate) fn dir_fd(&self) -> Option<OwnedFd> {
        use rustix::fs::{Mode, OFlags};
        rustix::fs::open(
            &self.dir,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok()
    }
}

/// Enable in `dir/cgroup.subtree_control` every controller `dir` has. All at once
/// first; if the kernel refuses (one controller busy), one at a time, skipping failures:
/// a limit that then cannot be set fails later naming its file.
fn enable_controllers(dir: &Path) -> Result<(), CgroupError> {
    let Some(available) = read_opt(&dir.join("cgroup.controllers"))? else {
        return Ok(());
    };
    let control = dir.join("cgroup.subtree_control");
    let enabled = read_opt(&control)?.unwrap_or_default();
    let missing: Vec<&str> = available
        .split_whitespace()
        .filter(|c| !enabled.split_whitespace().any(|e| e == *c))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let all: Vec<String> = missing.iter().map(|c| format!("+{c}")).collect();
    if fsutil::write(&control, &all.join(" ")).is_err() {
        for c in all {
            let _ = fsutil::write(&control, &c);
        }
    }
    Ok(())
}
