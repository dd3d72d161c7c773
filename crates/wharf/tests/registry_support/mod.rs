//! Registry fixtures for end-to-end tests: Debian's `docker-registry` (the distribution
//! registry) on a free loopback port with optional htpasswd auth, a fault-injecting proxy, a
//! small bearer-token server, and image archives with chosen layers. Every process is ended
//! by pid and every directory removed when its fixture drops.
#![allow(dead_code)]

pub mod dockerd;
pub mod proxy;
pub mod token;
pub mod v1search;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "tester";
pub const PASS: &str = "s3cret-pw";

pub fn registry_available() -> bool {
    Path::new("/usr/bin/docker-registry").exists()
}

/// Skips (true) when the test cannot run here, saying why.
pub fn skip_without_registry() -> bool {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: end-to-end tests need root");
        return true;
    }
    if !registry_available() {
        eprintln!(
            "skipped: docker-registry is not installed (apt-get install docker-registry apache2-utils)"
        );
        return true;
    }
    false
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("nothing listens on 127.0.0.1:{port}");
}

pub struct Registry {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub auth: bool,
    child: Option<Child>,
}

impl Registry {
    /// Starts a registry; with `auth`, htpasswd auth for [`USER`]/[`PASS`].
    pub fn start(auth: bool) -> Registry {
        let dir = tempfile::Builder::new()
            .prefix("wharf-registry-")
            .tempdir()
            .unwrap();
        let port = free_port();
        let mut cfg = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        );
        if auth {
            let out = Command::new("htpasswd")
                .args(["-Bbn", USER, PASS])
                .output()
                .expect("htpasswd (apache2-utils)");
            assert!(out.status.success());
            std::fs::write(dir.path().join("htpasswd"), &out.stdout).unwrap();
            cfg.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n",
                dir.path().join("htpasswd").display()
            ));
        }
        std::fs::write(dir.path().join("config.yml"), cfg).unwrap();
        let mut r = Registry {
            dir,
            port,
            auth,
            child: None,
        };
        r.spawn();
        r
    }

    pub fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("registry.log"))
            .unwrap();
        let child = Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(self.dir.path().join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        wait_for_port(self.port);
    }

    /// The registry's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// SIGKILLs the registry and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The stored file of a blob.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.dir.path().join(format!(
            "data/docker/registry/v2/blobs/sha256/{}/{hex}/data",
            &hex[..2]
        ))
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A layer tarball of the given files (path, contents), made with GNU tar.
pub fn layer_tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    for (p, data) in files {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, data).unwrap();
    }
    let out = Command::new("tar")
        .args([
            "--numeric-owner",
            "--owner=0",
            "--group=0",
            "--mtime=2020-01-01",
            "--sort=name",
            "-C",
        ])
        .arg(dir.path())
        .args(["-cf", "-", "."])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

fn sha256_hex(data: &[u8]) -> String {
    let out = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(data)?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// A `docker save` style archive (Docker 20.10 layout) of one image with these layers.
pub fn image_archive(tag: &str, layers: &[Vec<u8>], comment: &str) -> Vec<u8> {
    image_archive_for(tag, layers, comment, "amd64")
}

/// Like [`image_archive`], for another architecture.
pub fn image_archive_for(tag: &str, layers: &[Vec<u8>], comment: &str, arch: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let mut diff_ids = Vec::new();
    let mut files = Vec::new();
    for l in layers {
        let hex = sha256_hex(l);
        std::fs::create_dir_all(dir.path().join(&hex)).unwrap();
        std::fs::write(dir.path().join(&hex).join("layer.tar"), l).unwrap();
        diff_ids.push(format!("\"sha256:{hex}\""));
        files.push(format!("\"{hex}/layer.tar\""));
    }
    let config = format!(
        r#"{{"architecture":"{arch}","comment":"{comment}","config":{{"Cmd":["sh"]}},"created":"2020-01-01T00:00:00Z","os":"linux","rootfs":{{"type":"layers","diff_ids":[{}]}}}}"#,
        diff_ids.join(",")
    );
    let chex = sha256_hex(config.as_bytes());
    std::fs::write(dir.path().join(format!("{chex}.json")), &config).unwrap();
    std::fs::write(
        dir.path().join("manifest.json"),
        format!(
            r#"[{{"Config":"{chex}.json","RepoTags":["{tag}"],"Layers":[{}]}}]"#,
            files.join(",")
        ),
    )
    .unwrap();
    let out = Command::new("tar")
        .arg("-C")
        .arg(dir.path())
        .args(["-cf", "-", "."])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

/// Deterministic bytes that do not compress (so a layer has a real transfer size).
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Reads a whole HTTP/1.1 request head from a stream (up to the blank line).
pub fn read_head(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut b) {
            Ok(1) => head.push(b[0]),
            _ => return None,
        }
        if head.len() > 64 << 10 {
            return None;
        }
    }
    Some(head)
}
