//! The metadata database: one redb file, JSON-encoded records in string-keyed tables, every
//! change a transaction. Commits use redb's quick-repair mode so that opening the database
//! after a crash does not walk the whole file: start-up stays constant-time in the number of
//! records.

use std::path::{Path, PathBuf};

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableHandle};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Result, StoreError};

/// A string-keyed table of JSON records.
#[derive(Clone, Copy, Debug)]
pub struct Table(&'static str);

impl Table {
    pub const fn new(name: &'static str) -> Table {
        Table(name)
    }

    pub fn name(self) -> &'static str {
        self.0
    }

    fn def(self) -> TableDefinition<'static, &'static str, &'static [u8]> {
        TableDefinition::new(self.0)
    }
}

const COUNTERS: TableDefinition<'static, &'static str, u64> = TableDefinition::new("counters");

pub struct Db {
    db: redb::Database,
    path: PathBuf,
}

impl Db {
    /// Opens (creating if needed) the database and makes sure `tables` exist.
    pub fn open(path: &Path, tables: &[Table]) -> Result<Db> {
        let db = match redb::Database::builder()
            .set_cache_size(16 << 20)
            .create(path)
        {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(StoreError::Locked(path.to_path_buf()));
            }
            Err(e) => return Err(StoreError::Db(format!("open {}: {e}", path.display()))),
        };
        let this = Db {
            db,
            path: path.to_path_buf(),
        };
        // Create missing tables; a database that has them all opens without writing (and
        // without the fsyncs of a commit), which keeps start-up fast under I/O load.
        let existing: std::collections::HashSet<String> = {
            let r = this.db.begin_read()?;
            r.list_tables()?.map(|h| h.name().to_string()).collect()
        };
        if tables.iter().all(|t| existing.contains(t.name())) && existing.contains("counters") {
            return Ok(this);
        }
        this.write(|tx| {
            for t in tables {
                tx.txn.open_table(t.def())?;
            }
            tx.txn.open_table(COUNTERS)?;
            Ok(())
        })?;
        Ok(this)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn read<T>(&self, f: impl FnOnce(&ReadTx) -> Result<T>) -> Result<T> {
        let tx = ReadTx {
            txn: self.db.begin_read()?,
        };
        f(&tx)
    }

    /// Runs `f` in a write transaction, committed when `f` returns `Ok`: durably, unless the
    /// calling thread is inside [`deferred`].
    pub fn write<T>(&self, f: impl FnOnce(&mut WriteTx) -> Result<T>) -> Result<T> {
        let mut txn = self.db.begin_write()?;
        if is_deferred() {
            txn.set_durability(redb::Durability::None)
                .map_err(|e| StoreError::Db(e.to_string()))?;
        } else {
            txn.set_quick_repair(true);
        }
        let mut tx = WriteTx { txn };
        let out = f(&mut tx)?;
        tx.txn.commit()?;
        Ok(out)
    }
}

thread_local! {
    static DEFERRED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with durability deferred on this thread: database commits stay in this process's
/// memory (redb's non-durable commits) and blob writes are not fsynced. Such work is
/// crash-consistent — a killed process loses it whole, like a transaction that never committed,
/// and leaves only unreferenced files for garbage collection — but it is durable only once the
/// caller has synced the data root (`fsutil::syncfs`) and then made a durable [`Db::write`]
/// outside `deferred`. Builds use it: one sync per build instead of several per step.
pub fn deferred<T>(f: impl FnOnce() -> T) -> T {
    let before = DEFERRED.with(|d| d.replace(true));
    let out = f();
    DEFERRED.with(|d| d.set(before));
    out
}

/// Whether the calling thread is inside [`deferred`].
pub fn is_deferred() -> bool {
    DEFERRED.with(|d| d.get())
}

fn decode<T: DeserializeOwned>(table: Table, key: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Record {
        table: table.name(),
        key: key.to_string(),
        source,
    })
}

fn prefix_end(prefix: &str) -> Option<String> {
    // The smallest string greater than every string starting with `prefix`.
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(last) = bytes.pop() {
        if last < 0x7f {
            bytes.push(last + 1);
            return String::from_utf8(bytes).ok();
        }
    }
    None
}

macro_rules! read_methods {
    () => {
        pub fn get<T: DeserializeOwned>(&self, table: Table, key: &str) -> Result<Option<T>> {
            let t = self.txn.open_table(table.def())?;
            match t.get(key)? {
                Some(v) => decode(table, key, v.value()).map(Some),
                None => Ok(None),
            }
        }

        pub fn contains(&self, table: Table, key: &str) -> Result<bool> {
            let t = self.txn.open_table(table.def())?;
            Ok(t.get(key)?.is_some())
        }

        /// Records whose key starts with `prefix`, in key order.
        pub fn scan<T: DeserializeOwned>(
            &self,
            table: Table,
            prefix: &str,
        ) -> Result<Vec<(String, T)>> {
            let t = self.txn.open_table(table.def())?;
            let mut out = Vec::new();
            let end = prefix_end(prefix);
            let iter = match end.as_deref() {
                Some(end) => t.range::<&str>(prefix..end)?,
                None => t.range::<&str>(prefix..)?,
            };
            for item in iter {
                let (k, v) = item?;
                let key = k.value().to_string();
                let rec = decode(table, &key, v.value())?;
                out.push((key, rec));
            }
            Ok(out)
        }

        pub fn keys(&self, table: Table, prefix: &str) -> Result<Vec<String>> {
            let t = self.txn.open_table(table.def())?;
            let end = prefix_end(prefix);
            let iter = match end.as_deref() {
                Some(end) => t.range::<&str>(prefix..end)?,
                None => t.range::<&str>(prefix..)?,
            };
            iter.map(|item| Ok(item?.0.value().to_string())).collect()
        }

        pub fn count(&self, table: Table) -> Result<u64> {
            let t = self.txn.open_table(table.def())?;
            Ok(t.len()?)
        }
    };
}

pub struct ReadTx {
    txn: redb::ReadTransaction,
}

impl ReadTx {
    read_methods!();
}

pub struct WriteTx {
    txn: redb::WriteTransaction,
}

impl WriteTx {
    read_methods!();

    pub fn put<T: Serialize>(&mut self, table: Table, key: &str, rec: &T) -> Result<()> {
        let bytes = serde_json::to_vec(rec).map_err(|source| StoreError::Record {
            table: table.name(),
            key: key.to_string(),
            source,
        })?;
        let mut t = self.txn.open_table(table.def())?;
        t.insert(key, bytes.as_slice())?;
        Ok(())
    }

    /// Removes a record; returns whether it existed.
    pub fn delete(&mut self, table: Table, key: &str) -> Result<bool> {
        let mut t = self.txn.open_table(table.def())?;
        let existed = t.remove(key)?.is_some();
        Ok(existed)
    }

    /// Next value of a named monotonic counter (starting at 1); never reused, even after a crash,
    /// because it commits with the transaction that uses it.
    pub fn next_id(&mut self, counter: &str) -> Result<u64> {
        let mut t = self.txn.open_table(COUNTERS)?;
        let next = t.get(counter)?.map(|v| v.value()).unwrap_or(0) + 1;
        t.insert(counter, next)?;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Table = Table::new("t");

    #[test]
    fn records_round_trip_and_prefix_scans() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("m.db"), &[T]).unwrap();
        db.write(|tx| {
            tx.put(T, "a/1", &1u32)?;
            tx.put(T, "a/2", &2u32)?;
            tx.put(T, "b/1", &3u32)?;
            Ok(())
        })
        .unwrap();
        let got: Vec<(String, u32)> = db.read(|tx| tx.scan(T, "a/")).unwrap();
        assert_eq!(got, vec![("a/1".into(), 1), ("a/2".into(), 2)]);
        assert_eq!(db.read(|tx| tx.count(T)).unwrap(), 3);
        assert_eq!(db.read(|tx| tx.get::<u32>(T, "b/1")).unwrap(), Some(3));
    }

    #[test]
    fn failed_transaction_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("m.db"), &[T]).unwrap();
        let r: Result<()> = db.write(|tx| {
            tx.put(T, "k", &1u32)?;
            Err(StoreError::SnapshotNotFound("x".into()))
        });
        assert!(r.is_err());
        assert_eq!(db.read(|tx| tx.get::<u32>(T, "k")).unwrap(), None);
    }

    #[test]
    fn counters_persist_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        {
            let db = Db::open(&path, &[T]).unwrap();
            assert_eq!(db.write(|tx| tx.next_id("snap")).unwrap(), 1);
            assert_eq!(db.write(|tx| tx.next_id("snap")).unwrap(), 2);
        }
        let db = Db::open(&path, &[T]).unwrap();
        assert_eq!(db.write(|tx| tx.next_id("snap")).unwrap(), 3);
    }

    #[test]
    fn reopening_with_new_tables_adds_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        drop(Db::open(&path, &[T]).unwrap());
        const U: Table = Table::new("u");
        let db = Db::open(&path, &[T, U]).unwrap();
        db.write(|tx| tx.put(U, "k", &1u32)).unwrap();
        assert_eq!(db.read(|tx| tx.count(U)).unwrap(), 1);
    }

    #[test]
    fn second_open_of_same_file_reports_locked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let _db = Db::open(&path, &[T]).unwrap();
        assert!(matches!(Db::open(&path, &[T]), Err(StoreError::Locked(_))));
    }
}

#[cfg(test)]
mod deferred_tests {
    use super::*;

    const T: Table = Table::new("t");
    const CHILD: &str = "WHARF_DEFERRED_TEST_DB";

    /// A deferred commit is gone when the process is killed before a durable one; after a
    /// durable commit it stays.
    #[test]
    fn deferred_commits_vanish_with_a_killed_process() {
        if let Ok(path) = std::env::var(CHILD) {
            let db = Db::open(Path::new(&path), &[T]).unwrap();
            deferred(|| db.write(|tx| tx.put(T, "kept", &1u32))).unwrap();
            db.write(|_| Ok(())).unwrap();
            deferred(|| db.write(|tx| tx.put(T, "lost", &2u32))).unwrap();
            assert_eq!(db.read(|tx| tx.get::<u32>(T, "lost")).unwrap(), Some(2));
            std::process::abort();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let st = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "db::deferred_tests::deferred_commits_vanish_with_a_killed_process",
            ])
            .env(CHILD, &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(!st.success(), "the child aborts");
        let db = Db::open(&path, &[T]).unwrap();
        assert_eq!(db.read(|tx| tx.get::<u32>(T, "kept")).unwrap(), Some(1));
        assert_eq!(db.read(|tx| tx.get::<u32>(T, "lost")).unwrap(), None);
        assert!(!is_deferred());
    }
}
