//! A cache of the image list, keyed by the image store's generation. `images` on a store of
//! thousands of images then costs a memory copy instead of decoding every record. It is filled
//! on the first list after a change, never at start-up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use wharf_image::{ImageRecord, ImageStore};

use crate::error::ApiError;

struct Entry {
    generation: u64,
    /// Every image, newest first.
    records: Arc<Vec<ImageRecord>>,
    /// Encoded unfiltered answers, by (all, legacy version with VirtualSize).
    encoded: HashMap<(bool, bool), Bytes>,
}

#[derive(Default)]
pub struct ImageListCache {
    entry: Mutex<Option<Entry>>,
}

impl ImageListCache {
    /// All image records, newest first.
    pub fn records(&self, store: &ImageStore) -> Result<Arc<Vec<ImageRecord>>, ApiError> {
        let generation = store.generation();
        {
            let guard = self.entry.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(e) = guard.as_ref().filter(|e| e.generation == generation) {
                return Ok(e.records.clone());
            }
        }
        let mut records = store.list()?;
        records.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        let records = Arc::new(records);
        let mut guard = self.entry.lock().unwrap_or_else(|e| e.into_inner());
        *guard = Some(Entry {
            generation,
            records: records.clone(),
            encoded: HashMap::new(),
        });
        Ok(records)
    }

    pub fn encoded(&self, store: &ImageStore, key: (bool, bool)) -> Option<Bytes> {
        let guard = self.entry.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .filter(|e| e.generation == store.generation())
            .and_then(|e| e.encoded.get(&key).cloned())
    }

    /// Remembers an encoded answer computed from `records` (dropped if the store moved on).
    pub fn remember(&self, records: &Arc<Vec<ImageRecord>>, key: (bool, bool), bytes: Bytes) {
        let mut guard = self.entry.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = guard.as_mut().filter(|e| Arc::ptr_eq(&e.records, records)) {
            e.encoded.insert(key, bytes);
        }
    }
}
