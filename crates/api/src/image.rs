//! Image endpoints: list, inspect, history, delete, prune.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::ContainerConfig;
use crate::{null_if_empty, nullable};

/// One row of `GET /images/json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ImageSummary {
    #[serde(rename = "Containers")]
    pub containers: i64,
    #[serde(rename = "Created")]
    pub created: i64,
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "Labels", default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "ParentId", default)]
    pub parent_id: String,
    #[serde(
        rename = "RepoDigests",
        default,
        deserialize_with = "nullable",
        serialize_with = "null_if_empty"
    )]
    pub repo_digests: Vec<String>,
    #[serde(
        rename = "RepoTags",
        default,
        deserialize_with = "nullable",
        serialize_with = "null_if_empty"
    )]
    pub repo_tags: Vec<String>,
    #[serde(rename = "SharedSize")]
    pub shared_size: i64,
    #[serde(rename = "Size")]
    pub size: i64,
    /// Dropped from API 1.44 on; the server clears it for newer clients.
    #[serde(
        rename = "VirtualSize",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub virtual_size: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct GraphDriver {
    pub data: BTreeMap<String, String>,
    pub name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct RootFs {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ImageMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_tag_time: Option<String>,
}

/// `GET /images/{name}/json`: dockerd 20.10's shape, which is a superset of what newer
/// clients read (`Container`/`ContainerConfig` kept so templates such as
/// `{{.ContainerConfig.Env}}` keep working).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ImageInspect {
    pub id: String,
    #[serde(default)]
    pub repo_tags: Vec<String>,
    #[serde(default)]
    pub repo_digests: Vec<String>,
    #[serde(default)]
    pub parent: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub created: String,
    #[serde(default)]
    pub container: String,
    #[serde(default)]
    pub container_config: ContainerConfig,
    #[serde(default)]
    pub docker_version: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub config: ContainerConfig,
    #[serde(default)]
    pub architecture: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
    #[serde(default)]
    pub os: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub os_version: String,
    #[serde(default)]
    pub size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_size: Option<i64>,
    #[serde(default)]
    pub graph_driver: GraphDriver,
    #[serde(rename = "RootFS", default)]
    pub root_fs: RootFs,
    #[serde(default)]
    pub metadata: ImageMetadata,
}

/// One row of `GET /images/{name}/history`, newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct HistoryItem {
    pub comment: String,
    pub created: i64,
    pub created_by: String,
    pub id: String,
    pub size: i64,
    #[serde(
        default,
        deserialize_with = "nullable",
        serialize_with = "null_if_empty"
    )]
    pub tags: Vec<String>,
}

/// One line of a delete or prune report: `{"Untagged": ...}` or `{"Deleted": ...}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum DeleteItem {
    Untagged(String),
    Deleted(String),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ImagesPruneReport {
    #[serde(
        default,
        deserialize_with = "nullable",
        serialize_with = "null_if_empty"
    )]
    pub images_deleted: Vec<DeleteItem>,
    pub space_reclaimed: u64,
}

/// `POST /images/create?fromSrc=` and `POST /commit` answer with the new id.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct IdResponse {
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_items_encode_as_single_key_objects() {
        let v = vec![
            DeleteItem::Untagged("a:b".into()),
            DeleteItem::Deleted("sha256:x".into()),
        ];
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"[{"Untagged":"a:b"},{"Deleted":"sha256:x"}]"#
        );
    }

    #[test]
    fn summary_encodes_empty_lists_as_null_like_dockerd() {
        let s = ImageSummary {
            containers: -1,
            shared_size: -1,
            ..Default::default()
        };
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains(r#""RepoDigests":null"#) && json.contains(r#""RepoTags":null"#));
        assert!(!json.contains("VirtualSize"));
    }
}
