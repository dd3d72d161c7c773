//! Hijacked connections (`attach`, `exec start`): answer `101 UPGRADED` as dockerd does, then
//! take the raw socket out of hyper so it can be passed to the container's shim.

use std::future::Future;
use std::os::fd::OwnedFd;

use http::{HeaderValue, Response, StatusCode};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;

use crate::body::{self, ResponseBody};
use crate::error::ApiError;
use crate::request::Req;

/// The raw client connection and the bytes hyper had already read from it.
pub struct Hijacked {
    pub fd: OwnedFd,
    pub initial: Vec<u8>,
}

/// Prepares the upgrade: the response to send now, and a future giving the connection once
/// the response is out.
pub fn hijack(
    r: &mut Req,
    content_type: &str,
) -> Result<
    (
        Response<ResponseBody>,
        impl Future<Output = Option<Hijacked>> + use<>,
    ),
    ApiError,
> {
    let upgrade = r
        .extensions
        .remove::<OnUpgrade>()
        .ok_or_else(|| ApiError::bad_request("this endpoint needs an upgradable connection"))?;
    let wants_upgrade = r.headers.get(http::header::UPGRADE).is_some();
    let mut resp = Response::builder()
        .status(if wants_upgrade {
            StatusCode::SWITCHING_PROTOCOLS
        } else {
            StatusCode::OK
        })
        .header(http::header::CONTENT_TYPE, content_type)
        .body(body::empty())
        .expect("static response parts");
    if wants_upgrade {
        let h = resp.headers_mut();
        h.insert(
            http::header::CONNECTION,
            HeaderValue::from_static("Upgrade"),
        );
        h.insert(http::header::UPGRADE, HeaderValue::from_static("tcp"));
    }
    let conn = async move {
        let upgraded = match upgrade.await {
            Ok(u) => u,
            Err(e) => {
                tracing::debug!(error = %e, "upgrade failed");
                return None;
            }
        };
        let parts = upgraded.downcast::<TokioIo<UnixStream>>().ok()?;
        let stream = parts.io.into_inner().into_std().ok()?;
        stream.set_nonblocking(false).ok()?;
        Some(Hijacked {
            fd: OwnedFd::from(stream),
            initial: parts.read_buf.to_vec(),
        })
    };
    Ok((resp, conn))
}

/// Waits (briefly, bounded) until the client has read the response head. Clients such as
/// docker-py parse the head through a buffered reader and then read the stream from the raw
/// socket: stream bytes that arrived with the head would sit in that buffer and be lost.
/// Go clients read the head at once, so this costs them nothing. Only for a stream whose
/// output the same request starts (exec start): an attach must reach the container before
/// the client, having read the head, sends the start.
pub async fn head_read(conn: &Hijacked) {
    use std::os::fd::AsFd;
    const LIMIT: std::time::Duration = std::time::Duration::from_millis(200);
    let t0 = std::time::Instant::now();
    while wharf_network::unread_by_peer(conn.fd.as_fd()).is_ok_and(|n| n > 0) {
        if t0.elapsed() > LIMIT {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_micros(100)).await;
    }
}

/// Writes an error to a hijacked client (a failed exec start), framed for multiplexed
/// streams, then closes it.
pub fn write_error(conn: OwnedFd, multiplex: bool, msg: &str) {
    use std::io::Write;
    let mut s = std::os::unix::net::UnixStream::from(conn);
    let mut line = msg.as_bytes().to_vec();
    line.push(b'\n');
    let data = if multiplex {
        wharf_api::stdcopy::frame(wharf_api::stdcopy::STDERR, &line)
    } else {
        line
    };
    let _ = s.write_all(&data);
    let _ = s.shutdown(std::net::Shutdown::Both);
}
