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
        let addr = authority(req.uri());
        match tokio::time::timeout(HEADER_TIMEOUT, self.client.request(req)).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(RegistryError::transport(&method, &url, describe(&e, &addr))),
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

/// `host:port` of a URL, the port filled in from the scheme.
fn authority(uri: &http::Uri) -> String {
    let host = uri.host().unwrap_or_default();
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("http") {
            80
        } else {
            443
        });
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The innermost cause of a hyper client error, worded as Docker (Go's net and tls
/// packages) words it: `dial tcp host:port: connect: connection refused`, not `client error`.
fn describe(e: &hyper_util::client::legacy::Error, addr: &str) -> String {
    let mut src: &dyn std::error::Error = e;
    let mut last = src.to_string();
    let mut io_kind = None;
    while let Some(s) = src.source() {
        last = s.to_string();
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            io_kind = Some(io.kind());
        }
        src = s;
    }
    go_wording(&last, io_kind, addr, e.is_connect())
}

fn go_wording(
    last: &str,
    io_kind: Option<std::io::ErrorKind>,
    addr: &str,
    connect: bool,
) -> String {
    use std::io::ErrorKind as K;
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    if last.contains("failed to lookup address information") || last.contains("dns error") {
        return format!("dial tcp: lookup {host}: no such host");
    }
    if last.contains("certificate") || last.contains("handshake") {
        return format!("tls: failed to verify certificate: {last}");
    }
    let connect_reason = match io_kind {
        Some(K::ConnectionRefused) => Some("connect: connection refused"),
        Some(K::TimedOut) => Some("i/o timeout"),
        Some(K::NetworkUnreachable) => Some("connect: network is unreachable"),
        Some(K::HostUnreachable) => Some("connect: no route to host"),
        _ => None,
    };
    match connect_reason {
        Some(r) if connect => format!("dial tcp {addr}: {r}"),
        _ if connect && !last.contains("connect") => format!("dial tcp {addr}: {last}"),
        _ => last.to_string(),
    }
}

#[cfg(test)]
mod wording_tests {
    use super::*;
    use std::io::ErrorKind as K;

    #[test]
    fn transport_failures_are_worded_as_dockerd_words_them() {
        let refused = go_wording(
            "Connection refused (os error 111)",
            Some(K::ConnectionRefused),
            "localhost:5999",
            true,
        );
        assert_eq!(
            refused,
            "dial tcp localhost:5999: connect: connection refused"
        );
        let dns = go_wording(
            "failed to lookup address information: Name or service not known",
            None,
            "nonexistent.invalid:443",
            true,
        );
        assert_eq!(dns, "dial tcp: lookup nonexistent.invalid: no such host");
        let tls = go_wording(
            "invalid peer certificate: certificate not valid for name \"10.0.0.1\"",
            None,
            "10.0.0.1:5000",
            true,
        );
        assert!(tls.starts_with("tls: failed to verify certificate: invalid peer certificate"));
        assert_eq!(
            go_wording("timed out", Some(K::TimedOut), "[::1]:5000", true),
            "dial tcp [::1]:5000: i/o timeout"
        );
        // Not a connect failure: the cause as it is.
        assert_eq!(
            go_wording(
                "connection closed before message completed",
                None,
                "r:443",
                false
            ),
            "connection closed before message completed"
        );
    }

    #[test]
    fn authority_fills_the_port_from_the_scheme() {
        let u = |s: &str| s.parse::<http::Uri>().unwrap();
        assert_eq!(
            authority(&u("https://registry.test/v2/")),
            "registry.test:443"
        );
        assert_eq!(authority(&u("http://127.0.0.1:5000/v2/")), "127.0.0.1:5000");
        assert_eq!(authority(&u("http://[::1]:5000/v2/")), "[::1]:5000");
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
