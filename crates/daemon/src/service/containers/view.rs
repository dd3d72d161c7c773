//! What clients see of containers: `inspect`'s full JSON, `ps` rows with dockerd's human
//! status, and `ps` filters.

use std::collections::BTreeMap;

use wharf_api::ApiVersion;
use wharf_api::container::{
    ContainerInspect, ContainerState, ContainerSummary, EndpointSettings, Health, HealthSummary,
    NetworkSettings, SummaryHostConfig, SummaryNetworkSettings,
};
use wharf_api::filters::Filters;
use wharf_api::image::GraphDriver;
use wharf_units::{Timestamp, human_duration};

use super::Ctr;
use super::record::{ContainerRecord, Status};
use crate::engine::Engine;
use crate::error::ApiError;

fn since(t: &str) -> String {
    match Timestamp::parse_rfc3339(t) {
        Ok(ts) => human_duration(Timestamp::now().duration_since(ts)),
        Err(_) => "Less than a second".into(),
    }
}

/// dockerd's `Status` column: `Up 2 minutes (healthy)`, `Exited (0) 3 seconds ago`, ….
pub fn human_status(rec: &ContainerRecord) -> String {
    let s = &rec.state;
    match s.status {
        Status::Running | Status::Paused => {
            let mut out = format!("Up {}", since(&s.started_at));
            if s.status == Status::Paused {
                out.push_str(" (Paused)");
            }
            if let Some(h) = &s.health {
                match h.status.as_str() {
                    "starting" => out.push_str(" (health: starting)"),
                    "" => {}
                    other => out.push_str(&format!(" ({other})")),
                }
            }
            out
        }
        Status::Restarting => format!("Restarting ({}) {} ago", s.exit_code, since(&s.finished_at)),
        Status::Removing => "Removal In Progress".into(),
        Status::Dead => "Dead".into(),
        Status::Created => "Created".into(),
        Status::Exited if !rec.has_been_started && s.finished_at == super::record::ZERO_TIME => {
            "Created".into()
        }
        Status::Exited => format!("Exited ({}) {} ago", s.exit_code, since(&s.finished_at)),
    }
}

fn state(rec: &ContainerRecord) -> ContainerState {
    let s = &rec.state;
    ContainerState {
        status: s.status.as_str().into(),
        // dockerd keeps `Running` set while a restart policy restarts the container.
        running: s.status.is_alive() || s.status == Status::Restarting,
        paused: s.status == Status::Paused,
        restarting: s.status == Status::Restarting,
        oom_killed: s.oom_killed,
        dead: s.status == Status::Dead,
        pid: s.pid as i64,
        exit_code: s.exit_code,
        error: s.error.clone(),
        started_at: s.started_at.clone(),
        finished_at: s.finished_at.clone(),
        health: s.health.as_ref().map(|h| Health {
            status: h.status.clone(),
            failing_streak: h.failing_streak,
            log: h.log.clone(),
        }),
    }
}

fn networks(rec: &ContainerRecord) -> BTreeMap<String, EndpointSettings> {
    rec.networks.clone()
}

/// `NetworkSettings`: the endpoints, the published ports, and (as dockerd does) the default
/// bridge's endpoint mirrored in the top-level fields.
fn network_settings(rec: &ContainerRecord) -> NetworkSettings {
    let alive = rec.state.status.is_alive();
    let mut ns = NetworkSettings {
        sandbox_id: if alive { rec.id.clone() } else { String::new() },
        sandbox_key: if alive && rec.state.pid > 0 {
            format!("/proc/{}/ns/net", rec.state.pid)
        } else {
            String::new()
        },
        ports: rec.ports.clone(),
        networks: networks(rec),
        ..Default::default()
    };
    if let Some(b) = rec.networks.get("bridge") {
        ns.endpoint_id = b.endpoint_id.clone();
        ns.gateway = b.gateway.clone();
        ns.ip_address = b.ip_address.clone();
        ns.ip_prefix_len = b.ip_prefix_len;
        ns.mac_address = b.mac_address.clone();
    }
    ns
}

/// `ps`'s `Ports`: published ports with their host side, exposed ones without.
fn summary_ports(rec: &ContainerRecord) -> Vec<wharf_api::container::Port> {
    let mut out = Vec::new();
    for (key, bindings) in &rec.ports {
        let (port, proto) = key.split_once('/').unwrap_or((key, "tcp"));
        let Ok(private) = port.parse::<u16>() else {
            continue;
        };
        match bindings {
            Some(list) if !list.is_empty() => {
                for b in list {
                    out.push(wharf_api::container::Port {
                        ip: b.host_ip.clone(),
                        private_port: private,
                        public_port: b.host_port.parse().unwrap_or(0),
                        kind: proto.to_string(),
                    });
                }
            }
            _ => out.push(wharf_api::container::Port {
                ip: String::new(),
                private_port: private,
                public_port: 0,
                kind: proto.to_string(),
            }),
        }
    }
    out
}

/// `GET /containers/{id}/json`.
pub fn inspect(e: &Engine, c: &Ctr, size: bool) -> Result<ContainerInspect, ApiError> {
    let rec = c.rec();
    let dir = e.containers.dir(&rec.id);
    let mut gd = BTreeMap::new();
    if let Ok(layer) = super::layer::of(e, &rec) {
        if !layer.lowers.is_empty() && !layer.full_tree {
            let lowers: Vec<String> = layer
                .lowers
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            gd.insert("LowerDir".to_string(), lowers.join(":"));
        }
        gd.insert("MergedDir".into(), dir.join("rootfs").display().to_string());
        gd.insert("UpperDir".into(), layer.upper.display().to_string());
        gd.insert("WorkDir".into(), layer.work.display().to_string());
    }
    let (size_rw, size_root) = if size { sizes(e, &rec) } else { (None, None) };
    let exec_ids = c.exec_ids.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let path = |f: &str| dir.join(f).display().to_string();
    let log_path = if rec.host_config.log_config.kind == "none" {
        String::new()
    } else {
        super::lifecycle::log_path(e, &rec.id).display().to_string()
    };
    Ok(ContainerInspect {
        id: rec.id.clone(),
        created: rec.created.clone(),
        path: rec.path.clone(),
        args: rec.args.clone(),
        state: state(&rec),
        image: rec.image.clone(),
        resolv_conf_path: path("resolv.conf"),
        hostname_path: path("hostname"),
        hosts_path: path("hosts"),
        log_path,
        name: rec.name.clone(),
        restart_count: rec.restart_count,
        driver: rec.driver.clone(),
        platform: "linux".into(),
        mount_label: String::new(),
        process_label: String::new(),
        app_armor_profile: String::new(),
        exec_ids,
        host_config: rec.host_config.clone(),
        graph_driver: GraphDriver {
            data: gd,
            name: rec.driver.clone(),
        },
        size_rw,
        size_root_fs: size_root,
        mounts: rec
            .mounts
            .iter()
            .filter(|m| m.listed)
            .map(|m| m.point())
            .collect(),
        config: rec.config.clone(),
        network_settings: network_settings(&rec),
    })
}

/// `SizeRw` (the writable layer) and `SizeRootFs` (with the image).
fn sizes(e: &Engine, rec: &ContainerRecord) -> (Option<i64>, Option<i64>) {
    let rw = super::layer::of(e, rec).map(|l| l.size()).unwrap_or(0) as i64;
    let image = rec
        .image
        .parse()
        .ok()
        .and_then(|d| e.images.get(&d).ok().flatten())
        .map(|i| i.size as i64)
        .unwrap_or(0);
    (Some(rw), Some(rw + image))
}

/// One `ps` row.
pub fn summary(e: &Engine, rec: &ContainerRecord, size: bool) -> ContainerSummary {
    let mut command = rec.path.clone();
    if !rec.args.is_empty() {
        command.push(' ');
        command.push_str(&rec.args.join(" "));
    }
    let (size_rw, size_root) = if size { sizes(e, rec) } else { (None, None) };
    ContainerSummary {
        id: rec.id.clone(),
        names: vec![rec.name.clone()],
        image: if rec.config.image.is_empty() {
            rec.image.clone()
        } else {
            rec.config.image.clone()
        },
        image_id: rec.image.clone(),
        command,
        created: Timestamp::parse_rfc3339(&rec.created)
            .map(|t| t.unix_secs())
            .unwrap_or(0),
        ports: summary_ports(rec),
        size_rw,
        size_root_fs: size_root,
        labels: rec.config.labels.clone().unwrap_or_default(),
        state: rec.state.status.as_str().into(),
        status: human_status(rec),
        host_config: SummaryHostConfig {
            network_mode: rec.host_config.network_mode.clone(),
        },
        health: rec.state.health.as_ref().map(|h| HealthSummary {
            status: h.status.clone(),
            failing_streak: h.failing_streak,
        }),
        network_settings: SummaryNetworkSettings {
            networks: networks(rec),
        },
        mounts: rec
            .mounts
            .iter()
            .filter(|m| m.listed)
            .map(|m| m.point())
            .collect(),
    }
}

const PS_FILTERS: &[&str] = &[
    "id",
    "name",
    "label",
    "label!",
    "exited",
    "status",
    "ancestor",
    "before",
    "since",
    "volume",
    "network",
    "health",
    "is-task",
    "isolation",
    "publish",
    "expose",
];

/// `GET /containers/json`.
pub fn list(
    e: &Engine,
    all: bool,
    limit: Option<i64>,
    size: bool,
    f: &Filters,
    _version: ApiVersion,
) -> Result<Vec<ContainerSummary>, ApiError> {
    f.validate(PS_FILTERS).map_err(ApiError::bad_request)?;
    for s in f.get("status") {
        if ![
            "created",
            "restarting",
            "running",
            "removing",
            "paused",
            "exited",
            "dead",
        ]
        .contains(&s.as_str())
        {
            return Err(ApiError::bad_request(format!(
                "invalid filter 'status={s}'"
            )));
        }
    }
    for h in f.get("health") {
        if !["starting", "healthy", "unhealthy", "none"].contains(&h.as_str()) {
            return Err(ApiError::bad_request(format!(
                "Unrecognised filter value for health: {h}"
            )));
        }
    }
    let mut exited = Vec::new();
    for x in f.get("exited") {
        exited.push(
            x.parse::<i64>()
                .map_err(|_| ApiError::bad_request(format!("invalid filter 'exited={x}'")))?,
        );
    }
    let created_of = |name: &str| -> Result<String, ApiError> {
        Ok(e.containers.get(name)?.lock().created.clone())
    };
    let before = f.get("before").first().map(|n| created_of(n)).transpose()?;
    let since = f.get("since").first().map(|n| created_of(n)).transpose()?;
    let ancestors: Vec<String> = f
        .get("ancestor")
        .iter()
        .filter_map(|a| e.images.resolve(a).ok().map(|r| r.id.to_string()))
        .collect();
    let mut recs: Vec<ContainerRecord> = e.containers.all().iter().map(|c| c.rec()).collect();
    recs.sort_by(|a, b| b.created.cmp(&a.created));
    let link_names = super::links::names_by_target(&recs);
    let ts = |s: &str| Timestamp::parse_rfc3339(s).ok();
    let mut out = Vec::new();
    for rec in recs {
        let st = rec.state.status;
        let show_all = all
            || !f.get("status").is_empty()
            || !exited.is_empty()
            || limit.is_some_and(|l| l > 0)
            || before.is_some()
            || since.is_some();
        if !show_all && !st.is_alive() && st != Status::Restarting {
            continue;
        }
        let label_ok = |l: &String| {
            let labels = rec.config.labels.clone().unwrap_or_default();
            match l.split_once('=') {
                Some((k, v)) => labels.get(k).is_some_and(|x| x == v),
                None => labels.contains_key(l.as_str()),
            }
        };
        let name = rec.bare_name().to_string();
        let keep = (f.get("id").is_empty()
            || f.get("id").iter().any(|i| rec.id.starts_with(i.as_str())))
            && (f.get("name").is_empty()
                || f.get("name")
                    .iter()
                    .any(|n| name.contains(n.trim_start_matches('/')) || name == *n))
            && f.get("label").iter().all(label_ok)
            && !f.get("label!").iter().any(label_ok)
            && (f.get("status").is_empty() || f.get("status").iter().any(|s| s == st.as_str()))
            && (exited.is_empty()
                || (st == Status::Exited && exited.contains(&rec.state.exit_code)))
            && (f.get("ancestor").is_empty()
                || ancestors.contains(&rec.image)
                || f.get("ancestor").iter().any(|a| &rec.config.image == a))
            && before.as_ref().is_none_or(|b| ts(&rec.created) < ts(b))
            && since.as_ref().is_none_or(|s| ts(&rec.created) > ts(s))
            && (f.get("volume").is_empty()
                || f.get("volume").iter().any(|v| {
                    rec.mounts
                        .iter()
                        .any(|m| &m.name == v || &m.destination == v || &m.source == v)
                }))
            && (f.get("network").is_empty()
                || f.get("network")
                    .iter()
                    .any(|n| rec.networks.contains_key(n) || &rec.host_config.network_mode == n))
            && (f.get("health").is_empty()
                || f.get("health").iter().any(|h| {
                    let cur = rec
                        .state
                        .health
                        .as_ref()
                        .map(|x| x.status.as_str())
                        .unwrap_or("none");
                    cur == h
                }));
        if keep {
            let mut row = summary(e, &rec, size);
            row.names
                .extend(link_names.get(&rec.name).into_iter().flatten().cloned());
            out.push(row);
        }
    }
    if let Some(l) = limit.filter(|l| *l > 0) {
        out.truncate(l as usize);
    }
    Ok(out)
}
