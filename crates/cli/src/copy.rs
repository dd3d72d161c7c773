//! Local half of `cp`: making a tar stream of local files (entries named from a chosen base),
//! renaming an archive's top entry (docker's `RebaseArchiveEntries`), extracting a tar below
//! a directory without letting entries escape it, and the engine's path-stat header.

use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use wharf_archive::tar::{EntryKind, Header, Reader, Timestamp, Writer};

/// The `X-Docker-Container-Path-Stat` header: base64 of `{"name","size","mode","mtime",
/// "linkTarget"}`; `mode` has Go's `os.FileMode` bits.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PathStat {
    pub name: String,
    pub size: i64,
    pub mode: u32,
    pub link_target: String,
}

const GO_MODE_DIR: u32 = 1 << 31;
const GO_MODE_SYMLINK: u32 = 1 << 27;

impl PathStat {
    pub fn is_dir(&self) -> bool {
        self.mode & GO_MODE_DIR != 0
    }

    pub fn is_symlink(&self) -> bool {
        self.mode & GO_MODE_SYMLINK != 0
    }

    pub fn from_header(h: &str) -> Option<PathStat> {
        let raw = base64_decode(h.trim())?;
        let v: serde_json::Value = serde_json::from_slice(&raw).ok()?;
        Some(PathStat {
            name: v["name"].as_str().unwrap_or("").to_string(),
            size: v["size"].as_i64().unwrap_or(0),
            mode: v["mode"].as_u64().unwrap_or(0) as u32,
            link_target: v["linkTarget"].as_str().unwrap_or("").to_string(),
        })
    }
}

/// Standard (or URL-safe) base64, padding optional.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c)? << (18 - 6 * i);
        }
        let take = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&n.to_be_bytes()[1..1 + take]);
    }
    Some(out)
}

/// Go's `filepath.Split`-like: the parent directory and the last element of `path`.
pub fn split_dir_entry(path: &str) -> (String, String) {
    let trimmed = path.trim_end_matches('/');
    let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
    match trimmed.rfind('/') {
        Some(0) => ("/".into(), trimmed[1..].to_string()),
        Some(i) => (trimmed[..i].to_string(), trimmed[i + 1..].to_string()),
        None => (".".into(), trimmed.to_string()),
    }
}

fn to_ts(secs: i64, nanos: i64) -> Timestamp {
    Timestamp::new(secs, nanos.clamp(0, 999_999_999) as u32)
}

/// Writes `src` (a file, directory or symlink; followed if `follow`) as a tar whose entries
/// are named `base`, `base/…`. Returns the writer.
pub fn tar_path<W: Write>(src: &Path, base: &str, follow: bool, w: W) -> io::Result<W> {
    let mut tw = Writer::new(w);
    let meta = if follow {
        std::fs::metadata(src)?
    } else {
        std::fs::symlink_metadata(src)?
    };
    add(&mut tw, src, base, &meta)?;
    tw.finish().map_err(io::Error::other)
}

fn add<W: Write>(
    tw: &mut Writer<W>,
    path: &Path,
    name: &str,
    meta: &std::fs::Metadata,
) -> io::Result<()> {
    let ft = meta.file_type();
    let kind = if ft.is_dir() {
        EntryKind::Directory
    } else if ft.is_symlink() {
        EntryKind::Symlink
    } else if ft.is_file() {
        EntryKind::Regular
    } else {
        return Ok(());
    };
    let mut h = Header::new(kind, name.as_bytes().to_vec());
    h.mode = meta.permissions().mode() & 0o7777;
    h.uid = meta.uid() as u64;
    h.gid = meta.gid() as u64;
    h.mtime = to_ts(meta.mtime(), meta.mtime_nsec());
    match kind {
        EntryKind::Symlink => {
            use std::os::unix::ffi::OsStrExt;
            h.link_name = std::fs::read_link(path)?.as_os_str().as_bytes().to_vec();
            tw.append(&h, io::empty()).map_err(io::Error::other)?;
        }
        EntryKind::Regular => {
            h.size = meta.len();
            let f = std::fs::File::open(path)?;
            tw.append(&h, f.take(meta.len()))
                .map_err(io::Error::other)?;
        }
        _ => {
            tw.append(&h, io::empty()).map_err(io::Error::other)?;
            let mut children: Vec<_> = std::fs::read_dir(path)?.collect::<Result<_, _>>()?;
            children.sort_by_key(|e| e.file_name());
            for c in children {
                let cname = format!("{name}/{}", c.file_name().to_string_lossy());
                add(tw, &c.path(), &cname, &c.metadata()?)?;
            }
        }
    }
    Ok(())
}

/// Renames the leading `old` component of every entry to `new` (docker's
/// `RebaseArchiveEntries`), copying the tar from `r` to `w`.
pub fn rebase<R: Read, W: Write>(r: R, old: &str, new: &str, w: W) -> io::Result<W> {
    let mut reader = Reader::new(r);
    let mut tw = Writer::new(w);
    while let Some(mut e) = reader.next_entry().map_err(io::Error::other)? {
        let mut h = e.header().clone();
        let name = String::from_utf8_lossy(&h.path).to_string();
        let renamed = if name == old || name == format!("{old}/") {
            name.replacen(old, new, 1)
        } else if let Some(rest) = name.strip_prefix(&format!("{old}/")) {
            format!("{new}/{rest}")
        } else {
            name
        };
        h.path = renamed.into_bytes();
        tw.append(&h, &mut e).map_err(io::Error::other)?;
    }
    tw.finish().map_err(io::Error::other)
}

/// A relative entry name made safe: no absolute paths, no `..`.
fn safe_rel(name: &[u8]) -> Option<PathBuf> {
    let p = Path::new(std::str::from_utf8(name).ok()?);
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir | Component::RootDir => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Extracts a tar below `dir` (docker's `Untar` with `NoLchown`): files, directories, symlinks
/// and hard links; modes and mtimes kept; entries that would leave `dir` refused.
pub fn untar<R: Read>(r: R, dir: &Path) -> io::Result<()> {
    let mut reader = Reader::new(r);
    while let Some(mut e) = reader.next_entry().map_err(io::Error::other)? {
        let h = e.header().clone();
        let Some(rel) = safe_rel(&h.path) else {
            return Err(io::Error::other(format!(
                "invalid path in archive: {}",
                h.display_path()
            )));
        };
        if rel.as_os_str().is_empty() {
            continue;
        }
        let dest = dir.join(&rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        match h.kind {
            EntryKind::Directory => {
                if !dest.is_dir() {
                    let _ = std::fs::remove_file(&dest);
                    std::fs::create_dir_all(&dest)?;
                }
                std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(h.mode & 0o7777))?;
            }
            EntryKind::Regular => {
                if dest.is_dir() {
                    std::fs::remove_dir_all(&dest)?;
                } else {
                    let _ = std::fs::remove_file(&dest);
                }
                let mut f = std::fs::File::create(&dest)?;
                io::copy(&mut e, &mut f)?;
                f.set_permissions(std::fs::Permissions::from_mode(h.mode & 0o7777))?;
            }
            EntryKind::Symlink => {
                let _ = std::fs::remove_file(&dest);
                let target = String::from_utf8_lossy(&h.link_name).to_string();
                std::os::unix::fs::symlink(target, &dest)?;
            }
            EntryKind::HardLink => {
                let Some(target) = safe_rel(&h.link_name) else {
                    return Err(io::Error::other(format!(
                        "invalid hard link in archive: {}",
                        h.display_path()
                    )));
                };
                let _ = std::fs::remove_file(&dest);
                std::fs::hard_link(dir.join(target), &dest)?;
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_stat_headers_decode() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGk").unwrap(), b"hi");
        // {"name":"etc","size":4096,"mode":2147484141,"mtime":"…","linkTarget":""}
        let h = "eyJuYW1lIjoiZXRjIiwic2l6ZSI6NDA5NiwibW9kZSI6MjE0NzQ4NDE0MSwibXRpbWUiOiIyMDI2LTExLTIzVDE5OjExOjI3WiIsImxpbmtUYXJnZXQiOiIifQ==";
        let s = PathStat::from_header(h).unwrap();
        assert_eq!(s.name, "etc");
        assert!(s.is_dir() && !s.is_symlink());
    }

    #[test]
    fn paths_split_like_docker() {
        assert_eq!(
            split_dir_entry("/etc/hosts"),
            ("/etc".into(), "hosts".into())
        );
        assert_eq!(split_dir_entry("/etc/"), ("/".into(), "etc".into()));
        assert_eq!(split_dir_entry("file"), (".".into(), "file".into()));
    }

    #[test]
    fn tar_rebase_and_untar_round_trip() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir(src.path().join("d")).unwrap();
        std::fs::write(src.path().join("d/f"), "data").unwrap();
        std::os::unix::fs::symlink("f", src.path().join("d/l")).unwrap();
        let tar = tar_path(&src.path().join("d"), "d", false, Vec::new()).unwrap();
        let renamed = rebase(&tar[..], "d", "copy", Vec::new()).unwrap();
        let dst = tempfile::tempdir().unwrap();
        untar(&renamed[..], dst.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dst.path().join("copy/f")).unwrap(),
            "data"
        );
        assert_eq!(
            std::fs::read_link(dst.path().join("copy/l")).unwrap(),
            Path::new("f")
        );
    }

    #[test]
    fn entries_cannot_escape() {
        let mut tw = Writer::new(Vec::new());
        let mut h = Header::new(EntryKind::Regular, b"../evil".to_vec());
        h.size = 1;
        tw.append(&h, &b"x"[..]).unwrap();
        let tar = tw.finish().unwrap();
        let dst = tempfile::tempdir().unwrap();
        assert!(untar(&tar[..], &dst.path().join("in")).is_err());
        assert!(!dst.path().join("evil").exists());
    }
}
