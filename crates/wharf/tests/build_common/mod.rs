//! Helpers for the build tests: contexts on disk, builds through either CLI, inspection.
#![allow(dead_code)]

use std::path::Path;
use std::process::Output;

use crate::common::*;

/// Which client drives the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cli {
    Wharf,
    /// The official docker CLI with `DOCKER_BUILDKIT=0` (the classic `POST /build`).
    Docker,
}

/// wharf's CLI, plus docker's when installed.
pub fn clis() -> Vec<Cli> {
    let mut v = vec![Cli::Wharf];
    if docker_available() {
        v.push(Cli::Docker);
    } else {
        eprintln!("docker CLI not installed: building through wharf's CLI only");
    }
    v
}

/// A context directory holding `files` (path, content); a path ending in `/` is a directory.
pub fn context(files: &[(&str, &str)]) -> tempfile::TempDir {
    let t = tempfile::Builder::new()
        .prefix("wharf-ctx-")
        .tempdir()
        .unwrap();
    for (p, data) in files {
        let path = t.path().join(p);
        if p.ends_with('/') {
            std::fs::create_dir_all(&path).unwrap();
            continue;
        }
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, data).unwrap();
    }
    t
}

pub fn write(dir: &Path, p: &str, data: &str) {
    let path = dir.join(p);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

/// Builds `ctx` with extra arguments (`-t`, `--build-arg`, ...), plain progress.
pub fn build(d: &TestDaemon, cli: Cli, ctx: &Path, args: &[&str]) -> Output {
    let mut all: Vec<&str> = vec!["build"];
    if cli == Cli::Wharf {
        all.push("--progress=plain");
    }
    all.extend_from_slice(args);
    let c = ctx.to_str().unwrap();
    all.push(c);
    match cli {
        Cli::Wharf => d.wharf(&all),
        Cli::Docker => d.docker(&all),
    }
}

/// Output (stdout + stderr) of a build that must succeed.
#[track_caller]
pub fn build_ok(d: &TestDaemon, cli: Cli, ctx: &Path, args: &[&str]) -> String {
    let out = build(d, cli, ctx, args);
    ok(&out);
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn inspect(d: &TestDaemon, image: &str, format: &str) -> String {
    ok(&d.wharf(&["image", "inspect", "--format", format, image]))
        .trim()
        .to_string()
}

/// The ID `-t` names, or empty.
pub fn image_id(d: &TestDaemon, name: &str) -> String {
    let out = d.wharf(&["image", "inspect", "--format", "{{.Id}}", name]);
    if out.status.success() {
        stdout(&out).trim().to_string()
    } else {
        String::new()
    }
}

/// Runs `script` in a throwaway build on `image` and returns what it printed.
pub fn run_in(d: &TestDaemon, image: &str, script: &str) -> String {
    let ctx = context(&[("Dockerfile", &format!("FROM {image}\nRUN {script}\n"))]);
    let out = build_ok(d, Cli::Wharf, ctx.path(), &["--no-cache"]);
    // The step's output sits between "Running in" and "Removing intermediate container".
    let mut lines = Vec::new();
    let mut inside = false;
    for l in out.lines() {
        if l.starts_with(" ---> Running in ") {
            // Only the last step's output (ONBUILD triggers of the image run first).
            inside = true;
            lines.clear();
            continue;
        }
        if l.starts_with("Removing intermediate container") {
            inside = false;
            continue;
        }
        if inside {
            lines.push(l.to_string());
        }
    }
    lines.join("\n")
}
