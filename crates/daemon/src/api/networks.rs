//! Network endpoints.

use std::collections::BTreeMap;
use std::sync::Arc;

use http::StatusCode;
use wharf_api::container::EndpointSettings;
use wharf_api::network::{
    NetworkConnectRequest, NetworkCreateRequest, NetworkCreateResponse, NetworkDisconnectRequest,
    NetworksPruneReport,
};

use crate::engine::Engine;
use crate::error::ApiError;
use crate::request::{Reply, Req, json, ok_json, status_only};
use crate::service::network::manage;
use crate::service::network::record::NetworkRecord;

/// `(id, name, endpoint)` of the containers attached to `net` (running ones with `active`).
fn users(e: &Engine, net: &NetworkRecord, active: bool) -> Vec<(String, String, EndpointSettings)> {
    let mut out: Vec<(String, String, EndpointSettings)> = e
        .containers
        .all()
        .iter()
        .filter_map(|c| {
            let r = c.lock();
            let ep = r.networks.get(&net.name)?;
            if active && (ep.endpoint_id.is_empty() || !r.state.status.is_alive()) {
                return None;
            }
            Some((r.id.clone(), r.name.clone(), ep.clone()))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

pub async fn list(e: Arc<Engine>, r: Req) -> Reply {
    let f = r.filters()?;
    f.validate(manage::LIST_FILTERS)
        .map_err(ApiError::bad_request)?;
    let out = e
        .blocking(move |e| {
            let mut nets = e.networks.all();
            nets.sort_by(|a, b| a.name.cmp(&b.name));
            let mut out = Vec::new();
            for n in nets {
                let in_use = !users(e, &n, false).is_empty();
                if manage::matches(&n, in_use, &f)? {
                    out.push(e.networks.view(&n, &[]));
                }
            }
            Ok(out)
        })
        .await?;
    ok_json(&out)
}

pub async fn inspect(e: Arc<Engine>, r: Req) -> Reply {
    let id = r.param("id").to_string();
    let out = e
        .blocking(move |e| {
            let n = e.networks.get(&id)?;
            Ok(e.networks.view(&n, &users(e, &n, true)))
        })
        .await?;
    ok_json(&out)
}

pub async fn create(e: Arc<Engine>, mut r: Req) -> Reply {
    let req: NetworkCreateRequest = r.json().await?;
    let rec = e.blocking(move |e| e.networks.create(&req)).await?;
    e.events.publish(
        "network",
        "create",
        &rec.id,
        BTreeMap::from([
            ("name".to_string(), rec.name.clone()),
            ("type".to_string(), rec.driver.clone()),
        ]),
    );
    json(
        StatusCode::CREATED,
        &NetworkCreateResponse {
            id: rec.id,
            warning: String::new(),
        },
    )
}

pub async fn remove(e: Arc<Engine>, r: Req) -> Reply {
    let id = r.param("id").to_string();
    let rec = e
        .blocking(move |e| {
            let n = e.networks.get(&id)?;
            let active: Vec<String> = users(e, &n, true).into_iter().map(|u| u.0).collect();
            e.networks.remove(&n.id, &active)
        })
        .await?;
    e.events.publish(
        "network",
        "destroy",
        &rec.id,
        BTreeMap::from([
            ("name".to_string(), rec.name.clone()),
            ("type".to_string(), rec.driver.clone()),
        ]),
    );
    status_only(StatusCode::NO_CONTENT)
}

pub async fn prune(e: Arc<Engine>, r: Req) -> Reply {
    let f = r.filters()?;
    f.validate(&["label", "label!", "until"])
        .map_err(ApiError::bad_request)?;
    let removed = e
        .blocking(move |e| {
            let mut out = Vec::new();
            for n in e.networks.all() {
                if n.is_predefined() || !users(e, &n, false).is_empty() {
                    continue;
                }
                let label_ok = |l: &String| match l.split_once('=') {
                    Some((k, v)) => n.labels.get(k).is_some_and(|x| x == v),
                    None => n.labels.contains_key(l.as_str()),
                };
                if !f.get("label").iter().all(label_ok) || f.get("label!").iter().any(label_ok) {
                    continue;
                }
                if e.networks.remove(&n.id, &[]).is_ok() {
                    out.push(n);
                }
            }
            Ok(out)
        })
        .await?;
    let mut report = NetworksPruneReport::default();
    for n in removed {
        e.events.publish(
            "network",
            "destroy",
            &n.id,
            BTreeMap::from([
                ("name".to_string(), n.name.clone()),
                ("type".to_string(), n.driver.clone()),
            ]),
        );
        report.networks_deleted.push(n.name);
    }
    report.networks_deleted.sort();
    ok_json(&report)
}

pub async fn connect(e: Arc<Engine>, mut r: Req) -> Reply {
    let id = r.param("id").to_string();
    let req: NetworkConnectRequest = r.json().await?;
    e.blocking(move |e| {
        let net = e.networks.get(&id)?;
        let c = e.containers.get(&req.container)?;
        let _op = c.op.try_lock();
        crate::service::network::connect::connect(
            e,
            &c,
            &net,
            req.endpoint_config.unwrap_or_default(),
        )
    })
    .await?;
    status_only(StatusCode::OK)
}

pub async fn disconnect(e: Arc<Engine>, mut r: Req) -> Reply {
    let id = r.param("id").to_string();
    let req: NetworkDisconnectRequest = r.json().await?;
    e.blocking(move |e| {
        let net = e.networks.get(&id)?;
        let c = e.containers.get(&req.container)?;
        crate::service::network::connect::disconnect(e, &c, &net)
    })
    .await?;
    status_only(StatusCode::OK)
}
