//! Real cgroups on this host (v1/hybrid or v2, whatever is mounted). Needs root; skips
//! with a message otherwise. Every test removes the processes it started (by pid) and
//! the cgroups it made, also when an assertion fails (see `Fixture`).

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wharf_cgroups::{
    Cgroup, CgroupError, Hierarchy, LinuxCpu, LinuxMemory, LinuxPids, LinuxResources, Mode,
};

/// Owns what a test made; Drop kills children and destroys cgroups.
struct Fixture {
    hierarchy: Hierarchy,
    name: String,
    children: Vec<Child>,
    /// Kept open so `read` in a child blocks until the fixture is dropped.
    stdins: Vec<std::process::ChildStdin>,
    cgroups: Vec<String>,
}

impl Fixture {
    /// `None` (test skipped) if cgroups cannot be managed here.
    fn new(test: &str) -> Option<Fixture> {
        match Hierarchy::detect() {
            Ok(h) => Fixture::on(test, h),
            Err(e) => {
                eprintln!("skipping {test}: {e}");
                None
            }
        }
    }

    /// On the v2 tree: the host's only hierarchy, or the controller-less unified tree of a
    /// hybrid host.
    fn v2(test: &str) -> Option<Fixture> {
        let h = Hierarchy::detect().ok()?;
        let h = match h.mode() {
            Mode::Unified => h,
            _ => Hierarchy::unified_at(h.unified_root()?),
        };
        Fixture::on(test, h)
    }

    fn on(test: &str, hierarchy: Hierarchy) -> Option<Fixture> {
        let name = format!("/wharf-test-{}-{test}", std::process::id());
        let f = Fixture {
            hierarchy,
            name,
            children: Vec::new(),
            stdins: Vec::new(),
            cgroups: Vec::new(),
        };
        match Cgroup::create_in(&f.hierarchy, &f.name, &LinuxResources::default()) {
            Ok(cg) => {
                let _ = cg.destroy();
                Some(f)
            }
            Err(e) => {
                eprintln!("skipping {test}: cannot create a cgroup: {e}");
                None
            }
        }
    }

    fn create(&mut self, sub: &str, res: &LinuxResources) -> Result<Cgroup, CgroupError> {
        let path = format!("{}{sub}", self.name);
        // Register the top first so it is removed even if creation fails half-way.
        if !self.cgroups.contains(&self.name) {
            self.cgroups.push(self.name.clone());
        }
        if !self.cgroups.contains(&path) {
            self.cgroups.push(path.clone());
        }
        Cgroup::create_in(&self.hierarchy, &path, res)
    }

    /// Start `sh -c 'read _; <script>'`, put it in `cg`, then let it run.
    fn run_in(&mut self, cg: &Cgroup, script: &str) -> usize {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("read _; {script}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sh");
        let pid = child.id();
        let mut stdin = child.stdin.take().unwrap();
        self.children.push(child);
        cg.add_process(pid).expect("add_process");
        stdin.write_all(b"go\n").unwrap();
        self.stdins.push(stdin);
        self.children.len() - 1
    }

    /// Wait for child `i` up to `limit`; `None` if still running.
    fn wait(&mut self, i: usize, limit: Duration) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(st) = self.children[i].try_wait().unwrap() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    fn stderr(&mut self, i: usize) -> String {
        let mut s = String::new();
        if let Some(mut e) = self.children[i].stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut s);
        }
        s
    }

    /// The directory of `controller` for cgroup `sub` (v2: the one directory).
    fn dir(&self, controller: &str, sub: &str) -> PathBuf {
        let rel = format!("{}{sub}", self.name);
        let rel = rel.trim_start_matches('/');
        match self.hierarchy.mode() {
            Mode::Unified => self.hierarchy.unified_root().unwrap().join(rel),
            _ => self
                .hierarchy
                .v1_mounts()
                .iter()
                .find(|m| m.controllers.iter().any(|c| c == controller))
                .expect("controller mounted")
                .mount_point
                .join(rel),
        }
    }

    fn has(&self, controller: &str) -> bool {
        match self.hierarchy.mode() {
            Mode::Unified => std::fs::read_to_string(
                self.hierarchy
                    .unified_root()
                    .unwrap()
                    .join("cgroup.controllers"),
            )
            .unwrap_or_default()
            .split_whitespace()
            .any(|c| c == controller),
            _ => self
                .hierarchy
                .v1_mounts()
                .iter()
                .any(|m| m.controllers.iter().any(|c| c == controller)),
        }
    }

    fn v1(&self) -> bool {
        self.hierarchy.mode() != Mode::Unified
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill(); // by pid
            let _ = c.wait();
        }
        // Deepest first.
        for path in self.cgroups.iter().rev() {
            if let Ok(cg) = Cgroup::open_in(&self.hierarchy, path)
                && let Err(e) = cg.destroy()
            {
                eprintln!("cleanup of {path} failed: {e}");
            }
        }
    }
}

fn memory(limit: i64, swap: i64) -> LinuxResources {
    LinuxResources {
        memory: Some(LinuxMemory {
            limit: Some(limit),
            swap: Some(swap),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn memory_limit_is_enforced() {
    let Some(mut f) = Fixture::new("mem") else {
        return;
    };
    let limit = 32 << 20;
    let cg = f.create("", &memory(limit, limit)).unwrap();
    let file = if f.v1() {
        "memory.limit_in_bytes"
    } else {
        "memory.max"
    };
    let written = std::fs::read_to_string(f.dir("memory", "").join(file)).unwrap();
    assert_eq!(written.trim(), limit.to_string());
    // dd fills a 128 MiB buffer from /dev/zero: 4x the limit, no swap allowed.
    let i = f.run_in(&cg, "exec dd if=/dev/zero of=/dev/null bs=128M count=1");
    let status = f.wait(i, Duration::from_secs(20)).expect("dd finished");
    assert_eq!(
        status.signal(),
        Some(9),
        "expected an OOM kill, got {status:?}"
    );
    let stats = cg.stats().unwrap();
    assert_eq!(stats.memory.limit, Some(limit as u64));
}

#[test]
fn pids_limit_is_enforced() {
    let Some(mut f) = Fixture::new("pids") else {
        return;
    };
    let res = LinuxResources {
        pids: Some(LinuxPids { limit: 4 }),
        ..Default::default()
    };
    let cg = f.create("", &res).unwrap();
    // Sleeps get /dev/null so the shell's stderr pipe closes when the shell exits.
    let script = "for i in 1 2 3 4 5 6 7 8; do sleep 30 </dev/null >/dev/null 2>&1 & done";
    let i = f.run_in(&cg, script);
    let status = f.wait(i, Duration::from_secs(10));
    assert!(status.is_some(), "shell still running");
    let stats = cg.stats().unwrap();
    assert_eq!(stats.pids.limit, Some(4));
    assert!(stats.pids.current <= 4, "{:?}", stats.pids);
    let err = f.stderr(i);
    assert!(err.to_lowercase().contains("fork"), "stderr: {err}");
    // The sleeps it did start are still in the cgroup; destroy kills them.
    assert!(!cg.pids().unwrap().is_empty());
    cg.destroy().unwrap();
}

#[test]
fn freeze_and_thaw() {
    let Some(mut f) = Fixture::new("freeze") else {
        return;
    };
    let cg = f.create("", &LinuxResources::default()).unwrap();
    let i = f.run_in(&cg, "exec sleep 60");
    let pid = f.children[i].id();
    cg.freeze().unwrap();
    let state = |f: &Fixture| {
        if f.v1() {
            std::fs::read_to_string(f.dir("freezer", "").join("freezer.state")).unwrap()
        } else {
            std::fs::read_to_string(f.dir("", "").join("cgroup.events")).unwrap()
        }
    };
    let s = state(&f);
    assert!(s.contains("FROZEN") || s.contains("frozen 1"), "{s}");
    assert_eq!(cg.pids().unwrap(), [pid]);
    cg.thaw().unwrap();
    let s = state(&f);
    assert!(s.contains("THAWED") || s.contains("frozen 0"), "{s}");
}

#[test]
fn stats_are_reported() {
    let Some(mut f) = Fixture::new("stats") else {
        return;
    };
    let res = LinuxResources {
        pids: Some(LinuxPids { limit: 100 }),
        cpu: Some(LinuxCpu {
            shares: Some(512),
            quota: Some(50_000),
            period: Some(100_000),
            ..Default::default()
        }),
        ..Default::default()
    };
    let cg = f.create("", &res).unwrap();
    let i = f.run_in(
        &cg,
        "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; x=$(cat /proc/self/status); read _",
    );
    // Let it burn some cpu, then look while it waits on stdin (which we keep open).
    std::thread::sleep(Duration::from_millis(300));
    let st = cg.stats().unwrap();
    assert!(st.cpu.total_usage > 0, "{:?}", st.cpu);
    assert!(st.cpu.system_cpu_usage > 0 && st.cpu.online_cpus > 0);
    assert!(st.memory.usage > 0, "{:?}", st.memory);
    assert_eq!(st.pids.current, 1);
    assert_eq!(st.pids.limit, Some(100));
    if f.v1() {
        assert!(!st.cpu.percpu_usage.is_empty());
        let q = std::fs::read_to_string(f.dir("cpu", "").join("cpu.cfs_quota_us")).unwrap();
        assert_eq!(q.trim(), "50000");
    } else {
        let q = std::fs::read_to_string(f.dir("cpu", "").join("cpu.max")).unwrap();
        assert_eq!(q.trim(), "50000 100000");
    }
    assert!(f.wait(i, Duration::from_millis(1)).is_none());
}

#[test]
fn destroy_kills_and_removes_everything() {
    let Some(mut f) = Fixture::new("destroy") else {
        return;
    };
    let cg = f.create("/nested", &memory(64 << 20, -1)).unwrap();
    if f.v1() && f.has("cpuset") {
        // New cpuset levels inherit cpus and mems, or no task could join.
        for sub in ["", "/nested"] {
            let cpus = std::fs::read_to_string(f.dir("cpuset", sub).join("cpuset.cpus")).unwrap();
            assert!(!cpus.trim().is_empty(), "cpuset.cpus of {sub:?} is empty");
        }
    }
    let i = f.run_in(&cg, "sleep 60 & exec sleep 60");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(cg.pids().unwrap().len(), 2);
    let second_handle = Cgroup::open_in(&f.hierarchy, &format!("{}/nested", f.name)).unwrap();
    cg.destroy().unwrap();
    let status = f.wait(i, Duration::from_secs(5)).expect("killed");
    assert_eq!(status.signal(), Some(9));
    // Idempotent: destroying again through another handle is fine.
    second_handle.destroy().unwrap();
    let top = Cgroup::open_in(&f.hierarchy, &f.name).unwrap();
    top.destroy().unwrap();
    let controllers = if f.v1() {
        vec!["memory", "cpu", "pids", "freezer", "devices"]
    } else {
        vec![""]
    };
    for c in controllers {
        if f.v1() && !f.has(c) {
            continue;
        }
        assert!(!f.dir(c, "").exists(), "{c} dir left behind");
    }
    assert!(matches!(
        Cgroup::open_in(&f.hierarchy, &f.name),
        Err(CgroupError::NotFound(_))
    ));
}

#[test]
fn update_changes_limits() {
    let Some(mut f) = Fixture::new("update") else {
        return;
    };
    let cg = f.create("", &memory(64 << 20, 64 << 20)).unwrap();
    // Growing memory and swap together needs memsw raised first on v1.
    cg.update(&memory(256 << 20, 512 << 20)).unwrap();
    cg.update(&memory(128 << 20, 128 << 20)).unwrap();
    let (file, want) = if f.v1() {
        ("memory.limit_in_bytes", (128u64 << 20).to_string())
    } else {
        ("memory.max", (128u64 << 20).to_string())
    };
    let got = std::fs::read_to_string(f.dir("memory", "").join(file)).unwrap();
    assert_eq!(got.trim(), want);
    cg.update(&memory(-1, -1)).unwrap();
    let got = std::fs::read_to_string(f.dir("memory", "").join(file)).unwrap();
    assert!(
        got.trim() == "max" || got.trim().parse::<u64>().unwrap() > 1 << 60,
        "{got}"
    );
}

#[test]
fn unsupported_requests_name_what_is_missing() {
    let Some(mut f) = Fixture::new("missing") else {
        return;
    };
    if !f.has("hugetlb") {
        let res = LinuxResources {
            hugepage_limits: vec![wharf_cgroups::LinuxHugepageLimit {
                page_size: "2MB".into(),
                limit: 1 << 21,
            }],
            ..Default::default()
        };
        let err = f.create("", &res).unwrap_err().to_string();
        assert!(
            err.contains("hugetlb") && err.contains("hugepageLimits"),
            "{err}"
        );
    }
    if f.v1() {
        let mut res = LinuxResources::default();
        res.unified.insert("memory.high".into(), "1G".into());
        let err = f.create("/u", &res).unwrap_err().to_string();
        assert!(err.contains("unified"), "{err}");
    }
    // No resources requested: no error whatever is mounted.
    f.create("/none", &LinuxResources::default()).unwrap();
}

#[test]
fn v1_device_rules() {
    let Some(mut f) = Fixture::new("devices") else {
        return;
    };
    if !f.v1() || !f.has("devices") {
        return;
    }
    let dev = |allow: bool, kind: Option<&str>, major, minor, access: &str| {
        wharf_cgroups::LinuxDeviceCgroup {
            allow,
            kind: kind.map(str::to_string),
            major,
            minor,
            access: Some(access.into()),
        }
    };
    let res = LinuxResources {
        devices: vec![
            dev(false, None, None, None, "rwm"),
            dev(true, Some("c"), Some(1), Some(3), "rwm"),
            dev(true, Some("c"), Some(136), None, "rw"),
        ],
        ..Default::default()
    };
    let cg = f.create("", &res).unwrap();
    let list = std::fs::read_to_string(f.dir("devices", "").join("devices.list")).unwrap();
    assert_eq!(
        list.lines().collect::<Vec<_>>(),
        ["c 1:3 rwm", "c 136:* rw"]
    );
    // /dev/null (1:3) opens inside, /dev/zero (1:5) does not.
    let i = f.run_in(&cg, "echo > /dev/null && exec head -c1 /dev/zero");
    let status = f.wait(i, Duration::from_secs(5)).unwrap();
    assert!(!status.success());
    let err = f.stderr(i);
    assert!(err.contains("Operation not permitted"), "{err}");
}

/// cgroup v2 has no devices.allow: the rules become an eBPF program on the cgroup, which the
/// kernel asks on every open and mknod of a device node.
#[test]
fn v2_device_rules_through_an_ebpf_filter() {
    let Some(mut f) = Fixture::v2("v2devices") else {
        eprintln!("skipping: no cgroup v2 tree");
        return;
    };
    let dev = |allow: bool, kind: Option<&str>, major, minor, access: &str| {
        wharf_cgroups::LinuxDeviceCgroup {
            allow,
            kind: kind.map(str::to_string),
            major,
            minor,
            access: Some(access.into()),
        }
    };
    let res = LinuxResources {
        devices: vec![
            dev(false, None, None, None, "rwm"),
            dev(true, Some("c"), Some(1), Some(3), "rwm"),
            dev(true, Some("c"), Some(1), Some(5), "r"),
        ],
        ..Default::default()
    };
    let cg = f.create("", &res).unwrap();
    // /dev/null (1:3) opens; /dev/zero (1:5) reads but does not open for writing; /dev/full
    // (1:7) is not listed at all.
    let i = f.run_in(
        &cg,
        "echo > /dev/null && head -c1 /dev/zero >/dev/null && echo readable; \
         echo x 2>/dev/null > /dev/zero || echo zero-write-denied; \
         head -c1 /dev/full >/dev/null 2>&1 || echo full-denied",
    );
    let status = f.wait(i, Duration::from_secs(5)).unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut f.children[i].stdout.take().unwrap(), &mut out).unwrap();
    let err = f.stderr(i);
    assert!(status.success(), "{status:?} {out} {err}");
    assert_eq!(out, "readable\nzero-write-denied\nfull-denied\n", "{err}");
}
