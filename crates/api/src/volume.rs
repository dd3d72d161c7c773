//! Volume endpoints: create, list, inspect, remove, prune.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::nullable;

/// A volume as `GET /volumes/{name}` shows it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Volume {
    #[serde(
        rename = "CreatedAt",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub created_at: String,
    #[serde(rename = "Driver")]
    pub driver: String,
    /// `null` when the volume has no labels.
    #[serde(rename = "Labels", default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "Mountpoint")]
    pub mountpoint: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Options", default)]
    pub options: Option<BTreeMap<String, String>>,
    #[serde(rename = "Scope")]
    pub scope: String,
    #[serde(rename = "Status", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<BTreeMap<String, serde_json::Value>>,
    /// Filled by `system df` only.
    #[serde(rename = "UsageData", default, skip_serializing_if = "Option::is_none")]
    pub usage_data: Option<UsageData>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UsageData {
    /// Containers using the volume; -1 when not computed.
    #[serde(rename = "RefCount")]
    pub ref_count: i64,
    /// Bytes; -1 when not computed.
    #[serde(rename = "Size")]
    pub size: i64,
}

/// `POST /volumes/create` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct VolumeCreateRequest {
    #[serde(rename = "Name", default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(rename = "Driver", default, skip_serializing_if = "String::is_empty")]
    pub driver: String,
    #[serde(
        rename = "DriverOpts",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(
        rename = "Labels",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
}

/// `GET /volumes` answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct VolumeListResponse {
    #[serde(rename = "Volumes", default, deserialize_with = "nullable")]
    pub volumes: Vec<Volume>,
    #[serde(rename = "Warnings", default)]
    pub warnings: Option<Vec<String>>,
}

/// `POST /volumes/prune` answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct VolumesPruneReport {
    #[serde(rename = "VolumesDeleted", default, deserialize_with = "nullable")]
    pub volumes_deleted: Vec<String>,
    #[serde(rename = "SpaceReclaimed")]
    pub space_reclaimed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_encodes_like_dockerd() {
        let l = VolumeListResponse {
            volumes: vec![Volume {
                created_at: "2026-11-23T19:11:41Z".into(),
                driver: "local".into(),
                mountpoint: "/v/_data".into(),
                name: "v".into(),
                scope: "local".into(),
                ..Default::default()
            }],
            warnings: None,
        };
        assert_eq!(
            serde_json::to_string(&l).unwrap(),
            r#"{"Volumes":[{"CreatedAt":"2026-11-23T19:11:41Z","Driver":"local","Labels":null,"Mountpoint":"/v/_data","Name":"v","Options":null,"Scope":"local"}],"Warnings":null}"#
        );
        assert_eq!(
            serde_json::to_string(&VolumesPruneReport::default()).unwrap(),
            r#"{"VolumesDeleted":[],"SpaceReclaimed":0}"#
        );
    }
}
