//! Networks: the records of networks (`bridge`, `host`, `none` and user-defined bridges), and
//! the containers' attachment to them, split by job:
//!
//! * [`manage`]: create, remove, prune, list and inspect networks;
//! * [`bridge`]: the bridge device behind a network, made when a container first needs it;
//! * [`sandbox`]: a container's network namespace, veth pairs and addresses, from start to
//!   exit; [`steps`]: the same for a build's RUN step; [`ports`]: its published ports; [`etc`]: its `/etc/hosts` and `resolv.conf`;
//!   [`link_env`]: the environment of its legacy links;
//! * [`firewall`]: the engine's nftables table, derived from the state here;
//! * [`resolver`]: the embedded DNS server's view of names;
//! * [`recover`]: start-up re-adoption and the sweep of a crash's leftovers, and shutdown.
//!
//! Ownership on the host: the engine's devices carry its mark ([`wharf_network::owner_alias`])
//! and its rules live in its own table; it deletes nothing else.
//!
//! Locking: [`NetState`] is one short-lived `std` mutex (never held across netlink calls or
//! `nft`); firewall writes are serialized by their own mutex and always write the latest state.

pub mod bridge;
pub mod connect;
pub mod etc;
pub mod firewall;
pub mod link_env;
pub mod manage;
pub mod ports;
pub mod record;
pub mod recover;
pub mod resolver;
pub mod sandbox;
pub mod steps;
pub mod validate;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use wharf_network::nft::{Firewall, PortRule, Proto};
use wharf_network::{dns, proxy};
use wharf_store::db::Db;

use crate::error::ApiError;
use record::{NETWORKS, NetworkRecord};

/// Host-visible names of the engine's objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naming {
    /// The default network's bridge device.
    pub default_bridge: String,
    /// The nftables table.
    pub table: String,
}

impl Naming {
    /// `wharf0` and table `wharf` for the default data root; engines on other data roots (tests,
    /// several engines on one host) add a piece of their engine id so names never collide.
    pub fn new(data_root: &Path, engine_id: &str) -> Naming {
        if data_root == Path::new(crate::config::DEFAULT_DATA_ROOT) {
            return Naming {
                default_bridge: "wharf0".into(),
                table: "wharf".into(),
            };
        }
        let tag: String = engine_id
            .chars()
            .filter(char::is_ascii_hexdigit)
            .take(6)
            .collect();
        Naming {
            default_bridge: format!("wharf-{tag}"),
            table: format!("wharf_{tag}"),
        }
    }

    /// The bridge device of a user-defined network.
    pub fn user_bridge(id: &str) -> String {
        format!("wb-{}", &id[..12.min(id.len())])
    }

    /// The host end of an endpoint's veth pair.
    pub fn veth(endpoint_id: &str) -> String {
        format!("wv{}", &endpoint_id[..13.min(endpoint_id.len())])
    }
}

/// A container's endpoint while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Active {
    pub net: String,
    pub ip: Ipv4Addr,
    /// Names it answers to on this network (user-defined networks only).
    pub names: Vec<String>,
    /// The endpoint's links (`--link` given with `--network` or `network connect`): alias and
    /// the container name it stands for, on this network, looked up when asked.
    pub links: Vec<(String, String)>,
    pub veth: String,
}

/// What a running container holds on the host.
#[derive(Default)]
pub struct Sandbox {
    pub endpoints: Vec<Active>,
    /// `--link` aliases: alias → container id.
    pub links: Vec<(String, String)>,
    pub rules: Vec<PortRule>,
    /// Host ports held: (proto, port, host ip).
    pub host_ports: Vec<(Proto, u16, Ipv4Addr)>,
    pub proxies: Vec<proxy::Proxy>,
    pub dns: Option<dns::Server>,
    pub upstreams: Vec<SocketAddr>,
}

#[derive(Default)]
pub struct NetState {
    /// By id.
    pub nets: BTreeMap<String, NetworkRecord>,
    /// Addresses in use, per network id: address → container id.
    pub ips: HashMap<String, BTreeMap<Ipv4Addr, String>>,
    /// Host ports in use: (proto, port) → (host ip, container id).
    pub ports: BTreeMap<(Proto, u16), Vec<(Ipv4Addr, String)>>,
    /// By container id.
    pub sandboxes: HashMap<String, Sandbox>,
    /// Networks whose bridge device exists.
    pub up: HashSet<String>,
    /// Where the search for a free dynamic host port resumes.
    pub next_port: u16,
}

pub struct Networks {
    db: Arc<Db>,
    pub engine_id: String,
    pub naming: Naming,
    firewall: Option<Arc<dyn Firewall>>,
    pub shared: Arc<Mutex<NetState>>,
    fw_lock: Arc<Mutex<()>>,
    /// Rewrites started by [`Networks::apply_firewall_later`] and not finished yet.
    fw_pending: Arc<std::sync::atomic::AtomicUsize>,
    pub rt: tokio::runtime::Handle,
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rustix::rand::getrandom(&mut b, rustix::rand::GetRandomFlags::empty()).ok();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A fresh 64-hex-digit id (networks, endpoints).
pub fn new_id() -> String {
    random_hex(32)
}

pub fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("network {name} not found"))
}

impl Networks {
    /// Loads the network records, creating the predefined networks on a fresh data root.
    pub fn open(db: Arc<Db>, data_root: &Path, engine_id: &str) -> Result<Networks, ApiError> {
        let naming = Naming::new(data_root, engine_id);
        let recs: Vec<(String, NetworkRecord)> = db.read(|tx| tx.scan(NETWORKS, ""))?;
        let mut nets: BTreeMap<String, NetworkRecord> =
            recs.into_iter().map(|(_, r)| (r.id.clone(), r)).collect();
        for name in record::PREDEFINED {
            if !nets.values().any(|n| n.name == name) {
                let rec = manage::predefined(name, &naming);
                db.write(|tx| tx.put(NETWORKS, &rec.id, &rec))?;
                nets.insert(rec.id.clone(), rec);
            }
        }
        let firewall: Option<Arc<dyn Firewall>> = if wharf_network::nft::available() {
            Some(Arc::new(wharf_network::nft::Nftables::new(
                naming.table.clone(),
            )))
        } else {
            tracing::warn!("nft not found: no NAT for bridge networks (install nftables)");
            None
        };
        Ok(Networks {
            db,
            engine_id: engine_id.to_string(),
            naming,
            firewall,
            shared: Arc::new(Mutex::new(NetState {
                nets,
                next_port: 0,
                ..Default::default()
            })),
            fw_lock: Arc::new(Mutex::new(())),
            fw_pending: Default::default(),
            rt: tokio::runtime::Handle::current(),
        })
    }

    pub fn state(&self) -> MutexGuard<'_, NetState> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The mark on the engine's devices.
    pub fn owner(&self) -> String {
        wharf_network::owner_alias(&self.engine_id)
    }

    /// Finds a network as dockerd does: full id, name, then unique id prefix.
    pub fn get(&self, name_or_id: &str) -> Result<NetworkRecord, ApiError> {
        let st = self.state();
        find(&st.nets, name_or_id).cloned()
    }

    pub fn all(&self) -> Vec<NetworkRecord> {
        self.state().nets.values().cloned().collect()
    }

    fn save(&self, rec: &NetworkRecord) -> Result<(), ApiError> {
        self.db.write(|tx| tx.put(NETWORKS, &rec.id, rec))?;
        Ok(())
    }

    fn delete_record(&self, id: &str) -> Result<(), ApiError> {
        self.db.write(|tx| tx.delete(NETWORKS, id).map(|_| ()))?;
        Ok(())
    }

    /// Writes the engine's rules for the current state.
    pub fn apply_firewall(&self) -> Result<(), ApiError> {
        let Some(fw) = &self.firewall else {
            return Ok(());
        };
        let _g = self.fw_lock.lock().unwrap_or_else(|p| p.into_inner());
        let rules = firewall::ruleset(&self.state());
        fw.apply(&rules)
            .map_err(|e| ApiError::internal(format!("programming the firewall: {e}")))
    }

    /// Writes the engine's rules for the state current when it runs, in the background: a
    /// rewrite that removes rules waits for an RCU grace period, which a container's exit
    /// need not wait for. [`Networks::await_firewall`] lets a starting container wait for it.
    pub fn apply_firewall_later(&self) {
        let Some(fw) = self.firewall.clone() else {
            return;
        };
        use std::sync::atomic::Ordering;
        let (lock, shared, pending) = (
            self.fw_lock.clone(),
            self.shared.clone(),
            self.fw_pending.clone(),
        );
        pending.fetch_add(1, Ordering::SeqCst);
        self.rt.spawn_blocking(move || {
            {
                let _g = lock.lock().unwrap_or_else(|p| p.into_inner());
                let rules = firewall::ruleset(&shared.lock().unwrap_or_else(|p| p.into_inner()));
                if let Err(e) = fw.apply(&rules) {
                    tracing::warn!(error = %e, "removing published ports' rules");
                }
            }
            pending.fetch_sub(1, Ordering::SeqCst);
        });
    }

    /// Waits (a few ms at most, normally) until background rewrites are done, so that an
    /// address given back by an exited container cannot reach a new one while the exited
    /// one's port rules still point at it.
    pub fn await_firewall(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while self.fw_pending.load(std::sync::atomic::Ordering::SeqCst) > 0
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// Removes the engine's rules (after any background rewrite, which would write them again).
    pub fn remove_firewall(&self) {
        self.await_firewall();
        if let Some(fw) = &self.firewall {
            let _g = self.fw_lock.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = fw.remove() {
                tracing::warn!(error = %e, "removing the firewall table");
            }
        }
    }
}

/// dockerd's network lookup over `nets`.
pub fn find<'a>(
    nets: &'a BTreeMap<String, NetworkRecord>,
    name_or_id: &str,
) -> Result<&'a NetworkRecord, ApiError> {
    if let Some(n) = nets.get(name_or_id) {
        return Ok(n);
    }
    if let Some(n) = nets.values().find(|n| n.name == name_or_id) {
        return Ok(n);
    }
    if !name_or_id.is_empty() {
        let mut found = nets.values().filter(|n| n.id.starts_with(name_or_id));
        if let Some(n) = found.next() {
            if found.next().is_some() {
                return Err(ApiError::bad_request(format!(
                    "network {name_or_id} is ambiguous ({} matches found based on ID prefix)",
                    nets.values()
                        .filter(|n| n.id.starts_with(name_or_id))
                        .count()
                )));
            }
            return Ok(n);
        }
    }
    Err(not_found(name_or_id))
}
