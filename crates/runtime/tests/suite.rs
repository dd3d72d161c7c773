//! The shared runtime suite: every test runs against the built-in executor, and against
//! runc and crun when they are installed. Needs root and real namespaces.

mod common;

use std::io::Read;

use common::*;
use wharf_runtime::spec::{ConsoleSize, User};
use wharf_runtime::{Bind, ExecOptions, ExitStatus, Runtime, Stdio, defaults};

fn pid_one_is_the_command(rt: &dyn Runtime) {
    let fx = Fixture::new();
    let out = sh(rt, &fx, "echo $$");
    assert_eq!(out.stdout.trim(), "1");
    assert_eq!(out.status, ExitStatus::Exited(0));
}

fn hostname_is_set(rt: &dyn Runtime) {
    let fx = Fixture::new();
    let spec = fx
        .spec(&["sh", "-c", "hostname; echo $HOSTNAME"])
        .hostname("wharfbox")
        .build()
        .unwrap();
    assert_eq!(run(rt, &fx, &spec).stdout, "wharfbox\nwharfbox\n");
}

fn proc_shows_only_container_pids(rt: &dyn Runtime) {
    let fx = Fixture::new();
    let out = sh(
        rt,
        &fx,
        "ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '",
    );
    let pids: Vec<u32> = out
        .stdout
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(pids.first(), Some(&1), "{pids:?}");
    assert!(
        pids.len() <= 8 && pids.iter().all(|p| *p < 20),
        "host pids visible: {pids:?}"
    );
}

fn masked_paths_are_unreadable(rt: &dyn Runtime) {
    let fx = Fixture::new();
    // Only paths this kernel has: a masked file reads empty, a masked dir lists nothing.
    let present: Vec<&str> = [
        "/proc/keys",
        "/proc/timer_list",
        "/proc/kcore",
        "/sys/firmware",
    ]
    .into_iter()
    .filter(|p| std::path::Path::new(p).exists())
    .collect();
    assert!(!present.is_empty());
    let script: Vec<String> = present
        .iter()
        .map(|p| format!("if [ -d {p} ]; then ls -A {p} | wc -l; else cat {p} | wc -c; fi"))
        .collect();
    let out = sh(rt, &fx, &script.join("; "));
    assert_eq!(
        out.stdout.split_whitespace().collect::<Vec<_>>(),
        vec!["0"; present.len()],
        "{}",
        out.stdout
    );
}

fn readonly_paths_refuse_writes(rt: &dyn Runtime) {
    let fx = Fixture::new();
    let out = sh(
        rt,
        &fx,
        "echo x > /proc/sys/kernel/domainname && echo WROTE; echo done",
    );
    assert!(
        out.stdout.contains("Read-only file system"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("WROTE"));
}

fn readonly_root_refuses_writes(rt: &dyn Runtime) {
    let fx = Fixture::new();
    let spec = fx
        .spec(&[
            "sh",
            "-c",
            "touch /newfile || echo REFUSED; touch /dev/shm/ok && echo SHM",
        ])
        .readonly_rootfs(true)
        .build()
        .unwrap();
    let out = run(rt, &fx, &spec);
    assert!(
        out.stdout.contains("REFUSED") && out.stdout.contains("SHM"),
        "{}",
        out.stdout
    );
    assert!(!fx.rootfs().join("newfile").exists());
}

fn bind_mount_visible_and_ro_honoured(rt: &dyn Runtime) {
    let fx = Fixture::new();
    let data = fx.dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("f"), "hello").unwrap();
    let rw = fx.dir.path().join("rw");
    std::fs::create_dir(&rw).unwrap();
    let spec = fx
        .spec(&[
            "sh",
            "-c",
            "cat /data/f; echo; touch /data/new || echo RO; echo w > /rw/out",
        ])
        .bind(Bind::new(data.display().to_string(), "/data").readonly())
        .bind(Bind::new(rw.display().to_string(), "/deep/er/rw"))
        .bind(Bind::new(rw.display().to_string(), "/rw"))
        .build()
        .unwrap();
    let out = run(rt, &fx, &spec);
    assert!(out.stdout.starts_with("hello\n"), "{}", out.stdout);
    assert!(out.stdout.contains("RO"));
    assert!(!data.join("new").exists());
    assert_eq!(std::fs::read_to_string(rw.join("out")).unwrap(), "w\n");
}

fn env_cwd_user_applied(rt: &dyn Runtime) {
    let fx = Fixture::new();
    let spec = fx
        .spec(&["sh", "-c", "echo $FOO; pwd; id -u; id -g; id -G"])
        .env(["FOO=bar".to_string()])
        .cwd("/tmp/work")
        .user(User {
            uid: 1000,
            gid: 1001,
            umask: None,
            additional_gids: vec![1001, 2000],
        })
        .build()
        .unwrap();
    let out = run(rt, &fx, &spec);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[..4],
        ["bar", "/tmp/work", "1000", "1001"],
        "{}",
        out.stdout
    );
    assert!(lines[4].contains("2000"), "{}", out.stdout);
}

fn cap_mask(names: &[&str]) -> u64 {
    names
        .iter()
        .map(|n| 1u64 << wharf_runtime::caps::number(n).unwrap())
        .fold(0, |a, b| a | b)
}

fn caps_of(stdout: &str, key: &str) -> u64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("{key} in {stdout}"));
    u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap()
}

fn default_capabilities_match_docker(rt: &dyn Runtime) {
    let fx = Fixture::new();
    let out = sh(rt, &fx, "grep -E '^Cap(Bnd|Eff|Prm)' /proc/self/status");
    let want = cap_mask(&defaults::DEFAULT_CAPABILITIES);
    assert_eq!(want, 0xa80425fb, "Docker's well-known default mask");
    for k in ["CapBnd", "CapEff", "CapPrm"] {
        assert_eq!(caps_of(&out.stdout, k), want, "{k}: {}", out.stdout);
    }
    let spec = fx
        .spec(&["grep", "-E", "^Cap(Bnd|Eff)", "/proc/self/status"])
        .cap_drop(["NET_RAW".to_string()])
        .build()
        .unwrap();
    let out = run(rt, &fx, &spec);
    assert_eq!(caps_of(&out.stdout, "CapBnd"), want & !(1 << 13));
    assert_eq!(caps_of(&out.stdout, "CapEff"), want & !(1 << 13));
}

fn rlimits_clamped_to_hard_limit(rt: &dyn Runtime) {
    let fx = Fixture::new();
    let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .maximum
        .unwrap();
    let spec = fx
        .spec(&["sh", "-c", "ulimit -n; ulimit -Hn"])
        .ulimit("nofile", hard + 1000, hard + 1000)
        .unwrap()
        .ulimit("nproc", 77, 99)
        .unwrap()
        .build()
        .unwrap();
    let out = run(rt, &fx, &spec);
    assert_eq!(out.stdout, format!("{hard}\n{hard}\n"));
    assert!(
        out.warnings.iter().any(|w| w.contains("RLIMIT_NOFILE")),
        "{:?}",
        out.warnings
    );
}

fn tty_is_allocated(rt: &dyn Runtime) {
    let fx = Fixture::new();
    let spec = fx
        .spec(&[
            "sh",
            "-c",
            "tty; [ -t 0 ] && [ -t 1 ] && echo isatty; stty size",
        ])
        .tty(
            true,
            Some(ConsoleSize {
                height: 33,
                width: 101,
            }),
        )
        .build()
        .unwrap();
    let out = run(rt, &fx, &spec);
    assert_eq!(out.stdout, "/dev/pts/0\r\nisatty\r\n33 101\r\n");
}

fn exit_codes_pass_through(rt: &dyn Runtime) {
    let fx = Fixture::new();
    assert_eq!(sh(rt, &fx, "exit 42").status.code(), 42);
    // PID 1 without a handler ignores TERM, as in Docker.
    assert_eq!(sh(rt, &fx, "kill -TERM $$; echo alive").stdout, "alive\n");
    let spec = fx.spec(&["no-such-command"]).build().unwrap();
    let err = run_with(rt, &fx, &spec, None).unwrap_err();
    assert_eq!(err.exit_code_hint(), Some(127), "{err}");
    assert!(
        err.to_string()
            .contains("executable file not found in $PATH"),
        "{err}"
    );
    let spec = fx.spec(&["/etc/passwd"]).build().unwrap();
    let err = run_with(rt, &fx, &spec, None).unwrap_err();
    assert_eq!(err.exit_code_hint(), Some(126), "{err}");
}

fn exec_joins_the_namespaces(rt: &dyn Runtime) {
    let fx = Fixture::new();
    let spec = fx
        .spec(&["sleep", "100"])
        .hostname("execbox")
        .build()
        .unwrap();
    let (mut g, _out) = create(rt, &fx, &spec, None).unwrap();
    rt.start(g.c()).unwrap();
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
    let mut process = spec.process.clone().unwrap();
    process.args = ["sh", "-c", "ps -o pid,args; hostname; echo $$"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let w2 = w.try_clone().unwrap();
    let mut p = rt
        .exec(
            g.c.as_ref().unwrap(),
            ExecOptions {
                process: &process,
                stdio: Stdio {
                    stdin: None,
                    stdout: Some(w),
                    stderr: Some(w2),
                },
            },
        )
        .unwrap();
    let mut s = String::new();
    std::fs::File::from(r).read_to_string(&mut s).unwrap();
    assert_eq!(p.wait().unwrap(), ExitStatus::Exited(0));
    let first_pid_line = s.lines().nth(1).unwrap_or_default();
    assert!(
        first_pid_line.trim_start().starts_with("1 ") && first_pid_line.contains("sleep 100"),
        "{s}"
    );
    assert!(s.contains("execbox"), "{s}");
    rt.kill(g.c.as_ref().unwrap(), libc::SIGKILL, false)
        .unwrap();
    assert_eq!(g.c().wait().unwrap(), ExitStatus::Signaled(9));
}

fn exec_with_tty_and_missing_command(rt: &dyn Runtime) {
    let fx = Fixture::new();
    let spec = fx.spec(&["sleep", "100"]).build().unwrap();
    let (mut g, _out) = create(rt, &fx, &spec, None).unwrap();
    rt.start(g.c()).unwrap();
    let mut process = spec.process.clone().unwrap();
    process.terminal = true;
    process.args = ["sh", "-c", "[ -t 1 ] && echo tty-ok"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let c = g.c.as_ref().unwrap();
    let mut p = rt
        .exec(
            c,
            ExecOptions {
                process: &process,
                stdio: Stdio::null(),
            },
        )
        .unwrap();
    let mut buf = Vec::new();
    let _ = std::fs::File::from(p.take_console().expect("pty master")).read_to_end(&mut buf);
    assert_eq!(String::from_utf8_lossy(&buf), "tty-ok\r\n");
    assert_eq!(p.wait().unwrap(), ExitStatus::Exited(0));
    process.terminal = false;
    process.args = vec!["no-such-command".into()];
    let err = rt
        .exec(
            c,
            ExecOptions {
                process: &process,
                stdio: Stdio::null(),
            },
        )
        .unwrap_err();
    assert_eq!(err.exit_code_hint(), Some(127), "{err}");
}

fn mounts_of(path: &std::path::Path) -> usize {
    let needle = path.display().to_string();
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter(|l| l.contains(&needle))
        .count()
}

fn nothing_left_after_failed_start(rt: &dyn Runtime) {
    let fx = Fixture::new();
    let spec = fx
        .spec(&["true"])
        .bind(Bind::new("/nonexistent/wharf-source", "/x"))
        .build()
        .unwrap();
    let before = std::fs::read_to_string("/proc/thread-self/children").unwrap();
    let err = run_with(rt, &fx, &spec, None).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/wharf-source"),
        "{err}"
    );
    assert_eq!(mounts_of(fx.dir.path()), 0, "mounts left behind");
    assert_eq!(
        std::fs::read_to_string("/proc/thread-self/children").unwrap(),
        before
    );
}

fn seccomp_default_profile_is_loaded(rt: &dyn Runtime) {
    use wharf_seccomp::{Arch, default_profile, to_oci};
    let fx = Fixture::new();
    let caps = defaults::default_capabilities();
    let profile = to_oci(&default_profile(), &caps, Arch::native());
    let spec = fx
        .spec(&["sh", "-c", "grep '^Seccomp:' /proc/self/status; echo ok"])
        .seccomp(Some(profile))
        .build()
        .unwrap();
    let out = run(rt, &fx, &spec);
    assert_eq!(
        out.stdout.split_whitespace().collect::<Vec<_>>(),
        ["Seccomp:", "2", "ok"]
    );
}

fn cgroup_dir(controller: &str, path: &str) -> std::path::PathBuf {
    std::path::Path::new("/sys/fs/cgroup")
        .join(controller)
        .join(path.trim_start_matches('/'))
}

/// Remove the shared `/wharf-test` parent in every hierarchy; busy (another test's child
/// cgroup inside) is fine, the last test out removes it.
fn remove_test_parent() {
    for entry in std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
        let _ = std::fs::remove_dir(entry.path().join("wharf-test"));
    }
}

fn cgroup_limits_pause_and_removal(rt: &dyn Runtime) {
    let fx = Fixture::new();
    let path = format!("/wharf-test/{}", id(rt.name()));
    let res = wharf_cgroups::LinuxResources {
        pids: Some(wharf_cgroups::LinuxPids { limit: 10 }),
        ..Default::default()
    };
    let spec = fx
        .spec(&[
            "sh",
            "-c",
            "cat /sys/fs/cgroup/pids/pids.max; exec sleep 100",
        ])
        .cgroups_path(&path)
        .resources(res)
        .build()
        .unwrap();
    let (mut g, out) = create(rt, &fx, &spec, None).unwrap();
    assert!(cgroup_dir("pids", &path).is_dir());
    rt.start(g.c()).unwrap();
    let mut line = [0u8; 3];
    let mut out = std::fs::File::from(out.unwrap());
    out.read_exact(&mut line).unwrap();
    assert_eq!(&line, b"10\n");
    rt.pause(g.c()).unwrap();
    assert_eq!(
        rt.state(g.c.as_ref().unwrap()).unwrap(),
        wharf_runtime::Status::Paused
    );
    rt.resume(g.c()).unwrap();
    assert_eq!(
        rt.state(g.c.as_ref().unwrap()).unwrap(),
        wharf_runtime::Status::Running
    );
    rt.kill(g.c.as_ref().unwrap(), libc::SIGKILL, true).unwrap();
    g.c().wait().unwrap();
    let c = g.c.take().unwrap();
    rt.delete(c, false).unwrap();
    assert!(!cgroup_dir("pids", &path).exists(), "cgroup left behind");
    remove_test_parent();
}

fn nothing_left_after_failed_start_with_cgroup(rt: &dyn Runtime) {
    let fx = Fixture::new();
    let path = format!("/wharf-test/{}", id(rt.name()));
    let spec = fx
        .spec(&["no-such-command"])
        .cgroups_path(&path)
        .build()
        .unwrap();
    let before = std::fs::read_to_string("/proc/thread-self/children").unwrap();
    let err = run_with(rt, &fx, &spec, None).unwrap_err();
    assert_eq!(err.exit_code_hint(), Some(127), "{err}");
    assert!(!cgroup_dir("pids", &path).exists(), "cgroup left behind");
    remove_test_parent();
    assert_eq!(mounts_of(fx.dir.path()), 0);
    assert_eq!(
        std::fs::read_to_string("/proc/thread-self/children").unwrap(),
        before
    );
}

macro_rules! suite {
    ($($t:ident),* $(,)?) => {
        mod builtin { $( #[test] fn $t() { if let Some(rt) = super::builtin() { super::$t(rt.as_ref()) } } )* }
        mod runc { $( #[test] fn $t() { if let Some(rt) = super::runc() { super::$t(rt.as_ref()) } } )* }
        mod crun { $( #[test] fn $t() { if let Some(rt) = super::crun() { super::$t(rt.as_ref()) } } )* }
    };
}

suite!(
    pid_one_is_the_command,
    hostname_is_set,
    proc_shows_only_container_pids,
    masked_paths_are_unreadable,
    readonly_paths_refuse_writes,
    readonly_root_refuses_writes,
    bind_mount_visible_and_ro_honoured,
    env_cwd_user_applied,
    default_capabilities_match_docker,
    rlimits_clamped_to_hard_limit,
    tty_is_allocated,
    exit_codes_pass_through,
    exec_joins_the_namespaces,
    exec_with_tty_and_missing_command,
    nothing_left_after_failed_start,
    seccomp_default_profile_is_loaded,
    cgroup_limits_pause_and_removal,
    nothing_left_after_failed_start_with_cgroup,
);

/// Built-in only: the rootfs is an overlay mounted inside the container's own mount
/// namespace, invisible on the host, writes land in the upper dir.
#[test]
fn builtin_overlay_rootfs_is_private_to_the_container() {
    let fx = Fixture::new();
    let (upper, work, root) = (
        fx.dir.path().join("upper"),
        fx.dir.path().join("work"),
        fx.dir.path().join("merged"),
    );
    for d in [&upper, &work, &root] {
        std::fs::create_dir(d).unwrap();
    }
    let mount = wharf_runtime::RootfsMount::overlay(&[fx.rootfs()], &upper, &work);
    let spec = wharf_runtime::SpecBuilder::new(
        root.display().to_string(),
        vec![
            "sh".into(),
            "-c".into(),
            "echo hi > /written; grep -c ' / / ' /proc/self/mountinfo; exec sleep 100".into(),
        ],
    )
    .build()
    .unwrap();
    let rt = wharf_runtime::Builtin;
    let (mut g, out) = create(&rt, &fx, &spec, Some(&mount)).unwrap();
    rt.start(g.c()).unwrap();
    let mut buf = [0u8; 2];
    std::fs::File::from(out.unwrap())
        .read_exact(&mut buf)
        .unwrap();
    assert_eq!(&buf, b"1\n");
    assert_eq!(
        mounts_of(fx.dir.path()),
        0,
        "rootfs mount visible on the host"
    );
    assert!(!root.join("written").exists());
    assert_eq!(
        std::fs::read_to_string(upper.join("written")).unwrap(),
        "hi\n"
    );
    rt.kill(g.c.as_ref().unwrap(), libc::SIGKILL, false)
        .unwrap();
}

/// Regression: an overlay whose `lowerdir` list is longer than the 255 bytes `fsconfig` takes
/// in one value (an image with many layers, a long data root) used to fail with EINVAL.
#[test]
fn builtin_overlay_rootfs_with_a_long_lowerdir_list() {
    let fx = Fixture::new();
    let deep = fx
        .dir
        .path()
        .join("a-rather-long-directory-name-for-layers/and-another-level");
    let mut lowers = Vec::new();
    for i in 0..12 {
        let l = deep.join(format!("layer-number-{i:02}"));
        std::fs::create_dir_all(&l).unwrap();
        std::fs::write(l.join(format!("f{i}")), format!("{i}\n")).unwrap();
        lowers.push(l);
    }
    lowers.push(fx.rootfs().to_path_buf());
    let (upper, work, root) = (
        fx.dir.path().join("upper"),
        fx.dir.path().join("work"),
        fx.dir.path().join("merged"),
    );
    for d in [&upper, &work, &root] {
        std::fs::create_dir(d).unwrap();
    }
    let mount = wharf_runtime::RootfsMount::overlay(&lowers, &upper, &work);
    assert!(mount.options.len() > 600);
    let spec = wharf_runtime::SpecBuilder::new(
        root.display().to_string(),
        vec!["sh".into(), "-c".into(), "cat /f0 /f11".into()],
    )
    .build()
    .unwrap();
    let rt = wharf_runtime::Builtin;
    let (mut g, out) = create(&rt, &fx, &spec, Some(&mount)).unwrap();
    rt.start(g.c()).unwrap();
    let mut text = String::new();
    std::fs::File::from(out.unwrap())
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "0\n11\n");
}
