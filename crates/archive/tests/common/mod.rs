//! Helpers shared by the integration tests: building layer tars, describing trees.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::process::Command;

use wharf_archive::tar::{EntryKind, Header, Timestamp, Writer};

/// Builds a tar in memory with our writer (whose output is checked against GNU tar elsewhere).
pub struct Layer {
    w: Writer<Vec<u8>>,
}

impl Default for Layer {
    fn default() -> Self {
        Self::new()
    }
}

impl Layer {
    pub fn new() -> Layer {
        Layer {
            w: Writer::new(Vec::new()),
        }
    }

    pub fn entry(mut self, h: Header, data: &[u8]) -> Layer {
        self.w.append(&h, data).unwrap();
        self
    }

    pub fn file(self, path: &str, data: &[u8]) -> Layer {
        let mut h = header(EntryKind::Regular, path, 0o644);
        h.size = data.len() as u64;
        self.entry(h, data)
    }

    pub fn dir(self, path: &str, mode: u32) -> Layer {
        self.entry(header(EntryKind::Directory, path, mode), b"")
    }

    pub fn symlink(self, path: &str, target: &str) -> Layer {
        let mut h = header(EntryKind::Symlink, path, 0o777);
        h.link_name = target.as_bytes().to_vec();
        self.entry(h, b"")
    }

    pub fn hardlink(self, path: &str, target: &str) -> Layer {
        let mut h = header(EntryKind::HardLink, path, 0o644);
        h.link_name = target.as_bytes().to_vec();
        self.entry(h, b"")
    }

    pub fn bytes(self) -> Vec<u8> {
        self.w.finish().unwrap()
    }
}

pub fn header(kind: EntryKind, path: &str, mode: u32) -> Header {
    let mut h = Header::new(kind, path.as_bytes().to_vec());
    h.mode = mode;
    h.mtime = Timestamp::new(1_600_000_000, 0);
    h
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("wharf-archive-test")
        .tempdir()
        .unwrap()
}

/// A comparable description of everything below `root`: type, mode, owner, size, content,
/// link target, device numbers, mtime (seconds; directories included), xattrs.
pub fn describe(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    let mut names: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for p in names {
        let md = fs::symlink_metadata(&p).unwrap();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let ft = md.file_type();
        let what = if ft.is_dir() {
            "dir".to_string()
        } else if ft.is_symlink() {
            format!("symlink->{}", fs::read_link(&p).unwrap().display())
        } else if ft.is_file() {
            format!("file:{}", String::from_utf8_lossy(&fs::read(&p).unwrap()))
        } else if ft.is_char_device() {
            format!(
                "chr:{}:{}",
                rustix::fs::major(md.rdev()),
                rustix::fs::minor(md.rdev())
            )
        } else if ft.is_block_device() {
            format!(
                "blk:{}:{}",
                rustix::fs::major(md.rdev()),
                rustix::fs::minor(md.rdev())
            )
        } else if ft.is_fifo() {
            "fifo".to_string()
        } else {
            "other".to_string()
        };
        let mtime = if ft.is_symlink() {
            String::new()
        } else {
            format!(" mtime={}", md.mtime())
        };
        let desc = format!(
            "{what} mode={:o} owner={}:{}{mtime} xattrs={:?}",
            md.mode() & 0o7777,
            md.uid(),
            md.gid(),
            xattrs(&p)
        );
        out.insert(rel, desc);
        if ft.is_dir() {
            walk(root, &p, out);
        }
    }
}

/// Extended attributes of a path (not following symlinks), sorted.
pub fn xattrs(p: &Path) -> Vec<(String, Vec<u8>)> {
    let mut names = vec![0u8; 65536];
    let n = rustix::fs::llistxattr(p, &mut names[..]).unwrap();
    let mut out = Vec::new();
    for k in names[..n].split(|&c| c == 0).filter(|k| !k.is_empty()) {
        let mut v = vec![0u8; 65536];
        let m = rustix::fs::lgetxattr(p, k, &mut v[..]).unwrap();
        out.push((String::from_utf8(k.to_vec()).unwrap(), v[..m].to_vec()));
    }
    out.sort();
    out
}

pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Entry names of a tar stream, in order, read with our reader.
pub fn names(tar: &[u8]) -> Vec<String> {
    let mut r = wharf_archive::tar::Reader::new(tar);
    let mut v = Vec::new();
    while let Some(e) = r.next_entry().unwrap() {
        v.push(e.header().display_path());
    }
    v
}

pub fn headers(tar: &[u8]) -> Vec<(Header, Vec<u8>)> {
    use std::io::Read;
    let mut r = wharf_archive::tar::Reader::new(tar);
    let mut v = Vec::new();
    while let Some(mut e) = r.next_entry().unwrap() {
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        v.push((e.header().clone(), data));
    }
    v
}
