//! Restart policies (`no`, `on-failure[:N]`, `always`, `unless-stopped`) with dockerd's
//! back-off: 100 ms doubling up to one minute, reset when the container ran for 10 seconds.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::Ctr;
use super::record::{ContainerRecord, Status};
use crate::engine::Engine;

const FIRST: u64 = 100;
const MAX: u64 = 60_000;
const RESET_AFTER: Duration = Duration::from_secs(10);

/// Whether the policy restarts a container that just exited (or that the daemon found exited
/// at start-up).
pub fn should_restart(rec: &ContainerRecord) -> bool {
    let p = &rec.host_config.restart_policy;
    if rec.state.manually_stopped || rec.host_config.auto_remove {
        return false;
    }
    match p.name.as_str() {
        "always" | "unless-stopped" => true,
        "on-failure" => {
            rec.state.exit_code != 0
                && (p.maximum_retry_count == 0 || rec.restart_count < p.maximum_retry_count)
        }
        _ => false,
    }
}

fn ran_for(rec: &ContainerRecord) -> Duration {
    let parse = |s: &str| wharf_units::Timestamp::parse_rfc3339(s).ok();
    match (parse(&rec.state.started_at), parse(&rec.state.finished_at)) {
        (Some(a), Some(b)) => b.duration_since(a).to_std().unwrap_or_default(),
        _ => Duration::ZERO,
    }
}

/// Schedules a restart if the policy asks for one.
pub fn after_exit(e: Arc<Engine>, c: Arc<Ctr>) {
    let rec = c.rec();
    if !should_restart(&rec) {
        c.backoff_ms.store(0, Ordering::SeqCst);
        return;
    }
    let prev = c.backoff_ms.load(Ordering::SeqCst);
    let delay = if prev == 0 || ran_for(&rec) >= RESET_AFTER {
        FIRST
    } else {
        (prev * 2).min(MAX)
    };
    c.backoff_ms.store(delay, Ordering::SeqCst);
    c.restart_pending.store(true, Ordering::SeqCst);
    c.lock().state.status = Status::Restarting;
    c.notify();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let _g = c.op.lock().await;
        if !c.restart_pending.swap(false, Ordering::SeqCst) || c.is_removed() {
            return;
        }
        // Still `restarting` until the start succeeds (or fails and says `exited`).
        c.lock().restart_count += 1;
        if let Err(err) = super::lifecycle::start_locked(&e, &c).await {
            tracing::warn!(container = %c.id, error = %err.message, "restart by policy failed");
            drop(_g);
            after_exit(e, c);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_failure_counts_retries_and_ignores_success() {
        let mut rec: ContainerRecord = serde_json::from_value(serde_json::json!({
            "id": "a".repeat(64), "name": "/x", "created": "", "path": "true", "args": [],
            "config": {}, "host_config": {"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2}},
            "image": "", "snapshot": "", "driver": "", "mounts": [], "runtime": "",
            "state": {"status": "exited", "pid": 0, "exit_code": 1, "error": "", "started_at": "", "finished_at": ""},
            "restart_count": 0
        }))
        .unwrap();
        assert!(should_restart(&rec));
        rec.restart_count = 2;
        assert!(!should_restart(&rec));
        rec.restart_count = 0;
        rec.state.exit_code = 0;
        assert!(!should_restart(&rec));
        rec.host_config.restart_policy.name = "always".into();
        assert!(should_restart(&rec));
        rec.state.manually_stopped = true;
        assert!(!should_restart(&rec));
    }
}
