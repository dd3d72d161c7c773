//! The OCI runtime spec for a container, built from its record the way dockerd does
//! (`daemon/oci_linux.go`): Docker's defaults, then the container's settings. User names are
//! resolved against the container's own `/etc/passwd` and `/etc/group`, read through its layers
//! without mounting anything.

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use wharf_runtime::spec::{ConsoleSize, NamespaceType, Spec, User};
use wharf_runtime::{Bind, NamespaceMode, Propagation, SpecBuilder};

use super::record::{ContainerRecord, MountSpec};
use crate::error::ApiError;

/// The container's layers, top first: its own upper directory, then the image's.
pub struct Layers {
    pub dirs: Vec<PathBuf>,
    /// `true` when the top directory holds the whole tree (copying driver).
    pub full_tree: bool,
}

impl Layers {
    /// Reads a file as the container sees it.
    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        let rel = rel.trim_start_matches('/');
        for dir in &self.dirs {
            let p = dir.join(rel);
            match std::fs::symlink_metadata(&p) {
                Ok(m) if m.file_type().is_char_device() => return None,
                Ok(m) if m.is_file() => return std::fs::read(&p).ok(),
                Ok(_) => return None,
                Err(_) => {}
            }
            if self.full_tree || opaque_parent(dir, rel) {
                return None;
            }
        }
        None
    }
}

fn opaque_parent(dir: &Path, rel: &str) -> bool {
    let Some(parent) = Path::new(rel).parent() else {
        return false;
    };
    let mut p = dir.to_path_buf();
    for comp in parent.components() {
        p.push(comp);
        if let Ok(Some(v)) = xattr_get(&p, "trusted.overlay.opaque")
            && v == b"y"
        {
            return true;
        }
    }
    false
}

fn xattr_get(p: &Path, name: &str) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = [0u8; 8];
    match rustix::fs::lgetxattr(p, name, &mut buf) {
        Ok(n) => Ok(Some(buf[..n].to_vec())),
        Err(rustix::io::Errno::NODATA) | Err(rustix::io::Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn parse_id(s: &str) -> Option<u32> {
    s.parse().ok()
}

/// Resolves `user[:group]` (names or numbers) to ids and supplementary groups, with dockerd's
/// messages.
pub fn resolve_user(spec: &str, group_add: &[String], layers: &Layers) -> Result<User, ApiError> {
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let passwd = layers
        .read("etc/passwd")
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let group = layers
        .read("etc/group")
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let entries = |text: &str| -> Vec<Vec<String>> {
        text.lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| l.split(':').map(str::to_string).collect())
            .collect()
    };
    let users = entries(&passwd);
    let groups = entries(&group);
    let (uid, mut gid, uname) = if u.is_empty() {
        (0, 0, "root".to_string())
    } else if let Some(uid) = parse_id(u) {
        let found = users
            .iter()
            .find(|e| e.get(2).and_then(|x| parse_id(x)) == Some(uid));
        let gid = found
            .and_then(|e| e.get(3))
            .and_then(|x| parse_id(x))
            .unwrap_or(0);
        let name = found.map(|e| e[0].clone()).unwrap_or_default();
        (uid, gid, name)
    } else {
        let e = users.iter().find(|e| e[0] == u).ok_or_else(|| {
            ApiError::bad_request(format!(
                "unable to find user {u}: no matching entries in passwd file"
            ))
        })?;
        let uid = e.get(2).and_then(|x| parse_id(x)).unwrap_or(0);
        let gid = e.get(3).and_then(|x| parse_id(x)).unwrap_or(0);
        (uid, gid, u.to_string())
    };
    if let Some(g) = g {
        gid = match parse_id(g) {
            Some(n) => n,
            None => groups
                .iter()
                .find(|e| e[0] == g)
                .and_then(|e| e.get(2))
                .and_then(|x| parse_id(x))
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "unable to find group {g}: no matching entries in group file"
                    ))
                })?,
        };
    }
    let mut additional: Vec<u32> = Vec::new();
    if g.is_none() && !uname.is_empty() {
        for e in &groups {
            let members = e.get(3).map(String::as_str).unwrap_or("");
            if members.split(',').any(|m| m == uname)
                && let Some(id) = e.get(2).and_then(|x| parse_id(x))
                && id != gid
                && !additional.contains(&id)
            {
                additional.push(id);
            }
        }
    }
    // `--group-add`: ids as given, names looked up in the container's group file.
    for g in group_add {
        let id = match parse_id(g) {
            Some(n) => n,
            None => groups
                .iter()
                .find(|e| e[0] == *g)
                .and_then(|e| e.get(2))
                .and_then(|x| parse_id(x))
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "Unable to find group {g}: no matching entries in group file"
                    ))
                })?,
        };
        if !additional.contains(&id) {
            additional.push(id);
        }
    }
    Ok(User {
        uid,
        gid,
        umask: None,
        additional_gids: additional,
    })
}

fn propagation(p: &str) -> Propagation {
    match p {
        "private" => Propagation::Private,
        "shared" => Propagation::Shared,
        "rshared" => Propagation::RShared,
        "slave" => Propagation::Slave,
        "rslave" => Propagation::RSlave,
        "rprivate" => Propagation::RPrivate,
        _ => Propagation::Default,
    }
}

/// Where a mount's host side lives.
pub fn mount_source(m: &MountSpec, volumes: &crate::service::volumes::Volumes) -> String {
    match m.kind.as_str() {
        "volume" if m.subpath.is_empty() => volumes.data_dir(&m.name).display().to_string(),
        "volume" => volumes
            .data_dir(&m.name)
            .join(&m.subpath)
            .display()
            .to_string(),
        _ => m.source.clone(),
    }
}

/// A volume's subpath must exist inside it, reached without symlinks (a container writing
/// the volume could otherwise point it anywhere on the host).
fn check_subpath(
    m: &MountSpec,
    volumes: &crate::service::volumes::Volumes,
) -> Result<(), ApiError> {
    if m.kind != "volume" || m.subpath.is_empty() {
        return Ok(());
    }
    let dir = volumes.data_dir(&m.name);
    let found = rustix::fs::open(
        &dir,
        rustix::fs::OFlags::PATH | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .and_then(|root| {
        rustix::fs::openat2(
            &root,
            m.subpath.as_str(),
            rustix::fs::OFlags::PATH | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
            rustix::fs::ResolveFlags::BENEATH | rustix::fs::ResolveFlags::NO_SYMLINKS,
        )
    });
    found.map(drop).map_err(|err| {
        ApiError::bad_request(format!(
            "cannot access path {}: {err}",
            dir.join(&m.subpath).display()
        ))
    })
}

/// Inputs beyond the record that the spec needs.
pub struct SpecInputs<'a> {
    pub dir: &'a Path,
    /// Variables of legacy links, overridden by the container's own.
    pub link_env: Vec<String>,
    pub layers: &'a Layers,
    pub volumes: &'a crate::service::volumes::Volumes,
    /// `/proc/<pid>/ns/` of the container named by `--net container:…` / `--pid container:…`.
    pub joined_pid: Option<u32>,
    pub init_binary: Option<&'a str>,
    /// The network namespace to join (bridge and `none` networks).
    pub netns: Option<String>,
    /// `--userns-remap` when this container uses it (not `--userns=host`).
    pub remap: Option<&'a crate::remap::Remap>,
}

fn ns_mode(mode: &str, joined: Option<u32>, kind: &str) -> NamespaceMode {
    if mode == "host" {
        NamespaceMode::Host
    } else if mode.starts_with("container:") {
        match joined {
            Some(pid) => NamespaceMode::Join(format!("/proc/{pid}/ns/{kind}")),
            None => NamespaceMode::Private,
        }
    } else {
        NamespaceMode::Private
    }
}

pub fn build(rec: &ContainerRecord, inp: &SpecInputs<'_>) -> Result<Spec, ApiError> {
    let hc = &rec.host_config;
    let cfg = &rec.config;
    let mut args = vec![rec.path.clone()];
    args.extend(rec.args.iter().cloned());
    let rootfs = inp.dir.join("rootfs").display().to_string();
    let user = resolve_user(
        &cfg.user,
        hc.group_add.as_deref().unwrap_or(&[]),
        inp.layers,
    )?;
    let size = (hc.console_size[0] > 0 && hc.console_size[1] > 0).then(|| ConsoleSize {
        height: hc.console_size[0] as u32,
        width: hc.console_size[1] as u32,
    });
    let mut b = SpecBuilder::new(rootfs, args)
        .env(inp.link_env.iter().chain(&cfg.env).cloned())
        .user(user)
        .cwd(cfg.working_dir.clone())
        .hostname(if hc.uts_mode == "host" {
            String::new()
        } else {
            cfg.hostname.clone()
        })
        .domainname(cfg.domainname.clone())
        .tty(cfg.tty, size)
        .readonly_rootfs(hc.readonly_rootfs)
        .privileged(hc.privileged)
        .cap_add(hc.cap_add.clone().unwrap_or_default())
        .cap_drop(hc.cap_drop.clone().unwrap_or_default())
        .cgroups_path(if hc.resources.cgroup_parent.is_empty() {
            format!("/wharf/{}", rec.id)
        } else {
            format!(
                "{}/{}",
                hc.resources.cgroup_parent.trim_end_matches('/'),
                rec.id
            )
        })
        .oom_score_adj(hc.oom_score_adj as i32);
    if hc.shm_size > 0 {
        b = b.shm_size(hc.shm_size as u64);
    }
    let net = hc.network_mode.as_str();
    let net_ns = match &inp.netns {
        Some(path) => NamespaceMode::Join(path.clone()),
        None => ns_mode(net, inp.joined_pid, "net"),
    };
    b = b.namespace(NamespaceType::Network, net_ns);
    b = b.namespace(
        NamespaceType::Pid,
        ns_mode(&hc.pid_mode, inp.joined_pid, "pid"),
    );
    b = b.namespace(
        NamespaceType::Ipc,
        ns_mode(&hc.ipc_mode, inp.joined_pid, "ipc"),
    );
    b = b.namespace(NamespaceType::Uts, ns_mode(&hc.uts_mode, None, "uts"));
    if let Some(r) = inp.remap {
        b = b
            .user_namespace(r.uid_maps.clone(), r.gid_maps.clone())
            .host_sysfs_for_foreign_netns(hc.runtime != crate::config::BUILTIN_RUNTIME);
    }
    if hc.cgroupns_mode == "host" {
        b = b.namespace(NamespaceType::Cgroup, NamespaceMode::Host);
    }
    for u in hc.resources.ulimits.iter().flatten() {
        b = b
            .ulimit(&u.name, u.soft.max(0) as u64, u.hard.max(0) as u64)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
    }
    for (k, v) in hc.sysctls.iter().flatten() {
        b = b.sysctl(k.clone(), v.clone());
    }
    for m in &rec.mounts {
        b = match m.kind.as_str() {
            "tmpfs" => {
                let mut opts = m.options.clone();
                if !m.rw && !opts.split(',').any(|o| o == "ro") {
                    opts = if opts.is_empty() {
                        "ro".into()
                    } else {
                        format!("{opts},ro")
                    };
                }
                b.tmpfs(m.destination.clone(), &opts)
            }
            _ => b.bind(Bind {
                source: {
                    check_subpath(m, inp.volumes)?;
                    mount_source(m, inp.volumes)
                },
                destination: m.destination.clone(),
                readonly: !m.rw,
                recursive: !m.non_recursive,
                propagation: propagation(&m.propagation),
            }),
        };
    }
    let etc_ro = false;
    for (file, dst) in [
        ("hostname", "/etc/hostname"),
        ("hosts", "/etc/hosts"),
        ("resolv.conf", "/etc/resolv.conf"),
    ] {
        if rec.mounts.iter().any(|m| m.destination == dst) {
            continue;
        }
        let mut bind = Bind::new(inp.dir.join(file).display().to_string(), dst);
        bind.readonly = etc_ro;
        bind.propagation = Propagation::RPrivate;
        b = b.bind(bind);
    }
    if hc.init == Some(true)
        && let Some(init) = inp.init_binary
    {
        b = b.init(init);
    }
    let sec = hc.security_opt.clone().unwrap_or_default();
    let no_new_privs = sec.iter().any(|o| {
        o == "no-new-privileges" || o == "no-new-privileges:true" || o == "no-new-privileges=true"
    });
    b = b.no_new_privileges(no_new_privs);
    b = b.resources(resources(hc));
    let mut spec = b
        .build()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let unconfined = hc.privileged
        || sec
            .iter()
            .any(|o| o == "seccomp=unconfined" || o == "seccomp:unconfined");
    if !unconfined {
        let caps = spec
            .process
            .as_ref()
            .and_then(|p| p.capabilities.as_ref())
            .map(|c| c.bounding.clone())
            .unwrap_or_default();
        let profile = wharf_seccomp::to_oci(
            &wharf_seccomp::default_profile(),
            &caps,
            wharf_seccomp::Arch::native(),
        );
        if let Some(l) = spec.linux.as_mut() {
            l.seccomp = Some(profile);
        }
    }
    Ok(spec)
}

/// Cgroup resources from `HostConfig` (also used by `update`).
pub fn resources(hc: &wharf_api::HostConfig) -> wharf_runtime::spec::Resources {
    use wharf_cgroups::{LinuxCpu, LinuxMemory, LinuxPids};
    let r = &hc.resources;
    let mut out = wharf_runtime::spec::Resources::default();
    if r.memory > 0 || r.memory_reservation > 0 || r.memory_swap != 0 {
        out.memory = Some(LinuxMemory {
            limit: (r.memory > 0).then_some(r.memory),
            reservation: (r.memory_reservation > 0).then_some(r.memory_reservation),
            swap: if r.memory_swap != 0 {
                Some(r.memory_swap)
            } else if r.memory > 0 {
                Some(r.memory * 2)
            } else {
                None
            },
            swappiness: r.memory_swappiness.filter(|s| *s >= 0).map(|s| s as u64),
            disable_oom_killer: r.oom_kill_disable,
            ..Default::default()
        });
    }
    let mut cpu = LinuxCpu::default();
    if r.cpu_shares > 0 {
        cpu.shares = Some(r.cpu_shares as u64);
    }
    if r.nano_cpus > 0 {
        cpu.period = Some(100_000);
        cpu.quota = Some(r.nano_cpus * 100_000 / 1_000_000_000);
    }
    if r.cpu_period > 0 {
        cpu.period = Some(r.cpu_period as u64);
    }
    if r.cpu_quota != 0 {
        cpu.quota = Some(r.cpu_quota);
    }
    if !r.cpuset_cpus.is_empty() {
        cpu.cpus = Some(r.cpuset_cpus.clone());
    }
    if !r.cpuset_mems.is_empty() {
        cpu.mems = Some(r.cpuset_mems.clone());
    }
    if cpu != LinuxCpu::default() {
        out.cpu = Some(cpu);
    }
    if let Some(p) = r.pids_limit
        && p != 0
    {
        out.pids = Some(LinuxPids { limit: p });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layers(files: &[(&str, &str)]) -> (tempfile::TempDir, Layers) {
        let d = tempfile::tempdir().unwrap();
        for (p, c) in files {
            let path = d.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, c).unwrap();
        }
        let l = Layers {
            dirs: vec![d.path().to_path_buf()],
            full_tree: true,
        };
        (d, l)
    }

    #[test]
    fn users_resolve_by_name_and_number_with_groups() {
        let (_d, l) = layers(&[
            (
                "etc/passwd",
                "root:x:0:0::/root:/bin/sh\nwww:x:33:33::/var/www:/bin/sh\n",
            ),
            ("etc/group", "root:x:0:\nwww:x:33:\nadm:x:4:www,root\n"),
        ]);
        let u = resolve_user("www", &[], &l).unwrap();
        assert_eq!((u.uid, u.gid, u.additional_gids.clone()), (33, 33, vec![4]));
        let u = resolve_user("1000:adm", &[], &l).unwrap();
        assert_eq!((u.uid, u.gid), (1000, 4));
        assert_eq!(
            resolve_user("nobody", &[], &l).unwrap_err().message,
            "unable to find user nobody: no matching entries in passwd file"
        );
        assert_eq!(resolve_user("", &[], &l).unwrap().uid, 0);
    }

    #[test]
    fn group_add_takes_ids_and_names_from_the_containers_group_file() {
        let (_d, l) = layers(&[
            ("etc/passwd", "www:x:33:33::/var/www:/bin/sh\n"),
            ("etc/group", "www:x:33:\nadm:x:4:www\naudio:x:29:\n"),
        ]);
        let groups = ["1000".to_string(), "audio".to_string(), "4".to_string()];
        let u = resolve_user("www", &groups, &l).unwrap();
        assert_eq!(u.additional_gids, vec![4, 1000, 29]);
        assert_eq!(
            resolve_user("", &["video".to_string()], &l)
                .unwrap_err()
                .message,
            "Unable to find group video: no matching entries in group file"
        );
    }
}
