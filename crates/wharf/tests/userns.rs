//! `--userns-remap`: containers run as root of a user namespace mapped onto a subordinate id
//! range, on the built-in runtime and on runc, checked from inside the container and on the
//! host; `--userns=host` opts out; bad values stop the daemon with a clear message.
//!
//! The remap needs a user with entries in /etc/subuid and /etc/subgid, which dockerd reads
//! and has no override for. Each test makes its own user (`useradd`, which gives it a range
//! per login.defs, or `usermod --add-subuids` when it does not) and removes it with
//! `userdel` on drop, which also drops its ranges; a lock serialises the shadow tools.

mod common;

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;

/// Held while running the shadow tools (they refuse to run concurrently).
fn shadow_lock() -> std::fs::File {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open("/run/lock/wharf-e2e-useradd.lock")
        .unwrap();
    rustix::fs::flock(&f, rustix::fs::FlockOperation::LockExclusive).unwrap();
    f
}

fn tool(args: &[&str]) -> Output {
    let _lock = shadow_lock();
    Command::new(args[0]).args(&args[1..]).output().unwrap()
}

/// A throw-away host user with one subordinate uid and gid range.
struct RemapUser {
    name: String,
}

impl RemapUser {
    fn new(tag: &str) -> RemapUser {
        let name = format!("wharf-t{}-{tag}", std::process::id());
        let out = tool(&["useradd", "-M", "-s", "/usr/sbin/nologin", &name]);
        assert!(out.status.success(), "useradd: {}", stdout_err(&out));
        let u = RemapUser { name };
        if u.range("/etc/subuid").is_none() || u.range("/etc/subgid").is_none() {
            let start = 400_000_000 + (std::process::id() % 1000) * 65536;
            let span = format!("{start}-{}", start + 65535);
            let out = tool(&[
                "usermod",
                "--add-subuids",
                &span,
                "--add-subgids",
                &span,
                &u.name,
            ]);
            assert!(out.status.success(), "usermod: {}", stdout_err(&out));
        }
        u
    }

    /// The user's first range in `file`: (start, count).
    fn range(&self, file: &str) -> Option<(u32, u32)> {
        std::fs::read_to_string(file).ok()?.lines().find_map(|l| {
            let mut f = l.split(':');
            (f.next()? == self.name).then_some(())?;
            Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
        })
    }
}

impl Drop for RemapUser {
    fn drop(&mut self) {
        let _ = tool(&["userdel", &self.name]);
    }
}

fn stdout_err(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A daemon remapping to `user`, with busybox; its temp dir traversable by the remapped
/// root (the data root itself is 0711, as dockerd's).
fn remapped_daemon(user: &RemapUser) -> TestDaemon {
    let d = TestDaemon::start_with(&["--userns-remap", &user.name]);
    std::fs::set_permissions(d.dir.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
    d.import_busybox("busybox:latest");
    d
}

fn run(d: &TestDaemon, opts: &[&str], script: &str) -> Output {
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(opts);
    args.extend_from_slice(&["busybox", "sh", "-c", script]);
    d.wharf(&args)
}

/// What a remapped container must and must not be able to do, on `runtime`.
fn check_remapped(d: &TestDaemon, runtime: &str, host_uid: u32, host_gid: u32) {
    let dir = d.dir.path().join(format!("binds-{runtime}"));
    let open = dir.join("open");
    let locked = dir.join("locked");
    std::fs::create_dir_all(&open).unwrap();
    std::fs::create_dir_all(&locked).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::write(locked.join("host-file"), "host\n").unwrap();
    let binds = [
        "--runtime",
        runtime,
        "-v",
        &format!("{}:/open", open.display()),
        "-v",
        &format!("{}:/locked", locked.display()),
        "-v",
        &format!("vol-{runtime}:/vol"),
    ];
    let script = "id -u; id -g; cat /proc/self/uid_map | tr -s ' '; \
        touch /open/made-by-root /vol/in-volume /in-rootfs && echo created; \
        (echo x >> /locked/host-file) 2>/dev/null && echo wrote-host-file || echo host-file-refused; \
        mknod /tmp/null c 1 3 2>/dev/null && echo mknod-ok || echo mknod-refused; \
        ls -ln / | grep -c ' 0 *0 ' >/dev/null && echo rootfs-owned-by-root";
    let out = ok(&run(d, &binds, script));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "0", "{runtime}: uid inside\n{out}");
    assert_eq!(lines[1], "0", "{runtime}: gid inside\n{out}");
    assert_eq!(
        lines[2].trim(),
        format!("0 {host_uid} 65536"),
        "{runtime}: uid_map\n{out}"
    );
    assert_eq!(lines[3], "created", "{runtime}\n{out}");
    assert_eq!(lines[4], "host-file-refused", "{runtime}\n{out}");
    assert_eq!(lines[5], "mknod-refused", "{runtime}\n{out}");
    assert_eq!(lines[6], "rootfs-owned-by-root", "{runtime}\n{out}");
    let made = std::fs::metadata(open.join("made-by-root")).unwrap();
    assert_eq!(
        (made.uid(), made.gid()),
        (host_uid, host_gid),
        "{runtime}: owner on the host of a file root made in a bind mount"
    );
    assert_eq!(
        std::fs::read_to_string(locked.join("host-file")).unwrap(),
        "host\n"
    );
    let vol = d
        .root
        .join(format!("volumes/vol-{runtime}/_data/in-volume"));
    let vol = std::fs::metadata(&vol).unwrap();
    assert_eq!(
        (vol.uid(), vol.gid()),
        (host_uid, host_gid),
        "{runtime}: volume"
    );

    // --userns=host opts out: the host's full mapping, and root's file is root's.
    let out = ok(&run(
        d,
        &[
            "--runtime",
            runtime,
            "--userns=host",
            "-v",
            &format!("{}:/open", open.display()),
        ],
        "cat /proc/self/uid_map | tr -s ' '; touch /open/made-by-host-root",
    ));
    assert_eq!(out.trim(), "0 0 4294967295", "{runtime}: --userns=host");
    assert_eq!(
        std::fs::metadata(open.join("made-by-host-root"))
            .unwrap()
            .uid(),
        0
    );
}

#[test]
fn remapped_containers_are_root_inside_and_unprivileged_outside() {
    if skip_unless_root() {
        return;
    }
    let user = RemapUser::new("a");
    let (host_uid, _) = user.range("/etc/subuid").unwrap();
    let (host_gid, _) = user.range("/etc/subgid").unwrap();
    let d = remapped_daemon(&user);

    let info = ok(&d.wharf(&["info", "--format", "{{json .SecurityOptions}}"]));
    assert!(info.contains("name=userns"), "{info}");

    check_remapped(&d, "wharf", host_uid, host_gid);
    if std::path::Path::new("/usr/sbin/runc").exists()
        || std::path::Path::new("/usr/bin/runc").exists()
    {
        check_remapped(&d, "runc", host_uid, host_gid);
    } else {
        eprintln!("runc not installed: skipped the runc half");
    }

    // sysfs shows the container's own network devices (made in its network namespace
    // before entering the user namespace, which may not mount it there).
    let out = ok(&run(
        &d,
        &[],
        "ls /sys/class/net; grep ' /sys ' /proc/mounts",
    ));
    assert!(out.starts_with("eth0\nlo\nsysfs /sys sysfs ro,"), "{out}");

    // exec enters the same user namespace as root of it.
    ok(&d.wharf(&["run", "-d", "--name", "remapped", "busybox", "sleep", "60"]));
    let out = ok(&d.wharf(&[
        "exec",
        "remapped",
        "sh",
        "-c",
        "id -u; cat /proc/self/uid_map | tr -s ' '",
    ]));
    assert_eq!(out, format!("0\n 0 {host_uid} 65536\n"));
    let mode = ok(&d.wharf(&["inspect", "-f", "{{.HostConfig.UsernsMode}}", "remapped"]));
    assert_eq!(mode.trim(), "");
    ok(&d.wharf(&[
        "create",
        "--name",
        "opted-out",
        "--userns=host",
        "busybox",
        "true",
    ]));
    let mode = ok(&d.wharf(&["inspect", "-f", "{{.HostConfig.UsernsMode}}", "opted-out"]));
    assert_eq!(mode.trim(), "host");
    ok(&d.wharf(&["rm", "-f", "remapped", "opted-out"]));

    // dockerd's refusals, and the opt-out that lifts them.
    for (opt, msg) in [
        (
            "--privileged",
            "privileged mode is incompatible with user namespaces",
        ),
        (
            "--network=host",
            "cannot share the host's network namespace when user namespaces are enabled",
        ),
        (
            "--pid=host",
            "cannot share the host PID namespace when user namespaces are enabled",
        ),
    ] {
        let err = fails(&run(&d, &[opt], "true"), 125);
        assert!(err.contains(msg), "{opt}: {err}");
        ok(&run(&d, &[opt, "--userns=host"], "true"));
    }
    // cp into and commit of a remapped container hold the container's ids, not the host's.
    ok(&run_named(&d, "c2", "echo hi > /made && rm /etc/group"));
    let file = d.dir.path().join("copied");
    std::fs::write(&file, "x").unwrap();
    ok(&d.wharf(&["cp", file.to_str().unwrap(), "c2:/copied"]));
    for args in [&["export", "c2"][..], &["cp", "c2:/made", "-"][..]] {
        let tar = d.wharf(args);
        let listing = tar_listing(&tar.stdout);
        let made = listing
            .lines()
            .find(|l| l.ends_with("made"))
            .unwrap_or_default();
        assert!(made.contains(" 0/0 "), "{args:?}: {listing}");
    }
    ok(&d.wharf(&["commit", "c2", "committed"]));
    for opts in [&[][..], &["--userns=host"][..]] {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(opts);
        args.extend_from_slice(&[
            "committed",
            "sh",
            "-c",
            "stat -c '%u:%g %n' /made /copied; test -e /etc/group && echo group-back; true",
        ]);
        let out = ok(&d.wharf(&args));
        assert_eq!(out, "0:0 /made\n0:0 /copied\n", "{opts:?}");
    }
    ok(&d.wharf(&["rm", "c2"]));
    assert!(d.container_ids().is_empty());
}

fn run_named(d: &TestDaemon, name: &str, script: &str) -> Output {
    d.wharf(&["run", "--name", name, "busybox", "sh", "-c", script])
}

/// Runs `wharf daemon` with `args` and expects it to exit at once with an error.
fn daemon_refuses(args: &[&str]) -> String {
    let dir = tempfile::Builder::new()
        .prefix("wharf-e2e-")
        .tempdir()
        .unwrap();
    let mut child = Command::new(WHARF)
        .arg("daemon")
        .arg("--data-root")
        .arg(dir.path().join("root"))
        .arg("-H")
        .arg(format!("unix://{}/s.sock", dir.path().display()))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            assert!(!out.status.success());
            return stdout_err(&out);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("wharf daemon {args:?} kept running");
}

#[test]
fn bad_userns_remap_values_stop_the_daemon() {
    if skip_unless_root() {
        return;
    }
    let err = daemon_refuses(&["--userns-remap", "a:b:c"]);
    assert!(
        err.contains("invalid --userns-remap value \"a:b:c\""),
        "{err}"
    );
    let err = daemon_refuses(&["--userns-remap", "wharf-no-such-user"]);
    assert!(
        err.contains("user \"wharf-no-such-user\" not found in /etc/passwd"),
        "{err}"
    );
    // root exists but has no subordinate ranges here.
    if !std::fs::read_to_string("/etc/subuid")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("root:") || l.starts_with("0:"))
    {
        let err = daemon_refuses(&["--userns-remap", "root"]);
        assert!(
            err.contains("no subordinate uid ranges for \"root\" in /etc/subuid"),
            "{err}"
        );
    }
    // The same from daemon.json.
    let dir = tempfile::Builder::new()
        .prefix("wharf-e2e-")
        .tempdir()
        .unwrap();
    let cfg = dir.path().join("daemon.json");
    let mut f = std::fs::File::create(&cfg).unwrap();
    writeln!(f, r#"{{"userns-remap": "wharf-no-such-user:grp"}}"#).unwrap();
    let err = daemon_refuses(&["--config-file", cfg.to_str().unwrap()]);
    assert!(err.contains("wharf-no-such-user"), "{err}");
}

/// `tar -tv --numeric-owner` of an archive.
fn tar_listing(tar: &[u8]) -> String {
    let mut child = Command::new("tar")
        .args(["--numeric-owner", "-tvf", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(tar).unwrap();
    ok(&child.wait_with_output().unwrap())
}
