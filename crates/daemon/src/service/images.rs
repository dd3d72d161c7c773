//! Image operations with dockerd's rules: listing and its filters, inspect and history shapes,
//! tagging, deletion conflicts, pruning.

use std::collections::{BTreeMap, HashSet};

use wharf_api::ApiVersion;
use wharf_api::filters::Filters;
use wharf_api::image::{
    DeleteItem, GraphDriver, HistoryItem, ImageInspect, ImageMetadata, ImageSummary,
    ImagesPruneReport, RootFs,
};
use wharf_digest::Digest;
use wharf_image::{ImageError, ImageRecord};
use wharf_reference::Reference;

use crate::engine::Engine;
use crate::error::ApiError;

/// Which containers use an image, as image deletion needs to know.
#[derive(Debug, Default, Clone)]
pub struct ImageUsers {
    pub running: Option<String>,
    pub stopped: Option<String>,
}

fn short(id: &str) -> String {
    id.strip_prefix("sha256:")
        .unwrap_or(id)
        .chars()
        .take(12)
        .collect()
}

/// Familiar strings of an image's tag and digest references.
pub fn familiar_refs(rec: &ImageRecord) -> (Vec<String>, Vec<String>) {
    let mut tags = Vec::new();
    let mut digests = Vec::new();
    for r in &rec.refs {
        if let Ok(parsed) = Reference::parse_normalized(r) {
            if parsed.digest().is_some() {
                digests.push(parsed.familiar_string());
            } else {
                tags.push(parsed.familiar_string());
            }
        }
    }
    (tags, digests)
}

pub fn summary(rec: &ImageRecord, version: ApiVersion) -> ImageSummary {
    let (tags, digests) = familiar_refs(rec);
    ImageSummary {
        containers: -1,
        created: rec.created,
        id: rec.id.to_string(),
        labels: if rec.labels.is_empty() {
            None
        } else {
            Some(rec.labels.clone())
        },
        parent_id: rec
            .parent
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        repo_digests: digests,
        repo_tags: tags,
        shared_size: -1,
        size: rec.size as i64,
        virtual_size: version.below(1, 44).then_some(rec.size as i64),
    }
}

fn matches_reference(r: &str, patterns: &[String]) -> bool {
    Reference::parse_normalized(r).is_ok_and(|p| {
        patterns
            .iter()
            .any(|pat| p.familiar_match(pat).unwrap_or(false))
    })
}

fn matches_labels(labels: &BTreeMap<String, String>, wanted: &[String]) -> bool {
    wanted.iter().all(|w| match w.split_once('=') {
        Some((k, v)) => labels.get(k).is_some_and(|x| x == v),
        None => labels.contains_key(w.as_str()),
    })
}

fn resolve_created(e: &Engine, name: &str) -> Result<i64, ApiError> {
    Ok(e.images.resolve(name)?.created)
}

/// The encoded answer of `GET /images/json`; unfiltered answers come from the list cache.
pub fn list_json(
    e: &Engine,
    all: bool,
    filters: &Filters,
    version: ApiVersion,
) -> Result<bytes::Bytes, ApiError> {
    let key = (all, version.below(1, 44));
    if filters.is_empty()
        && let Some(b) = e.image_list.encoded(&e.images, key)
    {
        return Ok(b);
    }
    let records = e.image_list.records(&e.images)?;
    let summaries = list_from(e, &records, all, filters, version)?;
    let bytes = bytes::Bytes::from(
        serde_json::to_vec(&summaries)
            .map_err(|err| ApiError::internal(format!("encoding image list: {err}")))?,
    );
    if filters.is_empty() {
        e.image_list.remember(&records, key, bytes.clone());
    }
    Ok(bytes)
}

pub fn list(
    e: &Engine,
    all: bool,
    filters: &Filters,
    version: ApiVersion,
) -> Result<Vec<ImageSummary>, ApiError> {
    let records = e.image_list.records(&e.images)?;
    list_from(e, &records, all, filters, version)
}

fn list_from(
    e: &Engine,
    records: &[ImageRecord],
    all: bool,
    filters: &Filters,
    version: ApiVersion,
) -> Result<Vec<ImageSummary>, ApiError> {
    filters
        .validate(&[
            "dangling",
            "label",
            "label!",
            "before",
            "since",
            "reference",
            "until",
        ])
        .map_err(ApiError::bad_request)?;
    let dangling = filters
        .bool_value("dangling")
        .map_err(ApiError::bad_request)?;
    let before = filters
        .get("before")
        .first()
        .map(|n| resolve_created(e, n))
        .transpose()?;
    let since = filters
        .get("since")
        .first()
        .map(|n| resolve_created(e, n))
        .transpose()?;
    let until = match filters.get("until").first() {
        Some(u) => Some(parse_until(u)?),
        None => None,
    };
    let parents: HashSet<Digest> = records.iter().filter_map(|r| r.parent.clone()).collect();
    let out: Vec<&ImageRecord> = records
        .iter()
        .filter(|r| {
            if let Some(d) = dangling
                && d != r.is_dangling()
            {
                return false;
            }
            if !all && dangling.is_none() && r.is_dangling() && parents.contains(&r.id) {
                return false; // intermediate image
            }
            if filters.contains("reference")
                && !r
                    .refs
                    .iter()
                    .any(|x| matches_reference(x, filters.get("reference")))
            {
                return false;
            }
            if !matches_labels(&r.labels, filters.get("label")) {
                return false;
            }
            if filters.contains("label!")
                && filters
                    .get("label!")
                    .iter()
                    .any(|l| matches_labels(&r.labels, std::slice::from_ref(l)))
            {
                return false;
            }
            if before.is_some_and(|b| r.created >= b) || since.is_some_and(|s| r.created <= s) {
                return false;
            }
            if until.is_some_and(|u| r.created >= u) {
                return false;
            }
            true
        })
        .collect();
    let patterns = filters.get("reference");
    Ok(out
        .into_iter()
        .map(|r| {
            if patterns.is_empty() {
                return summary(r, version);
            }
            // Under a reference filter dockerd shows only the references that match.
            let mut shown = r.clone();
            shown.refs.retain(|x| matches_reference(x, patterns));
            summary(&shown, version)
        })
        .collect())
}

/// `until=` values: a timestamp or a duration before now.
fn parse_until(v: &str) -> Result<i64, ApiError> {
    let now = wharf_units::Timestamp::now();
    let ts = wharf_units::get_timestamp(v, now, 0)
        .map_err(|e| ApiError::bad_request(format!("invalid filter 'until={v}': {e}")))?;
    let secs: f64 = ts
        .parse()
        .map_err(|_| ApiError::bad_request(format!("invalid filter 'until={v}'")))?;
    Ok(secs as i64)
}

pub fn inspect(e: &Engine, name: &str, version: ApiVersion) -> Result<ImageInspect, ApiError> {
    let rec = e.images.resolve(name)?;
    let config = e.images.config(&rec)?;
    let (tags, digests) = familiar_refs(&rec);
    let mut data = BTreeMap::new();
    if let Some(top) = rec.top_chain() {
        let snaps = e.images.snapshots();
        if let Ok(upper) = snaps.upper_dir(top.as_str()) {
            let base = upper.parent().map(|p| p.to_path_buf()).unwrap_or_default();
            data.insert("UpperDir".to_string(), upper.display().to_string());
            data.insert(
                "MergedDir".to_string(),
                base.join("merged").display().to_string(),
            );
            data.insert(
                "WorkDir".to_string(),
                base.join("work").display().to_string(),
            );
        }
        if let Ok(lowers) = snaps.parent_dirs(top.as_str())
            && !lowers.is_empty()
        {
            let l: Vec<String> = lowers.iter().map(|p| p.display().to_string()).collect();
            data.insert("LowerDir".to_string(), l.join(":"));
        }
    }
    Ok(ImageInspect {
        id: rec.id.to_string(),
        repo_tags: tags,
        repo_digests: digests,
        parent: rec
            .parent
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        comment: config.comment.clone(),
        created: config.created.clone().unwrap_or_default(),
        container: config.container.clone(),
        container_config: config.container_config.clone().unwrap_or_default(),
        docker_version: config.docker_version.clone(),
        author: config.author.clone(),
        config: config.config.clone().unwrap_or_default(),
        architecture: config.architecture.clone(),
        variant: config.variant.clone(),
        os: config.os.clone(),
        os_version: config.os_version.clone(),
        size: rec.size as i64,
        virtual_size: version.below(1, 44).then_some(rec.size as i64),
        graph_driver: GraphDriver {
            data,
            name: e.storage_driver().to_string(),
        },
        root_fs: RootFs {
            kind: "layers".into(),
            layers: config
                .rootfs
                .diff_ids
                .iter()
                .map(|d| d.to_string())
                .collect(),
        },
        metadata: ImageMetadata {
            last_tag_time: rec.last_tag_time.clone(),
        },
    })
}

pub fn history(e: &Engine, name: &str) -> Result<Vec<HistoryItem>, ApiError> {
    let rec = e.images.resolve(name)?;
    let config = e.images.config(&rec)?;
    let mut items: Vec<HistoryItem> = Vec::new();
    let mut layer = 0usize;
    for h in &config.history {
        let mut size = 0i64;
        if !h.empty_layer {
            let l = rec.layers.get(layer).ok_or_else(|| {
                ApiError::internal("too many non-empty layers in History section")
            })?;
            size = l.size as i64;
            layer += 1;
        }
        items.insert(
            0,
            HistoryItem {
                comment: h.comment.clone(),
                created: h
                    .created
                    .as_deref()
                    .and_then(wharf_image::clock::unix_secs)
                    .unwrap_or(0),
                created_by: h.created_by.clone(),
                id: "<missing>".into(),
                size,
                tags: Vec::new(),
            },
        );
    }
    // Name entries with the image and its local parents, newest first, as dockerd does.
    let mut current = Some(rec);
    for item in items.iter_mut() {
        let Some(img) = current.take() else { break };
        item.id = img.id.to_string();
        item.tags = familiar_refs(&img).0;
        current = img
            .parent
            .as_ref()
            .and_then(|p| e.images.get(p).ok().flatten());
    }
    Ok(items)
}

/// `repo` and `tag` query parameters as one reference (default tag `latest`).
pub fn repo_tag_reference(repo: &str, tag: &str) -> Result<Reference, ApiError> {
    if repo.is_empty() {
        return Err(ApiError::bad_request(
            "repository name must have at least one component",
        ));
    }
    let r = Reference::parse_normalized(repo)?;
    let r = if tag.is_empty() { r } else { r.with_tag(tag)? };
    if r.digest().is_some() {
        return Err(ApiError::bad_request(
            "refusing to create a tag with a digest reference",
        ));
    }
    Ok(r.with_default_tag())
}

pub fn tag(e: &Engine, name: &str, target: &Reference) -> Result<(), ApiError> {
    let rec = e.images.resolve(name)?;
    e.images.add_ref(&rec.id, target)?;
    Ok(())
}

/// Moby's "is this an ID prefix of that image" test used to tell IDs from references.
fn is_id_prefix(id: &Digest, s: &str) -> bool {
    id.as_str().starts_with(s) || id.hex().starts_with(s)
}

fn parsed_refs(rec: &ImageRecord) -> Vec<Reference> {
    rec.refs
        .iter()
        .filter_map(|r| Reference::parse_normalized(r).ok())
        .collect()
}

/// Moby's `isSingleReference`: all references in one repository with at most one tag.
fn is_single_reference(refs: &[Reference]) -> bool {
    if refs.len() <= 1 {
        return refs.len() == 1;
    }
    let mut single: Option<&Reference> = None;
    let mut canonical = HashSet::new();
    for r in refs {
        if r.digest().is_some() {
            canonical.insert(r.name());
        } else if single.is_none() {
            single = Some(r);
        } else {
            return false;
        }
    }
    let single = single.unwrap_or(&refs[0]);
    canonical.len() == 1 && canonical.contains(&single.name())
}

struct Conflict {
    hard: bool,
    used: bool,
    message: String,
}

const HARD: u8 = 1;
const SOFT_REFS: u8 = 2;
const SOFT_STOPPED: u8 = 4;

fn check_conflict(
    e: &Engine,
    rec: &ImageRecord,
    users: &ImageUsers,
    mask: u8,
) -> Result<Option<Conflict>, ApiError> {
    if mask & HARD != 0 {
        if !e.images.children(&rec.id)?.is_empty() {
            return Ok(Some(Conflict {
                hard: true,
                used: false,
                message: "image has dependent child images".into(),
            }));
        }
        if let Some(c) = &users.running {
            return Ok(Some(Conflict {
                hard: true,
                used: true,
                message: format!("image is being used by running container {}", short(c)),
            }));
        }
    }
    if mask & SOFT_REFS != 0 && !rec.refs.is_empty() {
        return Ok(Some(Conflict {
            hard: false,
            used: false,
            message: "image is referenced in multiple repositories".into(),
        }));
    }
    if mask & SOFT_STOPPED != 0
        && let Some(c) = &users.stopped
    {
        return Ok(Some(Conflict {
            hard: false,
            used: true,
            message: format!("image is being used by stopped container {}", short(c)),
        }));
    }
    Ok(None)
}

fn conflict_error(rec: &ImageRecord, c: Conflict) -> ApiError {
    let how = if c.hard {
        "cannot be forced"
    } else {
        "must be forced"
    };
    ApiError::conflict(format!(
        "conflict: unable to delete {} ({how}) - {}",
        short(rec.id.as_str()),
        c.message
    ))
}

/// `docker rmi` with moby's semantics (see `ImageDelete` in moby's daemon/images).
pub fn delete(
    e: &Engine,
    name: &str,
    force: bool,
    prune: bool,
    users_of: &dyn Fn(&Digest) -> ImageUsers,
) -> Result<Vec<DeleteItem>, ApiError> {
    let mut records = Vec::new();
    let rec = e.images.resolve(name)?;
    let users = users_of(&rec.id);
    let mut removed_repo_ref = false;
    if !is_id_prefix(&rec.id, name) {
        let refs = parsed_refs(&rec);
        if !force
            && is_single_reference(&refs)
            && let Some(c) = users.running.as_ref().or(users.stopped.as_ref())
        {
            return Err(ApiError::conflict(format!(
                "conflict: unable to remove repository reference {name:?} (must force) - container {} is using its referenced image {}",
                short(c),
                short(rec.id.as_str())
            )));
        }
        let r = Reference::parse_normalized(name)?.with_default_tag();
        e.images.remove_ref(&r)?;
        records.push(DeleteItem::Untagged(r.familiar_string()));
        let mut rec = e
            .images
            .get(&rec.id)?
            .ok_or_else(|| ApiError::not_found(format!("No such image: {name}")))?;
        // With the last tag of a repository gone, its digest references go too.
        if r.digest().is_none() {
            let remaining = parsed_refs(&rec);
            let has_tag = remaining
                .iter()
                .any(|x| x.digest().is_none() && x.name() == r.name());
            if !has_tag {
                for x in remaining
                    .iter()
                    .filter(|x| x.digest().is_some() && x.name() == r.name())
                {
                    e.images.remove_ref(x)?;
                    records.push(DeleteItem::Untagged(x.familiar_string()));
                }
                rec = e
                    .images
                    .get(&rec.id)?
                    .ok_or_else(|| ApiError::not_found(format!("No such image: {name}")))?;
            }
        }
        if !rec.refs.is_empty() {
            return Ok(records);
        }
        removed_repo_ref = true;
    } else {
        let refs = parsed_refs(&rec);
        if is_single_reference(&refs) {
            let mask = if force { HARD } else { HARD | SOFT_STOPPED };
            if let Some(c) = check_conflict(e, &rec, &users, mask)? {
                return Err(conflict_error(&rec, c));
            }
            for r in refs {
                e.images.remove_ref(&r)?;
                records.push(DeleteItem::Untagged(r.familiar_string()));
            }
        }
    }
    delete_helper(
        e,
        &rec.id,
        &mut records,
        force,
        prune,
        removed_repo_ref,
        users_of,
    )?;
    Ok(records)
}

fn delete_helper(
    e: &Engine,
    id: &Digest,
    records: &mut Vec<DeleteItem>,
    force: bool,
    prune: bool,
    quiet: bool,
    users_of: &dyn Fn(&Digest) -> ImageUsers,
) -> Result<u64, ApiError> {
    let Some(rec) = e.images.get(id)? else {
        return Ok(0);
    };
    let users = users_of(id);
    let mask = if force {
        HARD
    } else {
        HARD | SOFT_REFS | SOFT_STOPPED
    };
    if let Some(c) = check_conflict(e, &rec, &users, mask)? {
        if quiet && (!rec.is_dangling() || c.used) {
            return Ok(0);
        }
        return Err(conflict_error(&rec, c));
    }
    for r in parsed_refs(&rec) {
        e.images.remove_ref(&r)?;
        records.push(DeleteItem::Untagged(r.familiar_string()));
    }
    let removal = e.images.delete(id)?;
    records.push(DeleteItem::Deleted(id.to_string()));
    records.extend(
        removal
            .layers
            .iter()
            .map(|l| DeleteItem::Deleted(l.to_string())),
    );
    let mut freed = removal.bytes;
    if prune && let Some(parent) = &rec.parent {
        freed += delete_helper(e, parent, records, false, true, true, users_of)?;
    }
    Ok(freed)
}

/// `docker image prune`: dangling images (or, with `dangling=false`, every image no container
/// uses), then anything left unreferenced on disk.
pub fn prune(
    e: &Engine,
    filters: &Filters,
    users_of: &dyn Fn(&Digest) -> ImageUsers,
) -> Result<ImagesPruneReport, ApiError> {
    filters
        .validate(&["dangling", "label", "label!", "until"])
        .map_err(ApiError::bad_request)?;
    let dangling_only = filters
        .bool_value("dangling")
        .map_err(ApiError::bad_request)?
        .unwrap_or(true);
    let until = match filters.get("until").first() {
        Some(u) => Some(parse_until(u)?),
        None => None,
    };
    let mut report = ImagesPruneReport::default();
    loop {
        let mut progress = false;
        for rec in e.images.list()? {
            if dangling_only && !rec.is_dangling() {
                continue;
            }
            if !e.images.children(&rec.id)?.is_empty() {
                continue;
            }
            let users = users_of(&rec.id);
            if users.running.is_some() || users.stopped.is_some() {
                continue;
            }
            if !matches_labels(&rec.labels, filters.get("label")) {
                continue;
            }
            if filters
                .get("label!")
                .iter()
                .any(|l| matches_labels(&rec.labels, std::slice::from_ref(l)))
            {
                continue;
            }
            if until.is_some_and(|u| rec.created >= u) {
                continue;
            }
            let mut items = Vec::new();
            match delete_helper(e, &rec.id, &mut items, true, true, false, users_of) {
                Ok(freed) => {
                    report.space_reclaimed += freed;
                    report.images_deleted.extend(items);
                    progress = true;
                }
                Err(err) if err.status == http::StatusCode::CONFLICT => continue,
                Err(err) => return Err(err),
            }
        }
        if !progress {
            break;
        }
    }
    report.space_reclaimed += e.images.collect_garbage()?;
    Ok(report)
}

pub fn not_found_is_404(e: ImageError) -> ApiError {
    e.into()
}
