//! Registry endpoints: pull (`POST /images/create?fromImage=`), push, `POST /auth`, search and
//! `GET /distribution/{name}/json`. Credentials arrive as `X-Registry-Auth`.

use std::sync::Arc;

use wharf_api::message::JsonMessage;
use wharf_reference::Reference;
use wharf_registry::{AuthConfig, PlatformSpec};

use crate::body::BodyWriter;
use crate::engine::Engine;
use crate::error::ApiError;
use crate::request::{Reply, Req, ok_json, stream};
use crate::service::progress::Progress;
use crate::service::{pull, push as push_svc, registry as svc};

pub fn registry_auth(r: &Req) -> Result<AuthConfig, ApiError> {
    match r
        .headers
        .get("x-registry-auth")
        .and_then(|v| v.to_str().ok())
    {
        None => Ok(AuthConfig::default()),
        Some(v) => AuthConfig::from_header(v).map_err(ApiError::bad_request),
    }
}

/// `fromImage` and `tag` as dockerd combines them: a tag that parses as a digest pins it.
pub fn pull_reference(from_image: &str, tag: &str) -> Result<Reference, ApiError> {
    let r = Reference::parse_normalized(from_image)?;
    if tag.is_empty() {
        return Ok(r);
    }
    if let Ok(d) = tag.parse::<wharf_digest::Digest>() {
        return Ok(r.trim().with_digest(d));
    }
    Ok(r.with_tag(tag)?)
}

pub fn platform(r: &Req) -> Result<Option<PlatformSpec>, ApiError> {
    match r.query("platform").filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(p) => Ok(Some(PlatformSpec::parse(p)?)),
    }
}

/// Runs a pull or push in the background and answers with its progress stream. Until the
/// first message, a failure is a plain error status (dockerd answers so when nothing has
/// been written yet).
pub async fn progress_stream<F>(
    work: F,
    rx: tokio::sync::mpsc::UnboundedReceiver<JsonMessage>,
) -> Reply
where
    F: std::future::Future<Output = Result<(), ApiError>> + Send + 'static,
{
    let mut rx = rx;
    let task = tokio::spawn(work);
    let first = rx.recv().await;
    let Some(first) = first else {
        task.await??;
        return stream("application/json", crate::body::empty());
    };
    let (writer, body) = BodyWriter::channel();
    tokio::spawn(async move {
        let mut ok = writer.send(first.to_line().into()).await.is_ok();
        while let Some(m) = rx.recv().await {
            if ok {
                ok = writer.send(m.to_line().into()).await.is_ok();
            }
        }
        let end = match task.await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.message),
            Err(e) => Some(format!("internal error: {e}")),
        };
        if let Some(msg) = end
            && ok
        {
            let _ = writer.send(JsonMessage::error(msg).to_line().into()).await;
        }
        drop(writer);
    });
    stream("application/json", body)
}

/// `POST /images/create?fromImage=…&tag=…&platform=…`.
pub async fn pull(e: Arc<Engine>, r: Req) -> Reply {
    let reference = pull_reference(
        r.query("fromImage").unwrap_or(""),
        r.query("tag").unwrap_or(""),
    )?;
    let platform = platform(&r)?;
    let auth = registry_auth(&r)?;
    let (progress, rx) = Progress::channel();
    progress_stream(
        async move {
            pull::pull(&e, &reference, platform.as_ref(), &auth, &progress)
                .await
                .map(|_| ())
        },
        rx,
    )
    .await
}

/// `POST /auth`.
pub async fn auth(e: Arc<Engine>, mut r: Req) -> Reply {
    let creds: AuthConfig = r.json().await?;
    let out = svc::login(&e, &creds).await?;
    ok_json(&out)
}

/// `GET /images/search?term=…&limit=…&filters=…`.
pub async fn search(e: Arc<Engine>, r: Req) -> Reply {
    let term = r.query("term").unwrap_or("").to_string();
    let limit = r.query_int("limit")?;
    let filters = r.filters()?;
    let auth = registry_auth(&r)?;
    let out = svc::search(&e, &term, limit, &filters, auth).await?;
    ok_json(&out)
}

/// `GET /distribution/{name}/json`.
pub async fn distribution(e: Arc<Engine>, r: Req) -> Reply {
    let name = r.param("name").to_string();
    let auth = registry_auth(&r)?;
    let out = svc::distribution_inspect(&e, &name, auth).await?;
    ok_json(&out)
}

/// `POST /images/{name}/push?tag=…`: an empty tag pushes every tag of the repository.
pub async fn push(e: Arc<Engine>, r: Req) -> Reply {
    let tag = r.query("tag").unwrap_or("");
    let reference = pull_reference(r.param("name"), tag)?;
    if reference.digest().is_some() {
        return Err(ApiError::bad_request("cannot push a digest reference"));
    }
    let auth = registry_auth(&r)?;
    let (progress, rx) = Progress::channel();
    progress_stream(
        async move { push_svc::push(&e, &reference, &auth, &progress).await },
        rx,
    )
    .await
}
