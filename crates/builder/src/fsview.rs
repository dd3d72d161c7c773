//! An image's file tree seen through its stacked layer directories with overlayfs semantics
//! (whiteouts hide, opaque directories stop merging, a non-directory hides what is below it),
//! without mounting anything. The builder uses it to resolve paths inside images (symlinks
//! followed within the image root), read `/etc/passwd`, walk `COPY --from` sources, and write
//! into the top directory of an active snapshot as overlayfs would after a copy-up.

use std::collections::BTreeMap;
use std::fs::{self, Metadata};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

const MAX_LINKS: usize = 255;
const OPAQUE_XATTR: &str = "trusted.overlay.opaque";

/// An entry found in the view.
#[derive(Debug, Clone)]
pub struct Found {
    /// Index of the layer holding it (0 = top).
    pub layer: usize,
    /// Its real path on the host.
    pub path: PathBuf,
    pub meta: Metadata,
}

/// Layer directories, top first. With the copying snapshotter there is one full tree.
#[derive(Debug, Clone)]
pub struct LayerView {
    dirs: Vec<PathBuf>,
}

fn is_whiteout(m: &Metadata) -> bool {
    m.file_type().is_char_device() && m.rdev() == 0
}

fn is_opaque(p: &Path) -> bool {
    let mut buf = [0u8; 4];
    matches!(rustix::fs::lgetxattr(p, OPAQUE_XATTR, &mut buf), Ok(n) if &buf[..n] == b"y")
}

fn components(rel: &str) -> Vec<&str> {
    rel.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

impl LayerView {
    pub fn new(dirs: Vec<PathBuf>) -> LayerView {
        LayerView { dirs }
    }

    /// The top directory (an active snapshot's upper dir when writing).
    pub fn top(&self) -> Option<&Path> {
        self.dirs.first().map(PathBuf::as_path)
    }

    pub fn is_empty(&self) -> bool {
        self.dirs.is_empty()
    }

    /// Finds a symlink-free relative path; also returns the layers whose directories merge
    /// below it (for listing a directory).
    fn locate(&self, rel: &str) -> Option<(Found, Vec<usize>)> {
        let comps = components(rel);
        let mut layers: Vec<usize> = (0..self.dirs.len()).collect();
        let mut prefix = PathBuf::new();
        let mut found: Option<Found> = None;
        if comps.is_empty() {
            let top = self.dirs.first()?;
            let meta = fs::symlink_metadata(top).ok()?;
            return Some((
                Found {
                    layer: 0,
                    path: top.clone(),
                    meta,
                },
                layers,
            ));
        }
        for (i, comp) in comps.iter().enumerate() {
            if let Some(f) = &found
                && !f.meta.is_dir()
            {
                return None;
            }
            prefix.push(comp);
            let mut hit: Option<Found> = None;
            let mut below = Vec::new();
            for &l in &layers {
                let p = self.dirs[l].join(&prefix);
                let Ok(m) = fs::symlink_metadata(&p) else {
                    continue;
                };
                if is_whiteout(&m) {
                    break;
                }
                let dir = m.is_dir();
                let opaque = dir && is_opaque(&p);
                if hit.is_none() {
                    hit = Some(Found {
                        layer: l,
                        path: p,
                        meta: m,
                    });
                }
                if !dir {
                    break;
                }
                below.push(l);
                if opaque {
                    break;
                }
            }
            let h = hit?;
            if i + 1 < comps.len() && !h.meta.is_dir() {
                return None;
            }
            found = Some(h);
            layers = below;
        }
        found.map(|f| (f, layers))
    }

    /// `lstat` of a symlink-free path.
    pub fn lstat(&self, rel: &str) -> Option<Found> {
        self.locate(rel).map(|(f, _)| f)
    }

    /// Resolves `path` inside the image root, following symlinks in every component (and the
    /// last one when `follow_last`), absolute targets taken from the image root and `..`
    /// stopping at it. Returns the clean relative path, whether or not it exists.
    pub fn resolve(&self, path: &str, follow_last: bool) -> String {
        let mut budget = MAX_LINKS;
        self.resolve_in(path, follow_last, &mut budget)
    }

    fn resolve_in(&self, path: &str, follow_last: bool, budget: &mut usize) -> String {
        let parts: Vec<&str> = components(path);
        let mut done: Vec<String> = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if *part == ".." {
                done.pop();
                continue;
            }
            done.push(part.to_string());
            let last = i + 1 == parts.len();
            if last && !follow_last {
                break;
            }
            let cur = done.join("/");
            let Some(f) = self.lstat(&cur) else { continue };
            if !f.meta.file_type().is_symlink() || *budget == 0 {
                continue;
            }
            *budget -= 1;
            let Ok(target) = fs::read_link(&f.path) else {
                continue;
            };
            let target = target.to_string_lossy().into_owned();
            done.pop();
            let base = if target.starts_with('/') {
                String::new()
            } else {
                done.join("/")
            };
            let rest = parts[i + 1..].join("/");
            return self.resolve_in(&format!("{base}/{target}/{rest}"), follow_last, budget);
        }
        done.join("/")
    }

    /// Follows symlinks and looks the result up.
    pub fn stat(&self, path: &str) -> Option<(String, Found)> {
        let rel = self.resolve(path, true);
        self.lstat(&rel).map(|f| (rel, f))
    }

    /// The merged entries of directory `rel` (symlink-free), by name.
    pub fn read_dir(&self, rel: &str) -> BTreeMap<String, Found> {
        let mut out = BTreeMap::new();
        let Some((f, layers)) = self.locate(rel) else {
            return out;
        };
        if !f.meta.is_dir() {
            return out;
        }
        let mut hidden = std::collections::HashSet::new();
        let prefix: PathBuf = components(rel).iter().collect();
        for l in layers {
            let dir = self.dirs[l].join(&prefix);
            let Ok(rd) = fs::read_dir(&dir) else { continue };
            for ent in rd.flatten() {
                let name = ent.file_name().to_string_lossy().into_owned();
                if out.contains_key(&name) || hidden.contains(&name) {
                    continue;
                }
                let Ok(m) = fs::symlink_metadata(ent.path()) else {
                    continue;
                };
                if is_whiteout(&m) {
                    hidden.insert(name);
                    continue;
                }
                out.insert(
                    name,
                    Found {
                        layer: l,
                        path: ent.path(),
                        meta: m,
                    },
                );
            }
        }
        out
    }

    /// Reads a regular file (symlinks followed).
    pub fn read(&self, path: &str) -> Option<Vec<u8>> {
        let (_, f) = self.stat(path)?;
        if !f.meta.is_file() {
            return None;
        }
        fs::read(&f.path).ok()
    }

    /// Makes directory `rel` (symlink-free) and its parents exist in the top layer. Directories
    /// that exist below are copied up with their mode, owner and times (as overlayfs does);
    /// missing ones are created with `mode` and `owner`. A whiteout in the way becomes an opaque
    /// directory. Returns the directory's path in the top layer.
    pub fn ensure_dir(&self, rel: &str, mode: u32, owner: (u32, u32)) -> io::Result<PathBuf> {
        let top = self
            .dirs
            .first()
            .ok_or_else(|| io::Error::other("no writable layer"))?
            .clone();
        let mut cur = top.clone();
        let mut sub = String::new();
        for comp in components(rel) {
            cur.push(comp);
            if !sub.is_empty() {
                sub.push('/');
            }
            sub.push_str(comp);
            match fs::symlink_metadata(&cur) {
                Ok(m) if m.is_dir() => continue,
                Ok(m) => {
                    let was_whiteout = is_whiteout(&m);
                    fs::remove_file(&cur)?;
                    make_dir(&cur, mode, owner)?;
                    if was_whiteout {
                        rustix::fs::lsetxattr(
                            &cur,
                            OPAQUE_XATTR,
                            b"y",
                            rustix::fs::XattrFlags::empty(),
                        )?;
                    }
                }
                Err(_) => match self.lstat(&sub) {
                    Some(f) if f.meta.is_dir() && f.layer > 0 => {
                        make_dir(
                            &cur,
                            f.meta.permissions().mode() & 0o7777,
                            (f.meta.uid(), f.meta.gid()),
                        )?;
                        set_times(&cur, f.meta.atime(), f.meta.mtime())?;
                    }
                    _ => make_dir(&cur, mode, owner)?,
                },
            }
        }
        Ok(cur)
    }

    /// Clears whatever is at `rel` in the top layer so a new entry can be created there.
    pub fn clear_top(&self, rel: &str) -> io::Result<PathBuf> {
        let top = self
            .dirs
            .first()
            .ok_or_else(|| io::Error::other("no writable layer"))?;
        let p = top.join(components(rel).iter().collect::<PathBuf>());
        match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&p)?,
            Ok(_) => fs::remove_file(&p)?,
            Err(_) => {}
        }
        Ok(p)
    }
}

fn make_dir(p: &Path, mode: u32, owner: (u32, u32)) -> io::Result<()> {
    fs::create_dir(p)?;
    fs::set_permissions(p, fs::Permissions::from_mode(mode))?;
    chown(p, owner)
}

pub fn chown(p: &Path, (uid, gid): (u32, u32)) -> io::Result<()> {
    std::os::unix::fs::lchown(p, Some(uid), Some(gid))
}

pub fn set_times(p: &Path, atime: i64, mtime: i64) -> io::Result<()> {
    use rustix::fs::{AtFlags, CWD, Timespec, Timestamps, utimensat};
    let ts = |s: i64| Timespec {
        tv_sec: s,
        tv_nsec: 0,
    };
    utimensat(
        CWD,
        p,
        &Timestamps {
            last_access: ts(atime),
            last_modification: ts(mtime),
        },
        AtFlags::SYMLINK_NOFOLLOW,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn layers() -> (tempfile::TempDir, LayerView) {
        let t = tempfile::tempdir().unwrap();
        let (upper, mid, low) = (t.path().join("u"), t.path().join("m"), t.path().join("l"));
        for d in [&upper, &mid, &low] {
            fs::create_dir_all(d).unwrap();
        }
        fs::create_dir_all(low.join("etc")).unwrap();
        fs::write(low.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
        fs::write(low.join("etc/gone"), "x").unwrap();
        fs::create_dir_all(low.join("lib/real")).unwrap();
        fs::write(low.join("lib/real/f"), "f").unwrap();
        symlink("lib/real", low.join("link")).unwrap();
        symlink("/lib/real", low.join("abslink")).unwrap();
        fs::create_dir_all(mid.join("etc")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            mid.join("etc/gone"),
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::empty(),
            0,
        )
        .unwrap();
        fs::write(mid.join("etc/hosts"), "h").unwrap();
        (t, LayerView::new(vec![upper, mid, low]))
    }

    #[test]
    fn merges_layers_with_whiteouts() {
        if !rustix::process::geteuid().is_root() {
            return;
        }
        let (_t, v) = layers();
        let names: Vec<String> = v.read_dir("etc").into_keys().collect();
        assert_eq!(names, vec!["hosts", "passwd"]);
        assert!(v.lstat("etc/gone").is_none());
        assert_eq!(
            v.read("etc/passwd").unwrap(),
            b"root:x:0:0::/root:/bin/sh\n"
        );
    }

    #[test]
    fn resolves_symlinks_inside_the_root() {
        if !rustix::process::geteuid().is_root() {
            return;
        }
        let (_t, v) = layers();
        assert_eq!(v.resolve("/link/f", true), "lib/real/f");
        assert_eq!(v.resolve("abslink/../real/f", true), "lib/real/f");
        assert_eq!(v.resolve("link", false), "link");
        assert_eq!(v.read("/abslink/f").unwrap(), b"f");
    }

    #[test]
    fn ensure_dir_copies_up_metadata() {
        if !rustix::process::geteuid().is_root() {
            return;
        }
        let (_t, v) = layers();
        fs::set_permissions(v.dirs[2].join("lib"), fs::Permissions::from_mode(0o700)).unwrap();
        let p = v.ensure_dir("lib/new", 0o755, (7, 7)).unwrap();
        assert!(p.is_dir());
        let lib = fs::metadata(v.dirs[0].join("lib")).unwrap();
        assert_eq!(lib.permissions().mode() & 0o777, 0o700);
        assert_eq!(fs::metadata(&p).unwrap().uid(), 7);
    }
}
