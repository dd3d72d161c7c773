//! `--console-socket`: the runtime connects to a unix socket we listen on and sends the pty
//! master as `SCM_RIGHTS` (payload: the pty's name).

use std::io::IoSliceMut;
use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::io::Errno;
use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, recvmsg};

use crate::error::Error;

/// A listening console socket; removed from the filesystem on drop.
#[derive(Debug)]
pub struct ConsoleSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl ConsoleSocket {
    pub fn bind(path: &Path) -> Result<ConsoleSocket, Error> {
        let _ = std::fs::remove_file(path);
        let listener =
            UnixListener::bind(path).map_err(|e| Error::io("bind console socket", path, e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::io("set nonblocking on", path, e))?;
        Ok(ConsoleSocket {
            listener,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Wait up to `timeout` for one connection and receive the master; `Ok(None)` on timeout.
    /// `keep_waiting` is polled between tries (return false to give up, e.g. the runtime exited).
    pub fn receive(
        &self,
        timeout: Duration,
        mut keep_waiting: impl FnMut() -> bool,
    ) -> Result<Option<OwnedFd>, Error> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => return recv_fd(&OwnedFd::from(stream)).map(Some),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(Error::io("accept on", &self.path, e)),
            }
            if std::time::Instant::now() > deadline || !keep_waiting() {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for ConsoleSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn recv_fd(stream: &OwnedFd) -> Result<OwnedFd, Error> {
    rustix::io::ioctl_fionbio(stream, false)
        .map_err(|e| Error::sys("FIONBIO console stream", e))?;
    let mut buf = [0u8; 4096];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    loop {
        match recvmsg(
            stream,
            &mut [IoSliceMut::new(&mut buf)],
            &mut control,
            RecvFlags::CMSG_CLOEXEC,
        ) {
            Err(Errno::INTR) => continue,
            r => {
                r.map_err(|e| Error::sys("recvmsg console socket", e))?;
                break;
            }
        }
    }
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(mut fds) = m
            && let Some(fd) = fds.next()
        {
            return Ok(fd);
        }
    }
    Err(Error::sys("console socket: no fd received", Errno::PROTO))
}
