//! Builds: `POST /build` parameters, the build context (request body or `remote=` URL), the
//! build itself on a blocking thread, `POST /build/prune`, and build cache usage for
//! `GET /system/df`.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

use wharf_api::build::{BuildCache, BuildCachePruneReport, ContextManifest, ContextPlan};
use wharf_api::filters::Filters;
use wharf_builder::{BuildRequest, Context, Output, Prepared};

use crate::engine::Engine;
use crate::error::ApiError;
use crate::request::Req;

/// Header wharf's CLI uses for `--secret` (JSON object: id → hex of the data).
pub const SECRETS_HEADER: &str = "x-wharf-build-secrets";

fn json_param<T: serde::de::DeserializeOwned + Default>(
    r: &Req,
    name: &str,
    what: &str,
) -> Result<T, ApiError> {
    match r.query(name) {
        None | Some("") => Ok(T::default()),
        Some(v) => serde_json::from_str(v)
            .map_err(|e| ApiError::bad_request(format!("error reading {what}: {e}"))),
    }
}

/// The build request from `POST /build`'s query and headers; also the `remote` URL.
pub fn request(r: &Req) -> Result<(BuildRequest, String), ApiError> {
    if let Some(v) = r.query("version")
        && !v.is_empty()
        && v != "1"
    {
        return Err(ApiError::bad_request(format!(
            "builder version {v:?} (BuildKit) is not supported by this engine; use the classic builder (DOCKER_BUILDKIT=0)"
        )));
    }
    if r.query("session").is_some_and(|s| !s.is_empty())
        && r.query("remote") == Some("client-session")
    {
        return Err(ApiError::bad_request(
            "experimental session with v1 builder is no longer supported, use builder version v2 (BuildKit) instead",
        ));
    }
    let build_args: BTreeMap<String, Option<String>> = json_param(r, "buildargs", "build args")?;
    let labels: BTreeMap<String, String> = json_param(r, "labels", "labels")?;
    let mut secrets = BTreeMap::new();
    if let Some(h) = r.headers.get(SECRETS_HEADER).and_then(|v| v.to_str().ok()) {
        let m: BTreeMap<String, String> = serde_json::from_str(h)
            .map_err(|e| ApiError::bad_request(format!("error reading build secrets: {e}")))?;
        for (k, v) in m {
            let data = hex::decode(&v).map_err(|e| {
                ApiError::bad_request(format!("error reading build secret {k}: {e}"))
            })?;
            secrets.insert(k, data);
        }
    }
    let req = BuildRequest {
        dockerfile: r.query("dockerfile").unwrap_or("").to_string(),
        tags: r.query_all("t").into_iter().map(str::to_string).collect(),
        build_args,
        labels,
        no_cache: r.query_bool("nocache"),
        pull: r.query_bool("pull"),
        quiet: r.query_bool("q"),
        target: r.query("target").unwrap_or("").to_string(),
        network: r.query("networkmode").unwrap_or("").to_string(),
        platform: r.query("platform").unwrap_or("").to_string(),
        explain: r.query_bool("explain"),
        secrets,
        cache_from: json_param(r, "cachefrom", "cache-from")?,
        extra_hosts: r
            .query_all("extrahosts")
            .into_iter()
            .map(parse_extra_host)
            .collect::<Result<_, _>>()?,
    };
    Ok((req, r.query("remote").unwrap_or("").to_string()))
}

/// One `--add-host` of a build, `name:address` (or `name=address`).
fn parse_extra_host(s: &str) -> Result<(String, std::net::IpAddr), ApiError> {
    let (name, addr) = s
        .split_once('=')
        .or_else(|| s.split_once(':'))
        .ok_or_else(|| ApiError::bad_request(format!("bad format for add-host: \"{s}\"")))?;
    if addr == "host-gateway" {
        return Err(ApiError::bad_request(
            "add-host host-gateway is not supported in builds by wharf; give the address",
        ));
    }
    let ip = addr
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| {
            ApiError::bad_request(format!("invalid IP address in add-host: \"{addr}\""))
        })?;
    Ok((name.to_string(), ip))
}

/// `POST /build/context` (wharf extension): which files of a context the engine needs.
pub fn plan_context(
    e: &Engine,
    id: &str,
    manifest: ContextManifest,
) -> Result<ContextPlan, ApiError> {
    if id.is_empty() {
        return Err(ApiError::bad_request("a context id is required"));
    }
    Ok(e.builder.contexts.plan(id, manifest.entries))
}

/// Reads the context and checks the Dockerfile; errors here are plain HTTP errors. With a
/// `session` from [`plan_context`], the body holds only the files the engine asked for.
pub fn prepare(
    e: &Engine,
    req: BuildRequest,
    body: impl Read,
    remote: &str,
    session: &str,
) -> Result<Prepared, ApiError> {
    let tmp = e.config.data_root.join("tmp");
    let mut req = req;
    let ctx = if !session.is_empty() {
        e.builder
            .contexts
            .assemble(session, body, &tmp)
            .map_err(|err| match err.kind() {
                std::io::ErrorKind::NotFound => ApiError::not_found(err.to_string()),
                _ => ApiError::bad_request(format!("reading the build context: {err}")),
            })?
    } else if remote.is_empty() {
        Context::from_tar(body, &tmp)
            .map_err(|err| ApiError::bad_request(format!("reading the build context: {err}")))?
    } else if wharf_builder::fetch::is_url(remote) {
        let d = wharf_builder::fetch::get(remote)
            .map_err(|err| ApiError::bad_request(format!("unable to prepare context: {err}")))?;
        if d.content_type.starts_with("text/plain") {
            let mut ctx =
                Context::empty(&tmp).map_err(|err| ApiError::internal(err.to_string()))?;
            let name = if req.dockerfile.is_empty() {
                "Dockerfile".to_string()
            } else {
                req.dockerfile.clone()
            };
            ctx.add_file(&name, &d.data, 0o644, Default::default())
                .map_err(|err| ApiError::internal(err.to_string()))?;
            req.dockerfile = name;
            ctx
        } else {
            Context::from_tar(&d.data[..], &tmp)
                .map_err(|err| ApiError::bad_request(format!("unable to prepare context: {err}")))?
        }
    } else {
        return Err(ApiError::bad_request(format!(
            "remoteURL ({remote}) could not be recognized as URL"
        )));
    };
    Ok(e.builder.prepare(req, ctx)?)
}

/// Runs a prepared build, streaming its progress to `sink`.
pub fn run(e: &Engine, p: Prepared, quiet: bool, sink: Box<dyn std::io::Write + Send>) {
    let out: Arc<Output> = Output::new(sink, quiet);
    // A panic must not end the stream as if the build had succeeded.
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        e.builder.run(p, out.clone())
    }));
    match run {
        Ok(Ok(o)) => tracing::info!(id = %o.id, tags = ?o.tags, "built image"),
        Ok(Err(err)) => tracing::info!(error = %err, "build failed"),
        Err(_) => {
            tracing::error!("build panicked");
            out.fail(
                "internal error: the build stopped unexpectedly (see the engine's log)",
                1,
            );
        }
    }
}

fn rfc3339(secs: i64) -> String {
    wharf_units::Timestamp::from_unix_normalized(secs, 0).to_rfc3339_nano()
}

/// Build cache entries and their total size, for `GET /system/df`.
pub fn disk_usage(e: &Engine) -> Result<(Vec<BuildCache>, i64), ApiError> {
    let items = e.builder.cache_usage()?;
    let mut total = 0i64;
    let out = items
        .into_iter()
        .map(|i| {
            if !i.shared {
                total += i.size as i64;
            }
            BuildCache {
                id: i.id,
                parents: None,
                kind: i.kind,
                description: i.description,
                in_use: i.in_use,
                shared: i.shared,
                size: i.size as i64,
                created_at: rfc3339(i.created_at),
                last_used_at: Some(rfc3339(i.last_used_at)),
                usage_count: i.usage_count as i64,
            }
        })
        .collect();
    Ok((out, total))
}

/// `POST /build/prune`: `all`, `filters` (`until`).
pub fn prune(
    e: &Engine,
    filters: &Filters,
    in_use: &dyn Fn(&wharf_digest::Digest) -> bool,
) -> Result<BuildCachePruneReport, ApiError> {
    let until = match filters.get("until").first() {
        None => None,
        Some(v) => Some(
            wharf_units::parse_time(v, wharf_units::Timestamp::now(), 0)
                .map_err(|err| ApiError::bad_request(format!("invalid filter 'until={v}': {err}")))?
                .unix_secs(),
        ),
    };
    let r = e.builder.prune(until, in_use)?;
    Ok(BuildCachePruneReport {
        caches_deleted: (!r.caches_deleted.is_empty()).then_some(r.caches_deleted),
        space_reclaimed: r.space_reclaimed,
    })
}
