//! Published ports: what a container asks for (`PortBindings`, `PublishAllPorts` over its
//! exposed ports), the host ports it gets (fixed, a range, or the next free dynamic port), the
//! proxies that hold them, and the kernel rules that carry their traffic.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};

use wharf_api::hostconfig::{PortBinding, PortMap};
use wharf_api::{ContainerConfig, HostConfig};
use wharf_network::nft::{PortRule, Proto};
use wharf_network::proxy;

use super::Networks;
use crate::error::ApiError;

/// `80`, `80/udp`, `8000-8010/tcp` → first, last, protocol.
pub fn parse_port_key(k: &str) -> Result<(u16, u16, Proto), String> {
    let (ports, proto) = match k.split_once('/') {
        Some((p, proto)) => (p, proto),
        None => (k, "tcp"),
    };
    let proto = Proto::parse(proto).ok_or_else(|| format!("invalid proto: {proto}"))?;
    let (a, b) = parse_range(ports)?;
    Ok((a, b, proto))
}

/// `8080` or `8080-8090` (go-connections' `ParsePortRange`).
pub fn parse_range(s: &str) -> Result<(u16, u16), String> {
    let bad = || format!("invalid port specification: \"{s}\"");
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a, b),
        None => (s, s),
    };
    let a: u16 = a.parse().map_err(|_| bad())?;
    let b: u16 = b.parse().map_err(|_| bad())?;
    if b < a {
        return Err(bad());
    }
    Ok((a, b))
}

/// dockerd's checks of `PortBindings` at create.
pub fn validate(hc: &HostConfig) -> Result<(), ApiError> {
    for (k, bindings) in hc.port_bindings.iter().flatten() {
        let port = k.split('/').next().unwrap_or("");
        parse_port_key(k).map_err(|_| {
            ApiError::bad_request(format!("invalid port specification: \"{port}\""))
        })?;
        for b in bindings.iter().flatten() {
            if !b.host_port.is_empty() {
                let hp = b.host_port.split('/').next().unwrap_or("");
                parse_range(hp).map_err(|_| {
                    ApiError::bad_request(format!(
                        "invalid port specification: \"{}\"",
                        b.host_port
                    ))
                })?;
            }
            if !b.host_ip.is_empty() && b.host_ip.parse::<std::net::IpAddr>().is_err() {
                return Err(ApiError::bad_request(format!(
                    "invalid host IP address: {}",
                    b.host_ip
                )));
            }
        }
    }
    Ok(())
}

/// One port to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub proto: Proto,
    pub ctr_port: u16,
    pub host_ip: Ipv4Addr,
    /// `None`: a dynamic port.
    pub host_range: Option<(u16, u16)>,
    /// The key in `NetworkSettings.Ports`.
    pub key: String,
}

fn key_of(port: u16, proto: Proto) -> String {
    format!("{port}/{}", proto.as_str())
}

/// What the container publishes: its bindings, and with `-P` every exposed port that has none.
pub fn wanted(hc: &HostConfig, cfg: &ContainerConfig) -> Result<Vec<Wanted>, ApiError> {
    let mut out = Vec::new();
    let mut bound = BTreeSet::new();
    for (k, bindings) in hc.port_bindings.iter().flatten() {
        let (a, _, proto) = parse_port_key(k).map_err(ApiError::bad_request)?;
        bound.insert(key_of(a, proto));
        let list: Vec<PortBinding> = bindings.clone().unwrap_or_default();
        let list = if list.is_empty() {
            vec![PortBinding::default()]
        } else {
            list
        };
        for b in list {
            let host_ip = if b.host_ip.is_empty() {
                Ipv4Addr::UNSPECIFIED
            } else {
                match b.host_ip.parse::<Ipv4Addr>() {
                    Ok(ip) => ip,
                    // IPv6 host addresses: wharf publishes on IPv4 only.
                    Err(_) => continue,
                }
            };
            let hp = b.host_port.split('/').next().unwrap_or("");
            let host_range = if hp.is_empty() || hp == "0" {
                None
            } else {
                Some(parse_range(hp).map_err(ApiError::bad_request)?)
            };
            out.push(Wanted {
                proto,
                ctr_port: a,
                host_ip,
                host_range,
                key: key_of(a, proto),
            });
        }
    }
    if hc.publish_all_ports {
        for k in cfg.exposed_ports.iter().flat_map(|m| m.keys()) {
            let Ok((a, _, proto)) = parse_port_key(k) else {
                continue;
            };
            if bound.insert(key_of(a, proto)) {
                out.push(Wanted {
                    proto,
                    ctr_port: a,
                    host_ip: Ipv4Addr::UNSPECIFIED,
                    host_range: None,
                    key: key_of(a, proto),
                });
            }
        }
    }
    Ok(out)
}

/// The exposed ports as `NetworkSettings.Ports` lists them when nothing is published.
pub fn exposed_map(cfg: &ContainerConfig) -> PortMap {
    cfg.exposed_ports
        .iter()
        .flat_map(|m| m.keys())
        .filter_map(|k| parse_port_key(k).ok().map(|(a, _, p)| (key_of(a, p), None)))
        .collect()
}

fn dynamic_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| {
            let mut it = s.split_whitespace().map(|x| x.parse::<u16>().ok());
            Some((it.next()??, it.next()??))
        })
        .unwrap_or((49153, 65535))
}

/// Host ports a container holds, with their proxies and rules.
#[derive(Default)]
pub struct Published {
    pub rules: Vec<PortRule>,
    pub proxies: Vec<proxy::Proxy>,
    pub held: Vec<(Proto, u16, Ipv4Addr)>,
    pub map: PortMap,
}

enum Bound {
    Tcp(std::net::TcpListener),
    Udp(std::net::UdpSocket),
    None,
}

fn bind(proto: Proto, ip: Ipv4Addr, port: u16) -> std::io::Result<Bound> {
    let addr = SocketAddr::from((ip, port));
    match proto {
        Proto::Tcp => proxy::bind_tcp(addr).map(Bound::Tcp),
        Proto::Udp => proxy::bind_udp(addr).map(Bound::Udp),
        Proto::Sctp => Ok(Bound::None),
    }
}

fn conflicts(used: &[(Ipv4Addr, String)], ip: Ipv4Addr) -> bool {
    used.iter()
        .any(|(u, _)| *u == ip || u.is_unspecified() || ip.is_unspecified())
}

impl Networks {
    /// Takes host ports for `wanted`, binds their proxies to `ip`, and builds the rules. On
    /// error everything taken so far is released.
    pub fn publish(
        &self,
        ctr: &str,
        bridge: &str,
        ip: Ipv4Addr,
        wanted: &[Wanted],
        exposed: PortMap,
    ) -> Result<Published, ApiError> {
        let mut out = Published {
            map: exposed,
            ..Default::default()
        };
        for w in wanted {
            let got = self.take_port(ctr, w);
            let (port, sock) = match got {
                Ok(x) => x,
                Err(e) => {
                    self.release_ports(ctr, &out.held);
                    return Err(e);
                }
            };
            out.held.push((w.proto, port, w.host_ip));
            let target = SocketAddr::from((ip, w.ctr_port));
            let started = match sock {
                Bound::Tcp(l) => proxy::serve_tcp(&self.rt, l, target).map(Some),
                Bound::Udp(s) => proxy::serve_udp(&self.rt, s, target).map(Some),
                Bound::None => Ok(None),
            };
            match started {
                Ok(Some(p)) => out.proxies.push(p),
                Ok(None) => {}
                Err(e) => {
                    self.release_ports(ctr, &out.held);
                    return Err(ApiError::internal(format!(
                        "starting the userland proxy: {e}"
                    )));
                }
            }
            out.rules.push(PortRule {
                proto: w.proto,
                host_ip: Some(w.host_ip),
                host_port: port,
                bridge: bridge.to_string(),
                ip,
                port: w.ctr_port,
            });
            out.map
                .entry(w.key.clone())
                .or_insert(None)
                .get_or_insert_with(Vec::new)
                .push(PortBinding {
                    host_ip: w.host_ip.to_string(),
                    host_port: port.to_string(),
                });
        }
        Ok(out)
    }

    /// Reserves a host port for `w` and binds it.
    fn take_port(&self, ctr: &str, w: &Wanted) -> Result<(u16, Bound), ApiError> {
        let (first, last, dynamic) = match w.host_range {
            Some((a, b)) => (a, b, false),
            None => {
                let (a, b) = dynamic_range();
                (a, b, true)
            }
        };
        let span = (last - first) as u32 + 1;
        let start = if dynamic {
            let n = self.state().next_port;
            if (first..=last).contains(&n) {
                n
            } else {
                first
            }
        } else {
            first
        };
        let mut last_err = None;
        for i in 0..span {
            let port = (first as u32 + ((start - first) as u32 + i) % span) as u16;
            {
                let mut st = self.state();
                let used = st.ports.entry((w.proto, port)).or_default();
                if conflicts(used, w.host_ip) {
                    last_err = Some(ApiError::internal(format!(
                        "Bind for {}:{port} failed: port is already allocated",
                        w.host_ip
                    )));
                    continue;
                }
                used.push((w.host_ip, ctr.to_string()));
                if dynamic {
                    st.next_port = if port >= last { first } else { port + 1 };
                }
            }
            match bind(w.proto, w.host_ip, port) {
                Ok(b) => return Ok((port, b)),
                Err(e) => {
                    self.release_ports(ctr, &[(w.proto, port, w.host_ip)]);
                    last_err = Some(ApiError::internal(format!(
                        "Error starting userland proxy: listen {}4 {}:{port}: bind: {}",
                        w.proto.as_str(),
                        w.host_ip,
                        io_words(&e)
                    )));
                    if !dynamic && span == 1 {
                        break;
                    }
                }
            }
        }
        Err(last_err
            .unwrap_or_else(|| ApiError::internal("no free host port in the requested range")))
    }

    /// Gives host ports back.
    pub fn release_ports(&self, ctr: &str, held: &[(Proto, u16, Ipv4Addr)]) {
        let mut st = self.state();
        for (proto, port, ip) in held {
            if let Some(v) = st.ports.get_mut(&(*proto, *port)) {
                v.retain(|(i, c)| !(i == ip && c == ctr));
                if v.is_empty() {
                    st.ports.remove(&(*proto, *port));
                }
            }
        }
    }
}

/// Go's wording of common socket errors.
fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => "address already in use".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::AddrNotAvailable => "cannot assign requested address".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_keys_and_ranges_parse_like_go_connections() {
        assert_eq!(parse_port_key("80/tcp").unwrap(), (80, 80, Proto::Tcp));
        assert_eq!(parse_port_key("53/udp").unwrap(), (53, 53, Proto::Udp));
        assert_eq!(
            parse_port_key("8000-8002").unwrap(),
            (8000, 8002, Proto::Tcp)
        );
        assert_eq!(parse_port_key("80/xyz").unwrap_err(), "invalid proto: xyz");
        assert_eq!(
            parse_range("70000").unwrap_err(),
            "invalid port specification: \"70000\""
        );
        let hc = HostConfig {
            port_bindings: Some(
                [("abc/tcp".to_string(), Some(vec![PortBinding::default()]))]
                    .into_iter()
                    .collect(),
            ),
            ..Default::default()
        };
        assert_eq!(
            validate(&hc).unwrap_err().message,
            "invalid port specification: \"abc\""
        );
    }

    #[test]
    fn publish_all_adds_exposed_ports_without_bindings() {
        let hc = HostConfig {
            publish_all_ports: true,
            port_bindings: Some(
                [(
                    "80/tcp".to_string(),
                    Some(vec![PortBinding {
                        host_ip: "127.0.0.1".into(),
                        host_port: "8080".into(),
                    }]),
                )]
                .into_iter()
                .collect(),
            ),
            ..Default::default()
        };
        let cfg = ContainerConfig {
            exposed_ports: Some(
                ["80/tcp", "443/tcp", "53/udp"]
                    .iter()
                    .map(|k| (k.to_string(), Default::default()))
                    .collect(),
            ),
            ..Default::default()
        };
        let w = wanted(&hc, &cfg).unwrap();
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].host_range, Some((8080, 8080)));
        assert_eq!(w[0].host_ip, Ipv4Addr::new(127, 0, 0, 1));
        assert!(w[1..].iter().all(|x| x.host_range.is_none()));
        assert_eq!(exposed_map(&cfg).len(), 3);
    }
}
