//! The undo journal: what to remove if the daemon dies before a piece of work completes.
//!
//! A step that is about to create files the database does not name yet first writes an entry
//! here (in the transaction that allocates the thing). When the work completes, the same
//! transaction that records the result deletes the entry. Start-up recovery replays whatever
//! entries remain, so it only touches work that was in flight at the crash.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::db::{Db, Table, WriteTx};
use crate::fsutil;

pub const JOURNAL: Table = Table::new("journal");

/// What recovery does for one entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum Undo {
    /// Remove a file or directory tree under the data root.
    RemovePath(PathBuf),
    /// Remove a snapshot record (its directory is removed by a `RemovePath` beside it).
    DropSnapshot(String),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub undo: Vec<Undo>,
}

/// A journal entry id, returned by [`add`] and given back to [`done`].
pub type EntryId = String;

pub fn add(tx: &mut WriteTx, undo: Vec<Undo>) -> Result<EntryId> {
    let id = format!("{:016x}", tx.next_id("journal")?);
    tx.put(JOURNAL, &id, &Entry { undo })?;
    Ok(id)
}

pub fn done(tx: &mut WriteTx, id: &str) -> Result<()> {
    tx.delete(JOURNAL, id)?;
    Ok(())
}

/// Replays every remaining entry: removes the paths, drops the records, clears the entry.
/// Returns how many entries were replayed.
pub fn recover(db: &Db, drop_snapshot: impl Fn(&mut WriteTx, &str) -> Result<()>) -> Result<usize> {
    let entries: Vec<(String, Entry)> = db.read(|tx| tx.scan(JOURNAL, ""))?;
    for (id, entry) in &entries {
        for undo in &entry.undo {
            if let Undo::RemovePath(p) = undo {
                tracing::info!(path = %p.display(), "recovery: removing leftover of interrupted work");
                fsutil::remove_all(p)?;
            }
        }
        db.write(|tx| {
            for undo in &entry.undo {
                if let Undo::DropSnapshot(key) = undo {
                    drop_snapshot(tx, key)?;
                }
            }
            done(tx, id)
        })?;
    }
    Ok(entries.len())
}
