//! The build cache: a step hits when an earlier step had the same parent image, the same
//! instruction (after expansion), the same build arguments in scope and, for COPY/ADD, the same
//! source contents. Records live in the metadata database, so the cache survives restarts, and
//! they keep enough of their inputs to explain a miss ("file src/a.txt changed").

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use wharf_digest::{Digest, Hasher};
use wharf_store::db::{Db, Table};

/// Cache key (hex) → [`Record`].
pub const BUILD_CACHE: Table = Table::new("build_cache");
/// `<parent image id>/<key>` → (), to find what was built on an image.
pub const BUILD_CACHE_BY_PARENT: Table = Table::new("build_cache_by_parent");

pub const TABLES: [Table; 2] = [BUILD_CACHE, BUILD_CACHE_BY_PARENT];

/// What a step depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    /// The image the step starts from (empty for `scratch`).
    pub parent: String,
    /// The instruction after expansion, with everything that changes its result (flags,
    /// shell, user, workdir…).
    pub instruction: String,
    /// Build arguments in scope, `k=v`, sorted.
    pub args: Vec<String>,
    /// For COPY/ADD: each source entry with the hash of its content and metadata, by path.
    pub sources: Vec<(String, String)>,
}

impl Inputs {
    pub fn key(&self) -> String {
        let mut h = Hasher::new();
        h.update(b"wharf-build-cache-v1\n");
        for part in [&self.parent, &self.instruction] {
            h.update(part.as_bytes());
            h.update(b"\n");
        }
        for a in &self.args {
            h.update(b"arg ");
            h.update(a.as_bytes());
            h.update(b"\n");
        }
        for (p, d) in &self.sources {
            h.update(b"src ");
            h.update(p.as_bytes());
            h.update(b" ");
            h.update(d.as_bytes());
            h.update(b"\n");
        }
        h.finish().hex().to_string()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    pub image: Digest,
    pub inputs: Inputs,
    /// Unix seconds.
    pub created: i64,
    pub last_used: i64,
    pub usage_count: u64,
    /// Bytes of the layer the step added (0 for config-only steps).
    pub size: u64,
}

/// The build cache over the metadata database.
#[derive(Clone)]
pub struct Cache {
    db: std::sync::Arc<Db>,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Cache {
    pub fn new(db: std::sync::Arc<Db>) -> Cache {
        Cache { db }
    }

    pub fn get(&self, key: &str) -> Option<Record> {
        self.db
            .read(|tx| tx.get::<Record>(BUILD_CACHE, key))
            .ok()
            .flatten()
    }

    pub fn put(
        &self,
        key: &str,
        image: &Digest,
        inputs: &Inputs,
        size: u64,
    ) -> wharf_store::Result<()> {
        let t = now();
        let rec = Record {
            image: image.clone(),
            inputs: inputs.clone(),
            created: t,
            last_used: t,
            usage_count: 1,
            size,
        };
        self.db.write(|tx| {
            tx.put(BUILD_CACHE, key, &rec)?;
            tx.put(
                BUILD_CACHE_BY_PARENT,
                &format!("{}/{key}", inputs.parent),
                &(),
            )
        })
    }

    /// Records hits (one transaction for the whole build). Usage is kept to the minute: a record
    /// used less than a minute ago is not rewritten, so rebuilding over and over writes nothing.
    pub fn touch(&self, keys: &[String]) -> wharf_store::Result<()> {
        let t = now();
        let stale: Vec<&String> = keys
            .iter()
            .filter(|k| self.get(k).is_some_and(|r| t - r.last_used >= 60))
            .collect();
        if stale.is_empty() {
            return Ok(());
        }
        self.db.write(|tx| {
            for k in stale {
                if let Some(mut r) = tx.get::<Record>(BUILD_CACHE, k)? {
                    r.last_used = t;
                    r.usage_count += 1;
                    tx.put(BUILD_CACHE, k, &r)?;
                }
            }
            Ok(())
        })
    }

    /// Every record, by key.
    pub fn list(&self) -> wharf_store::Result<Vec<(String, Record)>> {
        self.db.read(|tx| tx.scan::<Record>(BUILD_CACHE, ""))
    }

    /// Removes records; returns how many went.
    pub fn remove(&self, keys: &[(String, Record)]) -> wharf_store::Result<usize> {
        self.db.write(|tx| {
            let mut n = 0;
            for (k, r) in keys {
                if tx.delete(BUILD_CACHE, k)? {
                    n += 1;
                }
                tx.delete(BUILD_CACHE_BY_PARENT, &format!("{}/{k}", r.inputs.parent))?;
            }
            Ok(n)
        })
    }

    fn children(&self, parent: &str) -> Vec<Record> {
        let keys = self
            .db
            .read(|tx| tx.keys(BUILD_CACHE_BY_PARENT, &format!("{parent}/")))
            .unwrap_or_default();
        keys.iter()
            .filter_map(|k| k.rsplit_once('/').and_then(|(_, key)| self.get(key)))
            .collect()
    }

    /// Why `inputs` missed: compared with what was built on the same parent before.
    pub fn explain(&self, inputs: &Inputs) -> String {
        let mut earlier = self.children(&inputs.parent);
        if earlier.is_empty() {
            let base = if inputs.parent.is_empty() {
                "scratch".to_string()
            } else {
                short(&inputs.parent)
            };
            return format!(
                "nothing was built on {base} before (new base image, or an earlier step changed)"
            );
        }
        earlier.sort_by_key(|r| std::cmp::Reverse(r.last_used));
        if let Some(r) = earlier
            .iter()
            .find(|r| r.inputs.instruction == inputs.instruction)
        {
            let mut why = Vec::new();
            why.extend(diff_args(&r.inputs.args, &inputs.args));
            why.extend(diff_sources(&r.inputs.sources, &inputs.sources));
            if why.is_empty() {
                return "the cached result is gone (image removed)".into();
            }
            return why.join("; ");
        }
        let kw = |s: &str| s.split_whitespace().next().unwrap_or("").to_string();
        let prev = earlier
            .iter()
            .find(|r| kw(&r.inputs.instruction) == kw(&inputs.instruction))
            .unwrap_or(&earlier[0]);
        let was = prev.inputs.instruction.lines().next().unwrap_or("");
        format!("instruction changed (was: {})", clip(was))
    }
}

fn short(id: &str) -> String {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    hex.chars().take(12).collect()
}

fn clip(s: &str) -> String {
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(79).collect::<String>())
    } else {
        s.to_string()
    }
}

fn diff_args(old: &[String], new: &[String]) -> Vec<String> {
    let split = |v: &[String]| -> BTreeMap<String, String> {
        v.iter()
            .map(|a| {
                let (k, v) = a.split_once('=').unwrap_or((a, ""));
                (k.to_string(), v.to_string())
            })
            .collect()
    };
    let (o, n) = (split(old), split(new));
    let keys: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        match (o.get(k), n.get(k)) {
            (Some(a), Some(b)) if a != b => {
                out.push(format!("build argument {k} changed ({a:?} → {b:?})"))
            }
            (None, Some(b)) => out.push(format!("build argument {k} added ({b:?})")),
            (Some(_), None) => out.push(format!("build argument {k} removed")),
            _ => {}
        }
    }
    out
}

fn diff_sources(old: &[(String, String)], new: &[(String, String)]) -> Vec<String> {
    let o: BTreeMap<&str, &str> = old.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let n: BTreeMap<&str, &str> = new.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let mut changed = Vec::new();
    for (p, d) in &n {
        match o.get(p) {
            Some(od) if od != d => changed.push(format!("file {p} changed")),
            None => changed.push(format!("file {p} added")),
            _ => {}
        }
    }
    for p in o.keys() {
        if !n.contains_key(p) {
            changed.push(format!("file {p} removed"));
        }
    }
    const SHOWN: usize = 5;
    if changed.len() > SHOWN {
        let more = changed.len() - SHOWN;
        changed.truncate(SHOWN);
        changed.push(format!("and {more} more file(s)"));
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> (tempfile::TempDir, Cache) {
        let t = tempfile::tempdir().unwrap();
        let db = Db::open(&t.path().join("m.db"), &TABLES).unwrap();
        (t, Cache::new(std::sync::Arc::new(db)))
    }

    fn inputs(instr: &str, args: &[&str], src: &[(&str, &str)]) -> Inputs {
        Inputs {
            parent: "sha256:aaaa".into(),
            instruction: instr.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            sources: src
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        }
    }

    #[test]
    fn keys_depend_on_every_input() {
        let a = inputs("RUN x", &["A=1"], &[("f", "1")]);
        let mut keys = BTreeSet::new();
        keys.insert(a.key());
        keys.insert(inputs("RUN y", &["A=1"], &[("f", "1")]).key());
        keys.insert(inputs("RUN x", &["A=2"], &[("f", "1")]).key());
        keys.insert(inputs("RUN x", &["A=1"], &[("f", "2")]).key());
        let mut b = a.clone();
        b.parent = "sha256:bbbb".into();
        keys.insert(b.key());
        assert_eq!(keys.len(), 5);
        assert_eq!(a.key(), a.clone().key());
    }

    #[test]
    fn explains_misses() {
        let (_t, c) = cache();
        let img = Digest::sha256_of(b"x");
        let old = inputs("COPY src /app", &["V=1"], &[("src/a", "1"), ("src/b", "1")]);
        c.put(&old.key(), &img, &old, 0).unwrap();
        assert!(c.get(&old.key()).is_some());
        let new = inputs("COPY src /app", &["V=2"], &[("src/a", "2"), ("src/c", "1")]);
        assert_eq!(
            c.explain(&new),
            "build argument V changed (\"1\" → \"2\"); file src/a changed; file src/c added; file src/b removed"
        );
        let other = inputs("COPY lib /app\nchmod=", &[], &[]);
        assert_eq!(
            c.explain(&other),
            "instruction changed (was: COPY src /app)"
        );
        let mut fresh = other.clone();
        fresh.parent = "sha256:0123456789abcdef".into();
        assert!(
            c.explain(&fresh)
                .starts_with("nothing was built on 0123456789ab")
        );
        c.touch(&[old.key()]).unwrap();
        assert_eq!(
            c.get(&old.key()).unwrap().usage_count,
            1,
            "used a moment ago"
        );
        let all = c.list().unwrap();
        assert_eq!(c.remove(&all).unwrap(), 1);
        assert!(c.list().unwrap().is_empty());
    }
}
