//! The engine's rules as a function of its state: every bridge that exists (masquerade,
//! isolation, `--internal`) and every published port of a running container.

use wharf_network::Ipv4Net;
use wharf_network::nft::{BridgeRules, Ruleset};

use super::NetState;

pub fn ruleset(st: &NetState) -> Ruleset {
    let mut r = Ruleset::default();
    for id in &st.up {
        let Some(n) = st.nets.get(id) else { continue };
        let Ok(subnet) = n.subnet.parse::<Ipv4Net>() else {
            continue;
        };
        r.bridges.push(BridgeRules {
            device: n.bridge.clone(),
            subnet,
            masquerade: n
                .options
                .get("com.docker.network.bridge.enable_ip_masquerade")
                .is_none_or(|v| v != "false"),
            internal: n.internal,
        });
    }
    r.bridges.sort_by(|a, b| a.device.cmp(&b.device));
    let mut ids: Vec<&String> = st.sandboxes.keys().collect();
    ids.sort();
    for id in ids {
        r.ports.extend(st.sandboxes[id].rules.iter().cloned());
    }
    r
}
