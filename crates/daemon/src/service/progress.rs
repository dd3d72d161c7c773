//! Progress of pulls and pushes as Docker's JSON message stream: per-layer status lines with
//! `progressDetail` and the text bar dockerd renders into `progress`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use wharf_api::message::{JsonMessage, ProgressDetail};

/// Where progress messages go. Cheap to clone; a sink whose reader went away drops messages.
#[derive(Clone)]
pub struct Progress {
    tx: Option<mpsc::UnboundedSender<JsonMessage>>,
}

impl Progress {
    /// A sink and the stream of its messages.
    pub fn channel() -> (Progress, mpsc::UnboundedReceiver<JsonMessage>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Progress { tx: Some(tx) }, rx)
    }

    /// A sink that discards everything.
    pub fn discard() -> Progress {
        Progress { tx: None }
    }

    pub fn send(&self, m: JsonMessage) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(m);
        }
    }

    pub fn status(&self, text: impl Into<String>) {
        self.send(JsonMessage::status(text));
    }

    /// `id: text`.
    pub fn layer(&self, id: &str, text: &str) {
        // dockerd sends an empty progressDetail with every per-layer status; clients use it
        // to update the layer's line in place.
        self.send(JsonMessage {
            status: Some(text.to_string()),
            id: Some(id.to_string()),
            progress_detail: Some(ProgressDetail::default()),
            ..Default::default()
        });
    }

    pub fn aux(&self, v: serde_json::Value) {
        self.send(JsonMessage {
            aux: Some(v),
            ..Default::default()
        });
    }

    /// `id: action [=====>   ]  1.2MB/3.4MB`.
    pub fn bar(&self, id: &str, action: &str, current: u64, total: u64) {
        self.send(JsonMessage {
            status: Some(action.to_string()),
            id: Some(id.to_string()),
            progress_detail: Some(ProgressDetail {
                current: Some(current as i64),
                total: Some(total as i64),
            }),
            progress: Some(bar_text(current, total)),
            ..Default::default()
        });
    }
}

/// dockerd's `JSONProgress.String` at full width.
pub fn bar_text(current: u64, total: u64) -> String {
    let size = |n: u64| wharf_units::human_size(n as f64);
    if total == 0 {
        return format!("{:>8}", size(current));
    }
    let pct = ((current as f64 / total as f64 * 100.0) as usize / 2).min(50);
    let bar = format!("[{}>{}] ", "=".repeat(pct), " ".repeat(50 - pct));
    format!("{bar}{:>8}/{}", size(current), size(total))
}

/// Rate-limits progress bars of one layer to a few updates a second.
pub struct Throttle {
    progress: Progress,
    id: String,
    action: &'static str,
    total: u64,
    last: Option<Instant>,
}

impl Throttle {
    pub fn new(progress: Progress, id: &str, action: &'static str, total: u64) -> Throttle {
        Throttle {
            progress,
            id: id.to_string(),
            action,
            total,
            last: None,
        }
    }

    pub fn update(&mut self, current: u64) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|l| now.duration_since(l) < Duration::from_millis(100))
            && current < self.total
        {
            return;
        }
        self.last = Some(now);
        self.progress
            .bar(&self.id, self.action, current, self.total);
    }
}

/// Shares a [`Progress`] between tasks.
pub type SharedProgress = Arc<Progress>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_look_like_dockerd() {
        assert_eq!(
            bar_text(1_000_000, 2_000_000),
            format!("[{}>{}]      1MB/2MB", "=".repeat(25), " ".repeat(25))
        );
        assert!(bar_text(5, 5).starts_with(&format!("[{}>]", "=".repeat(50))));
    }
}
