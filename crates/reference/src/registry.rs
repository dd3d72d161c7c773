//! What the registry client needs to know about a reference's registry ("index"), as moby's
//! `registry` package and the docker CLI's `internal/registry` compute it.

use std::net::{IpAddr, Ipv6Addr};

use crate::Reference;

/// `registry.IndexName`: the name of Docker Hub's index, which is also its canonical domain.
pub const INDEX_NAME: &str = "docker.io";
/// `registry.IndexHostname`: Docker Hub's legacy host, still used for auth and search.
pub const INDEX_HOSTNAME: &str = "index.docker.io";
/// `registry.IndexServer`: the key under which Docker Hub credentials live in
/// `~/.docker/config.json`, and the `IndexServerAddress` of `GET /info`.
pub const INDEX_SERVER: &str = "https://index.docker.io/v1/";
/// `registry.DefaultRegistryHost`: the host that actually serves Docker Hub's v2 API.
pub const DEFAULT_REGISTRY_HOST: &str = "registry-1.docker.io";
/// `registry.DefaultV2Registry`.
pub const DEFAULT_V2_REGISTRY: &str = "https://registry-1.docker.io";

/// moby's `registry.IndexInfo` (without mirrors).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndexInfo {
    /// `docker.io` for Docker Hub, otherwise the reference's domain (`host[:port]`).
    pub name: String,
    /// Docker Hub.
    pub official: bool,
    /// Whether TLS must be verified. Loopback registries are insecure by default.
    pub secure: bool,
}

impl IndexInfo {
    /// The docker CLI's `NewIndexInfo` for a reference's domain. Without DNS, a host name is
    /// secure unless it is `localhost` or a loopback IP literal.
    pub fn for_domain(domain: &str) -> IndexInfo {
        let name = normalize_index_name(domain);
        if name == INDEX_NAME {
            return IndexInfo {
                name: INDEX_NAME.to_string(),
                official: true,
                secure: true,
            };
        }
        IndexInfo {
            name: name.to_string(),
            official: false,
            secure: !is_loopback_host(name),
        }
    }

    /// `getAuthConfigKey`: [`INDEX_SERVER`] for Docker Hub, else the index name (`host[:port]`).
    pub fn auth_config_key(&self) -> &str {
        if self.official {
            INDEX_SERVER
        } else {
            &self.name
        }
    }
}

impl Reference {
    /// The registry this reference lives in ([`IndexInfo::for_domain`] of its domain).
    pub fn index_info(&self) -> IndexInfo {
        IndexInfo::for_domain(self.domain())
    }

    /// The `host[:port]` to send registry v2 API requests to: `registry-1.docker.io` for
    /// Docker Hub, the domain itself otherwise.
    pub fn registry_host(&self) -> &str {
        v2_endpoint_host(self.domain())
    }
}

/// `normalizeIndexName`: `index.docker.io` is Docker Hub's index, `docker.io`.
pub fn normalize_index_name(name: &str) -> &str {
    if name == INDEX_HOSTNAME {
        INDEX_NAME
    } else {
        name
    }
}

/// The v2 API host for a registry domain (moby's `lookupV2Endpoints`).
pub fn v2_endpoint_host(domain: &str) -> &str {
    if domain == INDEX_NAME || domain == INDEX_HOSTNAME {
        DEFAULT_REGISTRY_HOST
    } else {
        domain
    }
}

/// The pure part of the docker CLI's `isInsecure`: `localhost` (any case), or an IP literal in
/// 127.0.0.0/8 or `::1`, with or without a port. Other host names would need DNS.
pub fn is_loopback_host(host_port: &str) -> bool {
    let host = split_host_port(host_port).map_or(host_port, |(host, _)| host);
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            ip == Ipv6Addr::LOCALHOST || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

/// Go's `net.SplitHostPort`, enough of it to strip a port: `host:port` or `[host]:port`.
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        return (!port.contains([':', '[', ']'])).then_some((host, port));
    }
    let (host, port) = s.split_once(':')?;
    (!port.contains(':') && !host.contains(['[', ']'])).then_some((host, port))
}

/// Splits a `docker search` term into index name and remote name, as the daemon does
/// (`splitReposSearchTerm`, `newIndexInfo`): `ubuntu` → (`docker.io`, `ubuntu`),
/// `library/ubuntu` → (`docker.io`, `ubuntu`), `localhost:5000/x` → (`localhost:5000`, `x`).
pub fn split_search_term(term: &str) -> (String, String) {
    let (index, remote) = match term.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (first, rest),
        _ => (INDEX_NAME, term),
    };
    let index = normalize_index_name(index);
    let remote = if index == INDEX_NAME {
        remote.strip_prefix("library/").unwrap_or(remote)
    } else {
        remote
    };
    (index.to_string(), remote.to_string())
}

/// The daemon's `ConvertToHostname`: `https://host:5000/v1/` → `host:5000`; an unknown scheme
/// is left alone, and anything after the first `/` is dropped.
pub fn convert_to_hostname(url: &str) -> &str {
    let stripped = match url.split_once("://") {
        Some(("http" | "https", rest)) => rest,
        _ => url,
    };
    stripped.split_once('/').map_or(stripped, |(host, _)| host)
}

/// The daemon's `resolveAuthConfig`: which key of a `config.json` `auths` map holds the
/// credentials for `index`. Docker Hub only ever uses [`INDEX_SERVER`]; other registries also
/// match legacy keys written as URLs (`https://host:5000/v1/`).
pub fn resolve_auth_config_key<'a>(
    keys: impl IntoIterator<Item = &'a str> + Clone,
    index: &IndexInfo,
) -> Option<&'a str> {
    let wanted = index.auth_config_key();
    if let Some(key) = keys.clone().into_iter().find(|k| *k == wanted) {
        return Some(key);
    }
    if index.official {
        return None;
    }
    keys.into_iter().find(|k| convert_to_hostname(k) == wanted)
}

/// The daemon's `ValidateIndexName` for `--insecure-registry` and `registry-mirrors` entries.
pub fn validate_index_name(name: &str) -> Result<String, InvalidIndexName> {
    let name = normalize_index_name(name);
    if name.starts_with('-') || name.ends_with('-') {
        return Err(InvalidIndexName(name.to_string()));
    }
    Ok(name.to_string())
}

/// `invalid index name (%s). Cannot begin or end with a hyphen`
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid index name ({0}). Cannot begin or end with a hyphen")]
pub struct InvalidIndexName(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    fn info(s: &str) -> IndexInfo {
        Reference::parse_normalized(s).unwrap().index_info()
    }

    #[test]
    fn docker_hub_index() {
        for s in [
            "debian",
            "user/app",
            "docker.io/library/debian",
            "index.docker.io/user/app",
        ] {
            let i = info(s);
            assert_eq!(
                i,
                IndexInfo {
                    name: "docker.io".into(),
                    official: true,
                    secure: true
                },
                "{s}"
            );
            assert_eq!(i.auth_config_key(), "https://index.docker.io/v1/");
            assert_eq!(
                Reference::parse_normalized(s).unwrap().registry_host(),
                "registry-1.docker.io"
            );
        }
    }

    #[test]
    fn private_index() {
        let i = info("example.com:5000/a/b");
        assert_eq!(
            i,
            IndexInfo {
                name: "example.com:5000".into(),
                official: false,
                secure: true
            }
        );
        assert_eq!(i.auth_config_key(), "example.com:5000");
        assert!(!info("localhost:5000/a").secure);
        assert!(!info("LOCALHOST:5000/a").secure);
        assert!(!info("127.0.0.1:5000/a").secure);
        assert!(!info("127.1.2.3/a").secure);
        assert!(!info("[::1]:5000/a").secure);
        assert!(info("[::2]:5000/a").secure);
        assert!(info("10.0.0.1:5000/a").secure);
        let r = Reference::parse_normalized("localhost:5000/a").unwrap();
        assert_eq!(r.registry_host(), "localhost:5000");
    }

    #[test]
    fn search_terms() {
        let s = |t| split_search_term(t);
        assert_eq!(s("ubuntu"), ("docker.io".into(), "ubuntu".into()));
        assert_eq!(s("library/ubuntu"), ("docker.io".into(), "ubuntu".into()));
        assert_eq!(
            s("samalba/hipache"),
            ("docker.io".into(), "samalba/hipache".into())
        );
        assert_eq!(
            s("index.docker.io/library/ubuntu"),
            ("docker.io".into(), "ubuntu".into())
        );
        assert_eq!(s("localhost/x"), ("localhost".into(), "x".into()));
        assert_eq!(
            s("example.com:5000/library/x"),
            ("example.com:5000".into(), "library/x".into())
        );
    }

    #[test]
    fn auth_keys() {
        assert_eq!(
            convert_to_hostname("https://example.com:5000/v1/"),
            "example.com:5000"
        );
        assert_eq!(convert_to_hostname("http://example.com"), "example.com");
        assert_eq!(convert_to_hostname("example.com/v2"), "example.com");
        assert_eq!(convert_to_hostname("ftp://example.com/v2"), "ftp:");
        let keys = [
            "https://index.docker.io/v1/",
            "https://example.com:5000/v1/",
            "other.io",
        ];
        assert_eq!(
            resolve_auth_config_key(keys, &info("debian")),
            Some("https://index.docker.io/v1/")
        );
        assert_eq!(
            resolve_auth_config_key(keys, &info("example.com:5000/a")),
            Some("https://example.com:5000/v1/")
        );
        assert_eq!(
            resolve_auth_config_key(keys, &info("other.io/a")),
            Some("other.io")
        );
        assert_eq!(resolve_auth_config_key(keys, &info("nothere.io/a")), None);
        assert_eq!(
            resolve_auth_config_key(["docker.io"], &info("debian")),
            None
        );
    }

    #[test]
    fn index_names() {
        assert_eq!(
            validate_index_name("index.docker.io"),
            Ok("docker.io".to_string())
        );
        assert_eq!(
            validate_index_name("-example.com").unwrap_err().to_string(),
            "invalid index name (-example.com). Cannot begin or end with a hyphen"
        );
    }
}
