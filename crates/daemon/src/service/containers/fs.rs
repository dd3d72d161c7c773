//! The container's filesystem from the outside: `diff`, `export`, `cp` both ways (archive
//! stat/get/put), and volume copy-up at create.
//!
//! Reading uses a read-only overlay of the container's layers (its upper directory on top),
//! mounted by the runtime in a thread's private mount namespace: nothing is mounted on the
//! host, and it works whether the container runs or not. Writing into a running container goes
//! through `/proc/<pid>/root`, so the files land in its live rootfs (and its volumes). Paths
//! given by the client are resolved inside the container's root (`RESOLVE_IN_ROOT`).

use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags, ResolveFlags};
use wharf_api::container::{ChangeItem, PathStat, file_mode};

use super::layer::Layer;
use super::record::ContainerRecord;
use crate::engine::Engine;
use crate::error::ApiError;

/// Paths the runtime creates as mount points in every container (Docker keeps them in an
/// "init" layer, so they never show in `diff`).
const INIT_PATHS: &[&str] = &[
    "/proc",
    "/sys",
    "/dev",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/etc/mtab",
    "/.dockerenv",
];

fn internal(what: &str) -> impl Fn(wharf_runtime::Error) -> ApiError + '_ {
    move |e| ApiError::internal(format!("{what}: {e}"))
}

/// Runs `f` on a read-only view of a container's tree.
pub fn with_read_view<T: Send>(
    layer: &Layer,
    mountpoint: &Path,
    f: impl FnOnce(&Path) -> Result<T, ApiError> + Send,
) -> Result<T, ApiError> {
    let m = layer.read_only_mount();
    wharf_runtime::with_rootfs_mounted(&m, mountpoint, f)
        .map_err(internal("mounting the container's filesystem"))?
}

/// The container's volumes and bind mounts, to show in a view of a stopped container.
fn view_binds(e: &Engine, rec: &ContainerRecord) -> Vec<wharf_runtime::ViewBind> {
    rec.mounts
        .iter()
        .filter(|m| matches!(m.kind.as_str(), "volume" | "bind"))
        .map(|m| wharf_runtime::ViewBind {
            source: PathBuf::from(super::spec::mount_source(m, &e.volumes)),
            destination: m.destination.clone(),
            readonly: !m.rw,
        })
        .collect()
}

/// The path of a running container's live root (with its volumes), if it runs.
fn live_root(rec: &ContainerRecord) -> Option<PathBuf> {
    (rec.state.status.is_alive() && rec.state.pid > 0)
        .then(|| PathBuf::from(format!("/proc/{}/root", rec.state.pid)))
}

/// Runs `f` on what `cp` reads, as dockerd shows it: the container's files with its volumes
/// and bind mounts in place (the live root of a running container).
fn with_archive_view<T: Send>(
    e: &Engine,
    rec: &ContainerRecord,
    f: impl FnOnce(&Path) -> Result<T, ApiError> + Send,
) -> Result<T, ApiError> {
    // A remapped container's live root shows host ids through its idmapped mounts; its
    // layers (which `merged_view_ids` translates) are read instead.
    if let Some(root) = live_root(rec).filter(|_| super::uses_remap(e, &rec.host_config).is_none())
    {
        return f(&root);
    }
    let m = super::layer::of(e, rec)?.read_only_mount();
    let target = e.containers.dir(&rec.id).join("rootfs");
    wharf_runtime::with_container_view(&m, &target, &view_binds(e, rec), false, f)
        .map_err(internal("mounting the container's filesystem"))?
}

/// Runs `f` on a writable view: the live rootfs of a running container, or the snapshot
/// mounted read-write, with its volumes and bind mounts, for a stopped one.
fn with_write_view<T: Send>(
    e: &Engine,
    rec: &ContainerRecord,
    f: impl FnOnce(&Path) -> Result<T, ApiError> + Send,
) -> Result<T, ApiError> {
    if let Some(root) = live_root(rec) {
        return f(&root);
    }
    let m = super::layer::of(e, rec)?.mount();
    let target = e.containers.dir(&rec.id).join("rootfs");
    wharf_runtime::with_container_view(&m, &target, &view_binds(e, rec), true, f)
        .map_err(internal("mounting the container's filesystem"))?
}

/// Normalises a container path (absolute, no `.`/`..` escaping the root).
fn clean(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            x => out.push(x),
        }
    }
    format!("/{}", out.join("/"))
}

/// Opens the parent directory of `path` inside `root` (symlinks resolved as the container
/// sees them) and returns it with the final name.
fn resolve_parent(root: &Path, path: &str) -> Result<(OwnedFd, String), ApiError> {
    let path = clean(path);
    let (parent, name) = match path.rsplit_once('/') {
        Some(("", "")) | None => ("/".to_string(), ".".to_string()),
        Some(("", n)) => ("/".to_string(), n.to_string()),
        Some((p, n)) => (p.to_string(), n.to_string()),
    };
    let root_fd = rustix::fs::open(
        root,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| ApiError::internal(format!("opening the container's root: {e}")))?;
    let rel = parent.trim_start_matches('/');
    let rel = if rel.is_empty() { "." } else { rel };
    let fd = rustix::fs::openat2(
        &root_fd,
        rel,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
    )
    .map_err(|_| not_found_path(&path))?;
    Ok((fd, name))
}

fn fd_path(fd: &OwnedFd, name: &str) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}/{name}", fd.as_raw_fd()))
}

fn not_found_path(p: &str) -> ApiError {
    ApiError::not_found(format!("Could not find the file {p} in container"))
}

fn go_mode(m: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::FileTypeExt;
    let ft = m.file_type();
    let mut mode = m.mode() & 0o777;
    if ft.is_dir() {
        mode |= file_mode::DIR;
    } else if ft.is_symlink() {
        mode |= file_mode::SYMLINK;
    } else if ft.is_block_device() {
        mode |= file_mode::DEVICE;
    } else if ft.is_char_device() {
        mode |= file_mode::DEVICE | file_mode::CHAR_DEVICE;
    } else if ft.is_fifo() {
        mode |= file_mode::NAMED_PIPE;
    } else if ft.is_socket() {
        mode |= file_mode::SOCKET;
    }
    let raw = m.mode();
    if raw & 0o4000 != 0 {
        mode |= file_mode::SETUID;
    }
    if raw & 0o2000 != 0 {
        mode |= file_mode::SETGID;
    }
    if raw & 0o1000 != 0 {
        mode |= file_mode::STICKY;
    }
    mode
}

fn stat_at(root: &Path, path: &str) -> Result<PathStat, ApiError> {
    let (dir, name) = resolve_parent(root, path)?;
    let p = fd_path(&dir, &name);
    let m = std::fs::symlink_metadata(&p).map_err(|_| not_found_path(&clean(path)))?;
    let link_target = if m.file_type().is_symlink() {
        std::fs::read_link(&p)
            .map(|t| t.display().to_string())
            .unwrap_or_default()
    } else {
        String::new()
    };
    let mtime =
        wharf_units::Timestamp::from_unix_normalized(m.mtime(), m.mtime_nsec()).to_rfc3339_nano();
    Ok(PathStat {
        name: if name == "." { "/".into() } else { name },
        size: m.len() as i64,
        mode: go_mode(&m),
        mtime,
        link_target,
    })
}

/// `HEAD /containers/{id}/archive`.
pub fn archive_stat(e: &Engine, rec: &ContainerRecord, path: &str) -> Result<PathStat, ApiError> {
    with_archive_view(e, rec, |root| stat_at(root, path))
}

/// Archive options for reading a container's merged view: a remapped container's own
/// files are shown with the container's ids, as its processes see them.
fn merged_view_ids(e: &Engine, rec: &ContainerRecord) -> wharf_archive::WriteOptions {
    wharf_archive::WriteOptions {
        id_map: super::disk_id_map(e, &rec.host_config),
        keep_unmapped_ids: true,
        ..Default::default()
    }
}

/// `GET /containers/{id}/archive`: the stat, then the tar of the path written to `out`.
pub fn archive_get(
    e: &Engine,
    rec: &ContainerRecord,
    path: &str,
    stat_ready: impl FnOnce(Result<PathStat, ApiError>) -> Option<Box<dyn Write + Send>> + Send,
) -> Result<(), ApiError> {
    with_archive_view(e, rec, |root| {
        let st = stat_at(root, path);
        let ok = st.is_ok();
        let name = st.as_ref().map(|s| s.name.clone()).unwrap_or_default();
        let Some(mut out) = stat_ready(st) else {
            return Ok(());
        };
        if !ok {
            return Ok(());
        }
        let (dir, fname) = resolve_parent(root, path)?;
        let as_name = if name == "/" { ".".to_string() } else { name };
        let r = wharf_archive::write_path(
            &fd_path(&dir, &fname),
            as_name.as_bytes(),
            &mut out,
            &merged_view_ids(e, rec),
        );
        if let Err(err) = r {
            tracing::warn!(error = %err, "archive of a container path failed mid-stream");
        }
        let _ = out.flush();
        Ok(())
    })
}

/// `PUT /containers/{id}/archive`: unpacks a tar into a directory of the container.
pub fn archive_put(
    e: &Engine,
    rec: &ContainerRecord,
    path: &str,
    body: impl std::io::Read + Send,
    no_overwrite_dir_non_dir: bool,
) -> Result<(), ApiError> {
    if rec.host_config.readonly_rootfs {
        return Err(ApiError::new(
            http::StatusCode::FORBIDDEN,
            "container rootfs is marked read-only",
        ));
    }
    let _ = no_overwrite_dir_non_dir;
    with_write_view(e, rec, |root| {
        let (dir, name) = resolve_parent(root, path)?;
        let target = fd_path(&dir, &name);
        let m = std::fs::metadata(&target).map_err(|_| not_found_path(&clean(path)))?;
        if !m.is_dir() {
            return Err(ApiError::bad_request("extraction point is not a directory"));
        }
        let dest = rustix::fs::open(
            &target,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|err| ApiError::internal(format!("opening {path}: {err}")))?;
        let dest_path = PathBuf::from(format!("/proc/self/fd/{}", dest.as_raw_fd()));
        let opts = wharf_archive::ApplyOptions {
            // Owners as the container sees them: its ids shifted into the remapped range.
            id_map: super::disk_id_map(e, &rec.host_config),
            whiteouts: wharf_archive::Whiteouts::Remove,
            ignore_xattr_errors: true,
        };
        wharf_archive::apply_layer(body, &dest_path, &opts)
            .map_err(|err| ApiError::bad_request(format!("extracting into {path}: {err}")))?;
        Ok(())
    })
}

/// `GET /containers/{id}/export`: the whole filesystem as a tar.
pub fn export(
    e: &Engine,
    rec: &ContainerRecord,
    out: &mut (dyn Write + Send),
) -> Result<(), ApiError> {
    let mp = e.containers.dir(&rec.id).join("rootfs");
    with_read_view(&super::layer::of(e, rec)?, &mp, |root| {
        wharf_archive::write_tree(root, out, &merged_view_ids(e, rec))
            .map(|_| ())
            .map_err(|err| ApiError::internal(format!("exporting: {err}")))
    })
}

/// `GET /containers/{id}/changes`.
pub fn diff(e: &Engine, rec: &ContainerRecord) -> Result<Vec<ChangeItem>, ApiError> {
    let layer = super::layer::of(e, rec)?;
    // With the copying driver the upper directory is a full tree and the image's top layer
    // too: comparing the two gives the same answer.
    let lowers: Vec<&Path> = if layer.full_tree {
        layer.lowers.iter().take(1).map(PathBuf::as_path).collect()
    } else {
        layer.lowers.iter().map(PathBuf::as_path).collect()
    };
    let changes = wharf_archive::changes(&layer.upper, &lowers)
        .map_err(|err| ApiError::internal(err.to_string()))?;
    let mounts: Vec<String> = rec.mounts.iter().map(|m| m.destination.clone()).collect();
    let hidden = |p: &str| INIT_PATHS.contains(&p) || mounts.iter().any(|m| m == p);
    let all: Vec<(String, u8)> = changes
        .iter()
        .map(|c| (c.path.display().to_string(), c.kind as u8))
        .collect();
    let mut out = Vec::new();
    for (p, kind) in &all {
        if hidden(p) {
            continue;
        }
        // A directory changed only because a hidden mount point was created in it.
        if *kind == 0 {
            let prefix = format!("{}/", p.trim_end_matches('/'));
            let children: Vec<&String> = all
                .iter()
                .map(|(c, _)| c)
                .filter(|c| c.starts_with(&prefix))
                .collect();
            let only_hidden_children = !children.is_empty() && children.iter().all(|c| hidden(c));
            let has_hidden_child = INIT_PATHS
                .iter()
                .chain(mounts.iter().map(|s| s.as_str()).collect::<Vec<_>>().iter())
                .any(|h| h.starts_with(&prefix));
            if only_hidden_children || (children.is_empty() && has_hidden_child) {
                continue;
            }
        }
        out.push(ChangeItem {
            path: p.to_string(),
            kind: *kind,
        });
    }
    Ok(out)
}

/// Copies image content at each destination into a new (empty) volume, as dockerd does on
/// create, including the directory's own owner and mode.
pub fn copy_up(
    layer: &Layer,
    container_dir: &Path,
    targets: &[(String, PathBuf)],
) -> Result<(), ApiError> {
    let mp = container_dir.join("rootfs");
    with_read_view(layer, &mp, |root| {
        for (dst, vol) in targets {
            let Ok((dir, name)) = resolve_parent(root, dst) else {
                continue;
            };
            let src = fd_path(&dir, &name);
            let Ok(meta) = std::fs::metadata(&src) else {
                continue;
            };
            if !meta.is_dir() {
                continue;
            }
            copy_tree(&src, vol)?;
            let _ = std::os::unix::fs::chown(vol, Some(meta.uid()), Some(meta.gid()));
            let _ = std::fs::set_permissions(
                vol,
                std::os::unix::fs::PermissionsExt::from_mode(meta.mode() & 0o7777),
            );
        }
        Ok(())
    })
}

pub fn copy_tree(src: &Path, dst: &Path) -> Result<(), ApiError> {
    let (reader, writer) = std::io::pipe().map_err(|err| ApiError::internal(err.to_string()))?;
    let src = src.to_path_buf();
    let producer =
        std::thread::spawn(move || wharf_archive::write_tree(&src, writer, &Default::default()));
    let opts = wharf_archive::ApplyOptions {
        whiteouts: wharf_archive::Whiteouts::Remove,
        ignore_xattr_errors: true,
        ..Default::default()
    };
    let applied = wharf_archive::apply_layer(reader, dst, &opts);
    let produced = producer
        .join()
        .map_err(|_| ApiError::internal("copy thread panicked"))?;
    produced.map_err(|err| ApiError::internal(format!("copying volume content: {err}")))?;
    applied
        .map(|_| ())
        .map_err(|err| ApiError::internal(format!("copying volume content: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_paths_are_cleaned_within_the_root() {
        assert_eq!(clean("../../etc/./passwd"), "/etc/passwd");
        assert_eq!(clean("/"), "/");
        assert_eq!(clean("a//b/"), "/a/b");
    }
}
