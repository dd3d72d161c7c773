//! Looking at a stopped container's root filesystem from the daemon (`cp`, `export`, volume
//! copy-up) without mounting anything on the host: the rootfs is mounted in a private mount
//! namespace of a short-lived thread and disappears with it.

use std::path::{Path, PathBuf};

use rustix::mount::{MountFlags, MountPropagationFlags};
use rustix::thread::UnshareFlags;

use crate::error::Error;
use crate::rootfs::RootfsMount;
use crate::safepath::{Create, open_in_root, proc_fd_path};
use crate::sys;

/// A volume or bind mount to show in a view at its place in the container.
#[derive(Debug, Clone)]
pub struct ViewBind {
    pub source: PathBuf,
    /// The path in the container.
    pub destination: String,
    pub readonly: bool,
}

/// Mounts `m` on `target` in a private mount namespace of a new thread, runs `f` with the
/// mounted path there, and returns its result. Nothing is visible outside that thread; the
/// mount goes away when it ends.
pub fn with_rootfs_mounted<T, F>(m: &RootfsMount, target: &Path, f: F) -> Result<T, Error>
where
    T: Send,
    F: FnOnce(&Path) -> T + Send,
{
    with_container_view(m, target, &[], false, f)
}

/// As [`with_rootfs_mounted`], with `binds` mounted at their destinations inside the root
/// (resolved there, never outside), shallowest first, as the container sees them. Missing
/// mount points are created when `create_mountpoints` (the rootfs must then be writable);
/// otherwise a bind whose mount point is missing is left out.
pub fn with_container_view<T, F>(
    m: &RootfsMount,
    target: &Path,
    binds: &[ViewBind],
    create_mountpoints: bool,
    f: F,
) -> Result<T, Error>
where
    T: Send,
    F: FnOnce(&Path) -> T + Send,
{
    std::thread::scope(|s| {
        s.spawn(|| {
            // CLONE_FS with CLONE_NEWNS: this thread gets its own root, cwd and mount
            // namespace; the rest of the process is untouched.
            sys::unshare(UnshareFlags::FS | UnshareFlags::NEWNS)
                .map_err(|e| Error::sys("unshare(CLONE_FS|CLONE_NEWNS)", e))?;
            rustix::mount::mount_change(
                "/",
                MountPropagationFlags::DOWNSTREAM | MountPropagationFlags::REC,
            )
            .map_err(|e| Error::sys("make / rslave", e))?;
            m.mount_at(target)
                .map_err(|e| Error::sys(format!("mount rootfs on {}", target.display()), e))?;
            let mut binds: Vec<&ViewBind> = binds.iter().collect();
            binds.sort_by_key(|b| b.destination.split('/').filter(|c| !c.is_empty()).count());
            for b in binds {
                mount_bind_in(target, b, create_mountpoints)?;
            }
            Ok(f(target))
        })
        .join()
        .unwrap_or_else(|_| Err(Error::Spec("rootfs view thread panicked".into())))
    })
}

fn mount_bind_in(root: &Path, b: &ViewBind, create: bool) -> Result<(), Error> {
    let what = |op: &str| format!("{op} {} on {}", b.source.display(), b.destination);
    let root_fd = rustix::fs::open(
        root,
        rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| Error::sys(format!("opening {}", root.display()), e))?;
    let kind = match (create, b.source.is_dir()) {
        (false, _) => Create::Nothing,
        (true, true) => Create::Dir,
        (true, false) => Create::File,
    };
    let dest = match open_in_root(&root_fd, &b.destination, kind) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) if !create => return Ok(()),
        Err(e) => return Err(Error::sys(what("mount point for"), e)),
    };
    rustix::mount::mount_bind_recursive(&b.source, proc_fd_path(&dest).as_str())
        .map_err(|e| Error::sys(what("bind"), e))?;
    if b.readonly {
        // The descriptor names the directory under the new mount; a fresh lookup of the
        // path lands on the bind itself.
        let on_top = open_in_root(&root_fd, &b.destination, Create::Nothing)
            .map_err(|e| Error::sys(what("reopening"), e))?;
        rustix::mount::mount_remount(
            proc_fd_path(&on_top).as_str(),
            MountFlags::BIND | MountFlags::RDONLY,
            "",
        )
        .map_err(|e| Error::sys(what("read-only remount of"), e))?;
    }
    Ok(())
}
