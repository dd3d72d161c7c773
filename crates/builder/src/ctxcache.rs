//! Incremental build contexts (a wharf extension used by wharf's CLI; the docker CLI always
//! sends the whole context). The CLI first sends the context's manifest (paths and `stat`
//! data); the engine answers which regular files it lacks, comparing with the last context it
//! received under the same id; the build request then carries only those files. As with
//! BuildKit's context transfer, a file whose size, times, inode and mode are unchanged is
//! taken to be unchanged.

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use wharf_api::build::{ContextEntry, ContextPlan};

use crate::context::{Context, rel_path};

/// Contexts kept, one per id (least recently used dropped first).
const KEEP: usize = 8;
/// Data files one context may chain before the engine asks for everything again.
const MAX_SPOOLS: usize = 16;
/// How long a planned session waits for its build request.
const SESSION_TTL: Duration = Duration::from_secs(300);

struct Kept {
    ctx: Context,
    stats: HashMap<String, ContextEntry>,
    used: Instant,
}

struct Session {
    id: String,
    manifest: Vec<ContextEntry>,
    base: Option<Context>,
    created: Instant,
}

#[derive(Default)]
struct Inner {
    kept: HashMap<String, Kept>,
    sessions: HashMap<String, Session>,
}

/// The engine's side of incremental contexts.
#[derive(Default)]
pub struct ContextCache {
    inner: Mutex<Inner>,
}

fn same(a: &ContextEntry, b: &ContextEntry) -> bool {
    a.kind == b.kind
        && a.mode == b.mode
        && a.size == b.size
        && a.mtime == b.mtime
        && a.mtime_ns == b.mtime_ns
        && a.dev == b.dev
        && a.ino == b.ino
        && a.ino != 0
}

fn token() -> String {
    let mut b = [0u8; 16];
    let _ = rustix::rand::getrandom(&mut b, rustix::rand::GetRandomFlags::empty());
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl ContextCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Which files of `manifest` must be sent, and the session that names the plan.
    pub fn plan(&self, id: &str, manifest: Vec<ContextEntry>) -> ContextPlan {
        let mut inner = self.lock();
        inner
            .sessions
            .retain(|_, s| s.created.elapsed() < SESSION_TTL);
        let base = inner
            .kept
            .get_mut(id)
            .filter(|k| k.ctx.spool_count() <= MAX_SPOOLS);
        let mut need = Vec::new();
        let base_ctx = base.map(|k| {
            k.used = Instant::now();
            for (i, m) in manifest.iter().enumerate() {
                if m.kind != "f" {
                    continue;
                }
                let have = k
                    .stats
                    .get(&rel_path(&m.path))
                    .is_some_and(|old| same(old, m));
                if !have {
                    need.push(i);
                }
            }
            k.ctx.clone()
        });
        if base_ctx.is_none() {
            need = manifest
                .iter()
                .enumerate()
                .filter(|(_, m)| m.kind == "f")
                .map(|(i, _)| i)
                .collect();
        }
        let session = token();
        inner.sessions.insert(
            session.clone(),
            Session {
                id: id.to_string(),
                manifest,
                base: base_ctx,
                created: Instant::now(),
            },
        );
        ContextPlan { session, need }
    }

    /// The context of a planned session, from the files sent (a tar). It becomes the base for
    /// the next context with the same id.
    pub fn assemble(&self, session: &str, tar: impl Read, spool_dir: &Path) -> io::Result<Context> {
        let s = self.lock().sessions.remove(session).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no build context session {session} (expired, or the engine restarted)"),
            )
        })?;
        let received = Context::from_tar(tar, spool_dir)?;
        let ctx = Context::assemble(&s.manifest, received, s.base.as_ref())?;
        let stats = s
            .manifest
            .into_iter()
            .map(|m| (rel_path(&m.path), m))
            .collect();
        let mut inner = self.lock();
        inner.kept.insert(
            s.id,
            Kept {
                ctx: ctx.clone(),
                stats,
                used: Instant::now(),
            },
        );
        while inner.kept.len() > KEEP {
            let oldest = inner
                .kept
                .iter()
                .min_by_key(|(_, k)| k.used)
                .map(|(id, _)| id.clone());
            match oldest {
                Some(id) => inner.kept.remove(&id),
                None => break,
            };
        }
        Ok(ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_archive::tar::{EntryKind, Header, Writer};

    fn entry(path: &str, size: u64, mtime: i64) -> ContextEntry {
        ContextEntry {
            path: path.into(),
            kind: "f".into(),
            mode: 0o644,
            size,
            mtime,
            mtime_ns: 0,
            dev: 1,
            ino: size + 100,
            link: String::new(),
        }
    }

    fn tar(files: &[(&str, &str)]) -> Vec<u8> {
        let mut w = Writer::new(Vec::new());
        for (p, d) in files {
            let mut h = Header::new(EntryKind::Regular, p.as_bytes().to_vec());
            h.size = d.len() as u64;
            w.append(&h, d.as_bytes()).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn only_changed_files_are_asked_for_again() {
        let c = ContextCache::default();
        let dir = std::env::temp_dir();
        let m1 = vec![entry("a", 1, 10), entry("b", 2, 10)];
        let p = c.plan("id", m1);
        assert_eq!(p.need, vec![0, 1], "nothing known yet");
        let ctx = c
            .assemble(&p.session, &tar(&[("a", "A"), ("b", "BB")])[..], &dir)
            .unwrap();
        assert_eq!(ctx.read("b").unwrap(), b"BB");
        let m2 = vec![entry("a", 1, 10), entry("b", 2, 11), entry("c", 3, 10)];
        let p = c.plan("id", m2);
        assert_eq!(p.need, vec![1, 2]);
        let ctx = c
            .assemble(&p.session, &tar(&[("b", "bb"), ("c", "CCC")])[..], &dir)
            .unwrap();
        assert_eq!(ctx.read("a").unwrap(), b"A", "kept from the first transfer");
        assert_eq!(ctx.read("b").unwrap(), b"bb");
        assert_eq!(ctx.read("c").unwrap(), b"CCC");
        assert!(
            c.assemble(&p.session, &tar(&[])[..], &dir).is_err(),
            "a session is used once"
        );
        let p = c.plan("other", vec![entry("a", 1, 10)]);
        assert_eq!(p.need, vec![0], "contexts are kept per id");
    }
}
