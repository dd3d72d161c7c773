//! `network create/ls/inspect/rm/prune`: records, validation with dockerd's messages, and the
//! API shapes.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use wharf_api::filters::Filters;
use wharf_api::network::{
    ConfigReference, EndpointResource, Ipam, IpamConfig, NetworkCreateRequest, NetworkResource,
};
use wharf_network::{Ipv4Net, ipam};

use super::record::{NetworkRecord, PREDEFINED};
use super::{Naming, Networks, new_id};
use crate::error::ApiError;

fn now() -> String {
    wharf_units::Timestamp::now().to_rfc3339_nano()
}

/// The record of a predefined network (`bridge` gets a subnet the host does not use).
pub fn predefined(name: &str, naming: &Naming) -> NetworkRecord {
    let mut rec = NetworkRecord {
        id: new_id(),
        name: name.to_string(),
        created: now(),
        ipam_driver: "default".into(),
        ..Default::default()
    };
    match name {
        "bridge" => {
            rec.driver = "bridge".into();
            rec.bridge = naming.default_bridge.clone();
            rec.auto_subnet = true;
            let used = wharf_network::netlink::Socket::open()
                .and_then(|mut nl| nl.route_destinations())
                .unwrap_or_default();
            let net = ipam::pick_subnet(&used)
                .unwrap_or_else(|| Ipv4Net::new(Ipv4Addr::new(172, 18, 0, 0), 16));
            rec.subnet = net.to_string();
            rec.gateway = ipam::default_gateway(&net)
                .map(|g| g.to_string())
                .unwrap_or_default();
            rec.ipam_config = vec![IpamConfig {
                subnet: rec.subnet.clone(),
                gateway: rec.gateway.clone(),
                ..Default::default()
            }];
            rec.options = BTreeMap::from([
                (
                    "com.docker.network.bridge.default_bridge".into(),
                    "true".into(),
                ),
                ("com.docker.network.bridge.enable_icc".into(), "true".into()),
                (
                    "com.docker.network.bridge.enable_ip_masquerade".into(),
                    "true".into(),
                ),
                (
                    "com.docker.network.bridge.host_binding_ipv4".into(),
                    "0.0.0.0".into(),
                ),
                (
                    "com.docker.network.bridge.name".into(),
                    naming.default_bridge.clone(),
                ),
                ("com.docker.network.driver.mtu".into(), "1500".into()),
            ]);
        }
        "host" => rec.driver = "host".into(),
        _ => rec.driver = "null".into(),
    }
    rec
}

fn parse_subnet(s: &str) -> Result<Ipv4Net, ApiError> {
    s.parse::<Ipv4Net>()
        .map_err(|e| ApiError::bad_request(format!("Invalid subnet {s} : {e}")))
}

impl Networks {
    /// `POST /networks/create`.
    pub fn create(&self, req: &NetworkCreateRequest) -> Result<NetworkRecord, ApiError> {
        if req.name.is_empty() {
            return Err(ApiError::bad_request("network name cannot be empty"));
        }
        if PREDEFINED.contains(&req.name.as_str()) {
            return Err(ApiError::forbidden(format!(
                "operation is not permitted on predefined {} network ",
                req.name
            )));
        }
        let driver = if req.driver.is_empty() {
            "bridge"
        } else {
            req.driver.as_str()
        };
        match driver {
            "bridge" => {}
            "host" | "null" => {
                return Err(ApiError::forbidden(format!(
                    "only one instance of \"{driver}\" network is allowed"
                )));
            }
            other => {
                return Err(ApiError::not_found(format!("plugin \"{other}\" not found")));
            }
        }
        if req.enable_ipv6 == Some(true) {
            return Err(ApiError::bad_request(
                "IPv6 networks are not supported by wharf yet",
            ));
        }
        let ipam = req.ipam.clone().unwrap_or_default();
        if !ipam.driver.is_empty() && ipam.driver != "default" {
            return Err(ApiError::not_found(format!(
                "plugin \"{}\" not found",
                ipam.driver
            )));
        }
        let v4: Vec<&IpamConfig> = ipam
            .config
            .iter()
            .filter(|c| !c.subnet.contains(':'))
            .collect();
        if v4.len() > 1 {
            return Err(ApiError::bad_request(
                "wharf supports one IPv4 subnet per network",
            ));
        }
        if let Some(c) = v4.first()
            && c.subnet.is_empty()
            && (!c.gateway.is_empty() || !c.ip_range.is_empty())
        {
            return Err(ApiError::bad_request(
                "ip-range and gateway need a subnet to be given with them",
            ));
        }
        let id = new_id();
        let mut rec = NetworkRecord {
            id: id.clone(),
            name: req.name.clone(),
            driver: "bridge".into(),
            created: now(),
            internal: req.internal,
            attachable: req.attachable,
            ipv6: false,
            labels: req.labels.clone(),
            options: req.options.clone(),
            ipam_driver: "default".into(),
            ipam_options: ipam.options.clone(),
            bridge: req
                .options
                .get("com.docker.network.bridge.name")
                .cloned()
                .unwrap_or_else(|| Naming::user_bridge(&id)),
            ..Default::default()
        };
        // Check and take the subnet under the state lock so two creates cannot both take it.
        let mut st = self.state();
        if st.nets.values().any(|n| n.name == req.name) {
            return Err(ApiError::conflict(format!(
                "network with name {} already exists",
                req.name
            )));
        }
        let taken: Vec<Ipv4Net> = st
            .nets
            .values()
            .filter_map(|n| n.subnet.parse().ok())
            .collect();
        match v4.first().filter(|c| !c.subnet.is_empty()) {
            Some(c) => {
                let net = parse_subnet(&c.subnet)?;
                if c.subnet.split('/').next() != Some(&net.network().to_string()) {
                    return Err(ApiError::bad_request(format!(
                        "invalid subnet {}: it should be {net}",
                        c.subnet
                    )));
                }
                if taken.iter().any(|t| t.overlaps(&net)) {
                    return Err(ApiError::forbidden(
                        "Pool overlaps with other one on this address space",
                    ));
                }
                let gateway = if c.gateway.is_empty() {
                    ipam::default_gateway(&net)
                        .map(|g| g.to_string())
                        .unwrap_or_default()
                } else {
                    let gw: Ipv4Addr = c.gateway.parse().map_err(|_| {
                        ApiError::bad_request(format!("invalid gateway address: {}", c.gateway))
                    })?;
                    if !net.contains(gw) {
                        return Err(ApiError::internal(format!(
                            "failed to allocate gateway ({gw}): requested address is out of range"
                        )));
                    }
                    gw.to_string()
                };
                if !c.ip_range.is_empty() {
                    let r = parse_subnet(&c.ip_range)?;
                    if !net.contains(r.network()) || r.prefix() < net.prefix() {
                        return Err(ApiError::bad_request("invalid address subpool"));
                    }
                }
                rec.subnet = net.to_string();
                rec.gateway = gateway;
                rec.ip_range = c.ip_range.clone();
                rec.ipam_config = vec![(*c).clone()];
            }
            None => {
                let mut used = taken.clone();
                if let Ok(mut nl) = wharf_network::netlink::Socket::open()
                    && let Ok(routes) = nl.route_destinations()
                {
                    used.extend(routes);
                }
                let net = ipam::pick_subnet(&used).ok_or_else(|| {
                    ApiError::forbidden(
                        "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network",
                    )
                })?;
                rec.auto_subnet = true;
                rec.subnet = net.to_string();
                rec.gateway = ipam::default_gateway(&net)
                    .map(|g| g.to_string())
                    .unwrap_or_default();
                rec.ipam_config = vec![IpamConfig {
                    subnet: rec.subnet.clone(),
                    gateway: rec.gateway.clone(),
                    ..Default::default()
                }];
            }
        }
        if st
            .nets
            .values()
            .any(|n| n.bridge == rec.bridge && n.is_bridge())
        {
            return Err(ApiError::forbidden(format!(
                "bridge name {} is used by another network",
                rec.bridge
            )));
        }
        self.save(&rec)?;
        st.nets.insert(rec.id.clone(), rec.clone());
        Ok(rec)
    }

    /// `DELETE /networks/{id}`: `users` are the containers connected to it.
    pub fn remove(&self, name_or_id: &str, users: &[String]) -> Result<NetworkRecord, ApiError> {
        let rec = self.get(name_or_id)?;
        if rec.is_predefined() {
            return Err(ApiError::forbidden(format!(
                "{} is a pre-defined network and cannot be removed",
                rec.name
            )));
        }
        // Build steps on the network hold endpoints too, though no container record says so.
        let steps = self
            .state()
            .sandboxes
            .values()
            .any(|sb| sb.endpoints.iter().any(|a| a.net == rec.id));
        if !users.is_empty() || steps {
            return Err(ApiError::forbidden(format!(
                "error while removing network: network {} id {} has active endpoints",
                rec.name, rec.id
            )));
        }
        self.delete_bridge(&rec)?;
        self.delete_record(&rec.id)?;
        let mut st = self.state();
        st.nets.remove(&rec.id);
        st.ips.remove(&rec.id);
        Ok(rec)
    }

    /// The API shape of a network; `containers` are `(id, name, endpoint)` of the running
    /// containers on it (inspect fills them, list leaves them empty as dockerd does).
    pub fn view(
        &self,
        rec: &NetworkRecord,
        containers: &[(String, String, wharf_api::container::EndpointSettings)],
    ) -> NetworkResource {
        // As given at create: `{}` from the docker CLI, null when a client sent none.
        let ipam_options = if rec.is_default_bridge() {
            None
        } else {
            rec.ipam_options.clone()
        };
        NetworkResource {
            name: rec.name.clone(),
            id: rec.id.clone(),
            created: rec.created.clone(),
            scope: "local".into(),
            driver: rec.driver.clone(),
            enable_ipv6: rec.ipv6,
            ipam: Ipam {
                driver: if rec.ipam_driver.is_empty() {
                    "default".into()
                } else {
                    rec.ipam_driver.clone()
                },
                options: ipam_options,
                config: rec.ipam_config.clone(),
            },
            internal: rec.internal,
            attachable: rec.attachable,
            ingress: false,
            config_from: ConfigReference::default(),
            config_only: false,
            containers: containers
                .iter()
                .map(|(id, name, ep)| {
                    (
                        id.clone(),
                        EndpointResource {
                            name: name.trim_start_matches('/').to_string(),
                            endpoint_id: ep.endpoint_id.clone(),
                            mac_address: ep.mac_address.clone(),
                            ipv4_address: if ep.ip_address.is_empty() {
                                String::new()
                            } else {
                                format!("{}/{}", ep.ip_address, ep.ip_prefix_len)
                            },
                            ipv6_address: String::new(),
                        },
                    )
                })
                .collect(),
            options: rec.options.clone(),
            labels: rec.labels.clone(),
        }
    }
}

pub const LIST_FILTERS: &[&str] = &["driver", "id", "label", "name", "scope", "type", "dangling"];

/// Whether `rec` passes `network ls` filters; `in_use` tells whether containers use it.
pub fn matches(rec: &NetworkRecord, in_use: bool, f: &Filters) -> Result<bool, ApiError> {
    for t in f.get("type") {
        if t != "custom" && t != "builtin" {
            return Err(ApiError::bad_request(format!(
                "invalid filter: 'type'='{t}'"
            )));
        }
    }
    let dangling = f.bool_value("dangling").map_err(ApiError::bad_request)?;
    let labels_ok = f.get("label").iter().all(|l| match l.split_once('=') {
        Some((k, v)) => rec.labels.get(k).is_some_and(|x| x == v),
        None => rec.labels.contains_key(l.as_str()),
    });
    Ok(
        (f.get("driver").is_empty() || f.get("driver").iter().any(|d| d == &rec.driver))
            && (f.get("id").is_empty()
                || f.get("id").iter().any(|i| rec.id.starts_with(i.as_str())))
            && (f.get("name").is_empty()
                || f.get("name").iter().any(|n| rec.name.contains(n.as_str())))
            && (f.get("scope").is_empty() || f.get("scope").iter().any(|s| s == "local"))
            && (f.get("type").is_empty()
                || f.get("type")
                    .iter()
                    .any(|t| (t == "builtin") == rec.is_predefined()))
            && labels_ok
            && dangling.is_none_or(|d| d == (!in_use && !rec.is_predefined())),
    )
}
