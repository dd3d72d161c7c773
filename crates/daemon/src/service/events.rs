//! The event bus behind `GET /events`: every event is kept in a bounded ring (for `since` and
//! `until` replay) and broadcast to live listeners.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use tokio::sync::broadcast;
use wharf_api::event::{Actor, EventMessage};
use wharf_api::filters::Filters;

/// Events kept for replay.
const RING: usize = 1024;

pub struct Events {
    ring: Mutex<VecDeque<EventMessage>>,
    tx: broadcast::Sender<EventMessage>,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            ring: Mutex::new(VecDeque::with_capacity(RING)),
            tx: broadcast::channel(RING).0,
        }
    }
}

fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

impl Events {
    /// Publishes an event of `kind` (`container`, `image`, `volume`, …).
    pub fn publish(
        &self,
        kind: &str,
        action: &str,
        id: &str,
        attributes: BTreeMap<String, String>,
    ) {
        let nanos = now_nanos();
        let legacy = kind == "container" || kind == "image";
        let msg = EventMessage {
            status: if legacy { action.into() } else { String::new() },
            id: if legacy { id.into() } else { String::new() },
            from: if kind == "container" {
                attributes.get("image").cloned().unwrap_or_default()
            } else {
                String::new()
            },
            kind: kind.into(),
            action: action.into(),
            actor: Actor {
                id: id.into(),
                attributes,
            },
            scope: "local".into(),
            time: nanos / 1_000_000_000,
            time_nano: nanos,
        };
        {
            let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
            if ring.len() == RING {
                ring.pop_front();
            }
            ring.push_back(msg.clone());
        }
        let _ = self.tx.send(msg);
    }

    /// Past events within `[since, until]` (nanoseconds) and a receiver for the ones after.
    pub fn subscribe(
        &self,
        since: Option<i64>,
        until: Option<i64>,
    ) -> (Vec<EventMessage>, broadcast::Receiver<EventMessage>) {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let rx = self.tx.subscribe();
        let past = match since {
            None => Vec::new(),
            Some(s) => ring
                .iter()
                .filter(|m| m.time_nano >= s && until.is_none_or(|u| m.time_nano <= u))
                .cloned()
                .collect(),
        };
        (past, rx)
    }

    pub fn listeners(&self) -> usize {
        self.tx.receiver_count()
    }
}

/// Docker's event filters: `container`, `event`, `image`, `label`, `type`, `volume`, `network`,
/// `daemon`, `scope`.
pub fn matches(m: &EventMessage, f: &Filters) -> bool {
    let any = |key: &str, pred: &dyn Fn(&str) -> bool| {
        let vals = f.get(key);
        vals.is_empty() || vals.iter().any(|v| pred(v))
    };
    let attr = |k: &str| m.actor.attributes.get(k).map(String::as_str).unwrap_or("");
    let kind_is = |k: &str| m.kind == k;
    any("type", &|v| m.kind == v)
        && any("event", &|v| {
            m.action == v || m.action.split(':').next() == Some(v)
        })
        && any("container", &|v| {
            kind_is("container") && (m.actor.id.starts_with(v) || attr("name") == v)
        })
        && any("image", &|v| {
            let img = if kind_is("container") {
                attr("image")
            } else {
                m.actor.id.as_str()
            };
            img == v || img.split(':').next() == Some(v) || attr("name") == v
        })
        && any("volume", &|v| kind_is("volume") && m.actor.id == v)
        && any("network", &|v| {
            kind_is("network") && (m.actor.id.starts_with(v) || attr("name") == v)
        })
        && any("daemon", &|v| kind_is("daemon") && m.actor.id == v)
        && any("scope", &|v| m.scope == v)
        && f.get("label").iter().all(|l| match l.split_once('=') {
            Some((k, v)) => m.actor.attributes.get(k).is_some_and(|x| x == v),
            None => m.actor.attributes.contains_key(l.as_str()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_and_filters() {
        let ev = Events::default();
        ev.publish(
            "container",
            "start",
            "abc",
            BTreeMap::from([
                ("name".into(), "web".into()),
                ("image".into(), "busybox".into()),
            ]),
        );
        ev.publish("volume", "create", "v1", BTreeMap::new());
        let (past, _rx) = ev.subscribe(Some(0), None);
        assert_eq!(past.len(), 2);
        let mut f = Filters::default();
        f.add("container", "web");
        assert!(matches(&past[0], &f));
        assert!(!matches(&past[1], &f));
        let mut f = Filters::default();
        f.add("type", "volume");
        f.add("event", "create");
        assert!(matches(&past[1], &f));
        assert_eq!(past[0].from, "busybox");
        assert!(past[1].status.is_empty());
    }
}
