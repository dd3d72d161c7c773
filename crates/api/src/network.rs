//! Network endpoints: create, inspect, list, connect, disconnect, prune. Shapes follow
//! dockerd's JSON (`types.NetworkResource` and friends).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::container::EndpointSettings;
use crate::{null_if_empty, nullable};

/// `GET /networks/{id}` and each element of `GET /networks`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NetworkResource {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "Created")]
    pub created: String,
    #[serde(rename = "Scope")]
    pub scope: String,
    #[serde(rename = "Driver")]
    pub driver: String,
    #[serde(rename = "EnableIPv6")]
    pub enable_ipv6: bool,
    #[serde(rename = "IPAM")]
    pub ipam: Ipam,
    #[serde(rename = "Internal")]
    pub internal: bool,
    #[serde(rename = "Attachable")]
    pub attachable: bool,
    #[serde(rename = "Ingress")]
    pub ingress: bool,
    #[serde(rename = "ConfigFrom")]
    pub config_from: ConfigReference,
    #[serde(rename = "ConfigOnly")]
    pub config_only: bool,
    #[serde(rename = "Containers", default, deserialize_with = "nullable")]
    pub containers: BTreeMap<String, EndpointResource>,
    #[serde(rename = "Options", default, deserialize_with = "nullable")]
    pub options: BTreeMap<String, String>,
    #[serde(rename = "Labels", default, deserialize_with = "nullable")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ConfigReference {
    #[serde(rename = "Network", default)]
    pub network: String,
}

/// IP address management of a network.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Ipam {
    #[serde(rename = "Driver", default)]
    pub driver: String,
    #[serde(rename = "Options", default)]
    pub options: Option<BTreeMap<String, String>>,
    #[serde(rename = "Config", default, deserialize_with = "nullable")]
    pub config: Vec<IpamConfig>,
}

/// One address pool: fields are left out when empty, as dockerd writes them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct IpamConfig {
    #[serde(rename = "Subnet", default, skip_serializing_if = "String::is_empty")]
    pub subnet: String,
    #[serde(rename = "IPRange", default, skip_serializing_if = "String::is_empty")]
    pub ip_range: String,
    #[serde(rename = "Gateway", default, skip_serializing_if = "String::is_empty")]
    pub gateway: String,
    #[serde(
        rename = "AuxiliaryAddresses",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub aux_addresses: Option<BTreeMap<String, String>>,
}

/// A container in `NetworkResource.Containers`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EndpointResource {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    #[serde(rename = "MacAddress")]
    pub mac_address: String,
    #[serde(rename = "IPv4Address")]
    pub ipv4_address: String,
    #[serde(rename = "IPv6Address")]
    pub ipv6_address: String,
}

/// `POST /networks/create` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NetworkCreateRequest {
    #[serde(rename = "Name", default)]
    pub name: String,
    #[serde(rename = "CheckDuplicate", default)]
    pub check_duplicate: bool,
    #[serde(rename = "Driver", default)]
    pub driver: String,
    #[serde(rename = "Scope", default)]
    pub scope: String,
    #[serde(rename = "EnableIPv6", default)]
    pub enable_ipv6: Option<bool>,
    #[serde(rename = "IPAM", default)]
    pub ipam: Option<Ipam>,
    #[serde(rename = "Internal", default)]
    pub internal: bool,
    #[serde(rename = "Attachable", default)]
    pub attachable: bool,
    #[serde(rename = "Ingress", default)]
    pub ingress: bool,
    #[serde(rename = "ConfigOnly", default)]
    pub config_only: bool,
    #[serde(rename = "ConfigFrom", default)]
    pub config_from: Option<ConfigReference>,
    #[serde(rename = "Options", default, deserialize_with = "nullable")]
    pub options: BTreeMap<String, String>,
    #[serde(rename = "Labels", default, deserialize_with = "nullable")]
    pub labels: BTreeMap<String, String>,
}

/// `POST /networks/create` answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NetworkCreateResponse {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "Warning", default)]
    pub warning: String,
}

/// `POST /networks/{id}/connect` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NetworkConnectRequest {
    #[serde(rename = "Container", default)]
    pub container: String,
    #[serde(rename = "EndpointConfig", default)]
    pub endpoint_config: Option<EndpointSettings>,
}

/// `POST /networks/{id}/disconnect` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NetworkDisconnectRequest {
    #[serde(rename = "Container", default)]
    pub container: String,
    #[serde(rename = "Force", default)]
    pub force: bool,
}

/// `POST /networks/prune` answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct NetworksPruneReport {
    #[serde(
        rename = "NetworksDeleted",
        default,
        deserialize_with = "nullable",
        serialize_with = "null_if_empty"
    )]
    pub networks_deleted: Vec<String>,
}

/// `EndpointSettings.IPAMConfig`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct EndpointIpamConfig {
    #[serde(
        rename = "IPv4Address",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub ipv4_address: String,
    #[serde(
        rename = "IPv6Address",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub ipv6_address: String,
    #[serde(
        rename = "LinkLocalIPs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub link_local_ips: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_serialize_as_dockerd_does() {
        let n = NetworkResource {
            name: "host".into(),
            scope: "local".into(),
            driver: "host".into(),
            ipam: Ipam {
                driver: "default".into(),
                options: None,
                config: vec![],
            },
            ..Default::default()
        };
        let s = serde_json::to_string(&n).unwrap();
        assert!(
            s.contains(r#""IPAM":{"Driver":"default","Options":null,"Config":[]}"#),
            "{s}"
        );
        assert!(s.contains(r#""ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":{},"Options":{},"Labels":{}"#));
        let c = IpamConfig {
            subnet: "172.18.0.0/16".into(),
            gateway: "172.18.0.1".into(),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"Subnet":"172.18.0.0/16","Gateway":"172.18.0.1"}"#
        );
        let p = NetworksPruneReport::default();
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"NetworksDeleted":null}"#
        );
    }
}
