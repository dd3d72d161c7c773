//! The channel between the caller and the container's process before `execve`.
//!
//! A `SOCK_SEQPACKET` socket pair, both ends close-on-exec: a successful `execve` closes the
//! child's end, so the caller reads end-of-file, which means "exec happened". Messages:
//!
//! * caller → child: [`Msg::Continue`] (cgroup placed, go on with setup), [`Msg::Start`].
//! * child → caller: [`Msg::Ready`] (optionally with the pty master as `SCM_RIGHTS`),
//!   [`Msg::Failed`] (kind, errno, step).

use std::io::{IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, SocketFlags, SocketType, recvmsg, sendmsg, socketpair,
};

use crate::error::{ChildError, ChildErrorKind};

const CONTINUE: u8 = b'C';
const START: u8 = b'S';
const READY: u8 = b'R';
const FAILED: u8 = b'E';
const USERNS: u8 = b'U';
const MAPPED: u8 = b'M';
const PID: u8 = b'P';

/// One message on the channel.
#[derive(Debug)]
pub enum Msg {
    Continue,
    Start,
    Ready(Option<OwnedFd>),
    Failed(ChildError),
    /// child → caller: in its new user namespace, waiting for the id maps.
    Userns,
    /// caller → child: maps written; optionally the rootfs, mounted and detached.
    Mapped(Option<OwnedFd>),
    /// child → caller: the pid (in the caller's namespace) of the process that carries on
    /// as the container's init.
    Pid(u32),
    /// The other end is closed.
    Eof,
}

/// One end of the channel.
#[derive(Debug)]
pub struct Channel(OwnedFd);

/// A connected pair: (caller's end, child's end).
pub fn pair() -> Result<(Channel, Channel), Errno> {
    let (a, b) = socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )?;
    Ok((Channel(a), Channel(b)))
}

impl Channel {
    fn send_bytes(&self, bytes: &[u8], fd: Option<BorrowedFd<'_>>) -> Result<(), Errno> {
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        let fds;
        if let Some(fd) = fd {
            fds = [fd];
            control.push(SendAncillaryMessage::ScmRights(&fds));
        }
        loop {
            match sendmsg(
                &self.0,
                &[IoSlice::new(bytes)],
                &mut control,
                SendFlags::NOSIGNAL,
            ) {
                Err(Errno::INTR) => continue,
                r => return r.map(|_| ()),
            }
        }
    }

    /// Send a message (`Eof` is not sendable and is ignored).
    pub fn send(&self, msg: &Msg) -> Result<(), Errno> {
        match msg {
            Msg::Continue => self.send_bytes(&[CONTINUE], None),
            Msg::Start => self.send_bytes(&[START], None),
            Msg::Ready(fd) => self.send_bytes(&[READY], fd.as_ref().map(|f| f.as_fd())),
            Msg::Userns => self.send_bytes(&[USERNS], None),
            Msg::Mapped(fd) => self.send_bytes(&[MAPPED], fd.as_ref().map(|f| f.as_fd())),
            Msg::Pid(pid) => {
                let mut buf = vec![PID];
                buf.extend_from_slice(&pid.to_le_bytes());
                self.send_bytes(&buf, None)
            }
            Msg::Failed(e) => {
                let kind = match e.kind {
                    ChildErrorKind::Setup => 0u8,
                    ChildErrorKind::NotFound => 1,
                    ChildErrorKind::NotExecutable => 2,
                };
                let mut buf = Vec::with_capacity(6 + e.step.len());
                buf.push(FAILED);
                buf.push(kind);
                buf.extend_from_slice(&e.errno.to_le_bytes());
                // Keep one datagram small enough to always fit.
                let step = e.step.as_bytes();
                buf.extend_from_slice(&step[..step.len().min(3000)]);
                self.send_bytes(&buf, None)
            }
            Msg::Eof => Ok(()),
        }
    }

    /// Block for the next message.
    pub fn recv(&self) -> Result<Msg, Errno> {
        let mut buf = [0u8; 4096];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let n = loop {
            match recvmsg(
                &self.0,
                &mut [IoSliceMut::new(&mut buf)],
                &mut control,
                RecvFlags::CMSG_CLOEXEC,
            ) {
                Err(Errno::INTR) => continue,
                r => break r?.bytes,
            }
        };
        let mut fd = None;
        for m in control.drain() {
            if let RecvAncillaryMessage::ScmRights(mut fds) = m {
                fd = fds.next();
            }
        }
        if n == 0 {
            return Ok(Msg::Eof);
        }
        Ok(match buf[0] {
            CONTINUE => Msg::Continue,
            START => Msg::Start,
            READY => Msg::Ready(fd),
            USERNS => Msg::Userns,
            MAPPED => Msg::Mapped(fd),
            PID if n == 5 => Msg::Pid(u32::from_le_bytes([buf[1], buf[2], buf[3], buf[4]])),
            FAILED if n >= 6 => Msg::Failed(ChildError {
                kind: match buf[1] {
                    1 => ChildErrorKind::NotFound,
                    2 => ChildErrorKind::NotExecutable,
                    _ => ChildErrorKind::Setup,
                },
                errno: i32::from_le_bytes([buf[2], buf[3], buf[4], buf[5]]),
                step: String::from_utf8_lossy(&buf[6..n]).into_owned(),
            }),
            _ => return Err(Errno::PROTO),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_eof() {
        let (a, b) = pair().unwrap();
        b.send(&Msg::Failed(ChildError {
            kind: ChildErrorKind::NotFound,
            step: "mount /proc".into(),
            errno: 1,
        }))
        .unwrap();
        match a.recv().unwrap() {
            Msg::Failed(e) => assert_eq!(e.to_string(), "mount /proc: EPERM"),
            m => panic!("{m:?}"),
        }
        let (r, _w) = rustix::pipe::pipe().unwrap();
        b.send(&Msg::Ready(Some(r))).unwrap();
        assert!(matches!(a.recv().unwrap(), Msg::Ready(Some(_))));
        drop(b);
        assert!(matches!(a.recv().unwrap(), Msg::Eof));
    }
}
