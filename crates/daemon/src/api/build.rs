//! `POST /build` (the classic builder's API) and `POST /build/prune`.

use std::sync::Arc;

use crate::body::{BodyReader, BodyWriter};
use crate::engine::Engine;
use crate::request::{Reply, Req, ok_json, stream};
use crate::service::build as svc;

/// Reads the whole context and checks the Dockerfile before answering, so those errors are
/// plain HTTP errors; then streams the build's progress.
pub async fn build(e: Arc<Engine>, mut r: Req) -> Reply {
    let (req, remote) = svc::request(&r)?;
    let quiet = req.quiet;
    let body = BodyReader::new(r.take_body()?);
    let prepared = e
        .blocking(move |e| svc::prepare(e, req, body, &remote))
        .await?;
    let (writer, body) = BodyWriter::channel();
    let engine = e.clone();
    tokio::task::spawn_blocking(move || svc::run(&engine, prepared, quiet, Box::new(writer)));
    stream("application/json", body)
}

pub async fn prune(e: Arc<Engine>, r: Req) -> Reply {
    let filters = r.filters()?;
    let out = e
        .blocking(move |e| svc::prune(e, &filters, &|_| false))
        .await?;
    ok_json(&out)
}
