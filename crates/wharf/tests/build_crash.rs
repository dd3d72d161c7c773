//! A build cut short: the client going away stops the running step, and a `kill -9` of the
//! engine mid-build leaves no half image, no tag, no leftover container mount; the next build
//! works and garbage collection reclaims what the dead build wrote.

mod build_common;
mod common;

use std::time::{Duration, Instant};

use build_common::*;
use common::*;

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn running_steps(d: &TestDaemon) -> usize {
    std::fs::read_dir(d.root.join("tmp"))
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| std::fs::read_dir(e.path()).ok())
                .flat_map(|rd| rd.flatten())
                .filter(|e| e.path().join("rootfs").exists())
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn kill_9_mid_build_leaves_nothing_half_made() {
    if skip_unless_root() {
        return;
    }
    let mut d = TestDaemon::start();
    d.import_busybox("busybox");
    let ctx = context(&[(
        "Dockerfile",
        "FROM busybox\nRUN echo first > /first\nCOPY . /ctx\nRUN sleep 30\nLABEL never=reached\n",
    )]);
    let mut child = d
        .wharf_cmd(&[
            "build",
            "--progress=plain",
            "-t",
            "halfway",
            ctx.path().to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the sleeping step", || running_steps(&d) > 0);
    d.kill9();
    let _ = child.wait();
    d.spawn();
    // Nothing of the dead build is an image, let alone tagged.
    assert_eq!(image_id(&d, "halfway"), "");
    let all = ok(&d.wharf(&["images", "-a", "-q"]));
    assert_eq!(all.lines().count(), 1, "only busybox: {all}");
    // No mount of the step's root filesystem is left on the host.
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(d.root.to_str().unwrap()), "{mounts}");
    // Garbage collection reclaims the files, and the build works again.
    ok(&d.wharf(&["image", "prune", "-a", "-f"]));
    let snaps = std::fs::read_dir(d.root.join("snapshots")).unwrap().count();
    assert_eq!(snaps, 0, "no snapshot left once busybox is gone too");
    d.import_busybox("busybox");
    write(
        ctx.path(),
        "Dockerfile",
        "FROM busybox\nRUN echo first > /first\nCOPY . /ctx\n",
    );
    build_ok(&d, Cli::Wharf, ctx.path(), &["-t", "halfway"]);
    assert_eq!(run_in(&d, "halfway", "cat /first"), "first");
}

#[test]
fn a_client_going_away_stops_the_running_step() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    // A duration no other process on the host sleeps for, so the check below sees only ours.
    let marker = format!("sleep {}", 100_000 + std::process::id());
    let ctx = context(&[("Dockerfile", &format!("FROM busybox\nRUN {marker}\n"))]);
    let mut child = d
        .wharf_cmd(&["build", "--progress=plain", ctx.path().to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the sleeping step", || running_steps(&d) > 0);
    child.kill().unwrap();
    let _ = child.wait();
    // The engine notices within a second or two and removes the step's container and work.
    wait_for("the step to be stopped", || running_steps(&d) == 0);
    // SIGKILLed processes can take a moment to go on a busy machine.
    wait_for("the step's process to be gone", || {
        let ps = std::process::Command::new("pgrep")
            .args(["-f", &marker])
            .output()
            .unwrap();
        String::from_utf8_lossy(&ps.stdout).trim().is_empty()
    });
    let snaps = std::fs::read_dir(d.root.join("snapshots")).unwrap().count();
    assert_eq!(snaps, 1, "only busybox's layer");
}
