//! The two syscalls this crate makes. The only module with `unsafe`.
#![allow(unsafe_code)]

use crate::{BpfProgram, SeccompError};

const SECCOMP_SET_MODE_FILTER: libc::c_uint = 1;

const _: () = {
    assert!(size_of::<crate::SockFilter>() == size_of::<libc::sock_filter>());
    assert!(align_of::<crate::SockFilter>() == align_of::<libc::sock_filter>());
};

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`: lets a process without `CAP_SYS_ADMIN` load a
/// filter. Inherited across fork and execve; cannot be undone.
pub fn set_no_new_privs() -> Result<(), SeccompError> {
    // SAFETY: prctl with integer arguments only; no memory is passed to the kernel.
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if rc != 0 {
        return Err(SeccompError::Sys {
            call: "prctl(PR_SET_NO_NEW_PRIVS)",
            errno: std::io::Error::last_os_error(),
        });
    }
    Ok(())
}

/// Install `prog` on the calling thread (all threads with the TSYNC flag) with
/// `seccomp(SECCOMP_SET_MODE_FILTER, flags)`. Needs `no_new_privs`
/// ([`set_no_new_privs`]) or `CAP_SYS_ADMIN` in the caller's user namespace, else
/// EACCES. Irreversible; call it last before `execve`, which must itself be allowed.
/// Allocation-free, so it is safe to call in a child between `fork` and `execve`.
pub fn load(prog: &BpfProgram) -> Result<(), SeccompError> {
    let len = u16::try_from(prog.insns.len()).map_err(|_| SeccompError::TooLong {
        len: prog.insns.len(),
        max: crate::bpf::BPF_MAXINSNS,
    })?;
    let fprog = libc::sock_fprog {
        len,
        // `SockFilter` is `#[repr(C)]` with the fields of `struct sock_filter`.
        filter: prog.insns.as_ptr().cast::<libc::sock_filter>().cast_mut(),
    };
    // SAFETY: `fprog` points at `prog.insns`, `len` entries of a layout identical to
    // `struct sock_filter`, alive for the whole call; the kernel only reads it, copies it
    // and keeps no pointer to it.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            SECCOMP_SET_MODE_FILTER,
            prog.flags as libc::c_uint,
            &fprog as *const libc::sock_fprog,
        )
    };
    if rc != 0 {
        return Err(SeccompError::Sys {
            call: "seccomp(SECCOMP_SET_MODE_FILTER)",
            errno: std::io::Error::last_os_error(),
        });
    }
    Ok(())
}
