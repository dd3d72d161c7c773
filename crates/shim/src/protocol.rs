//! The shim's control protocol, spoken on `<state dir>/shim.sock`: one request per connection,
//! a JSON object on one line, sent in one `sendmsg` that may carry file descriptors (a client's
//! hijacked connection for `attach` and `exec`); the answer is one JSON line. A `wait` or
//! `exec_wait` connection stays open until the process has exited.
//!
//! The socket is addressed as `/proc/self/fd/<dirfd>/shim.sock` on both sides, so a deep data
//! root never hits `sun_path`'s 108-byte limit.

use std::io::{IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::time::Duration;

use rustix::fs::{Mode, OFlags};
use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use serde::{Deserialize, Serialize};

/// File name of the control socket inside the container's state directory.
pub const SOCKET: &str = "shim.sock";

/// How an attached client's streams are wired.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttachSpec {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    /// Frame output with stdcopy headers (non-tty streams).
    pub multiplex: bool,
    /// Detach sequence scanned for in stdin (empty: none).
    #[serde(default)]
    pub detach_keys: Vec<u8>,
    /// Close the process's stdin when this client's input ends (`StdinOnce`).
    #[serde(default)]
    pub close_stdin: bool,
    /// Bytes of stdin the daemon read from the connection before handing it over.
    #[serde(default)]
    pub initial: Vec<u8>,
}

/// A request to the shim.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Let the created init process run.
    Start,
    /// Current status.
    State,
    /// Answered when the init process has exited (and its output is drained).
    Wait,
    /// Attach the passed connection to the init process's streams.
    Attach(AttachSpec),
    /// Resize the init's (or an exec's) terminal.
    Resize {
        #[serde(default)]
        exec: Option<String>,
        height: u16,
        width: u16,
    },
    /// Signal the init process, or with `all` every process of the container.
    Kill {
        signal: i32,
        all: bool,
    },
    Pause,
    Resume,
    /// Start a process in the running container; with `attach`, the passed connection gets
    /// its streams.
    Exec {
        id: String,
        process: Box<wharf_runtime::spec::Process>,
        #[serde(default)]
        attach: Option<AttachSpec>,
    },
    ExecState {
        id: String,
    },
    /// Answered when the exec has exited.
    ExecWait {
        id: String,
    },
    /// A created container that will not be started: remove it and exit.
    Shutdown,
}

/// The answer to a request. Absent fields are not relevant to the request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Response {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Docker's exit code for a failed start or exec: 126 (not executable), 127 (not found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// `created`, `running`, `paused`, `stopped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<ExitRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
}

impl Response {
    pub fn ok() -> Response {
        Response::default()
    }

    pub fn error(msg: impl Into<String>, code: Option<i32>) -> Response {
        Response {
            error: Some(msg.into()),
            code,
            ..Default::default()
        }
    }
}

/// How a process ended, as the shim records it (`exit.json` for the init).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExitRecord {
    pub exit_code: i32,
    /// RFC 3339 with nanoseconds.
    pub finished_at: String,
    #[serde(default)]
    pub started_at: String,
    #[serde(default)]
    pub oom_killed: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("shim: bad message: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("shim closed the connection")]
    Closed,
}

impl From<rustix::io::Errno> for ProtocolError {
    fn from(e: rustix::io::Errno) -> ProtocolError {
        ProtocolError::Io(e.into())
    }
}

/// `/proc/self/fd/N/shim.sock` for a directory fd.
fn socket_path(dir: &OwnedFd) -> String {
    use std::os::fd::AsRawFd;
    format!("/proc/self/fd/{}/{SOCKET}", dir.as_raw_fd())
}

fn open_dir(dir: &Path) -> std::io::Result<OwnedFd> {
    Ok(rustix::fs::open(
        dir,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Binds the control socket in `dir` (replacing a stale one).
pub fn bind(dir: &Path) -> std::io::Result<UnixListener> {
    let fd = open_dir(dir)?;
    let path = socket_path(&fd);
    let _ = std::fs::remove_file(&path);
    UnixListener::bind(&path)
}

/// Connects to the shim of the container whose state directory is `dir`.
pub fn connect(dir: &Path) -> std::io::Result<UnixStream> {
    let fd = open_dir(dir)?;
    UnixStream::connect(socket_path(&fd))
}

/// Sends one message (a JSON line) with optional fds.
pub fn send<T: Serialize>(
    sock: impl AsFd,
    msg: &T,
    fds: &[BorrowedFd<'_>],
) -> Result<(), ProtocolError> {
    let mut line = serde_json::to_vec(msg)?;
    line.push(b'\n');
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(4))];
    let mut ctl = SendAncillaryBuffer::new(&mut space);
    if !fds.is_empty() {
        ctl.push(SendAncillaryMessage::ScmRights(fds));
    }
    let mut off =
        rustix::net::sendmsg(&sock, &[IoSlice::new(&line)], &mut ctl, SendFlags::NOSIGNAL)?;
    while off < line.len() {
        off += rustix::net::send(&sock, &line[off..], SendFlags::NOSIGNAL)?;
    }
    Ok(())
}

/// Receives one message and the fds that came with it. Reads byte runs until a newline; bytes
/// after the newline (none in this protocol) are dropped.
pub fn recv<T: for<'de> Deserialize<'de>>(
    sock: impl AsFd,
) -> Result<(T, Vec<OwnedFd>), ProtocolError> {
    let mut buf = Vec::with_capacity(512);
    let mut fds = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(4))];
        let mut ctl = RecvAncillaryBuffer::new(&mut space);
        let got = rustix::net::recvmsg(
            &sock,
            &mut [IoSliceMut::new(&mut chunk)],
            &mut ctl,
            RecvFlags::CMSG_CLOEXEC,
        )?;
        for m in ctl.drain() {
            if let RecvAncillaryMessage::ScmRights(rights) = m {
                fds.extend(rights);
            }
        }
        if got.bytes == 0 {
            return Err(ProtocolError::Closed);
        }
        buf.extend_from_slice(&chunk[..got.bytes]);
        if let Some(nl) = buf.iter().position(|&b| b == b'\n') {
            buf.truncate(nl);
            return Ok((serde_json::from_slice(&buf)?, fds));
        }
        if buf.len() > 16 << 20 {
            return Err(ProtocolError::Io(std::io::Error::other("message too long")));
        }
    }
}

/// One request/response round trip on a new connection. `timeout` bounds the wait for the
/// answer (`None` waits forever, for `wait`).
pub fn call(
    dir: &Path,
    req: &Request,
    fds: &[BorrowedFd<'_>],
    timeout: Option<Duration>,
) -> Result<Response, ProtocolError> {
    let sock = connect(dir)?;
    sock.set_read_timeout(timeout)?;
    send(&sock, req, fds)?;
    Ok(recv::<Response>(&sock)?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_fds_cross_a_socket_pair() {
        let (a, b) = UnixStream::pair().unwrap();
        let (r, _w) = rustix::pipe::pipe().unwrap();
        let req = Request::Attach(AttachSpec {
            stdout: true,
            multiplex: true,
            detach_keys: vec![16, 17],
            ..Default::default()
        });
        send(&a, &req, &[r.as_fd()]).unwrap();
        let (got, fds): (Request, _) = recv(&b).unwrap();
        assert_eq!(got, req);
        assert_eq!(fds.len(), 1);
    }

    #[test]
    fn requests_are_tagged_by_op() {
        let s = serde_json::to_string(&Request::Kill {
            signal: 15,
            all: false,
        })
        .unwrap();
        assert_eq!(s, r#"{"op":"kill","signal":15,"all":false}"#);
        assert_eq!(
            serde_json::to_string(&Request::Start).unwrap(),
            r#"{"op":"start"}"#
        );
    }

    #[test]
    fn long_state_dirs_are_reached_through_proc_self_fd() {
        let tmp = tempfile::tempdir().unwrap();
        let deep = tmp.path().join("x".repeat(100)).join("y".repeat(60));
        std::fs::create_dir_all(&deep).unwrap();
        let l = bind(&deep).unwrap();
        let t = std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            let (req, _): (Request, _) = recv(&s).unwrap();
            assert_eq!(req, Request::State);
            send(
                &s,
                &Response {
                    status: Some("running".into()),
                    ..Default::default()
                },
                &[],
            )
            .unwrap();
        });
        let r = call(&deep, &Request::State, &[], Some(Duration::from_secs(5))).unwrap();
        assert_eq!(r.status.as_deref(), Some("running"));
        t.join().unwrap();
    }
}
