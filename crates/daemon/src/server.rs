//! The HTTP server: accepts connections on the unix socket, negotiates the API version from the
//! `/vX.Y/` prefix, routes, and writes dockerd's headers and error bodies.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use http::{HeaderValue, Method, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::UnixListener;
use tokio::sync::watch;
use wharf_api::{ApiVersion, ErrorResponse};

use crate::body::{self, ResponseBody};
use crate::engine::Engine;
use crate::error::ApiError;
use crate::request::{Reply, Req, parse_query};
use crate::router::{Found, Router};

pub type Handler =
    Box<dyn Fn(Arc<Engine>, Req) -> Pin<Box<dyn Future<Output = Reply> + Send>> + Send + Sync>;

pub fn handler<F, Fut>(f: F) -> Handler
where
    F: Fn(Arc<Engine>, Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    Box::new(move |e, r| Box::pin(f(e, r)))
}

/// Splits `/v1.41/images/json` into the version and `/images/json`.
pub fn split_version(path: &str) -> (Option<&str>, &str) {
    if let Some(rest) = path.strip_prefix("/v")
        && let Some(slash) = rest.find('/')
    {
        let v = &rest[..slash];
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return (Some(v), &rest[slash..]);
        }
    }
    (None, path)
}

pub fn error_response(e: &ApiError) -> Response<ResponseBody> {
    let body = serde_json::to_vec(&ErrorResponse {
        message: e.message.clone(),
    })
    .unwrap_or_default();
    Response::builder()
        .status(e.status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body::full(body))
        .expect("static response parts")
}

fn negotiate(v: Option<&str>) -> Result<ApiVersion, ApiError> {
    let Some(v) = v else {
        return Ok(ApiVersion::MAX);
    };
    let parsed: ApiVersion = v.parse().map_err(ApiError::bad_request)?;
    if parsed > ApiVersion::MAX {
        return Err(ApiError::bad_request(format!(
            "client version {v} is too new. Maximum supported API version is {}",
            ApiVersion::MAX
        )));
    }
    if parsed < ApiVersion::MIN {
        return Err(ApiError::bad_request(format!(
            "client version {v} is too old. Minimum supported API version is {}, please upgrade your client to a newer version",
            ApiVersion::MIN
        )));
    }
    Ok(parsed)
}

async fn dispatch(
    engine: Arc<Engine>,
    router: Arc<Router<Handler>>,
    req: http::Request<Incoming>,
) -> Response<ResponseBody> {
    let started = std::time::Instant::now();
    let (parts, body) = req.into_parts();
    let (version, path) = split_version(parts.uri.path());
    let path = path.to_string();
    let method = parts.method.clone();
    let mut resp = match negotiate(version) {
        Err(e) => error_response(&e),
        Ok(version) => match router.find(&parts.method, &path) {
            Found::NotFound => error_response(&ApiError::not_found("page not found")),
            Found::MethodNotAllowed => error_response(&ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed",
            )),
            Found::Route(h, params) => {
                let req = Req {
                    method: parts.method.clone(),
                    version,
                    params,
                    query: parse_query(parts.uri.query()),
                    headers: parts.headers,
                    extensions: parts.extensions,
                    body: Some(body),
                };
                match h(engine.clone(), req).await {
                    Ok(r) => r,
                    Err(e) => {
                        if e.status.is_server_error() {
                            tracing::error!(%method, %path, status = e.status.as_u16(), error = %e.message, "request failed");
                        } else {
                            tracing::debug!(%method, %path, status = e.status.as_u16(), error = %e.message, "request refused");
                        }
                        error_response(&e)
                    }
                }
            }
        },
    };
    let h = resp.headers_mut();
    h.insert("Api-Version", HeaderValue::from_static(API_VERSION_HEADER));
    h.insert("Docker-Experimental", HeaderValue::from_static("false"));
    h.insert("Ostype", HeaderValue::from_static("linux"));
    if let Ok(v) = HeaderValue::from_str(&format!("wharf/{} (linux)", crate::VERSION)) {
        h.insert(http::header::SERVER, v);
    }
    if method == Method::HEAD {
        *resp.body_mut() = body::empty();
    }
    tracing::trace!(%method, %path, status = resp.status().as_u16(), elapsed_us = started.elapsed().as_micros() as u64, "request");
    resp
}

const API_VERSION_HEADER: &str = "1.50";

/// Binds the API socket: a leftover socket file from a dead daemon is replaced; a live one is
/// an error. The socket is made `0660`.
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!("another daemon is already serving {}", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let listener = UnixListener::bind(path)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    Ok(listener)
}

/// Serves until `shutdown` flips to true, then waits for open connections to finish.
pub async fn serve(
    listener: UnixListener,
    engine: Arc<Engine>,
    router: Router<Handler>,
    mut shutdown: watch::Receiver<bool>,
) {
    let router = Arc::new(router);
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let engine = engine.clone();
                let router = router.clone();
                let mut conn_shutdown = shutdown.clone();
                conns.spawn(async move {
                    let svc = service_fn(move |req| {
                        let engine = engine.clone();
                        let router = router.clone();
                        async move { Ok::<_, std::convert::Infallible>(dispatch(engine, router, req).await) }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), svc)
                        .with_upgrades();
                    tokio::pin!(conn);
                    tokio::select! {
                        r = conn.as_mut() => {
                            if let Err(e) = r {
                                tracing::debug!(error = %e, "connection ended with error");
                            }
                        }
                        _ = conn_shutdown.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), conn).await;
                        }
                    }
                });
            }
            _ = shutdown.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    let _ = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_prefix_is_split_only_when_numeric() {
        assert_eq!(
            split_version("/v1.41/images/json"),
            (Some("1.41"), "/images/json")
        );
        assert_eq!(split_version("/images/json"), (None, "/images/json"));
        assert_eq!(split_version("/volumes/x"), (None, "/volumes/x"));
        assert_eq!(split_version("/v1.50/_ping"), (Some("1.50"), "/_ping"));
    }

    #[test]
    fn versions_outside_the_served_range_get_dockerds_messages() {
        assert_eq!(
            negotiate(Some("1.99")).unwrap_err().message,
            "client version 1.99 is too new. Maximum supported API version is 1.50"
        );
        assert!(
            negotiate(Some("1.12"))
                .unwrap_err()
                .message
                .starts_with("client version 1.12 is too old")
        );
        assert_eq!(negotiate(Some("1.41")).unwrap(), ApiVersion::new(1, 41));
        assert_eq!(negotiate(None).unwrap(), ApiVersion::MAX);
    }
}
