//! OCI runtime: spec types, the built-in executor, and external runtimes (runc, crun).
//!
//! * [`spec`]: serde types for the OCI runtime-spec subset Docker writes.
//! * [`defaults`] and [`SpecBuilder`]: Docker's default spec and container settings on top.
//! * [`Runtime`]: the seam the shim uses; [`Builtin`] forks and sets up containers itself,
//!   [`External`] drives `runc` or `crun` with a bundle.

pub mod builder;
mod builtin;
pub mod caps;
mod child;
mod console;
pub mod defaults;
mod error;
mod external;
mod lookup;
pub mod mountopts;
mod process;
pub mod rlimit;
mod rootfs;
mod runtime;
mod safepath;
pub mod spec;
mod sync;
mod sys;
pub mod userns;
mod view;

pub use builder::{Bind, BuildError, NamespaceMode, Propagation, SpecBuilder};
pub use builtin::{Builtin, enter_private_mount_namespace};
pub use error::{ChildError, ChildErrorKind, Error, errno_name};
pub use external::External;
pub use process::Stdio;
pub use rootfs::RootfsMount;
pub use runtime::{
    Container, CreateOptions, ExecOptions, ExitStatus, ProcessHandle, Runtime, Status, oom_killed,
    resize_console, set_child_subreaper,
};
pub use spec::Spec;
pub use view::{ViewBind, with_container_view, with_rootfs_mounted};
