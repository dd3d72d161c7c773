//! `docker load`: reads an image archive (plain, gzip, xz or zstd) in one pass and records its
//! images. Accepted layouts: `manifest.json` archives from dockerd 20.10 (`<id>/layer.tar`) and
//! Docker 25+ (`blobs/sha256/…`), and plain OCI image layouts (`index.json` only).
//!
//! Every file streams into the content store (blobs named by digest are checked against their
//! name); small files are also kept in memory for the JSON documents. Images are recorded only
//! after every layer of every image has unpacked and matched its DiffID, so a broken archive
//! leaves nothing behind.

use std::collections::HashMap;
use std::io::Read;

use wharf_archive::compression;
use wharf_archive::tar::{EntryKind, Reader};
use wharf_digest::Digest;
use wharf_reference::Reference;

use crate::error::{ImageError, Result};
use crate::record::{BlobRef, LayerRecord};
use crate::spec::{
    ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, ArchiveManifestEntry, ImageConfig, Index, Manifest,
    media,
};
use crate::store::{ImageStore, NewImage};

/// Files up to this size are also kept in memory (configs, manifests, indexes).
const KEEP_IN_MEMORY: u64 = 8 << 20;

/// One image recorded by a load.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub id: Digest,
    pub tags: Vec<Reference>,
    /// Tags that pointed at another image before, with that image's id.
    pub moved: Vec<(Reference, Digest)>,
}

struct File {
    digest: Digest,
    size: u64,
    data: Option<Vec<u8>>,
}

/// An image to record, as described by the archive.
struct Plan {
    config: Vec<u8>,
    layer_files: Vec<String>,
    layer_media: Vec<Option<String>>,
    tags: Vec<Reference>,
}

fn clean_path(raw: &str) -> Result<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(ImageError::InvalidArchive(format!(
                        "entry {raw:?} points outside the archive"
                    )));
                }
            }
            c => parts.push(c),
        }
    }
    Ok(parts.join("/"))
}

fn join_rel(base_file: &str, target: &str) -> String {
    if target.starts_with('/') {
        return target.to_string();
    }
    match base_file.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{target}"),
        None => target.to_string(),
    }
}

/// Reads `input` and records the images it holds.
pub fn load(store: &ImageStore, input: impl Read + Send + 'static) -> Result<Vec<Loaded>> {
    let mut lease = store.lease();
    let mut written: Vec<Digest> = Vec::new();
    let res = load_inner(store, input, &mut lease, &mut written);
    drop(lease);
    // Whatever the outcome, blobs no image references (v1 metadata, or everything after a
    // failure) are not kept.
    let _ = store.discard_unreferenced(&written);
    res
}

fn load_inner(
    store: &ImageStore,
    input: impl Read + Send + 'static,
    lease: &mut wharf_store::lease::Lease,
    written: &mut Vec<Digest>,
) -> Result<Vec<Loaded>> {
    let stream = compression::decompress(input)?;
    let mut reader = Reader::new(stream);
    let mut files: HashMap<String, File> = HashMap::new();
    let mut links: HashMap<String, String> = HashMap::new();
    let mut n = 0u64;
    while let Some(mut entry) = reader.next_entry()? {
        let h = entry.header().clone();
        let path = clean_path(&h.display_path())?;
        match h.kind {
            EntryKind::Regular => {
                n += 1;
                let mut w = store
                    .content()
                    .writer(&format!("load-{}-{n}", crate::store::random_hex()), None)?;
                let mut keep =
                    (h.size <= KEEP_IN_MEMORY).then(|| Vec::with_capacity(h.size as usize));
                let copied = match &mut keep {
                    Some(buf) => {
                        let r = std::io::copy(&mut entry, buf);
                        r.and_then(|_| std::io::Write::write_all(&mut w, buf))
                    }
                    None => std::io::copy(&mut entry, &mut w).map(|_| ()),
                };
                if let Err(e) = copied {
                    w.abort();
                    return Err(ImageError::InvalidArchive(format!("reading {path}: {e}")));
                }
                let digest = w.commit(None)?;
                lease.add(digest.to_string());
                written.push(digest.clone());
                if let Some(hex) = path.strip_prefix("blobs/sha256/")
                    && digest.hex() != hex
                {
                    return Err(ImageError::InvalidArchive(format!(
                        "{path} does not match its digest: its content is {digest}"
                    )));
                }
                files.insert(
                    path,
                    File {
                        digest,
                        size: h.size,
                        data: keep,
                    },
                );
            }
            EntryKind::Symlink => {
                let target = join_rel(&path, &String::from_utf8_lossy(&h.link_name));
                links.insert(path, clean_path(&target)?);
            }
            EntryKind::HardLink => {
                links.insert(path, clean_path(&String::from_utf8_lossy(&h.link_name))?);
            }
            _ => {}
        }
    }
    let resolve = |p: &str| -> Option<&File> {
        let mut p = p.to_string();
        for _ in 0..16 {
            if let Some(f) = files.get(&p) {
                return Some(f);
            }
            p = links.get(&p)?.clone();
        }
        None
    };
    let json = |p: &str| -> Result<&[u8]> {
        resolve(p)
            .and_then(|f| f.data.as_deref())
            .ok_or_else(|| ImageError::InvalidArchive(format!("missing or oversized file {p}")))
    };

    let plans = if resolve("manifest.json").is_some() {
        plan_from_manifest_json(json("manifest.json")?, &json)?
    } else if resolve("index.json").is_some() {
        plan_from_oci_index(json("index.json")?, &json)?
    } else {
        return Err(ImageError::InvalidArchive(
            "no manifest.json or index.json found: not an image archive".into(),
        ));
    };
    if plans.is_empty() {
        return Err(ImageError::InvalidArchive(
            "the archive holds no images".into(),
        ));
    }

    // Unpack every layer of every image first; record images only when all succeeded.
    let mut ready = Vec::new();
    for plan in plans {
        let config = ImageConfig::parse(&plan.config)
            .map_err(|e| ImageError::InvalidArchive(format!("invalid image config: {e}")))?;
        let diff_ids = &config.rootfs.diff_ids;
        if diff_ids.len() != plan.layer_files.len() {
            return Err(ImageError::InvalidArchive(format!(
                "the image config names {} layers but the manifest lists {}",
                diff_ids.len(),
                plan.layer_files.len()
            )));
        }
        let mut parent: Option<Digest> = None;
        let mut layers = Vec::new();
        for (i, (file, diff)) in plan.layer_files.iter().zip(diff_ids).enumerate() {
            let f = resolve(file)
                .ok_or_else(|| ImageError::InvalidArchive(format!("missing layer file {file}")))?;
            let blob = store.content().open_blob(&f.digest)?;
            let u = store.unpack_layer(lease, parent.as_ref(), Some(diff), blob)?;
            let mut head = [0u8; 8];
            let got = store
                .content()
                .open_blob(&f.digest)?
                .read(&mut head)
                .map_err(ImageError::io("reading layer"))?;
            let media_type = plan.layer_media[i].clone().unwrap_or_else(|| {
                crate::layer_media_type(compression::detect(&head[..got])).into()
            });
            layers.push(LayerRecord {
                diff_id: u.diff_id,
                chain_id: u.chain_id.clone(),
                blob: BlobRef {
                    digest: f.digest.clone(),
                    media_type,
                    size: f.size,
                },
                tar_size: u.tar_size,
                size: u.size,
            });
            parent = Some(u.chain_id);
        }
        ready.push((plan, layers));
    }

    let mut out = Vec::new();
    for (plan, layers) in ready {
        let rec = store.create(NewImage {
            config: plan.config,
            layers,
            manifest: None,
            parent: None,
        })?;
        let mut moved = Vec::new();
        for t in &plan.tags {
            if let Some(prev) = store.add_ref(&rec.id, t)? {
                moved.push((t.clone(), prev));
            }
        }
        out.push(Loaded {
            id: rec.id,
            tags: plan.tags,
            moved,
        });
    }
    Ok(out)
}

fn parse_tag(s: &str) -> Result<Reference> {
    Reference::parse_normalized(s)
        .map(Reference::with_default_tag)
        .map_err(|e| ImageError::InvalidArchive(format!("invalid tag {s:?} in archive: {e}")))
}

fn plan_from_manifest_json<'a>(
    data: &[u8],
    json: &dyn Fn(&str) -> Result<&'a [u8]>,
) -> Result<Vec<Plan>> {
    let entries: Vec<ArchiveManifestEntry> = serde_json::from_slice(data)
        .map_err(|e| ImageError::InvalidArchive(format!("invalid manifest.json: {e}")))?;
    entries
        .into_iter()
        .map(|e| {
            Ok(Plan {
                config: json(&clean_path(&e.config)?)?.to_vec(),
                layer_media: vec![None; e.layers.len()],
                layer_files: e
                    .layers
                    .iter()
                    .map(|l| clean_path(l))
                    .collect::<Result<_>>()?,
                tags: e
                    .repo_tags
                    .iter()
                    .map(|t| parse_tag(t))
                    .collect::<Result<_>>()?,
            })
        })
        .collect()
}

fn blob_path(d: &Digest) -> String {
    format!("blobs/{}/{}", d.algorithm(), d.hex())
}

fn plan_from_oci_index<'a>(
    data: &[u8],
    json: &dyn Fn(&str) -> Result<&'a [u8]>,
) -> Result<Vec<Plan>> {
    let index: Index = serde_json::from_slice(data)
        .map_err(|e| ImageError::InvalidArchive(format!("invalid index.json: {e}")))?;
    let mut plans: Vec<Plan> = Vec::new();
    let mut stack: Vec<(crate::spec::Descriptor, u32)> =
        index.manifests.into_iter().rev().map(|d| (d, 0)).collect();
    while let Some((desc, depth)) = stack.pop() {
        if depth > 8 {
            return Err(ImageError::InvalidArchive(
                "index nesting is too deep".into(),
            ));
        }
        let blob = json(&blob_path(&desc.digest))?;
        if media::is_index(&desc.media_type) {
            let nested: Index = serde_json::from_slice(blob).map_err(|e| {
                ImageError::InvalidArchive(format!("invalid index {}: {e}", desc.digest))
            })?;
            stack.extend(nested.manifests.into_iter().rev().map(|d| (d, depth + 1)));
            continue;
        }
        let m: Manifest = serde_json::from_slice(blob).map_err(|e| {
            ImageError::InvalidArchive(format!("invalid manifest {}: {e}", desc.digest))
        })?;
        let mut tags = Vec::new();
        if let Some(name) = desc.annotations.get(ANNOTATION_IMAGE_NAME) {
            tags.push(parse_tag(name)?);
        } else if let Some(r) = desc.annotations.get(ANNOTATION_REF_NAME)
            && r.contains(['/', ':'])
        {
            tags.push(parse_tag(r)?);
        }
        if let Some(p) = plans
            .iter_mut()
            .find(|p| p.config == json(&blob_path(&m.config.digest)).unwrap_or_default())
        {
            p.tags.extend(tags);
            continue;
        }
        plans.push(Plan {
            config: json(&blob_path(&m.config.digest))?.to_vec(),
            layer_files: m.layers.iter().map(|l| blob_path(&l.digest)).collect(),
            layer_media: m
                .layers
                .iter()
                .map(|l| Some(l.media_type.clone()))
                .collect(),
            tags,
        });
    }
    Ok(plans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_paths_are_cleaned_and_escapes_refused() {
        assert_eq!(clean_path("./manifest.json").unwrap(), "manifest.json");
        assert_eq!(
            clean_path("abc/../blobs//sha256/x").unwrap(),
            "blobs/sha256/x"
        );
        assert!(clean_path("../etc/passwd").is_err());
        assert_eq!(
            join_rel("a/layer.tar", "../b/layer.tar"),
            "a/../b/layer.tar"
        );
    }
}
