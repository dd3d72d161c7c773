//! Exec endpoints.

use std::sync::Arc;

use http::StatusCode;
use wharf_api::exec::{ExecCreateRequest, ExecStartRequest};
use wharf_api::image::IdResponse;

use super::hijack::{hijack, write_error};
use crate::engine::Engine;
use crate::error::ApiError;
use crate::request::{Reply, Req, json, ok_json, status_only};
use crate::service::containers::exec::{self as svc, ExecStart};

pub async fn create(e: Arc<Engine>, mut r: Req) -> Reply {
    let c = e.containers.get(r.param("id"))?;
    let req: ExecCreateRequest = r.json().await?;
    if !req.detach_keys.is_empty() {
        crate::service::containers::attach::detach_keys(&req.detach_keys)?;
    }
    let id = svc::create(&e, &c, req)?;
    json(StatusCode::CREATED, &IdResponse { id })
}

pub async fn start(e: Arc<Engine>, mut r: Req) -> Reply {
    let id = r.param("id").to_string();
    let req: ExecStartRequest = r.json().await?;
    let rec = e.execs.get(&id)?;
    // As dockerd: the start request's `Tty` says how the stream is framed; the exec's own
    // (from create) whether the process gets a terminal.
    let tty = req.tty;
    if req.detach {
        svc::start(
            &e,
            &id,
            ExecStart {
                detach: true,
                tty,
                console_size: req.console_size,
                conn: None,
                initial: Vec::new(),
            },
        )
        .await?;
        return status_only(StatusCode::OK);
    }
    // Refuse early what would fail before the stream starts.
    if rec.started {
        return Err(ApiError::conflict(format!(
            "Error: Exec command {id} has already run"
        )));
    }
    let ct = if !tty && !r.version.below(1, 42) {
        wharf_api::stdcopy::MULTIPLEXED_STREAM
    } else {
        wharf_api::stdcopy::RAW_STREAM
    };
    let (resp, conn) = hijack(&mut r, ct)?;
    tokio::spawn(async move {
        let Some(h) = conn.await else { return };
        super::hijack::head_read(&h).await;
        let keep = h.fd.try_clone().ok();
        let r = svc::start(
            &e,
            &id,
            ExecStart {
                detach: false,
                tty,
                console_size: req.console_size,
                conn: Some(h.fd),
                initial: h.initial,
            },
        )
        .await;
        match (r, keep) {
            (Err(err), Some(fd)) => write_error(fd, !tty, &err.message),
            (_, keep) => drop(keep),
        }
    });
    Ok(resp)
}

pub async fn inspect(e: Arc<Engine>, r: Req) -> Reply {
    let out = svc::inspect(&e, r.param("id")).await?;
    ok_json(&out)
}

pub async fn resize(e: Arc<Engine>, r: Req) -> Reply {
    let h = r.query_int("h")?.unwrap_or(0).clamp(0, u16::MAX as i64) as u16;
    let w = r.query_int("w")?.unwrap_or(0).clamp(0, u16::MAX as i64) as u16;
    svc::resize(&e, r.param("id"), h, w).await?;
    status_only(StatusCode::OK)
}
