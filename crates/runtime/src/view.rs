//! Looking at a stopped container's root filesystem from the daemon (`cp`, `export`, volume
//! copy-up) without mounting anything on the host: the rootfs is mounted in a private mount
//! namespace of a short-lived thread and disappears with it.

use std::path::Path;

use rustix::mount::MountPropagationFlags;
use rustix::thread::UnshareFlags;

use crate::error::Error;
use crate::rootfs::RootfsMount;
use crate::sys;

/// Mounts `m` on `target` in a private mount namespace of a new thread, runs `f` with the
/// mounted path there, and returns its result. Nothing is visible outside that thread; the
/// mount goes away when it ends.
pub fn with_rootfs_mounted<T, F>(m: &RootfsMount, target: &Path, f: F) -> Result<T, Error>
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
            Ok(f(target))
        })
        .join()
        .unwrap_or_else(|_| Err(Error::Spec("rootfs view thread panicked".into())))
    })
}
