//! What a container's embedded DNS server answers: the names of the running containers on its
//! user-defined networks (container name, network aliases, short id, hostname, also as
//! `name.network`), its own `--link` aliases (legacy ones and its endpoints'), and reverse
//! lookups of their addresses.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Mutex, Weak};

use wharf_network::dns::Resolve;

use super::NetState;

pub struct ContainerResolver {
    pub state: Weak<Mutex<NetState>>,
    pub id: String,
}

/// An endpoint's `Links` (`name:alias` or `name`) as (alias, container name).
pub fn endpoint_links(ep: &wharf_api::container::EndpointSettings) -> Vec<(String, String)> {
    ep.links
        .iter()
        .flatten()
        .map(|l| {
            let (name, alias) = l.split_once(':').unwrap_or((l, l));
            (alias.to_string(), name.trim_start_matches('/').to_string())
        })
        .collect()
}

fn bare<'a>(name: &'a str, network: &str) -> &'a str {
    name.strip_suffix(network)
        .and_then(|n| n.strip_suffix('.'))
        .unwrap_or(name)
}

impl Resolve for ContainerResolver {
    fn lookup(&self, name: &str) -> Option<Vec<Ipv4Addr>> {
        let state = self.state.upgrade()?;
        let st = state.lock().unwrap_or_else(|p| p.into_inner());
        let me = st.sandboxes.get(&self.id)?;
        let mine: Vec<&super::Active> = me
            .endpoints
            .iter()
            .filter(|e| st.nets.get(&e.net).is_some_and(|n| n.is_user_bridge()))
            .collect();
        let mut ips = Vec::new();
        for (alias, target) in &me.links {
            if alias.eq_ignore_ascii_case(name)
                && let Some(t) = st.sandboxes.get(target)
            {
                ips.extend(
                    t.endpoints
                        .iter()
                        .filter(|te| mine.iter().any(|m| m.net == te.net))
                        .map(|te| te.ip),
                );
            }
        }
        for ep in &mine {
            let netname = st.nets.get(&ep.net).map(|n| n.name.as_str()).unwrap_or("");
            let asked = bare(name, netname);
            // An endpoint link answers for its container's name on this network.
            let wanted = ep
                .links
                .iter()
                .find(|(alias, _)| alias.eq_ignore_ascii_case(asked))
                .map_or(asked, |(_, target)| target.as_str());
            for sb in st.sandboxes.values() {
                for other in sb.endpoints.iter().filter(|o| o.net == ep.net) {
                    if other.names.iter().any(|n| n.eq_ignore_ascii_case(wanted))
                        && !ips.contains(&other.ip)
                    {
                        ips.push(other.ip);
                    }
                }
            }
        }
        (!ips.is_empty()).then_some(ips)
    }

    fn reverse(&self, ip: Ipv4Addr) -> Option<String> {
        let state = self.state.upgrade()?;
        let st = state.lock().unwrap_or_else(|p| p.into_inner());
        let me = st.sandboxes.get(&self.id)?;
        for ep in &me.endpoints {
            let Some(net) = st.nets.get(&ep.net).filter(|n| n.is_user_bridge()) else {
                continue;
            };
            for sb in st.sandboxes.values() {
                if let Some(o) = sb.endpoints.iter().find(|o| o.net == ep.net && o.ip == ip)
                    && let Some(first) = o.names.first()
                {
                    return Some(format!("{first}.{}", net.name));
                }
            }
        }
        None
    }

    fn upstreams(&self) -> Vec<SocketAddr> {
        let Some(state) = self.state.upgrade() else {
            return Vec::new();
        };
        let st = state.lock().unwrap_or_else(|p| p.into_inner());
        st.sandboxes
            .get(&self.id)
            .map(|s| s.upstreams.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::record::NetworkRecord;
    use super::super::{Active, Sandbox};
    use super::*;

    fn ep(net: &str, ip: [u8; 4], names: &[&str]) -> Active {
        Active {
            net: net.into(),
            ip: ip.into(),
            names: names.iter().map(|s| s.to_string()).collect(),
            links: Vec::new(),
            veth: String::new(),
        }
    }

    #[test]
    fn names_resolve_only_on_shared_user_networks() {
        let mut st = NetState::default();
        for (id, name) in [("n1", "backend"), ("n2", "other"), ("b", "bridge")] {
            st.nets.insert(
                id.into(),
                NetworkRecord {
                    id: id.into(),
                    name: name.into(),
                    driver: "bridge".into(),
                    ..Default::default()
                },
            );
        }
        let mut me = Sandbox::default();
        let mut mine = ep("n1", [10, 1, 0, 2], &["client"]);
        mine.links = endpoint_links(&wharf_api::container::EndpointSettings {
            links: Some(vec!["db:primary".into(), "/far".into()]),
            ..Default::default()
        });
        me.endpoints.push(mine);
        me.links.push(("cache".into(), "c3".into()));
        st.sandboxes.insert("c1".into(), me);
        let mut db = Sandbox::default();
        db.endpoints
            .push(ep("n1", [10, 1, 0, 3], &["db", "database", "0123456789ab"]));
        st.sandboxes.insert("c2".into(), db);
        let mut cache = Sandbox::default();
        cache.endpoints.push(ep("n1", [10, 1, 0, 4], &["redis"]));
        st.sandboxes.insert("c3".into(), cache);
        let mut far = Sandbox::default();
        far.endpoints.push(ep("n2", [10, 2, 0, 2], &["far"]));
        st.sandboxes.insert("c4".into(), far);
        let state = Arc::new(Mutex::new(st));
        let r = ContainerResolver {
            state: Arc::downgrade(&state),
            id: "c1".into(),
        };
        let ip = |a, b, c, d| vec![Ipv4Addr::new(a, b, c, d)];
        assert_eq!(r.lookup("db"), Some(ip(10, 1, 0, 3)));
        assert_eq!(r.lookup("DATABASE"), Some(ip(10, 1, 0, 3)));
        assert_eq!(r.lookup("db.backend"), Some(ip(10, 1, 0, 3)));
        assert_eq!(r.lookup("cache"), Some(ip(10, 1, 0, 4)));
        assert_eq!(r.lookup("far"), None, "not on a shared network");
        assert_eq!(r.lookup("primary"), Some(ip(10, 1, 0, 3)), "endpoint link");
        assert_eq!(r.lookup("primary.backend"), Some(ip(10, 1, 0, 3)));
        assert_eq!(
            r.reverse(Ipv4Addr::new(10, 1, 0, 3)).as_deref(),
            Some("db.backend")
        );
    }
}
