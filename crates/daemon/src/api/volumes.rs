//! Volume endpoints.

use std::collections::BTreeMap;
use std::sync::Arc;

use http::StatusCode;
use wharf_api::volume::{VolumeCreateRequest, VolumeListResponse, VolumesPruneReport};

use crate::engine::Engine;
use crate::error::ApiError;
use crate::request::{Reply, Req, json, no_content, ok_json};
use crate::service::volumes as svc;

pub async fn list(e: Arc<Engine>, r: Req) -> Reply {
    let f = r.filters()?;
    f.validate(&["name", "label", "label!", "dangling", "driver"])
        .map_err(ApiError::bad_request)?;
    let out = e
        .blocking(move |e| {
            let mut vols = Vec::new();
            for rec in e.volumes.list()? {
                let in_use = !e.volume_users(&rec.name, None).is_empty();
                if svc::matches(&rec, in_use, &f)? {
                    vols.push(e.volumes.view(&rec));
                }
            }
            Ok(VolumeListResponse {
                volumes: vols,
                warnings: None,
            })
        })
        .await?;
    ok_json(&out)
}

pub async fn create(e: Arc<Engine>, mut r: Req) -> Reply {
    let req: VolumeCreateRequest = r.json().await?;
    // As dockerd, a volume created without a name is anonymous: `volume prune` takes it.
    let anonymous = req.name.is_empty();
    let (rec, created) = e
        .blocking(move |e| e.volumes.create(&req, anonymous))
        .await?;
    if created {
        e.events.publish(
            "volume",
            "create",
            &rec.name,
            BTreeMap::from([("driver".into(), "local".into())]),
        );
    }
    json(StatusCode::CREATED, &e.volumes.view(&rec))
}

pub async fn inspect(e: Arc<Engine>, r: Req) -> Reply {
    let name = r.param("name").to_string();
    let out = e.blocking(move |e| e.volumes.inspect(&name)).await?;
    ok_json(&out)
}

pub async fn remove(e: Arc<Engine>, r: Req) -> Reply {
    let name = r.param("name").to_string();
    let force = r.query_bool("force");
    let n2 = name.clone();
    e.blocking(move |e| {
        let users = e.volume_users(&n2, None);
        e.volumes.remove(&n2, &users, force)
    })
    .await?;
    e.events
        .publish("volume", "destroy", &name, BTreeMap::new());
    no_content()
}

pub async fn prune(e: Arc<Engine>, r: Req) -> Reply {
    let f = r.filters()?;
    f.validate(&["label", "label!", "all"])
        .map_err(ApiError::bad_request)?;
    let all = f
        .bool_value("all")
        .map_err(ApiError::bad_request)?
        .unwrap_or(false);
    let report = e
        .blocking(move |e| {
            let mut report = VolumesPruneReport::default();
            for rec in e.volumes.list()? {
                if !all && !rec.anonymous {
                    continue;
                }
                if !e.volume_users(&rec.name, None).is_empty() || !svc::matches(&rec, false, &f)? {
                    continue;
                }
                let size = e.volumes.size(&rec.name);
                if e.volumes.remove(&rec.name, &[], false).is_ok() {
                    report.volumes_deleted.push(rec.name.clone());
                    report.space_reclaimed += size;
                }
            }
            Ok(report)
        })
        .await?;
    for v in &report.volumes_deleted {
        e.events.publish("volume", "destroy", v, BTreeMap::new());
    }
    ok_json(&report)
}
