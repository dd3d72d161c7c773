//! cgroup v2 file writes against a fake root directory (no kernel involved): what
//! wharf writes where, for CI hosts and for this v1/hybrid machine alike.

use std::fs;
use std::path::PathBuf;

use wharf_cgroups::{
    Cgroup, CgroupError, Hierarchy, LinuxBlockIo, LinuxCpu, LinuxDeviceCgroup, LinuxMemory,
    LinuxPids, LinuxResources, LinuxThrottleDevice, Mode,
};

const CONTROLLERS: &str = "cpuset cpu io memory hugetlb pids";

/// Control files a real v2 leaf with all controllers has (empty here).
const LEAF_FILES: &[&str] = &[
    "cgroup.procs",
    "cgroup.freeze",
    "cgroup.kill",
    "memory.max",
    "memory.swap.max",
    "memory.low",
    "cpu.weight",
    "cpu.max",
    "cpu.max.burst",
    "cpuset.cpus",
    "cpuset.mems",
    "pids.max",
    "io.weight",
    "io.max",
];

struct Fake {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Fake {
    /// A root with `wharf/` and `wharf/c1/` already present (the kernel would make the
    /// control files on mkdir; a plain directory cannot).
    fn new() -> Fake {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        for dir in [root.clone(), root.join("wharf")] {
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join("cgroup.controllers"), CONTROLLERS).unwrap();
            fs::write(dir.join("cgroup.subtree_control"), "").unwrap();
        }
        let leaf = root.join("wharf/c1");
        fs::create_dir_all(&leaf).unwrap();
        for f in LEAF_FILES {
            fs::write(leaf.join(f), "").unwrap();
        }
        fs::write(leaf.join("cpu.max"), "max 100000\n").unwrap();
        Fake { _tmp: tmp, root }
    }

    fn hierarchy(&self) -> Hierarchy {
        Hierarchy::unified_at(&self.root)
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.root.join(rel)).unwrap()
    }
}

#[test]
fn create_writes_docker_limits_in_v2_units() {
    let fake = Fake::new();
    let res = LinuxResources {
        memory: Some(LinuxMemory {
            limit: Some(256 << 20),
            swap: Some(512 << 20),
            reservation: Some(128 << 20),
            swappiness: Some(10), // no v2 equivalent: ignored, as runc does
            ..Default::default()
        }),
        cpu: Some(LinuxCpu {
            shares: Some(1024),
            quota: Some(150_000),
            period: Some(100_000),
            cpus: Some("0-1".into()),
            mems: Some("0".into()),
            ..Default::default()
        }),
        pids: Some(LinuxPids { limit: 100 }),
        block_io: Some(LinuxBlockIo {
            weight: Some(500),
            throttle_read_bps_device: vec![LinuxThrottleDevice {
                major: 8,
                minor: 0,
                rate: 1 << 20,
            }],
            ..Default::default()
        }),
        ..Default::default()
    };
    let cg = Cgroup::create_in(&fake.hierarchy(), "/wharf/c1", &res).unwrap();
    assert_eq!(fake.hierarchy().mode(), Mode::Unified);
    // Controllers enabled on the way down, all at once.
    let all = "+cpuset +cpu +io +memory +hugetlb +pids";
    assert_eq!(fake.read("cgroup.subtree_control"), all);
    assert_eq!(fake.read("wharf/cgroup.subtree_control"), all);
    let leaf = |f: &str| fake.read(&format!("wharf/c1/{f}"));
    assert_eq!(leaf("memory.max"), (256u64 << 20).to_string());
    assert_eq!(leaf("memory.swap.max"), (256u64 << 20).to_string()); // swap only
    assert_eq!(leaf("memory.low"), (128u64 << 20).to_string());
    assert_eq!(leaf("cpu.weight"), "100"); // shares 1024 → the v2 default weight
    assert_eq!(leaf("cpu.max"), "150000 100000");
    assert_eq!(leaf("cpuset.cpus"), "0-1");
    assert_eq!(leaf("cpuset.mems"), "0");
    assert_eq!(leaf("pids.max"), "100");
    assert_eq!(leaf("io.weight"), "default 4950");
    assert_eq!(leaf("io.max"), "8:0 rbps=1048576");

    cg.add_process(4242).unwrap();
    assert_eq!(leaf("cgroup.procs"), "4242");
    assert!(cg.v2_dir_fd().is_some());
}

#[test]
fn update_keeps_what_is_not_mentioned() {
    let fake = Fake::new();
    let cg = Cgroup::create_in(&fake.hierarchy(), "/wharf/c1", &LinuxResources::default()).unwrap();
    let quota = |q: Option<i64>, p: Option<u64>| LinuxResources {
        cpu: Some(LinuxCpu {
            quota: q,
            period: p,
            ..Default::default()
        }),
        ..Default::default()
    };
    cg.update(&quota(Some(50_000), None)).unwrap();
    assert_eq!(fake.read("wharf/c1/cpu.max"), "50000 100000");
    cg.update(&quota(None, Some(200_000))).unwrap();
    assert_eq!(fake.read("wharf/c1/cpu.max"), "50000 200000");
    cg.update(&quota(Some(-1), None)).unwrap();
    assert_eq!(fake.read("wharf/c1/cpu.max"), "max 200000");
    let unlimited = LinuxResources {
        memory: Some(LinuxMemory {
            limit: Some(-1),
            ..Default::default()
        }),
        pids: Some(LinuxPids { limit: 0 }),
        ..Default::default()
    };
    cg.update(&unlimited).unwrap();
    assert_eq!(fake.read("wharf/c1/memory.max"), "max");
    assert_eq!(fake.read("wharf/c1/memory.swap.max"), "max");
    assert_eq!(fake.read("wharf/c1/pids.max"), "max");
}

#[test]
fn missing_controller_is_named_and_v1_only_fields_rejected() {
    let fake = Fake::new();
    fs::remove_file(fake.root.join("wharf/c1/pids.max")).unwrap();
    let pids = LinuxResources {
        pids: Some(LinuxPids { limit: 5 }),
        ..Default::default()
    };
    let err = Cgroup::create_in(&fake.hierarchy(), "/wharf/c1", &pids).unwrap_err();
    assert!(
        matches!(&err, CgroupError::ControllerMissing { controller, .. } if controller == "pids.max"),
        "{err}"
    );
    let rt = LinuxResources {
        cpu: Some(LinuxCpu {
            realtime_runtime: Some(1000),
            ..Default::default()
        }),
        ..Default::default()
    };
    let err = Cgroup::create_in(&fake.hierarchy(), "/wharf/c1", &rt).unwrap_err();
    assert!(err.to_string().contains("realtime"), "{err}");
    // Without swap accounting, "no swap" is moot rather than an error.
    fs::remove_file(fake.root.join("wharf/c1/memory.swap.max")).unwrap();
    let no_swap = LinuxResources {
        memory: Some(LinuxMemory {
            limit: Some(1 << 30),
            swap: Some(1 << 30),
            ..Default::default()
        }),
        ..Default::default()
    };
    Cgroup::create_in(&fake.hierarchy(), "/wharf/c1", &no_swap).unwrap();
    // No resources: nothing to be missing.
    Cgroup::create_in(&fake.hierarchy(), "/wharf/c1", &LinuxResources::default()).unwrap();
}

#[test]
fn device_rules_on_v2() {
    let fake = Fake::new();
    let all = LinuxResources {
        devices: vec![LinuxDeviceCgroup {
            allow: true,
            access: Some("rwm".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    // --privileged: allow everything needs no filter.
    Cgroup::create_in(&fake.hierarchy(), "/wharf/c1", &all).unwrap();
    let restricted = LinuxResources {
        devices: vec![LinuxDeviceCgroup {
            allow: false,
            access: Some("rwm".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    // Other rules become an eBPF program attached to the cgroup, which a plain directory is
    // not: the error names the call and the directory.
    let err = Cgroup::create_in(&fake.hierarchy(), "/wharf/c1", &restricted).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("bpf(BPF_PROG_"), "{msg}");
    assert!(msg.contains("wharf/c1"), "{msg}");
}

#[test]
fn freeze_waits_for_cgroup_events() {
    let fake = Fake::new();
    let leaf = fake.root.join("wharf/c1");
    let cg = Cgroup::open_in(&fake.hierarchy(), "/wharf/c1").unwrap();
    fs::write(leaf.join("cgroup.events"), "populated 1\nfrozen 1\n").unwrap();
    cg.freeze().unwrap();
    assert_eq!(fs::read_to_string(leaf.join("cgroup.freeze")).unwrap(), "1");
    fs::write(leaf.join("cgroup.events"), "populated 1\nfrozen 0\n").unwrap();
    cg.thaw().unwrap();
    assert_eq!(fs::read_to_string(leaf.join("cgroup.freeze")).unwrap(), "0");
}

#[test]
fn stats_from_v2_files() {
    let fake = Fake::new();
    let leaf = fake.root.join("wharf/c1");
    let files: &[(&str, &str)] = &[
        ("memory.current", "1048576\n"),
        ("memory.peak", "2097152\n"),
        ("memory.max", "max\n"),
        ("memory.stat", "anon 4096\nfile 8192\n"),
        ("memory.events", "low 0\nhigh 0\nmax 3\noom 1\n"),
        (
            "cpu.stat",
            "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 7\nnr_throttled 2\nthrottled_usec 30\n",
        ),
        ("pids.current", "3\n"),
        ("pids.max", "50\n"),
        (
            "io.stat",
            "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n",
        ),
    ];
    for (f, v) in files {
        fs::write(leaf.join(f), v).unwrap();
    }
    let st = Cgroup::open_in(&fake.hierarchy(), "/wharf/c1")
        .unwrap()
        .stats()
        .unwrap();
    assert_eq!(st.memory.usage, 1 << 20);
    assert_eq!(st.memory.max_usage, Some(2 << 20));
    assert_eq!(st.memory.limit, None);
    assert_eq!(st.memory.cache, 8192);
    assert_eq!(st.memory.failcnt, Some(3));
    assert_eq!(st.cpu.total_usage, 1_500_000);
    assert_eq!(st.cpu.usage_in_usermode, 1_000_000);
    assert_eq!(st.cpu.throttling.throttled_time, 30_000);
    assert!(st.cpu.percpu_usage.is_empty());
    assert_eq!((st.pids.current, st.pids.limit), (3, Some(50)));
    assert_eq!(st.blkio.io_service_bytes_recursive.len(), 2);
}

#[test]
fn destroy_removes_nested_and_is_idempotent() {
    let fake = Fake::new();
    let h = fake.hierarchy();
    let cg = Cgroup::create_in(&h, "/wharf/c2/inner", &LinuxResources::default()).unwrap();
    let again = Cgroup::open_in(&h, "/wharf/c2").unwrap();
    cg.destroy().unwrap();
    assert!(!fake.root.join("wharf/c2/inner").exists());
    again.destroy().unwrap();
    assert!(!fake.root.join("wharf/c2").exists());
    assert!(matches!(
        Cgroup::open_in(&h, "/wharf/c2"),
        Err(CgroupError::NotFound(_))
    ));
}
