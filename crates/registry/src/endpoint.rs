//! Where to send a registry's requests: the scheme (https, or plain http for loopback and
//! `--insecure-registry` hosts), and mirrors (pull only) from the daemon's `registry-mirrors`.
//!
//! A mirror is either a URL (Docker's meaning: a mirror of Docker Hub) or `registry=URL`, a
//! mirror of any registry (`127.0.0.1:5000=http://127.0.0.1:5001`).

use std::net::IpAddr;

use wharf_reference::registry::{
    INDEX_NAME, is_loopback_host, normalize_index_name, v2_endpoint_host,
};

use crate::error::{RegistryError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `scheme://host[:port]`, no trailing slash.
    pub base: String,
    /// The registry this endpoint serves (`docker.io`, `host:port`).
    pub registry: String,
    pub mirror: bool,
}

impl Endpoint {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Mirror {
    registry: String,
    base: String,
}

#[derive(Debug, Clone, Default)]
pub struct RegistryConfig {
    insecure: Vec<String>,
    mirrors: Vec<Mirror>,
}

/// A CIDR such as `10.0.0.0/8` or `fd00::/8`.
fn cidr_contains(cidr: &str, ip: IpAddr) -> bool {
    let Some((net, bits)) = cidr.split_once('/') else {
        return false;
    };
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

fn host_only(host_port: &str) -> &str {
    if let Some(rest) = host_port.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host_port.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host_port,
    }
}

impl RegistryConfig {
    pub fn new(insecure: &[String], mirrors: &[String]) -> Result<RegistryConfig> {
        let mut out = RegistryConfig {
            insecure: insecure
                .iter()
                .map(|s| s.trim_end_matches('/').to_string())
                .collect(),
            mirrors: Vec::new(),
        };
        for m in mirrors {
            let (registry, url) = match m.split_once('=') {
                Some((r, u)) => (normalize_index_name(r.trim()).to_string(), u.trim()),
                None => (INDEX_NAME.to_string(), m.trim()),
            };
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(RegistryError::InvalidArgument(format!(
                    "invalid mirror {m:?}: the URL must start with http:// or https://"
                )));
            }
            let base = url
                .trim_end_matches('/')
                .trim_end_matches("/v2")
                .to_string();
            out.mirrors.push(Mirror { registry, base });
        }
        Ok(out)
    }

    /// Whether `host[:port]` may be spoken to over plain http.
    pub fn is_insecure(&self, host_port: &str) -> bool {
        if is_loopback_host(host_port) {
            return true;
        }
        let host = host_only(host_port);
        self.insecure.iter().any(|i| {
            let i = i
                .strip_prefix("http://")
                .or_else(|| i.strip_prefix("https://"))
                .unwrap_or(i);
            i == host_port
                || i == host
                || host.parse::<IpAddr>().is_ok_and(|ip| cidr_contains(i, ip))
        })
    }

    /// The base URL of a registry's own API.
    pub fn upstream(&self, registry: &str) -> Endpoint {
        let registry = normalize_index_name(registry);
        let host = v2_endpoint_host(registry);
        let scheme = if self.is_insecure(host) {
            "http"
        } else {
            "https"
        };
        Endpoint {
            base: format!("{scheme}://{host}"),
            registry: registry.to_string(),
            mirror: false,
        }
    }

    /// Endpoints to pull from, in order: the registry's mirrors, then the registry.
    pub fn pull_endpoints(&self, registry: &str) -> Vec<Endpoint> {
        let registry = normalize_index_name(registry);
        let mut v: Vec<Endpoint> = self
            .mirrors
            .iter()
            .filter(|m| m.registry == registry)
            .map(|m| Endpoint {
                base: m.base.clone(),
                registry: registry.to_string(),
                mirror: true,
            })
            .collect();
        v.push(self.upstream(registry));
        v
    }
}

/// The `host[:port]` of a `docker login` server argument (`https://index.docker.io/v1/`,
/// `http://h:5000`, `h:5000/v2/`), as the CLI's `ConvertToHostname` does.
pub fn login_host(server: &str) -> String {
    let s = server
        .strip_prefix("http://")
        .or_else(|| server.strip_prefix("https://"))
        .unwrap_or(server);
    let host = s.split('/').next().unwrap_or(s);
    normalize_index_name(host).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_listed_hosts_use_http() {
        let c = RegistryConfig::new(
            &[
                "myreg:5000".into(),
                "10.0.0.0/8".into(),
                "plain.example".into(),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(c.upstream("127.0.0.1:5000").base, "http://127.0.0.1:5000");
        assert_eq!(c.upstream("localhost:5000").base, "http://localhost:5000");
        assert_eq!(c.upstream("myreg:5000").base, "http://myreg:5000");
        assert_eq!(c.upstream("myreg:5001").base, "https://myreg:5001");
        assert_eq!(c.upstream("10.1.2.3:443").base, "http://10.1.2.3:443");
        assert_eq!(
            c.upstream("plain.example:8080").base,
            "http://plain.example:8080"
        );
        assert_eq!(c.upstream("docker.io").base, "https://registry-1.docker.io");
        assert_eq!(c.upstream("index.docker.io").registry, "docker.io");
        assert_eq!(c.upstream("ghcr.io").base, "https://ghcr.io");
    }

    #[test]
    fn mirrors_apply_to_their_registry_and_come_first() {
        let c = RegistryConfig::new(
            &[],
            &[
                "https://mirror.example/".into(),
                "127.0.0.1:5000=http://127.0.0.1:5001".into(),
            ],
        )
        .unwrap();
        let hub: Vec<String> = c
            .pull_endpoints("docker.io")
            .into_iter()
            .map(|e| e.base)
            .collect();
        assert_eq!(
            hub,
            ["https://mirror.example", "https://registry-1.docker.io"]
        );
        let local: Vec<String> = c
            .pull_endpoints("127.0.0.1:5000")
            .into_iter()
            .map(|e| e.base)
            .collect();
        assert_eq!(local, ["http://127.0.0.1:5001", "http://127.0.0.1:5000"]);
        assert_eq!(c.pull_endpoints("ghcr.io").len(), 1);
        assert!(RegistryConfig::new(&[], &["mirror.example".into()]).is_err());
    }

    #[test]
    fn login_servers_become_hosts() {
        assert_eq!(login_host("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(login_host("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
        assert_eq!(login_host("127.0.0.1:5000"), "127.0.0.1:5000");
    }
}
