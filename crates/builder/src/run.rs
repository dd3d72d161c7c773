//! RUN: the step's container. The daemon prepares the bundle (spec, overlay description, an
//! "init" layer holding mount points so they never land in the step's layer, and the files
//! bound over `/etc/hosts`, `/etc/resolv.conf` and `/etc/hostname`), then spawns the
//! `wharf build-step` helper and streams its output into the build's progress.
//!
//! Network: see [`crate::network`]; a bridge step's namespace is held until the helper exits.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use wharf_runtime::spec::{Mount, NamespaceType, User};
use wharf_runtime::{Bind, NamespaceMode, SpecBuilder};

use crate::error::StepError;
use crate::fsview::LayerView;
use crate::network::{Network, StepNetworks, StepRequest, StepSandbox};
use crate::output::StageOut;
use crate::step::RootfsFile;
use crate::users::RunUser;

/// A mount point the step needs, created in the init layer.
#[derive(Debug, Clone)]
pub struct Stub {
    pub path: String,
    pub dir: bool,
}

/// Everything about one RUN container.
pub struct RunSpec {
    /// 64 hex characters; the first 12 are shown ("Running in …").
    pub id: String,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub user: RunUser,
    pub cwd: String,
    pub network: Network,
    /// `--add-host` entries for its `/etc/hosts`.
    pub extra_hosts: Vec<(String, std::net::IpAddr)>,
    pub mounts: Vec<Mount>,
    pub stubs: Vec<Stub>,
}

/// Where steps run.
pub struct Runner<'a> {
    /// The `wharf` binary (its `build-step` subcommand).
    pub helper: &'a Path,
    /// This build's scratch directory.
    pub work: &'a Path,
    /// Namespaces on bridge networks (none: such steps fail).
    pub networks: Option<&'a dyn StepNetworks>,
}

/// The root filesystem of the step: the active snapshot's upper and work dirs over its lowers.
pub struct StepRoot {
    pub upper: PathBuf,
    pub work: PathBuf,
    pub lowers: Vec<PathBuf>,
    /// The copying snapshotter: one full tree, bound.
    pub full_tree: bool,
}

fn stub_init_layer(init: &Path, view: &LayerView, stubs: &[Stub]) -> std::io::Result<()> {
    for s in stubs {
        let rel = view.resolve(&s.path, true);
        if let Some(f) = view.lstat(&rel)
            && f.meta.is_dir() == s.dir
        {
            continue;
        }
        let p = init.join(&rel);
        if s.dir {
            fs::create_dir_all(&p)?;
        } else {
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&p, b"")?;
        }
    }
    Ok(())
}

fn hosts_file(network: &Network, hostname: &str, extra: &[(String, std::net::IpAddr)]) -> String {
    let mut hosts = match fs::read_to_string("/etc/hosts") {
        Ok(h) if *network == Network::Host => h,
        _ => format!(
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n127.0.1.1\t{hostname}\n"
        ),
    };
    if !hosts.is_empty() && !hosts.ends_with('\n') {
        hosts.push('\n');
    }
    for (name, ip) in extra {
        hosts.push_str(&format!("{ip}\t{name}\n"));
    }
    hosts
}

impl Runner<'_> {
    /// The step's namespace on its bridge network; `None` for host and none.
    fn sandbox(&self, spec: &RunSpec) -> Result<Option<StepSandbox>, StepError> {
        let Network::Bridge(name) = &spec.network else {
            return Ok(None);
        };
        let nets = self
            .networks
            .ok_or_else(|| StepError::msg("bridge networking is not available to this builder"))?;
        let sb = nets
            .attach(&StepRequest {
                network: name,
                hostname: &spec.id[..12],
                extra_hosts: &spec.extra_hosts,
            })
            .map_err(|e| StepError::msg(e.to_string()))?;
        Ok(Some(sb))
    }

    /// Runs the step; the snapshot's upper dir holds its changes afterwards.
    pub fn run(
        &self,
        root: &StepRoot,
        view: &LayerView,
        spec: &RunSpec,
        out: &StageOut,
    ) -> Result<(), StepError> {
        let short = &spec.id[..12];
        let bundle = self.work.join(short);
        let _ = fs::remove_dir_all(&bundle);
        let rootfs = bundle.join("rootfs");
        let init = bundle.join("init");
        fs::create_dir_all(&rootfs)?;
        fs::create_dir_all(&init)?;
        let result = self.run_in(&bundle, &rootfs, &init, root, view, spec, out);
        let _ = fs::remove_dir_all(&bundle);
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn run_in(
        &self,
        bundle: &Path,
        rootfs: &Path,
        init: &Path,
        root: &StepRoot,
        view: &LayerView,
        spec: &RunSpec,
        out: &StageOut,
    ) -> Result<(), StepError> {
        let short = &spec.id[..12];
        let mut stubs = vec![
            Stub {
                path: "/proc".into(),
                dir: true,
            },
            Stub {
                path: "/sys".into(),
                dir: true,
            },
            Stub {
                path: "/dev".into(),
                dir: true,
            },
            Stub {
                path: "/etc/hosts".into(),
                dir: false,
            },
            Stub {
                path: "/etc/resolv.conf".into(),
                dir: false,
            },
            Stub {
                path: "/etc/hostname".into(),
                dir: false,
            },
        ];
        stubs.extend(spec.stubs.iter().cloned());
        if !spec.cwd.is_empty() && spec.cwd != "/" {
            stubs.push(Stub {
                path: spec.cwd.clone(),
                dir: true,
            });
        }
        stub_init_layer(init, view, &stubs)?;

        let sandbox = self.sandbox(spec)?;
        let etc = bundle.join("etc");
        fs::create_dir_all(&etc)?;
        let (hosts, resolv) = match (&spec.network, &sandbox) {
            (_, Some(sb)) => (sb.hosts.clone(), sb.resolv_conf.clone().into_bytes()),
            (Network::Host, _) => (
                hosts_file(&spec.network, short, &spec.extra_hosts),
                fs::read("/etc/resolv.conf").unwrap_or_default(),
            ),
            _ => (
                hosts_file(&spec.network, short, &spec.extra_hosts),
                Vec::new(),
            ),
        };
        fs::write(etc.join("hosts"), hosts)?;
        fs::write(etc.join("resolv.conf"), resolv)?;
        fs::write(etc.join("hostname"), format!("{short}\n"))?;

        let mut b = SpecBuilder::new(rootfs.display().to_string(), spec.args.clone())
            .env(spec.env.clone())
            .user(User {
                uid: spec.user.uid,
                gid: spec.user.gid,
                umask: None,
                additional_gids: spec.user.additional_gids.clone(),
            })
            .cwd(if spec.cwd.is_empty() {
                "/".to_string()
            } else {
                spec.cwd.clone()
            })
            .hostname(short);
        for f in ["hosts", "resolv.conf", "hostname"] {
            b = b.bind(Bind::new(
                etc.join(f).display().to_string(),
                format!("/etc/{f}"),
            ));
        }
        match &sandbox {
            Some(sb) => {
                b = b.namespace(
                    NamespaceType::Network,
                    NamespaceMode::Join(sb.netns.clone()),
                )
            }
            None if spec.network == Network::Host => {
                b = b.namespace(NamespaceType::Network, NamespaceMode::Host)
            }
            None => {}
        }
        for m in &spec.mounts {
            b = b.mount(m.clone());
        }
        let mut oci = b.build().map_err(|e| StepError::msg(e.to_string()))?;
        // Build steps get no cgroup filesystem: mounting (and at exit unmounting) each cgroup v1
        // hierarchy costs more than the rest of a short RUN together.
        oci.mounts.retain(|m| m.destination != "/sys/fs/cgroup");
        let rf = if root.full_tree {
            RootfsFile {
                fstype: "bind".into(),
                source: root.upper.display().to_string(),
                options: "rbind".into(),
            }
        } else {
            let mut lowers = vec![init.display().to_string()];
            lowers.extend(root.lowers.iter().map(|p| p.display().to_string()));
            RootfsFile {
                fstype: "overlay".into(),
                source: "overlay".into(),
                // volatile: unmounting at the step's exit would otherwise sync the whole
                // upper filesystem (every byte earlier steps wrote); the build syncs once at
                // its end, and a crashed step's snapshot is discarded anyway.
                options: format!(
                    "lowerdir={},upperdir={},workdir={},volatile",
                    lowers.join(":"),
                    root.upper.display(),
                    root.work.display()
                ),
            }
        };
        fs::write(
            bundle.join("config.json"),
            serde_json::to_vec(&oci).map_err(|e| StepError::msg(e.to_string()))?,
        )?;
        fs::write(
            bundle.join("rootfs.json"),
            serde_json::to_vec(&rf).map_err(|e| StepError::msg(e.to_string()))?,
        )?;
        fs::create_dir_all(&root.work)?;

        let mut child = Command::new(self.helper)
            .arg("build-step")
            .arg(bundle)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| StepError::msg(format!("starting the build step helper: {e}")))?;
        let pid = child.id();
        let fwd = |r: Box<dyn Read + Send>, err: bool, out: StageOut| {
            std::thread::spawn(move || forward(r, err, &out))
        };
        let t1 = child
            .stdout
            .take()
            .map(|s| fwd(Box::new(s), false, out.clone()));
        let t2 = child
            .stderr
            .take()
            .map(|s| fwd(Box::new(s), true, out.clone()));
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let watch_out = out.clone();
        let watcher = std::thread::spawn(move || {
            loop {
                match done_rx.recv_timeout(Duration::from_millis(500)) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if watch_out.probe_broken() {
                            kill_tree(pid);
                            return true;
                        }
                    }
                    _ => return false,
                }
            }
        });
        let status = child.wait();
        let _ = done_tx.send(());
        let killed = watcher.join().unwrap_or(false);
        for t in [t1, t2].into_iter().flatten() {
            let _ = t.join();
        }
        // The step's processes are gone: its network can go back.
        drop(sandbox);
        if killed || out.is_broken() {
            return Err(StepError::Cancelled);
        }
        let code = status
            .map_err(|e| StepError::msg(format!("waiting for the build step: {e}")))?
            .code()
            .unwrap_or(137);
        if code != 0 {
            return Err(StepError::NonZero {
                cmd: spec.args.join(" "),
                code,
            });
        }
        Ok(())
    }
}

/// Kills the helper and the container init it started (the container's pid namespace dies
/// with its init).
fn kill_tree(pid: u32) {
    let children =
        fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    for c in children
        .split_whitespace()
        .filter_map(|c| c.parse::<i32>().ok())
    {
        if let Some(p) = rustix::process::Pid::from_raw(c) {
            let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
        }
    }
    if let Some(p) = rustix::process::Pid::from_raw(pid as i32) {
        let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
    }
}

fn forward(mut r: Box<dyn Read + Send>, err: bool, out: &StageOut) {
    let mut buf = vec![0u8; 32 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        carry.extend_from_slice(&buf[..n]);
        // Keep an incomplete UTF-8 sequence for the next read.
        let cut = match std::str::from_utf8(&carry) {
            Ok(_) => carry.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => carry.len(),
        };
        if cut == 0 {
            continue;
        }
        let text = String::from_utf8_lossy(&carry[..cut]).into_owned();
        carry.drain(..cut);
        if err {
            out.stderr(&text);
        } else {
            out.text(text);
        }
    }
    if !carry.is_empty() {
        let text = String::from_utf8_lossy(&carry).into_owned();
        if err {
            out.stderr(&text);
        } else {
            out.text(text);
        }
    }
}
