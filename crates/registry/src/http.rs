//! The HTTP transport: one pooled hyper client for every registry, speaking plain http or TLS
//! (rustls with the system's CA bundle) by URL scheme, with connect and header timeouts.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::error::{ApiErrorEntry, RegistryError, Result};

pub type Body = BoxBody<Bytes, std::io::Error>;

pub fn empty() -> Body {
    full(Bytes::new())
}

pub fn full(b: impl Into<Bytes>) -> Body {
    http_body_util::Full::new(b.into())
        .map_err(|never| match never {})
        .boxed()
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long to wait for a response's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(60);

pub const USER_AGENT: &str = concat!("wharf/", env!("CARGO_PKG_VERSION"));

#[derive(Clone)]
pub struct Http {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Body>,
}

fn tls_config() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for e in &found.errors {
        tracing::warn!(error = %e, "loading system CA certificates");
    }
    let (added, ignored) = roots.add_parsable_certificates(found.certs);
    tracing::debug!(added, ignored, "system CA certificates for registries");
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

impl Http {
    pub fn new() -> Http {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_connect_timeout(Some(CONNECT_TIMEOUT));
        tcp.set_nodelay(true);
        let conn = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config())
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(16)
            .build(conn);
        Http { client }
    }

    /// Sends a request; a transport failure or header timeout names the method and URL.
    pub async fn send(&self, req: Request<Body>) -> Result<Response<Incoming>> {
        let method = req.method().clone();
        let url = req.uri().to_string();
        match tokio::time::timeout(HEADER_TIMEOUT, self.client.request(req)).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(RegistryError::transport(&method, &url, describe(&e))),
            Err(_) => Err(RegistryError::transport(
                &method,
                &url,
                "timeout awaiting response headers",
            )),
        }
    }
}

impl Default for Http {
    fn default() -> Self {
        Self::new()
    }
}

/// The innermost cause of a hyper client error (`connection refused`, not `client error`).
fn describe(e: &hyper_util::client::legacy::Error) -> String {
    let mut src: &dyn std::error::Error = e;
    let mut last = src.to_string();
    while let Some(s) = src.source() {
        last = s.to_string();
        src = s;
    }
    if e.is_connect() && !last.contains("connect") {
        format!("dial tcp: {last}")
    } else {
        last
    }
}

/// Reads a whole (small) body, at most `limit` bytes.
pub async fn read_body(resp: Response<Incoming>, limit: usize) -> Result<Bytes> {
    let collected = http_body_util::Limited::new(resp.into_body(), limit)
        .collect()
        .await
        .map_err(|e| RegistryError::Protocol(format!("reading response body: {e}")))?;
    Ok(collected.to_bytes())
}

#[derive(serde::Deserialize)]
struct ErrorsBody {
    #[serde(default)]
    errors: Vec<ApiErrorEntry>,
}

/// Turns a non-success response into [`RegistryError::Status`] with the registry's errors.
pub async fn status_error(method: &Method, url: &str, resp: Response<Incoming>) -> RegistryError {
    let status = resp.status().as_u16();
    let body = if *method == Method::HEAD {
        Bytes::new()
    } else {
        read_body(resp, 64 << 10).await.unwrap_or_default()
    };
    let errors = serde_json::from_slice::<ErrorsBody>(&body)
        .map(|b| b.errors)
        .unwrap_or_default();
    RegistryError::Status {
        status,
        url: url.to_string(),
        errors,
    }
}

/// Checks a response's status, turning failures into errors.
pub async fn check(
    method: &Method,
    url: &str,
    resp: Response<Incoming>,
) -> Result<Response<Incoming>> {
    if resp.status().is_success() {
        Ok(resp)
    } else {
        Err(status_error(method, url, resp).await)
    }
}

/// A request body fed from a channel (streaming uploads).
pub struct ChannelBody {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
}

impl ChannelBody {
    /// A body and the sender that feeds it; dropping the sender ends the body.
    pub fn channel(depth: usize) -> (tokio::sync::mpsc::Sender<std::io::Result<Bytes>>, Body) {
        let (tx, rx) = tokio::sync::mpsc::channel(depth);
        (tx, ChannelBody { rx }.boxed())
    }
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<std::result::Result<http_body::Frame<Bytes>, std::io::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|o| o.map(|r| r.map(http_body::Frame::data)))
    }
}
