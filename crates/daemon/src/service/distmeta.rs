//! What wharf knows about blobs and registries, for pushes: the repositories a blob was
//! pulled from or pushed to (mount sources), and the gzip blob made for a layer stored
//! uncompressed (so every push of it sends the same bytes). dockerd keeps the same facts
//! ("v2 metadata").

use wharf_digest::Digest;
use wharf_image::record::BlobRef;
use wharf_store::db::{Db, Table};

use crate::error::ApiError;

/// Blob digest → `domain/path` of repositories known to hold it (most recent last).
pub const BLOB_REPOS: Table = Table::new("dist_blob_repos");
/// Digest of an uncompressed layer blob → the gzip blob pushed for it.
pub const COMPRESSED: Table = Table::new("dist_compressed");
pub const TABLES: [Table; 2] = [BLOB_REPOS, COMPRESSED];

/// Repositories remembered per blob.
const MAX_REPOS: usize = 16;

pub fn note_repos(db: &Db, digests: &[Digest], repo: &str) -> Result<(), ApiError> {
    db.write(|tx| {
        for d in digests {
            let mut v: Vec<String> = tx.get(BLOB_REPOS, d.as_str())?.unwrap_or_default();
            v.retain(|r| r != repo);
            v.push(repo.to_string());
            if v.len() > MAX_REPOS {
                v.remove(0);
            }
            tx.put(BLOB_REPOS, d.as_str(), &v)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Other repositories of `domain` (than `path`) known to hold `digest`, most recent first.
pub fn mount_sources(
    db: &Db,
    digest: &Digest,
    domain: &str,
    path: &str,
) -> Result<Vec<String>, ApiError> {
    let v: Vec<String> = db
        .read(|tx| tx.get(BLOB_REPOS, digest.as_str()))?
        .unwrap_or_default();
    Ok(v.iter()
        .rev()
        .filter_map(|r| {
            let (d, p) = r.split_once('/')?;
            (d == domain && p != path).then(|| p.to_string())
        })
        .collect())
}

pub fn note_compressed(db: &Db, plain: &Digest, gz: &BlobRef) -> Result<(), ApiError> {
    db.write(|tx| tx.put(COMPRESSED, plain.as_str(), gz))?;
    Ok(())
}

pub fn compressed(db: &Db, plain: &Digest) -> Result<Option<BlobRef>, ApiError> {
    Ok(db.read(|tx| tx.get(COMPRESSED, plain.as_str()))?)
}
