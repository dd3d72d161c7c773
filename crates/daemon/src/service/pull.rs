//! `docker pull`: resolve the manifest (an index → the platform's manifest), then for every
//! layer that is not here yet, in parallel (bounded): download → verify the digest while
//! streaming into the content store → decompress and unpack into the layer's own snapshot at
//! the same time. Layers are linked onto their parents in order as they finish; the image is
//! recorded only when every layer matched its DiffID, so a failed pull leaves no image.
//! Verified blobs stay in the content store (and partial downloads in the ingest area), so
//! the next pull resumes instead of starting over.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{Semaphore, mpsc};
use wharf_digest::Digest;
use wharf_image::record::{BlobRef, LayerRecord};
use wharf_image::spec::{ImageConfig, Manifest, chain_ids, media};
use wharf_image::{DetachedLayer, NewImage};
use wharf_reference::Reference;
use wharf_registry::manifest::{Parsed, RawManifest};
use wharf_registry::{Access, AuthConfig, PlatformSpec, RegistryError, Session, repository_scope};
use wharf_store::lease::Lease;

use crate::engine::Engine;
use crate::error::ApiError;
use crate::service::layer_stream::{self, LayerStream};
use crate::service::progress::{Progress, Throttle};

/// Downloads at once per pull (dockerd's `max-concurrent-downloads` default).
const CONCURRENT_DOWNLOADS: usize = 3;

/// What a pull recorded.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub id: Digest,
    /// Digest of what the reference resolved to (the index, for a multi-platform image).
    pub digest: Digest,
    /// Whether anything changed (`Downloaded newer image` rather than `Image is up to date`).
    pub changed: bool,
}

/// Pulls `reference`. A name without tag or digest pulls every tag of the repository.
/// Progress goes to `progress` as Docker's JSON messages, ending with the `Status:` line.
pub async fn pull(
    engine: &Arc<Engine>,
    reference: &Reference,
    platform: Option<&PlatformSpec>,
    auth: &AuthConfig,
    progress: &Progress,
) -> Result<Vec<Pulled>, ApiError> {
    if reference.is_name_only() {
        return pull_all_tags(engine, reference, platform, auth, progress).await;
    }
    let p = pull_one(engine, reference, platform, auth, progress).await?;
    progress.status(format!("Digest: {}", p.digest));
    progress.status(status_line(&p, &reference.familiar_string()));
    Ok(vec![p])
}

fn status_line(p: &Pulled, shown: &str) -> String {
    if p.changed {
        format!("Status: Downloaded newer image for {shown}")
    } else {
        format!("Status: Image is up to date for {shown}")
    }
}

async fn pull_all_tags(
    engine: &Arc<Engine>,
    reference: &Reference,
    platform: Option<&PlatformSpec>,
    auth: &AuthConfig,
    progress: &Progress,
) -> Result<Vec<Pulled>, ApiError> {
    let ep = engine.registry.config().upstream(reference.domain());
    let s = engine
        .registry
        .session(
            ep,
            reference.path(),
            auth.clone(),
            vec![repository_scope(reference.path(), Access::Pull)],
        )
        .await?;
    let mut tags = s.tags().await?;
    tags.sort();
    if tags.is_empty() {
        return Err(RegistryError::ManifestUnknown {
            reference: reference.familiar_string(),
        }
        .into());
    }
    let mut out = Vec::new();
    for t in tags {
        let r = reference.with_tag(&t)?;
        let p = pull_one(engine, &r, platform, auth, progress).await?;
        progress.status(format!("Digest: {}", p.digest));
        out.push(p);
    }
    let shown = reference.familiar_name();
    let changed = out.iter().any(|p| p.changed);
    progress.status(if changed {
        format!("Status: Downloaded newer image for {shown}")
    } else {
        format!("Status: Image is up to date for {shown}")
    });
    Ok(out)
}

/// One tag or digest, trying the registry's mirrors first.
async fn pull_one(
    engine: &Arc<Engine>,
    reference: &Reference,
    platform: Option<&PlatformSpec>,
    auth: &AuthConfig,
    progress: &Progress,
) -> Result<Pulled, ApiError> {
    let endpoints = engine.registry.config().pull_endpoints(reference.domain());
    let mut last = None;
    for ep in endpoints {
        let mirror = ep.mirror;
        let base = ep.base.clone();
        let attempt = async {
            let s = engine
                .registry
                .session(
                    ep,
                    reference.path(),
                    auth.clone(),
                    vec![repository_scope(reference.path(), Access::Pull)],
                )
                .await?;
            pull_from(engine, &s, reference, platform, progress).await
        };
        match attempt.await {
            Ok(p) => return Ok(p),
            Err(e) if mirror => {
                tracing::warn!(mirror = %base, error = %e, "pull from mirror failed; trying the next endpoint");
                last = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| ApiError::internal("no registry endpoint to pull from")))
}

/// The manifest for the wanted platform, with the digest the reference resolved to.
async fn resolve(
    s: &Session,
    reference: &Reference,
    platform: Option<&PlatformSpec>,
) -> Result<(Digest, RawManifest, Manifest), ApiError> {
    let shown = reference.familiar_string();
    let target = match reference.digest() {
        Some(d) => d.to_string(),
        None => reference.tag().unwrap_or("latest").to_string(),
    };
    let top = s.get_manifest(&target, &shown).await?;
    let top_digest = top.digest.clone();
    let raw = match wharf_registry::manifest::parse(&top.media_type, &top.bytes)? {
        Parsed::Manifest(_) => top,
        Parsed::Index(idx) => {
            let want = platform.cloned().unwrap_or_else(PlatformSpec::host);
            let d = wharf_registry::platform::select(&idx.manifests, &want).ok_or_else(|| {
                ApiError::not_found(format!(
                    "no matching manifest for {want} in the manifest list entries"
                ))
            })?;
            s.get_manifest(d.digest.as_str(), &shown).await?
        }
    };
    match wharf_registry::manifest::parse(&raw.media_type, &raw.bytes)? {
        Parsed::Manifest(m) => Ok((top_digest, raw, m)),
        Parsed::Index(_) => Err(RegistryError::InvalidManifest(
            "an index names another index as a platform's manifest".into(),
        )
        .into()),
    }
}

fn short(d: &Digest) -> String {
    d.hex().chars().take(12).collect()
}

/// What to do for one layer.
#[derive(Clone)]
enum Plan {
    /// An image here already has this layer with this blob.
    Exists(LayerRecord),
    /// The snapshot is here but not this blob: fetch the blob only.
    BlobOnly(LayerRecord),
    /// Download (or read the local blob) and unpack.
    Fetch,
}

async fn pull_from(
    engine: &Arc<Engine>,
    s: &Session,
    reference: &Reference,
    platform: Option<&PlatformSpec>,
    progress: &Progress,
) -> Result<Pulled, ApiError> {
    let label = match reference.digest() {
        Some(d) => d.to_string(),
        None => reference.tag().unwrap_or("latest").to_string(),
    };
    let (digest, raw, manifest) = resolve(s, reference, platform).await?;
    // Only now does output start: a reference that does not resolve is a plain error status.
    progress.layer(&label, &format!("Pulling from {}", reference.path()));

    // The config: small, verified, stored.
    let cfg_desc = manifest.config.clone();
    let config = s.fetch_small_blob(&cfg_desc.digest, cfg_desc.size).await?;
    let parsed = ImageConfig::parse(&config).map_err(|e| {
        ApiError::bad_request(format!("invalid image config {}: {e}", cfg_desc.digest))
    })?;
    if let Some(want) = platform
        && !want.matches_config(&parsed.os, &parsed.architecture, &parsed.variant)
    {
        return Err(ApiError::bad_request(format!(
            "image with reference {} was found but does not match the specified platform: wanted {want}, actual: {}/{}{}",
            reference.familiar_string(),
            parsed.os,
            parsed.architecture,
            if parsed.variant.is_empty() {
                String::new()
            } else {
                format!("/{}", parsed.variant)
            }
        )));
    }
    let layers: Vec<_> = manifest
        .layers
        .iter()
        .filter(|l| l.media_type != media::DOCKER_FOREIGN_LAYER)
        .cloned()
        .collect();
    let diff_ids = parsed.rootfs.diff_ids.clone();
    if diff_ids.len() != layers.len() {
        return Err(ApiError::bad_request(format!(
            "the image config names {} layers but the manifest lists {}",
            diff_ids.len(),
            layers.len()
        )));
    }
    let chains = chain_ids(&diff_ids);
    let id = Digest::sha256_of(&config);
    let existing = engine.images.get(&id)?;

    // What is here already.
    let known: HashMap<Digest, LayerRecord> = engine
        .blocking(|e| Ok(e.images.list()?))
        .await?
        .into_iter()
        .flat_map(|r| r.layers)
        .map(|l| (l.chain_id.clone(), l))
        .collect();
    let plans: Vec<Plan> = layers
        .iter()
        .zip(&chains)
        .map(|(desc, chain)| match known.get(chain) {
            Some(l)
                if l.blob.digest == desc.digest && engine.images.content().exists(&desc.digest) =>
            {
                Plan::Exists(l.clone())
            }
            Some(l) if engine.images.layer_size(chain).is_some() => Plan::BlobOnly(l.clone()),
            _ => Plan::Fetch,
        })
        .collect();
    for (desc, plan) in layers.iter().zip(&plans) {
        let id = short(&desc.digest);
        match plan {
            Plan::Exists(_) => progress.layer(&id, "Already exists"),
            _ => progress.layer(&id, "Pulling fs layer"),
        }
    }

    // Nothing this pull brings in may be collected before the image records it.
    let mut lease = engine.images.lease();
    for c in &chains {
        lease.add(c.to_string());
    }
    for l in &layers {
        lease.add(l.digest.to_string());
    }
    lease.add(raw.digest.to_string());
    let t0 = std::time::Instant::now();
    let records = transfer(
        engine, s, &layers, &diff_ids, &chains, &plans, &mut lease, progress,
    )
    .await?;

    tracing::debug!(
        ms = t0.elapsed().as_millis() as u64,
        layers = layers.len(),
        "pull: layers in place"
    );
    // Record the image: config, manifest, layers; then its references.
    let mf_blob = BlobRef {
        digest: raw.digest.clone(),
        media_type: raw.media_type.clone(),
        size: raw.bytes.len() as u64,
    };
    let manifest_bytes = raw.bytes.clone();
    let tagged = reference.tag().is_some().then(|| reference.clone());
    let digest_ref = Reference::with_name(&reference.name())?.with_digest(digest.clone());
    let previous = match &tagged {
        Some(t) => engine.images.lookup_ref(t)?,
        None => engine.images.lookup_ref(&digest_ref)?,
    };
    let blob_digests: Vec<Digest> = layers.iter().map(|l| l.digest.clone()).collect();
    let repo = format!("{}/{}", reference.domain(), reference.path());
    let rec = engine
        .blocking(move |e| {
            e.images
                .content()
                .write_blob(&manifest_bytes, Some(&mf_blob.digest))?;
            crate::service::distmeta::note_repos(&e.db, &blob_digests, &repo)?;
            let rec = e.images.create(NewImage {
                config,
                layers: records,
                manifest: Some(mf_blob),
                parent: None,
            })?;
            if let Some(t) = &tagged {
                e.images.add_ref(&rec.id, t)?;
            }
            e.images.add_ref(&rec.id, &digest_ref)?;
            Ok(rec)
        })
        .await?;
    drop(lease);
    let changed = existing.is_none() || previous.as_ref() != Some(&rec.id);
    Ok(Pulled {
        id: rec.id,
        digest,
        changed,
    })
}

/// A layer's outcome before it is linked onto its parent.
enum Fetched {
    Detached(DetachedLayer),
    /// In the content store only (copy driver, or the snapshot exists already).
    Stored,
}

#[allow(clippy::too_many_arguments)]
async fn transfer(
    engine: &Arc<Engine>,
    s: &Session,
    layers: &[wharf_image::spec::Descriptor],
    diff_ids: &[Digest],
    chains: &[Digest],
    plans: &[Plan],
    _lease: &mut Lease,
    progress: &Progress,
) -> Result<Vec<LayerRecord>, ApiError> {
    let detached_ok = engine.images.supports_detached();
    let gate = Arc::new(Semaphore::new(CONCURRENT_DOWNLOADS));
    let mut tasks = Vec::new();
    for (desc, plan) in layers.iter().zip(plans) {
        let unpack = detached_ok && matches!(plan, Plan::Fetch);
        let needs = !matches!(plan, Plan::Exists(_));
        let fut = fetch_layer(
            engine.clone(),
            s,
            desc.clone(),
            unpack,
            gate.clone(),
            progress.clone(),
        );
        tasks.push(async move { if needs { fut.await.map(Some) } else { Ok(None) } });
    }
    // All layers move at once (bounded by the gate); they are linked in order below.
    let results = futures_util::future::join_all(tasks).await;
    let mut fetched = Vec::new();
    let mut first_err = None;
    for r in results {
        match r {
            Ok(f) => fetched.push(f),
            Err(e) => {
                first_err.get_or_insert(e);
                fetched.push(None);
            }
        }
    }
    if let Some(e) = first_err {
        for f in fetched.into_iter().flatten() {
            if let Fetched::Detached(d) = f {
                engine.images.discard_detached(d);
            }
        }
        return Err(e);
    }

    let mut out = Vec::new();
    let mut fetched = fetched.into_iter();
    for (i, (desc, plan)) in layers.iter().zip(plans).enumerate() {
        let f = fetched.next().flatten();
        let parent = i.checked_sub(1).map(|p| chains[p].clone());
        let blob = BlobRef {
            digest: desc.digest.clone(),
            media_type: desc.media_type.clone(),
            size: desc.size,
        };
        let id = short(&desc.digest);
        let rec = match (plan, f) {
            (Plan::Exists(l), _) => LayerRecord { blob, ..l.clone() },
            (Plan::BlobOnly(l), _) => {
                progress.layer(&id, "Pull complete");
                LayerRecord { blob, ..l.clone() }
            }
            (Plan::Fetch, Some(Fetched::Detached(d))) => {
                let images = engine.images.clone();
                let want = diff_ids[i].clone();
                let mut l = engine.images.lease();
                let r = tokio::task::spawn_blocking(move || {
                    let r = images.commit_detached(&mut l, d, parent.as_ref(), Some(&want));
                    (r, l)
                })
                .await?;
                let (u, l) = r;
                drop(l); // the outer lease holds every chain until the image is recorded
                let u = u?;
                progress.layer(&id, "Pull complete");
                LayerRecord {
                    diff_id: u.diff_id,
                    chain_id: u.chain_id,
                    blob,
                    tar_size: u.tar_size,
                    size: u.size,
                }
            }
            (Plan::Fetch, _) => {
                // Sequential unpack from the stored blob (copy driver).
                progress.layer(&id, "Extracting");
                let images = engine.images.clone();
                let want = diff_ids[i].clone();
                let digest = desc.digest.clone();
                let mut l = engine.images.lease();
                let (u, l) = tokio::task::spawn_blocking(move || {
                    let r = images
                        .content()
                        .open_blob(&digest)
                        .map_err(wharf_image::ImageError::from)
                        .and_then(|f| {
                            images.unpack_layer(
                                &mut l,
                                parent.as_ref(),
                                Some(&want),
                                io::BufReader::with_capacity(1 << 20, f),
                            )
                        });
                    (r, l)
                })
                .await?;
                drop(l);
                let u = u?;
                progress.layer(&id, "Pull complete");
                LayerRecord {
                    diff_id: u.diff_id,
                    chain_id: u.chain_id,
                    blob,
                    tar_size: u.tar_size,
                    size: u.size,
                }
            }
        };
        out.push(rec);
    }
    Ok(out)
}

/// Brings one layer blob into the content store (resuming a partial download), unpacking it
/// into a detached snapshot while it streams when `unpack`.
async fn fetch_layer(
    engine: Arc<Engine>,
    s: &Session,
    desc: wharf_image::spec::Descriptor,
    unpack: bool,
    gate: Arc<Semaphore>,
    progress: Progress,
) -> Result<Fetched, ApiError> {
    let id = short(&desc.digest);
    let content = engine.images.content().clone();
    if content.exists(&desc.digest) {
        // Verified earlier (a previous, interrupted pull): unpack from disk.
        progress.layer(&id, "Download complete");
        if !unpack {
            return Ok(Fetched::Stored);
        }
        let images = engine.images.clone();
        let digest = desc.digest.clone();
        let d = tokio::task::spawn_blocking(move || {
            let f = images.content().open_blob(&digest)?;
            images.unpack_detached(io::BufReader::with_capacity(1 << 20, f))
        })
        .await??;
        return Ok(Fetched::Detached(d));
    }
    let permit = gate
        .acquire_owned()
        .await
        .map_err(|_| ApiError::internal("pull cancelled"))?;
    // One ingest per blob, resumable by the next pull; a concurrent pull of the same blob
    // writes its own (not resumable) ingest instead of interleaving with this one.
    let claim = InFlight::claim(&desc.digest);
    let ingest = if claim.is_some() {
        format!("pull-{}", desc.digest.hex())
    } else {
        format!(
            "pull-{}-{}",
            desc.digest.hex(),
            wharf_image::store::random_hex()
        )
    };
    let writer = content.writer(&ingest, Some(desc.size))?;
    let offset = writer.offset().min(desc.size);
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let images = engine.images.clone();
    let prog = progress.clone();
    let label = id.clone();
    let stream = LayerStream {
        net: rx,
        writer,
        prefix: (offset > 0).then(|| content.root().join("ingest").join(&ingest)),
        offset,
        digest: desc.digest.clone(),
        size: desc.size,
        unpack,
    };
    let started = std::time::Instant::now();
    let consumer = tokio::task::spawn_blocking(move || -> Result<Fetched, ApiError> {
        let mut throttle = Throttle::new(prog.clone(), &label, "Downloading", stream.size);
        let digest = stream.digest.clone();
        let detached = layer_stream::run(&images, stream, &mut |n| throttle.update(n))?;
        tracing::debug!(ms = started.elapsed().as_millis() as u64, %digest, "pull: layer stored and unpacked");
        prog.layer(&label, "Verifying Checksum");
        prog.layer(&label, "Download complete");
        Ok(match detached {
            Some(d) => Fetched::Detached(d),
            None => Fetched::Stored,
        })
    });
    let dl = s.download(&desc.digest, desc.size, offset, &tx).await;
    drop(tx);
    drop(permit);
    let consumed = consumer.await?;
    drop(claim);
    match (dl, consumed) {
        (Err(e), Ok(Fetched::Detached(d))) => {
            engine.images.discard_detached(d);
            Err(e.into())
        }
        (Err(e), _) => Err(e.into()),
        (Ok(()), r) => r,
    }
}

/// Blob digests being downloaded into their resumable ingest by some pull.
static IN_FLIGHT: std::sync::Mutex<Vec<Digest>> = std::sync::Mutex::new(Vec::new());

struct InFlight(Digest);

impl InFlight {
    fn claim(d: &Digest) -> Option<InFlight> {
        let mut v = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
        if v.contains(d) {
            return None;
        }
        v.push(d.clone());
        Some(InFlight(d.clone()))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|x| x != &self.0);
    }
}
