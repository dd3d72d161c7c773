//! The two syscalls this crate makes. The only module with `unsafe`.
#![allow(unsafe_code)]

use crate::{BpfProgram, SeccompError};

const SECCOMP_SET_MODE_FILTER: libc::c_uint = 1;

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
pub fn load(prog: &BpfProgram) -> Result<(), SeccompError> {
    let len = u16::try_from(prog.insns.len()).map_err(|_| SeccompError::TooLong {
        len: prog.insns.len(),
        max: crate::bpf::BPF_MAXINSNS,
    })?;
    let filters: Vec<libc::sock_filter> = prog
        .insns
        .iter()
        .map(|f| libc::sock_filter {
            code: f.code,
            jt: f.jt,
            jf: f.jf,
            k: f.k,
        })
        .collect();
    let fprog = libc::sock_fprog {
        len,
        filter: filters.as_ptr().cast_mut(),
    };
    // SAFETY: `fprog` points at `filters`, `len` entries long, both alive for the whole
    // call; the kernel copies the program and keeps no pointer to it.
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
