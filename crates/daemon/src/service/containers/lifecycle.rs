//! Start, stop, kill, restart, pause, wait, rename and remove, and the monitor that records
//! each exit. Lifecycle operations hold the container's `op` lock; the monitor never does (a
//! `stop` holding the lock waits for the monitor to record the exit).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wharf_api::container::{WaitExitError, WaitResponse};
use wharf_shim::config::{LogSpec, RootfsSpec, RuntimeChoice, ShimConfig};
use wharf_shim::protocol::{ExitRecord, Request};
use wharf_store::fsutil;

use super::record::{ContainerRecord, Status, ZERO_TIME};
use super::shim::{self, ShimError};
use super::spec::{Layers, SpecInputs};
use super::{Ctr, not_found};
use crate::engine::Engine;
use crate::error::ApiError;

/// Event attributes of a container: image, name, and its labels.
pub fn attributes(rec: &ContainerRecord) -> BTreeMap<String, String> {
    let mut a: BTreeMap<String, String> = rec.config.labels.clone().unwrap_or_default();
    a.insert("image".into(), rec.config.image.clone());
    a.insert("name".into(), rec.bare_name().to_string());
    a
}

pub fn event(e: &Engine, c: &Ctr, action: &str, extra: &[(&str, String)]) {
    let mut a = attributes(&c.lock());
    for (k, v) in extra {
        a.insert((*k).to_string(), v.clone());
    }
    e.events.publish("container", action, &c.id, a);
}

fn now() -> String {
    wharf_units::Timestamp::now().to_rfc3339_nano()
}

fn not_running(c: &Ctr) -> ApiError {
    ApiError::conflict(format!("Container {} is not running", c.id))
}

/// Parses a signal given by number or name (`9`, `KILL`, `SIGKILL`).
pub fn parse_signal(s: &str) -> Result<i32, ApiError> {
    if let Ok(n) = s.parse::<i32>() {
        if (1..=64).contains(&n) {
            return Ok(n);
        }
        return Err(ApiError::bad_request(format!("Invalid signal: {s}")));
    }
    let name = s.to_ascii_uppercase();
    let name = name.strip_prefix("SIG").unwrap_or(&name);
    let n = match name {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "ILL" => 4,
        "TRAP" => 5,
        "ABRT" | "IOT" => 6,
        "BUS" => 7,
        "FPE" => 8,
        "KILL" => 9,
        "USR1" => 10,
        "SEGV" => 11,
        "USR2" => 12,
        "PIPE" => 13,
        "ALRM" => 14,
        "TERM" => 15,
        "STKFLT" => 16,
        "CHLD" => 17,
        "CONT" => 18,
        "STOP" => 19,
        "TSTP" => 20,
        "TTIN" => 21,
        "TTOU" => 22,
        "URG" => 23,
        "XCPU" => 24,
        "XFSZ" => 25,
        "VTALRM" => 26,
        "PROF" => 27,
        "WINCH" => 28,
        "IO" | "POLL" => 29,
        "PWR" => 30,
        "SYS" => 31,
        other => {
            if let Some(rt) = other.strip_prefix("RTMIN+")
                && let Ok(k) = rt.parse::<i32>()
            {
                34 + k
            } else if other == "RTMIN" {
                34
            } else {
                return Err(ApiError::bad_request(format!("Invalid signal: {s}")));
            }
        }
    };
    Ok(n)
}

/// What the shim needs, written into the state directory before it is spawned. `netns`: the
/// network namespace the network service made for it.
fn prepare(e: &Engine, rec: &ContainerRecord, netns: Option<String>) -> Result<PathBuf, ApiError> {
    let dir = e.containers.dir(&rec.id);
    let layer = super::layer::of(e, rec)?;
    let layers = Layers {
        dirs: layer.dirs(),
        full_tree: layer.full_tree,
    };
    let joined_pid = joined_pid(e, rec)?;
    let init = [
        "/usr/bin/docker-init",
        "/usr/bin/tini-static",
        "/usr/bin/tini",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists());
    if rec.host_config.init == Some(true) && init.is_none() {
        return Err(ApiError::internal(
            "--init: no docker-init or tini binary found on the host",
        ));
    }
    let spec = super::spec::build(
        rec,
        &SpecInputs {
            dir: &dir,
            link_env: crate::service::network::link_env::for_container(e, rec),
            layers: &layers,
            volumes: &e.volumes,
            joined_pid,
            init_binary: init,
            netns,
            remap: super::uses_remap(e, &rec.host_config),
        },
    )?;
    let m = layer.mount();
    let rootfs = Some(RootfsSpec {
        fstype: m.fstype,
        source: m.source,
        options: m.options,
    });
    let runtime = if rec.runtime.is_empty() || rec.runtime == crate::config::BUILTIN_RUNTIME {
        RuntimeChoice::Builtin
    } else {
        let binary = e.config.runtime_path(&rec.runtime).ok_or_else(|| {
            ApiError::bad_request(format!("unknown or invalid runtime name: {}", rec.runtime))
        })?;
        RuntimeChoice::External {
            binary,
            root: e.config.data_root.join("runtimes").join(&rec.runtime),
            args: Vec::new(),
        }
    };
    let log = log_spec(e, rec);
    let cfg = ShimConfig {
        id: rec.id.clone(),
        runtime,
        rootfs,
        open_stdin: rec.config.open_stdin,
        tty: rec.config.tty,
        log,
    };
    let _ = std::fs::remove_file(dir.join(wharf_shim::config::EXIT_FILE));
    let _ = std::fs::remove_file(dir.join(wharf_shim::config::STATE_FILE));
    std::fs::write(dir.join(wharf_shim::config::SPEC_FILE), spec.to_json())
        .and_then(|()| cfg.save(&dir))
        .map_err(|err| ApiError::internal(format!("writing the container's config: {err}")))?;
    Ok(dir)
}

/// The json-file log of a container (`None` with `--log-driver none`).
pub fn log_spec(e: &Engine, rec: &ContainerRecord) -> Option<LogSpec> {
    let lc = &rec.host_config.log_config;
    if lc.kind == "none" {
        return None;
    }
    let max_size = lc
        .config
        .get("max-size")
        .and_then(|v| wharf_units::ram_in_bytes(v).ok())
        .map(|v| v.max(0) as u64);
    let max_file = lc.config.get("max-file").and_then(|v| v.parse().ok());
    let (max_size, max_file) = match (max_size, max_file) {
        (None, None) => (e.config.log_max_size, e.config.log_max_file),
        (Some(s), f) => (s, f.unwrap_or(1)),
        (None, Some(f)) => (e.config.log_max_size, f),
    };
    Some(LogSpec {
        path: log_path(e, &rec.id),
        max_size,
        max_file,
    })
}

pub fn log_path(e: &Engine, id: &str) -> PathBuf {
    e.containers.dir(id).join(format!("{id}-json.log"))
}

fn joined_pid(e: &Engine, rec: &ContainerRecord) -> Result<Option<u32>, ApiError> {
    let hc = &rec.host_config;
    let target = [&hc.network_mode, &hc.pid_mode, &hc.ipc_mode]
        .into_iter()
        .find_map(|m| m.strip_prefix("container:"));
    let Some(target) = target else {
        return Ok(None);
    };
    let other = e.containers.get(target)?;
    let o = other.lock();
    if !o.state.status.is_alive() {
        return Err(ApiError::conflict(format!(
            "cannot join network namespace of a non running container: {}",
            o.id
        )));
    }
    Ok(Some(o.state.pid))
}

/// `POST /containers/{id}/start`. `Ok(false)` when it was already running (304).
pub async fn start(e: &Arc<Engine>, c: &Arc<Ctr>) -> Result<bool, ApiError> {
    let _g = c.op.lock().await;
    start_locked(e, c).await
}

pub async fn start_locked(e: &Arc<Engine>, c: &Arc<Ctr>) -> Result<bool, ApiError> {
    if c.is_removed() {
        return Err(not_found(&c.id));
    }
    let rec = c.rec();
    match rec.state.status {
        Status::Running | Status::Paused => return Ok(false),
        Status::Removing | Status::Dead => {
            return Err(ApiError::conflict(
                "container is marked for removal and cannot be started",
            ));
        }
        _ => {}
    }
    c.restart_pending
        .store(false, std::sync::atomic::Ordering::SeqCst);
    // The container's cgroup migration comes a few ms from now; let its kernel-side wait
    // begin here (see `prime_migration`).
    tokio::task::spawn_blocking(wharf_cgroups::prime_migration);
    let c2 = c.clone();
    let t0 = std::time::Instant::now();
    let prepared = e
        .blocking(move |e| {
            let net = crate::service::network::sandbox::attach(e, &c2).map_err(|err| {
                ApiError::new(
                    err.status,
                    format!("failed to set up container networking: {}", err.message),
                )
            })?;
            match prepare(e, &c2.rec(), net.path()) {
                Ok(dir) => Ok((dir, net)),
                Err(err) => {
                    crate::service::network::sandbox::detach(e, &c2);
                    Err(err)
                }
            }
        })
        .await;
    let t_prepare = t0.elapsed();
    let (dir, net) = match prepared {
        Ok(d) => d,
        Err(err) => return Err(fail_start(e, c, err.message.clone(), None, err).await),
    };
    let started = launch(e, c, &dir).await;
    // The container's processes hold its network namespace now.
    drop(net);
    let (pid, started_at) = match started {
        Ok(x) => x,
        Err(se) => {
            let msg = se.message.clone();
            let code = se.code;
            return Err(fail_start(e, c, msg, code, se.into()).await);
        }
    };
    {
        let mut r = c.lock();
        r.state.status = Status::Running;
        r.state.pid = pid;
        r.state.started_at = started_at;
        r.state.finished_at = ZERO_TIME.into();
        r.state.exit_code = 0;
        r.state.error.clear();
        r.state.oom_killed = false;
        r.state.manually_stopped = false;
        r.has_been_started = true;
        if r.config
            .healthcheck
            .as_ref()
            .is_some_and(super::health::enabled)
        {
            r.state.health = Some(super::record::HealthState {
                status: "starting".into(),
                failing_streak: 0,
                log: Vec::new(),
            });
        }
    }
    persist(e, c).await;
    c.notify();
    event(e, c, "start", &[]);
    tracing::debug!(container = %c.id, prepare_us = t_prepare.as_micros() as u64, total_us = t0.elapsed().as_micros() as u64, "started");
    spawn_monitor(e.clone(), c.clone(), dir);
    super::health::spawn(e.clone(), c.clone());
    Ok(true)
}

/// Spawns the shim, hands it the clients that attached early, and starts the init.
async fn launch(
    e: &Arc<Engine>,
    c: &Arc<Ctr>,
    dir: &std::path::Path,
) -> Result<(u32, String), ShimError> {
    let t0 = std::time::Instant::now();
    shim::spawn(&e.shim_exe, dir).await?;
    let t_spawn = t0.elapsed();
    c.attaches_placed().await;
    let pending: Vec<_> =
        std::mem::take(&mut *c.pending_attach.lock().unwrap_or_else(|p| p.into_inner()));
    for (fd, spec) in pending {
        if let Err(err) = shim::call_with_fd(dir, Request::Attach(spec), fd).await {
            tracing::warn!(container = %c.id, error = %err.message, "handing an attached client to the shim");
        }
    }
    let t1 = std::time::Instant::now();
    let r = shim::call(dir, Request::Start).await?;
    tracing::debug!(
        container = %c.id,
        spawn_us = t_spawn.as_micros() as u64,
        attach_us = (t1 - t0 - t_spawn).as_micros() as u64,
        start_us = t1.elapsed().as_micros() as u64,
        "shim started the container"
    );
    Ok((r.pid.unwrap_or(0), r.started_at.unwrap_or_else(now)))
}

/// Records a failed start (exit code 126/127/128 and the error) and builds the API error.
async fn fail_start(
    e: &Arc<Engine>,
    c: &Arc<Ctr>,
    msg: String,
    code: Option<i32>,
    err: ApiError,
) -> ApiError {
    let c2 = c.clone();
    let _ = e
        .blocking(move |e| {
            crate::service::network::sandbox::detach(e, &c2);
            Ok(())
        })
        .await;
    {
        let mut r = c.lock();
        r.state.error = msg;
        r.state.exit_code = code.unwrap_or(128) as i64;
        if r.state.status != Status::Created {
            r.state.status = Status::Exited;
            r.state.finished_at = now();
        }
        r.state.pid = 0;
    }
    // Clients that attached for this start get their streams closed.
    c.pending_attach
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clear();
    persist(e, c).await;
    // Not an exit: `wait?condition=next-exit` keeps waiting, as with dockerd (the client
    // reports the start error, not a wait error).
    c.notify();
    let code_str = code.unwrap_or(128).to_string();
    event(e, c, "die", &[("exitCode", code_str)]);
    if c.lock().host_config.auto_remove {
        let (e2, c2) = (e.clone(), c.clone());
        tokio::spawn(async move {
            let _ = remove_unlocked(&e2, &c2, true, true).await;
        });
    }
    err
}

/// Writes the record (on the blocking pool); failures are logged: the in-memory state is
/// authoritative while the daemon runs, and start-up reconciles with the shims.
pub async fn persist(e: &Arc<Engine>, c: &Arc<Ctr>) {
    let c2 = c.clone();
    if let Err(err) = e.blocking(move |e| e.containers.save(&c2)).await {
        tracing::error!(container = %c.id, error = %err.message, "saving container state");
    }
}

pub fn spawn_monitor(e: Arc<Engine>, c: Arc<Ctr>, dir: PathBuf) {
    tokio::spawn(async move {
        let exit = match shim::wait(&dir, Request::Wait).await {
            Some(x) => x,
            None => {
                let d = dir.clone();
                tokio::task::spawn_blocking(move || shim::read_exit(&d))
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| ExitRecord {
                        exit_code: 255,
                        finished_at: now(),
                        error: "the container's shim went away without recording an exit".into(),
                        ..Default::default()
                    })
            }
        };
        on_exit(&e, &c, exit).await;
    });
}

/// Records an exit, then removes the container (`--rm`) or applies its restart policy.
pub async fn on_exit(e: &Arc<Engine>, c: &Arc<Ctr>, exit: ExitRecord) {
    {
        let r = c.lock();
        if !r.state.status.is_alive() && r.state.status != Status::Removing {
            return;
        }
    }
    let c2 = c.clone();
    let _ = e
        .blocking(move |e| {
            crate::service::network::sandbox::detach(e, &c2);
            Ok(())
        })
        .await;
    {
        let mut r = c.lock();
        if r.state.status != Status::Removing {
            r.state.status = Status::Exited;
        }
        r.state.pid = 0;
        r.state.exit_code = exit.exit_code as i64;
        r.state.finished_at = if exit.finished_at.is_empty() {
            now()
        } else {
            exit.finished_at.clone()
        };
        r.state.oom_killed = exit.oom_killed;
        if !exit.error.is_empty() {
            r.state.error = exit.error.clone();
        }
        if let Some(h) = r.state.health.as_mut() {
            h.status = "unhealthy".into();
        }
    }
    // A --rm container's record is about to go: writing its exit first would only delay the
    // client waiting for the removal. Should the engine die in between, the record still says
    // running and the start-up re-adoption finds the exit on the shim's side and removes it.
    let auto_remove = c.lock().host_config.auto_remove;
    if !auto_remove {
        persist(e, c).await;
    }
    c.count_exit();
    c.notify();
    event(e, c, "die", &[("exitCode", exit.exit_code.to_string())]);
    if auto_remove {
        if c.lock().state.status != Status::Removing
            && remove_unlocked(e, c, true, true).await.is_err()
        {
            persist(e, c).await;
        }
        return;
    }
    super::policy::after_exit(e.clone(), c.clone());
}

/// Waits until the container has exited `after` times in total, or `timeout` elapses.
async fn wait_exits(c: &Ctr, after: u64, timeout: Option<Duration>) -> bool {
    let mut rx = c.subscribe();
    let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
    loop {
        if c.exits() > after || !c.lock().state.status.is_alive() || c.is_removed() {
            return true;
        }
        let changed = rx.changed();
        match deadline {
            Some(d) => {
                if tokio::time::timeout_at(d, changed).await.is_err() {
                    return false;
                }
            }
            None => {
                if changed.await.is_err() {
                    return true;
                }
            }
        }
    }
}

fn dir(e: &Engine, c: &Ctr) -> PathBuf {
    e.containers.dir(&c.id)
}

/// `POST /containers/{id}/stop`. `Ok(false)` when it was not running (304).
pub async fn stop(
    e: &Arc<Engine>,
    c: &Arc<Ctr>,
    timeout: Option<i64>,
    signal: Option<String>,
) -> Result<bool, ApiError> {
    let _g = c.op.lock().await;
    stop_locked(e, c, timeout, signal, true).await
}

pub async fn stop_locked(
    e: &Arc<Engine>,
    c: &Arc<Ctr>,
    timeout: Option<i64>,
    signal: Option<String>,
    manual: bool,
) -> Result<bool, ApiError> {
    let cancelled = c
        .restart_pending
        .swap(false, std::sync::atomic::Ordering::SeqCst);
    let (status, stop_signal, stop_timeout) = {
        let mut r = c.lock();
        if manual {
            r.state.manually_stopped = true;
        }
        if r.state.status == Status::Restarting {
            r.state.status = Status::Exited;
        }
        (
            r.state.status,
            r.config.stop_signal.clone(),
            r.config.stop_timeout,
        )
    };
    if !status.is_alive() {
        if cancelled || manual {
            persist(e, c).await;
        }
        return Ok(false);
    }
    let sig = match signal.filter(|s| !s.is_empty()) {
        Some(s) => parse_signal(&s)?,
        None if !stop_signal.is_empty() => parse_signal(&stop_signal).unwrap_or(15),
        None => 15,
    };
    let secs = timeout.or(stop_timeout).unwrap_or(10);
    let exits = c.exits();
    let d = dir(e, c);
    if status == Status::Paused {
        let _ = shim::call(&d, Request::Resume).await;
    }
    event(e, c, "kill", &[("signal", sig.to_string())]);
    let sent = shim::call(
        &d,
        Request::Kill {
            signal: sig,
            all: false,
        },
    )
    .await;
    let graceful = sent.is_ok()
        && (secs < 0 && wait_exits(c, exits, None).await
            || secs >= 0 && wait_exits(c, exits, Some(Duration::from_secs(secs as u64))).await);
    if !graceful {
        event(e, c, "kill", &[("signal", "9".into())]);
        let _ = shim::call(
            &d,
            Request::Kill {
                signal: 9,
                all: true,
            },
        )
        .await;
        if !wait_exits(c, exits, Some(Duration::from_secs(30))).await {
            return Err(ApiError::internal(format!(
                "cannot stop container {}: the process did not exit after SIGKILL",
                c.id
            )));
        }
    }
    persist(e, c).await;
    event(e, c, "stop", &[]);
    Ok(true)
}

/// `POST /containers/{id}/kill`.
pub async fn kill(e: &Arc<Engine>, c: &Arc<Ctr>, signal: &str) -> Result<(), ApiError> {
    let sig = if signal.is_empty() {
        9
    } else {
        parse_signal(signal)?
    };
    let _g = c.op.lock().await;
    let status = c.lock().state.status;
    if !status.is_alive() {
        return Err(not_running(c));
    }
    let d = dir(e, c);
    if sig == 9 && status == Status::Paused {
        let _ = shim::call(&d, Request::Resume).await;
    }
    shim::call(
        &d,
        Request::Kill {
            signal: sig,
            all: false,
        },
    )
    .await?;
    event(e, c, "kill", &[("signal", sig.to_string())]);
    if sig == 9 {
        let exits = c.exits();
        wait_exits(c, exits, Some(Duration::from_secs(10))).await;
    }
    Ok(())
}

/// `POST /containers/{id}/restart`.
pub async fn restart(
    e: &Arc<Engine>,
    c: &Arc<Ctr>,
    timeout: Option<i64>,
    signal: Option<String>,
) -> Result<(), ApiError> {
    let _g = c.op.lock().await;
    stop_locked(e, c, timeout, signal, false).await?;
    start_locked(e, c).await?;
    event(e, c, "restart", &[]);
    Ok(())
}

/// `POST /containers/{id}/pause` and `/unpause`.
pub async fn pause(e: &Arc<Engine>, c: &Arc<Ctr>, pause: bool) -> Result<(), ApiError> {
    let _g = c.op.lock().await;
    let status = c.lock().state.status;
    if !status.is_alive() {
        return Err(not_running(c));
    }
    if pause && status == Status::Paused {
        return Err(ApiError::conflict(format!(
            "Container {} is already paused",
            c.id
        )));
    }
    if !pause && status != Status::Paused {
        return Err(ApiError::conflict(format!(
            "Container {} is not paused",
            c.id
        )));
    }
    let req = if pause {
        Request::Pause
    } else {
        Request::Resume
    };
    shim::call(&dir(e, c), req).await?;
    c.lock().state.status = if pause {
        Status::Paused
    } else {
        Status::Running
    };
    persist(e, c).await;
    c.notify();
    event(e, c, if pause { "pause" } else { "unpause" }, &[]);
    Ok(())
}

/// `POST /containers/{id}/wait`: registers the condition now; the answer resolves later.
pub fn wait_condition(
    c: &Arc<Ctr>,
    condition: &str,
) -> Result<impl std::future::Future<Output = WaitResponse> + use<>, ApiError> {
    let kind = match condition {
        "" | "not-running" => 0,
        "next-exit" => 1,
        "removed" => 2,
        other => {
            return Err(ApiError::bad_request(format!(
                "invalid condition: \"{other}\""
            )));
        }
    };
    let c = c.clone();
    let exits = c.exits();
    let mut rx = c.subscribe();
    Ok(async move {
        loop {
            let (status, code, err) = {
                let r = c.lock();
                (r.state.status, r.state.exit_code, r.state.error.clone())
            };
            let done = match kind {
                // As dockerd, an exit that a restart policy follows with a restart also
                // answers: its waiters are told when the container goes to "restarting".
                0 => (!status.is_alive() && status != Status::Restarting) || c.exits() > exits,
                1 => c.exits() > exits,
                _ => c.is_removed(),
            };
            if done {
                return WaitResponse {
                    error: (!err.is_empty() && kind != 2).then_some(WaitExitError { message: err }),
                    status_code: code,
                };
            }
            if rx.changed().await.is_err() {
                return WaitResponse {
                    error: None,
                    status_code: code,
                };
            }
        }
    })
}

/// `POST /containers/{id}/rename`.
pub async fn rename(e: &Arc<Engine>, c: &Arc<Ctr>, new: &str) -> Result<(), ApiError> {
    if new.is_empty() {
        return Err(ApiError::bad_request(
            "Neither old nor new names may be empty",
        ));
    }
    if !super::names::valid(new) {
        return Err(ApiError::bad_request(super::names::invalid_message(new)));
    }
    let new = if new.starts_with('/') {
        new.to_string()
    } else {
        format!("/{new}")
    };
    let _g = c.op.lock().await;
    if c.lock().name == new {
        return Err(ApiError::bad_request(
            "Renaming a container with the same name as its current name",
        ));
    }
    let old = e.containers.rename(c, &new)?;
    persist(e, c).await;
    event(e, c, "rename", &[("oldName", old)]);
    Ok(())
}

/// `DELETE /containers/{id}`.
pub async fn remove(
    e: &Arc<Engine>,
    c: &Arc<Ctr>,
    force: bool,
    volumes: bool,
) -> Result<(), ApiError> {
    let _g = c.op.lock().await;
    remove_unlocked(e, c, force, volumes).await
}

/// Removes with the `op` lock held by the caller (or from the monitor for `--rm`).
pub async fn remove_unlocked(
    e: &Arc<Engine>,
    c: &Arc<Ctr>,
    force: bool,
    volumes: bool,
) -> Result<(), ApiError> {
    if c.is_removed() {
        return Ok(());
    }
    let status = c.lock().state.status;
    // dockerd counts a restarting container as running here too.
    if !force && (status.is_alive() || status == Status::Restarting) {
        let procedure = "Stop the container before attempting removal or force remove";
        let procedure = if status == Status::Paused {
            format!("Unpause and then {}", procedure.to_lowercase())
        } else {
            procedure.to_string()
        };
        return Err(ApiError::conflict(format!(
            "You cannot remove a {} container {}. {procedure}",
            status.as_str(),
            c.id
        )));
    }
    c.restart_pending
        .store(false, std::sync::atomic::Ordering::SeqCst);
    if status.is_alive() {
        let d = dir(e, c);
        let exits = c.exits();
        if status == Status::Paused {
            let _ = shim::call(&d, Request::Resume).await;
        }
        let _ = shim::call(
            &d,
            Request::Kill {
                signal: 9,
                all: true,
            },
        )
        .await;
        if !wait_exits(c, exits, Some(Duration::from_secs(30))).await {
            return Err(ApiError::internal(format!(
                "Could not kill running container {}, cannot remove",
                c.id
            )));
        }
    }
    if c.lock().state.status == Status::Removing && !status.is_alive() && status == Status::Removing
    {
        return Err(ApiError::conflict(format!(
            "removal of container {} is already in progress",
            c.id
        )));
    }
    c.lock().state.status = Status::Removing;
    let c2 = c.clone();
    let removed_volumes = e.blocking(move |e| cleanup(e, &c2, volumes)).await?;
    super::exec::forget_container(e, c);
    e.containers.forget(c);
    for v in removed_volumes {
        e.events.publish("volume", "destroy", &v, BTreeMap::new());
    }
    event(e, c, "destroy", &[]);
    Ok(())
}

/// Takes a container's directory away at once, by renaming it into the data root's `tmp`
/// (emptied at every engine start), and deletes it in the background: the caller (`rm`, or
/// the `--rm` a client waits for) does not wait for every file of a writable layer and its
/// logs to be unlinked. Falls back to deleting in place when the rename is refused.
fn discard_dir(e: &Engine, dir: &std::path::Path, id: &str) -> Result<(), wharf_store::StoreError> {
    let trash = e
        .config
        .data_root
        .join("tmp")
        .join(format!("removed-container-{id}"));
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return fsutil::remove_all(dir);
    };
    match std::fs::rename(dir, &trash) {
        Ok(()) => {
            rt.spawn_blocking(move || {
                if let Err(err) = fsutil::remove_all(&trash) {
                    tracing::warn!(path = %trash.display(), error = %err, "deleting a removed container's files");
                }
            });
            Ok(())
        }
        // Already gone, or the rename is refused (no `tmp`, another filesystem): in place.
        Err(_) => fsutil::remove_all(dir),
    }
}

/// Removes everything a container owns: a shim still lingering, its directory (record, writable
/// layer, logs), and anonymous volumes (with `volumes`).
fn cleanup(e: &Engine, c: &Ctr, volumes: bool) -> Result<Vec<String>, ApiError> {
    crate::service::network::sandbox::detach(e, c);
    let rec = c.rec();
    let d = e.containers.dir(&rec.id);
    // A created container's shim may still be waiting for `start` (a start interrupted by a
    // daemon crash): tell it to go.
    if d.join(wharf_shim::protocol::SOCKET).exists() {
        let _ = shim::call_blocking(&d, &Request::Shutdown, &[]);
    }
    discard_dir(e, &d, &rec.id).map_err(|err| {
        ApiError::internal(format!("unable to remove filesystem for {}: {err}", rec.id))
    })?;
    let mut removed = Vec::new();
    if volumes {
        for m in rec
            .mounts
            .iter()
            .filter(|m| m.kind == "volume" && m.anonymous)
        {
            let users = e.volume_users(&m.name, Some(&rec.id));
            if users.is_empty() && e.volumes.remove(&m.name, &[], true).is_ok() {
                removed.push(m.name.clone());
            }
        }
    }
    e.containers.delete_record(&rec.id);
    Ok(removed)
}
