//! Start-up and shutdown. At start-up the engine takes back what its running containers hold
//! (addresses, host ports and proxies, DNS servers), deletes the devices it made that no
//! network owns any more, and writes its rules again from scratch. At shutdown with no
//! container running it removes its bridges and rules, leaving the host as it found it.

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::os::fd::AsFd;
use std::sync::Arc;

use wharf_network::netlink::Socket;
use wharf_network::{dns, netns};

use super::resolver::ContainerResolver;
use super::{Active, Naming, Sandbox, etc, ports, sandbox};
use crate::engine::Engine;
use crate::service::containers::Ctr;

/// Takes back the network of a container found running at start-up.
pub fn readopt(e: &Engine, c: &Ctr) {
    let rec = c.rec();
    let nw = &e.networks;
    let mut sb = Sandbox::default();
    let mut user_net = false;
    for (name, ep) in &rec.networks {
        let Ok(ip) = ep.ip_address.parse::<Ipv4Addr>() else {
            continue;
        };
        let Ok(net) = nw.get(if ep.network_id.is_empty() {
            name
        } else {
            &ep.network_id
        }) else {
            continue;
        };
        nw.state()
            .ips
            .entry(net.id.clone())
            .or_default()
            .insert(ip, rec.id.clone());
        user_net |= net.is_user_bridge();
        sb.endpoints.push(Active {
            net: net.id.clone(),
            ip,
            names: if net.is_user_bridge() {
                sandbox::dns_names(&rec, ep.aliases.as_deref().unwrap_or(&[]))
            } else {
                Vec::new()
            },
            links: super::resolver::endpoint_links(ep),
            veth: Naming::veth(&ep.endpoint_id),
        });
    }
    for l in rec.host_config.links.iter().flatten() {
        let (name, alias) = l.split_once(':').unwrap_or((l, l));
        if let Ok(t) = e.containers.get(name.trim_start_matches('/')) {
            let alias = alias.rsplit('/').next().unwrap_or(alias).to_string();
            sb.links.push((alias, t.id.clone()));
        }
    }
    // Published ports: the same host ports again.
    let primary = sandbox::primary_network(&rec.host_config.network_mode)
        .and_then(|p| rec.networks.get(p))
        .and_then(|ep| {
            let ip = ep.ip_address.parse::<Ipv4Addr>().ok()?;
            let net = nw.get(&ep.network_id).ok()?;
            Some((net, ip))
        });
    if let Some((net, ip)) = primary {
        let mut wanted = Vec::new();
        for (key, bindings) in &rec.ports {
            let Ok((port, _, proto)) = ports::parse_port_key(key) else {
                continue;
            };
            for b in bindings.iter().flatten() {
                let (Ok(host_ip), Ok(host_port)) =
                    (b.host_ip.parse::<Ipv4Addr>(), b.host_port.parse::<u16>())
                else {
                    continue;
                };
                wanted.push(ports::Wanted {
                    proto,
                    ctr_port: port,
                    host_ip,
                    host_range: Some((host_port, host_port)),
                    key: key.clone(),
                });
            }
        }
        match nw.publish(&rec.id, &net.bridge, ip, &wanted, Default::default()) {
            Ok(p) => {
                sb.rules = p.rules;
                sb.host_ports = p.held;
                sb.proxies = p.proxies;
            }
            Err(err) => {
                tracing::warn!(container = %rec.id, error = %err.message, "re-publishing ports")
            }
        }
    }
    if user_net && rec.state.pid > 0 {
        let path = format!("/proc/{}/ns/net", rec.state.pid);
        let sockets = netns::open(std::path::Path::new(&path)).and_then(|fd| {
            netns::enter(fd.as_fd(), || {
                dns::bind().map_err(|e| wharf_network::NetError::io("binding DNS", e))
            })
        });
        match sockets {
            Ok(s) => {
                sb.dns = Some(dns::serve(
                    &nw.rt,
                    s,
                    Arc::new(ContainerResolver {
                        state: Arc::downgrade(&nw.shared),
                        id: rec.id.clone(),
                    }),
                ))
            }
            Err(err) => tracing::warn!(container = %rec.id, error = %err, "re-binding DNS"),
        }
    }
    sb.upstreams = match rec.host_config.dns.as_deref() {
        Some(d) if !d.is_empty() => d
            .iter()
            .filter_map(|s| s.parse::<std::net::IpAddr>().ok())
            .map(|ip| std::net::SocketAddr::new(ip, 53))
            .collect(),
        _ => etc::host_nameservers(),
    };
    if !sb.endpoints.is_empty() || !sb.rules.is_empty() {
        nw.state().sandboxes.insert(rec.id.clone(), sb);
    }
}

/// After the containers are re-adopted: finds the bridges that still exist, deletes the
/// engine's devices no network owns, and writes the rules for the current state.
pub fn recover(e: &Engine) {
    let nw = &e.networks;
    let owner = nw.owner();
    let Ok(mut nl) = Socket::open() else {
        return;
    };
    let links = nl.links().unwrap_or_default();
    let ours: Vec<_> = links.iter().filter(|l| l.alias == owner).collect();
    let bridges: Vec<(String, String)> = nw
        .all()
        .iter()
        .filter(|n| n.is_bridge())
        .map(|n| (n.bridge.clone(), n.id.clone()))
        .collect();
    let running_veths: HashSet<String> = nw
        .state()
        .sandboxes
        .values()
        .flat_map(|s| s.endpoints.iter().map(|a| a.veth.clone()))
        .collect();
    for l in &ours {
        if let Some((_, id)) = bridges.iter().find(|(b, _)| *b == l.name) {
            nw.state().up.insert(id.clone());
        } else if !running_veths.contains(&l.name) {
            tracing::info!(device = %l.name, "removing a device left by an earlier run");
            let _ = nl.delete_link(&l.name);
        }
    }
    let anything = {
        let st = nw.state();
        !st.up.is_empty() || !st.sandboxes.is_empty()
    };
    if anything {
        if let Err(err) = nw.apply_firewall() {
            tracing::warn!(error = %err.message, "writing the firewall rules");
        }
    } else {
        nw.remove_firewall();
    }
}

/// At shutdown: with no container holding a network, remove the bridges and the rules.
pub fn shutdown(e: &Engine) {
    let nw = &e.networks;
    if !nw.state().sandboxes.is_empty()
        || e.containers
            .all()
            .iter()
            .any(|c| c.lock().state.status.is_alive())
    {
        return;
    }
    // The table outlives its last bridge (a user network removed before shutdown), so it goes
    // whether or not a bridge is still up.
    nw.remove_firewall();
    let was_up: Vec<String> = nw.state().up.drain().collect();
    if was_up.is_empty() {
        return;
    }
    let Ok(mut nl) = Socket::open() else {
        return;
    };
    let owner = nw.owner();
    for n in nw.all().iter().filter(|n| was_up.contains(&n.id)) {
        if nl
            .link(&n.bridge)
            .ok()
            .flatten()
            .is_some_and(|l| l.alias == owner)
        {
            let _ = nl.delete_link(&n.bridge);
        }
    }
}
