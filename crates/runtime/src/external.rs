//! External OCI runtimes (`runc`, `crun`) driven through their command line with a bundle.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio as PStdio};
use std::time::Duration;

use rustix::process::Pid;

use crate::console::ConsoleSocket;
use crate::error::Error;
use crate::process::Stdio;
use crate::runtime::{
    Backend, Container, CreateOptions, ExecOptions, ProcessHandle, Runtime, Status, root_path,
};

/// An OCI runtime binary, with its own state directory (`--root`).
#[derive(Debug, Clone)]
pub struct External {
    name: String,
    binary: PathBuf,
    state_root: PathBuf,
    global_args: Vec<String>,
}

/// Per-container state for an external runtime.
#[derive(Debug)]
pub struct Handle {
    bundle: PathBuf,
    /// The rootfs we mounted in the caller's mount namespace, unmounted on delete.
    mounted_rootfs: Option<PathBuf>,
    exec_count: std::cell::Cell<u32>,
}

fn null_or(fd: Option<OwnedFd>) -> PStdio {
    fd.map(PStdio::from).unwrap_or_else(PStdio::null)
}

impl External {
    /// `binary` (e.g. `/usr/sbin/runc`), keeping its state under `state_root`.
    pub fn new(binary: impl Into<PathBuf>, state_root: impl Into<PathBuf>) -> External {
        let binary = binary.into();
        let name = binary
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        External {
            name,
            binary,
            state_root: state_root.into(),
            global_args: Vec::new(),
        }
    }

    /// Extra global flags put before every command (e.g. `--cgroup-manager=disabled` for
    /// crun on a hybrid cgroup host, which crun refuses to manage).
    pub fn with_global_args<I: IntoIterator<Item = String>>(mut self, args: I) -> External {
        self.global_args.extend(args);
        self
    }

    fn cmd(&self, log: Option<&Path>) -> Command {
        let mut c = Command::new(&self.binary);
        c.arg("--root")
            .arg(&self.state_root)
            .args(&self.global_args);
        if let Some(log) = log {
            c.arg("--log").arg(log).arg("--log-format").arg("json");
        }
        c
    }

    /// Run a short command, capturing its output; errors carry the runtime's message.
    fn run(&self, command: &'static str, args: &[&str]) -> Result<Vec<u8>, Error> {
        let out = self
            .cmd(None)
            .arg(command)
            .args(args)
            .stdin(PStdio::null())
            .output()
            .map_err(|e| Error::io("spawn", &self.binary, e))?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(self.failure(command, &String::from_utf8_lossy(&out.stderr)))
        }
    }

    fn failure(&self, command: &'static str, text: &str) -> Error {
        Error::External {
            runtime: self.name.clone(),
            command,
            message: last_error(text),
        }
    }

    fn log_failure(
        &self,
        command: &'static str,
        log: &Path,
        status: std::process::ExitStatus,
    ) -> Error {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let msg = last_error(&text);
        let msg = if msg.is_empty() {
            format!("exited with {status}")
        } else {
            msg
        };
        Error::External {
            runtime: self.name.clone(),
            command,
            message: msg,
        }
    }

    /// Spawn `args` with the process's stdio (or a console socket) and return the pid the
    /// runtime wrote plus the pty master.
    fn spawn_process(
        &self,
        command: &'static str,
        bundle: &Path,
        args: Vec<String>,
        stdio: Stdio,
        terminal: bool,
        pid_file: &Path,
    ) -> Result<(Pid, Option<OwnedFd>), Error> {
        let log = bundle.join(format!("{command}.log.json"));
        let _ = std::fs::remove_file(&log);
        let _ = std::fs::remove_file(pid_file);
        let console = if terminal {
            Some(ConsoleSocket::bind(&bundle.join("console.sock"))?)
        } else {
            None
        };
        let mut cmd = self.cmd(Some(&log));
        cmd.arg(command).args(&args[..args.len() - 1]);
        if let Some(c) = &console {
            cmd.arg("--console-socket").arg(c.path());
        }
        cmd.arg(&args[args.len() - 1]);
        if terminal {
            cmd.stdin(PStdio::null())
                .stdout(PStdio::null())
                .stderr(PStdio::null());
        } else {
            cmd.stdin(null_or(stdio.stdin))
                .stdout(null_or(stdio.stdout))
                .stderr(null_or(stdio.stderr));
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| Error::io("spawn", &self.binary, e))?;
        let mut master = None;
        if let Some(c) = &console {
            let mut exited = None;
            master = c.receive(Duration::from_secs(30), || match child.try_wait() {
                Ok(Some(s)) => {
                    exited = Some(s);
                    false
                }
                _ => true,
            })?;
            if master.is_none() && exited.is_none() {
                let _ = child.kill();
            }
        }
        let status = child
            .wait()
            .map_err(|e| Error::io("wait for", &self.binary, e))?;
        if !status.success() {
            return Err(self.log_failure(command, &log, status));
        }
        let text = std::fs::read_to_string(pid_file).map_err(|e| Error::io("read", pid_file, e))?;
        let pid = text
            .trim()
            .parse::<i32>()
            .ok()
            .and_then(Pid::from_raw)
            .ok_or_else(|| Error::Spec(format!("bad pid file content {text:?}")))?;
        Ok((pid, master))
    }
}

/// The last error message in a runtime's JSON log (or plain text).
fn last_error(text: &str) -> String {
    let mut last = String::new();
    for line in text.lines() {
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(v) => {
                let level = v.get("level").and_then(|l| l.as_str()).unwrap_or("");
                if (level == "error" || level == "fatal")
                    && let Some(m) = v.get("msg").and_then(|m| m.as_str())
                {
                    last = m.to_string();
                }
            }
            Err(_) if !line.trim().is_empty() => last = line.trim().to_string(),
            Err(_) => {}
        }
    }
    last
}

impl Runtime for External {
    fn name(&self) -> &str {
        &self.name
    }

    fn create(&self, opts: CreateOptions<'_>) -> Result<Container, Error> {
        let bundle = opts.bundle;
        std::fs::create_dir_all(bundle).map_err(|e| Error::io("mkdir", bundle, e))?;
        let mut spec = opts.spec.clone();
        let root = root_path(&spec, bundle)?;
        if let Some(r) = spec.root.as_mut() {
            r.path = root.display().to_string();
        }
        let mut warnings = Vec::new();
        let terminal = spec.process.as_ref().is_some_and(|p| p.terminal);
        if let Some(p) = spec.process.as_mut() {
            warnings = crate::rlimit::clamp_in_place(&mut p.rlimits)
                .map_err(|n| Error::Spec(format!("unknown rlimit type {n:?}")))?;
        }
        let config = bundle.join("config.json");
        std::fs::write(&config, spec.to_json()).map_err(|e| Error::io("write", &config, e))?;
        let mounted_rootfs = match opts.rootfs {
            Some(m) => {
                match idmapped_for(&spec) {
                    Some((uid, gid)) => mount_idmapped(m, &root, uid, gid)?,
                    None => m.mount_at(&root).map_err(|e| {
                        Error::sys(format!("mount rootfs on {}", root.display()), e)
                    })?,
                }
                Some(root.clone())
            }
            None => None,
        };
        let pid_file = bundle.join("init.pid");
        let args = vec![
            "--bundle".to_string(),
            bundle.display().to_string(),
            "--pid-file".to_string(),
            pid_file.display().to_string(),
            opts.id.to_string(),
        ];
        let (pid, master) =
            match self.spawn_process("create", bundle, args, opts.stdio, terminal, &pid_file) {
                Ok(r) => r,
                Err(e) => {
                    let _ = self.run("delete", &["--force", opts.id]);
                    unmount(mounted_rootfs.as_deref());
                    return Err(e);
                }
            };
        let init = ProcessHandle::new(pid, master)?;
        Ok(Container {
            id: opts.id.to_string(),
            init,
            started: false,
            paused: false,
            warnings,
            backend: Backend::External(Handle {
                bundle: bundle.to_path_buf(),
                mounted_rootfs,
                exec_count: std::cell::Cell::new(0),
            }),
        })
    }

    fn start(&self, c: &mut Container) -> Result<(), Error> {
        c.started = true;
        self.run("start", &[&c.id]).map(|_| ())
    }

    fn exec(&self, c: &Container, opts: ExecOptions<'_>) -> Result<ProcessHandle, Error> {
        let Backend::External(h) = &c.backend else {
            return Err(wrong_backend());
        };
        let n = h.exec_count.get() + 1;
        h.exec_count.set(n);
        let process_json = h.bundle.join(format!("exec-{n}.json"));
        let json = serde_json::to_vec(opts.process).map_err(|e| Error::Spec(e.to_string()))?;
        std::fs::write(&process_json, json).map_err(|e| Error::io("write", &process_json, e))?;
        let pid_file = h.bundle.join(format!("exec-{n}.pid"));
        let args = vec![
            "--process".to_string(),
            process_json.display().to_string(),
            "--detach".to_string(),
            "--pid-file".to_string(),
            pid_file.display().to_string(),
            c.id.clone(),
        ];
        let (pid, master) = self.spawn_process(
            "exec",
            &h.bundle,
            args,
            opts.stdio,
            opts.process.terminal,
            &pid_file,
        )?;
        let _ = std::fs::remove_file(&process_json);
        ProcessHandle::new(pid, master)
    }

    fn kill(&self, c: &Container, signal: i32, all: bool) -> Result<(), Error> {
        let sig = signal.to_string();
        if all {
            self.run("kill", &["--all", &c.id, &sig]).map(|_| ())
        } else {
            self.run("kill", &[&c.id, &sig]).map(|_| ())
        }
    }

    fn pause(&self, c: &mut Container) -> Result<(), Error> {
        self.run("pause", &[&c.id])?;
        c.paused = true;
        Ok(())
    }

    fn resume(&self, c: &mut Container) -> Result<(), Error> {
        self.run("resume", &[&c.id])?;
        c.paused = false;
        Ok(())
    }

    fn state(&self, c: &Container) -> Result<Status, Error> {
        let out = match self.run("state", &[&c.id]) {
            Ok(o) => o,
            Err(_) if c.init.exited() => return Ok(Status::Stopped),
            Err(e) => return Err(e),
        };
        let v: serde_json::Value =
            serde_json::from_slice(&out).map_err(|e| Error::Spec(format!("state output: {e}")))?;
        Ok(
            match v.get("status").and_then(|s| s.as_str()).unwrap_or("") {
                "created" => Status::Created,
                "running" => Status::Running,
                "paused" => Status::Paused,
                _ => Status::Stopped,
            },
        )
    }

    fn delete(&self, mut c: Container, force: bool) -> Result<(), Error> {
        let Backend::External(h) = &c.backend else {
            return Err(wrong_backend());
        };
        let r = if force {
            self.run("delete", &["--force", &c.id])
        } else {
            self.run("delete", &[&c.id])
        };
        if r.is_ok() {
            // Reap the init if it was reparented to us (subreaper); harmless otherwise.
            let _ = c.init.wait();
            unmount(h.mounted_rootfs.as_deref());
        }
        r.map(|_| ())
    }
}

fn unmount(path: Option<&Path>) {
    if let Some(p) = path {
        let _ = rustix::mount::unmount(p, rustix::mount::UnmountFlags::DETACH);
    }
}

fn wrong_backend() -> Error {
    Error::Spec("container was not created by this runtime".into())
}

/// The id maps of a spec that creates a user namespace.
fn idmapped_for(
    spec: &crate::Spec,
) -> Option<(&[crate::spec::IdMapping], &[crate::spec::IdMapping])> {
    let l = spec.linux.as_ref()?;
    let ns = l.namespace(crate::spec::NamespaceType::User)?;
    (ns.path.is_empty() && !l.uid_mappings.is_empty())
        .then_some((l.uid_mappings.as_slice(), l.gid_mappings.as_slice()))
}

/// Mount the rootfs for a container in a user namespace with those maps: the same idmapped
/// layers as the built-in runtime's, through a namespace made only to carry the mapping.
fn mount_idmapped(
    m: &crate::RootfsMount,
    root: &Path,
    uid: &[crate::spec::IdMapping],
    gid: &[crate::spec::IdMapping],
) -> Result<(), Error> {
    use std::os::fd::AsFd;
    let ns = crate::userns::detached(uid, gid).map_err(|(what, e)| Error::sys(what, e))?;
    let tree = m
        .detached_idmapped(ns.as_fd())
        .map_err(|e| Error::sys(format!("mount rootfs {} idmapped", m.fstype), e))?;
    rustix::mount::move_mount(
        &tree,
        "",
        rustix::fs::CWD,
        root,
        rustix::mount::MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
    )
    .map_err(|e| Error::sys(format!("mount rootfs on {}", root.display()), e))
}
