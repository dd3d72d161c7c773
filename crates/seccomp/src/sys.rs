//! The two syscalls this crate makes. The only module with `unsafe`.
#![allow(unsafe_code)]

use crate::{BpfProgram, SeccompError};

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`: lets an unprivileged process load a filter.
pub fn set_no_new_privs() -> Result<(), SeccompError> {
    todo!()
}

/// Install `prog` on the calling thread with `seccomp(SECCOMP_SET_MODE_FILTER, flags)`.
/// Needs `no_new_privs` ([`set_no_new_privs`]) or `CAP_SYS_ADMIN`. Irreversible.
pub fn load(prog: &BpfProgram) -> Result<(), SeccompError> {
    let _ = prog;
    todo!()
}
