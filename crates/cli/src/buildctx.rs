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

struct Walker<W: Write> {
    tar: Writer<W>,
    patterns: Option<Patterns>,
    extra: Vec<(String, Vec<u8>)>,
}

impl<W: Write> Walker<W> {
    fn excluded(&self, rel: &str) -> bool {
        self.patterns
            .as_ref()
            .is_some_and(|p| p.matches(rel).unwrap_or(false))
    }

    fn walk(&mut self, root: &Path, dir: &Path, prefix: &str) -> io::Result<()> {
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
                        .as_ref()
                        .is_some_and(|p| p.can_skip_dir(&rel).unwrap_or(false))
                {
                    continue;
                }
                if !excluded && let Some(h) = header_for(&rel, &md, &path)? {
                    self.tar.append(&h, io::empty()).map_err(io::Error::other)?;
                }
                self.walk(root, &path, &rel)?;
                continue;
            }
            if excluded {
                continue;
            }
            if rel == ".dockerignore" && !self.extra.is_empty() {
                continue;
            }
            let Some(h) = header_for(&rel, &md, &path)? else {
                continue;
            };
            if h.kind == EntryKind::Regular {
                let f = fs::File::open(&path)?;
                self.tar.append(&h, f).map_err(io::Error::other)?;
            } else {
                self.tar.append(&h, io::empty()).map_err(io::Error::other)?;
            }
        }
        let _ = root;
        Ok(())
    }

    fn add_extra(&mut self) -> io::Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        for (name, data) in std::mem::take(&mut self.extra) {
            let mut h = Header::new(EntryKind::Regular, name.into_bytes());
            h.mode = 0o600;
            h.size = data.len() as u64;
            h.mtime = Timestamp::new(now, 0);
            self.tar.append(&h, &data[..]).map_err(io::Error::other)?;
        }
        Ok(())
    }
}

/// A context directory, with the Dockerfile named by `-f` (relative to the current directory)
/// or read from stdin (`-f -`).
pub fn from_dir(dir: &Path, file_flag: &str) -> Result<Source, CliError> {
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
    let from_stdin = !extra.is_empty();
    excludes = trim_build_files_from_excludes(&excludes, &dockerfile, from_stdin);
    if from_stdin {
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
    let sent = Arc::new(AtomicU64::new(0));
    let (reader, writer) = io::pipe().map_err(CliError::io("creating a pipe"))?;
    let counter = sent.clone();
    std::thread::spawn(move || {
        let w = io::BufWriter::with_capacity(
            256 * 1024,
            Counting {
                inner: writer,
                n: counter,
            },
        );
        let mut walker = Walker {
            tar: Writer::new(w),
            patterns,
            extra,
        };
        let r = walker
            .walk(&abs_dir, &abs_dir, "")
            .and_then(|_| walker.add_extra())
            .and_then(|_| walker.tar.finish().map_err(io::Error::other).map(|_| ()));
        if let Err(e) = r {
            eprintln!("error sending the build context: {e}");
        }
    });
    Ok(Source {
        body: Some(Box::new(reader)),
        dockerfile,
        remote: String::new(),
        sent,
    })
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
