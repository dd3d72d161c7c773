//! `network connect` and `network disconnect`: a container joins or leaves a user-defined
//! network; when it runs, its endpoint is added to (or removed from) its namespace live.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::os::fd::AsFd;
use std::sync::Arc;

use wharf_api::container::EndpointSettings;
use wharf_network::netlink::Socket;
use wharf_network::netlink::link::VethSpec;
use wharf_network::{dns, ipam, netns};

use super::record::NetworkRecord;
use super::resolver::ContainerResolver;
use super::sandbox::dns_names;
use super::{Active, Naming, new_id};
use crate::engine::Engine;
use crate::error::ApiError;
use crate::service::containers::Ctr;

fn event(e: &Engine, action: &str, net: &NetworkRecord, ctr: &str) {
    e.events.publish(
        "network",
        action,
        &net.id,
        BTreeMap::from([
            ("container".to_string(), ctr.to_string()),
            ("name".to_string(), net.name.clone()),
            ("type".to_string(), net.driver.clone()),
        ]),
    );
}

/// `POST /networks/{id}/connect`.
pub fn connect(
    e: &Engine,
    c: &Ctr,
    net: &NetworkRecord,
    mut ep: EndpointSettings,
) -> Result<(), ApiError> {
    let rec = c.rec();
    let mode = rec.host_config.network_mode.as_str();
    if mode == "host" || mode.starts_with("container:") {
        return Err(ApiError::bad_request(
            "container sharing network namespace with another container or host cannot be connected to any other network",
        ));
    }
    if mode == "none" || net.driver != "bridge" {
        return Err(ApiError::bad_request(
            "container cannot be connected to multiple networks with one of the networks in private (none) mode",
        ));
    }
    if rec.networks.contains_key(&net.name) {
        return Err(ApiError::forbidden(format!(
            "endpoint with name {} already exists in network {}",
            rec.bare_name(),
            net.name
        )));
    }
    // The same checks as at create.
    let mut hc = rec.host_config.clone();
    hc.network_mode = net.name.clone();
    hc.port_bindings = None;
    hc.publish_all_ports = false;
    let nc = wharf_api::container::NetworkingConfig {
        endpoints_config: BTreeMap::from([(net.name.clone(), ep.clone())]),
    };
    let cfg = wharf_api::ContainerConfig::default();
    super::validate::for_create(e, &cfg, &mut hc, Some(&nc))?;
    ep.network_id = net.id.clone();
    if rec.state.status.is_alive() && rec.state.pid > 0 {
        ep = attach_live(e, c, net, ep)?;
    }
    c.lock().networks.insert(net.name.clone(), ep);
    e.containers.save(c)?;
    event(e, "connect", net, &c.id);
    Ok(())
}

fn attach_live(
    e: &Engine,
    c: &Ctr,
    net: &NetworkRecord,
    mut ep: EndpointSettings,
) -> Result<EndpointSettings, ApiError> {
    let rec = c.rec();
    let nw = &e.networks;
    let net = nw.ensure_bridge(&net.id)?;
    let (gateway, subnet) = super::bridge::gateway(&net)?;
    let wanted = ep
        .ipam_config
        .clone()
        .and_then(|v| serde_json::from_value::<wharf_api::network::EndpointIpamConfig>(v).ok())
        .map(|c| c.ipv4_address)
        .filter(|s| !s.is_empty());
    let ip = take_ip_locked(e, &rec.id, &net, gateway, wanted)?;
    let release = || {
        let mut st = nw.state();
        if let Some(m) = st.ips.get_mut(&net.id) {
            m.remove(&ip);
        }
    };
    let endpoint_id = new_id();
    let veth = Naming::veth(&endpoint_id);
    let index = nw
        .state()
        .sandboxes
        .get(&rec.id)
        .map(|s| s.endpoints.len())
        .unwrap_or(0);
    let peer = format!("eth{index}");
    let has_dns = nw
        .state()
        .sandboxes
        .get(&rec.id)
        .is_some_and(|s| s.dns.is_some());
    let want_dns = net.is_user_bridge() && !has_dns;
    let done = (|| -> Result<Option<dns::Sockets>, ApiError> {
        let nsfd = netns::open(std::path::Path::new(&format!(
            "/proc/{}/ns/net",
            rec.state.pid
        )))?;
        let mut nl = Socket::open()?;
        let master = nl
            .link(&net.bridge)?
            .ok_or_else(|| ApiError::internal(format!("bridge {} is gone", net.bridge)))?;
        nl.create_veth(&VethSpec {
            name: &veth,
            master: master.index,
            mtu: 1500,
            peer_name: &peer,
            peer_netns: nsfd.as_fd(),
            peer_mac: ipam::mac_for(ip),
        })?;
        let inside = netns::enter(nsfd.as_fd(), || {
            let mut inner = Socket::open()?;
            let l = inner.link(&peer)?.ok_or_else(|| {
                wharf_network::NetError::Firewall(format!("{peer} did not reach the container"))
            })?;
            inner.add_addr(l.index, ip, subnet.prefix())?;
            inner.set_up(&peer)?;
            if want_dns {
                return dns::bind().map(Some).map_err(|e| {
                    wharf_network::NetError::io("binding the embedded DNS server", e)
                });
            }
            Ok(None)
        });
        match inside {
            Ok(s) => Ok(s),
            Err(err) => {
                let _ = nl.delete_link(&veth);
                Err(err.into())
            }
        }
    })();
    let sockets = match done {
        Ok(s) => s,
        Err(err) => {
            release();
            return Err(err);
        }
    };
    let aliases = ep.aliases.clone().unwrap_or_default();
    {
        let mut st = nw.state();
        let sb = st.sandboxes.entry(rec.id.clone()).or_default();
        sb.endpoints.push(Active {
            net: net.id.clone(),
            ip,
            names: if net.is_user_bridge() {
                dns_names(&rec, &aliases)
            } else {
                Vec::new()
            },
            links: super::resolver::endpoint_links(&ep),
            veth,
        });
        if sb.upstreams.is_empty() {
            sb.upstreams = super::etc::host_nameservers();
        }
    }
    if let Some(s) = sockets {
        let server = dns::serve(
            &nw.rt,
            s,
            Arc::new(ContainerResolver {
                state: Arc::downgrade(&nw.shared),
                id: rec.id.clone(),
            }),
        );
        if let Some(sb) = nw.state().sandboxes.get_mut(&rec.id) {
            sb.dns = Some(server);
        }
        // Its first user network: names now resolve through the embedded server, as dockerd
        // rewrites resolv.conf when it starts the resolver.
        let hc = &rec.host_config;
        let resolv = super::etc::embedded_resolv_conf(
            hc.dns_search.as_deref().unwrap_or(&[]),
            hc.dns_options.as_deref().unwrap_or(&[]),
        );
        let dir = e.containers.dir(&rec.id);
        if let Err(err) = crate::service::containers::files::write(&dir, "resolv.conf", &resolv) {
            tracing::warn!(container = %rec.id, error = %err, "rewriting resolv.conf");
        }
    }
    ep.endpoint_id = endpoint_id;
    ep.gateway = if net.internal {
        String::new()
    } else {
        gateway.to_string()
    };
    ep.ip_address = ip.to_string();
    ep.ip_prefix_len = subnet.prefix() as i64;
    ep.mac_address = ipam::mac_string(&ipam::mac_for(ip));
    if net.is_user_bridge() {
        ep.dns_names = Some(dns_names(&rec, &aliases));
    }
    Ok(ep)
}

fn take_ip_locked(
    e: &Engine,
    ctr: &str,
    net: &NetworkRecord,
    gateway: Ipv4Addr,
    wanted: Option<String>,
) -> Result<Ipv4Addr, ApiError> {
    let subnet = net
        .subnet
        .parse()
        .map_err(|_| ApiError::internal(format!("network {} has no subnet", net.name)))?;
    super::sandbox::take_ip(&e.networks, ctr, net, &subnet, gateway, wanted)
}

/// `POST /networks/{id}/disconnect`.
pub fn disconnect(e: &Engine, c: &Ctr, net: &NetworkRecord) -> Result<(), ApiError> {
    let rec = c.rec();
    let Some(ep) = rec.networks.get(&net.name).cloned() else {
        return Err(ApiError::forbidden(format!(
            "container {} is not connected to the network {}",
            rec.id, net.name
        )));
    };
    if matches!(rec.host_config.network_mode.as_str(), "host" | "none")
        || rec.host_config.network_mode.starts_with("container:")
    {
        return Err(ApiError::bad_request(
            "container cannot be disconnected from host network or connected to host network",
        ));
    }
    let nw = &e.networks;
    if let Ok(ip) = ep.ip_address.parse::<Ipv4Addr>() {
        let removed = {
            let mut st = nw.state();
            if let Some(m) = st.ips.get_mut(&net.id)
                && m.get(&ip).is_some_and(|x| x == &rec.id)
            {
                m.remove(&ip);
            }
            st.sandboxes.get_mut(&rec.id).and_then(|sb| {
                let i = sb.endpoints.iter().position(|a| a.net == net.id)?;
                Some(sb.endpoints.remove(i))
            })
        };
        if let Some(a) = removed
            && let Ok(mut nl) = Socket::open()
        {
            let _ = nl.delete_link(&a.veth);
        }
    }
    c.lock().networks.remove(&net.name);
    e.containers.save(c)?;
    event(e, "disconnect", net, &c.id);
    Ok(())
}
