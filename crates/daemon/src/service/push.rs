//! `docker push`: for every layer of the image (in parallel, bounded), skip it when the
//! repository has it (`HEAD`), mount it from another repository of the same registry that
//! this image was pulled from or pushed to, or upload it. Layers stored uncompressed (imports,
//! loads, builds) are gzipped once, on all cores, and the image keeps the compressed blob, so
//! later pushes send the same bytes and the manifest digest stays the same. An image with a
//! stored manifest whose blobs are all here is pushed with that exact manifest (its digest
//! is preserved); otherwise a Docker schema 2 manifest is written. The pushed digest is
//! recorded as a RepoDigest.

use std::collections::BTreeSet;
use std::io::Read;
use std::sync::Arc;

use bytes::Bytes;
use http::Method;
use tokio::sync::Semaphore;
use wharf_digest::Digest;
use wharf_image::ImageRecord;
use wharf_image::record::BlobRef;
use wharf_image::spec::{Descriptor, Manifest, media};
use wharf_reference::Reference;
use wharf_registry::blob::UploadStart;
use wharf_registry::http::ChannelBody;
use wharf_registry::manifest::RawManifest;
use wharf_registry::{Access, AuthConfig, Session, repository_scope};

use crate::engine::Engine;
use crate::error::ApiError;
use crate::service::distmeta;
use crate::service::progress::{Progress, Throttle};

/// Uploads at once (dockerd's `max-concurrent-uploads` default).
const CONCURRENT_UPLOADS: usize = 5;

fn short(d: &Digest) -> String {
    d.hex().chars().take(12).collect()
}

fn is_compressed(media_type: &str) -> bool {
    media_type.ends_with("gzip") || media_type.ends_with("zstd")
}

/// The tags to push: the one given, or every local tag of the repository.
fn tags_to_push(e: &Engine, r: &Reference) -> Result<Vec<(Reference, ImageRecord)>, ApiError> {
    if !r.is_name_only() {
        let rec = e
            .images
            .lookup_ref(r)?
            .and_then(|id| e.images.get(&id).ok().flatten())
            .ok_or_else(|| {
                ApiError::not_found(format!("tag does not exist: {}", r.familiar_string()))
            })?;
        return Ok(vec![(r.clone(), rec)]);
    }
    let name = r.name();
    let mut out = Vec::new();
    for (key, id) in e.images.all_refs()? {
        let Ok(t) = Reference::parse_normalized(&key) else {
            continue;
        };
        if t.name() == name
            && t.tag().is_some()
            && let Some(rec) = e.images.get(&id)?
        {
            out.push((t, rec));
        }
    }
    if out.is_empty() {
        return Err(ApiError::not_found(format!(
            "An image does not exist locally with the tag: {}",
            r.familiar_name()
        )));
    }
    Ok(out)
}

/// Pushes `reference` (a tag, or every tag of a name).
pub async fn push(
    engine: &Arc<Engine>,
    reference: &Reference,
    auth: &AuthConfig,
    progress: &Progress,
) -> Result<(), ApiError> {
    let e = engine.clone();
    let r = reference.clone();
    let targets = engine.blocking(move |_| tags_to_push(&e, &r)).await?;
    progress.status(format!(
        "The push refers to repository [{}]",
        reference.name()
    ));
    let path = reference.path().to_string();
    let domain = reference.domain().to_string();
    // Other repositories of this registry known to hold the blobs: mount sources, which the
    // token must cover too.
    let mut sources = BTreeSet::new();
    for (_, rec) in &targets {
        for l in &rec.layers {
            let d = if is_compressed(&l.blob.media_type) {
                Some(l.blob.digest.clone())
            } else {
                distmeta::compressed(&engine.db, &l.blob.digest)?.map(|b| b.digest)
            };
            if let Some(d) = d {
                sources.extend(distmeta::mount_sources(&engine.db, &d, &domain, &path)?);
            }
        }
    }
    let mut scopes = vec![repository_scope(&path, Access::Push)];
    scopes.extend(sources.iter().map(|s| repository_scope(s, Access::Pull)));
    let ep = engine.registry.config().upstream(reference.domain());
    let s = engine
        .registry
        .session(ep, &path, auth.clone(), scopes)
        .await?;
    for (tag, rec) in targets {
        push_one(engine, &s, &tag, rec, progress).await?;
    }
    Ok(())
}

async fn push_one(
    engine: &Arc<Engine>,
    s: &Session,
    tag: &Reference,
    rec: ImageRecord,
    progress: &Progress,
) -> Result<(), ApiError> {
    let ids: Vec<String> = rec.layers.iter().map(|l| short(&l.diff_id)).collect();
    for id in &ids {
        progress.layer(id, "Preparing");
    }
    let gate = Arc::new(Semaphore::new(CONCURRENT_UPLOADS));
    let tasks = rec.layers.iter().zip(&ids).map(|(l, id)| {
        let gate = gate.clone();
        let blob = l.blob.clone();
        async move {
            let _permit = gate
                .acquire()
                .await
                .map_err(|_| ApiError::internal("push cancelled"))?;
            let blob = ensure_compressed(engine, &blob, id, progress).await?;
            let (domain, path) = (tag.domain(), tag.path());
            let sources = distmeta::mount_sources(&engine.db, &blob.digest, domain, path)?;
            push_blob(engine, s, &blob, id, &sources, progress).await?;
            Ok::<BlobRef, ApiError>(blob)
        }
    });
    let blobs: Vec<BlobRef> = futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;

    // The config.
    let config = Descriptor::new(media::DOCKER_CONFIG, rec.id.clone(), rec.config_size);
    if s.blob_size(&rec.id).await?.is_none() {
        let data = engine.images.config_bytes(&rec.id)?;
        upload_bytes(s, &rec.id, Bytes::from(data)).await?;
    }

    // The manifest: the stored one when it still describes these blobs, else a new one.
    let manifest = match stored_manifest(engine, &rec, &blobs)? {
        Some(m) => m,
        None => {
            let m = Manifest {
                schema_version: 2,
                media_type: media::DOCKER_MANIFEST.to_string(),
                config,
                layers: blobs
                    .iter()
                    .map(|b| {
                        Descriptor::new(&docker_layer_type(&b.media_type), b.digest.clone(), b.size)
                    })
                    .collect(),
                annotations: Default::default(),
            };
            let bytes = serde_json::to_vec_pretty(&m)
                .map_err(|e| ApiError::internal(format!("encoding manifest: {e}")))?;
            RawManifest {
                media_type: media::DOCKER_MANIFEST.to_string(),
                digest: Digest::sha256_of(&bytes),
                bytes: bytes.into(),
            }
        }
    };
    let tag_name = tag.tag().unwrap_or("latest").to_string();
    let digest = s.put_manifest(&tag_name, &manifest).await?;
    let size = manifest.bytes.len();
    progress.status(format!("{tag_name}: digest: {digest} size: {size}"));
    progress.aux(serde_json::json!({"Tag": tag_name, "Digest": digest.to_string(), "Size": size}));

    // Remember what was pushed: the compressed blobs, the manifest, the RepoDigest.
    let mf = BlobRef {
        digest: manifest.digest.clone(),
        media_type: manifest.media_type.clone(),
        size: size as u64,
    };
    let bytes = manifest.bytes.clone();
    let repo_digest = Reference::with_name(&tag.name())?.with_digest(digest);
    let id = rec.id.clone();
    let repo = format!("{}/{}", tag.domain(), tag.path());
    engine
        .blocking(move |e| {
            let digests: Vec<Digest> = blobs.iter().map(|b| b.digest.clone()).collect();
            distmeta::note_repos(&e.db, &digests, &repo)?;
            e.images.content().write_blob(&bytes, Some(&mf.digest))?;
            e.images.replace_blobs(&id, &blobs, Some(mf))?;
            e.images.add_ref(&id, &repo_digest)?;
            Ok(())
        })
        .await
}

/// Docker's layer media type for a blob of OCI or Docker type.
fn docker_layer_type(m: &str) -> String {
    match m {
        media::OCI_LAYER_GZIP => media::DOCKER_LAYER_GZIP.to_string(),
        media::OCI_LAYER => media::DOCKER_LAYER.to_string(),
        other => other.to_string(),
    }
}

/// The image's stored manifest, if its layers are exactly `blobs` and it is in the store.
fn stored_manifest(
    engine: &Engine,
    rec: &ImageRecord,
    blobs: &[BlobRef],
) -> Result<Option<RawManifest>, ApiError> {
    let Some(m) = &rec.manifest else {
        return Ok(None);
    };
    let Ok(bytes) = engine.images.content().read_blob(&m.digest) else {
        return Ok(None);
    };
    let Ok(parsed) = serde_json::from_slice::<Manifest>(&bytes) else {
        return Ok(None);
    };
    let same = parsed.config.digest == rec.id
        && parsed.layers.len() == blobs.len()
        && parsed
            .layers
            .iter()
            .zip(blobs)
            .all(|(l, b)| l.digest == b.digest);
    Ok(same.then(|| RawManifest {
        media_type: m.media_type.clone(),
        digest: m.digest.clone(),
        bytes: bytes.into(),
    }))
}

/// The layer's blob as pushed: itself when compressed, else a gzip of it made now (on all
/// cores) and stored.
async fn ensure_compressed(
    engine: &Arc<Engine>,
    blob: &BlobRef,
    id: &str,
    progress: &Progress,
) -> Result<BlobRef, ApiError> {
    if is_compressed(&blob.media_type) {
        return Ok(blob.clone());
    }
    if let Some(gz) = distmeta::compressed(&engine.db, &blob.digest)?
        && engine.images.content().exists(&gz.digest)
    {
        return Ok(gz);
    }
    let digest = blob.digest.clone();
    let id = id.to_string();
    let progress = progress.clone();
    engine
        .blocking(move |e| {
            let content = e.images.content();
            let src = content.open_blob(&digest)?;
            let mut w = content.writer(&format!("push-{}", digest.hex()), None)?;
            // A resumed ingest would hold a partial compression: start over.
            if w.offset() > 0 {
                w.abort();
                w = content.writer(&format!("push-{}", digest.hex()), None)?;
            }
            let mut counted = CountingWriter {
                inner: &mut w,
                n: 0,
            };
            let threads = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2);
            let total = blob_size(&src);
            let mut throttle = Throttle::new(progress.clone(), &id, "Compressing", total);
            let reader = ProgressReader {
                inner: std::io::BufReader::with_capacity(1 << 20, src),
                n: 0,
                on: &mut |n| throttle.update(n),
            };
            wharf_archive::compression::gzip_parallel(reader, &mut counted, 1, threads)
                .map_err(|e| ApiError::internal(format!("compressing layer {digest}: {e}")))?;
            let size = counted.n;
            let gz = BlobRef {
                digest: w.commit(None)?,
                media_type: media::DOCKER_LAYER_GZIP.to_string(),
                size,
            };
            distmeta::note_compressed(&e.db, &digest, &gz)?;
            Ok(gz)
        })
        .await
}

fn blob_size(f: &std::fs::File) -> u64 {
    f.metadata().map(|m| m.len()).unwrap_or(0)
}

struct CountingWriter<'a, W: std::io::Write> {
    inner: &'a mut W,
    n: u64,
}

impl<W: std::io::Write> std::io::Write for CountingWriter<'_, W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(b)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

struct ProgressReader<'a, R: Read> {
    inner: R,
    n: u64,
    on: &'a mut dyn FnMut(u64),
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(b)?;
        self.n += n as u64;
        (self.on)(self.n);
        Ok(n)
    }
}

/// Skips, mounts or uploads one blob, with Docker's per-layer messages.
async fn push_blob(
    engine: &Arc<Engine>,
    s: &Session,
    blob: &BlobRef,
    id: &str,
    sources: &[String],
    progress: &Progress,
) -> Result<(), ApiError> {
    if s.blob_size(&blob.digest).await?.is_some() {
        progress.layer(id, "Layer already exists");
        return Ok(());
    }
    // Mount from a repository of this registry that may hold the blob; a refusal still
    // opens an upload, which serves for sending the blob if no other source mounts it.
    let mut location: Option<String> = None;
    for from in sources.iter().take(4) {
        match s.start_upload(&blob.digest, Some(from)).await? {
            UploadStart::Mounted => {
                if let Some(l) = location {
                    s.cancel_upload(&l).await;
                }
                progress.layer(id, &format!("Mounted from {from}"));
                return Ok(());
            }
            UploadStart::Upload(l) => {
                if let Some(old) = location.replace(l) {
                    s.cancel_upload(&old).await;
                }
            }
        }
    }
    let location = match location {
        Some(l) => l,
        None => match s.start_upload(&blob.digest, None).await? {
            UploadStart::Upload(l) => l,
            UploadStart::Mounted => {
                progress.layer(id, "Layer already exists");
                return Ok(());
            }
        },
    };
    let (tx, body) = ChannelBody::channel(8);
    let digest = blob.digest.clone();
    let size = blob.size;
    let content = engine.images.content().clone();
    let prog = progress.clone();
    let label = id.to_string();
    let reader = tokio::task::spawn_blocking(move || {
        let mut throttle = Throttle::new(prog, &label, "Pushing", size);
        let mut f = match content.open_blob(&digest) {
            Ok(f) => f,
            Err(e) => {
                let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
                return;
            }
        };
        let mut sent = 0u64;
        loop {
            let mut buf = vec![0u8; 1 << 20];
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    sent += n as u64;
                    if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                        return;
                    }
                    throttle.update(sent);
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    let r = s
        .finish_upload(&location, &blob.digest, blob.size, body)
        .await;
    let _ = reader.await;
    r?;
    progress.layer(id, "Pushed");
    Ok(())
}

async fn upload_bytes(s: &Session, digest: &Digest, data: Bytes) -> Result<(), ApiError> {
    let UploadStart::Upload(location) = s.start_upload(digest, None).await? else {
        return Ok(());
    };
    let size = data.len() as u64;
    s.finish_upload(&location, digest, size, wharf_registry::http::full(data))
        .await?;
    let _ = Method::PUT;
    Ok(())
}
