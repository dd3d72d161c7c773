//! `system df` accounts for everything in the data root (images and their blobs, containers'
//! writable layers and logs, volumes), and `system prune` frees what it reports.

mod common;

use std::process::Command;

use common::*;

fn du_bytes(p: &std::path::Path) -> i64 {
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

fn df_total(d: &TestDaemon) -> i64 {
    let out = Command::new("curl")
        .args(["-s", "--unix-socket"])
        .arg(&d.socket)
        .arg("http://wharf/system/df")
        .output()
        .expect("curl");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = |x: &serde_json::Value| x.as_i64().unwrap_or(0);
    let containers: i64 = v["Containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| n(&c["SizeRw"]))
        .sum();
    let volumes: i64 = v["Volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| n(&x["UsageData"]["Size"]))
        .sum();
    n(&v["LayersSize"]) + containers + volumes + n(&v["BuilderSize"])
}

/// Parses docker's human size ("9.454MB") back to bytes.
fn parse_human(s: &str) -> f64 {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap();
    let (num, unit) = s.split_at(split);
    let mult = match unit {
        "B" => 1.0,
        "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        _ => panic!("unit {unit}"),
    };
    num.parse::<f64>().unwrap() * mult
}

#[test]
fn df_matches_du_and_prune_frees_what_it_reports() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox:latest");
    // A container that logged ~1 MB and exited; one with a 5 MB writable layer and a 3 MB
    // anonymous volume, stopped.
    ok(&d.wharf(&[
        "run",
        "--name",
        "chatty",
        "busybox",
        "sh",
        "-c",
        "i=0; while [ $i -lt 20000 ]; do echo \"log line $i padded out a bit\"; i=$((i+1)); done",
    ]));
    ok(&d.wharf(&["run", "-d", "--name", "writer", "-v", "/data", "busybox", "sh", "-c",
        "dd if=/dev/zero of=/data/f bs=1M count=3 2>/dev/null; dd if=/dev/zero of=/big bs=1M count=5 2>/dev/null; sleep 600"]));
    std::thread::sleep(std::time::Duration::from_millis(800));
    ok(&d.wharf(&["stop", "-t", "1", "writer"]));

    let du = du_bytes(&d.root);
    let df = df_total(&d);
    // The rest is the metadata database, engine.json and directory entries.
    assert!(
        (du - df).abs() < 2 << 20,
        "du says {du} bytes, df accounts for {df}"
    );
    assert!(
        df > 12 << 20,
        "df should see images, logs, layers and the volume: {df}"
    );

    let out = ok(&d.wharf(&["system", "prune", "-a", "-f", "--volumes"]));
    let reported = parse_human(
        out.lines()
            .last()
            .unwrap()
            .trim_start_matches("Total reclaimed space:"),
    );
    let freed = (du - du_bytes(&d.root)) as f64;
    assert!(
        (reported - freed).abs() < 0.05 * freed + 1e6,
        "prune reported {reported} bytes, du shows {freed} freed\n{out}"
    );
    assert_eq!(df_total(&d), 0, "nothing left to account for");
    assert!(du_bytes(&d.root) < 2 << 20);
}
