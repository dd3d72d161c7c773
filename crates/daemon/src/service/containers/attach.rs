//! `POST /containers/{id}/attach`: the hijacked client connection is handed to the shim, which
//! serves it directly (the daemon is out of the data path, and the stream survives a daemon
//! restart). A client that attaches before the container starts waits in `pending_attach`
//! until the next start.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::sync::Arc;

use wharf_shim::protocol::{AttachSpec, Request};

use super::record::Status;
use super::{Ctr, shim};
use crate::engine::Engine;
use crate::error::ApiError;

/// Docker's default detach sequence, ctrl-p ctrl-q.
pub const DEFAULT_DETACH_KEYS: [u8; 2] = [16, 17];

/// Parses `ctrl-p,ctrl-q` style detach keys (empty: the default).
pub fn detach_keys(s: &str) -> Result<Vec<u8>, ApiError> {
    if s.is_empty() {
        return Ok(DEFAULT_DETACH_KEYS.to_vec());
    }
    let bad = || ApiError::bad_request(format!("Invalid detach keys ({s}) provided"));
    let mut out = Vec::new();
    for key in s.split(',') {
        let k = key.trim();
        if let Some(c) = k.strip_prefix("ctrl-") {
            let b = match c.as_bytes() {
                [c @ b'a'..=b'z'] => c - b'a' + 1,
                [b'@'] => 0,
                [b'['] => 27,
                [b'\\'] => 28,
                [b']'] => 29,
                [b'^'] => 30,
                [b'_'] => 31,
                _ => return Err(bad()),
            };
            out.push(b);
        } else if k.len() == 1 {
            out.push(k.as_bytes()[0]);
        } else {
            return Err(bad());
        }
    }
    Ok(out)
}

/// Hands a hijacked connection to the container's streams. With `logs`, the log so far is
/// written to the client first.
pub async fn attach(
    e: &Arc<Engine>,
    c: &Arc<Ctr>,
    spec: AttachSpec,
    conn: OwnedFd,
    logs: bool,
) -> Result<(), ApiError> {
    let conn = if logs {
        let (e2, c2, spec2) = (e.clone(), c.clone(), spec.clone());
        e.blocking(move |e| {
            let _ = &e2;
            replay_log(e, &c2, &spec2, conn)
        })
        .await?
    } else {
        conn
    };
    let status = c.lock().state.status;
    if status.is_alive() {
        let dir = e.containers.dir(&c.id);
        shim::call_with_fd(&dir, Request::Attach(spec), conn).await?;
        super::lifecycle::event(e, c, "attach", &[]);
        return Ok(());
    }
    if status == Status::Removing || c.is_removed() {
        return Err(super::not_found(&c.id));
    }
    c.pending_attach
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((conn, spec));
    super::lifecycle::event(e, c, "attach", &[]);
    Ok(())
}

fn replay_log(
    e: &Engine,
    c: &Arc<Ctr>,
    spec: &AttachSpec,
    conn: OwnedFd,
) -> Result<OwnedFd, ApiError> {
    let rec = c.rec();
    let Some(log) = super::lifecycle::log_spec(e, &rec) else {
        return Ok(conn);
    };
    let mut sock = std::os::unix::net::UnixStream::from(conn);
    let _ = sock.set_nonblocking(false);
    let opts = super::logs::LogOptions {
        stdout: spec.stdout,
        stderr: spec.stderr,
        multiplex: spec.multiplex,
        ..Default::default()
    };
    let _ = super::logs::stream(c, &log.path, log.max_file, &opts, &mut sock, &|| false);
    let _ = sock.flush();
    Ok(OwnedFd::from(sock))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_keys_parse_like_docker() {
        assert_eq!(detach_keys("").unwrap(), vec![16, 17]);
        assert_eq!(detach_keys("ctrl-a,x").unwrap(), vec![1, b'x']);
        assert_eq!(detach_keys("ctrl-@,ctrl-[").unwrap(), vec![0, 27]);
        assert_eq!(
            detach_keys("ctrl-1").unwrap_err().message,
            "Invalid detach keys (ctrl-1) provided"
        );
    }
}
