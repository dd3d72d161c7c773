//! Leases: in-memory marks on blobs and snapshots that in-flight work has created but not yet
//! referenced from an image or container. Garbage collection skips leased names. Leases live
//! only in memory because in-flight work dies with the process; the journal covers that case.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default, Clone)]
pub struct Leases {
    held: Arc<Mutex<HashMap<String, usize>>>,
}

impl Leases {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a lease; names added to it stay protected until the returned guard drops.
    pub fn start(&self) -> Lease {
        Lease {
            leases: self.clone(),
            names: Vec::new(),
        }
    }

    pub fn is_leased(&self, name: &str) -> bool {
        self.held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(name)
    }
}

pub struct Lease {
    leases: Leases,
    names: Vec<String>,
}

impl Lease {
    pub fn add(&mut self, name: impl Into<String>) {
        let name = name.into();
        *self
            .leases
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(name.clone())
            .or_default() += 1;
        self.names.push(name);
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut held = self.leases.held.lock().unwrap_or_else(|e| e.into_inner());
        for n in self.names.drain(..) {
            if let Some(c) = held.get_mut(&n) {
                *c -= 1;
                if *c == 0 {
                    held.remove(&n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_protected_until_every_lease_drops() {
        let leases = Leases::new();
        let mut a = leases.start();
        let mut b = leases.start();
        a.add("blob");
        b.add("blob");
        drop(a);
        assert!(leases.is_leased("blob"));
        drop(b);
        assert!(!leases.is_leased("blob"));
    }
}
