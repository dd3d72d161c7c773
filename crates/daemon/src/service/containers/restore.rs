//! Start-up: re-adopt the containers whose shims still run, record the exits that happened
//! while the daemon was away (from each shim's `exit.json`), apply restart policies, and sweep
//! what a crash during create left behind. The cost is one small request (or one file read) per
//! container that was running: proportional to containers, not images.

use std::sync::Arc;

use wharf_shim::protocol::ExitRecord;
use wharf_store::fsutil;

use super::record::Status;
use super::{lifecycle, shim};
use crate::engine::Engine;

/// Runs once when the daemon starts, before it serves requests.
pub async fn restore(e: &Arc<Engine>) {
    let ctrs = e.containers.all();
    let mut adopted = 0;
    let mut ended = 0;
    for c in ctrs {
        let status = c.lock().state.status;
        if !(status.is_alive() || status == Status::Restarting || status == Status::Removing) {
            continue;
        }
        let dir = e.containers.dir(&c.id);
        let d2 = dir.clone();
        let state = tokio::task::spawn_blocking(move || shim::alive(&d2))
            .await
            .ok()
            .flatten();
        match state {
            Some(s) if s.exit.is_none() && s.status.as_deref() != Some("stopped") => {
                {
                    let mut r = c.lock();
                    r.state.pid = s.pid.unwrap_or(r.state.pid);
                    r.state.status = if s.status.as_deref() == Some("paused") {
                        Status::Paused
                    } else {
                        Status::Running
                    };
                }
                let (e2, c2) = (e.clone(), c.clone());
                let _ = tokio::task::spawn_blocking(move || {
                    crate::service::network::recover::readopt(&e2, &c2)
                })
                .await;
                lifecycle::spawn_monitor(e.clone(), c.clone(), dir);
                super::health::spawn(e.clone(), c.clone());
                adopted += 1;
            }
            other => {
                let exit = other
                    .and_then(|s| s.exit)
                    .or_else(|| shim::read_exit(&dir))
                    .unwrap_or_else(|| ExitRecord {
                        exit_code: 255,
                        finished_at: wharf_units::Timestamp::now().to_rfc3339_nano(),
                        ..Default::default()
                    });
                {
                    let mut r = c.lock();
                    if r.state.status == Status::Restarting || r.state.status == Status::Removing {
                        r.state.status = Status::Running;
                    }
                }
                lifecycle::on_exit(e, &c, exit).await;
                ended += 1;
            }
        }
    }
    // Containers stopped by `docker stop` with `always` come back when the daemon starts.
    for c in e.containers.all() {
        let rec = c.rec();
        if rec.state.status == Status::Exited
            && rec.host_config.restart_policy.name == "always"
            && rec.state.manually_stopped
            && rec.has_been_started
        {
            c.lock().state.manually_stopped = false;
            super::policy::after_exit(e.clone(), c.clone());
        }
    }
    if adopted + ended > 0 {
        tracing::info!(adopted, ended, "re-adopted containers");
    }
    let e2 = e.clone();
    let _ = tokio::task::spawn_blocking(move || {
        sweep(&e2);
        crate::service::network::recover::recover(&e2);
    })
    .await;
}

/// Removes container directories no record names (a create interrupted by a crash) and the
/// snapshots earlier versions kept container layers in.
fn sweep(e: &Engine) {
    let known: std::collections::HashSet<String> =
        e.containers.all().iter().map(|c| c.id.clone()).collect();
    if let Ok(entries) = std::fs::read_dir(e.containers.dir("")) {
        for ent in entries.flatten() {
            let name = ent.file_name().to_string_lossy().into_owned();
            if name.len() == 64 && !known.contains(&name) {
                tracing::info!(container = %name, "removing the leftover of an interrupted create");
                let _ = fsutil::remove_all(&ent.path());
            }
        }
    }
}
