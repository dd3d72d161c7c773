//! `GET /events`: past events within `since`/`until`, then live ones (until `until`, or for as
//! long as the client listens), one JSON object per line.

use std::sync::Arc;

use crate::body::BodyWriter;
use crate::engine::Engine;
use crate::error::ApiError;
use crate::request::{Reply, Req, stream};
use crate::service::events::matches;

fn nanos(v: Option<&str>) -> Result<Option<i64>, ApiError> {
    match v.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => {
            let (s, n) = wharf_units::parse_timestamps(v, 0)
                .map_err(|err| ApiError::bad_request(err.to_string()))?;
            Ok(Some(s * 1_000_000_000 + n))
        }
    }
}

pub async fn events(e: Arc<Engine>, r: Req) -> Reply {
    let f = r.filters()?;
    f.validate(&[
        "container",
        "daemon",
        "event",
        "image",
        "label",
        "network",
        "node",
        "plugin",
        "scope",
        "secret",
        "service",
        "type",
        "volume",
        "config",
    ])
    .map_err(ApiError::bad_request)?;
    let since = nanos(r.query("since"))?;
    let until = nanos(r.query("until"))?;
    let (past, mut rx) = e.events.subscribe(since, until);
    let (w, body) = BodyWriter::channel();
    tokio::spawn(async move {
        let sender = w.sender();
        let line = |m: &wharf_api::event::EventMessage| {
            let mut v = serde_json::to_vec(m).unwrap_or_default();
            v.push(b'\n');
            bytes::Bytes::from(v)
        };
        for m in past.iter().filter(|m| matches(m, &f)) {
            if w.send(line(m)).await.is_err() {
                return;
            }
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        let deadline = until.map(|u| {
            tokio::time::Instant::now() + std::time::Duration::from_nanos((u - now).max(0) as u64)
        });
        loop {
            let next = async {
                match deadline {
                    Some(d) => tokio::time::timeout_at(d, rx.recv()).await.ok(),
                    None => Some(rx.recv().await),
                }
            };
            tokio::select! {
                m = next => match m {
                    None => return,
                    Some(Ok(m)) => {
                        if matches(&m, &f) && w.send(line(&m)).await.is_err() {
                            return;
                        }
                    }
                    Some(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
                    Some(Err(_)) => return,
                },
                _ = sender.closed() => return,
            }
        }
    });
    stream("application/json", body)
}
