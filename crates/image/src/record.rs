//! What the metadata database keeps per image: enough to list, inspect, save and delete it
//! without reading its config blob.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wharf_digest::Digest;

/// A layer blob as stored in the content store (compressed as pulled, or a plain tar).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BlobRef {
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LayerRecord {
    pub diff_id: Digest,
    pub chain_id: Digest,
    pub blob: BlobRef,
    /// Bytes of the uncompressed layer tar.
    pub tar_size: u64,
    /// Apparent bytes of the unpacked layer (Docker's layer size).
    pub size: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ImageRecord {
    /// The config digest.
    pub id: Digest,
    pub config_size: u64,
    /// Creation time from the config, unix seconds.
    pub created: i64,
    /// Sum of the unpacked layer sizes.
    pub size: u64,
    pub layers: Vec<LayerRecord>,
    /// The manifest stored for this image (pulled, loaded, or pushed), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<BlobRef>,
    /// The local parent image (built or committed on top of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Digest>,
    /// Full references (tags and digests) naming this image, normalized.
    #[serde(default)]
    pub refs: Vec<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// RFC 3339 time of the last tag operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_tag_time: Option<String>,
}

impl ImageRecord {
    pub fn top_chain(&self) -> Option<&Digest> {
        self.layers.last().map(|l| &l.chain_id)
    }

    /// Every blob this image holds a reference on.
    pub fn blobs(&self) -> Vec<Digest> {
        let mut v = vec![self.id.clone()];
        v.extend(self.manifest.iter().map(|m| m.digest.clone()));
        v.extend(self.layers.iter().map(|l| l.blob.digest.clone()));
        v
    }

    pub fn is_dangling(&self) -> bool {
        self.refs.is_empty()
    }
}
