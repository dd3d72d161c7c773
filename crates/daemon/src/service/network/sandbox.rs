//! A container's network from start to exit: its namespace, one veth pair per network with
//! an address from the network's subnet, the default route, published ports, `/etc/hosts`
//! and `resolv.conf`, and the embedded DNS server on user-defined networks.
//!
//! [`attach`] runs before the container's process exists, so the network is complete when the
//! process starts; [`detach`] runs when it has exited. The namespace itself dies with the
//! container's last process, taking the veth pairs with it, so nothing leaks even when the
//! engine is killed.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::os::fd::AsFd;
use std::sync::Arc;

use wharf_api::container::EndpointSettings;
use wharf_api::network::EndpointIpamConfig;
use wharf_network::netlink::Socket;
use wharf_network::netlink::link::VethSpec;
use wharf_network::netns::{self, Netns};
use wharf_network::{Ipv4Net, dns, ipam};

use super::record::NetworkRecord;
use super::resolver::ContainerResolver;
use super::{Active, Naming, Networks, Sandbox, etc, new_id, ports};
use crate::engine::Engine;
use crate::error::ApiError;
use crate::service::containers::record::ContainerRecord;
use crate::service::containers::{Ctr, files};

/// The namespace a starting container joins; hold it until the container's init runs.
#[derive(Default)]
pub struct StartNet {
    netns: Option<Netns>,
}

impl StartNet {
    /// What the runtime opens to join the namespace (`None`: the runtime decides).
    pub fn path(&self) -> Option<String> {
        self.netns.as_ref().map(Netns::path)
    }
}

/// The network a mode names (`default` is `bridge`), or `None` for modes without endpoints.
pub fn primary_network(mode: &str) -> Option<&str> {
    match mode {
        "" | "default" => Some("bridge"),
        "host" | "none" => None,
        m if m.starts_with("container:") => None,
        m => Some(m),
    }
}

/// The names a container answers to on a user-defined network (dockerd's order).
pub fn dns_names(rec: &ContainerRecord, aliases: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        if !s.is_empty() && !out.iter().any(|x| x == s) {
            out.push(s.to_string());
        }
    };
    push(rec.bare_name());
    for a in aliases {
        push(a);
    }
    push(rec.short_id());
    push(&rec.config.hostname);
    out
}

fn static_ip(ep: &EndpointSettings) -> Option<String> {
    let cfg: EndpointIpamConfig = serde_json::from_value(ep.ipam_config.clone()?).ok()?;
    (!cfg.ipv4_address.is_empty()).then_some(cfg.ipv4_address)
}

/// One endpoint to make: its network (bridge up), address and MAC.
pub(super) struct Plan {
    pub name: String,
    pub net: NetworkRecord,
    pub subnet: Ipv4Net,
    pub gateway: Ipv4Addr,
    pub ip: Ipv4Addr,
    pub mac: [u8; 6],
    pub endpoint_id: String,
    pub ep: EndpointSettings,
}

/// Everything a failed attach must give back.
pub(super) struct Undo<'a> {
    pub nw: &'a Networks,
    pub ctr: String,
    pub ips: Vec<(String, Ipv4Addr)>,
    pub held: Vec<(wharf_network::nft::Proto, u16, Ipv4Addr)>,
    pub veths: Vec<String>,
}

impl<'a> Undo<'a> {
    pub fn new(nw: &'a Networks, ctr: &str) -> Undo<'a> {
        Undo {
            nw,
            ctr: ctr.to_string(),
            ips: Vec::new(),
            held: Vec::new(),
            veths: Vec::new(),
        }
    }
}

impl Drop for Undo<'_> {
    fn drop(&mut self) {
        release_ips(self.nw, &self.ctr, &self.ips);
        self.nw.release_ports(&self.ctr, &self.held);
        if !self.veths.is_empty()
            && let Ok(mut nl) = Socket::open()
        {
            for v in &self.veths {
                let _ = nl.delete_link(v);
            }
        }
    }
}

pub(super) fn release_ips(nw: &Networks, ctr: &str, ips: &[(String, Ipv4Addr)]) {
    let mut st = nw.state();
    for (net, ip) in ips {
        if let Some(m) = st.ips.get_mut(net)
            && m.get(ip).is_some_and(|c| c == ctr)
        {
            m.remove(ip);
        }
    }
}

/// The networks a container is on, the mode's network first.
fn networks_in_order(rec: &ContainerRecord) -> Vec<(String, EndpointSettings)> {
    let mut out = Vec::new();
    if let Some(p) = primary_network(&rec.host_config.network_mode) {
        out.push((
            p.to_string(),
            rec.networks.get(p).cloned().unwrap_or_default(),
        ));
    }
    for (k, v) in &rec.networks {
        if !out.iter().any(|(n, _)| n == k) {
            out.push((k.clone(), v.clone()));
        }
    }
    out
}

/// Sets up the container's network before it starts.
pub fn attach(e: &Engine, c: &Ctr) -> Result<StartNet, ApiError> {
    let rec = c.rec();
    let mode = rec.host_config.network_mode.as_str();
    if mode == "host" || mode.starts_with("container:") {
        return Ok(StartNet::default());
    }
    if mode == "none" {
        let (ns, ()) = netns::create(|_| Ok(()))?;
        return Ok(StartNet { netns: Some(ns) });
    }
    let nw = &e.networks;
    // An exited container's port rules may still be going; its address must not be handed
    // out before they are gone.
    nw.await_firewall();
    let mut undo = Undo::new(nw, &rec.id);

    // Networks, their bridges, and an address on each.
    let mut plans: Vec<Plan> = Vec::new();
    for (name, ep) in networks_in_order(&rec) {
        let found = if ep.network_id.is_empty() {
            nw.get(&name)
        } else {
            nw.get(&ep.network_id).or_else(|_| nw.get(&name))
        }?;
        if !found.is_bridge() {
            continue;
        }
        let mac = rec.desired_macs.get(&name).and_then(|m| ipam::parse_mac(m));
        plans.push(plan(&mut undo, &found, name, ep, mac)?);
    }
    let Some(primary) = plans.first() else {
        let (ns, ()) = netns::create(|_| Ok(()))?;
        return Ok(StartNet { netns: Some(ns) });
    };
    let want_dns = plans.iter().any(|p| p.net.is_user_bridge());
    let (ns, sockets) = plumb(&mut undo, &plans, want_dns, None)?;

    // Links, published ports, files.
    let links = resolve_links(e, &rec)?;
    let wanted = if primary.net.internal {
        Vec::new()
    } else {
        ports::wanted(&rec.host_config, &rec.config)?
    };
    let published = nw
        .publish(
            &rec.id,
            &primary.net.bridge,
            primary.ip,
            &wanted,
            ports::exposed_map(&rec.config),
        )
        .map_err(|err| {
            ApiError::new(
                err.status,
                format!(
                    "driver failed programming external connectivity on endpoint {} ({}): {}",
                    rec.bare_name(),
                    primary.endpoint_id,
                    err.message
                ),
            )
        })?;
    undo.held = published.held.clone();
    write_files(e, &rec, primary, want_dns, &links)?;

    // Register, serve DNS, program the rules.
    let upstreams = match rec.host_config.dns.as_deref() {
        Some(d) if !d.is_empty() => d
            .iter()
            .filter_map(|s| s.parse::<std::net::IpAddr>().ok())
            .map(|ip| std::net::SocketAddr::new(ip, 53))
            .collect(),
        _ => etc::host_nameservers(),
    };
    let sb = Sandbox {
        endpoints: plans
            .iter()
            .map(|p| Active {
                net: p.net.id.clone(),
                ip: p.ip,
                names: if p.net.is_user_bridge() {
                    dns_names(&rec, p.ep.aliases.as_deref().unwrap_or(&[]))
                } else {
                    Vec::new()
                },
                links: super::resolver::endpoint_links(&p.ep),
                veth: Naming::veth(&p.endpoint_id),
            })
            .collect(),
        links: links
            .iter()
            .map(|l| (l.alias.clone(), l.target.clone()))
            .collect(),
        rules: published.rules.clone(),
        host_ports: published.held.clone(),
        proxies: published.proxies,
        dns: sockets.map(|s| {
            dns::serve(
                &nw.rt,
                s,
                Arc::new(ContainerResolver {
                    state: Arc::downgrade(&nw.shared),
                    id: rec.id.clone(),
                }),
            )
        }),
        upstreams,
    };
    let has_rules = !sb.rules.is_empty();
    nw.state().sandboxes.insert(rec.id.clone(), sb);
    if has_rules && let Err(err) = nw.apply_firewall() {
        nw.state().sandboxes.remove(&rec.id);
        return Err(err);
    }
    std::mem::forget(undo);

    {
        let mut r = c.lock();
        for p in &plans {
            let mut ep = p.ep.clone();
            ep.network_id = p.net.id.clone();
            ep.endpoint_id = p.endpoint_id.clone();
            ep.gateway = if p.net.internal {
                String::new()
            } else {
                p.gateway.to_string()
            };
            ep.ip_address = p.ip.to_string();
            ep.ip_prefix_len = p.subnet.prefix() as i64;
            ep.mac_address = ipam::mac_string(&p.mac);
            if p.net.is_user_bridge() {
                ep.dns_names = Some(dns_names(&r, p.ep.aliases.as_deref().unwrap_or(&[])));
            }
            r.networks.insert(p.name.clone(), ep);
        }
        r.ports = published.map;
    }
    for p in &plans {
        e.events.publish(
            "network",
            "connect",
            &p.net.id,
            BTreeMap::from([
                ("container".to_string(), rec.id.clone()),
                ("name".to_string(), p.net.name.clone()),
                ("type".to_string(), p.net.driver.clone()),
            ]),
        );
    }
    Ok(StartNet { netns: Some(ns) })
}

/// Plans an endpoint on bridge network `found`: brings its bridge up and takes an address
/// (the static one `ep` asks for, or the lowest free one), recorded in `undo`.
pub(super) fn plan(
    undo: &mut Undo<'_>,
    found: &NetworkRecord,
    name: String,
    ep: EndpointSettings,
    mac: Option<[u8; 6]>,
) -> Result<Plan, ApiError> {
    let nw = undo.nw;
    let net = nw.ensure_bridge(&found.id)?;
    let (gateway, subnet) = super::bridge::gateway(&net)?;
    let ip = take_ip(nw, &undo.ctr, &net, &subnet, gateway, static_ip(&ep))?;
    undo.ips.push((net.id.clone(), ip));
    Ok(Plan {
        name,
        net,
        subnet,
        gateway,
        ip,
        mac: mac.unwrap_or_else(|| ipam::mac_for(ip)),
        endpoint_id: new_id(),
        ep,
    })
}

/// Makes a namespace with one veth pair per plan (`eth0`, `eth1`, … inside, with the plan's
/// address; the host end on the bridge, marked `alias` when given) and the default route
/// through the first plan's gateway. With `want_dns`, the embedded DNS server's sockets are
/// opened inside it.
pub(super) fn plumb(
    undo: &mut Undo<'_>,
    plans: &[Plan],
    want_dns: bool,
    alias: Option<&str>,
) -> Result<(Netns, Option<dns::Sockets>), ApiError> {
    let (mut ns, sockets) = netns::create(|_| {
        if want_dns {
            dns::bind()
                .map(Some)
                .map_err(|e| wharf_network::NetError::io("binding the embedded DNS server", e))
        } else {
            Ok(None)
        }
    })?;
    let mut nl = Socket::open()?;
    for (i, p) in plans.iter().enumerate() {
        let veth = Naming::veth(&p.endpoint_id);
        let peer = format!("eth{i}");
        let master = nl
            .link(&p.net.bridge)?
            .ok_or_else(|| ApiError::internal(format!("bridge {} is gone", p.net.bridge)))?;
        nl.create_veth(&VethSpec {
            name: &veth,
            master: master.index,
            mtu: 1500,
            peer_name: &peer,
            peer_netns: ns.fd.as_fd(),
            peer_mac: p.mac,
        })?;
        undo.veths.push(veth.clone());
        if let Some(a) = alias {
            nl.set_alias(&veth, a)?;
        }
        let inner = ns
            .nl
            .link(&peer)?
            .ok_or_else(|| ApiError::internal(format!("{peer} did not reach the container")))?;
        ns.nl.add_addr(inner.index, p.ip, p.subnet.prefix())?;
        ns.nl.set_up(&peer)?;
    }
    if let Some(primary) = plans.first()
        && !primary.net.internal
    {
        ns.nl.add_default_route(primary.gateway)?;
    }
    Ok((ns, sockets))
}

/// Takes an address on `net`: the static one asked for, or the lowest free one.
pub fn take_ip(
    nw: &Networks,
    ctr: &str,
    net: &NetworkRecord,
    subnet: &Ipv4Net,
    gateway: Ipv4Addr,
    wanted: Option<String>,
) -> Result<Ipv4Addr, ApiError> {
    let mut st = nw.state();
    let used = st.ips.entry(net.id.clone()).or_default();
    let ip = match wanted {
        Some(s) => {
            let ip: Ipv4Addr = s
                .parse()
                .map_err(|_| ApiError::bad_request(format!("invalid IPv4 address: {s}")))?;
            if !subnet.contains(ip) {
                return Err(ApiError::bad_request(format!(
                    "no configured subnet or ip-range contain the IP address {ip}"
                )));
            }
            if used.contains_key(&ip) || ip == gateway {
                return Err(ApiError::forbidden("Address already in use"));
            }
            ip
        }
        None => {
            let range: Option<Ipv4Net> = net.ip_range.parse().ok();
            let set = used.keys().copied().collect();
            ipam::next_free(subnet, range.as_ref(), gateway, &set).ok_or_else(|| {
                ApiError::new(
                    http::StatusCode::SERVICE_UNAVAILABLE,
                    "no available IPv4 addresses on this network's address pools: ".to_string()
                        + &net.name,
                )
            })?
        }
    };
    used.insert(ip, ctr.to_string());
    Ok(ip)
}

struct Link {
    alias: String,
    target: String,
    /// The `/etc/hosts` line: address and names.
    line: Option<(Ipv4Addr, String)>,
}

/// `--link name:alias` (stored as `/name:/me/alias`): the target must run; its address on a
/// network the two share goes into `/etc/hosts`.
fn resolve_links(e: &Engine, rec: &ContainerRecord) -> Result<Vec<Link>, ApiError> {
    let mut out = Vec::new();
    for l in rec.host_config.links.iter().flatten() {
        let (name, alias_path) = l.split_once(':').unwrap_or((l, l));
        let alias = alias_path.rsplit('/').next().unwrap_or(alias_path);
        let target = e
            .containers
            .get(name.trim_start_matches('/'))
            .map_err(|err| {
                ApiError::new(
                    err.status,
                    format!(
                        "could not get container for {}: {}",
                        name.trim_start_matches('/'),
                        err.message
                    ),
                )
            })?;
        let t = target.rec();
        if !t.state.status.is_alive() {
            return Err(ApiError::conflict(format!(
                "Cannot link to a non running container: {} AS {}",
                t.name, alias_path
            )));
        }
        let shared = rec
            .networks
            .keys()
            .find_map(|n| t.networks.get(n).filter(|ep| !ep.ip_address.is_empty()));
        let line = shared.and_then(|ep| ep.ip_address.parse().ok()).map(|ip| {
            let mut names = format!("{alias} {}", t.config.hostname);
            if alias != t.bare_name() {
                names.push(' ');
                names.push_str(t.bare_name());
            }
            (ip, names)
        });
        out.push(Link {
            alias: alias.to_string(),
            target: t.id.clone(),
            line,
        });
    }
    Ok(out)
}

fn write_files(
    e: &Engine,
    rec: &ContainerRecord,
    primary: &Plan,
    embedded_dns: bool,
    links: &[Link],
) -> Result<(), ApiError> {
    let dir = e.containers.dir(&rec.id);
    let hc = &rec.host_config;
    let lines: Vec<(Ipv4Addr, String)> = links.iter().filter_map(|l| l.line.clone()).collect();
    let hosts = etc::hosts(
        Some(primary.ip),
        &rec.config.hostname,
        &rec.config.domainname,
        hc.extra_hosts.as_deref().unwrap_or(&[]),
        &lines,
    );
    let resolv = if embedded_dns {
        etc::embedded_resolv_conf(
            hc.dns_search.as_deref().unwrap_or(&[]),
            hc.dns_options.as_deref().unwrap_or(&[]),
        )
    } else {
        files::resolv_conf(
            hc.dns.as_deref().unwrap_or(&[]),
            hc.dns_search.as_deref().unwrap_or(&[]),
            hc.dns_options.as_deref().unwrap_or(&[]),
            false,
        )
    };
    for (name, content) in [("hosts", hosts), ("resolv.conf", resolv)] {
        files::write(&dir, name, &content)
            .map_err(|err| ApiError::internal(format!("writing {name}: {err}")))?;
    }
    Ok(())
}

/// Gives back what the container held: addresses, host ports, proxies, its DNS server, its
/// rules; clears the addresses from its record.
pub fn detach(e: &Engine, c: &Ctr) {
    let nw = &e.networks;
    let sb = nw.state().sandboxes.remove(&c.id);
    let Some(mut sb) = sb else {
        return;
    };
    // Before the ports go back to the pool: a start that takes one next binds it at once.
    wharf_network::proxy::close_all(std::mem::take(&mut sb.proxies));
    let ips: Vec<(String, Ipv4Addr)> = sb.endpoints.iter().map(|a| (a.net.clone(), a.ip)).collect();
    release_ips(nw, &c.id, &ips);
    nw.release_ports(&c.id, &sb.host_ports);
    let had_rules = !sb.rules.is_empty();
    let veths: Vec<String> = sb.endpoints.iter().map(|a| a.veth.clone()).collect();
    let nets: Vec<String> = sb.endpoints.iter().map(|a| a.net.clone()).collect();
    drop(sb);
    if had_rules {
        nw.apply_firewall_later();
    }
    // The veths go with the namespace; deleting the host ends makes that immediate without
    // making the caller wait for the kernel.
    nw.rt.spawn_blocking(move || {
        if let Ok(mut nl) = Socket::open() {
            for v in veths {
                let _ = nl.delete_link(&v);
            }
        }
    });
    {
        let mut r = c.lock();
        let r = &mut *r;
        for (name, ep) in r.networks.iter_mut() {
            ep.endpoint_id.clear();
            ep.gateway.clear();
            ep.ip_address.clear();
            ep.ip_prefix_len = 0;
            ep.mac_address = r.desired_macs.get(name).cloned().unwrap_or_default();
        }
        r.ports = Default::default();
    }
    for id in nets {
        let name = nw.get(&id).map(|n| n.name).unwrap_or_default();
        e.events.publish(
            "network",
            "disconnect",
            &id,
            BTreeMap::from([
                ("container".to_string(), c.id.clone()),
                ("name".to_string(), name),
                ("type".to_string(), "bridge".to_string()),
            ]),
        );
    }
}
