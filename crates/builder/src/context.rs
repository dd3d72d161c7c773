//! The build context: the tar the client sent, read once. File data is spooled to an unlinked
//! temporary file, every entry is indexed by its clean relative path, and the sha256 of each
//! regular file is computed while the data arrives, so cache keys for COPY/ADD never re-read
//! the context.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use wharf_archive::tar::{self, EntryKind, Timestamp};
use wharf_digest::{Digest, Hasher};
use wharf_dockerfile::ignore::{Patterns, clean};

/// One file, directory or link of the context.
#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: EntryKind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: Timestamp,
    pub size: u64,
    /// Symlink target (as written) or hard link target (clean context path).
    pub link: String,
    /// Which spool holds the data, and where it starts (regular files).
    spool: usize,
    offset: u64,
    /// sha256 of the data (regular files).
    pub digest: Option<Digest>,
    pub xattrs: BTreeMap<String, Vec<u8>>,
}

impl Entry {
    fn dir(mode: u32) -> Entry {
        Entry {
            kind: EntryKind::Directory,
            mode,
            uid: 0,
            gid: 0,
            mtime: Timestamp::default(),
            size: 0,
            link: String::new(),
            spool: 0,
            offset: 0,
            digest: None,
            xattrs: BTreeMap::new(),
        }
    }

    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Directory
    }

    /// The line hashed into cache keys for this entry at `rel`: everything a copy preserves
    /// except times (as Docker's legacy builder, a `touch` does not invalidate the cache).
    pub fn key_line(&self, rel: &str) -> String {
        format!(
            "{rel}\0{:?}\0{:o}\0{}:{}\0{}\0{}\0{}\n",
            self.kind,
            self.mode,
            self.uid,
            self.gid,
            self.size,
            self.link,
            self.digest.as_ref().map(Digest::as_str).unwrap_or("")
        )
    }
}

/// A received build context. Cloning is cheap: the data files are shared.
#[derive(Clone)]
pub struct Context {
    /// Data files (unlinked); entries name theirs by index.
    spools: Vec<Arc<File>>,
    entries: BTreeMap<String, Entry>,
}

/// Clean relative form of a path inside the context (`./a//b/` → `a/b`, root → ``).
pub fn rel_path(p: &str) -> String {
    let c = clean(&format!("/{p}"));
    c.trim_start_matches('/').to_string()
}

const MAX_LINKS: usize = 255;

impl Context {
    /// Reads a (possibly compressed) tar stream. `spool_dir` receives the unlinked data file.
    pub fn from_tar(r: impl Read, spool_dir: &Path) -> io::Result<Context> {
        let spool = tmpfile(spool_dir)?;
        let mut out = BufWriter::with_capacity(1 << 20, spool.try_clone()?);
        let dec = wharf_archive::Decompressor::new(r).map_err(io::Error::other)?;
        let mut tar = tar::Reader::new(BufReader::with_capacity(
            1 << 20,
            PadToBlock {
                inner: dec,
                n: 0,
                pad: 0,
            },
        ));
        let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
        let mut offset = 0u64;
        let mut buf = vec![0u8; 1 << 18];
        while let Some(mut e) = tar.next_entry().map_err(io::Error::other)? {
            let h = e.header().clone();
            let rel = rel_path(&String::from_utf8_lossy(&h.path));
            if rel.is_empty() {
                if h.kind == EntryKind::Directory {
                    entries.insert(String::new(), entry_of(&h, 0, None));
                }
                continue;
            }
            let mut entry = entry_of(&h, offset, None);
            match h.kind {
                EntryKind::Regular => {
                    let mut hasher = Hasher::new();
                    loop {
                        let n = e.read(&mut buf)?;
                        if n == 0 {
                            break;
                        }
                        hasher.update(&buf[..n]);
                        out.write_all(&buf[..n])?;
                    }
                    entry.size = hasher.len();
                    offset += entry.size;
                    entry.digest = Some(hasher.finish());
                }
                EntryKind::HardLink => {
                    let target = rel_path(&String::from_utf8_lossy(&h.link_name));
                    match entries.get(&target) {
                        Some(t) if t.kind == EntryKind::Regular => {
                            let mut copy = t.clone();
                            copy.mode = entry.mode;
                            copy.uid = entry.uid;
                            copy.gid = entry.gid;
                            copy.mtime = entry.mtime;
                            entry = copy;
                        }
                        _ => entry.link = target,
                    }
                }
                EntryKind::Symlink => {
                    entry.link = String::from_utf8_lossy(&h.link_name).into_owned();
                }
                _ => {}
            }
            add_parents(&mut entries, &rel);
            entries.insert(rel, entry);
        }
        out.flush()?;
        drop(out);
        entries
            .entry(String::new())
            .or_insert_with(|| Entry::dir(0o755));
        Ok(Context {
            spools: vec![Arc::new(spool)],
            entries,
        })
    }

    /// An empty context (a Dockerfile sent alone).
    pub fn empty(spool_dir: &Path) -> io::Result<Context> {
        let mut entries = BTreeMap::new();
        entries.insert(String::new(), Entry::dir(0o755));
        Ok(Context {
            spools: vec![Arc::new(tmpfile(spool_dir)?)],
            entries,
        })
    }

    /// Adds a regular file (a Dockerfile sent outside the context, a downloaded file).
    pub fn add_file(
        &mut self,
        rel: &str,
        data: &[u8],
        mode: u32,
        mtime: Timestamp,
    ) -> io::Result<()> {
        let spool = &self.spools[0];
        let offset = spool.metadata()?.len();
        spool.write_all_at(data, offset)?;
        let rel = rel_path(rel);
        let mut e = Entry::dir(mode);
        e.kind = EntryKind::Regular;
        e.size = data.len() as u64;
        e.spool = 0;
        e.offset = offset;
        e.mtime = mtime;
        e.digest = Some(Digest::sha256_of(data));
        add_parents(&mut self.entries, &rel);
        self.entries.insert(rel, e);
        Ok(())
    }

    /// How many data files the context spans.
    pub fn spool_count(&self) -> usize {
        self.spools.len()
    }

    pub fn get(&self, rel: &str) -> Option<&Entry> {
        self.entries.get(rel)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.len() <= 1
    }

    /// Removes a path and, for a directory, everything below it.
    pub fn remove(&mut self, rel: &str) {
        let rel = rel_path(rel);
        if rel.is_empty() {
            return;
        }
        self.entries.remove(&rel);
        let prefix = format!("{rel}/");
        let below: Vec<String> = self.under(&rel).map(|(k, _)| k.to_string()).collect();
        for k in below {
            debug_assert!(k.starts_with(&prefix));
            self.entries.remove(&k);
        }
    }

    /// Drops every entry the ignore patterns exclude. A directory stays when an exception
    /// keeps something below it.
    pub fn apply_ignore(&mut self, patterns: &Patterns) {
        let drop: Vec<String> = self
            .entries
            .keys()
            .filter(|k| !k.is_empty() && patterns.matches(k).unwrap_or(false))
            .cloned()
            .collect();
        let mut removed = BTreeMap::new();
        for k in drop {
            if let Some(e) = self.entries.remove(&k) {
                removed.insert(k, e);
            }
        }
        let kept: Vec<String> = self.entries.keys().cloned().collect();
        for k in kept {
            let mut cur = k.as_str();
            while let Some(i) = cur.rfind('/') {
                cur = &cur[..i];
                match removed.remove(cur) {
                    Some(e) => {
                        self.entries.insert(cur.to_string(), e);
                    }
                    None => break,
                }
            }
        }
    }

    /// Entries strictly below directory `rel` (all depths), in path order.
    pub fn under<'a>(&'a self, rel: &str) -> impl Iterator<Item = (&'a str, &'a Entry)> + 'a {
        let (start, end) = if rel.is_empty() {
            (String::new(), None)
        } else {
            (format!("{rel}/"), Some(format!("{rel}0")))
        };
        let skip_root = rel.is_empty();
        self.entries
            .range(start..)
            .take_while(move |(k, _)| end.as_ref().is_none_or(|e| k.as_str() < e.as_str()))
            .filter(move |(k, _)| !(skip_root && k.is_empty()))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Every path, in order (for wildcard matching).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries
            .keys()
            .filter(|k| !k.is_empty())
            .map(String::as_str)
    }

    /// Resolves `rel` following symlinks inside the context (an absolute target is taken from
    /// the context root, `..` stops at the root), as Docker's `FollowSymlinkInScope`. Returns
    /// the clean path, whether or not it exists.
    pub fn resolve(&self, rel: &str) -> String {
        let mut budget = MAX_LINKS;
        self.resolve_in(&rel_path(rel), &mut budget)
    }

    fn resolve_in(&self, rel: &str, budget: &mut usize) -> String {
        let mut done: Vec<String> = Vec::new();
        let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
        for (i, part) in parts.iter().enumerate() {
            match *part {
                "." => continue,
                ".." => {
                    done.pop();
                    continue;
                }
                _ => {}
            }
            done.push(part.to_string());
            let cur = done.join("/");
            if let Some(e) = self.entries.get(&cur)
                && e.kind == EntryKind::Symlink
            {
                if *budget == 0 {
                    return cur;
                }
                *budget -= 1;
                done.pop();
                let base = if e.link.starts_with('/') {
                    String::new()
                } else {
                    done.join("/")
                };
                let rest = parts[i + 1..].join("/");
                let joined = format!("{base}/{}/{rest}", e.link);
                return self.resolve_in(&rel_path(&joined), budget);
            }
        }
        done.join("/")
    }

    /// The data of a regular file entry.
    pub fn reader<'a>(&'a self, e: &Entry) -> impl Read + 'a {
        SpoolReader {
            file: &self.spools[e.spool],
            pos: e.offset,
            end: e.offset + e.size,
        }
    }

    /// Builds a context from a manifest: regular files named in `received` (a context holding
    /// just the files the engine asked for) come from there, the others from `base` (an
    /// earlier context whose files had the same `stat` data).
    pub fn assemble(
        manifest: &[wharf_api::build::ContextEntry],
        received: Context,
        base: Option<&Context>,
    ) -> io::Result<Context> {
        let mut spools = received.spools.clone();
        let base_at = spools.len();
        if let Some(b) = base {
            spools.extend(b.spools.iter().cloned());
        }
        let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
        entries.insert(String::new(), Entry::dir(0o755));
        for m in manifest {
            let rel = rel_path(&m.path);
            let mtime = Timestamp::new(m.mtime, m.mtime_ns);
            let entry = match m.kind.as_str() {
                "d" => {
                    let mut e = Entry::dir(m.mode & 0o7777);
                    e.mtime = mtime;
                    e
                }
                "l" => {
                    let mut e = Entry::dir(m.mode & 0o7777);
                    e.kind = EntryKind::Symlink;
                    e.link = m.link.clone();
                    e.mtime = mtime;
                    e
                }
                _ => match received.entries.get(&rel) {
                    Some(e) if e.kind == EntryKind::Regular => e.clone(),
                    _ => {
                        let Some(mut e) = base.and_then(|b| b.entries.get(&rel)).cloned() else {
                            return Err(io::Error::other(format!(
                                "the build context lacks {rel}: send it again"
                            )));
                        };
                        e.spool += base_at;
                        e.mode = m.mode & 0o7777;
                        e.mtime = mtime;
                        e
                    }
                },
            };
            if rel.is_empty() {
                continue;
            }
            add_parents(&mut entries, &rel);
            entries.insert(rel, entry);
        }
        Ok(Context { spools, entries })
    }

    /// Copies a regular file entry's data into `out` (in the kernel where it can).
    pub fn copy_to(&self, e: &Entry, out: &File) -> io::Result<u64> {
        let mut off = e.offset;
        let end = e.offset + e.size;
        while off < end {
            let want = (end - off).min(1 << 30) as usize;
            let spool: &File = &self.spools[e.spool];
            match rustix::fs::copy_file_range(spool, Some(&mut off), out, None, want) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(_) => {}
                Err(
                    rustix::io::Errno::XDEV | rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS,
                ) if off == e.offset => {
                    return io::copy(&mut self.reader(e), &mut &*out);
                }
                Err(err) => return Err(err.into()),
            }
        }
        Ok(e.size)
    }

    /// Reads a whole regular file.
    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        let e = self.entries.get(&self.resolve(rel))?;
        if e.kind != EntryKind::Regular {
            return None;
        }
        let mut v = Vec::with_capacity(e.size as usize);
        self.reader(e).read_to_end(&mut v).ok()?;
        Some(v)
    }
}

fn entry_of(h: &tar::Header, offset: u64, digest: Option<Digest>) -> Entry {
    Entry {
        kind: h.kind,
        mode: h.mode & 0o7777,
        uid: h.uid as u32,
        gid: h.gid as u32,
        mtime: h.mtime,
        size: 0,
        link: String::new(),
        spool: 0,
        offset,
        digest,
        xattrs: h.xattrs.clone(),
    }
}

fn add_parents(entries: &mut BTreeMap<String, Entry>, rel: &str) {
    let mut cur = rel;
    while let Some(i) = cur.rfind('/') {
        cur = &cur[..i];
        if entries.contains_key(cur) {
            break;
        }
        entries.insert(cur.to_string(), Entry::dir(0o755));
    }
}

/// An unlinked temporary file in `dir`.
pub fn tmpfile(dir: &Path) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    std::fs::create_dir_all(dir)?;
    let fd = rustix::fs::open(
        dir,
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    Ok(File::from(fd))
}

/// Completes the last block of a tar stream that ends right after an entry's data: the
/// docker CLI sends such streams for `-f -` (its tar writer is never closed), and Go's tar
/// reader takes them as a clean end.
struct PadToBlock<R> {
    inner: R,
    n: u64,
    pad: usize,
}

impl<R: Read> Read for PadToBlock<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pad > 0 {
            let k = self.pad.min(buf.len());
            buf[..k].fill(0);
            self.pad -= k;
            return Ok(k);
        }
        let k = self.inner.read(buf)?;
        if k == 0 && !buf.is_empty() {
            let rem = (self.n % 512) as usize;
            if rem != 0 {
                self.pad = 512 - rem;
                self.n += self.pad as u64;
                return self.read(buf);
            }
        }
        self.n += k as u64;
        Ok(k)
    }
}

struct SpoolReader<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl Read for SpoolReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.end - self.pos;
        if left == 0 {
            return Ok(0);
        }
        let n = (buf.len() as u64).min(left) as usize;
        let got = self.file.read_at(&mut buf[..n], self.pos)?;
        if got == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.pos += got as u64;
        Ok(got)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_archive::tar::{Header, Writer};

    fn tar(entries: &[(&str, EntryKind, &str)]) -> Vec<u8> {
        let mut w = Writer::new(Vec::new());
        for (path, kind, data) in entries {
            let mut h = Header::new(*kind, path.as_bytes().to_vec());
            h.mode = if *kind == EntryKind::Directory {
                0o755
            } else {
                0o644
            };
            match kind {
                EntryKind::Symlink | EntryKind::HardLink => h.link_name = data.as_bytes().to_vec(),
                EntryKind::Regular => h.size = data.len() as u64,
                _ => {}
            }
            w.append(&h, data.as_bytes()).unwrap();
        }
        w.finish().unwrap()
    }

    fn ctx(entries: &[(&str, EntryKind, &str)]) -> Context {
        Context::from_tar(&tar(entries)[..], &std::env::temp_dir()).unwrap()
    }

    #[test]
    fn indexes_files_with_digests_and_implicit_parents() {
        let c = ctx(&[
            ("./Dockerfile", EntryKind::Regular, "FROM x\n"),
            ("src/a/b.txt", EntryKind::Regular, "hello"),
        ]);
        assert_eq!(c.read("Dockerfile").unwrap(), b"FROM x\n");
        assert!(c.get("src").unwrap().is_dir());
        assert!(c.get("src/a").unwrap().is_dir());
        let e = c.get("src/a/b.txt").unwrap();
        assert_eq!(e.digest.as_ref().unwrap(), &Digest::sha256_of(b"hello"));
        let under: Vec<&str> = c.under("src").map(|(k, _)| k).collect();
        assert_eq!(under, vec!["src/a", "src/a/b.txt"]);
    }

    #[test]
    fn symlinks_resolve_inside_the_context() {
        let c = ctx(&[
            ("data/x", EntryKind::Regular, "x"),
            ("link", EntryKind::Symlink, "data"),
            ("abs", EntryKind::Symlink, "/data/x"),
            ("up", EntryKind::Symlink, "../../../data"),
        ]);
        assert_eq!(c.resolve("link/x"), "data/x");
        assert_eq!(c.resolve("abs"), "data/x");
        assert_eq!(c.resolve("up/x"), "data/x");
        assert_eq!(c.read("link/x").unwrap(), b"x");
    }

    #[test]
    fn a_stream_cut_after_the_last_data_block_is_complete() {
        // What the docker CLI sends for `-f -`: no padding and no end-of-archive blocks.
        let full = tar(&[
            ("Dockerfile", EntryKind::Regular, "FROM x\n"),
            (".dockerignore", EntryKind::Regular, "x\n"),
        ]);
        let cut = 512 + 512 + 512 + 2;
        let c = Context::from_tar(&full[..cut], &std::env::temp_dir()).unwrap();
        assert_eq!(c.read(".dockerignore").unwrap(), b"x\n");
    }

    #[test]
    fn hard_links_share_data_and_ignore_patterns_drop_entries() {
        let mut c = ctx(&[
            ("a", EntryKind::Regular, "data"),
            ("b", EntryKind::HardLink, "a"),
            ("skip/me", EntryKind::Regular, "1"),
            ("keep.txt", EntryKind::Regular, "2"),
        ]);
        assert_eq!(c.read("b").unwrap(), b"data");
        c.apply_ignore(&Patterns::new(&["skip", "*.txt", "!keep.txt", "!skip/me"]).unwrap());
        assert!(c.get("skip").is_some() && c.get("skip/me").is_some());
        assert!(c.get("keep.txt").is_some());
        c.apply_ignore(&Patterns::new(&["skip"]).unwrap());
        assert!(c.get("skip").is_none() && c.get("skip/me").is_none());
        c.remove("a");
        assert!(c.get("a").is_none());
    }
}
