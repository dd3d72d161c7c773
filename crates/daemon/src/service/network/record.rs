//! What the metadata database keeps per network (table `networks`, keyed by id).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use wharf_api::container::EndpointSettings;
use wharf_api::network::IpamConfig;
use wharf_store::db::Table;

pub const NETWORKS: Table = Table::new("networks");

/// The networks every engine has.
pub const PREDEFINED: [&str; 3] = ["bridge", "host", "none"];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct NetworkRecord {
    pub id: String,
    pub name: String,
    /// `bridge`, `host` or `null`.
    pub driver: String,
    /// RFC 3339.
    pub created: String,
    #[serde(default)]
    pub internal: bool,
    #[serde(default)]
    pub attachable: bool,
    #[serde(default)]
    pub ipv6: bool,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// The IPv4 subnet (bridge networks), `a.b.c.d/n`.
    #[serde(default)]
    pub subnet: String,
    #[serde(default)]
    pub gateway: String,
    /// Addresses handed out come from here when set (`--ip-range`).
    #[serde(default)]
    pub ip_range: String,
    /// The subnet was picked by the engine (so it may move if the host takes it first).
    #[serde(default)]
    pub auto_subnet: bool,
    /// `IPAM.Config` as inspect shows it.
    #[serde(default)]
    pub ipam_config: Vec<IpamConfig>,
    #[serde(default)]
    pub ipam_driver: String,
    #[serde(default)]
    pub ipam_options: Option<BTreeMap<String, String>>,
    /// The bridge device (bridge networks).
    #[serde(default)]
    pub bridge: String,
}

impl NetworkRecord {
    pub fn is_bridge(&self) -> bool {
        self.driver == "bridge"
    }

    /// The default `bridge` network (links and `/etc/hosts` instead of the embedded DNS).
    pub fn is_default_bridge(&self) -> bool {
        self.name == "bridge"
    }

    pub fn is_predefined(&self) -> bool {
        PREDEFINED.contains(&self.name.as_str())
    }

    /// A user-defined bridge network: has the embedded DNS.
    pub fn is_user_bridge(&self) -> bool {
        self.is_bridge() && !self.is_default_bridge()
    }
}

/// Reads `ContainerRecord.networks`, also from records written before endpoints were kept
/// (a name mapped to an empty string).
pub fn endpoints<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, EndpointSettings>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Endpoint(Box<EndpointSettings>),
        Legacy(#[allow(dead_code)] String),
    }
    let raw: Option<BTreeMap<String, Either>> = Option::deserialize(d)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let ep = match v {
                Either::Endpoint(e) => *e,
                Either::Legacy(_) => EndpointSettings::default(),
            };
            (k, ep)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_records_name_networks_with_strings() {
        #[derive(Deserialize)]
        struct R {
            #[serde(deserialize_with = "endpoints")]
            networks: BTreeMap<String, EndpointSettings>,
        }
        let r: R = serde_json::from_str(r#"{"networks":{"bridge":""}}"#).unwrap();
        assert_eq!(r.networks["bridge"], EndpointSettings::default());
        let r: R = serde_json::from_str(
            r#"{"networks":{"web":{"NetworkID":"abc","IPAddress":"172.18.0.2"}}}"#,
        )
        .unwrap();
        assert_eq!(r.networks["web"].ip_address, "172.18.0.2");
    }
}
