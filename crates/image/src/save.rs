//! `docker save`: images to a tar stream in the layout Docker 25+ writes, which Docker 20.10
//! and OCI tools also read: `blobs/sha256/<hex>` for configs, uncompressed layers and
//! manifests, plus `index.json`, `manifest.json`, `oci-layout` and `repositories`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Write};

use wharf_archive::compression;
use wharf_archive::tar::{EntryKind, Header, Timestamp, Writer};
use wharf_digest::Digest;
use wharf_reference::Reference;

use crate::error::{ImageError, Result};
use crate::record::ImageRecord;
use crate::spec::{
    ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, ArchiveManifestEntry, Descriptor, Index, Manifest,
    media,
};
use crate::store::ImageStore;

/// One image to save with the tags to record for it.
pub struct SaveItem {
    pub image: ImageRecord,
    pub tags: Vec<Reference>,
}

/// Chooses what to save for the names a user gave, as dockerd does: a tag saves that tag, a
/// repository name saves every tag of it, an ID saves the image untagged.
pub fn select(store: &ImageStore, names: &[String]) -> Result<Vec<SaveItem>> {
    let mut order: Vec<Digest> = Vec::new();
    let mut items: BTreeMap<Digest, SaveItem> = BTreeMap::new();
    let mut add = |rec: ImageRecord, tag: Option<Reference>, order: &mut Vec<Digest>| {
        let item = items.entry(rec.id.clone()).or_insert_with(|| {
            order.push(rec.id.clone());
            SaveItem {
                image: rec,
                tags: Vec::new(),
            }
        });
        if let Some(t) = tag
            && !item.tags.contains(&t)
        {
            item.tags.push(t);
        }
    };
    let all_refs = store.all_refs()?;
    for name in names {
        let by_name = Reference::parse_normalized(name).ok();
        match by_name {
            Some(r) if r.is_name_only() && !is_id_like(name) => {
                let repo = r.name();
                let mut found = false;
                for (key, id) in &all_refs {
                    let Ok(tagged) = Reference::parse_normalized(key) else {
                        continue;
                    };
                    if tagged.name() == repo
                        && tagged.tag().is_some()
                        && tagged.digest().is_none()
                        && let Some(rec) = store.get(id)?
                    {
                        add(rec, Some(tagged), &mut order);
                        found = true;
                    }
                }
                if !found {
                    add(store.resolve(name)?, None, &mut order);
                }
            }
            Some(r) if r.tag().is_some() && r.digest().is_none() => {
                let rec = store.resolve(name)?;
                add(rec, Some(r), &mut order);
            }
            _ => add(store.resolve(name)?, None, &mut order),
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|id| items.remove(&id))
        .collect())
}

fn is_id_like(s: &str) -> bool {
    let h = s.strip_prefix("sha256:").unwrap_or(s);
    h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())
}

fn file_header(path: String, size: u64, mtime: i64) -> Header {
    let mut h = Header::new(EntryKind::Regular, path.into_bytes());
    h.mode = 0o644;
    h.size = size;
    h.mtime = Timestamp::new(mtime, 0);
    h
}

fn dir_header(path: &str) -> Header {
    let mut h = Header::new(EntryKind::Directory, path.as_bytes().to_vec());
    h.mode = 0o755;
    h
}

/// Counts the bytes of a layer once uncompressed (for layers whose size was not recorded).
fn uncompressed_size(store: &ImageStore, blob: &Digest) -> Result<u64> {
    let f = store.content().open_blob(blob)?;
    let mut r = compression::decompress(f)?;
    io::copy(&mut r, &mut io::sink()).map_err(ImageError::io(format!("reading layer {blob}")))
}

/// Writes the archive for `items` to `out`.
pub fn save(store: &ImageStore, items: &[SaveItem], out: impl Write) -> Result<()> {
    let mut tar = Writer::new(out);
    let mut written: BTreeSet<Digest> = BTreeSet::new();
    let mut index = Index {
        schema_version: 2,
        media_type: media::OCI_INDEX.into(),
        manifests: Vec::new(),
        annotations: BTreeMap::new(),
    };
    let mut manifest_json: Vec<ArchiveManifestEntry> = Vec::new();
    let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();

    tar.append(&dir_header("blobs"), io::empty())?;
    tar.append(&dir_header("blobs/sha256"), io::empty())?;
    for item in items {
        let img = &item.image;
        let created = img.created;
        let config = store.config_bytes(&img.id)?;
        if written.insert(img.id.clone()) {
            tar.append(
                &file_header(
                    format!("blobs/sha256/{}", img.id.hex()),
                    config.len() as u64,
                    created,
                ),
                &config[..],
            )?;
        }
        let mut layer_descs = Vec::new();
        let mut layer_paths = Vec::new();
        for l in &img.layers {
            let size = if l.tar_size > 0 {
                l.tar_size
            } else {
                uncompressed_size(store, &l.blob.digest)?
            };
            if written.insert(l.diff_id.clone()) {
                let blob = store.content().open_blob(&l.blob.digest)?;
                let data = compression::decompress(blob)?;
                let mut counted = LimitCheck {
                    inner: data,
                    remaining: size,
                    path: l.diff_id.to_string(),
                };
                tar.append(
                    &file_header(format!("blobs/sha256/{}", l.diff_id.hex()), size, created),
                    &mut counted,
                )?;
            }
            layer_descs.push(Descriptor::new(media::OCI_LAYER, l.diff_id.clone(), size));
            layer_paths.push(format!("blobs/sha256/{}", l.diff_id.hex()));
        }
        let manifest = Manifest {
            schema_version: 2,
            media_type: media::OCI_MANIFEST.into(),
            config: Descriptor::new(media::OCI_CONFIG, img.id.clone(), config.len() as u64),
            layers: layer_descs,
            annotations: BTreeMap::new(),
        };
        let mbytes = serde_json::to_vec(&manifest).unwrap_or_default();
        let mdigest = Digest::sha256_of(&mbytes);
        if written.insert(mdigest.clone()) {
            tar.append(
                &file_header(
                    format!("blobs/sha256/{}", mdigest.hex()),
                    mbytes.len() as u64,
                    0,
                ),
                &mbytes[..],
            )?;
        }
        let base = Descriptor::new(media::OCI_MANIFEST, mdigest, mbytes.len() as u64);
        if item.tags.is_empty() {
            index.manifests.push(base.clone());
        }
        let mut repo_tags = Vec::new();
        for t in &item.tags {
            let tag = t.tag().unwrap_or("latest").to_string();
            let mut d = base.clone();
            d.annotations
                .insert(ANNOTATION_IMAGE_NAME.into(), t.to_string());
            d.annotations
                .insert(ANNOTATION_REF_NAME.into(), tag.clone());
            index.manifests.push(d);
            repo_tags.push(t.familiar_string());
            if let Some(top) = img.layers.last() {
                repositories
                    .entry(t.familiar_name())
                    .or_default()
                    .insert(tag, top.diff_id.hex().to_string());
            }
        }
        manifest_json.push(ArchiveManifestEntry {
            config: format!("blobs/sha256/{}", img.id.hex()),
            repo_tags,
            layers: layer_paths,
            ..Default::default()
        });
    }
    let mut json_file = |name: &str, bytes: Vec<u8>| -> Result<()> {
        tar.append(
            &file_header(name.to_string(), bytes.len() as u64, 0),
            &bytes[..],
        )?;
        Ok(())
    };
    json_file("index.json", serde_json::to_vec(&index).unwrap_or_default())?;
    let mut mj = serde_json::to_vec(&manifest_json).unwrap_or_default();
    mj.push(b'\n');
    json_file("manifest.json", mj)?;
    json_file("oci-layout", br#"{"imageLayoutVersion": "1.0.0"}"#.to_vec())?;
    if !repositories.is_empty() {
        let mut r = serde_json::to_vec(&repositories).unwrap_or_default();
        r.push(b'\n');
        json_file("repositories", r)?;
    }
    let mut out = tar.finish()?;
    out.flush().map_err(ImageError::io("writing archive"))?;
    Ok(())
}

/// Guards against a stored layer whose uncompressed size differs from the recorded one (the tar
/// header was already written with the recorded size).
struct LimitCheck<R> {
    inner: R,
    remaining: u64,
    path: String,
}

impl<R: Read> Read for LimitCheck<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.remaining {
            return Err(io::Error::other(format!(
                "layer {} is larger than recorded",
                self.path
            )));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}
