//! COPY and ADD: resolving sources (context paths with wildcards, `--from` stages and images,
//! heredocs, downloaded URLs), computing their cache inputs, and writing them into the step's
//! upper directory with dockerd's destination rules.
//!
//! Destination rules (legacy builder): a relative destination is taken from WORKDIR; a
//! directory source copies its *contents* into the destination; a file goes to `dest/name` when
//! the destination ends with `/` or is an existing directory, else to `dest` itself; more than
//! one source needs a destination ending with `/`. New files and directories belong to root,
//! or to `--chown`; `COPY --from` without `--chown` keeps owners. ADD extracts local tar
//! archives (plain or compressed) into the destination.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use wharf_archive::tar::EntryKind;
use wharf_digest::{Digest, Hasher};
use wharf_dockerfile::ignore::{Patterns, path_match};

use crate::context::{Context, rel_path};
use crate::error::StepError;
use crate::fsview::{self, LayerView};

/// Where a source comes from.
pub enum SourceTree<'a> {
    Context(&'a Context),
    /// A stage or image, with its ID (the cache input for everything taken from it).
    Image {
        view: LayerView,
        id: String,
    },
}

/// One resolved source.
#[derive(Debug, Clone)]
pub enum Item {
    /// A context path (symlinks followed), shown as `name`.
    Ctx {
        rel: String,
        name: String,
        orig: String,
    },
    /// A path inside the `--from` image.
    Img {
        rel: String,
        name: String,
        orig: String,
    },
    /// In-memory data: a heredoc or a downloaded file.
    Data {
        name: String,
        data: Vec<u8>,
        mode: u32,
        mtime: i64,
        /// Never extracted (URLs, heredocs).
        raw: bool,
    },
}

/// Everything a COPY/ADD will do, known before touching the image.
pub struct Plan {
    pub items: Vec<Item>,
    /// Absolute destination (a trailing `/` kept).
    pub dest: String,
    /// Cache inputs: every source entry and the hash of its content and metadata.
    pub sources: Vec<(String, String)>,
    /// `file:…`, `dir:…` or `multi:…` as the legacy builder shows in history.
    pub label: String,
}

/// How to write.
pub struct Options<'a> {
    /// `--chown`: the owner of everything written.
    pub chown: Option<(u32, u32)>,
    /// The owner without `--chown` (root for context files); `None` keeps the source's
    /// (`COPY --from`). Archives ADD unpacks keep their own owners.
    pub owner: Option<(u32, u32)>,
    pub chmod: Option<u32>,
    /// ADD: extract local archives.
    pub unpack: bool,
    pub exclude: &'a [String],
    pub parents: bool,
}

fn contains_wildcards(s: &str) -> bool {
    let mut esc = false;
    for c in s.chars() {
        if esc {
            esc = false;
            continue;
        }
        match c {
            '\\' => esc = true,
            '*' | '?' | '[' => return true,
            _ => {}
        }
    }
    false
}

fn base_name(p: &str) -> String {
    let t = p.trim_end_matches('/');
    t.rsplit('/').next().unwrap_or(t).to_string()
}

fn short_hash(line: &str) -> String {
    Digest::sha256_of(line.as_bytes()).hex()[..16].to_string()
}

/// Normalises the destination against WORKDIR, keeping a trailing `/`.
pub fn normalize_dest(workdir: &str, dest: &str) -> String {
    let trailing = dest.ends_with('/') || dest.ends_with("/.") || dest == ".";
    let joined = if dest.starts_with('/') {
        dest.to_string()
    } else {
        format!("{}/{dest}", if workdir.is_empty() { "/" } else { workdir })
    };
    let mut c = format!("/{}", rel_path(&joined));
    if trailing && !c.ends_with('/') {
        c.push('/');
    }
    c
}

/// Resolves the sources of one COPY/ADD. `cmd` names the instruction in messages.
pub fn plan(
    cmd: &str,
    tree: &SourceTree<'_>,
    sources: &[String],
    data: Vec<Item>,
    dest: &str,
    exclude: &[String],
) -> Result<Plan, StepError> {
    let failed = |m: String| StepError::Msg(format!("{cmd} failed: {m}"));
    let excl = if exclude.is_empty() {
        None
    } else {
        Some(Patterns::new(exclude).map_err(|e| failed(e.to_string()))?)
    };
    let mut items = Vec::new();
    let mut keyed: Vec<(String, String)> = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    for src in sources {
        let cleaned = wharf_dockerfile::ignore::clean(src.trim_start_matches('/'));
        if cleaned == ".." || cleaned.starts_with("../") {
            return Err(failed(format!(
                "forbidden path outside the build context: {src} ()"
            )));
        }
        let orig = rel_path(src);
        match tree {
            SourceTree::Context(ctx) => {
                let matches: Vec<String> = if contains_wildcards(&orig) {
                    ctx.paths()
                        .filter(|p| path_match(&orig, p).unwrap_or(false))
                        .map(str::to_string)
                        .collect()
                } else {
                    vec![orig.clone()]
                };
                if matches.is_empty() && contains_wildcards(&orig) {
                    continue;
                }
                for m in matches {
                    let rel = ctx.resolve(&m);
                    let Some(e) = ctx.get(&rel) else {
                        return Err(failed(format!(
                            "file not found in build context or excluded by .dockerignore: stat {m}: file does not exist"
                        )));
                    };
                    let mut h = Hasher::new();
                    if e.is_dir() {
                        for (p, ce) in ctx.under(&rel) {
                            let sub = &p[if rel.is_empty() { 0 } else { rel.len() + 1 }..];
                            if excl
                                .as_ref()
                                .is_some_and(|x| x.matches(sub).unwrap_or(false))
                            {
                                continue;
                            }
                            let line = ce.key_line(p);
                            h.update(line.as_bytes());
                            keyed.push((p.to_string(), short_hash(&line)));
                        }
                        labels.push(format!("dir:{}", h.finish().hex()));
                    } else {
                        let line = e.key_line(&rel);
                        keyed.push((rel.clone(), short_hash(&line)));
                        h.update(line.as_bytes());
                        labels.push(format!("file:{}", h.finish().hex()));
                    }
                    items.push(Item::Ctx {
                        name: base_name(&m),
                        rel,
                        orig: m,
                    });
                }
            }
            SourceTree::Image { view, id } => {
                let matches: Vec<String> = if contains_wildcards(&orig) {
                    let dir = match orig.rfind('/') {
                        Some(i) => orig[..i].to_string(),
                        None => String::new(),
                    };
                    let rdir = view.resolve(&dir, true);
                    view.read_dir(&rdir)
                        .into_keys()
                        .map(|n| {
                            if dir.is_empty() {
                                n
                            } else {
                                format!("{dir}/{n}")
                            }
                        })
                        .filter(|p| path_match(&orig, p).unwrap_or(false))
                        .collect()
                } else {
                    vec![orig.clone()]
                };
                for m in matches {
                    let Some((rel, _)) = view.stat(&m) else {
                        return Err(failed(format!("stat {m}: file does not exist")));
                    };
                    let line = format!("{id}\0{m}\0{}", exclude.join(","));
                    keyed.push((format!("{id}:{m}"), short_hash(&line)));
                    labels.push(format!("file:{}", Digest::sha256_of(line.as_bytes()).hex()));
                    items.push(Item::Img {
                        name: base_name(&m),
                        rel,
                        orig: m,
                    });
                }
            }
        }
    }
    for d in data {
        if let Item::Data { name, data, .. } = &d {
            let digest = Digest::sha256_of(data);
            keyed.push((format!("<{name}>"), digest.hex()[..16].to_string()));
            labels.push(format!("file:{}", digest.hex()));
        }
        items.push(d);
    }
    if items.is_empty() {
        return Err(failed("no source files were specified".into()));
    }
    if items.len() > 1 && !dest.ends_with('/') {
        return Err(StepError::Msg(format!(
            "When using {cmd} with more than one source file, the destination must be a directory and end with a /"
        )));
    }
    let label = if labels.len() == 1 {
        labels.remove(0)
    } else {
        format!(
            "multi:{}",
            Digest::sha256_of(labels.join(",").as_bytes()).hex()
        )
    };
    Ok(Plan {
        items,
        dest: dest.to_string(),
        sources: keyed,
        label,
    })
}

/// Writes the plan into the top layer of `target`.
pub fn apply(
    plan: &Plan,
    tree: &SourceTree<'_>,
    target: &LayerView,
    opts: &Options<'_>,
) -> Result<(), StepError> {
    let excl = if opts.exclude.is_empty() {
        None
    } else {
        Some(Patterns::new(opts.exclude).map_err(|e| StepError::msg(e.to_string()))?)
    };
    let mut w = Writer {
        target,
        owner: opts.chown.or(opts.owner),
        chown: opts.chown,
        chmod: opts.chmod,
        dir_times: Vec::new(),
    };
    let new_owner = opts.chown.or(opts.owner).unwrap_or((0, 0));
    for item in &plan.items {
        let (is_dir, name, orig) = match item {
            Item::Ctx { rel, name, orig } => {
                let SourceTree::Context(ctx) = tree else {
                    continue;
                };
                (
                    ctx.get(rel).is_some_and(|e| e.is_dir()),
                    name.clone(),
                    orig.clone(),
                )
            }
            Item::Img { rel, name, orig } => {
                let SourceTree::Image { view, .. } = tree else {
                    continue;
                };
                (
                    view.lstat(rel).is_some_and(|f| f.meta.is_dir()),
                    name.clone(),
                    orig.clone(),
                )
            }
            Item::Data { name, .. } => (false, name.clone(), name.clone()),
        };
        let mut dest = plan.dest.clone();
        if opts.parents && !matches!(item, Item::Data { .. }) {
            let kept = match orig.rfind("/./") {
                Some(i) => orig[i + 3..].to_string(),
                None => orig.clone(),
            };
            let parent = match kept.rfind('/') {
                Some(i) => &kept[..i],
                None => "",
            };
            if !parent.is_empty() {
                dest = format!("{}/{parent}/", dest.trim_end_matches('/'));
            }
            if is_dir {
                dest = format!("{}/{}/", dest.trim_end_matches('/'), base_name(&kept));
            }
        }
        if is_dir {
            let drel = target.resolve(&dest, true);
            w.target.ensure_dir(&drel, 0o755, new_owner)?;
            match (item, tree) {
                (Item::Ctx { rel, .. }, SourceTree::Context(ctx)) => {
                    w.copy_ctx_dir(ctx, rel, &drel, excl.as_ref())?
                }
                (Item::Img { rel, .. }, SourceTree::Image { view, .. }) => {
                    w.copy_img_dir(view, rel, &drel, excl.as_ref())?
                }
                _ => {}
            }
            continue;
        }
        // A single file (or an archive to extract).
        if opts.unpack {
            let archive = match (item, tree) {
                (Item::Ctx { rel, .. }, SourceTree::Context(ctx)) => {
                    let e = ctx
                        .get(rel)
                        .ok_or_else(|| StepError::msg("source vanished"))?;
                    is_archive(ctx.reader(e)).then(|| Box::new(ctx.reader(e)) as Box<dyn Read>)
                }
                (
                    Item::Data {
                        data, raw: false, ..
                    },
                    _,
                ) if is_archive(&data[..]) => Some(Box::new(&data[..]) as Box<dyn Read>),
                _ => None,
            };
            if let Some(r) = archive {
                let drel = target.resolve(&dest, true);
                w.target.ensure_dir(&drel, 0o755, new_owner)?;
                w.extract(r, &drel)?;
                continue;
            }
        }
        let dest_is_dir =
            dest.ends_with('/') || target.stat(&dest).is_some_and(|(_, f)| f.meta.is_dir());
        let file_dest = if dest_is_dir {
            format!("{}/{name}", dest.trim_end_matches('/'))
        } else {
            dest.clone()
        };
        let (parent, fname) = match file_dest.rfind('/') {
            Some(i) => (&file_dest[..i], &file_dest[i + 1..]),
            None => ("", file_dest.as_str()),
        };
        let prel = target.resolve(parent, true);
        w.target.ensure_dir(&prel, 0o755, new_owner)?;
        let frel = target.resolve(&format!("{prel}/{fname}"), true);
        match (item, tree) {
            (Item::Ctx { rel, .. }, SourceTree::Context(ctx)) => {
                let e = ctx
                    .get(rel)
                    .ok_or_else(|| StepError::msg("source vanished"))?;
                w.put_ctx_entry(ctx, e, &frel)?;
            }
            (Item::Img { rel, .. }, SourceTree::Image { view, .. }) => {
                let f = view
                    .lstat(rel)
                    .ok_or_else(|| StepError::msg("source vanished"))?;
                w.put_fs_entry(&f.path, &f.meta, &frel)?;
            }
            (
                Item::Data {
                    data, mode, mtime, ..
                },
                _,
            ) => {
                let owner = opts.owner.unwrap_or((0, 0));
                w.put_file(
                    &frel,
                    &mut &data[..],
                    data.len() as u64,
                    *mode,
                    owner,
                    *mtime,
                )?;
            }
            _ => {}
        }
    }
    w.finish()
}

/// Whether the data starts like a tar archive (possibly compressed).
fn is_archive(r: impl Read) -> bool {
    let Ok(dec) = wharf_archive::Decompressor::new(r) else {
        return false;
    };
    let mut t = wharf_archive::tar::Reader::new(io::BufReader::new(dec));
    matches!(t.next_entry(), Ok(Some(_)))
}

struct Writer<'a> {
    target: &'a LayerView,
    owner: Option<(u32, u32)>,
    chown: Option<(u32, u32)>,
    chmod: Option<u32>,
    dir_times: Vec<(std::path::PathBuf, i64)>,
}

impl Writer<'_> {
    fn top_path(&self, rel: &str) -> Result<std::path::PathBuf, StepError> {
        if let Some(i) = rel.rfind('/') {
            let parent = &rel[..i];
            let top = self
                .target
                .top()
                .ok_or_else(|| StepError::msg("no layer"))?;
            if !top.join(parent).is_dir() {
                self.target
                    .ensure_dir(parent, 0o755, self.owner.unwrap_or((0, 0)))?;
            }
        }
        Ok(self.target.clear_top(rel)?)
    }

    fn mode(&self, m: u32) -> u32 {
        self.chmod.unwrap_or(m & 0o7777)
    }

    fn put_file(
        &mut self,
        rel: &str,
        data: &mut dyn Read,
        size: u64,
        mode: u32,
        owner: (u32, u32),
        mtime: i64,
    ) -> Result<(), StepError> {
        self.create_file(rel, size, mode, owner, mtime, &mut |f| {
            io::copy(&mut data.take(size), &mut &*f)
        })
    }

    /// Creates a file, fills it, then sets owner, mode and times on the open descriptor.
    fn create_file(
        &mut self,
        rel: &str,
        size: u64,
        mode: u32,
        owner: (u32, u32),
        mtime: i64,
        fill: &mut dyn FnMut(&File) -> io::Result<u64>,
    ) -> Result<(), StepError> {
        // Most files are new in a layer whose directories exist: try that first, and look
        // around (missing parent, something in the way) only when it fails.
        let top = self
            .target
            .top()
            .ok_or_else(|| StepError::msg("no layer"))?;
        let open = |p: &std::path::Path| {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(p)
        };
        let f = match open(&top.join(rel)) {
            Ok(f) => f,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::AlreadyExists | io::ErrorKind::NotFound
                ) =>
            {
                open(&self.top_path(rel)?)?
            }
            Err(e) => return Err(e.into()),
        };
        let n = fill(&f)?;
        if n != size {
            return Err(StepError::msg(format!("short read copying {rel}")));
        }
        rustix::fs::fchown(
            &f,
            Some(rustix::process::Uid::from_raw(owner.0)),
            Some(rustix::process::Gid::from_raw(owner.1)),
        )
        .map_err(io::Error::from)?;
        rustix::fs::fchmod(&f, rustix::fs::Mode::from_raw_mode(self.mode(mode)))
            .map_err(io::Error::from)?;
        let ts = rustix::fs::Timespec {
            tv_sec: mtime,
            tv_nsec: 0,
        };
        rustix::fs::futimens(
            &f,
            &rustix::fs::Timestamps {
                last_access: ts,
                last_modification: ts,
            },
        )
        .map_err(io::Error::from)?;
        Ok(())
    }

    fn put_spool_file(
        &mut self,
        ctx: &Context,
        e: &crate::context::Entry,
        rel: &str,
        owner: (u32, u32),
    ) -> Result<(), StepError> {
        self.create_file(rel, e.size, e.mode, owner, e.mtime.secs, &mut |f| {
            ctx.copy_to(e, f)
        })
    }

    fn put_symlink(
        &mut self,
        rel: &str,
        target: &str,
        owner: (u32, u32),
        mtime: i64,
    ) -> Result<(), StepError> {
        let p = self.top_path(rel)?;
        std::os::unix::fs::symlink(target, &p)?;
        fsview::chown(&p, owner)?;
        fsview::set_times(&p, mtime, mtime)?;
        Ok(())
    }

    fn put_dir(
        &mut self,
        rel: &str,
        mode: u32,
        owner: (u32, u32),
        mtime: i64,
    ) -> Result<(), StepError> {
        let p = self.target.ensure_dir(rel, mode, owner)?;
        fsview::chown(&p, owner)?;
        fs::set_permissions(&p, fs::Permissions::from_mode(self.mode(mode)))?;
        self.dir_times.push((p, mtime));
        Ok(())
    }

    fn put_ctx_entry(
        &mut self,
        ctx: &Context,
        e: &crate::context::Entry,
        rel: &str,
    ) -> Result<(), StepError> {
        let owner = self.owner.unwrap_or((0, 0));
        match e.kind {
            EntryKind::Directory => self.put_dir(rel, e.mode, owner, e.mtime.secs),
            EntryKind::Symlink => self.put_symlink(rel, &e.link, owner, e.mtime.secs),
            EntryKind::Regular => self.put_spool_file(ctx, e, rel, owner),
            EntryKind::HardLink => {
                // A link to something that is not a regular file of the context: copy its target.
                match ctx.get(&ctx.resolve(&e.link)) {
                    Some(t) if t.kind == EntryKind::Regular => {
                        let t = t.clone();
                        self.put_spool_file(ctx, &t, rel, owner)
                    }
                    _ => Ok(()),
                }
            }
            // Device nodes and fifos are not copied from a build context.
            _ => Ok(()),
        }
    }

    fn copy_ctx_dir(
        &mut self,
        ctx: &Context,
        src: &str,
        dest: &str,
        excl: Option<&Patterns>,
    ) -> Result<(), StepError> {
        let strip = if src.is_empty() { 0 } else { src.len() + 1 };
        for (p, e) in ctx.under(src) {
            let sub = &p[strip..];
            if excl.is_some_and(|x| x.matches(sub).unwrap_or(false)) {
                continue;
            }
            let rel = if dest.is_empty() {
                sub.to_string()
            } else {
                format!("{dest}/{sub}")
            };
            self.put_ctx_entry(ctx, e, &rel)?;
        }
        Ok(())
    }

    fn put_fs_entry(&mut self, src: &Path, m: &fs::Metadata, rel: &str) -> Result<(), StepError> {
        let owner = self.owner.unwrap_or((m.uid(), m.gid()));
        let mode = m.permissions().mode();
        let ft = m.file_type();
        if ft.is_dir() {
            self.put_dir(rel, mode, owner, m.mtime())
        } else if ft.is_symlink() {
            let t = fs::read_link(src)?;
            self.put_symlink(rel, &t.to_string_lossy(), owner, m.mtime())
        } else if ft.is_file() {
            let mut f = File::open(src)?;
            self.put_file(rel, &mut f, m.len(), mode, owner, m.mtime())
        } else {
            Ok(())
        }
    }

    fn copy_img_dir(
        &mut self,
        view: &LayerView,
        src: &str,
        dest: &str,
        excl: Option<&Patterns>,
    ) -> Result<(), StepError> {
        let mut stack = vec![(src.to_string(), String::new())];
        while let Some((dir, sub)) = stack.pop() {
            for (name, f) in view.read_dir(&dir) {
                let child_sub = if sub.is_empty() {
                    name.clone()
                } else {
                    format!("{sub}/{name}")
                };
                if excl.is_some_and(|x| x.matches(&child_sub).unwrap_or(false)) {
                    continue;
                }
                let rel = if dest.is_empty() {
                    child_sub.clone()
                } else {
                    format!("{dest}/{child_sub}")
                };
                self.put_fs_entry(&f.path, &f.meta, &rel)?;
                if f.meta.is_dir() {
                    let child = if dir.is_empty() {
                        name
                    } else {
                        format!("{dir}/{name}")
                    };
                    stack.push((child, child_sub));
                }
            }
        }
        Ok(())
    }

    /// Extracts an archive below `dest`, keeping its owners unless `--chown` was given.
    fn extract(&mut self, r: Box<dyn Read + '_>, dest: &str) -> Result<(), StepError> {
        let dec = wharf_archive::Decompressor::new(r)?;
        let mut t = wharf_archive::tar::Reader::new(io::BufReader::new(dec));
        while let Some(mut e) = t.next_entry()? {
            let h = e.header().clone();
            let sub = rel_path(&String::from_utf8_lossy(&h.path));
            if sub.is_empty() {
                continue;
            }
            let rel = if dest.is_empty() {
                sub.clone()
            } else {
                format!("{dest}/{sub}")
            };
            if let Some(i) = rel.rfind('/') {
                self.target
                    .ensure_dir(&rel[..i], 0o755, self.owner.unwrap_or((0, 0)))?;
            }
            let owner = self.chown.unwrap_or((h.uid as u32, h.gid as u32));
            let mtime = h.mtime.secs;
            match h.kind {
                EntryKind::Directory => self.put_dir(&rel, h.mode, owner, mtime)?,
                EntryKind::Symlink => {
                    self.put_symlink(&rel, &String::from_utf8_lossy(&h.link_name), owner, mtime)?
                }
                EntryKind::Regular => {
                    let size = h.size;
                    self.put_file(&rel, &mut e, size, h.mode, owner, mtime)?
                }
                EntryKind::HardLink => {
                    let target = rel_path(&String::from_utf8_lossy(&h.link_name));
                    let trel = if dest.is_empty() {
                        target
                    } else {
                        format!("{dest}/{target}")
                    };
                    let top = self
                        .target
                        .top()
                        .ok_or_else(|| StepError::msg("no layer"))?;
                    let p = self.top_path(&rel)?;
                    fs::hard_link(top.join(&trel), p)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<(), StepError> {
        for (p, t) in self.dir_times.iter().rev() {
            fsview::set_times(p, *t, *t)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_follow_workdir() {
        assert_eq!(normalize_dest("/app", "x"), "/app/x");
        assert_eq!(normalize_dest("/app", "."), "/app/");
        assert_eq!(normalize_dest("", "sub/"), "/sub/");
        assert_eq!(normalize_dest("/app", "/abs/./y/"), "/abs/y/");
    }

    #[test]
    fn wildcards_are_recognised() {
        assert!(contains_wildcards("*.txt"));
        assert!(contains_wildcards("a/[ab]"));
        assert!(!contains_wildcards("a\\*b"));
        assert!(!contains_wildcards("plain/path"));
    }
}
