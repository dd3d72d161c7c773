//! Network namespaces for containers, made without mounts or helper processes.
//!
//! [`create`] makes a namespace on a short-lived thread (`unshare(CLONE_NEWNET)` affects only
//! the calling thread), brings its loopback up and returns a descriptor of it and a netlink
//! socket inside it. The runtime joins the namespace through `/proc/<pid>/fd/<n>` of that
//! descriptor; once the container's processes hold the namespace, the descriptor is dropped
//! and the namespace lives exactly as long as the container: when its last process exits the
//! kernel destroys it with the veth ends inside, which takes the host ends with them, so a
//! crash never leaks devices.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{Mode, OFlags};
use rustix::thread::LinkNameSpaceType;

use crate::NetError;
use crate::netlink::Socket;

/// A namespace made by [`create`]: a descriptor holding it and a netlink socket inside it.
pub struct Netns {
    pub fd: OwnedFd,
    pub nl: Socket,
}

impl Netns {
    /// The path other processes open to join the namespace while this value lives.
    pub fn path(&self) -> String {
        use std::os::fd::AsRawFd;
        format!("/proc/{}/fd/{}", std::process::id(), self.fd.as_raw_fd())
    }
}

fn open_ns(path: &Path) -> Result<OwnedFd, NetError> {
    rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| NetError::sys(&format!("opening {}", path.display()), e))
}

/// Makes a new network namespace with loopback up, then runs `inside` in it (to open sockets
/// that must belong to it) and returns its result with the namespace.
pub fn create<T, F>(inside: F) -> Result<(Netns, T), NetError>
where
    T: Send,
    F: FnOnce(&mut Socket) -> Result<T, NetError> + Send,
{
    std::thread::scope(|s| {
        s.spawn(|| {
            crate::sys::unshare_net().map_err(|e| NetError::sys("unshare(CLONE_NEWNET)", e))?;
            let fd = open_ns(Path::new("/proc/thread-self/ns/net"))?;
            let mut nl = Socket::open()?;
            nl.set_up("lo")?;
            let t = inside(&mut nl)?;
            Ok((Netns { fd, nl }, t))
        })
        .join()
        .map_err(|_| NetError::Thread)?
    })
}

/// Runs `inside` on a thread that joined the namespace `ns` (e.g. `/proc/<pid>/ns/net`).
pub fn enter<T, F>(ns: BorrowedFd<'_>, inside: F) -> Result<T, NetError>
where
    T: Send,
    F: FnOnce() -> Result<T, NetError> + Send,
{
    std::thread::scope(|s| {
        s.spawn(|| {
            rustix::thread::move_into_link_name_space(ns, Some(LinkNameSpaceType::Network))
                .map_err(|e| NetError::sys("setns(CLONE_NEWNET)", e))?;
            inside()
        })
        .join()
        .map_err(|_| NetError::Thread)?
    })
}

/// Opens a namespace file (`/proc/<pid>/ns/net`).
pub fn open(path: &Path) -> Result<OwnedFd, NetError> {
    open_ns(path)
}

/// Whether two descriptors name the same namespace.
pub fn same(a: BorrowedFd<'_>, b: BorrowedFd<'_>) -> bool {
    match (rustix::fs::fstat(a), rustix::fs::fstat(b)) {
        (Ok(x), Ok(y)) => x.st_ino == y.st_ino && x.st_dev == y.st_dev,
        _ => false,
    }
}

impl AsFd for Netns {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
