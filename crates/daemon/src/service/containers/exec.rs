//! `docker exec`: exec instances live in memory (as in dockerd), the processes in the
//! container's shim. The process spec starts from the container's own (`config.json`): same
//! capabilities, seccomp, rlimits, environment; then the exec's settings.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex};

use wharf_api::exec::{ExecCreateRequest, ExecInspect, ExecProcessConfig};
use wharf_runtime::spec::{ConsoleSize, Process, Spec};
use wharf_shim::protocol::{AttachSpec, Request};

use super::record::Status;
use super::shim;
use super::spec::Layers;
use super::{Ctr, lifecycle};
use crate::engine::Engine;
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct ExecRecord {
    pub id: String,
    pub container_id: String,
    pub config: ExecCreateRequest,
    pub running: bool,
    pub started: bool,
    pub exit_code: Option<i64>,
    pub pid: u32,
}

#[derive(Default)]
pub struct Execs {
    map: Mutex<HashMap<String, ExecRecord>>,
}

impl Execs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ExecRecord>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, id: &str) -> Result<ExecRecord, ApiError> {
        self.lock()
            .get(id)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("No such exec instance: {id}")))
    }

    fn update(&self, id: &str, f: impl FnOnce(&mut ExecRecord)) {
        if let Some(r) = self.lock().get_mut(id) {
            f(r);
        }
    }
}

/// Drops the exec instances of a removed container.
pub fn forget_container(e: &Engine, c: &Ctr) {
    let ids = std::mem::take(&mut *c.exec_ids.lock().unwrap_or_else(|p| p.into_inner()));
    let mut m = e.execs.lock();
    for id in ids {
        m.remove(&id);
    }
}

fn not_running(c: &Ctr) -> ApiError {
    ApiError::conflict(format!("Container {} is not running", c.id))
}

/// `POST /containers/{id}/exec`.
pub fn create(e: &Engine, c: &Arc<Ctr>, req: ExecCreateRequest) -> Result<String, ApiError> {
    let status = c.lock().state.status;
    if status == Status::Paused {
        return Err(ApiError::conflict(format!(
            "Container {} is paused, unpause the container before exec",
            c.id
        )));
    }
    if !status.is_alive() {
        return Err(not_running(c));
    }
    if req.cmd.is_empty() {
        return Err(ApiError::bad_request("No exec command specified"));
    }
    let id = super::new_id();
    e.execs.lock().insert(
        id.clone(),
        ExecRecord {
            id: id.clone(),
            container_id: c.id.clone(),
            config: req,
            running: false,
            started: false,
            exit_code: None,
            pid: 0,
        },
    );
    c.exec_ids
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(id.clone());
    let cmd = e.execs.get(&id)?.config.cmd.join(" ");
    lifecycle::event(
        e,
        c,
        &format!("exec_create: {cmd}"),
        &[("execID", id.clone())],
    );
    Ok(id)
}

/// What an exec (or a health probe) asks for.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessOptions<'a> {
    pub cmd: &'a [String],
    pub env: &'a [String],
    pub user: &'a str,
    pub workdir: &'a str,
    pub tty: bool,
    pub privileged: bool,
}

/// The process to run: the container's init process settings with the exec's on top.
pub fn process_for(e: &Engine, c: &Ctr, o: ProcessOptions<'_>) -> Result<Process, ApiError> {
    let ProcessOptions {
        cmd,
        env,
        user,
        workdir,
        tty,
        privileged,
    } = o;
    let dir = e.containers.dir(&c.id);
    let data = std::fs::read(dir.join(wharf_shim::config::SPEC_FILE))
        .map_err(|err| ApiError::internal(format!("reading the container's spec: {err}")))?;
    let spec = Spec::from_json(&data)
        .map_err(|err| ApiError::internal(format!("the container's spec: {err}")))?;
    let mut p = spec.process.unwrap_or_default();
    p.args = cmd.to_vec();
    // The init's args may be wrapped by --init; an exec runs its command directly.
    for kv in env {
        let key = kv.split('=').next().unwrap_or("");
        p.env.retain(|x| x.split('=').next() != Some(key));
        p.env.push(kv.clone());
    }
    if !user.is_empty() {
        let layer = super::layer::of(e, &c.rec())?;
        let layers = Layers {
            dirs: layer.dirs(),
            full_tree: layer.full_tree,
        };
        let rec = c.rec();
        let group_add = rec.host_config.group_add.as_deref().unwrap_or(&[]);
        p.user = super::spec::resolve_user(user, group_add, &layers)?;
    }
    if !workdir.is_empty() {
        p.cwd = workdir.to_string();
    }
    p.terminal = tty;
    p.console_size = None;
    if tty && !p.env.iter().any(|e| e.starts_with("TERM=")) {
        p.env.push("TERM=xterm".into());
    }
    if privileged {
        let all: Vec<String> = wharf_runtime::caps::ALL
            .iter()
            .map(|s| s.to_string())
            .collect();
        p.capabilities = Some(wharf_runtime::spec::Capabilities {
            bounding: all.clone(),
            effective: all.clone(),
            inheritable: Vec::new(),
            permitted: all,
            ambient: Vec::new(),
        });
    }
    Ok(p)
}

/// How an exec's client is connected.
pub struct ExecStart {
    pub detach: bool,
    /// The stream is raw, not multiplexed (the start request's `Tty`).
    pub tty: bool,
    pub console_size: Option<[u64; 2]>,
    /// The hijacked connection (none when detached).
    pub conn: Option<OwnedFd>,
    pub initial: Vec<u8>,
}

/// `POST /exec/{id}/start`. Errors after the connection was handed over are written to the
/// client by the caller.
pub async fn start(e: &Arc<Engine>, id: &str, s: ExecStart) -> Result<(), ApiError> {
    let rec = e.execs.get(id)?;
    if rec.started {
        return Err(ApiError::conflict(format!(
            "Error: Exec command {id} has already run"
        )));
    }
    let c = e.containers.get(&rec.container_id)?;
    if c.lock().state.status != Status::Running {
        return Err(not_running(&c));
    }
    e.execs.update(id, |r| r.started = true);
    let cfg = rec.config.clone();
    let tty = cfg.tty;
    let c2 = c.clone();
    let mut process = e
        .blocking(move |e| {
            process_for(
                e,
                &c2,
                ProcessOptions {
                    cmd: &cfg.cmd,
                    env: &cfg.env,
                    user: &cfg.user,
                    workdir: &cfg.working_dir,
                    tty,
                    privileged: cfg.privileged,
                },
            )
        })
        .await?;
    if let Some([h, w]) = s.console_size.or(rec.config.console_size)
        && h > 0
        && w > 0
    {
        process.console_size = Some(ConsoleSize {
            height: h as u32,
            width: w as u32,
        });
    }
    let attach = s.conn.as_ref().map(|_| AttachSpec {
        stdin: rec.config.attach_stdin,
        stdout: rec.config.attach_stdout || !s.detach,
        stderr: rec.config.attach_stderr || !s.detach,
        multiplex: !s.tty,
        detach_keys: super::attach::detach_keys(&rec.config.detach_keys).unwrap_or_default(),
        close_stdin: !tty,
        initial: s.initial.clone(),
    });
    let dir = e.containers.dir(&c.id);
    let req = Request::Exec {
        id: id.to_string(),
        process: Box::new(process),
        attach,
    };
    // Running from now: the client may see its stream end and ask for the exit code before
    // this call returns.
    e.execs.update(id, |x| x.running = true);
    let result = match s.conn {
        Some(fd) => shim::call_with_fd(&dir, req, fd).await,
        None => shim::call(&dir, req).await,
    };
    let cmd = rec.config.cmd.join(" ");
    let r = match result {
        Ok(r) => r,
        Err(err) => {
            let code = err.code.unwrap_or(126) as i64;
            e.execs.update(id, |r| {
                r.running = false;
                r.exit_code = Some(code);
            });
            return Err(err.into());
        }
    };
    e.execs.update(id, |x| {
        x.pid = r.pid.unwrap_or(0);
    });
    lifecycle::event(
        e,
        &c,
        &format!("exec_start: {cmd}"),
        &[("execID", id.to_string())],
    );
    let (e2, id2) = (e.clone(), id.to_string());
    tokio::spawn(async move {
        let exit = shim::wait(&dir, Request::ExecWait { id: id2.clone() }).await;
        let code = exit.map(|x| x.exit_code as i64).unwrap_or(137);
        e2.execs.update(&id2, |r| {
            r.running = false;
            r.exit_code = Some(code);
        });
        lifecycle::event(
            &e2,
            &c,
            "exec_die",
            &[("execID", id2.clone()), ("exitCode", code.to_string())],
        );
    });
    Ok(())
}

/// `GET /exec/{id}/json`. A running exec is asked for in the shim, so a client that saw its
/// stream end gets the exit code at once.
pub async fn inspect(e: &Arc<Engine>, id: &str) -> Result<ExecInspect, ApiError> {
    let mut rec = e.execs.get(id)?;
    if rec.running {
        let dir = e.containers.dir(&rec.container_id);
        if let Ok(r) = shim::call(&dir, Request::ExecState { id: id.to_string() }).await
            && let Some(x) = r.exit
        {
            rec.running = false;
            rec.exit_code = Some(x.exit_code as i64);
            e.execs.update(id, |r| {
                r.running = false;
                r.exit_code = Some(x.exit_code as i64);
            });
        }
    }
    let mut args = rec.config.cmd.clone();
    let entrypoint = if args.is_empty() {
        String::new()
    } else {
        args.remove(0)
    };
    Ok(ExecInspect {
        id: rec.id.clone(),
        running: rec.running,
        exit_code: rec.exit_code,
        process_config: ExecProcessConfig {
            tty: rec.config.tty,
            entrypoint,
            arguments: args,
            privileged: Some(rec.config.privileged),
            user: rec.config.user.clone(),
        },
        open_stdin: rec.config.attach_stdin,
        open_stderr: rec.config.attach_stderr,
        open_stdout: rec.config.attach_stdout,
        can_remove: false,
        container_id: rec.container_id.clone(),
        detach_keys: String::new(),
        pid: rec.pid as i64,
    })
}

/// `POST /exec/{id}/resize`.
pub async fn resize(e: &Arc<Engine>, id: &str, height: u16, width: u16) -> Result<(), ApiError> {
    let rec = e.execs.get(id)?;
    let dir = e.containers.dir(&rec.container_id);
    shim::call(
        &dir,
        Request::Resize {
            exec: Some(id.to_string()),
            height,
            width,
        },
    )
    .await?;
    Ok(())
}
