//! The network side of `POST /containers/create`: which networks a container joins with which
//! endpoint settings, and dockerd's checks and messages for the combinations it refuses.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use wharf_api::container::{EndpointSettings, NetworkingConfig};
use wharf_api::network::EndpointIpamConfig;
use wharf_api::{ContainerConfig, HostConfig};
use wharf_network::Ipv4Net;

use super::ports;
use super::sandbox::primary_network;
use crate::engine::Engine;
use crate::error::ApiError;
use crate::service::containers::record::ContainerRecord;

/// The container's networks and the warnings for the client.
pub struct Joined {
    pub networks: BTreeMap<String, EndpointSettings>,
    /// Chosen MAC addresses per network (see `ContainerRecord::desired_macs`).
    pub macs: BTreeMap<String, String>,
    pub warnings: Vec<String>,
}

fn bad(m: &str) -> ApiError {
    ApiError::bad_request(m)
}

fn ipv4_of(ep: &EndpointSettings) -> Result<Option<Ipv4Addr>, ApiError> {
    let Some(v) = &ep.ipam_config else {
        return Ok(None);
    };
    let cfg: EndpointIpamConfig = serde_json::from_value(v.clone())
        .map_err(|e| ApiError::bad_request(format!("invalid IPAMConfig: {e}")))?;
    if cfg.ipv4_address.is_empty() {
        return Ok(None);
    }
    cfg.ipv4_address
        .parse()
        .map(Some)
        .map_err(|_| ApiError::bad_request(format!("invalid IPv4 address: {}", cfg.ipv4_address)))
}

/// Checks the request (before the image's config is merged in, as dockerd does) and returns
/// the networks to record.
pub fn for_create(
    e: &Engine,
    cfg: &ContainerConfig,
    hc: &mut HostConfig,
    nc: Option<&NetworkingConfig>,
) -> Result<Joined, ApiError> {
    let mut warnings = Vec::new();
    let mode = hc.network_mode.clone();
    let links = hc.links.clone().unwrap_or_default();
    ports::validate(hc)?;
    let endpoints = nc.map(|n| n.endpoints_config.clone()).unwrap_or_default();
    if let Some(target) = mode.strip_prefix("container:") {
        let _ = target;
        if !cfg.hostname.is_empty() {
            return Err(bad("conflicting options: hostname and the network mode"));
        }
        if !links.is_empty() {
            return Err(bad(
                "conflicting options: container type network can't be used with links. This would result in undefined behavior",
            ));
        }
        if hc.dns.as_ref().is_some_and(|d| !d.is_empty()) {
            return Err(bad("conflicting options: dns and the network mode"));
        }
        if hc.extra_hosts.as_ref().is_some_and(|d| !d.is_empty()) {
            return Err(bad(
                "conflicting options: custom host-to-IP mapping and the network mode",
            ));
        }
        if hc.port_bindings.as_ref().is_some_and(|p| !p.is_empty()) || hc.publish_all_ports {
            return Err(bad(
                "conflicting options: port publishing and the container type network mode",
            ));
        }
        if cfg.exposed_ports.as_ref().is_some_and(|p| !p.is_empty()) {
            return Err(bad(
                "conflicting options: port exposing and the container type network mode",
            ));
        }
        return Ok(Joined {
            networks: BTreeMap::new(),
            macs: BTreeMap::new(),
            warnings,
        });
    }
    if mode == "host" {
        if !links.is_empty() {
            return Err(bad(
                "conflicting options: host type networking can't be used with links. This would result in undefined behavior",
            ));
        }
        if hc.port_bindings.as_ref().is_some_and(|p| !p.is_empty()) || hc.publish_all_ports {
            warnings.push("Published ports are discarded when using host network mode".into());
        }
    }
    let Some(primary) = primary_network(&mode)
        .map(str::to_string)
        .or_else(|| matches!(mode.as_str(), "host" | "none").then(|| mode.clone()))
    else {
        return Ok(Joined {
            networks: BTreeMap::new(),
            macs: BTreeMap::new(),
            warnings,
        });
    };
    let net = match e.networks.get(&primary) {
        Ok(n) => n,
        // Unknown networks fail the start, as with dockerd (see `validate_host_config`).
        Err(err) if err.status == http::StatusCode::NOT_FOUND => {
            return Ok(Joined {
                networks: std::iter::once((primary, EndpointSettings::default()))
                    .chain(endpoints)
                    .collect(),
                macs: BTreeMap::new(),
                warnings,
            });
        }
        Err(err) => return Err(err),
    };
    let mut ep = endpoints
        .get(&primary)
        .or_else(|| endpoints.get(&mode))
        .or_else(|| endpoints.get(&net.name))
        .or_else(|| endpoints.get(&net.id))
        .cloned()
        .unwrap_or_default();
    if !net.is_user_bridge() {
        if ipv4_of(&ep)?.is_some() {
            return Err(bad(
                "user specified IP address is supported on user defined networks only",
            ));
        }
        if ep.aliases.as_ref().is_some_and(|a| !a.is_empty()) {
            return Err(bad(
                "network-scoped alias is supported only for containers in user defined networks",
            ));
        }
    } else if let Some(ip) = ipv4_of(&ep)? {
        if net.auto_subnet {
            return Err(bad(
                "user specified IP address is supported only when connecting to networks with user configured subnets",
            ));
        }
        let subnet: Option<Ipv4Net> = net.subnet.parse().ok();
        if !subnet.is_some_and(|s| s.contains(ip)) {
            return Err(bad(&format!(
                "no configured subnet or ip-range contain the IP address {ip}"
            )));
        }
    }
    // Links on the default bridge name running containers; validate them now.
    if net.is_default_bridge() {
        for l in &links {
            let (name, _) = l.split_once(':').unwrap_or((l, l));
            let name = name.trim_start_matches('/');
            // Not a 404: clients would take it for a missing image and pull (moby#39823).
            e.containers.get(name).map_err(|err| {
                ApiError::bad_request(format!(
                    "could not get container for {name}: {}",
                    err.message
                ))
            })?;
        }
    }
    ep.network_id = net.id.clone();
    // `--network ID`: the record keeps the network's name, as inspect shows it.
    if !net.is_predefined() && mode != net.name {
        hc.network_mode = net.name.clone();
    }
    let mut networks = BTreeMap::from([(net.name.clone(), ep)]);
    for (name, extra) in &endpoints {
        if name == &primary || name == &mode || name == &net.name || name == &net.id {
            continue;
        }
        let other = match e.networks.get(name) {
            Ok(n) => n,
            Err(err) if err.status == http::StatusCode::NOT_FOUND => {
                networks.insert(name.clone(), extra.clone());
                continue;
            }
            Err(err) => return Err(err),
        };
        if !other.is_user_bridge() {
            return Err(bad(&format!(
                "container cannot be connected to network endpoints: {primary}, {name}"
            )));
        }
        let mut ep = extra.clone();
        ep.network_id = other.id.clone();
        networks.insert(other.name.clone(), ep);
    }
    let macs = desired_macs(cfg, &net.name, &mut networks)?;
    Ok(Joined {
        networks,
        macs,
        warnings,
    })
}

/// The MAC addresses chosen per network: an endpoint's own, and the container-wide
/// `MacAddress` (API < 1.44 clients; dockerd moves it to the main network's endpoint).
fn desired_macs(
    cfg: &ContainerConfig,
    primary: &str,
    networks: &mut BTreeMap<String, EndpointSettings>,
) -> Result<BTreeMap<String, String>, ApiError> {
    if !cfg.mac_address.is_empty()
        && let Some(ep) = networks.get_mut(primary)
    {
        if ep.mac_address.is_empty() {
            ep.mac_address = cfg.mac_address.clone();
        } else if !ep.mac_address.eq_ignore_ascii_case(&cfg.mac_address) {
            return Err(bad(
                "the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty",
            ));
        }
    }
    let mut macs = BTreeMap::new();
    for (name, ep) in networks.iter_mut() {
        if ep.mac_address.is_empty() {
            continue;
        }
        let mac = wharf_network::ipam::parse_mac(&ep.mac_address)
            .ok_or_else(|| bad(&format!("invalid MAC address {}", ep.mac_address)))?;
        ep.mac_address = wharf_network::ipam::mac_string(&mac);
        macs.insert(name.clone(), ep.mac_address.clone());
    }
    Ok(macs)
}

/// Rewrites `--link name:alias` as dockerd records it (`/name:/container/alias`), once the
/// container's name is known.
pub fn normalize_links(rec: &mut ContainerRecord) {
    let me = rec.name.clone();
    if let Some(links) = rec.host_config.links.as_mut() {
        for l in links.iter_mut() {
            if l.contains(":/") {
                continue;
            }
            let (name, alias) = l.split_once(':').unwrap_or((l.as_str(), l.as_str()));
            let name = name.trim_start_matches('/');
            *l = format!("/{name}:{me}/{alias}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_recorded_as_dockerd_does() {
        let mut rec: ContainerRecord = serde_json::from_value(serde_json::json!({
            "id": "x", "name": "/client", "created": "", "path": "sh", "args": [],
            "config": {}, "host_config": {"Links": ["web:w", "db"]}, "image": "",
            "snapshot": "", "driver": "", "mounts": [], "runtime": "",
            "state": {"status": "created", "pid": 0, "exit_code": 0, "error": "",
                      "started_at": "", "finished_at": ""},
            "restart_count": 0
        }))
        .unwrap();
        normalize_links(&mut rec);
        assert_eq!(
            rec.host_config.links.unwrap(),
            vec!["/web:/client/w".to_string(), "/db:/client/db".to_string()]
        );
    }
}
