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

/// One entry of a build context as wharf's CLI describes it before sending it
/// (`POST /build/context`, a wharf extension): enough `stat` data to tell whether the engine
/// already holds the same file from an earlier build.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ContextEntry {
    /// Clean path relative to the context root.
    #[serde(rename = "p")]
    pub path: String,
    /// `f` regular file, `d` directory, `l` symlink.
    #[serde(rename = "k")]
    pub kind: String,
    #[serde(rename = "m")]
    pub mode: u32,
    #[serde(rename = "s", default)]
    pub size: u64,
    /// Modification time, Unix seconds and nanoseconds.
    #[serde(rename = "t", default)]
    pub mtime: i64,
    #[serde(rename = "n", default)]
    pub mtime_ns: u32,
    /// Device and inode on the client (0 for generated entries, which never match).
    #[serde(rename = "d", default)]
    pub dev: u64,
    #[serde(rename = "i", default)]
    pub ino: u64,
    /// Symlink target.
    #[serde(rename = "l", default, skip_serializing_if = "String::is_empty")]
    pub link: String,
}

/// `POST /build/context?id=…` body: the whole context, after `.dockerignore`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ContextManifest {
    pub entries: Vec<ContextEntry>,
}

/// The answer: which regular files the engine needs (indices into `entries`), and the session
/// to name as `context=` in `POST /build`, whose body then holds only those files.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ContextPlan {
    pub session: String,
    pub need: Vec<usize>,
}
