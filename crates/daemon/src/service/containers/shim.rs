//! Starting a container's shim and talking to it. Requests are short blocking round trips on
//! the blocking pool; `wait` connections are async so hundreds of containers cost no threads.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use wharf_shim::protocol::{self, ExitRecord, Request, Response};

use crate::error::ApiError;

/// How long a control request may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A failed shim operation, with the exit code hint Docker's CLI turns into 126/127.
#[derive(Debug, Clone)]
pub struct ShimError {
    pub message: String,
    pub code: Option<i32>,
}

impl From<ShimError> for ApiError {
    fn from(e: ShimError) -> ApiError {
        // dockerd answers a failed start with 400 (command not found, permission denied) or
        // 500; the CLI reads the message for 126/127.
        if e.code.is_some() {
            ApiError::bad_request(e.message)
        } else {
            ApiError::internal(e.message)
        }
    }
}

fn shim_error(r: &Response) -> Option<ShimError> {
    r.error.as_ref().map(|m| ShimError {
        message: m.clone(),
        code: r.code,
    })
}

/// Spawns `wharf shim <dir>` and waits for its readiness line: the init's pid, or the error
/// that stopped the container from being created.
pub async fn spawn(exe: &Path, dir: &Path) -> Result<u32, ShimError> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(wharf_shim::config::SHIM_LOG))
        .map_err(|e| ShimError {
            message: format!("opening shim log: {e}"),
            code: None,
        })?;
    let mut child = tokio::process::Command::new(exe)
        .arg("shim")
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(log)
        .kill_on_drop(false)
        .spawn()
        .map_err(|e| ShimError {
            message: format!("starting the shim: {e}"),
            code: None,
        })?;
    let stdout = child.stdout.take();
    // The shim outlives this call (and the daemon); reap it whenever it exits.
    tokio::spawn(async move {
        let _ = child.wait().await;
    });
    let mut line = String::new();
    if let Some(out) = stdout {
        let mut r = BufReader::new(out);
        let _ = r.read_line(&mut line).await;
    }
    let resp: Response = serde_json::from_str(line.trim()).map_err(|_| ShimError {
        message: format!(
            "the shim exited without reporting: {}",
            std::fs::read_to_string(dir.join(wharf_shim::config::SHIM_LOG))
                .unwrap_or_default()
                .lines()
                .last()
                .unwrap_or("")
        ),
        code: None,
    })?;
    if let Some(e) = shim_error(&resp) {
        return Err(e);
    }
    Ok(resp.pid.unwrap_or(0))
}

/// One request; blocking (call from the blocking pool).
pub fn call_blocking(
    dir: &Path,
    req: &Request,
    fds: &[BorrowedFd<'_>],
) -> Result<Response, ShimError> {
    let r = protocol::call(dir, req, fds, Some(CALL_TIMEOUT)).map_err(|e| ShimError {
        message: e.to_string(),
        code: None,
    })?;
    match shim_error(&r) {
        Some(e) => Err(e),
        None => Ok(r),
    }
}

/// One request from async code.
pub async fn call(dir: &Path, req: Request) -> Result<Response, ShimError> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || call_blocking(&dir, &req, &[]))
        .await
        .map_err(|e| ShimError {
            message: e.to_string(),
            code: None,
        })?
}

/// Sends a connection (a hijacked client) to the shim with an attach or exec request.
pub async fn call_with_fd(
    dir: &Path,
    req: Request,
    fd: std::os::fd::OwnedFd,
) -> Result<Response, ShimError> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || call_blocking(&dir, &req, &[fd.as_fd()]))
        .await
        .map_err(|e| ShimError {
            message: e.to_string(),
            code: None,
        })?
}

/// Waits (asynchronously) for the init or an exec to exit. `None` when the shim is gone
/// without answering (the daemon then reads `exit.json`).
pub async fn wait(dir: &Path, req: Request) -> Option<ExitRecord> {
    let sock = {
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || protocol::connect(&dir))
            .await
            .ok()?
            .ok()?
    };
    sock.set_nonblocking(true).ok()?;
    let mut sock = tokio::net::UnixStream::from_std(sock).ok()?;
    let mut line = serde_json::to_vec(&req).ok()?;
    line.push(b'\n');
    sock.write_all(&line).await.ok()?;
    let mut r = BufReader::new(sock);
    let mut answer = String::new();
    r.read_line(&mut answer).await.ok()?;
    let resp: Response = serde_json::from_str(answer.trim()).ok()?;
    resp.exit
}

/// The exit record a shim left behind.
pub fn read_exit(dir: &Path) -> Option<ExitRecord> {
    let data = std::fs::read(dir.join(wharf_shim::config::EXIT_FILE)).ok()?;
    serde_json::from_slice(&data).ok()
}

/// Whether a shim answers on `dir`'s socket.
pub fn alive(dir: &Path) -> Option<Response> {
    protocol::call(dir, &Request::State, &[], Some(Duration::from_secs(5))).ok()
}

/// The `wharf` binary to run shims from: this process's executable, resolved at start-up (a
/// binary replaced on disk keeps working for shims started before).
pub fn current_exe() -> PathBuf {
    std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"))
}
