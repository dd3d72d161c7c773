//! The bridge device behind a network: made when a container first needs it (so an engine that
//! runs no bridged container changes nothing on the host), found again after a restart by its
//! mark, removed with the network or when the engine stops idle.

use std::path::Path;
use std::time::Duration;

use wharf_network::netlink::Socket;
use wharf_network::{Ipv4Net, hostlock, ipam};

use super::Networks;
use super::record::NetworkRecord;
use crate::error::ApiError;

const MTU: u32 = 1500;

/// Subnets the host uses: route destinations and addresses on links, except `own`'s device.
pub fn host_subnets(nl: &mut Socket, except_dev: Option<&str>) -> Result<Vec<Ipv4Net>, ApiError> {
    let mut used = nl.route_destinations()?;
    let links = nl.links()?;
    let skip = except_dev.and_then(|d| links.iter().find(|l| l.name == d).map(|l| l.index));
    for a in nl.addrs()? {
        if Some(a.index) == skip || a.addr.is_loopback() {
            continue;
        }
        used.push(a.net);
    }
    if let Some(idx) = skip {
        let own: Vec<Ipv4Net> = nl
            .addrs()?
            .iter()
            .filter(|a| a.index == idx)
            .map(|a| a.net)
            .collect();
        used.retain(|u| !own.contains(u));
    }
    Ok(used)
}

impl Networks {
    /// Makes sure network `id`'s bridge exists, is up and has its gateway address.
    pub fn ensure_bridge(&self, id: &str) -> Result<NetworkRecord, ApiError> {
        {
            let st = self.state();
            let rec = st.nets.get(id).ok_or_else(|| super::not_found(id))?;
            if st.up.contains(id) || !rec.is_bridge() {
                return Ok(rec.clone());
            }
        }
        // One engine at a time checks the host's subnets and takes one.
        let _lock = hostlock::lock("bridges", Duration::from_secs(30))?;
        let mut rec = self.get(id)?;
        let mut nl = Socket::open()?;
        match nl.link(&rec.bridge)? {
            Some(l) if l.alias == self.owner() => {
                let (gw, net) = gateway(&rec)?;
                match nl.add_addr(l.index, gw, net.prefix()) {
                    Ok(()) => {}
                    Err(e) if e.errno() == Some(rustix::io::Errno::EXIST) => {}
                    Err(e) => return Err(e.into()),
                }
                nl.set_up(&rec.bridge)?;
            }
            Some(_) => {
                return Err(ApiError::internal(format!(
                    "cannot create network {} ({}): a device named {} exists and was not made by this engine",
                    rec.id, rec.name, rec.bridge
                )));
            }
            None => {
                let used = host_subnets(&mut nl, None)?;
                let mut net: Ipv4Net = rec
                    .subnet
                    .parse()
                    .map_err(|e| ApiError::internal(format!("network {}: {e}", rec.name)))?;
                if used.iter().any(|u| u.overlaps(&net)) {
                    if !rec.auto_subnet {
                        let with = used.iter().find(|u| u.overlaps(&net)).copied();
                        return Err(ApiError::forbidden(format!(
                            "cannot create network {} ({}): conflicts with a route of the host ({}): networks have overlapping IPv4",
                            rec.id,
                            rec.bridge,
                            with.map(|w| w.to_string()).unwrap_or_default()
                        )));
                    }
                    // Another engine took the subnet since it was picked: move.
                    let mut taken = used.clone();
                    taken.extend(
                        self.all()
                            .iter()
                            .filter(|n| n.id != rec.id)
                            .filter_map(|n| n.subnet.parse::<Ipv4Net>().ok()),
                    );
                    net = ipam::pick_subnet(&taken).ok_or_else(|| {
                        ApiError::forbidden(
                            "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network",
                        )
                    })?;
                    rec.subnet = net.to_string();
                    rec.gateway = ipam::default_gateway(&net)
                        .map(|g| g.to_string())
                        .unwrap_or_default();
                    rec.ipam_config = vec![wharf_api::network::IpamConfig {
                        subnet: rec.subnet.clone(),
                        gateway: rec.gateway.clone(),
                        ..Default::default()
                    }];
                    self.save(&rec)?;
                    tracing::info!(network = %rec.name, subnet = %rec.subnet, "the host took the network's subnet: moved");
                }
                let (gw, net) = gateway(&rec)?;
                nl.create_bridge(&rec.bridge, MTU)?;
                let made = (|| {
                    nl.set_alias(&rec.bridge, &self.owner())?;
                    let l = nl.link(&rec.bridge)?.ok_or_else(|| {
                        wharf_network::NetError::Firewall(format!("{} vanished", rec.bridge))
                    })?;
                    nl.add_addr(l.index, gw, net.prefix())
                })();
                if let Err(e) = made {
                    let _ = nl.delete_link(&rec.bridge);
                    return Err(e.into());
                }
                tracing::info!(network = %rec.name, bridge = %rec.bridge, subnet = %rec.subnet, "bridge up");
                // Outbound NAT needs the host to forward, as dockerd makes it do.
                match enable_forwarding(Path::new(IP_FORWARD)) {
                    Ok(true) => tracing::info!("enabled net.ipv4.ip_forward for outbound NAT"),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "could not enable net.ipv4.ip_forward"),
                }
            }
        }
        {
            let mut st = self.state();
            st.nets.insert(rec.id.clone(), rec.clone());
            st.up.insert(rec.id.clone());
        }
        if let Err(e) = self.apply_firewall() {
            self.state().up.remove(&rec.id);
            let _ = nl.delete_link(&rec.bridge);
            return Err(e);
        }
        Ok(rec)
    }

    /// Deletes network `rec`'s bridge if the engine made it.
    pub fn delete_bridge(&self, rec: &NetworkRecord) -> Result<(), ApiError> {
        let was_up = self.state().up.remove(&rec.id);
        if !rec.is_bridge() {
            return Ok(());
        }
        let mut nl = Socket::open()?;
        if let Some(l) = nl.link(&rec.bridge)?
            && l.alias == self.owner()
        {
            nl.delete_link(&rec.bridge)?;
        }
        if was_up {
            self.apply_firewall()?;
        }
        Ok(())
    }
}

/// The gateway address and subnet of a bridge network.
pub fn gateway(rec: &NetworkRecord) -> Result<(std::net::Ipv4Addr, Ipv4Net), ApiError> {
    let net: Ipv4Net = rec
        .subnet
        .parse()
        .map_err(|e| ApiError::internal(format!("network {}: {e}", rec.name)))?;
    let gw = rec
        .gateway
        .parse()
        .ok()
        .or_else(|| ipam::default_gateway(&net))
        .ok_or_else(|| ApiError::internal(format!("network {}: no gateway", rec.name)))?;
    Ok((gw, net))
}

const IP_FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";

/// Sets the sysctl file at `path` to 1 unless it is already on; says whether it changed it.
fn enable_forwarding(path: &Path) -> std::io::Result<bool> {
    if std::fs::read_to_string(path)?.trim() == "1" {
        return Ok(false);
    }
    std::fs::write(path, "1")?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::enable_forwarding;

    #[test]
    fn forwarding_is_switched_on_once() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("ip_forward");
        std::fs::write(&f, "0\n").unwrap();
        assert!(enable_forwarding(&f).unwrap());
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "1");
        assert!(!enable_forwarding(&f).unwrap());
    }
}
