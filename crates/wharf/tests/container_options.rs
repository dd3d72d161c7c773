//! `run` options that change what a container may do, each checked from inside the container
//! (or in its cgroup) and through both wharf's CLI and the official docker CLI: security
//! (capabilities, seccomp, masked paths, no-new-privileges, --privileged), resources enforced by
//! the kernel, rlimits, a read-only rootfs with tmpfs, --init, stop signals, log rotation
//! defaults, and the same spec on runc.

mod common;

use std::process::Output;

use common::*;

const CLIS: [&str; 2] = ["wharf", "docker"];

fn setup() -> Option<TestDaemon> {
    if skip_unless_root() || !docker_available() {
        return None;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox:latest");
    Some(d)
}

fn cli(d: &TestDaemon, which: &str, args: &[&str]) -> Output {
    if which == "docker" {
        d.docker(args)
    } else {
        d.wharf(args)
    }
}

/// `run --rm [opts] busybox sh -c script` through `which`, its stdout lines.
fn run_sh(d: &TestDaemon, which: &str, opts: &[&str], script: &str) -> Vec<String> {
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(opts);
    args.extend_from_slice(&["busybox", "sh", "-c", script]);
    let o = cli(d, which, &args);
    ok(&o).lines().map(str::to_string).collect()
}

/// The test process's own bounding set: what `--privileged` can hand on.
fn host_bounding_set() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .unwrap()
        .trim()
        .to_string();
    format!("CapEff:{hex}")
}

const PROBE: &str = "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status | tr -d '\\t'; \
     unshare -U true 2>/dev/null && echo unshare=ok || echo unshare=blocked; \
     wc -c < /proc/timer_list; ls /sys/firmware | wc -l; \
     grep -c ' /proc/sys proc ro' /proc/mounts || true";

#[test]
fn security_defaults_and_options() {
    let Some(d) = setup() else { return };
    for c in CLIS {
        // Docker's default capabilities, its seccomp profile (unshare needs CAP_SYS_ADMIN
        // there), masked and read-only paths.
        assert_eq!(
            run_sh(&d, c, &[], PROBE),
            [
                "CapEff:00000000a80425fb",
                "NoNewPrivs:0",
                "Seccomp:2",
                "unshare=blocked",
                "0",
                "0",
                "1"
            ],
            "{c}: defaults"
        );
        // The profile is what blocks unshare: unconfined allows it.
        let lines = run_sh(&d, c, &["--security-opt", "seccomp=unconfined"], PROBE);
        assert_eq!(lines[2..4], ["Seccomp:0", "unshare=ok"], "{c}: unconfined");
        let lines = run_sh(
            &d,
            c,
            &[
                "--cap-drop",
                "NET_RAW",
                "--cap-add",
                "sys_admin",
                "--security-opt",
                "no-new-privileges",
            ],
            PROBE,
        );
        assert_eq!(
            lines[..3],
            ["CapEff:00000000a82405fb", "NoNewPrivs:1", "Seccomp:2"],
            "{c}: cap-add/drop, no-new-privileges"
        );
        // --privileged: every capability the engine holds, no seccomp, nothing masked.
        let lines = run_sh(&d, c, &["--privileged"], PROBE);
        assert_eq!(lines[0], host_bounding_set(), "{c}: privileged caps");
        assert_eq!(lines[2..4], ["Seccomp:0", "unshare=ok"], "{c}: privileged");
        assert_ne!(
            lines[4], "0",
            "{c}: /proc/timer_list masked when privileged"
        );
        assert_ne!(lines[5], "0", "{c}: /sys/firmware masked when privileged");
        assert_eq!(lines[6], "0", "{c}: /proc/sys read-only when privileged");
    }
}

/// The limits a container's cgroup holds (v1 controllers or the v2 unified tree).
fn cgroup_limits(id: &str) -> Vec<String> {
    let v1 = |ctrl: &str, file: &str| {
        std::fs::read_to_string(format!("/sys/fs/cgroup/{ctrl}/wharf/{id}/{file}"))
    };
    let v2 = |file: &str| std::fs::read_to_string(format!("/sys/fs/cgroup/wharf/{id}/{file}"));
    let read = |ctrl: &str, f1: &str, f2: &str| {
        v1(ctrl, f1)
            .or_else(|_| v2(f2))
            .unwrap_or_else(|e| panic!("{ctrl}: {e}"))
            .trim()
            .to_string()
    };
    vec![
        read("memory", "memory.limit_in_bytes", "memory.max"),
        read("cpu", "cpu.cfs_quota_us", "cpu.max"),
        read("cpu", "cpu.shares", "cpu.weight"),
        read("pids", "pids.max", "pids.max"),
    ]
}

/// As with Docker, `/sys/fs/cgroup` in a container shows its own cgroup (read-only), not the
/// host's hierarchies: on a v1 or hybrid host its cgroup directories are bound (host cgroup
/// namespace), on a v2 host the tree is mounted in its private cgroup namespace.
#[test]
fn container_sees_only_its_own_cgroups() {
    let Some(d) = setup() else { return };
    let v1 = std::path::Path::new("/sys/fs/cgroup/memory").exists();
    let script = if v1 {
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; ls /sys/fs/cgroup/pids | grep -c wharf; \
         touch /sys/fs/cgroup/pids/x 2>/dev/null && echo writable || echo ro"
    } else {
        "cat /sys/fs/cgroup/memory.max; ls /sys/fs/cgroup | grep -c wharf; \
         touch /sys/fs/cgroup/x 2>/dev/null && echo writable || echo ro"
    };
    for c in CLIS {
        let lines = run_sh(&d, c, &["--memory", "64m"], &format!("{script}; true"));
        assert_eq!(lines, ["67108864", "0", "ro"], "{c}");
    }
}

#[test]
fn resources_are_set_and_enforced_in_the_cgroup() {
    let Some(d) = setup() else { return };
    for c in CLIS {
        let name = format!("res-{c}");
        let limits = [
            "--memory",
            "64m",
            "--cpus",
            "0.5",
            "--cpu-shares",
            "512",
            "--pids-limit",
            "50",
        ];
        let mut args = vec!["run", "-d", "--name", &name];
        args.extend_from_slice(&limits);
        args.extend_from_slice(&["busybox", "sleep", "600"]);
        let id = ok(&cli(&d, c, &args)).trim().to_string();
        let got = cgroup_limits(&id);
        if std::path::Path::new("/sys/fs/cgroup/memory/wharf").exists() {
            assert_eq!(got, ["67108864", "50000", "512", "50"], "{c}");
        } else {
            assert_eq!(got[0], "67108864", "{c}");
            assert_eq!(got[1], "50000 100000", "{c}");
            assert_eq!(got[3], "50", "{c}");
        }
        ok(&cli(&d, c, &["rm", "-f", &name]));

        // The kernel enforces them: a 40 MiB buffer under a 16 MiB limit is killed, the
        // sixth process under a limit of five cannot be forked.
        let o = cli(
            &d,
            c,
            &[
                "run",
                "--name",
                &name,
                "--memory",
                "16m",
                "busybox",
                "dd",
                "if=/dev/zero",
                "of=/dev/null",
                "bs=40M",
                "count=1",
            ],
        );
        assert_eq!(o.status.code(), Some(137), "{c}: memory limit not enforced");
        assert_eq!(
            ok(&cli(
                &d,
                c,
                &["inspect", "-f", "{{.State.OOMKilled}}", &name]
            )),
            "true\n",
            "{c}"
        );
        ok(&cli(&d, c, &["rm", &name]));
        let o = cli(
            &d,
            c,
            &[
                "run",
                "--rm",
                "--pids-limit",
                "5",
                "busybox",
                "sh",
                "-c",
                "for i in 1 2 3 4 5 6 7 8; do sleep 2 & done 2>&1; wait",
            ],
        );
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("can't fork")
                || stdout(&o).contains("can't fork"),
            "{c}: pids limit not enforced: {o:?}"
        );
    }
}

#[test]
fn ulimit_read_only_tmpfs_init_and_stop_signal() {
    let Some(d) = setup() else { return };
    for c in CLIS {
        assert_eq!(
            run_sh(
                &d,
                c,
                &["--ulimit", "nofile=1024:2048"],
                "ulimit -n; ulimit -Hn"
            ),
            ["1024", "2048"],
            "{c}: --ulimit"
        );
        assert_eq!(
            run_sh(
                &d,
                c,
                &["--read-only", "--tmpfs", "/run:size=1m"],
                "touch /x 2>/dev/null || echo ro; touch /run/x && echo rw; grep ' /run ' /proc/mounts"
            ),
            [
                "ro",
                "rw",
                "tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k 0 0"
            ],
            "{c}: --read-only --tmpfs"
        );
        assert_eq!(
            run_sh(&d, c, &["--init"], "cat /proc/1/comm; echo $$"),
            ["docker-init", "2"],
            "{c}: --init"
        );

        // --stop-signal reaches the process; --stop-timeout bounds the wait before SIGKILL.
        let name = format!("stop-{c}");
        ok(&cli(
            &d,
            c,
            &[
                "run",
                "-d",
                "--name",
                &name,
                "--stop-signal",
                "SIGUSR1",
                "--stop-timeout",
                "1",
                "busybox",
                "sh",
                "-c",
                "trap 'echo got-usr1; exit 7' USR1; echo ready; while :; do sleep 0.1; done",
            ],
        ));
        let ready = || stdout(&cli(&d, c, &["logs", &name])).contains("ready");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !ready() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_eq!(
            ok(&cli(
                &d,
                c,
                &[
                    "inspect",
                    "-f",
                    "{{.Config.StopSignal}} {{.Config.StopTimeout}}",
                    &name
                ]
            ))
            .trim(),
            "SIGUSR1 1"
        );
        ok(&cli(&d, c, &["stop", &name]));
        assert_eq!(
            ok(&cli(
                &d,
                c,
                &["inspect", "-f", "{{.State.ExitCode}}", &name]
            ))
            .trim(),
            "7",
            "{c}: stop signal"
        );
        assert!(stdout(&cli(&d, c, &["logs", &name])).contains("got-usr1"));
        // A process that ignores the signal is killed once the timeout passes.
        ok(&cli(&d, c, &["start", &name]));
        let t = std::time::Instant::now();
        ok(&cli(&d, c, &["stop", "-s", "SIGWINCH", &name]));
        assert!(t.elapsed() < std::time::Duration::from_secs(8), "{c}");
        assert_eq!(
            ok(&cli(
                &d,
                c,
                &["inspect", "-f", "{{.State.ExitCode}}", &name]
            ))
            .trim(),
            "137",
            "{c}: SIGKILL after --stop-timeout"
        );
        assert_eq!(
            ok(&cli(
                &d,
                c,
                &["inspect", "-f", "{{.State.OOMKilled}}", &name]
            )),
            "false\n",
            "{c}: a SIGKILL is not an OOM kill"
        );
        ok(&cli(&d, c, &["rm", &name]));
    }
}

#[test]
fn log_rotation_default_shown_and_runc_runs_the_same_spec() {
    let Some(d) = setup() else { return };
    for c in CLIS {
        let name = format!("log-{c}");
        ok(&cli(&d, c, &["create", "--name", &name, "busybox"]));
        assert_eq!(
            ok(&cli(
                &d,
                c,
                &["inspect", "-f", "{{json .HostConfig.LogConfig}}", &name]
            ))
            .trim(),
            r#"{"Type":"json-file","Config":{"max-file":"5","max-size":"20m"}}"#,
            "{c}"
        );
        // Unset slices and maps: printed empty, encoded as null, as docker's CLI does.
        assert_eq!(
            ok(&cli(
                &d,
                c,
                &[
                    "inspect",
                    "-f",
                    "{{.Config.Env}} {{json .Config.Env}} {{.Config.ExposedPorts}} {{json .Config.ExposedPorts}}",
                    &name
                ]
            ))
            .trim(),
            "[] null map[] null",
            "{c}"
        );
        ok(&cli(&d, c, &["rm", &name]));
    }
    let info = ok(&d.docker(&["info", "--format", "{{json .Runtimes}}"]));
    if !std::path::Path::new("/usr/sbin/runc").exists() && !info.contains("\"runc\"") {
        eprintln!("skipped runc: not installed");
        return;
    }
    assert!(info.contains("\"runc\""), "{info}");
    for c in CLIS {
        assert_eq!(
            run_sh(
                &d,
                c,
                &["--runtime", "runc", "--cap-drop", "NET_RAW", "-h", "rc1"],
                "echo $$; hostname; grep -E '^(CapEff|Seccomp):' /proc/self/status | tr -d '\\t'; \
                 unshare -U true 2>/dev/null && echo unshare=ok || echo unshare=blocked"
            ),
            [
                "1",
                "rc1",
                "CapEff:00000000a80405fb",
                "Seccomp:2",
                "unshare=blocked"
            ],
            "{c}: --runtime runc"
        );
    }
}

#[test]
fn start_of_a_running_container_attaches_or_succeeds() {
    let Some(d) = setup() else { return };
    for c in CLIS {
        let name = format!("running-{c}");
        ok(&cli(
            &d,
            c,
            &["run", "-di", "--name", &name, "busybox", "sh"],
        ));
        // The engine answers 304 Not Modified: a success without a body, not a hang.
        let bin = if c == "docker" { DOCKER } else { WHARF };
        let timed = |args: &[&str], input: &[u8]| {
            use std::io::Write;
            let mut cmd = std::process::Command::new("timeout");
            cmd.args(["-s", "KILL", "20", bin])
                .args(args)
                .env("WHARF_HOST", d.host())
                .env("DOCKER_HOST", d.host())
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            child.stdin.take().unwrap().write_all(input).unwrap();
            child.wait_with_output().unwrap()
        };
        assert_eq!(
            ok(&timed(&["start", &name], b"")),
            format!("{name}\n"),
            "{c}"
        );
        let o = timed(&["start", "-a", "-i", &name], b"echo hi; exit 3\n");
        assert_eq!(
            (o.status.code(), stdout(&o)),
            (Some(3), "hi\n".into()),
            "{c}"
        );
        ok(&cli(&d, c, &["rm", &name]));
    }
}

fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    cond()
}

#[test]
fn config_flags_commit_ps_and_logs_through_both_clis() {
    let Some(d) = setup() else { return };
    let env_file = d.dir.path().join("env.list");
    std::fs::write(&env_file, "# comment\nFROM_FILE=yes\nA=file\n").unwrap();
    let env_file = env_file.to_str().unwrap();
    for c in CLIS {
        assert_eq!(
            run_sh(
                &d,
                c,
                &[
                    "--env-file",
                    env_file,
                    "-e",
                    "A=flag",
                    "-h",
                    "hh",
                    "-w",
                    "/tmp",
                    "-u",
                    "65534"
                ],
                "echo $FROM_FILE $A $(hostname) $(pwd) $(id -u)"
            ),
            ["yes flag hh /tmp 65534"],
            "{c}"
        );
        let o = cli(
            &d,
            c,
            &["run", "--rm", "--entrypoint", "echo", "busybox", "ep"],
        );
        assert_eq!(ok(&o), "ep\n", "{c}: --entrypoint");

        // logs: --tail, -t, --since and --until on the json-file log.
        let name = format!("lg-{c}");
        ok(&cli(
            &d,
            c,
            &[
                "run",
                "--name",
                &name,
                "busybox",
                "sh",
                "-c",
                "echo a; echo b; echo c",
            ],
        ));
        assert_eq!(ok(&cli(&d, c, &["logs", "--tail", "2", &name])), "b\nc\n");
        let ts = ok(&cli(&d, c, &["logs", "-t", "--tail", "1", &name]));
        assert!(ts.ends_with("Z c\n") && ts.len() > 25, "{c}: {ts}");
        assert_eq!(
            ok(&cli(
                &d,
                c,
                &["logs", "--until", "2000-01-01T00:00:00", &name]
            )),
            ""
        );
        assert_eq!(
            ok(&cli(
                &d,
                c,
                &["logs", "--since", "2000-01-01T00:00:00", &name]
            )),
            "a\nb\nc\n"
        );
        // Durations are whole seconds before now on the client, as docker's CLI computes them.
        assert_eq!(
            ok(&cli(&d, c, &["logs", "--since", "1m", &name])),
            "a\nb\nc\n"
        );

        // commit -c with --pause on a running container; ps -s, -n, -l.
        let run = format!("cm-{c}");
        ok(&cli(
            &d,
            c,
            &[
                "run",
                "-d",
                "--name",
                &run,
                "busybox",
                "sh",
                "-c",
                "echo x > /made; sleep 600",
            ],
        ));
        assert!(eventually(10, || cli(
            &d,
            c,
            &["exec", &run, "test", "-f", "/made"]
        )
        .status
        .success()));
        let image = format!("committed-{c}:v1");
        ok(&cli(
            &d,
            c,
            &[
                "commit",
                "--pause",
                "-c",
                "ENV FROM_COMMIT=1",
                "-c",
                "CMD [\"cat\", \"/made\"]",
                &run,
                &image,
            ],
        ));
        assert_eq!(
            ok(&cli(&d, c, &["inspect", "-f", "{{.State.Status}}", &run])),
            "running\n"
        );
        assert_eq!(
            ok(&cli(
                &d,
                c,
                &[
                    "image",
                    "inspect",
                    "-f",
                    "{{.Config.Env}} {{.Config.Cmd}}",
                    &image
                ]
            )),
            "[FROM_COMMIT=1] [cat /made]\n"
        );
        assert_eq!(ok(&cli(&d, c, &["run", "--rm", &image])), "x\n");
        let size = ok(&cli(
            &d,
            c,
            &[
                "ps",
                "-s",
                "--filter",
                &format!("name={run}"),
                "--format",
                "{{.Size}}",
            ],
        ));
        let re_ok = size.trim().ends_with("B (virtual 1.98MB)") || size.contains(" (virtual ");
        assert!(re_ok, "{c}: ps -s: {size}");
        assert_eq!(
            ok(&cli(&d, c, &["ps", "-l", "--format", "{{.Names}}"])),
            format!("{run}\n")
        );
        assert_eq!(
            ok(&cli(&d, c, &["ps", "-a", "-n", "2", "-q"]))
                .lines()
                .count(),
            2
        );
        ok(&cli(&d, c, &["rm", "-f", &run, &name]));
        ok(&cli(&d, c, &["rmi", &image]));
    }
}

#[test]
fn health_on_failure_restart_and_stop() {
    let Some(d) = setup() else { return };
    let unhealthy = [
        "--health-cmd",
        "false",
        "--health-interval",
        "200ms",
        "--health-retries",
        "1",
        "--stop-timeout",
        "1",
    ];
    // wharf's CLI has the flag; docker's sets it through the label.
    for (c, action, extra) in [
        ("wharf", "restart", vec!["--health-on-failure", "restart"]),
        ("docker", "stop", vec!["-l", "wharf.health-on-failure=stop"]),
    ] {
        let name = format!("hof-{action}");
        let mut args = vec!["run", "-d", "--name", &name];
        args.extend_from_slice(&unhealthy);
        args.extend(extra);
        args.extend_from_slice(&["busybox", "sleep", "600"]);
        ok(&cli(&d, c, &args));
        let state = || {
            ok(&cli(
                &d,
                c,
                &[
                    "inspect",
                    "-f",
                    "{{.State.Status}} {{.State.StartedAt}}",
                    &name,
                ],
            ))
        };
        if action == "restart" {
            let first = state();
            assert!(
                eventually(15, || {
                    let now = state();
                    now.starts_with("running") && now != first
                }),
                "{c}: not restarted: {}",
                state()
            );
        } else {
            assert!(
                eventually(15, || state().starts_with("exited")),
                "{c}: {}",
                state()
            );
            let code = ok(&cli(
                &d,
                c,
                &["inspect", "-f", "{{.State.ExitCode}}", &name],
            ));
            assert_eq!(
                code, "137\n",
                "{c}: sleep ignores SIGTERM, killed after --stop-timeout"
            );
        }
        ok(&cli(&d, c, &["rm", "-f", &name]));
    }
}

#[test]
fn stats_update_exec_restart_prune_and_events_through_both_clis() {
    let Some(d) = setup() else { return };
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    for c in CLIS {
        let name = format!("su-{c}");
        let id = ok(&cli(
            &d,
            c,
            &[
                "run", "-d", "--name", &name, "--memory", "64m", "busybox", "sleep", "600",
            ],
        ));
        let id = id.trim();
        let stats = ok(&cli(
            &d,
            c,
            &[
                "stats",
                "--no-stream",
                "--format",
                "{{.Name}} {{.MemUsage}} {{.PIDs}}",
                &name,
            ],
        ));
        assert!(
            stats.starts_with(&format!("{name} ")) && stats.contains(" / 64MiB 1"),
            "{c}: {stats}"
        );
        assert_eq!(
            ok(&cli(
                &d,
                c,
                &[
                    "update",
                    "--memory",
                    "96m",
                    "--memory-swap",
                    "-1",
                    "--pids-limit",
                    "30",
                    &name
                ]
            )),
            format!("{name}\n")
        );
        assert_eq!(
            cgroup_limits(id)[0],
            (96u64 << 20).to_string(),
            "{c}: update"
        );
        assert_eq!(cgroup_limits(id)[3], "30", "{c}: update");
        // exec -d leaves a process behind in the container.
        ok(&cli(
            &d,
            c,
            &["exec", "-d", &name, "sh", "-c", "echo bg > /tmp/bg"],
        ));
        assert!(eventually(10, || stdout(&cli(
            &d,
            c,
            &["exec", &name, "cat", "/tmp/bg"]
        )) == "bg\n"));
        // on-failure:2 restarts twice, then stays exited.
        let rname = format!("rs-{c}");
        ok(&cli(
            &d,
            c,
            &[
                "run",
                "-d",
                "--name",
                &rname,
                "--restart",
                "on-failure:2",
                "busybox",
                "sh",
                "-c",
                "exit 3",
            ],
        ));
        let state = || {
            stdout(&cli(
                &d,
                c,
                &[
                    "inspect",
                    "-f",
                    "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}",
                    &rname,
                ],
            ))
        };
        assert!(
            eventually(20, || state() == "exited 2 3\n"),
            "{c}: {}",
            state()
        );
        ok(&cli(&d, c, &["rm", "-f", &name]));
        let pruned = ok(&cli(&d, c, &["container", "prune", "-f"]));
        assert!(
            pruned.contains("Deleted Containers:") && pruned.contains("Total reclaimed space:"),
            "{c}: {pruned}"
        );
        assert_eq!(
            ok(&cli(&d, c, &["ps", "-aq"])),
            "",
            "{c}: prune left containers"
        );
    }
    let until = (start.parse::<u64>().unwrap() + 1).max(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    );
    for c in CLIS {
        let ev = ok(&cli(
            &d,
            c,
            &[
                "events",
                "--since",
                &start,
                "--until",
                &until.to_string(),
                "--filter",
                "container=rs-wharf",
                "--filter",
                "event=die",
                "--format",
                "{{.Action}} {{.Actor.Attributes.exitCode}}",
            ],
        ));
        assert_eq!(ev, "die 3\ndie 3\ndie 3\n", "{c}");
    }
}
