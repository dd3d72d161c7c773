//! `GET /events`: one JSON object per line. The legacy `status`/`id`/`from` fields are kept
//! for container and image events, as dockerd still writes them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Actor {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Attributes", default)]
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EventMessage {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub from: String,
    /// `container`, `image`, `volume`, `network`, `daemon`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// `create`, `start`, `die`, `destroy`, `health_status: healthy`, `exec_start: sh`, ...
    #[serde(rename = "Action")]
    pub action: String,
    #[serde(rename = "Actor")]
    pub actor: Actor,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    #[serde(default)]
    pub time: i64,
    #[serde(rename = "timeNano", default)]
    pub time_nano: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_events_encode_like_dockerd() {
        let m = EventMessage {
            status: "start".into(),
            id: "abc".into(),
            from: "busybox".into(),
            kind: "container".into(),
            action: "start".into(),
            actor: Actor {
                id: "abc".into(),
                attributes: BTreeMap::from([
                    ("image".into(), "busybox".into()),
                    ("name".into(), "t1".into()),
                ]),
            },
            scope: "local".into(),
            time: 1,
            time_nano: 1_000_000_000,
        };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"status":"start","id":"abc","from":"busybox","Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"image":"busybox","name":"t1"}},"scope":"local","time":1,"timeNano":1000000000}"#
        );
    }
}
