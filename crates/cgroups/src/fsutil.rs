//! Reading and writing cgroup control files with errors that name the file.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::CgroupError;

pub(crate) fn io_err(op: &'static str, path: &Path, source: std::io::Error) -> CgroupError {
    CgroupError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn read(path: &Path) -> Result<String, CgroupError> {
    std::fs::read_to_string(path).map_err(|e| io_err("read", path, e))
}

/// `None` if the file does not exist (controller or feature absent).
pub(crate) fn read_opt(path: &Path) -> Result<Option<String>, CgroupError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("read", path, e)),
    }
}

/// Write `value` in a single write(2), as cgroupfs expects. Never creates the file.
pub(crate) fn write(path: &Path, value: &str) -> Result<(), CgroupError> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .map_err(|e| io_err("open", path, e))?;
    f.write_all(value.as_bytes())
        .map_err(|e| io_err("write", path, e))
}

/// Write `dir/file`; a missing file means the controller or feature is absent.
pub(crate) fn set(
    dir: &Path,
    file: &str,
    value: &str,
    resource: &'static str,
) -> Result<(), CgroupError> {
    let path = dir.join(file);
    if !path.exists() {
        return Err(CgroupError::ControllerMissing {
            controller: file.to_string(),
            resource,
        });
    }
    write(&path, value)
}

/// A number, or `None` for `max` / an empty file.
pub(crate) fn parse_u64(path: &Path, s: &str) -> Result<Option<u64>, CgroupError> {
    match s.trim() {
        "max" | "" => Ok(None),
        t => t.parse().map(Some).map_err(|_| CgroupError::Parse {
            path: path.to_path_buf(),
            content: s.to_string(),
        }),
    }
}

/// Read a single number; `None` if the file is missing or says `max`.
pub(crate) fn read_u64(path: &Path) -> Result<Option<u64>, CgroupError> {
    match read_opt(path)? {
        Some(s) => parse_u64(path, &s),
        None => Ok(None),
    }
}

/// `key value` lines (memory.stat, cpu.stat); missing file → empty map.
pub(crate) fn read_kv(path: &Path) -> Result<BTreeMap<String, u64>, CgroupError> {
    let mut out = BTreeMap::new();
    for line in read_opt(path)?.unwrap_or_default().lines() {
        if let Some((k, v)) = line.split_once(' ')
            && let Ok(v) = v.trim().parse()
        {
            out.insert(k.to_string(), v);
        }
    }
    Ok(out)
}

pub(crate) fn mkdir_all(path: &Path) -> Result<(), CgroupError> {
    std::fs::create_dir_all(path).map_err(|e| io_err("mkdir", path, e))
}

/// The pids in `dir/cgroup.procs` and in every sub-cgroup below it.
pub(crate) fn procs_recursive(dir: &Path, out: &mut Vec<u32>) -> Result<(), CgroupError> {
    let procs = dir.join("cgroup.procs");
    let Some(text) = read_opt(&procs)? else {
        return Ok(());
    };
    for line in text.lines() {
        let pid = line.trim().parse().map_err(|_| CgroupError::Parse {
            path: procs.clone(),
            content: line.to_string(),
        })?;
        out.push(pid);
    }
    for sub in subdirs(dir)? {
        procs_recursive(&sub, out)?;
    }
    Ok(())
}

fn subdirs(dir: &Path) -> Result<Vec<PathBuf>, CgroupError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err("readdir", dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_err("readdir", dir, e))?;
        if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            out.push(entry.path());
        }
    }
    Ok(out)
}

/// Remove `dir` and the sub-cgroups under it, deepest first. A missing directory is
/// fine; EBUSY (tasks still exiting) is retried for about two seconds.
pub(crate) fn remove_tree(dir: &Path) -> Result<(), CgroupError> {
    for sub in subdirs(dir)? {
        remove_tree(&sub)?;
    }
    let mut delay = Duration::from_millis(5);
    let mut waited = Duration::ZERO;
    loop {
        match std::fs::remove_dir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e)
                if e.raw_os_error() == Some(rustix::io::Errno::BUSY.raw_os_error())
                    && waited < Duration::from_secs(2) =>
            {
                std::thread::sleep(delay);
                waited += delay;
                delay = (delay * 2).min(Duration::from_millis(100));
            }
            Err(e) => return Err(io_err("rmdir", dir, e)),
        }
    }
}

/// Poll `done` until it holds, for up to `limit`.
pub(crate) fn wait_until(
    limit: Duration,
    mut done: impl FnMut() -> Result<bool, CgroupError>,
) -> Result<bool, CgroupError> {
    let mut delay = Duration::from_micros(200);
    let mut waited = Duration::ZERO;
    loop {
        if done()? {
            return Ok(true);
        }
        if waited >= limit {
            return Ok(false);
        }
        std::thread::sleep(delay);
        waited += delay;
        delay = (delay * 2).min(Duration::from_millis(20));
    }
}
