//! `RUN --mount`: what each mount contributes to the step's cache key, and the host side of
//! each mount (a persistent cache directory, a read-only copy of context or stage files, a
//! tmpfs, a secret file), described as OCI mounts for the runtime to perform.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use wharf_digest::Digest;
use wharf_dockerfile::instructions::{FromRef, Mount, MountType, ShareMode};
use wharf_runtime::spec::Mount as SpecMount;

use crate::copy::{self, SourceTree};
use crate::error::StepError;
use crate::exec::Shared;
use crate::fsview::{self, LayerView};
use crate::run::Stub;
use crate::stage::image_view;
use crate::users::RunUser;

/// A mount's part of the cache key.
#[derive(Default)]
pub struct MountInputs {
    pub describe: String,
    pub sources: Vec<(String, String)>,
}

/// Host-side preparations, alive while the step runs.
pub struct Prepared {
    pub mounts: Vec<SpecMount>,
    pub stubs: Vec<Stub>,
    pub env: Vec<String>,
    /// Locks held for `sharing=locked` caches.
    _locks: Vec<File>,
}

fn source_tree<'a>(
    sh: &'a Shared<'a>,
    index: usize,
    from: &str,
) -> Result<SourceTree<'a>, StepError> {
    if from.is_empty() {
        return Ok(SourceTree::Context(sh.ctx));
    }
    let img = match sh
        .df
        .resolve_from(from)
        .map_err(|e| StepError::msg(e.to_string()))?
    {
        FromRef::Stage(i) if i < index => sh.wait_stage(i).ok_or(StepError::Cancelled)?,
        FromRef::Stage(_) => {
            return Err(StepError::msg(format!(
                "mount from stage {from} must refer to an earlier stage"
            )));
        }
        FromRef::Image(name) => sh.resolve_image(&name, None, &sh.out.stage(usize::MAX))?,
    };
    Ok(SourceTree::Image {
        view: image_view(&sh.b.store, &img)?,
        id: img.id_string(),
    })
}

/// What the mounts add to the step's cache key: their settings, and for binds the contents.
pub fn inputs(sh: &Shared<'_>, index: usize, mounts: &[Mount]) -> Result<MountInputs, StepError> {
    let mut out = MountInputs::default();
    for m in mounts {
        out.describe.push_str(&format!(
            "mount type={} target={} source={} from={} ro={} id={} sharing={:?} size={} mode={:?} uid={:?} gid={:?} env={:?};",
            m.kind.as_str(),
            m.target,
            m.source,
            m.from,
            m.read_only,
            m.cache_id,
            m.sharing,
            m.size_limit,
            m.mode,
            m.uid,
            m.gid,
            m.env
        ));
        match m.kind {
            MountType::Ssh => {
                return Err(StepError::msg(
                    "ssh mounts are not supported by this engine",
                ));
            }
            MountType::Bind => {
                let tree = source_tree(sh, index, &m.from)?;
                let src = if m.source.is_empty() {
                    ".".to_string()
                } else {
                    m.source.clone()
                };
                let plan = copy::plan("RUN --mount", &tree, &[src], Vec::new(), "/", &[])?;
                out.sources.extend(plan.sources);
            }
            _ => {}
        }
    }
    Ok(out)
}

fn bind(dest: &str, source: &Path, ro: bool) -> SpecMount {
    let mut options = vec!["rbind".to_string()];
    options.push(if ro { "ro" } else { "rw" }.to_string());
    SpecMount {
        destination: dest.to_string(),
        typ: "bind".into(),
        source: source.display().to_string(),
        options,
    }
}

fn cache_dir(sh: &Shared<'_>, m: &Mount) -> Result<PathBuf, StepError> {
    let id = if m.cache_id.is_empty() {
        &m.target
    } else {
        &m.cache_id
    };
    let dir =
        sh.b.cache_mounts
            .join(&Digest::sha256_of(id.as_bytes()).hex()[..32]);
    if !dir.exists() {
        fs::create_dir_all(&dir)?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(m.mode.unwrap_or(0o755)))?;
        fsview::chown(&dir, (m.uid.unwrap_or(0), m.gid.unwrap_or(0)))?;
    }
    Ok(dir)
}

/// Prepares every mount of a RUN step under `work` (removed by the caller afterwards), and the
/// heredoc scripts run as files.
pub fn prepare(
    sh: &Shared<'_>,
    mounts: &[Mount],
    work: &Path,
    user: &RunUser,
    scripts: &[(String, Vec<u8>)],
) -> Result<Prepared, StepError> {
    let _ = user;
    let mut p = Prepared {
        mounts: Vec::new(),
        stubs: Vec::new(),
        env: Vec::new(),
        _locks: Vec::new(),
    };
    fs::create_dir_all(work)?;
    for (i, m) in mounts.iter().enumerate() {
        match m.kind {
            MountType::Cache => {
                let dir = cache_dir(sh, m)?;
                if m.sharing == Some(ShareMode::Locked) {
                    let lock = File::create(dir.with_extension("lock"))?;
                    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
                        .map_err(std::io::Error::from)?;
                    p._locks.push(lock);
                }
                p.mounts.push(bind(&m.target, &dir, m.read_only));
                p.stubs.push(Stub {
                    path: m.target.clone(),
                    dir: true,
                });
            }
            MountType::Tmpfs => {
                let mut options = vec!["nosuid".to_string(), "nodev".to_string()];
                if m.size_limit > 0 {
                    options.push(format!("size={}", m.size_limit));
                }
                p.mounts.push(SpecMount {
                    destination: m.target.clone(),
                    typ: "tmpfs".into(),
                    source: "tmpfs".into(),
                    options,
                });
                p.stubs.push(Stub {
                    path: m.target.clone(),
                    dir: true,
                });
            }
            MountType::Bind => {
                let tree = source_tree(sh, usize::MAX, &m.from)?;
                let src = if m.source.is_empty() {
                    ".".to_string()
                } else {
                    m.source.clone()
                };
                let dir = work.join(format!("bind-{i}"));
                fs::create_dir_all(&dir)?;
                let target = LayerView::new(vec![dir.clone()]);
                let plan = copy::plan("RUN --mount", &tree, &[src], Vec::new(), "/", &[])?;
                copy::apply(
                    &plan,
                    &tree,
                    &target,
                    &copy::Options {
                        chown: None,
                        owner: None,
                        chmod: None,
                        unpack: false,
                        exclude: &[],
                        parents: false,
                    },
                )?;
                // A single file source lands as `/<name>` in the copy.
                let entries: Vec<_> = fs::read_dir(&dir)?.flatten().collect();
                let single_file = entries.len() == 1
                    && entries[0].file_type().map(|t| t.is_file()).unwrap_or(false)
                    && matches!(
                        &plan.items[..],
                        [copy::Item::Ctx { .. } | copy::Item::Img { .. }]
                    )
                    && !is_dir_source(&tree, &plan);
                let (source, is_dir) = if single_file {
                    (entries[0].path(), false)
                } else {
                    (dir.clone(), true)
                };
                p.mounts.push(bind(&m.target, &source, m.read_only));
                p.stubs.push(Stub {
                    path: m.target.clone(),
                    dir: is_dir,
                });
            }
            MountType::Secret => {
                let id = if m.cache_id.is_empty() {
                    m.target.rsplit('/').next().unwrap_or("").to_string()
                } else {
                    m.cache_id.clone()
                };
                let Some(data) = sh.req.secrets.get(&id) else {
                    if m.required {
                        return Err(StepError::msg(format!("secret {id}: not found")));
                    }
                    continue;
                };
                if let Some(var) = &m.env {
                    p.env
                        .push(format!("{var}={}", String::from_utf8_lossy(data)));
                    if m.target.is_empty() {
                        continue;
                    }
                }
                let target = if m.target.is_empty() {
                    format!("/run/secrets/{id}")
                } else {
                    m.target.clone()
                };
                let f = work.join(format!("secret-{i}"));
                fs::write(&f, data)?;
                fs::set_permissions(&f, fs::Permissions::from_mode(m.mode.unwrap_or(0o400)))?;
                fsview::chown(&f, (m.uid.unwrap_or(0), m.gid.unwrap_or(0)))?;
                p.mounts.push(bind(&target, &f, true));
                p.stubs.push(Stub {
                    path: target,
                    dir: false,
                });
            }
            MountType::Ssh => {
                return Err(StepError::msg(
                    "ssh mounts are not supported by this engine",
                ));
            }
        }
    }
    for (i, (path, data)) in scripts.iter().enumerate() {
        let f = work.join(format!("heredoc-{i}"));
        fs::write(&f, data)?;
        fs::set_permissions(&f, fs::Permissions::from_mode(0o755))?;
        p.mounts.push(bind(path, &f, true));
    }
    Ok(p)
}

fn is_dir_source(tree: &SourceTree<'_>, plan: &copy::Plan) -> bool {
    match (tree, plan.items.first()) {
        (SourceTree::Context(ctx), Some(copy::Item::Ctx { rel, .. })) => {
            ctx.get(rel).is_some_and(|e| e.is_dir())
        }
        (SourceTree::Image { view, .. }, Some(copy::Item::Img { rel, .. })) => {
            view.lstat(rel).is_some_and(|f| f.meta.is_dir())
        }
        _ => false,
    }
}
