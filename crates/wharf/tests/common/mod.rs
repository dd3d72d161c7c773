//! End-to-end harness: a real `wharf daemon` on its own temp data root and socket, driven by
//! wharf's CLI and the official docker CLI. Everything a test makes is removed when its
//! `TestDaemon` drops, even when the test fails: the daemon (by pid), mounts under the temp
//! dir, and the dir itself.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const WHARF: &str = env!("CARGO_BIN_EXE_wharf");
/// The official docker CLI (28.x) installed on CI machines.
pub const DOCKER: &str = "/usr/local/bin/docker";

pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Skips (returns true) when the test cannot run here, printing why.
pub fn skip_unless_root() -> bool {
    if !is_root() {
        eprintln!("skipped: end-to-end tests need root");
        return true;
    }
    false
}

pub fn docker_available() -> bool {
    Path::new(DOCKER).exists()
}

/// A busybox root filesystem tarball built from the host's busybox-static, made once per
/// machine (named after the binary's size and time, so an upgrade makes a new one) and shared
/// by every test process.
pub fn busybox_tar() -> &'static Path {
    static TAR: OnceLock<PathBuf> = OnceLock::new();
    TAR.get_or_init(|| {
        let busybox = ["/usr/bin/busybox", "/bin/busybox"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("busybox-static must be installed (apt-get install busybox-static)");
        let meta = std::fs::metadata(busybox).unwrap();
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let tar = std::env::temp_dir().join(format!("wharf-busybox-v1-{}-{mtime}.tar", meta.len()));
        if tar.exists() {
            return tar;
        }
        let dir = std::env::temp_dir().join(format!("wharf-busybox-{}", std::process::id()));
        let partial = dir.with_extension("tar.partial");
        let _ = std::fs::remove_dir_all(&dir);
        for d in ["bin", "etc", "tmp", "root", "proc", "sys", "dev"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        std::fs::copy(busybox, dir.join("bin/busybox")).unwrap();
        // Run the host's copy: executing the fresh copy races with children other test threads
        // fork while its write descriptor is open (ETXTBSY).
        let list = Command::new(busybox).arg("--list").output().unwrap();
        for applet in String::from_utf8_lossy(&list.stdout).lines() {
            if applet != "busybox" {
                let _ = std::os::unix::fs::symlink("busybox", dir.join("bin").join(applet));
            }
        }
        std::fs::write(
            dir.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
        )
        .unwrap();
        std::fs::write(dir.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n").unwrap();
        let st = Command::new("tar")
            .args(["--numeric-owner", "--owner=0", "--group=0", "-C"])
            .arg(&dir)
            .args(["-cf"])
            .arg(&partial)
            .arg(".")
            .status()
            .unwrap();
        assert!(st.success(), "making the busybox tarball failed");
        let _ = std::fs::remove_dir_all(&dir);
        // The first complete one wins (a link fails when the name exists), so every process
        // imports the same bytes.
        match std::fs::hard_link(&partial, &tar) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => panic!("storing {}: {e}", tar.display()),
        }
        let _ = std::fs::remove_file(&partial);
        tar
    })
}

pub struct TestDaemon {
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
    pub socket: PathBuf,
    child: Option<Child>,
    extra_args: Vec<String>,
}

impl TestDaemon {
    pub fn start() -> TestDaemon {
        Self::start_with(&[])
    }

    pub fn start_with(args: &[&str]) -> TestDaemon {
        let dir = tempfile::Builder::new()
            .prefix("wharf-e2e-")
            .tempdir()
            .unwrap();
        let root = dir.path().join("root");
        let socket = dir.path().join("wharf.sock");
        let mut d = TestDaemon {
            dir,
            root,
            socket,
            child: None,
            extra_args: args.iter().map(|s| s.to_string()).collect(),
        };
        d.spawn();
        d
    }

    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("daemon.log")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Starts (or restarts) the daemon and waits until it answers.
    pub fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .unwrap();
        let child = Command::new(WHARF)
            .arg("daemon")
            .arg("--data-root")
            .arg(&self.root)
            .arg("-H")
            .arg(self.host())
            .args(&self.extra_args)
            .env("WHARF_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting wharf daemon");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if std::os::unix::net::UnixStream::connect(&self.socket).is_ok() {
                return;
            }
            if let Some(Ok(Some(st))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("wharf daemon exited with {st}:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("wharf daemon did not answer within 20s:\n{}", self.log());
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// SIGKILLs the daemon (crash simulation) and reaps it.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERMs the daemon and waits for a clean exit.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let pid = rustix::process::Pid::from_raw(c.id() as i32).unwrap();
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Runs wharf's CLI against this daemon.
    pub fn wharf(&self, args: &[&str]) -> Output {
        self.wharf_cmd(args).output().unwrap()
    }

    pub fn wharf_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(WHARF);
        c.env("WHARF_HOST", self.host())
            .args(args)
            .stdin(Stdio::null());
        c
    }

    /// Runs the official docker CLI against this daemon.
    pub fn docker(&self, args: &[&str]) -> Output {
        self.docker_cmd(args).output().unwrap()
    }

    pub fn docker_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(DOCKER);
        c.env("DOCKER_HOST", self.host())
            .env("DOCKER_CONFIG", self.dir.path().join("docker-config"))
            .env("DOCKER_BUILDKIT", "0")
            .env_remove("DOCKER_CONTEXT")
            .args(args)
            .stdin(Stdio::null());
        c
    }

    /// Imports the busybox rootfs as `name` with `CMD ["sh"]`.
    pub fn import_busybox(&self, name: &str) -> String {
        let out = self.wharf(&[
            "import",
            "-c",
            "CMD [\"sh\"]",
            "-m",
            "busybox from debian",
            busybox_tar().to_str().unwrap(),
            name,
        ]);
        ok(&out).trim().to_string()
    }
}

impl TestDaemon {
    /// Ids of the containers this daemon has state for.
    pub fn container_ids(&self) -> Vec<String> {
        std::fs::read_dir(self.root.join("containers"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.len() == 64)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Pids of the shims serving this daemon's containers (their command line names our data
    /// root), found in /proc.
    pub fn shim_pids(&self) -> Vec<u32> {
        let prefix = self.root.join("containers").display().to_string();
        let mut out = Vec::new();
        for ent in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = ent.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(cmd) = std::fs::read(ent.path().join("cmdline")) else {
                continue;
            };
            let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
            if args.get(1) == Some(&&b"shim"[..])
                && args
                    .get(2)
                    .is_some_and(|a| a.starts_with(prefix.as_bytes()))
            {
                out.push(pid);
            }
        }
        out
    }

    /// Kills every container process of this daemon (through each container's cgroup), then
    /// its shims (by pid), and removes the cgroups: what a test leaves must not outlive it.
    pub fn kill_containers(&self) {
        for id in self.container_ids() {
            if let Ok(cg) = wharf_cgroups::Cgroup::open(&format!("/wharf/{id}")) {
                let _ = cg.thaw();
                let _ = cg.kill_all(9);
                let _ = cg.destroy();
            }
        }
        let pids = self.shim_pids();
        for pid in &pids {
            if let Some(p) = rustix::process::Pid::from_raw(*pid as i32) {
                let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.shim_pids().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl TestDaemon {
    /// Removes every container through the engine (best effort, bounded in time), so that its
    /// clean shutdown finds nothing running and deletes its bridges and nftables table itself.
    fn remove_containers(&self) {
        if self.child.is_none() {
            return;
        }
        let ids = self.container_ids();
        if ids.is_empty() {
            return;
        }
        let mut args = vec!["rm", "-f", "-v"];
        args.extend(ids.iter().map(String::as_str));
        let Ok(mut child) = self
            .wharf_cmd(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// An engine killed or stopped while its containers ran keeps its bridges and table for
    /// them (as dockerd keeps docker0). With its containers dead now, one more start and clean
    /// stop lets the engine remove them itself.
    fn release_host_networking(&mut self) {
        if !self.default_bridge_exists() {
            return;
        }
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.spawn())).is_ok() {
            self.remove_containers();
        }
        self.stop();
        self.kill_containers();
    }

    fn default_bridge_exists(&self) -> bool {
        let Ok(state) = std::fs::read_to_string(self.root.join("engine.json")) else {
            return false;
        };
        let Some(id) = serde_json::from_str::<serde_json::Value>(&state)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_string))
        else {
            return false;
        };
        let tag: String = id.chars().filter(char::is_ascii_hexdigit).take(6).collect();
        Path::new("/sys/class/net")
            .join(format!("wharf-{tag}"))
            .exists()
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        self.remove_containers();
        self.stop();
        self.kill_containers();
        self.release_host_networking();
        // Unmount anything left under our dir (deepest first), then the dir goes with TempDir.
        let prefix = self.dir.path().to_string_lossy().to_string();
        if let Ok(mounts) = std::fs::read_to_string("/proc/self/mountinfo") {
            let mut ours: Vec<String> = mounts
                .lines()
                .filter_map(|l| l.split_whitespace().nth(4).map(str::to_string))
                .filter(|m| m.starts_with(&prefix))
                .collect();
            ours.sort_by_key(|m| std::cmp::Reverse(m.len()));
            for m in ours {
                let _ = rustix::mount::unmount(m.as_str(), rustix::mount::UnmountFlags::DETACH);
            }
        }
    }
}

/// Asserts success and returns stdout.
#[track_caller]
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "command failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts failure with `status` and returns stderr.
#[track_caller]
pub fn fails(out: &Output, status: i32) -> String {
    assert_eq!(
        out.status.code(),
        Some(status),
        "expected exit {status}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
