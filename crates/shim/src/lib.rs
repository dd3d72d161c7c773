//! `wharf shim`: one small supervisor process per container.
//!
//! The daemon prepares the container's state directory (`shim.json`, the OCI `config.json`)
//! and spawns `wharf shim <state dir>` with a pipe on stdout. The shim:
//!
//! 1. starts a new session (terminal signals for the daemon never reach it); for an external
//!    runtime it becomes a child subreaper and enters a private mount namespace, so the rootfs
//!    it mounts is never visible on the host and vanishes with the shim (the built-in runtime
//!    mounts the rootfs inside the container's own mount namespace);
//! 2. creates the container with the chosen runtime (the init is stopped before exec), with
//!    pipes or a pty for its stdio, binds `shim.sock`, and reports `{"pid":N}` (or
//!    `{"error":…,"code":…}`) as one line on stdout;
//! 3. serves the [`protocol`]: `start`, `attach` (the client's hijacked connection is passed
//!    over the socket and served by the shim directly), `resize`, `kill`, `pause`, `exec`, …;
//! 4. writes the init's output to the json-file log ([`jsonlog`], rotated by size) and to
//!    attached clients; reaps; records the exit in `exit.json` before answering `wait`; removes
//!    the container with the runtime and exits.
//!
//! It is single-threaded (one `poll(2)` loop), uses no async runtime, and keeps running when
//! the daemon dies: logs keep being written and the exit record waits on disk for the daemon to
//! re-adopt the container.

pub mod config;
pub mod io;
pub mod jsonlog;
pub mod protocol;
mod server;
mod sys;

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use wharf_runtime::{Builtin, CreateOptions, External, RootfsMount, Runtime, Spec};

use crate::config::{RuntimeChoice, SPEC_FILE, ShimConfig};
use crate::jsonlog::LogWriter;
use crate::protocol::Response;
use crate::server::{Proc, Shim, console_io, make_stdio};

/// Entry point of `wharf shim <state dir>`; returns the process exit status.
pub fn main(args: &[String]) -> i32 {
    let Some(dir) = args.first() else {
        eprintln!("usage: wharf shim STATE-DIR");
        return 2;
    };
    let dir = PathBuf::from(dir);
    match setup(&dir) {
        Ok(shim) => {
            report(&Response {
                pid: Some(shim.init.pid),
                ..Default::default()
            });
            shim.serve();
            0
        }
        Err((msg, code)) => {
            report(&Response::error(msg, code));
            1
        }
    }
}

/// Writes the readiness line on stdout, then points stdout at /dev/null so the daemon's pipe
/// closes.
fn report(r: &Response) {
    let mut line = serde_json::to_vec(r).unwrap_or_default();
    line.push(b'\n');
    let _ = rustix::io::write(std::io::stdout().as_fd(), &line);
    if let Ok(null) = rustix::fs::open(
        "/dev/null",
        rustix::fs::OFlags::RDWR | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    ) {
        let _ = rustix::stdio::dup2_stdout(&null);
    }
}

type SetupError = (String, Option<i32>);

fn err(what: &str) -> impl Fn(std::io::Error) -> SetupError + '_ {
    move |e| (format!("{what}: {e}"), None)
}

fn setup(dir: &Path) -> Result<Shim, SetupError> {
    let cfg = ShimConfig::load(dir).map_err(err("reading shim.json"))?;
    let spec_data = std::fs::read(dir.join(SPEC_FILE)).map_err(err("reading config.json"))?;
    let spec = Spec::from_json(&spec_data).map_err(|e| (format!("config.json: {e}"), None))?;
    let _ = rustix::process::setsid();
    let external = !matches!(cfg.runtime, RuntimeChoice::Builtin);
    if external {
        // runc's create process exits; its init must be re-parented to us to be waited for.
        wharf_runtime::set_child_subreaper().map_err(|e| (e.to_string(), None))?;
    }
    let runtime: Box<dyn Runtime> = match &cfg.runtime {
        RuntimeChoice::Builtin => Box::new(Builtin),
        RuntimeChoice::External { binary, root, args } => {
            wharf_runtime::enter_private_mount_namespace().map_err(|e| (e.to_string(), None))?;
            Box::new(External::new(binary, root).with_global_args(args.iter().cloned()))
        }
    };
    let rootfs = cfg.rootfs.as_ref().map(|r| RootfsMount {
        fstype: r.fstype.clone(),
        source: r.source.clone(),
        options: r.options.clone(),
    });
    let (stdio, mut io) = if cfg.tty {
        make_stdio(false, false, false)
    } else {
        make_stdio(cfg.open_stdin, true, true)
    }
    .map_err(err("pipes"))?;
    let mut container = runtime
        .create(CreateOptions {
            id: &cfg.id,
            spec: &spec,
            rootfs: rootfs.as_ref(),
            stdio,
            bundle: dir,
        })
        .map_err(|e| (e.to_string(), e.exit_code_hint()))?;
    for w in container.warnings() {
        eprintln!("warning: {w}");
    }
    let console = match container.init_mut().take_console() {
        Some(m) => Some(console_io(&mut io, &m, cfg.open_stdin).map_err(err("console"))?),
        None => None,
    };
    if let Some(log) = &cfg.log {
        io.log = Some(LogWriter::open(log.clone()).map_err(err("opening the log"))?);
    }
    let listener = match protocol::bind(dir) {
        Ok(l) => l,
        Err(e) => {
            let _ = runtime.delete(container, true);
            return Err((format!("binding the shim socket: {e}"), None));
        }
    };
    let pid = container.pid();
    let init = Proc::new(io, pid, console);
    let mut shim = Shim::new(dir.to_path_buf(), runtime, container, listener, init);
    shim.subreaper = external;
    shim.cgroups_path = spec
        .linux
        .as_ref()
        .map(|l| l.cgroups_path.clone())
        .unwrap_or_default();
    Ok(shim)
}
