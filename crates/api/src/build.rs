//! Build cache shapes: `GET /system/df` (`BuildCache`) and `POST /build/prune`.

use serde::{Deserialize, Serialize};

/// One build cache record (`types.BuildCache`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct BuildCache {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(default)]
    pub parents: Option<Vec<String>>,
    #[serde(rename = "Type")]
    pub kind: String,
    pub description: String,
    pub in_use: bool,
    pub shared: bool,
    pub size: i64,
    /// RFC 3339.
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
    pub usage_count: i64,
}

/// `POST /build/prune` answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct BuildCachePruneReport {
    pub caches_deleted: Option<Vec<String>>,
    pub space_reclaimed: u64,
}
