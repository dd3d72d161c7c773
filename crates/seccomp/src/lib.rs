//! Seccomp: Docker's default profile, its reduction to an OCI `linux.seccomp` section,
//! compilation of that section to classic BPF, and loading it into the calling thread.
//!
//! Flow on container start (in the runtime):
//! ```text
//! let oci = to_oci(&default_profile(), &caps, Arch::native());   // spec creation
//! let prog = compile_oci(&oci)?;                                   // before fork/exec
//! load(&prog)?;                                                   // in the child, last step before execve
//! ```
//! [`load`] needs `no_new_privs` set ([`set_no_new_privs`]) or `CAP_SYS_ADMIN`.

mod arch;
mod bpf;
mod compile;
mod default_profile;

mod error;
mod oci;
mod profile;
mod sys;
mod tables;

pub use arch::Arch;
pub use bpf::{BpfProgram, SockFilter};
pub use compile::compile_oci;
pub use default_profile::default_profile;
pub use error::SeccompError;
pub use oci::{KernelVersion, to_oci, to_oci_for_kernel};
pub use profile::{Action, ArchMap, Arg, CmpOp, Filter, Profile, Syscall};
pub use sys::{load, set_no_new_privs};
