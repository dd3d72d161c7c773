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
