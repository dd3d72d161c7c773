//! The build context as the docker CLI sends it to `POST /build`: a directory walked in name
//! order with `.dockerignore` applied (skipping excluded directories whole when no exception
//! can reach inside), streamed as a tar while it is walked; a tar or a lone Dockerfile on
//! stdin; or a URL the engine fetches. A Dockerfile from stdin (`-f -`) or from outside the
//! context is added under a random name, which `.dockerignore` then hides from COPY.

use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use wharf_api::build::{ContextEntry, ContextManifest};
use wharf_archive::tar::{EntryKind, Header, Timestamp, Writer};
use wharf_dockerfile::ignore::{Patterns, read_all, trim_build_files_from_excludes};

use crate::error::CliError;

/// What to send.
pub struct Source {
    /// The tar stream (`None` for a URL context).
    pub body: Option<Box<dyn Read + Send>>,
    /// The `dockerfile` parameter.
    pub dockerfile: String,
    /// The `remote` parameter.
    pub remote: String,
    /// Bytes of context produced so far.
    pub sent: Arc<AtomicU64>,
}

fn random_name() -> String {
    let mut b = [0u8; 10];
    let _ = rustix::rand::getrandom(&mut b, rustix::rand::GetRandomFlags::empty());
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(".dockerfile.{hex}")
}

struct Counting<W> {
    inner: W,
    n: Arc<AtomicU64>,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(b)?;
        self.n.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn prepare_err(m: impl std::fmt::Display) -> CliError {
    CliError::msg(format!("unable to prepare context: {m}"))
}

fn header_for(rel: &str, md: &fs::Metadata, path: &Path) -> io::Result<Option<Header>> {
    let ft = md.file_type();
    let kind = if ft.is_dir() {
        EntryKind::Directory
    } else if ft.is_symlink() {
        EntryKind::Symlink
    } else if ft.is_file() {
        EntryKind::Regular
    } else {
        return Ok(None);
    };
    let mut h = Header::new(kind, rel.as_bytes().to_vec());
    h.mode = md.permissions().mode() & 0o7777;
    h.mtime = Timestamp::new(md.mtime(), 0);
    if kind == EntryKind::Regular {
        h.size = md.len();
    }
    if kind == EntryKind::Symlink {
        h.link_name = fs::read_link(path)?.into_os_string().into_encoded_bytes();
    }
    Ok(Some(h))
}

/// One entry found in the context directory.
struct Item {
    rel: String,
    path: PathBuf,
    md: fs::Metadata,
}

/// A context directory after `.dockerignore`: what to send, in order.
pub struct Scan {
    items: Vec<Item>,
    /// Generated files (a Dockerfile from stdin or outside the context, and the `.dockerignore`
    /// hiding it), sent last.
    extra: Vec<(String, Vec<u8>)>,
    pub dockerfile: String,
    /// Identifies this context to the engine across builds (incremental transfer).
    pub id: String,
}

struct Walk<'a> {
    patterns: Option<&'a Patterns>,
    skip_dockerignore: bool,
    items: Vec<Item>,
}

impl Walk<'_> {
    fn excluded(&self, rel: &str) -> bool {
        self.patterns
            .is_some_and(|p| p.matches(rel).unwrap_or(false))
    }

    fn walk(&mut self, dir: &Path, prefix: &str) -> io::Result<()> {
        let mut names: Vec<_> = fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        names.sort();
        for name in names {
            let n = name.to_string_lossy();
            let rel = if prefix.is_empty() {
                n.to_string()
            } else {
                format!("{prefix}/{n}")
            };
            let path = dir.join(&name);
            let md = fs::symlink_metadata(&path)?;
            let excluded = self.excluded(&rel);
            if md.is_dir() {
                if excluded
                    && self
                        .patterns
                        .is_some_and(|p| p.can_skip_dir(&rel).unwrap_or(false))
                {
                    continue;
                }
                if !excluded {
                    self.items.push(Item {
                        rel: rel.clone(),
                        path: path.clone(),
                        md,
                    });
                }
                self.walk(&path, &rel)?;
                continue;
            }
            if excluded || (rel == ".dockerignore" && self.skip_dockerignore) {
                continue;
            }
            let ft = md.file_type();
            if ft.is_file() || ft.is_symlink() {
                self.items.push(Item { rel, path, md });
            }
        }
        Ok(())
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Walks a context directory, with the Dockerfile named by `-f` (relative to the current
/// directory) or read from stdin (`-f -`).
pub fn scan(dir: &Path, file_flag: &str) -> Result<Scan, CliError> {
    let md = fs::metadata(dir)
        .map_err(|_| prepare_err(format!("path {:?} not found", dir.display().to_string())))?;
    if !md.is_dir() {
        return Err(prepare_err(format!(
            "context must be a directory: {}",
            dir.display()
        )));
    }
    let abs_dir = fs::canonicalize(dir).map_err(prepare_err)?;
    let mut extra: Vec<(String, Vec<u8>)> = Vec::new();
    let dockerfile = if file_flag == "-" {
        let mut data = Vec::new();
        io::stdin()
            .read_to_end(&mut data)
            .map_err(CliError::io("reading the Dockerfile from stdin"))?;
        let name = random_name();
        extra.push((name.clone(), data));
        name
    } else if file_flag.is_empty() {
        "Dockerfile".to_string()
    } else {
        let abs: PathBuf = std::path::absolute(file_flag).map_err(prepare_err)?;
        let abs = fs::canonicalize(&abs).unwrap_or(abs);
        match abs.strip_prefix(&abs_dir) {
            Ok(rel) => rel.to_string_lossy().into_owned(),
            Err(_) => {
                let data = fs::read(&abs).map_err(|e| {
                    prepare_err(format!("unable to read Dockerfile {}: {e}", abs.display()))
                })?;
                let name = random_name();
                extra.push((name.clone(), data));
                name
            }
        }
    };
    // The ignore file: `<Dockerfile>.dockerignore` next to the Dockerfile, else `.dockerignore`.
    let per_file = abs_dir.join(format!("{dockerfile}.dockerignore"));
    let ignore_text = fs::read_to_string(&per_file)
        .or_else(|_| fs::read_to_string(abs_dir.join(".dockerignore")))
        .ok();
    let mut excludes = match &ignore_text {
        Some(t) => {
            read_all(t).map_err(|e| CliError::msg(format!("error reading .dockerignore: {e}")))?
        }
        None => Vec::new(),
    };
    let generated = !extra.is_empty();
    excludes = trim_build_files_from_excludes(&excludes, &dockerfile, generated);
    if generated {
        // Hide the added Dockerfile (and the ignore file) from COPY as docker's CLI does.
        let mut content = ignore_text.clone().unwrap_or_default().into_bytes();
        if !content.is_empty() && !content.ends_with(b"\n") {
            content.push(b'\n');
        }
        content.extend_from_slice(format!(".dockerignore\n{dockerfile}\n").as_bytes());
        extra.push((".dockerignore".to_string(), content));
    }
    let patterns = if excludes.is_empty() {
        None
    } else {
        Some(
            Patterns::new(&excludes)
                .map_err(|e| CliError::msg(format!("error checking context: {e}")))?,
        )
    };
    let mut w = Walk {
        patterns: patterns.as_ref(),
        skip_dockerignore: generated,
        items: Vec::new(),
    };
    w.walk(&abs_dir, "")
        .map_err(|e| CliError::msg(format!("error checking context: {e}")))?;
    let host = fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let id = wharf_digest::Digest::sha256_of(
        format!("{}\0{}\0{dockerfile}", host.trim(), abs_dir.display()).as_bytes(),
    )
    .hex()
    .to_string();
    Ok(Scan {
        items: w.items,
        extra,
        dockerfile,
        id,
    })
}

impl Scan {
    /// The manifest for `POST /build/context`.
    pub fn manifest(&self) -> ContextManifest {
        let mut entries: Vec<ContextEntry> = self
            .items
            .iter()
            .map(|it| {
                let ft = it.md.file_type();
                ContextEntry {
                    path: it.rel.clone(),
                    kind: if ft.is_dir() {
                        "d"
                    } else if ft.is_symlink() {
                        "l"
                    } else {
                        "f"
                    }
                    .into(),
                    mode: it.md.permissions().mode() & 0o7777,
                    size: if ft.is_file() { it.md.len() } else { 0 },
                    mtime: it.md.mtime(),
                    mtime_ns: it.md.mtime_nsec() as u32,
                    dev: it.md.dev(),
                    ino: it.md.ino(),
                    link: if ft.is_symlink() {
                        fs::read_link(&it.path)
                            .map(|l| l.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    } else {
                        String::new()
                    },
                }
            })
            .collect();
        let now = now_secs();
        entries.extend(self.extra.iter().map(|(name, data)| ContextEntry {
            path: name.clone(),
            kind: "f".into(),
            mode: 0o600,
            size: data.len() as u64,
            mtime: now,
            ..Default::default()
        }));
        ContextManifest { entries }
    }

    /// The whole context as a tar, streamed while it is read.
    pub fn full(self) -> Source {
        self.tar(None)
    }

    /// Only the regular files the engine asked for (indices into the manifest).
    pub fn partial(self, need: &[usize]) -> Source {
        self.tar(Some(need.iter().copied().collect()))
    }

    fn tar(self, only: Option<std::collections::HashSet<usize>>) -> Source {
        let sent = Arc::new(AtomicU64::new(0));
        let dockerfile = self.dockerfile.clone();
        let (reader, writer) = match io::pipe() {
            Ok(p) => p,
            Err(e) => {
                return Source {
                    body: Some(Box::new(ErrReader(Some(e)))),
                    dockerfile,
                    remote: String::new(),
                    sent,
                };
            }
        };
        let counter = sent.clone();
        std::thread::spawn(move || {
            let w = io::BufWriter::with_capacity(
                256 * 1024,
                Counting {
                    inner: writer,
                    n: counter,
                },
            );
            let mut tar = Writer::new(w);
            let n = self.items.len();
            let r = (|| -> io::Result<()> {
                for (i, it) in self.items.iter().enumerate() {
                    if only.as_ref().is_some_and(|o| !o.contains(&i)) {
                        continue;
                    }
                    let Some(h) = header_for(&it.rel, &it.md, &it.path)? else {
                        continue;
                    };
                    if h.kind == EntryKind::Regular {
                        tar.append(&h, fs::File::open(&it.path)?)
                            .map_err(io::Error::other)?;
                    } else {
                        tar.append(&h, io::empty()).map_err(io::Error::other)?;
                    }
                }
                let now = now_secs();
                for (j, (name, data)) in self.extra.iter().enumerate() {
                    if only.as_ref().is_some_and(|o| !o.contains(&(n + j))) {
                        continue;
                    }
                    let mut h = Header::new(EntryKind::Regular, name.clone().into_bytes());
                    h.mode = 0o600;
                    h.size = data.len() as u64;
                    h.mtime = Timestamp::new(now, 0);
                    tar.append(&h, &data[..]).map_err(io::Error::other)?;
                }
                tar.finish().map_err(io::Error::other).map(|_| ())
            })();
            if let Err(e) = r {
                eprintln!("error sending the build context: {e}");
            }
        });
        Source {
            body: Some(Box::new(reader)),
            dockerfile,
            remote: String::new(),
            sent,
        }
    }
}

struct ErrReader(Option<io::Error>);

impl Read for ErrReader {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(self
            .0
            .take()
            .unwrap_or_else(|| io::Error::other("pipe failed")))
    }
}

/// A context directory, sent whole.
pub fn from_dir(dir: &Path, file_flag: &str) -> Result<Source, CliError> {
    Ok(scan(dir, file_flag)?.full())
}

fn looks_like_archive(head: &[u8]) -> bool {
    let magic: [&[u8]; 4] = [b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd"];
    magic.iter().any(|m| head.starts_with(m)) || (head.len() >= 262 && &head[257..262] == b"ustar")
}

/// `-` as the context: a (compressed) tar, or a Dockerfile alone.
pub fn from_stdin(file_flag: &str) -> Result<Source, CliError> {
    if file_flag == "-" {
        return Err(CliError::msg(
            "invalid argument: can't use stdin for both build context and dockerfile",
        ));
    }
    let mut r = BufReader::with_capacity(256 * 1024, io::stdin());
    let head = r
        .fill_buf()
        .map_err(CliError::io("reading stdin"))?
        .to_vec();
    let sent = Arc::new(AtomicU64::new(0));
    if looks_like_archive(&head) {
        return Ok(Source {
            body: Some(Box::new(r)),
            dockerfile: file_flag.to_string(),
            remote: String::new(),
            sent,
        });
    }
    let mut data = Vec::new();
    r.read_to_end(&mut data)
        .map_err(CliError::io("reading stdin"))?;
    let name = if file_flag.is_empty() {
        "Dockerfile".to_string()
    } else {
        file_flag.to_string()
    };
    let mut tar = Writer::new(Vec::new());
    let mut h = Header::new(EntryKind::Regular, name.clone().into_bytes());
    h.mode = 0o600;
    h.size = data.len() as u64;
    tar.append(&h, &data[..])
        .map_err(|e| CliError::msg(e.to_string()))?;
    let bytes = tar.finish().map_err(|e| CliError::msg(e.to_string()))?;
    sent.store(bytes.len() as u64, Ordering::Relaxed);
    Ok(Source {
        body: Some(Box::new(io::Cursor::new(bytes))),
        dockerfile: name,
        remote: String::new(),
        sent,
    })
}

/// A URL the engine downloads (a tarball or a Dockerfile).
pub fn from_url(url: &str, file_flag: &str) -> Source {
    Source {
        body: None,
        dockerfile: file_flag.to_string(),
        remote: url.to_string(),
        sent: Arc::new(AtomicU64::new(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(src: Source) -> Vec<String> {
        let mut tar = wharf_archive::tar::Reader::new(BufReader::new(src.body.unwrap()));
        let mut out = Vec::new();
        while let Some(e) = tar.next_entry().unwrap() {
            out.push(String::from_utf8_lossy(&e.header().path).into_owned());
        }
        out
    }

    #[test]
    fn walks_in_order_and_honours_dockerignore() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        fs::write(d.join("Dockerfile"), "FROM scratch\n").unwrap();
        fs::write(
            d.join(".dockerignore"),
            "skip\n*.tmp\nDockerfile\n!keep.tmp\n",
        )
        .unwrap();
        fs::create_dir_all(d.join("skip/deep")).unwrap();
        fs::write(d.join("skip/deep/x"), "x").unwrap();
        fs::create_dir_all(d.join("src")).unwrap();
        fs::write(d.join("src/b"), "b").unwrap();
        fs::write(d.join("src/a.tmp"), "a").unwrap();
        fs::write(d.join("keep.tmp"), "k").unwrap();
        let src = from_dir(d, "").unwrap();
        assert_eq!(src.dockerfile, "Dockerfile");
        // `*.tmp` is anchored at the root, as in Docker: `src/a.tmp` stays.
        assert_eq!(
            names(src),
            vec![
                ".dockerignore",
                "Dockerfile",
                "keep.tmp",
                "src/",
                "src/a.tmp",
                "src/b"
            ]
        );
    }

    #[test]
    fn a_dockerfile_outside_the_context_gets_a_random_name() {
        let t = tempfile::tempdir().unwrap();
        let ctx = t.path().join("ctx");
        fs::create_dir_all(&ctx).unwrap();
        fs::write(t.path().join("Other.Dockerfile"), "FROM scratch\n").unwrap();
        let src = from_dir(
            &ctx,
            &t.path().join("Other.Dockerfile").display().to_string(),
        )
        .unwrap();
        assert!(src.dockerfile.starts_with(".dockerfile."));
        let n = names(src);
        assert!(n.iter().any(|x| x.starts_with(".dockerfile.")), "{n:?}");
    }
}
