//! HEALTHCHECK run by the engine: probes are execs in the container's shim, every `Interval`
//! (`StartInterval` during `StartPeriod`), each bounded by `Timeout`. Status goes
//! `starting` → `healthy` / `unhealthy` after `Retries` consecutive failures (failures in the
//! start period do not count), with the last five results kept in `Log`.
//!
//! `HostConfig.HealthOnFailure` (wharf's `--health-on-failure`, or the label
//! `wharf.health-on-failure`) acts on an unhealthy container: `kill`, `restart` or `stop`.

use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use wharf_api::config::HealthConfig;
use wharf_api::container::HealthcheckResult;
use wharf_shim::protocol::{AttachSpec, Request};

use super::record::{HealthState, Status};
use super::{Ctr, lifecycle, shim};
use crate::engine::Engine;

const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_START_INTERVAL: Duration = Duration::from_secs(5);
const DEFAULT_RETRIES: i64 = 3;
const MAX_LOG: usize = 5;
const MAX_OUTPUT: usize = 4096;

/// A health check is configured and not disabled (`NONE`, `--no-healthcheck`).
pub fn enabled(h: &HealthConfig) -> bool {
    h.test
        .as_ref()
        .and_then(|t| t.first())
        .is_some_and(|t| t != "NONE")
}

fn dur(ns: i64, default: Duration) -> Duration {
    if ns > 0 {
        Duration::from_nanos(ns as u64)
    } else {
        default
    }
}

fn command(h: &HealthConfig, shell: Option<&Vec<String>>) -> Option<Vec<String>> {
    let t = h.test.as_ref()?;
    match t.first()?.as_str() {
        "CMD" => Some(t[1..].to_vec()),
        "CMD-SHELL" => {
            let mut v = shell
                .cloned()
                .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()]);
            v.push(t.get(1..)?.join(" "));
            Some(v)
        }
        _ => None,
    }
}

fn now() -> String {
    wharf_units::Timestamp::now().to_rfc3339_nano()
}

/// Starts the probe loop for a container that has just started.
pub fn spawn(e: Arc<Engine>, c: Arc<Ctr>) {
    let rec = c.rec();
    let Some(h) = rec.config.healthcheck.clone().filter(enabled) else {
        return;
    };
    let Some(cmd) = command(&h, rec.config.shell.as_ref()) else {
        return;
    };
    let generation = c.exits();
    tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        let start_period = dur(h.start_period, Duration::ZERO);
        loop {
            let in_start = started.elapsed() < start_period;
            let wait = if in_start {
                dur(h.start_interval, DEFAULT_START_INTERVAL)
            } else {
                dur(h.interval, DEFAULT_INTERVAL)
            };
            tokio::time::sleep(wait).await;
            if c.exits() != generation || c.is_removed() || c.lock().state.status != Status::Running
            {
                return;
            }
            let result = probe(&e, &c, &cmd, dur(h.timeout, DEFAULT_TIMEOUT)).await;
            let in_start = started.elapsed() < start_period;
            let retries = if h.retries > 0 {
                h.retries
            } else {
                DEFAULT_RETRIES
            };
            let became = record(&c, result, retries, in_start);
            if let Some(status) = became {
                lifecycle::persist(&e, &c).await;
                lifecycle::event(&e, &c, &format!("health_status: {status}"), &[]);
                if status == "unhealthy" {
                    act(&e, &c).await;
                    if c.exits() != generation {
                        return;
                    }
                }
            }
        }
    });
}

/// Records one result; returns the new status when it changed.
fn record(c: &Ctr, r: HealthcheckResult, retries: i64, in_start: bool) -> Option<String> {
    let mut rec = c.lock();
    let h = rec.state.health.get_or_insert_with(|| HealthState {
        status: "starting".into(),
        failing_streak: 0,
        log: Vec::new(),
    });
    let before = h.status.clone();
    if r.exit_code == 0 {
        h.failing_streak = 0;
        h.status = "healthy".into();
    } else if !(in_start && h.status == "starting") {
        h.failing_streak += 1;
        if h.failing_streak >= retries {
            h.status = "unhealthy".into();
        }
    }
    h.log.push(r);
    if h.log.len() > MAX_LOG {
        let extra = h.log.len() - MAX_LOG;
        h.log.drain(..extra);
    }
    (h.status != before).then(|| h.status.clone())
}

/// One probe: an exec whose output comes back over a socket pair.
async fn probe(
    e: &Arc<Engine>,
    c: &Arc<Ctr>,
    cmd: &[String],
    timeout: Duration,
) -> HealthcheckResult {
    let start = now();
    let fail = |code: i64, output: String| HealthcheckResult {
        start: start.clone(),
        end: now(),
        exit_code: code,
        output,
    };
    let (cfg_env, cfg_user) = {
        let r = c.lock();
        (r.config.env.clone(), r.config.user.clone())
    };
    let _ = cfg_env;
    let c2 = c.clone();
    let cmd2 = cmd.to_vec();
    let process = match e
        .blocking(move |e| {
            let o = super::exec::ProcessOptions {
                cmd: &cmd2,
                user: &cfg_user,
                ..Default::default()
            };
            super::exec::process_for(e, &c2, o)
        })
        .await
    {
        Ok(p) => p,
        Err(err) => return fail(-1, err.message),
    };
    let (ours, theirs) = match std::os::unix::net::UnixStream::pair() {
        Ok(p) => p,
        Err(err) => return fail(-1, err.to_string()),
    };
    let id = format!("health-{}", &super::new_id()[..16]);
    let dir = e.containers.dir(&c.id);
    let req = Request::Exec {
        id: id.clone(),
        process: Box::new(process),
        attach: Some(AttachSpec {
            stdout: true,
            stderr: true,
            ..Default::default()
        }),
    };
    if let Err(err) = shim::call_with_fd(&dir, req, OwnedFd::from(theirs)).await {
        return fail(-1, err.message);
    }
    let run = async {
        let mut out = Vec::new();
        if ours.set_nonblocking(true).is_ok()
            && let Ok(mut s) = tokio::net::UnixStream::from_std(ours)
        {
            let mut buf = [0u8; 4096];
            while let Ok(n) = s.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                if out.len() < MAX_OUTPUT {
                    out.extend_from_slice(&buf[..n.min(MAX_OUTPUT - out.len())]);
                }
            }
        }
        let exit = shim::wait(&dir, Request::ExecWait { id: id.clone() }).await;
        (exit.map(|x| x.exit_code as i64).unwrap_or(-1), out)
    };
    match tokio::time::timeout(timeout, run).await {
        Ok((code, out)) => fail(code, String::from_utf8_lossy(&out).into_owned()),
        Err(_) => fail(
            -1,
            format!(
                "Health check exceeded timeout ({})",
                wharf_units::GoDuration::from(timeout)
            ),
        ),
    }
}

/// `HealthOnFailure` for a container that just turned unhealthy.
async fn act(e: &Arc<Engine>, c: &Arc<Ctr>) {
    let action = c.lock().host_config.health_on_failure.clone();
    let r = match action.as_str() {
        "kill" => lifecycle::kill(e, c, "KILL").await,
        "stop" => lifecycle::stop(e, c, None, None).await.map(|_| ()),
        "restart" => lifecycle::restart(e, c, None, None).await,
        _ => return,
    };
    if let Err(err) = r {
        tracing::warn!(container = %c.id, action, error = %err.message, "health-on-failure action failed");
    } else {
        tracing::info!(container = %c.id, action, "acted on an unhealthy container");
    }
}
