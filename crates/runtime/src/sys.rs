//! The raw syscalls rustix does not wrap safely. The only module with `unsafe`.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString};

use rustix::io::Errno;
use rustix::process::Pid;
use rustix::thread::UnshareFlags;

/// Result of [`fork`].
pub enum Forked {
    Parent(Pid),
    Child,
}

/// `fork()` through libc, so libc's at-fork handlers keep its locks (malloc, stdio) usable
/// in the child even when the caller has other threads.
pub fn fork() -> Result<Forked, Errno> {
    // SAFETY: fork has no memory-safety preconditions. The child only runs code that
    // tolerates a copied address space (our setup then execve or _exit), and glibc's
    // at-fork handlers reinitialise malloc's locks, so allocating in the child is sound.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(Errno::from_raw_os_error(
            std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        )),
        0 => Ok(Forked::Child),
        p => Ok(Forked::Parent(Pid::from_raw(p).ok_or(Errno::INVAL)?)),
    }
}

/// `unshare(flags)` for the calling thread.
pub fn unshare(flags: UnshareFlags) -> Result<(), Errno> {
    debug_assert!(!flags.contains(UnshareFlags::FILES));
    // SAFETY: the only hazard rustix documents is CLONE_FILES (threads observing fds from an
    // unshared table); we never pass it.
    unsafe { rustix::thread::unshare_unsafe(flags) }
}

/// Leave the process immediately without running atexit handlers or flushing buffers
/// shared with the parent.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit is always safe to call; it never returns.
    unsafe { libc::_exit(code) }
}

/// Restore default dispositions for every catchable signal and unblock all signals, so the
/// container's command does not inherit the caller's (Rust ignores SIGPIPE, for one).
pub fn reset_signals() {
    for sig in 1..libc::SIGRTMAX() {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        // SAFETY: setting SIG_DFL installs no handler and touches no memory of ours.
        unsafe { libc::signal(sig, libc::SIG_DFL) };
    }
    // SAFETY: `set` is a valid, initialised sigset_t on our stack; sigprocmask only reads it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }
}

/// Mark every descriptor from `first` on close-on-exec (`close_range(first, ~0, CLOEXEC)`),
/// so nothing the caller holds leaks into the container.
pub fn cloexec_from(first: u32) -> Result<(), Errno> {
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only changes fd flags; no fd is closed,
    // so no OwnedFd in this process is invalidated.
    let r = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if r == -1 {
        Err(Errno::from_raw_os_error(last_errno()))
    } else {
        Ok(())
    }
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// `execve(path, argv, envp)`; returns only on failure.
pub fn execve(path: &CStr, argv: &[CString], envp: &[CString]) -> Errno {
    let mut av: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    av.push(std::ptr::null());
    let mut ev: Vec<*const libc::c_char> = envp.iter().map(|e| e.as_ptr()).collect();
    ev.push(std::ptr::null());
    // SAFETY: `path`, every argv/envp entry are NUL-terminated C strings that outlive the
    // call, and both arrays end with a null pointer as execve requires.
    unsafe { libc::execve(path.as_ptr(), av.as_ptr(), ev.as_ptr()) };
    Errno::from_raw_os_error(last_errno())
}

/// `struct mount_attr` of `mount_setattr(2)`.
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// Make the detached mount `tree` idmapped through the user namespace `userns`
/// (`mount_setattr(MOUNT_ATTR_IDMAP)`, which rustix does not wrap).
pub fn set_idmap(
    tree: std::os::fd::BorrowedFd<'_>,
    userns: std::os::fd::BorrowedFd<'_>,
) -> Result<(), Errno> {
    use std::os::fd::AsRawFd;
    let attr = MountAttr {
        attr_set: libc::MOUNT_ATTR_IDMAP,
        attr_clr: 0,
        propagation: 0,
        userns_fd: userns.as_raw_fd() as u64,
    };
    // SAFETY: `attr` is a valid mount_attr on our stack whose size we pass; the kernel only
    // reads it. The empty path with AT_EMPTY_PATH names `tree` itself.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            tree.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if r == -1 {
        Err(Errno::from_raw_os_error(last_errno()))
    } else {
        Ok(())
    }
}

/// Make the detached mount `tree` read-only.
pub fn set_mount_readonly(tree: std::os::fd::BorrowedFd<'_>) -> Result<(), Errno> {
    use std::os::fd::AsRawFd;
    let attr = MountAttr {
        attr_set: libc::MOUNT_ATTR_RDONLY,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: as in `set_idmap`.
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            tree.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH | libc::AT_RECURSIVE,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if r == -1 {
        Err(Errno::from_raw_os_error(last_errno()))
    } else {
        Ok(())
    }
}
