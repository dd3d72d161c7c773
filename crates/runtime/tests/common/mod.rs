//! Helpers for the privileged runtime tests: busybox rootfs, running a container to
//! completion, and the runtimes under test.
#![allow(dead_code)]

use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use wharf_runtime::{
    Builtin, Container, CreateOptions, Error, ExitStatus, External, RootfsMount, Runtime, Spec,
    SpecBuilder, Stdio,
};

/// A temp dir holding a busybox root filesystem (`rootfs/`) and room for a bundle.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("wharf-rt-")
            .tempdir()
            .unwrap();
        make_busybox_rootfs(&dir.path().join("rootfs"));
        Fixture { dir }
    }

    pub fn rootfs(&self) -> PathBuf {
        self.dir.path().join("rootfs")
    }

    pub fn bundle(&self) -> PathBuf {
        self.dir.path().join("bundle")
    }

    pub fn spec(&self, args: &[&str]) -> SpecBuilder {
        SpecBuilder::new(
            self.rootfs().display().to_string(),
            args.iter().map(|s| s.to_string()).collect(),
        )
    }
}

/// Copy `/usr/bin/busybox` into `root/bin` with a symlink per applet.
pub fn make_busybox_rootfs(root: &Path) {
    for d in ["bin", "dev", "proc", "sys", "etc", "tmp", "root"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::copy("/usr/bin/busybox", root.join("bin/busybox")).unwrap();
    let out = std::process::Command::new("/usr/bin/busybox")
        .arg("--list")
        .output()
        .unwrap();
    for applet in String::from_utf8_lossy(&out.stdout).lines() {
        if applet != "busybox" {
            let _ = std::os::unix::fs::symlink("busybox", root.join("bin").join(applet));
        }
    }
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    std::fs::write(root.join("etc/group"), "root:x:0:\ntty:x:5:\n").unwrap();
}

pub fn builtin() -> Option<Box<dyn Runtime>> {
    Some(Box::new(Builtin))
}

fn external(bin: &str, args: &[&str]) -> Option<Box<dyn Runtime>> {
    if !Path::new(bin).exists() {
        eprintln!("{bin} not installed: skipped");
        return None;
    }
    wharf_runtime::set_child_subreaper().unwrap();
    let name = Path::new(bin)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let args = args.iter().map(|s| s.to_string());
    Some(Box::new(
        External::new(bin, format!("/run/wharf-test-{name}")).with_global_args(args),
    ))
}

pub fn runc() -> Option<Box<dyn Runtime>> {
    external("/usr/sbin/runc", &[])
}

pub fn crun() -> Option<Box<dyn Runtime>> {
    // crun 1.8 refuses a hybrid cgroup layout (v2 mounted without controllers), even with
    // --cgroup-manager=disabled: "cgroups in hybrid mode not supported".
    if Path::new("/sys/fs/cgroup/unified/cgroup.controllers").exists() {
        eprintln!("crun: hybrid cgroup host not supported by crun: skipped");
        return None;
    }
    external("/usr/bin/crun", &[])
}

/// A unique container id for this test.
pub fn id(tag: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    format!(
        "wharf-test-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub warnings: Vec<String>,
}

fn pipe() -> (OwnedFd, OwnedFd) {
    rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap()
}

/// Deletes the container when dropped, so a failing assertion cleans up too.
pub struct Guard<'a> {
    pub rt: &'a dyn Runtime,
    pub c: Option<Container>,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.c.take() {
            let _ = self.rt.delete(c, true);
        }
    }
}

impl Guard<'_> {
    pub fn c(&mut self) -> &mut Container {
        self.c.as_mut().unwrap()
    }
}

/// Create (stdout and stderr into one pipe) without starting.
pub fn create<'a>(
    rt: &'a dyn Runtime,
    fx: &Fixture,
    spec: &Spec,
    rootfs: Option<&RootfsMount>,
) -> Result<(Guard<'a>, Option<OwnedFd>), Error> {
    let (r, w) = pipe();
    let w2 = w.try_clone().unwrap();
    let c = rt.create(CreateOptions {
        id: &id(rt.name()),
        spec,
        rootfs,
        stdio: Stdio {
            stdin: None,
            stdout: Some(w),
            stderr: Some(w2),
        },
        bundle: &fx.bundle(),
    })?;
    let terminal = spec.process.as_ref().unwrap().terminal;
    Ok((Guard { rt, c: Some(c) }, (!terminal).then_some(r)))
}

/// Run to completion and collect the output (pty output when `process.terminal`).
pub fn run_with(
    rt: &dyn Runtime,
    fx: &Fixture,
    spec: &Spec,
    rootfs: Option<&RootfsMount>,
) -> Result<Output, Error> {
    let (mut g, out) = create(rt, fx, spec, rootfs)?;
    let console = g.c().init_mut().take_console();
    let warnings = g.c().warnings().to_vec();
    rt.start(g.c())?;
    let mut stdout = String::new();
    if let Some(out) = out {
        std::fs::File::from(out)
            .read_to_string(&mut stdout)
            .unwrap();
    } else if let Some(m) = console {
        let mut buf = Vec::new();
        // Reading a pty master ends with EIO once the slave side is gone.
        let _ = std::fs::File::from(m).read_to_end(&mut buf);
        stdout = String::from_utf8_lossy(&buf).into_owned();
    }
    let status = g.c().wait()?;
    let c = g.c.take().unwrap();
    rt.delete(c, false)?;
    Ok(Output {
        status,
        stdout,
        warnings,
    })
}

pub fn run(rt: &dyn Runtime, fx: &Fixture, spec: &Spec) -> Output {
    run_with(rt, fx, spec, None).unwrap_or_else(|e| panic!("{}: {e}", rt.name()))
}

/// Shell one-liner in a default container.
pub fn sh(rt: &dyn Runtime, fx: &Fixture, script: &str) -> Output {
    let spec = fx.spec(&["sh", "-c", script]).build().unwrap();
    run(rt, fx, &spec)
}
