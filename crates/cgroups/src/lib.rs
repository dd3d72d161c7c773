//! cgroup v1 and v2 managers: create, limit, account, freeze, kill, remove.
//!
//! The entry point is [`Cgroup`]. A cgroup is named by a path relative to the root of
//! every hierarchy (`"/wharf/<id>"`). On cgroup v1 (and the hybrid layout, where v2 is
//! mounted at `/sys/fs/cgroup/unified` without controllers) a directory is made under
//! every mounted v1 hierarchy; on v2 one directory is made in the unified tree.
//!
//! Resources use the OCI runtime-spec shape ([`LinuxResources`]); [`convert`] holds
//! Docker's flag conversions (`--cpus`, `--cpu-shares` → `cpu.weight`, ...).
//!
//! All operations need write access to the cgroup filesystem (root, or a delegated tree).

mod bpf;
mod cgroup;
pub mod convert;
mod devfilter;
mod devices;
mod error;
mod fsutil;
mod hierarchy;
mod resources;
mod stats;
mod v1;
mod v2;

pub use cgroup::{Cgroup, prime_migration};
pub use error::CgroupError;
pub use hierarchy::{Hierarchy, Mode, V1Mount, detect};
pub use resources::{
    LinuxBlockIo, LinuxCpu, LinuxDeviceCgroup, LinuxHugepageLimit, LinuxMemory, LinuxPids,
    LinuxResources, LinuxThrottleDevice, LinuxWeightDevice,
};
pub use stats::{BlkioEntry, BlkioStats, CpuStats, MemoryStats, PidsStats, Stats, ThrottlingStats};
