//! A private dockerd (when installed) on its own data root and socket, for interop tests.
//! It is stopped by pid and its directory removed on drop.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct Dockerd {
    pub dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Dockerd {
    pub fn available() -> bool {
        Path::new("/usr/sbin/dockerd").exists() && Path::new(crate::common::DOCKER).exists()
    }

    pub fn start() -> Option<Dockerd> {
        let dir = tempfile::Builder::new()
            .prefix("wharf-dockerd-")
            .tempdir()
            .unwrap();
        let ns = format!("wharf-test-{}", std::process::id());
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let p = |s: &str| dir.path().join(s);
        let child = Command::new("/usr/sbin/dockerd")
            .arg("--data-root")
            .arg(p("root"))
            .arg("--exec-root")
            .arg(p("exec"))
            .arg("--pidfile")
            .arg(p("pid"))
            .arg("-H")
            .arg(format!("unix://{}", p("d.sock").display()))
            .args(["--iptables=false", "--ip6tables=false", "--bridge=none"])
            .args([
                "--containerd-namespace",
                &ns,
                "--containerd-plugins-namespace",
                &format!("{ns}p"),
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .ok()?;
        let d = Dockerd {
            dir,
            child: Some(child),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if d.docker(&["version"]).status.success() {
                return Some(d);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        eprintln!(
            "dockerd did not start:\n{}",
            std::fs::read_to_string(d.dir.path().join("log")).unwrap_or_default()
        );
        None
    }

    pub fn docker(&self, args: &[&str]) -> Output {
        Command::new(crate::common::DOCKER)
            .env("DOCKER_CONFIG", self.dir.path().join("cfg"))
            .arg("-H")
            .arg(format!(
                "unix://{}",
                self.dir.path().join("d.sock").display()
            ))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let pid = rustix::process::Pid::from_raw(c.id() as i32).unwrap();
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        let prefix = self.dir.path().to_string_lossy().to_string();
        if let Ok(m) = std::fs::read_to_string("/proc/self/mountinfo") {
            let mut ours: Vec<&str> = m
                .lines()
                .filter_map(|l| l.split_whitespace().nth(4))
                .filter(|p| p.starts_with(&prefix))
                .collect();
            ours.sort_by_key(|p| std::cmp::Reverse(p.len()));
            for p in ours {
                let _ = rustix::mount::unmount(p, rustix::mount::UnmountFlags::DETACH);
            }
        }
    }
}
