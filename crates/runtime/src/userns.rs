//! User namespaces: writing a process's id maps, a namespace that only carries a mapping (for
//! idmapped mounts made outside the container), and idmapped clones of directories.
//!
//! The container's root filesystem is an overlay mounted by the (host-root) caller whose
//! *lower* layers are idmapped clones of the image's directories: files owned by 0 on disk
//! appear owned by the mapped host uid, which is root inside the container. The upper
//! directory is not idmapped (overlayfs needs its creator's ids to be mappable on the upper
//! mount, and host root is not), so what the container writes lands on disk with the mapped
//! host ids, as with Docker's remapped layer store, and no layer is copied or chowned.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::mount::{OpenTreeFlags, open_tree};
use rustix::process::Pid;
use rustix::thread::UnshareFlags;

use crate::spec::IdMapping;
use crate::sys::{self, Forked};

/// The text of a `uid_map`/`gid_map` file.
pub fn map_text(maps: &[IdMapping]) -> String {
    maps.iter()
        .map(|m| format!("{} {} {}\n", m.container_id, m.host_id, m.size))
        .collect()
}

/// Write `pid`'s uid and gid maps. The writer is privileged in the parent namespace, so
/// `setgroups` stays allowed (the container needs it for supplementary groups).
pub fn write_maps(pid: Pid, uid: &[IdMapping], gid: &[IdMapping]) -> Result<(), (String, Errno)> {
    let pid = pid.as_raw_nonzero().get();
    for (file, maps) in [("uid_map", uid), ("gid_map", gid)] {
        let path = format!("/proc/{pid}/{file}");
        std::fs::write(&path, map_text(maps)).map_err(|e| {
            (
                format!("write {path}"),
                Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)),
            )
        })?;
    }
    Ok(())
}

/// Open `/proc/PID/ns/user`.
pub fn open_userns(pid: Pid) -> Result<OwnedFd, Errno> {
    rustix::fs::open(
        format!("/proc/{}/ns/user", pid.as_raw_nonzero()),
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// A user namespace with the given maps and no process in it: a short-lived child unshares
/// it, we write its maps and keep a descriptor, then the child exits.
pub fn detached(uid: &[IdMapping], gid: &[IdMapping]) -> Result<OwnedFd, (String, Errno)> {
    let (ready_r, ready_w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| ("pipe".into(), e))?;
    let (done_r, done_w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| ("pipe".into(), e))?;
    let pid = match sys::fork().map_err(|e| ("fork".to_string(), e))? {
        Forked::Child => {
            drop(ready_r);
            drop(done_w);
            let ok = sys::unshare(UnshareFlags::NEWUSER).is_ok();
            let _ = rustix::io::write(&ready_w, if ok { b"1" } else { b"0" });
            // Wait for the parent to have opened the namespace.
            let _ = rustix::io::read(&done_r, &mut [0u8; 1]);
            sys::exit_now(0)
        }
        Forked::Parent(pid) => pid,
    };
    drop(ready_w);
    drop(done_r);
    let result = (|| {
        let mut b = [0u8; 1];
        let n = rustix::io::read(&ready_r, &mut b).map_err(|e| ("read".to_string(), e))?;
        if n != 1 || b[0] != b'1' {
            return Err(("unshare(CLONE_NEWUSER)".to_string(), Errno::PERM));
        }
        write_maps(pid, uid, gid)?;
        open_userns(pid).map_err(|e| ("open user namespace".to_string(), e))
    })();
    drop(done_w);
    let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
    result
}

/// A detached clone of the mount at `path`, idmapped through `userns`.
pub fn idmapped_clone(path: &str, userns: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    let tree = open_tree(
        rustix::fs::CWD,
        path,
        OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC,
    )?;
    sys::set_idmap(tree.as_fd(), userns)?;
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_text_is_one_line_per_range() {
        let m = [
            IdMapping {
                container_id: 0,
                host_id: 100000,
                size: 65536,
            },
            IdMapping {
                container_id: 65536,
                host_id: 300000,
                size: 10,
            },
        ];
        assert_eq!(map_text(&m), "0 100000 65536\n65536 300000 10\n");
    }
}
