//! Crash consistency: `kill -9` of the daemon at random moments while it loads a large image.
//! After each restart no half image may be listed; loading again must work; and after
//! `image prune -a` the data root holds nothing `system df` does not account for.

mod common;

use std::process::{Command, Stdio};
use std::time::Instant;

use common::*;

/// A ~120 MB image of incompressible files in three layers, built once.
fn big_archive(d: &TestDaemon) -> std::path::PathBuf {
    let src = d.dir.path().join("bigroot");
    std::fs::create_dir_all(&src).unwrap();
    let mut seed = 0x2545F4914F6CDD1Du64;
    for i in 0..60 {
        let mut data = vec![0u8; 2 << 20];
        for chunk in data.chunks_mut(8) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            chunk.copy_from_slice(&seed.to_le_bytes()[..chunk.len()]);
        }
        std::fs::write(src.join(format!("blob{i:03}")), &data).unwrap();
    }
    let tar = d.dir.path().join("big-rootfs.tar");
    let st = Command::new("tar")
        .arg("-C")
        .arg(&src)
        .args(["-cf"])
        .arg(&tar)
        .arg(".")
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::remove_dir_all(&src).unwrap();
    ok(&d.wharf(&["import", tar.to_str().unwrap(), "big:1"]));
    std::fs::remove_file(&tar).unwrap();
    let archive = d.dir.path().join("big.tar");
    ok(&d.wharf(&["save", "-o", archive.to_str().unwrap(), "big:1"]));
    ok(&d.wharf(&["rmi", "big:1"]));
    archive
}

fn dir_entries(p: &std::path::Path) -> usize {
    std::fs::read_dir(p).map(|d| d.count()).unwrap_or(0)
}

fn du_bytes(p: &std::path::Path) -> u64 {
    let out = Command::new("du")
        .args(["-s", "-B1"])
        .arg(p)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn kill_9_during_load_never_leaves_a_half_image_or_orphans() {
    if skip_unless_root() {
        return;
    }
    let mut d = TestDaemon::start();
    let archive = big_archive(&d);
    let arch = archive.to_str().unwrap().to_string();

    // How long a whole load takes, to aim the kills inside it.
    let t = Instant::now();
    let out = ok(&d.wharf(&["load", "-i", &arch]));
    let full = t.elapsed();
    assert_eq!(out, "Loaded image: big:1\n");
    let want_id = ok(&d.wharf(&["image", "inspect", "-f", "{{.Id}}", "big:1"]))
        .trim()
        .to_string();
    ok(&d.wharf(&["rmi", "big:1"]));
    ok(&d.wharf(&["image", "prune", "-af"]));

    let mut seed = std::process::id() as u64 | 1;
    let mut interrupted = 0;
    for round in 0..12 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = full.mul_f64(((seed >> 33) % 1000) as f64 / 1000.0);
        let mut load = d
            .wharf_cmd(&["load", "-i", &arch])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        d.kill9();
        let status = load.wait().unwrap();
        if !status.success() {
            interrupted += 1;
        }
        d.spawn();
        let listed = ok(&d.wharf(&["images", "-a", "--no-trunc", "-q"]));
        match listed.trim() {
            "" => {}
            id => {
                assert_eq!(
                    id, want_id,
                    "round {round}: only the complete image may be listed"
                );
                let layers =
                    ok(&d.wharf(&["image", "inspect", "-f", "{{len .RootFS.Layers}}", &want_id]));
                assert_eq!(layers.trim(), "1");
                ok(&d.wharf(&["rmi", "-f", &want_id]));
            }
        }
        assert_eq!(
            dir_entries(&d.root.join("content/ingest")),
            0,
            "round {round}: ingest leftovers"
        );
    }
    assert!(
        interrupted >= 5,
        "the kills should interrupt most loads (interrupted {interrupted} of 12)"
    );

    // Loading again works and gives the same image.
    assert_eq!(
        ok(&d.wharf(&["load", "-i", &arch])),
        "Loaded image: big:1\n"
    );
    assert_eq!(
        ok(&d.wharf(&["image", "inspect", "-f", "{{.Id}}", "big:1"])).trim(),
        want_id
    );

    // After pruning everything, nothing is left that df does not show.
    ok(&d.wharf(&["image", "prune", "-af"]));
    let df = ok(&d.wharf(&["system", "df", "--format", "{{.Type}} {{.Size}}"]));
    assert!(df.contains("Images 0B"), "{df}");
    assert_eq!(
        dir_entries(&d.root.join("snapshots")),
        0,
        "orphan snapshot directories"
    );
    assert_eq!(
        dir_entries(&d.root.join("content/blobs/sha256")),
        0,
        "orphan blobs"
    );
    let used = du_bytes(&d.root);
    assert!(
        used < 4 << 20,
        "data root holds {used} bytes after prune -a; df reports 0B"
    );
}
