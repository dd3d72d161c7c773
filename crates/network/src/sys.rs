//! The one syscall rustix does not wrap safely. The only module with `unsafe`.
#![allow(unsafe_code)]

use rustix::io::Errno;
use rustix::thread::UnshareFlags;

/// Moves the calling thread into a new, empty network namespace.
pub fn unshare_net() -> Result<(), Errno> {
    // SAFETY: rustix marks unshare unsafe only because of CLONE_FILES (threads observing file
    // descriptors from an unshared table); CLONE_NEWNET changes no memory or descriptor state
    // of the process, only which network namespace this thread's new sockets belong to.
    unsafe { rustix::thread::unshare_unsafe(UnshareFlags::NEWNET) }
}

/// `SIOCOUTQ`: bytes this end wrote that the peer has not read yet (unix sockets) or that are
/// not yet acknowledged (TCP). Same number as `TIOCOUTQ` on these architectures.
#[cfg(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "aarch64",
    target_arch = "arm",
    target_arch = "riscv64"
))]
const SIOCOUTQ: rustix::ioctl::Opcode = 0x5411;

/// How many bytes written to the socket `fd` its peer has not taken yet.
pub fn unread_by_peer(fd: std::os::fd::BorrowedFd<'_>) -> Result<usize, Errno> {
    // SAFETY: SIOCOUTQ writes one C int into the output the Getter provides.
    let n = unsafe {
        rustix::ioctl::ioctl(
            fd,
            rustix::ioctl::Getter::<SIOCOUTQ, std::ffi::c_int>::new(),
        )?
    };
    Ok(n.max(0) as usize)
}
