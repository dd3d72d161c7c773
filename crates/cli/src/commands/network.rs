//! `network create/ls/inspect/rm/prune/connect/disconnect`.

use std::net::IpAddr;

use serde_json::{Map, Value, json};

use super::container::decode;
use crate::app::{Args, Command};
use crate::client::{Body, with_query};
use crate::commands::images::{confirm, filters_from_flags};
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{Flag, Parsed};
use crate::format::{self, Columns, Format};
use crate::inspect::{self, Kind};

pub fn commands() -> Vec<Command> {
    vec![
        Command {
            path: "network create",
            aliases: &[],
            usage: "[OPTIONS] NETWORK",
            about: "Create a network",
            flags: create_flags,
            args: Args::Exact(1),
            interspersed: true,
            run: create,
        },
        Command {
            path: "network ls",
            aliases: &["network list"],
            usage: "[OPTIONS]",
            about: "List networks",
            flags: || {
                vec![
                    Flag::list(
                        "filter",
                        Some('f'),
                        "filter",
                        "Provide filter values (e.g. \"driver=bridge\")",
                    ),
                    Flag::value(
                        "format",
                        None,
                        "string",
                        "Format output using a custom template",
                    ),
                    Flag::bool("no-trunc", None, "Do not truncate the output"),
                    Flag::bool("quiet", Some('q'), "Only display network IDs"),
                ]
            },
            args: Args::Max(0),
            interspersed: true,
            run: list,
        },
        Command {
            path: "network inspect",
            aliases: &[],
            usage: "[OPTIONS] NETWORK [NETWORK...]",
            about: "Display detailed information on one or more networks",
            flags: || {
                vec![
                    Flag::value(
                        "format",
                        Some('f'),
                        "string",
                        "Format output using a custom template",
                    ),
                    Flag::bool("verbose", Some('v'), "Verbose output for diagnostics"),
                ]
            },
            args: Args::Min(1),
            interspersed: true,
            run: inspect_networks,
        },
        Command {
            path: "network rm",
            aliases: &["network remove"],
            usage: "NETWORK [NETWORK...]",
            about: "Remove one or more networks",
            flags: || {
                vec![Flag::bool(
                    "force",
                    Some('f'),
                    "Do not error if the network does not exist",
                )]
            },
            args: Args::Min(1),
            interspersed: true,
            run: remove,
        },
        Command {
            path: "network prune",
            aliases: &[],
            usage: "[OPTIONS]",
            about: "Remove all unused networks",
            flags: || {
                vec![
                    Flag::list(
                        "filter",
                        None,
                        "filter",
                        "Provide filter values (e.g. \"until=<timestamp>\")",
                    ),
                    Flag::bool("force", Some('f'), "Do not prompt for confirmation"),
                ]
            },
            args: Args::Max(0),
            interspersed: true,
            run: prune,
        },
        Command {
            path: "network connect",
            aliases: &[],
            usage: "[OPTIONS] NETWORK CONTAINER",
            about: "Connect a container to a network",
            flags: || {
                vec![
                    Flag::list(
                        "alias",
                        None,
                        "strings",
                        "Add network-scoped alias for the container",
                    ),
                    Flag::list(
                        "driver-opt",
                        None,
                        "strings",
                        "driver options for the network",
                    ),
                    Flag::value(
                        "ip",
                        None,
                        "string",
                        "IPv4 address (e.g., \"172.30.100.104\")",
                    ),
                    Flag::value(
                        "ip6",
                        None,
                        "string",
                        "IPv6 address (e.g., \"2001:db8::33\")",
                    ),
                    Flag::list("link", None, "list", "Add link to another container"),
                    Flag::list(
                        "link-local-ip",
                        None,
                        "strings",
                        "Add a link-local address for the container",
                    ),
                ]
            },
            args: Args::Exact(2),
            interspersed: true,
            run: connect,
        },
        Command {
            path: "network disconnect",
            aliases: &[],
            usage: "[OPTIONS] NETWORK CONTAINER",
            about: "Disconnect a container from a network",
            flags: || {
                vec![Flag::bool(
                    "force",
                    Some('f'),
                    "Force the container to disconnect from a network",
                )]
            },
            args: Args::Exact(2),
            interspersed: true,
            run: disconnect,
        },
    ]
}

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::bool("attachable", None, "Enable manual container attachment"),
        Flag::list(
            "aux-address",
            None,
            "map",
            "Auxiliary IPv4 or IPv6 addresses used by Network driver",
        )
        .default("map[]"),
        Flag::value(
            "config-from",
            None,
            "string",
            "The network from which to copy the configuration",
        ),
        Flag::bool("config-only", None, "Create a configuration only network"),
        Flag::value(
            "driver",
            Some('d'),
            "string",
            "Driver to manage the Network",
        )
        .default("bridge"),
        Flag::list(
            "gateway",
            None,
            "strings",
            "IPv4 or IPv6 Gateway for the master subnet",
        ),
        Flag::bool("ingress", None, "Create swarm routing-mesh network"),
        Flag::bool("internal", None, "Restrict external access to the network"),
        Flag::list(
            "ip-range",
            None,
            "strings",
            "Allocate container ip from a sub-range",
        ),
        Flag::value(
            "ipam-driver",
            None,
            "string",
            "IP Address Management Driver",
        )
        .default("default"),
        Flag::list("ipam-opt", None, "map", "Set IPAM driver specific options").default("map[]"),
        Flag::bool("ipv4", None, "Enable or disable IPv4 address assignment").default("true"),
        Flag::bool("ipv6", None, "Enable or disable IPv6 address assignment"),
        Flag::list("label", None, "list", "Set metadata on a network"),
        Flag::list("opt", Some('o'), "map", "Set driver specific options").default("map[]"),
        Flag::value("scope", None, "string", "Control the network's scope"),
        Flag::list(
            "subnet",
            None,
            "strings",
            "Subnet in CIDR format that represents a network segment",
        ),
    ]
}

/// pflag's `strings`: every value split at commas.
fn strings(p: &Parsed, name: &str) -> Vec<String> {
    p.list(name)
        .iter()
        .flat_map(|v| v.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect()
}

fn kv(list: Vec<String>) -> Map<String, Value> {
    list.iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            (k.to_string(), json!(v))
        })
        .collect()
}

/// Whether `data` (an address or a CIDR) lies in `subnet`, as the docker CLI checks.
fn subnet_matches(subnet: &str, data: &str) -> Result<bool, CliError> {
    let (net, bits) = parse_cidr(subnet)
        .ok_or_else(|| CliError::msg(format!("invalid subnet: invalid CIDR address: {subnet}")))?;
    let ip = if data.contains('/') {
        parse_cidr(data)
            .map(|(a, _)| a)
            .ok_or_else(|| CliError::msg(format!("invalid cidr: invalid CIDR address: {data}")))?
    } else {
        match data.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) => return Ok(false),
        }
    };
    Ok(match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    })
}

fn parse_cidr(s: &str) -> Option<(IpAddr, u32)> {
    let (a, b) = s.split_once('/')?;
    let ip: IpAddr = a.parse().ok()?;
    let bits: u32 = b.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

/// The docker CLI's `consolidateIpam`: one IPAM config per subnet with its range and gateway.
fn consolidate_ipam(
    subnets: &[String],
    ranges: &[String],
    gateways: &[String],
    aux: &Map<String, Value>,
) -> Result<Vec<Value>, CliError> {
    if subnets.len() < ranges.len() || subnets.len() < gateways.len() {
        return Err(CliError::msg(
            "every ip-range or gateway must have a corresponding subnet",
        ));
    }
    let mut out: Vec<(String, String, String, Map<String, Value>)> = Vec::new();
    for s in subnets {
        for (k, ..) in &out {
            if subnet_matches(s, k)? || subnet_matches(k, s)? {
                return Err(CliError::msg(
                    "multiple overlapping subnet configuration is not supported",
                ));
            }
        }
        out.push((s.clone(), String::new(), String::new(), Map::new()));
    }
    for r in ranges {
        let mut matched = false;
        for d in out.iter_mut() {
            if !subnet_matches(&d.0, r)? {
                continue;
            }
            if !d.1.is_empty() {
                return Err(CliError::msg(format!(
                    "cannot configure multiple ranges ({r}, {}) on the same subnet ({})",
                    d.1, d.0
                )));
            }
            d.1 = r.clone();
            matched = true;
        }
        if !matched {
            return Err(CliError::msg(format!("no matching subnet for range {r}")));
        }
    }
    for g in gateways {
        let mut matched = false;
        for d in out.iter_mut() {
            if !subnet_matches(&d.0, g)? {
                continue;
            }
            if !d.2.is_empty() {
                return Err(CliError::msg(format!(
                    "cannot configure multiple gateways ({g}, {}) for the same subnet ({})",
                    d.2, d.0
                )));
            }
            d.2 = g.clone();
            matched = true;
        }
        if !matched {
            return Err(CliError::msg(format!("no matching subnet for gateway {g}")));
        }
    }
    for (key, addr) in aux {
        let a = addr.as_str().unwrap_or("");
        let mut matched = false;
        for d in out.iter_mut() {
            if subnet_matches(&d.0, a)? {
                d.3.insert(key.clone(), json!(a));
                matched = true;
            }
        }
        if !matched {
            return Err(CliError::msg(format!(
                "no matching subnet for aux-address {a}"
            )));
        }
    }
    Ok(out
        .into_iter()
        .map(|(s, r, g, a)| {
            let mut m = Map::new();
            m.insert("Subnet".into(), json!(s));
            if !r.is_empty() {
                m.insert("IPRange".into(), json!(r));
            }
            if !g.is_empty() {
                m.insert("Gateway".into(), json!(g));
            }
            if !a.is_empty() {
                m.insert("AuxiliaryAddresses".into(), Value::Object(a));
            }
            Value::Object(m)
        })
        .collect())
}

fn create(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let ipam_config = consolidate_ipam(
        &strings(p, "subnet"),
        &strings(p, "ip-range"),
        &strings(p, "gateway"),
        &kv(p.list("aux-address")),
    )?;
    let mut body = json!({
        "Name": p.args[0],
        "Driver": p.string("driver"),
        "Scope": p.string("scope"),
        "EnableIPv6": p.bool("ipv6"),
        "IPAM": {
            "Driver": p.string("ipam-driver"),
            "Config": ipam_config,
            "Options": kv(p.list("ipam-opt")),
        },
        "Internal": p.bool("internal"),
        "Attachable": p.bool("attachable"),
        "Ingress": p.bool("ingress"),
        "ConfigOnly": p.bool("config-only"),
        "Options": kv(p.list("opt")),
        "Labels": kv(p.list("label")),
    });
    if !p.string("config-from").is_empty() {
        body["ConfigFrom"] = json!({"Network": p.string("config-from")});
    }
    let v: Value = decode(
        ctx.client()?
            .call("POST", "/networks/create", Body::json(&body))?,
    )?;
    ctx.println(v["Id"].as_str().unwrap_or(""))
}

const NETWORK_COLUMNS: Columns = &[
    ("ID", "NETWORK ID"),
    ("Name", "NAME"),
    ("Driver", "DRIVER"),
    ("Scope", "SCOPE"),
    ("IPv4", "IPV4"),
    ("IPv6", "IPV6"),
    ("Internal", "INTERNAL"),
    ("Labels", "LABELS"),
    ("CreatedAt", "CREATED AT"),
];

/// Go's `time.Time.String()` of an RFC 3339 UTC time: `2026-11-23 20:42:16.225591425 +0000 UTC`.
fn go_time(rfc3339: &str) -> String {
    match rfc3339.strip_suffix('Z') {
        Some(t) => format!("{} +0000 UTC", t.replacen('T', " ", 1)),
        None => rfc3339.replacen('T', " ", 1),
    }
}

fn network_row(v: &Value, no_trunc: bool) -> Value {
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    let id = s("Id");
    let mut labels: Vec<String> = v["Labels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, x)| format!("{k}={}", x.as_str().unwrap_or("")))
        .collect();
    labels.sort();
    json!({
        "ID": if no_trunc { id.clone() } else { format::short_id(&id) },
        "Name": s("Name"),
        "Driver": s("Driver"),
        "Scope": s("Scope"),
        "IPv4": v["EnableIPv4"].as_bool().unwrap_or(false).to_string(),
        "IPv6": v["EnableIPv6"].as_bool().unwrap_or(false).to_string(),
        "Internal": v["Internal"].as_bool().unwrap_or(false).to_string(),
        "Labels": labels.join(","),
        "CreatedAt": go_time(&s("Created")),
        format::LABELS_FIELD: v["Labels"].as_object().cloned().unwrap_or_default(),
    })
}

fn list(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let filters = filters_from_flags(&p.list("filter"))?;
    let mut q = Vec::new();
    if !filters.is_empty() {
        q.push(("filters", filters.to_json()));
    }
    let v: Value = ctx.client()?.get_json(&with_query("/networks", &q))?;
    let mut nets: Vec<Value> = v.as_array().cloned().unwrap_or_default();
    nets.sort_by(|a, b| {
        a["Name"]
            .as_str()
            .unwrap_or("")
            .cmp(b["Name"].as_str().unwrap_or(""))
    });
    let default = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";
    let user = p.string("format");
    let spec = if p.bool("quiet") && (user.is_empty() || user == "table") {
        "{{.ID}}".to_string()
    } else if user.is_empty() {
        default.to_string()
    } else {
        user
    };
    let fmt = Format::parse(&spec, default)?;
    let no_trunc = p.bool("no-trunc");
    let rows: Vec<Value> = nets.iter().map(|n| network_row(n, no_trunc)).collect();
    ctx.print(format::render(&fmt, NETWORK_COLUMNS, &rows)?)
}

fn inspect_networks(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    inspect::objects(ctx, p, "/networks", Kind::Network)
}

fn remove(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let client = ctx.client()?.clone();
    let mut failed = false;
    for n in &p.args {
        match client.call(
            "DELETE",
            &format!("/networks/{}", urlencoding::encode(n)),
            Body::None,
        ) {
            Ok(_) => ctx.println(n)?,
            Err(CliError::Daemon { status: 404, .. }) if p.bool("force") => {}
            Err(e @ CliError::Daemon { .. }) => {
                eprintln!("{e}");
                failed = true;
            }
            Err(e) => return Err(e),
        }
    }
    if failed {
        return Err(CliError::Status {
            message: "exit status 1".into(),
            status: 1,
        });
    }
    Ok(())
}

fn prune(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let filters = filters_from_flags(&p.list("filter"))?;
    let warning =
        "WARNING! This will remove all custom networks not used by at least one container.";
    if !p.bool("force") && !confirm(ctx, warning)? {
        return Ok(());
    }
    let v: Value = decode(ctx.client()?.call(
        "POST",
        &with_query("/networks/prune", &[("filters", filters.to_json())]),
        Body::None,
    )?)?;
    let deleted: Vec<&str> = v["NetworksDeleted"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !deleted.is_empty() {
        let mut out = String::from("Deleted Networks:\n");
        for d in deleted {
            out.push_str(d);
            out.push('\n');
        }
        ctx.print(out)?;
    }
    Ok(())
}

fn connect(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let mut ipam = Map::new();
    if let Some(ip) = p.value("ip").filter(|s| !s.is_empty()) {
        ipam.insert("IPv4Address".into(), json!(ip));
    }
    if let Some(ip) = p.value("ip6").filter(|s| !s.is_empty()) {
        ipam.insert("IPv6Address".into(), json!(ip));
    }
    let ll = strings(p, "link-local-ip");
    if !ll.is_empty() {
        ipam.insert("LinkLocalIPs".into(), json!(ll));
    }
    let mut ep = json!({
        "Aliases": strings(p, "alias"),
        "Links": p.list("link"),
        "DriverOpts": kv(strings(p, "driver-opt")),
    });
    if !ipam.is_empty() {
        ep["IPAMConfig"] = Value::Object(ipam);
    }
    let body = json!({"Container": p.args[1], "EndpointConfig": ep});
    ctx.client()?.call(
        "POST",
        &format!("/networks/{}/connect", urlencoding::encode(&p.args[0])),
        Body::json(&body),
    )?;
    Ok(())
}

fn disconnect(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let body = json!({"Container": p.args[1], "Force": p.bool("force")});
    ctx.client()?.call(
        "POST",
        &format!("/networks/{}/disconnect", urlencoding::encode(&p.args[0])),
        Body::json(&body),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipam_flags_consolidate_like_the_docker_cli() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let c = consolidate_ipam(
            &s(&["10.5.0.0/16"]),
            &s(&["10.5.1.0/24"]),
            &s(&["10.5.0.254"]),
            &Map::new(),
        )
        .unwrap();
        assert_eq!(
            c[0],
            json!({"Subnet": "10.5.0.0/16", "IPRange": "10.5.1.0/24", "Gateway": "10.5.0.254"})
        );
        let err = |r: Result<Vec<Value>, CliError>| r.unwrap_err().to_string();
        assert_eq!(
            err(consolidate_ipam(&[], &[], &s(&["10.0.0.1"]), &Map::new())),
            "every ip-range or gateway must have a corresponding subnet"
        );
        assert_eq!(
            err(consolidate_ipam(
                &s(&["10.0.0.0/8", "10.1.0.0/16"]),
                &[],
                &[],
                &Map::new()
            )),
            "multiple overlapping subnet configuration is not supported"
        );
        assert_eq!(
            err(consolidate_ipam(
                &s(&["10.0.0.0/24"]),
                &[],
                &s(&["10.0.1.1"]),
                &Map::new()
            )),
            "no matching subnet for gateway 10.0.1.1"
        );
        // A lone malformed subnet is the daemon's to refuse, as with the docker CLI.
        assert!(consolidate_ipam(&s(&["10.0.0.300/24"]), &[], &[], &Map::new()).is_ok());
        assert_eq!(
            err(consolidate_ipam(
                &s(&["10.0.0.0/24", "10.0.0.300/24"]),
                &[],
                &[],
                &Map::new()
            )),
            "invalid subnet: invalid CIDR address: 10.0.0.300/24"
        );
        assert_eq!(
            go_time("2026-11-23T20:42:16.225591425Z"),
            "2026-11-23 20:42:16.225591425 +0000 UTC"
        );
    }
}
