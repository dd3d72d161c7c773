//! `POST /build` (the classic builder's API) and `POST /build/prune`.

use std::sync::Arc;

use crate::body::{BodyReader, BodyWriter};
use crate::engine::Engine;
use crate::request::{Reply, Req, ok_json, stream};
use crate::service::build as svc;
use crate::service::build_pull::{BuildPuller, registry_config};

/// Reads the whole context and checks the Dockerfile before answering, so those errors are
/// plain HTTP errors; then streams the build's progress.
pub async fn build(e: Arc<Engine>, mut r: Req) -> Reply {
    let (req, remote) = svc::request(&r)?;
    let auths = registry_config(
        r.headers
            .get("x-registry-config")
            .and_then(|v| v.to_str().ok()),
    )?;
    let session = r.query("context").unwrap_or("").to_string();
    let quiet = req.quiet;
    let body = BodyReader::new(r.take_body()?);
    let prepared = e
        .blocking(move |e| svc::prepare(e, req, body, &remote, &session))
        .await?
        .with_puller(Arc::new(BuildPuller::new(
            e.clone(),
            tokio::runtime::Handle::current(),
            auths,
        )));
    let (writer, body) = BodyWriter::channel();
    let engine = e.clone();
    tokio::task::spawn_blocking(move || svc::run(&engine, prepared, quiet, Box::new(writer)));
    stream("application/json", body)
}

/// `POST /build/context?id=…` (wharf extension for incremental contexts).
pub async fn plan_context(e: Arc<Engine>, mut r: Req) -> Reply {
    let id = r.query("id").unwrap_or("").to_string();
    let manifest = r.json().await?;
    let plan = e
        .blocking(move |e| svc::plan_context(e, &id, manifest))
        .await?;
    ok_json(&plan)
}

pub async fn prune(e: Arc<Engine>, r: Req) -> Reply {
    let filters = r.filters()?;
    let out = e
        .blocking(move |e| svc::prune(e, &filters, &|_| false))
        .await?;
    ok_json(&out)
}
