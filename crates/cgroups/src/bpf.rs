//! The two `bpf(2)` calls a v2 device filter needs: load the program, attach it to a cgroup.
//! The cgroup keeps the program alive once attached (and drops it when removed), so the
//! program's descriptor is closed right after.
// The one place of this crate that makes raw syscalls.
#![allow(unsafe_code)]

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use crate::CgroupError;
use crate::devfilter::Insn;

const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_ATTACH: libc::c_long = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
const BPF_CGROUP_DEVICE: u32 = 6;
/// Other programs on the cgroup or its ancestors (systemd's, a parent's) keep applying.
const BPF_F_ALLOW_MULTI: u32 = 2;

/// `union bpf_attr` as these two commands read it, zero beyond what they use.
#[repr(C, align(8))]
struct Attr([u8; 128]);

impl Attr {
    fn new() -> Attr {
        Attr([0; 128])
    }
    fn u32_at(&mut self, off: usize, v: u32) -> &mut Attr {
        self.0[off..off + 4].copy_from_slice(&v.to_ne_bytes());
        self
    }
    fn u64_at(&mut self, off: usize, v: u64) -> &mut Attr {
        self.0[off..off + 8].copy_from_slice(&v.to_ne_bytes());
        self
    }
}

fn bpf(cmd: libc::c_long, attr: &mut Attr) -> Result<i32, rustix::io::Errno> {
    // SAFETY: `attr` is a properly aligned buffer of the size passed, laid out as the
    // kernel's `union bpf_attr` for `cmd`; pointers in it outlive the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr.0.as_mut_ptr(),
            std::mem::size_of::<Attr>() as libc::c_uint,
        )
    };
    if r < 0 {
        Err(rustix::io::Errno::from_raw_os_error(
            std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        ))
    } else {
        Ok(r as i32)
    }
}

fn sys(call: &'static str, arg: &Path, errno: rustix::io::Errno) -> CgroupError {
    CgroupError::Sys {
        call,
        arg: arg.display().to_string(),
        errno,
    }
}

/// Loads `prog` as a device filter and attaches it to the cgroup directory `dir`.
pub(crate) fn attach_device_filter(dir: &Path, prog: &[Insn]) -> Result<(), CgroupError> {
    let license = c"Apache-2.0";
    let mut load = Attr::new();
    load.u32_at(0, BPF_PROG_TYPE_CGROUP_DEVICE)
        .u32_at(4, prog.len() as u32)
        .u64_at(8, prog.as_ptr() as u64)
        .u64_at(16, license.as_ptr() as u64)
        .u32_at(68, BPF_CGROUP_DEVICE);
    let fd = bpf(BPF_PROG_LOAD, &mut load).map_err(|e| sys("bpf(BPF_PROG_LOAD)", dir, e))?;
    // SAFETY: a successful BPF_PROG_LOAD returns a new descriptor that nothing else owns.
    let prog_fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let cgroup = rustix::fs::open(
        dir,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| sys("open", dir, e))?;
    let mut attach = Attr::new();
    attach
        .u32_at(0, cgroup.as_raw_fd() as u32)
        .u32_at(4, prog_fd.as_raw_fd() as u32)
        .u32_at(8, BPF_CGROUP_DEVICE)
        .u32_at(12, BPF_F_ALLOW_MULTI);
    bpf(BPF_PROG_ATTACH, &mut attach).map_err(|e| sys("bpf(BPF_PROG_ATTACH)", dir, e))?;
    Ok(())
}
