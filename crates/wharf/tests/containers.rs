//! Containers end to end through the official docker CLI (and wharf's CLI for parity): the
//! seeds' examples, the lifecycle, streams, volumes, restart policies, health checks, and bad
//! input. Every test runs its own daemon; its containers, shims and cgroups are removed when the
//! daemon handle drops, also when the test fails.

mod common;

use std::time::{Duration, Instant};

use common::*;

fn setup() -> Option<TestDaemon> {
    if skip_unless_root() || !docker_available() {
        return None;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox:latest");
    Some(d)
}

fn out(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn err(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim().to_string()
}

fn inspect(d: &TestDaemon, name: &str, fmt: &str) -> String {
    out(&d.docker(&["inspect", "-f", fmt, name]))
}

/// A Unix time one second from now, for `events --until` (which waits until then).
fn soon() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    (now + 1).to_string()
}

/// Polls `cond` for up to `secs` seconds.
fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    cond()
}

/// Nothing of a container may be left on the host: no shim, no cgroup, no mount.
fn assert_nothing_left(d: &TestDaemon) {
    assert!(
        eventually(10, || d.shim_pids().is_empty()),
        "shims left: {:?}",
        d.shim_pids()
    );
    let leftovers: Vec<String> = std::fs::read_dir("/sys/fs/cgroup/pids/wharf")
        .or_else(|_| std::fs::read_dir("/sys/fs/cgroup/wharf"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| d.container_ids().contains(n))
        .collect();
    assert!(leftovers.is_empty(), "cgroups left: {leftovers:?}");
    // Removed containers' files: gone from `containers` at once, deleted from `tmp` soon after.
    let entries = |dir: &str, prefix: &str| -> Vec<String> {
        std::fs::read_dir(d.root.join(dir))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(prefix))
            .collect()
    };
    let ids = ok(&d.wharf(&["ps", "-aq", "--no-trunc"]));
    let dirs: Vec<String> = entries("containers", "")
        .into_iter()
        .filter(|n| !ids.contains(n))
        .collect();
    assert!(
        dirs.is_empty(),
        "directories of removed containers: {dirs:?}"
    );
    assert!(
        eventually(10, || entries("tmp", "removed-container-").is_empty()),
        "removed containers' files not deleted: {:?}",
        entries("tmp", "removed-container-")
    );
    let root = d.root.display().to_string();
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        !mounts.lines().any(|l| l.contains(&root)),
        "mounts left under {root}"
    );
}

#[test]
fn seed_003_pid_1_is_the_command_and_run_pulls_nothing_when_local() {
    let Some(d) = setup() else { return };
    let o = d.docker(&["run", "--rm", "busybox", "sh", "-c", "echo $$"]);
    assert_eq!(ok(&o).trim(), "1");
    assert!(!err(&o).contains("Unable to find image"), "{}", err(&o));
    // wharf's CLI sees the same engine.
    let o = d.wharf(&["run", "--rm", "busybox", "sh", "-c", "echo $$"]);
    assert_eq!(ok(&o).trim(), "1");
    assert!(!err(&o).contains("Unable to find image"), "{}", err(&o));
    assert!(
        d.docker(&["ps", "-aq"]).stdout.is_empty(),
        "--rm left a container"
    );
    assert_nothing_left(&d);
}

/// Removal moves a container's directory into the data root's `tmp`; without that directory
/// it must still remove it (in place) rather than leave it behind.
#[test]
fn rm_removes_the_directory_even_without_the_data_roots_tmp() {
    let Some(d) = setup() else { return };
    std::fs::remove_dir_all(d.root.join("tmp")).unwrap();
    ok(&d.wharf(&["run", "--rm", "busybox", "true"]));
    ok(&d.wharf(&["run", "--name", "kept", "busybox", "true"]));
    ok(&d.wharf(&["rm", "kept"]));
    assert_nothing_left(&d);
}

#[test]
fn seed_003_create_then_start_then_attach() {
    let Some(d) = setup() else { return };
    ok(&d.docker(&["create", "-i", "--name", "container-test1", "busybox", "sh"]));
    let st = inspect(&d, "container-test1", "{{.State.Status}}");
    assert_eq!(st, "created");
    let ps = out(&d.docker(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"]));
    assert_eq!(ps, "container-test1 Created");
    ok(&d.docker(&["start", "container-test1"]));
    assert_eq!(inspect(&d, "container-test1", "{{.State.Running}}"), "true");
    // attach, type a command, and leave.
    let mut child = d
        .docker_cmd(&["attach", "container-test1"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(b"echo from-attach $$; exit 3\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(out(&o), "from-attach 1");
    assert_eq!(o.status.code(), Some(3));
    assert!(eventually(5, || inspect(
        &d,
        "container-test1",
        "{{.State.Status}}"
    ) == "exited"));
    assert_eq!(inspect(&d, "container-test1", "{{.State.ExitCode}}"), "3");
    ok(&d.docker(&["rm", "container-test1"]));
    assert_nothing_left(&d);
}

#[test]
fn seed_002_diff_and_commit() {
    let Some(d) = setup() else { return };
    ok(&d.docker(&[
        "run",
        "--name",
        "c1",
        "busybox",
        "sh",
        "-c",
        "mkdir /app && echo hi > /app/file && rm /bin/vi",
    ]));
    let diff = out(&d.docker(&["diff", "c1"]));
    let lines: Vec<&str> = diff.lines().collect();
    assert!(lines.contains(&"A /app"), "{diff}");
    assert!(lines.contains(&"A /app/file"), "{diff}");
    assert!(lines.contains(&"C /bin"), "{diff}");
    assert!(lines.contains(&"D /bin/vi"), "{diff}");
    assert!(
        !diff.contains("/etc/hosts") && !diff.contains("/proc"),
        "{diff}"
    );
    let id = ok(&d.docker(&["commit", "-a", "me", "-m", "added app", "c1", "myapp:v1"]));
    assert!(id.trim().starts_with("sha256:"), "{id}");
    assert_eq!(
        out(&d.docker(&[
            "image",
            "inspect",
            "-f",
            "{{.Author}}|{{.Comment}}",
            "myapp:v1"
        ])),
        "me|added app"
    );
    // A container of the new image has the file, and its diff is empty.
    assert_eq!(
        ok(&d.docker(&["run", "--name", "c2", "myapp:v1", "cat", "/app/file"])).trim(),
        "hi"
    );
    assert_eq!(out(&d.docker(&["diff", "c2"])), "");
    // commit -c changes the config; --pause on a running container.
    ok(&d.docker(&["run", "-d", "--name", "c3", "busybox", "sleep", "60"]));
    ok(&d.docker(&[
        "commit",
        "-c",
        "ENV FOO=bar",
        "-c",
        "CMD [\"env\"]",
        "c3",
        "myenv",
    ]));
    let env = ok(&d.docker(&["run", "--rm", "myenv"]));
    assert!(env.contains("FOO=bar"), "{env}");
    ok(&d.docker(&["rm", "-f", "c1", "c2", "c3"]));
    assert_nothing_left(&d);
}

#[test]
fn streams_exit_codes_and_bad_commands() {
    let Some(d) = setup() else { return };
    let o = d.docker(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 7",
    ]);
    assert_eq!(o.status.code(), Some(7));
    assert_eq!(out(&o), "out");
    assert_eq!(err(&o), "err");
    let o = d
        .docker_cmd(&["run", "--rm", "-i", "busybox", "cat"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(b"piped\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(out(&o), "piped");
    // Command not found: 127; not executable: 126; nothing left behind.
    let e = fails(
        &d.docker(&["run", "--name", "nf", "busybox", "nosuchcmd"]),
        127,
    );
    assert!(e.contains("executable file not found"), "{e}");
    assert_eq!(inspect(&d, "nf", "{{.State.ExitCode}}"), "127");
    let e = fails(&d.docker(&["run", "--rm", "busybox", "/etc/passwd"]), 126);
    assert!(e.contains("permission denied"), "{e}");
    ok(&d.docker(&["rm", "nf"]));
    assert_nothing_left(&d);
}

#[test]
fn bad_input_gets_dockers_errors_and_exit_codes() {
    let Some(d) = setup() else { return };
    let e = fails(&d.docker(&["run", "--nosuchflag", "busybox"]), 125);
    assert!(e.contains("unknown flag"), "{e}");
    let e = fails(&d.docker(&["run", "--rm", "nosuchimage:1"]), 125);
    assert!(
        e.contains("Unable to find image 'nosuchimage:1' locally"),
        "{e}"
    );
    let e = fails(&d.docker(&["start", "nosuchcontainer"]), 1);
    assert!(e.contains("No such container: nosuchcontainer"), "{e}");
    let e = fails(
        &d.docker(&["run", "--rm", "-v", "foo:bar", "busybox", "true"]),
        125,
    );
    assert!(e.contains("invalid volume specification: 'foo:bar'"), "{e}");
    let e = fails(
        &d.docker(&[
            "run",
            "--rm",
            "--mount",
            "type=bind,source=/definitely/not/here,target=/x",
            "busybox",
            "true",
        ]),
        125,
    );
    assert!(e.contains("bind source path does not exist"), "{e}");
    let e = fails(
        &d.docker(&["run", "--restart", "sometimes", "busybox", "true"]),
        125,
    );
    assert!(e.contains("invalid restart policy"), "{e}");
    ok(&d.docker(&["create", "--name", "taken", "busybox", "true"]));
    let e = fails(
        &d.docker(&["create", "--name", "taken", "busybox", "true"]),
        1,
    );
    assert!(
        e.contains("Conflict. The container name \"/taken\" is already in use by container"),
        "{e}"
    );
    let e = fails(
        &d.docker(&["run", "--name", "bad name", "busybox", "true"]),
        125,
    );
    assert!(e.contains("Invalid container name (bad name)"), "{e}");
    ok(&d.docker(&["rm", "taken"]));
    assert!(d.docker(&["ps", "-aq"]).stdout.is_empty());
    assert_nothing_left(&d);
}

#[test]
fn random_names_look_like_dockers() {
    let Some(d) = setup() else { return };
    let id = ok(&d.docker(&["create", "busybox", "true"]));
    let name = inspect(&d, id.trim(), "{{.Name}}");
    let (adj, rest) = name.trim_start_matches('/').split_once('_').unwrap();
    assert!(!adj.is_empty() && !rest.is_empty(), "{name}");
    ok(&d.docker(&["rm", id.trim()]));
}

#[test]
fn lifecycle_stop_kill_restart_pause_rename_wait_top() {
    let Some(d) = setup() else { return };
    ok(&d.docker(&["run", "-d", "--name", "web", "busybox", "sleep", "300"]));
    let top = ok(&d.docker(&["top", "web"]));
    assert!(top.contains("sleep 300"), "{top}");
    ok(&d.docker(&["pause", "web"]));
    assert_eq!(inspect(&d, "web", "{{.State.Status}}"), "paused");
    assert!(out(&d.docker(&["ps"])).contains("(Paused)"));
    ok(&d.docker(&["unpause", "web"]));
    ok(&d.docker(&["rename", "web", "web2"]));
    assert_eq!(inspect(&d, "web2", "{{.Name}}"), "/web2");
    let started = inspect(&d, "web2", "{{.State.StartedAt}}");
    ok(&d.docker(&["restart", "-t", "1", "web2"]));
    assert_ne!(inspect(&d, "web2", "{{.State.StartedAt}}"), started);
    ok(&d.docker(&["rm", "-f", "web2"]));
    ok(&d.docker(&[
        "run",
        "-d",
        "--name",
        "web2",
        "busybox",
        "sh",
        "-c",
        "trap 'exit 9' TERM; sleep 300 & wait",
    ]));
    std::thread::sleep(Duration::from_millis(300));
    ok(&d.docker(&["kill", "-s", "TERM", "web2"]));
    assert_eq!(out(&d.docker(&["wait", "web2"])), "9");
    let e = fails(&d.docker(&["kill", "web2"]), 1);
    assert!(e.contains("is not running"), "{e}");
    // stop: the stop signal, then SIGKILL after the timeout.
    ok(&d.docker(&[
        "run",
        "-d",
        "--name",
        "stubborn",
        "busybox",
        "sh",
        "-c",
        "trap '' TERM; sleep 300",
    ]));
    let t = Instant::now();
    ok(&d.docker(&["stop", "-t", "1", "stubborn"]));
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(inspect(&d, "stubborn", "{{.State.ExitCode}}"), "137");
    let ps = ok(&d.docker(&[
        "ps",
        "-a",
        "--filter",
        "exited=137",
        "--format",
        "{{.Names}}",
    ]));
    assert_eq!(ps.trim(), "stubborn");
    let e = fails(&d.docker(&["rm", "web2", "nosuch"]), 1);
    assert!(e.contains("No such container: nosuch"), "{e}");
    ok(&d.docker(&["run", "-d", "--name", "running", "busybox", "sleep", "300"]));
    let e = fails(&d.docker(&["rm", "running"]), 1);
    assert!(e.contains("cannot remove a running container"), "{e}");
    ok(&d.docker(&["rm", "-f", "running", "stubborn"]));
    assert_nothing_left(&d);
}

#[test]
fn exec_runs_in_the_container_with_its_options() {
    let Some(d) = setup() else { return };
    ok(&d.docker(&[
        "run", "-d", "--name", "ex1", "-e", "A=1", "busybox", "sleep", "300",
    ]));
    assert_eq!(
        ok(&d.docker(&["exec", "ex1", "sh", "-c", "echo $A $$"]))
            .trim()
            .split(' ')
            .next(),
        Some("1")
    );
    assert_eq!(
        ok(&d.docker(&[
            "exec",
            "-e",
            "B=2",
            "-w",
            "/tmp",
            "ex1",
            "sh",
            "-c",
            "echo $B $(pwd)"
        ]))
        .trim(),
        "2 /tmp"
    );
    assert_eq!(
        ok(&d.docker(&["exec", "-u", "nobody", "ex1", "id", "-u"])).trim(),
        "65534"
    );
    fails(&d.docker(&["exec", "ex1", "sh", "-c", "exit 3"]), 3);
    fails(&d.docker(&["exec", "ex1", "nosuch"]), 127);
    ok(&d.docker(&["exec", "-d", "ex1", "sh", "-c", "echo detached > /tmp/d"]));
    assert!(eventually(5, || out(
        &d.docker(&["exec", "ex1", "cat", "/tmp/d"])
    ) == "detached"));
    let ids = inspect(&d, "ex1", "{{len .ExecIDs}}");
    assert_ne!(ids, "0");
    ok(&d.docker(&["stop", "-t", "0", "ex1"]));
    let e = fails(&d.docker(&["exec", "ex1", "true"]), 1);
    assert!(e.contains("is not running"), "{e}");
    ok(&d.docker(&["rm", "ex1"]));
    assert_nothing_left(&d);
}

#[test]
fn logs_follow_since_tail_timestamps_and_rotation() {
    let Some(d) = setup() else { return };
    ok(&d.docker(&[
        "run",
        "--name",
        "lg1",
        "busybox",
        "sh",
        "-c",
        "for i in 1 2 3 4 5; do echo line$i; done; echo e >&2",
    ]));
    assert_eq!(
        out(&d.docker(&["logs", "--tail", "3", "lg1"])),
        "line4\nline5"
    );
    let o = d.docker(&["logs", "lg1"]);
    assert_eq!(out(&o), "line1\nline2\nline3\nline4\nline5");
    assert_eq!(err(&o), "e");
    let ts = out(&d.docker(&["logs", "-t", "--tail", "2", "lg1"]));
    assert!(ts.ends_with(" line5") && ts.starts_with("20"), "{ts}");
    assert_eq!(
        out(&d.docker(&["logs", "--until", "2000-01-01T00:00:00", "lg1"]))
            .lines()
            .count(),
        0
    );
    // follow ends when the container does.
    ok(&d.docker(&[
        "run",
        "-d",
        "--name",
        "fl1",
        "busybox",
        "sh",
        "-c",
        "sleep 1; echo done",
    ]));
    let o = d.docker(&["logs", "-f", "fl1"]);
    assert_eq!(out(&o), "done");
    // rotation keeps max-file files of at most max-size, newest lines intact.
    ok(&d.docker(&[
        "run",
        "--name",
        "rot",
        "--log-opt",
        "max-size=2k",
        "--log-opt",
        "max-file=2",
        "busybox",
        "sh",
        "-c",
        "i=0; while [ $i -lt 200 ]; do echo n$i; i=$((i+1)); done",
    ]));
    let logs = out(&d.docker(&["logs", "rot"]));
    assert!(logs.ends_with("n199"), "{logs}");
    let n: Vec<u32> = logs.lines().map(|l| l[1..].parse().unwrap()).collect();
    assert!(
        n.windows(2).all(|w| w[1] == w[0] + 1),
        "lines missing inside the kept files"
    );
    let path = inspect(&d, "rot", "{{.LogPath}}");
    assert!(std::fs::metadata(&path).unwrap().len() <= 2048);
    assert!(!std::path::Path::new(&format!("{path}.2")).exists());
    ok(&d.docker(&["rm", "lg1", "fl1", "rot"]));
}

#[test]
fn volumes_binds_and_copy_up() {
    let Some(d) = setup() else { return };
    // An image with a VOLUME holding content.
    ok(&d.docker(&[
        "run",
        "--name",
        "base",
        "busybox",
        "sh",
        "-c",
        "mkdir /data && echo seeded > /data/f",
    ]));
    ok(&d.docker(&["commit", "-c", "VOLUME /data", "base", "withvol"]));
    ok(&d.docker(&["run", "--name", "av1", "withvol", "cat", "/data/f"]));
    assert_eq!(out(&d.docker(&["logs", "av1"])), "seeded");
    let mounts = inspect(
        &d,
        "av1",
        "{{range .Mounts}}{{.Type}} {{.Destination}} {{.Driver}}{{end}}",
    );
    assert_eq!(mounts, "volume /data local");
    let anon = inspect(&d, "av1", "{{range .Mounts}}{{.Name}}{{end}}");
    assert_eq!(anon.len(), 64);
    ok(&d.docker(&["rm", "-v", "av1"]));
    assert!(d.docker(&["volume", "inspect", &anon]).status.code() == Some(1));
    // Named volume: persists across containers, refused while in use.
    ok(&d.docker(&["volume", "create", "--label", "k=v", "named"]));
    ok(&d.docker(&[
        "run",
        "--rm",
        "-v",
        "named:/v",
        "busybox",
        "sh",
        "-c",
        "echo kept > /v/x",
    ]));
    assert_eq!(
        ok(&d.docker(&["run", "--rm", "-v", "named:/v:ro", "busybox", "cat", "/v/x"])).trim(),
        "kept"
    );
    fails(
        &d.docker(&[
            "run",
            "--rm",
            "-v",
            "named:/v:ro",
            "busybox",
            "touch",
            "/v/y",
        ]),
        1,
    );
    ok(&d.docker(&[
        "create", "--name", "user", "-v", "named:/v", "busybox", "true",
    ]));
    let e = fails(&d.docker(&["volume", "rm", "named"]), 1);
    assert!(e.contains("volume is in use"), "{e}");
    let ls = out(&d.docker(&[
        "volume",
        "ls",
        "--filter",
        "label=k=v",
        "--format",
        "{{.Name}}",
    ]));
    assert_eq!(ls, "named");
    ok(&d.docker(&["rm", "user"]));
    ok(&d.docker(&["volume", "rm", "named"]));
    // Bind mounts, read-only and read-write.
    let host = d.dir.path().join("bind");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("in"), "from host").unwrap();
    let spec = format!("{}:/b", host.display());
    assert_eq!(
        ok(&d.docker(&[
            "run",
            "--rm",
            "-v",
            &spec,
            "busybox",
            "sh",
            "-c",
            "cat /b/in; echo out > /b/out"
        ])),
        "from host"
    );
    assert_eq!(std::fs::read_to_string(host.join("out")).unwrap(), "out\n");
    let mount = format!("type=bind,source={},target=/b,readonly", host.display());
    fails(
        &d.docker(&["run", "--rm", "--mount", &mount, "busybox", "touch", "/b/z"]),
        1,
    );
    // tmpfs
    let o = ok(&d.docker(&[
        "run",
        "--rm",
        "--tmpfs",
        "/scratch:size=1m",
        "busybox",
        "sh",
        "-c",
        "grep /scratch /proc/mounts",
    ]));
    assert!(o.contains("tmpfs /scratch tmpfs"), "{o}");
    ok(&d.docker(&["rm", "base"]));
    let pruned = ok(&d.docker(&["volume", "prune", "-f"]));
    assert!(pruned.contains("Total reclaimed space"), "{pruned}");
    assert_nothing_left(&d);
}

#[test]
fn cp_both_ways_and_export() {
    let Some(d) = setup() else { return };
    ok(&d.docker(&["run", "-d", "--name", "cpc", "busybox", "sleep", "300"]));
    let local = d.dir.path().join("cp");
    std::fs::create_dir_all(&local).unwrap();
    std::fs::write(local.join("up.txt"), "uploaded").unwrap();
    ok(&d.docker(&["cp", local.join("up.txt").to_str().unwrap(), "cpc:/tmp/"]));
    assert_eq!(
        ok(&d.docker(&["exec", "cpc", "cat", "/tmp/up.txt"])),
        "uploaded"
    );
    ok(&d.docker(&[
        "cp",
        "cpc:/etc/passwd",
        local.join("passwd").to_str().unwrap(),
    ]));
    assert!(
        std::fs::read_to_string(local.join("passwd"))
            .unwrap()
            .starts_with("root:")
    );
    ok(&d.docker(&["cp", "cpc:/etc", local.join("etcdir").to_str().unwrap()]));
    assert!(local.join("etcdir/group").exists());
    ok(&d.docker(&["stop", "-t", "0", "cpc"]));
    // A stopped container too.
    ok(&d.docker(&[
        "cp",
        "cpc:/tmp/up.txt",
        local.join("again.txt").to_str().unwrap(),
    ]));
    assert_eq!(
        std::fs::read_to_string(local.join("again.txt")).unwrap(),
        "uploaded"
    );
    let e = fails(&d.docker(&["cp", "cpc:/nope", local.to_str().unwrap()]), 1);
    assert!(e.contains("Could not find the file /nope"), "{e}");
    let tar = local.join("c.tar");
    ok(&d.docker(&["export", "-o", tar.to_str().unwrap(), "cpc"]));
    let list = std::process::Command::new("tar")
        .arg("-tf")
        .arg(&tar)
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&list.stdout);
    assert!(
        names
            .lines()
            .any(|l| l.trim_start_matches("./") == "bin/busybox"),
        "{names}"
    );
    assert!(
        names
            .lines()
            .any(|l| l.trim_start_matches("./") == "tmp/up.txt"),
        "{names}"
    );
    ok(&d.docker(&["rm", "cpc"]));
    assert_nothing_left(&d);
}

#[test]
fn inspect_ps_stats_update_and_prune() {
    let Some(d) = setup() else { return };
    ok(&d.docker(&[
        "run",
        "-d",
        "--name",
        "in1",
        "-l",
        "app=web",
        "--memory",
        "64m",
        "--pids-limit",
        "50",
        "--restart",
        "on-failure:3",
        "-h",
        "myhost",
        "busybox",
        "sleep",
        "300",
    ]));
    assert_eq!(
        inspect(
            &d,
            "in1",
            "{{.Config.Hostname}} {{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}"
        ),
        "myhost 67108864 on-failure 3"
    );
    assert_eq!(ok(&d.docker(&["exec", "in1", "hostname"])).trim(), "myhost");
    assert_eq!(
        inspect(
            &d,
            "in1",
            "{{.State.Status}} {{.RestartCount}} {{.Driver}} {{.Platform}}"
        ),
        "running 0 overlay2 linux"
    );
    let ps = out(&d.docker(&[
        "ps",
        "--filter",
        "label=app=web",
        "--format",
        "{{.Names}} {{.Command}} {{.Labels}}",
    ]));
    assert_eq!(ps, "in1 \"sleep 300\" app=web");
    let s = out(&d.docker(&["ps", "-s", "--format", "{{.Size}}"]));
    assert!(s.contains("(virtual"), "{s}");
    let stats = ok(&d.docker(&[
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}} {{.PIDs}}",
        "in1",
    ]));
    assert_eq!(stats.trim(), "in1 1");
    ok(&d.docker(&["update", "--memory", "128m", "--memory-swap", "256m", "in1"]));
    assert_eq!(inspect(&d, "in1", "{{.HostConfig.Memory}}"), "134217728");
    ok(&d.docker(&["run", "--name", "done1", "busybox", "true"]));
    let pruned = ok(&d.docker(&["container", "prune", "-f"]));
    let done_id = pruned.lines().nth(1).unwrap_or_default().to_string();
    assert!(pruned.starts_with("Deleted Containers:"), "{pruned}");
    assert_eq!(done_id.len(), 64, "{pruned}");
    assert!(d.docker(&["inspect", "done1"]).status.code() == Some(1));
    assert_eq!(inspect(&d, "in1", "{{.State.Running}}"), "true");
    ok(&d.docker(&["rm", "-f", "in1"]));
    assert_nothing_left(&d);
}

#[test]
fn restart_policies_with_back_off() {
    let Some(d) = setup() else { return };
    ok(&d.docker(&[
        "run",
        "-d",
        "--name",
        "of",
        "--restart",
        "on-failure:2",
        "busybox",
        "sh",
        "-c",
        "exit 3",
    ]));
    assert!(eventually(15, || inspect(
        &d,
        "of",
        "{{.State.Status}} {{.RestartCount}}"
    ) == "exited 2"));
    assert_eq!(inspect(&d, "of", "{{.State.ExitCode}}"), "3");
    ok(&d.docker(&[
        "run",
        "-d",
        "--name",
        "ok",
        "--restart",
        "on-failure",
        "busybox",
        "true",
    ]));
    assert!(eventually(5, || inspect(&d, "ok", "{{.State.Status}}") == "exited"));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(inspect(&d, "ok", "{{.RestartCount}}"), "0");
    ok(&d.docker(&[
        "run",
        "-d",
        "--name",
        "al",
        "--restart",
        "always",
        "busybox",
        "sh",
        "-c",
        "sleep 0.2",
    ]));
    assert!(eventually(10, || inspect(&d, "al", "{{.RestartCount}}")
        .parse::<u32>()
        .unwrap_or(0)
        >= 2));
    ok(&d.docker(&["stop", "-t", "1", "al"]));
    let n = inspect(&d, "al", "{{.RestartCount}}");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        inspect(&d, "al", "{{.State.Status}} {{.RestartCount}}"),
        format!("exited {n}")
    );
    ok(&d.docker(&["rm", "-f", "of", "ok", "al"]));
    assert_nothing_left(&d);
}

#[test]
fn restart_policies_apply_across_a_daemon_restart() {
    let Some(mut d) = setup() else { return };
    ok(&d.docker(&[
        "run",
        "-d",
        "--name",
        "always",
        "--restart",
        "always",
        "busybox",
        "sleep",
        "300",
    ]));
    ok(&d.docker(&[
        "run",
        "-d",
        "--name",
        "unless",
        "--restart",
        "unless-stopped",
        "busybox",
        "sleep",
        "300",
    ]));
    ok(&d.docker(&["stop", "-t", "0", "unless"]));
    ok(&d.docker(&["stop", "-t", "0", "always"]));
    d.stop();
    d.spawn();
    assert!(eventually(10, || inspect(
        &d,
        "always",
        "{{.State.Running}}"
    ) == "true"));
    assert_eq!(inspect(&d, "unless", "{{.State.Running}}"), "false");
    ok(&d.docker(&["rm", "-f", "always", "unless"]));
    assert_nothing_left(&d);
}

#[test]
fn health_checks_and_health_on_failure() {
    let Some(d) = setup() else { return };
    ok(&d.docker(&[
        "run",
        "-d",
        "--name",
        "hc1",
        "--health-cmd",
        "test -e /tmp/ok",
        "--health-interval",
        "200ms",
        "--health-retries",
        "2",
        "busybox",
        "sh",
        "-c",
        "touch /tmp/ok; sleep 300",
    ]));
    assert!(eventually(10, || inspect(
        &d,
        "hc1",
        "{{.State.Health.Status}}"
    ) == "healthy"));
    assert!(out(&d.docker(&["ps", "--format", "{{.Status}}"])).contains("(healthy)"));
    ok(&d.docker(&["exec", "hc1", "rm", "/tmp/ok"]));
    assert!(eventually(10, || inspect(
        &d,
        "hc1",
        "{{.State.Health.Status}}"
    ) == "unhealthy"));
    assert!(
        inspect(&d, "hc1", "{{.State.Health.FailingStreak}}")
            .parse::<u32>()
            .unwrap()
            >= 2
    );
    assert!(
        inspect(&d, "hc1", "{{len .State.Health.Log}}")
            .parse::<u32>()
            .unwrap()
            <= 5
    );
    // --no-healthcheck disables the image's check.
    ok(&d.docker(&[
        "run",
        "-d",
        "--name",
        "nh",
        "--no-healthcheck",
        "busybox",
        "sleep",
        "300",
    ]));
    assert_eq!(inspect(&d, "nh", "{{.State.Health}}"), "<nil>");
    // wharf's health-on-failure, through the label any client can set: the engine kills it.
    ok(&d.docker(&[
        "run",
        "-d",
        "--name",
        "hk",
        "--health-cmd",
        "false",
        "--health-interval",
        "200ms",
        "--health-retries",
        "1",
        "-l",
        "wharf.health-on-failure=kill",
        "busybox",
        "sleep",
        "300",
    ]));
    assert!(eventually(10, || inspect(&d, "hk", "{{.State.Status}}") == "exited"));
    assert_eq!(inspect(&d, "hk", "{{.State.ExitCode}}"), "137");
    let ev = ok(&d.docker(&[
        "events",
        "--since",
        "0",
        "--until",
        &soon(),
        "--filter",
        "container=hk",
        "--format",
        "{{.Action}}",
    ]));
    assert!(ev.contains("health_status: unhealthy"), "{ev}");
    ok(&d.docker(&["rm", "-f", "hc1", "nh", "hk"]));
    assert_nothing_left(&d);
}

#[test]
fn events_stream_with_filters() {
    let Some(d) = setup() else { return };
    ok(&d.docker(&["run", "--rm", "--name", "ev", "busybox", "true"]));
    let o = ok(&d.docker(&[
        "events",
        "--since",
        "0",
        "--until",
        &soon(),
        "--filter",
        "container=ev",
        "--filter",
        "type=container",
        "--format",
        "{{.Action}} {{.Actor.Attributes.name}}",
    ]));
    let actions: Vec<&str> = o.lines().collect();
    assert_eq!(
        actions,
        vec!["create ev", "attach ev", "start ev", "die ev", "destroy ev"],
        "{o}"
    );
}

#[test]
fn network_none_host_and_container() {
    let Some(d) = setup() else { return };
    let o = ok(&d.docker(&[
        "run",
        "--rm",
        "--network",
        "none",
        "busybox",
        "cat",
        "/proc/net/dev",
    ]));
    assert!(o.contains("lo:") && !o.contains("eth0"), "{o}");
    let host_ns = std::fs::read_link("/proc/self/ns/net").unwrap();
    let o = ok(&d.docker(&[
        "run",
        "--rm",
        "--network",
        "host",
        "busybox",
        "readlink",
        "/proc/self/ns/net",
    ]));
    assert_eq!(o.trim(), host_ns.to_string_lossy());
    ok(&d.docker(&[
        "run",
        "-d",
        "--name",
        "netowner",
        "--network",
        "none",
        "busybox",
        "sleep",
        "300",
    ]));
    let a = ok(&d.docker(&["exec", "netowner", "readlink", "/proc/self/ns/net"]));
    let b = ok(&d.docker(&[
        "run",
        "--rm",
        "--network",
        "container:netowner",
        "busybox",
        "readlink",
        "/proc/self/ns/net",
    ]));
    assert_eq!(a, b);
    ok(&d.docker(&["rm", "-f", "netowner"]));
    assert_nothing_left(&d);
}

/// The acceptance scenario: `kill -9` of the daemon while 20 containers run (some with a tty,
/// some writing logs non-stop), then a restart.
#[test]
fn daemon_kill9_with_20_containers_loses_nothing() {
    let Some(mut d) = setup() else { return };
    let spam = "i=0; while true; do echo l$i; i=$((i+1)); usleep 2000; done";
    for i in 0..6 {
        ok(&d.docker(&[
            "run",
            "-d",
            "--name",
            &format!("spam{i}"),
            "busybox",
            "sh",
            "-c",
            spam,
        ]));
    }
    for i in 0..6 {
        ok(&d.docker(&["run", "-dit", "--name", &format!("tty{i}"), "busybox", "sh"]));
    }
    for i in 0..5 {
        ok(&d.docker(&[
            "run",
            "-d",
            "--name",
            &format!("idle{i}"),
            "busybox",
            "sleep",
            "600",
        ]));
    }
    for (i, code) in [(0, 0), (1, 3), (2, 42)] {
        let cmd = format!("sleep 2; exit {code}");
        ok(&d.docker(&[
            "run",
            "-d",
            "--name",
            &format!("ends{i}"),
            "busybox",
            "sh",
            "-c",
            &cmd,
        ]));
    }
    let ids = d.container_ids();
    assert_eq!(ids.len(), 20);
    d.kill9();
    // The outage: containers keep running, logs keep being written, some containers end.
    std::thread::sleep(Duration::from_secs(3));
    d.spawn();
    let running = out(&d.docker(&["ps", "-q"])).lines().count();
    assert_eq!(running, 17, "{}", out(&d.docker(&["ps", "-a"])));
    for (i, code) in [(0, "0"), (1, "3"), (2, "42")] {
        assert_eq!(
            inspect(
                &d,
                &format!("ends{i}"),
                "{{.State.Status}} {{.State.ExitCode}}"
            ),
            format!("exited {code}")
        );
    }
    for i in 0..6 {
        let n = format!("spam{i}");
        let logs = out(&d.docker(&["logs", &n]));
        let nums: Vec<u64> = logs.lines().map(|l| l[1..].parse().unwrap()).collect();
        assert!(nums.len() > 500, "{n}: only {} lines", nums.len());
        for w in nums.windows(2) {
            assert_eq!(w[1], w[0] + 1, "{n}: a line was lost");
        }
        assert_eq!(nums[0], 0);
    }
    // tty containers are still interactive.
    assert_eq!(
        ok(&d.docker(&["exec", "tty0", "echo", "alive"])).trim(),
        "alive"
    );
    assert_eq!(
        inspect(&d, "tty3", "{{.Config.Tty}} {{.State.Running}}"),
        "true true"
    );
    // And everything goes away cleanly.
    let all: Vec<String> = out(&d.docker(&["ps", "-aq"]))
        .lines()
        .map(str::to_string)
        .collect();
    let mut args = vec!["rm", "-f"];
    args.extend(all.iter().map(String::as_str));
    ok(&d.docker(&args));
    assert_nothing_left(&d);
}
