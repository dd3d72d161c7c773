//! `--userns-remap`: which host ids a container's root and users map to, with dockerd's
//! syntax (`default`, `user`, `user:group`, `uid`, `uid:gid`) and its sources, the
//! subordinate id ranges in `/etc/subuid` and `/etc/subgid`.
//!
//! `default` uses the user `wharfremap` (created with `useradd` and given a free 65536-id
//! range when missing, as dockerd does for `dockremap`). Its own name keeps wharf's
//! containers out of the host ids of Docker's remapped containers on a host running both.

use std::path::Path;

use wharf_runtime::spec::IdMapping;

/// The user `--userns-remap=default` stands for.
pub const DEFAULT_USER: &str = "wharfremap";
/// Size of the range given to a user created for `default` (dockerd's).
const DEFAULT_RANGE: u32 = 65536;
/// Lowest subordinate id handed out for `default` (shadow's `SUB_UID_MIN`).
const RANGE_START: u64 = 100_000;

const PASSWD: &str = "/etc/passwd";
const GROUP: &str = "/etc/group";
const SUBUID: &str = "/etc/subuid";
const SUBGID: &str = "/etc/subgid";

#[derive(Debug, thiserror::Error)]
pub enum RemapError {
    #[error(
        "invalid --userns-remap value {0:?}: expected default, USER, USER:GROUP, UID or UID:GID"
    )]
    Syntax(String),
    #[error("--userns-remap: user {0:?} not found in /etc/passwd")]
    NoUser(String),
    #[error("--userns-remap: uid {0} has no entry in /etc/passwd")]
    NoUid(u32),
    #[error("--userns-remap: group {0:?} not found in /etc/group")]
    NoGroup(String),
    #[error("--userns-remap: no subordinate {what} ranges for {name:?} in {file}")]
    NoRanges {
        what: &'static str,
        name: String,
        file: &'static str,
    },
    #[error("--userns-remap: reading {file}: {source}")]
    Read {
        file: &'static str,
        source: std::io::Error,
    },
    #[error("--userns-remap=default: creating user {DEFAULT_USER}: {0}")]
    CreateUser(String),
}

/// The resolved remapping: contiguous container ids from 0 over the user's ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remap {
    /// `user:group` as resolved (for `docker info` and logs).
    pub user: String,
    pub group: String,
    pub uid_maps: Vec<IdMapping>,
    pub gid_maps: Vec<IdMapping>,
}

impl Remap {
    /// The host uid and gid of the container's root.
    pub fn root(&self) -> (u32, u32) {
        (self.uid_maps[0].host_id, self.gid_maps[0].host_id)
    }

    /// The host id a container id maps to (`None` when unmapped).
    pub fn host_uid(&self, id: u32) -> Option<u32> {
        to_host(&self.uid_maps, id)
    }

    pub fn host_gid(&self, id: u32) -> Option<u32> {
        to_host(&self.gid_maps, id)
    }
}

fn to_host(maps: &[IdMapping], id: u32) -> Option<u32> {
    maps.iter().find_map(|m| {
        (id >= m.container_id && (id - m.container_id) < m.size)
            .then(|| m.host_id + (id - m.container_id))
    })
}

fn read(file: &'static str) -> Result<String, RemapError> {
    match std::fs::read_to_string(file) {
        Ok(s) => Ok(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(source) => Err(RemapError::Read { file, source }),
    }
}

/// `name:x:id:...` entries of passwd/group: (name, id).
fn entries(text: &str) -> impl Iterator<Item = (&str, u32)> {
    text.lines().filter_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let id = f.nth(1)?.parse().ok()?;
        Some((name, id))
    })
}

/// Ranges of `name` (or its numeric id) in a subuid/subgid file, in file order.
pub fn ranges(text: &str, name: &str, id: u32) -> Vec<(u32, u32)> {
    let id = id.to_string();
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| {
            let mut f = l.trim().split(':');
            let (who, start, count) = (f.next()?, f.next()?, f.next()?);
            if who != name && who != id {
                return None;
            }
            Some((start.parse().ok()?, count.parse().ok()?))
        })
        .filter(|(_, count)| *count > 0)
        .collect()
}

fn to_maps(ranges: &[(u32, u32)]) -> Vec<IdMapping> {
    let mut next = 0u32;
    ranges
        .iter()
        .map(|&(host, size)| {
            let m = IdMapping {
                container_id: next,
                host_id: host,
                size,
            };
            next = next.saturating_add(size);
            m
        })
        .collect()
}

/// Split and check the flag's value: (user, group).
fn split(value: &str) -> Result<(&str, Option<&str>), RemapError> {
    let bad = || RemapError::Syntax(value.to_string());
    let (user, group) = match value.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (value, None),
    };
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '$'))
    };
    if !ok(user) || group.is_some_and(|g| !ok(g)) {
        return Err(bad());
    }
    Ok((user, group))
}

/// Resolve `--userns-remap VALUE` against the host's files (creating `wharfremap` for
/// `default`).
pub fn resolve(value: &str) -> Result<Remap, RemapError> {
    let (user, group) = split(value)?;
    if user == "default" && group.is_none() {
        ensure_default_user()?;
        return resolve_in(DEFAULT_USER, Some(DEFAULT_USER), &HostFiles);
    }
    resolve_in(user, group, &HostFiles)
}

/// The files `resolve` reads (a seam for unit tests).
pub trait Files {
    fn read(&self, file: &'static str) -> Result<String, RemapError>;
}

struct HostFiles;

impl Files for HostFiles {
    fn read(&self, file: &'static str) -> Result<String, RemapError> {
        read(file)
    }
}

pub fn resolve_in(user: &str, group: Option<&str>, files: &dyn Files) -> Result<Remap, RemapError> {
    let passwd = files.read(PASSWD)?;
    let (user_name, uid) = match user.parse::<u32>() {
        Ok(uid) => entries(&passwd)
            .find(|(_, id)| *id == uid)
            .ok_or(RemapError::NoUid(uid))?,
        Err(_) => entries(&passwd)
            .find(|(n, _)| *n == user)
            .ok_or_else(|| RemapError::NoUser(user.to_string()))?,
    };
    // Without a group, dockerd uses the user's name for the group ranges too.
    let (group_name, gid) = match group {
        None => (user_name.to_string(), uid),
        Some(g) => {
            let groups = files.read(GROUP)?;
            match g.parse::<u32>() {
                Ok(gid) => (
                    entries(&groups)
                        .find(|(_, id)| *id == gid)
                        .map(|(n, _)| n.to_string())
                        .unwrap_or_else(|| g.to_string()),
                    gid,
                ),
                Err(_) => entries(&groups)
                    .find(|(n, _)| *n == g)
                    .map(|(n, id)| (n.to_string(), id))
                    .ok_or_else(|| RemapError::NoGroup(g.to_string()))?,
            }
        }
    };
    let uids = ranges(&files.read(SUBUID)?, user_name, uid);
    if uids.is_empty() {
        return Err(RemapError::NoRanges {
            what: "uid",
            name: user_name.to_string(),
            file: SUBUID,
        });
    }
    let gids = ranges(&files.read(SUBGID)?, &group_name, gid);
    if gids.is_empty() {
        return Err(RemapError::NoRanges {
            what: "gid",
            name: group_name,
            file: SUBGID,
        });
    }
    Ok(Remap {
        user: user_name.to_string(),
        group: group_name,
        uid_maps: to_maps(&uids),
        gid_maps: to_maps(&gids),
    })
}

/// The first `size` ids from `RANGE_START` on that no entry of a subuid/subgid file uses.
pub fn free_range(text: &str, size: u32) -> u64 {
    let mut used: Vec<(u64, u64)> = text
        .lines()
        .filter_map(|l| {
            let mut f = l.trim().split(':');
            let _ = f.next()?;
            let s: u64 = f.next()?.parse().ok()?;
            let c: u64 = f.next()?.parse().ok()?;
            Some((s, s + c))
        })
        .collect();
    used.sort();
    let mut start = RANGE_START;
    for (s, e) in used {
        if s < start + size as u64 && e > start {
            start = e;
        }
    }
    start
}

/// dockerd's `dockremap` step for wharf's user: `useradd -r` when missing, then a free range
/// in both files when it has none (`usermod --add-subuids/--add-subgids`).
fn ensure_default_user() -> Result<(), RemapError> {
    let exists = entries(&read(PASSWD)?).any(|(n, _)| n == DEFAULT_USER);
    if !exists {
        run(&["useradd", "-r", "-s", "/bin/false", DEFAULT_USER])?;
    }
    let subuid = read(SUBUID)?;
    let subgid = read(SUBGID)?;
    let has = |t: &str| t.lines().any(|l| l.split(':').next() == Some(DEFAULT_USER));
    if has(&subuid) && has(&subgid) {
        return Ok(());
    }
    let start = free_range(&subuid, DEFAULT_RANGE).max(free_range(&subgid, DEFAULT_RANGE));
    let span = format!("{start}-{}", start + DEFAULT_RANGE as u64 - 1);
    let mut args = vec!["usermod"];
    if !has(&subuid) {
        args.extend(["--add-subuids", &span]);
    }
    if !has(&subgid) {
        args.extend(["--add-subgids", &span]);
    }
    args.push(DEFAULT_USER);
    run(&args)
}

fn run(args: &[&str]) -> Result<(), RemapError> {
    let out = std::process::Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| RemapError::CreateUser(format!("{}: {e}", args[0])))?;
    if !out.status.success() {
        return Err(RemapError::CreateUser(format!(
            "{}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// `chown` one path to the remapped root (no-op for `None`).
pub fn chown_to_root(remap: Option<&Remap>, path: &Path) -> std::io::Result<()> {
    if let Some(r) = remap {
        let (uid, gid) = r.root();
        std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    }
    Ok(())
}

/// The same mapping for the archive code (cp into a container, commit).
pub fn archive_map(r: &Remap) -> wharf_archive::IdMap {
    let ranges = |maps: &[IdMapping]| {
        maps.iter()
            .map(|m| wharf_archive::IdRange {
                container: m.container_id,
                host: m.host_id,
                size: m.size,
            })
            .collect()
    };
    wharf_archive::IdMap {
        uids: ranges(&r.uid_maps),
        gids: ranges(&r.gid_maps),
    }
}

/// Shift the owners of everything under `dir` (the image content copied into a new volume)
/// from container ids to the host ids they map to; ids without a mapping are left alone.
pub fn shift_tree(r: &Remap, dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::symlink_metadata(dir)?;
    let uid = r.host_uid(md.uid()).unwrap_or(md.uid());
    let gid = r.host_gid(md.gid()).unwrap_or(md.gid());
    std::os::unix::fs::lchown(dir, Some(uid), Some(gid))?;
    if !md.is_dir() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        shift_tree(r, &entry?.path())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(Vec<(&'static str, &'static str)>);

    impl Files for Fake {
        fn read(&self, file: &'static str) -> Result<String, RemapError> {
            Ok(self
                .0
                .iter()
                .find(|(f, _)| *f == file)
                .map(|(_, t)| t.to_string())
                .unwrap_or_default())
        }
    }

    fn files() -> Fake {
        Fake(vec![
            (
                PASSWD,
                "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/h:/bin/sh\n",
            ),
            (GROUP, "root:x:0:\nstaff:x:50:\n"),
            (SUBUID, "# c\nalice:100000:65536\n1000:300000:10\n"),
            (SUBGID, "alice:200000:65536\nstaff:400000:1000\n"),
        ])
    }

    #[test]
    fn user_ranges_by_name_and_uid_are_concatenated() {
        let r = resolve_in("alice", None, &files()).unwrap();
        assert_eq!(r.root(), (100000, 200000));
        assert_eq!(r.uid_maps.len(), 2);
        assert_eq!(r.uid_maps[1].container_id, 65536);
        assert_eq!(r.uid_maps[1].host_id, 300000);
        assert_eq!(r.host_uid(65537), Some(300001));
        assert_eq!(r.host_uid(65546), None);
        assert_eq!(resolve_in("1000", None, &files()).unwrap(), r);
    }

    #[test]
    fn group_names_its_own_ranges() {
        let r = resolve_in("alice", Some("staff"), &files()).unwrap();
        assert_eq!(r.group, "staff");
        assert_eq!(r.gid_maps[0].host_id, 400000);
        assert_eq!(resolve_in("alice", Some("50"), &files()).unwrap(), r);
    }

    #[test]
    fn missing_things_are_named() {
        let e = resolve_in("bob", None, &files()).unwrap_err().to_string();
        assert!(e.contains("\"bob\" not found in /etc/passwd"), "{e}");
        let e = resolve_in("0", None, &files()).unwrap_err().to_string();
        assert!(
            e.contains("no subordinate uid ranges for \"root\" in /etc/subuid"),
            "{e}"
        );
        let e = resolve_in("alice", Some("nogroup"), &files()).unwrap_err();
        assert!(
            e.to_string()
                .contains("\"nogroup\" not found in /etc/group")
        );
        assert!(matches!(split("a:b:c"), Err(RemapError::Syntax(_))));
        assert!(matches!(split(""), Err(RemapError::Syntax(_))));
        assert!(matches!(split("a b"), Err(RemapError::Syntax(_))));
    }

    #[test]
    fn free_range_skips_used_ones() {
        assert_eq!(free_range("", 65536), 100000);
        assert_eq!(free_range("a:100000:65536\nb:165536:100\n", 65536), 165636);
        assert_eq!(free_range("a:300000:10\n", 65536), 100000);
    }
}
