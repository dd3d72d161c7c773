//! The RUN helper: `wharf build-step BUNDLE` runs one build step's container with the built-in
//! runtime and exits with the command's status. The daemon spawns it per RUN (it never forks
//! from its own threads); its standard output and error are the step's, piped back to the
//! build's progress stream.
//!
//! The bundle holds `config.json` (the OCI spec, `root.path` the mount point) and
//! `rootfs.json` (how to mount the root filesystem: the step's overlay).

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use serde::{Deserialize, Serialize};
use wharf_runtime::{
    Builtin, ChildErrorKind, CreateOptions, Error, RootfsMount, Runtime, Spec, Stdio,
};

/// `rootfs.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RootfsFile {
    pub fstype: String,
    pub source: String,
    pub options: String,
}

fn dup(fd: std::os::fd::BorrowedFd<'_>) -> Option<OwnedFd> {
    rustix::io::fcntl_dupfd_cloexec(fd, 3).ok()
}

fn exit_code(e: &Error) -> i32 {
    match e {
        Error::Child(c) => match c.kind {
            ChildErrorKind::NotFound => 127,
            ChildErrorKind::NotExecutable => 126,
            ChildErrorKind::Setup => 125,
        },
        _ => 125,
    }
}

/// Runs the step in `bundle`; returns the exit status for the process.
pub fn main(bundle: &Path) -> i32 {
    match run(bundle) {
        Ok(code) => code,
        Err((code, msg)) => {
            eprintln!("{msg}");
            code
        }
    }
}

fn run(bundle: &Path) -> Result<i32, (i32, String)> {
    let read = |name: &str| {
        std::fs::read(bundle.join(name)).map_err(|e| (125, format!("reading {name}: {e}")))
    };
    let spec: Spec = serde_json::from_slice(&read("config.json")?)
        .map_err(|e| (125, format!("config.json: {e}")))?;
    let rf: RootfsFile = serde_json::from_slice(&read("rootfs.json")?)
        .map_err(|e| (125, format!("rootfs.json: {e}")))?;
    let mount = RootfsMount {
        fstype: rf.fstype,
        source: rf.source,
        options: rf.options,
    };
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let stdio = Stdio {
        stdin: None,
        stdout: dup(stdout.as_fd()),
        stderr: dup(stderr.as_fd()),
    };
    let id = bundle
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "build-step".into());
    let rt = Builtin;
    let mut c = rt
        .create(CreateOptions {
            id: &id,
            spec: &spec,
            rootfs: Some(&mount),
            stdio,
            bundle,
        })
        .map_err(|e| (exit_code(&e), e.to_string()))?;
    if let Err(e) = rt.start(&mut c) {
        let code = exit_code(&e);
        let _ = rt.delete(c, true);
        return Err((code, e.to_string()));
    }
    let status = c.wait().map_err(|e| (125, e.to_string()))?;
    let _ = rt.delete(c, true);
    Ok(status.code())
}
