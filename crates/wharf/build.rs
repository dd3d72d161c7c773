//! Records the commit wharf is built from, for `version`'s "Git commit" (as Docker shows its
//! own). `WHARF_GIT_COMMIT` in the environment wins (builds from a tarball); outside a git
//! checkout it stays empty. Only this crate sees the value, so a new commit relinks the
//! binary without rebuilding the libraries.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    println!("cargo:rerun-if-env-changed=WHARF_GIT_COMMIT");
    let commit = std::env::var("WHARF_GIT_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=7", "HEAD"]))
        .unwrap_or_default();
    println!("cargo:rustc-env=WHARF_GIT_COMMIT={commit}");
    // Rebuild when HEAD moves: HEAD itself (a checkout), the branch it names, packed refs.
    // (Only paths that exist: cargo reruns the script on every build for a missing one.)
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    for path in ["HEAD", "packed-refs"].into_iter().chain(branch.as_deref()) {
        if let Some(p) = git(&["rev-parse", "--git-path", path])
            && std::path::Path::new(&p).exists()
        {
            println!("cargo:rerun-if-changed={p}");
        }
    }
}
