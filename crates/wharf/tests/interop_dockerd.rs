//! Image archives move between dockerd and wharf with their image IDs intact.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/dockerd-20.10-save.tar"
);
const FIXTURE_ID: &str = include_str!("fixtures/dockerd-20.10-save.id");

/// A private dockerd on its own data root, socket and containerd namespace; it never touches
/// /var/lib/docker or the host's bridge. Stopped (by pid) on drop.
struct PrivateDockerd {
    dir: tempfile::TempDir,
    child: Child,
}

impl PrivateDockerd {
    fn start() -> Option<PrivateDockerd> {
        let dockerd = ["/usr/sbin/dockerd", "/usr/bin/dockerd"]
            .into_iter()
            .find(|p| Path::new(p).exists())?;
        let dir = tempfile::Builder::new()
            .prefix("wharf-dockerd-")
            .tempdir()
            .unwrap();
        let ns = format!("wharftest{}", std::process::id());
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let child = Command::new(dockerd)
            .arg("--data-root")
            .arg(dir.path().join("root"))
            .arg("--exec-root")
            .arg(dir.path().join("exec"))
            .arg("--pidfile")
            .arg(dir.path().join("pid"))
            .arg("-H")
            .arg(format!("unix://{}", dir.path().join("d.sock").display()))
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
        let d = PrivateDockerd { dir, child };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if d.docker(&["version"]).status.success() {
                return Some(d);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        eprintln!(
            "dockerd did not come up:\n{}",
            std::fs::read_to_string(d.dir.path().join("log")).unwrap_or_default()
        );
        None
    }

    fn docker(&self, args: &[&str]) -> std::process::Output {
        Command::new(DOCKER)
            .env(
                "DOCKER_HOST",
                format!("unix://{}", self.dir.path().join("d.sock").display()),
            )
            .env("DOCKER_CONFIG", self.dir.path().join("cfg"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

impl Drop for PrivateDockerd {
    fn drop(&mut self) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).unwrap();
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = Command::new("umount")
            .arg("-R")
            .arg(self.dir.path().join("root"))
            .output();
    }
}

fn inspect_id(d: &TestDaemon, name: &str) -> String {
    ok(&d.wharf(&["image", "inspect", "-f", "{{.Id}}", name]))
        .trim()
        .to_string()
}

#[test]
fn a_dockerd_20_10_archive_loads_with_its_image_id() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    let out = ok(&d.wharf(&["load", "-i", FIXTURE]));
    assert_eq!(out, "Loaded image: fixture/tiny:20.10\n");
    assert_eq!(inspect_id(&d, "fixture/tiny:20.10"), FIXTURE_ID.trim());
    let cmd = ok(&d.wharf(&[
        "image",
        "inspect",
        "-f",
        "{{json .Config.Cmd}}",
        "fixture/tiny:20.10",
    ]));
    assert_eq!(cmd.trim(), r#"["cat","/etc/greeting"]"#);
}

#[test]
fn archives_round_trip_between_dockerd_and_wharf() {
    if skip_unless_root() {
        return;
    }
    let Some(dockerd) = PrivateDockerd::start() else {
        eprintln!("skipped: no dockerd installed (the fixture test covers loading its archives)");
        return;
    };
    let d = TestDaemon::start();

    // dockerd → wharf
    let r = dockerd.docker(&[
        "import",
        "-c",
        "CMD [\"sh\"]",
        busybox_tar().to_str().unwrap(),
        "bb:fromdocker",
    ]);
    let docker_id = ok(&r).trim().to_string();
    let archive: PathBuf = d.dir.path().join("from-dockerd.tar");
    ok(&dockerd.docker(&["save", "-o", archive.to_str().unwrap(), "bb:fromdocker"]));
    assert_eq!(
        ok(&d.wharf(&["load", "-i", archive.to_str().unwrap()])),
        "Loaded image: bb:fromdocker\n"
    );
    assert_eq!(inspect_id(&d, "bb:fromdocker"), docker_id);

    // wharf → dockerd
    let wharf_id = d.import_busybox("bb:fromwharf");
    let archive2 = d.dir.path().join("from-wharf.tar");
    ok(&d.wharf(&["save", "-o", archive2.to_str().unwrap(), "bb:fromwharf"]));
    let out = ok(&dockerd.docker(&["load", "-i", archive2.to_str().unwrap()]));
    assert!(out.contains("Loaded image: bb:fromwharf"), "{out}");
    let got = ok(&dockerd.docker(&["image", "inspect", "-f", "{{.Id}}", "bb:fromwharf"]));
    assert_eq!(got.trim(), wharf_id);
    // dockerd can use what it loaded: its layer diff matches.
    let layers = ok(&dockerd.docker(&[
        "image",
        "inspect",
        "-f",
        "{{.RootFS.Layers}}",
        "bb:fromwharf",
    ]));
    let ours = ok(&d.wharf(&[
        "image",
        "inspect",
        "-f",
        "{{.RootFS.Layers}}",
        "bb:fromwharf",
    ]));
    assert_eq!(layers, ours);
}
