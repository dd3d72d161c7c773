//! A small rtnetlink client: enough to create bridges and veth pairs, move a veth end into a
//! network namespace, set addresses and routes, and list links, addresses and routes.
//!
//! A [`Socket`] belongs to the network namespace of the thread that opened it, for its whole
//! life: a socket opened inside a container's namespace configures that namespace from any
//! thread. Requests are synchronous (send, then read the kernel's acknowledgement); each takes
//! a few microseconds.

mod attr;
pub mod link;
pub mod route;

use std::os::fd::{AsFd, OwnedFd};

use rustix::net::netlink::SocketAddrNetlink;
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};

pub use attr::{Attrs, Msg};

use crate::NetError;

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;

pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_ACK: u16 = 0x4;
pub const NLM_F_DUMP: u16 = 0x300;
pub const NLM_F_EXCL: u16 = 0x200;
pub const NLM_F_CREATE: u16 = 0x400;

/// A `NETLINK_ROUTE` socket.
pub struct Socket {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

/// One message of a dump: its type and payload (after the 16-byte header).
pub struct Reply {
    pub kind: u16,
    pub payload: Vec<u8>,
}

impl Socket {
    /// Opens a socket in the calling thread's network namespace.
    pub fn open() -> Result<Socket, NetError> {
        let fd = rustix::net::socket_with(
            AddressFamily::NETLINK,
            SocketType::RAW,
            SocketFlags::CLOEXEC,
            // NETLINK_ROUTE is protocol 0.
            None,
        )
        .map_err(|e| NetError::sys("netlink socket", e))?;
        rustix::net::bind(&fd, &SocketAddrNetlink::new(0, 0))
            .map_err(|e| NetError::sys("netlink bind", e))?;
        Ok(Socket {
            fd,
            seq: 0,
            buf: vec![0u8; 64 * 1024],
        })
    }

    fn send(&mut self, mut msg: Msg) -> Result<u32, NetError> {
        self.seq = self.seq.wrapping_add(1);
        let bytes = msg.finish(self.seq);
        rustix::net::sendto(
            self.fd.as_fd(),
            &bytes,
            SendFlags::empty(),
            &SocketAddrNetlink::new(0, 0),
        )
        .map_err(|e| NetError::sys("netlink send", e))?;
        Ok(self.seq)
    }

    /// Reads the next datagram and calls `f` for each message in it that answers `seq`.
    /// Returns `true` once the answer is complete (an ack, an error or `NLMSG_DONE`).
    fn recv_batch(
        &mut self,
        seq: u32,
        what: &str,
        f: &mut dyn FnMut(u16, &[u8]),
    ) -> Result<bool, NetError> {
        let (n, _) = loop {
            match rustix::net::recv(self.fd.as_fd(), &mut self.buf[..], RecvFlags::empty()) {
                Err(rustix::io::Errno::INTR) => continue,
                r => break r.map_err(|e| NetError::sys("netlink recv", e))?,
            }
        };
        let mut data = &self.buf[..n];
        while data.len() >= 16 {
            let len = u32::from_ne_bytes(data[0..4].try_into().unwrap_or_default()) as usize;
            let kind = u16::from_ne_bytes([data[4], data[5]]);
            let mseq = u32::from_ne_bytes(data[8..12].try_into().unwrap_or_default());
            if len < 16 || len > data.len() {
                break;
            }
            let payload = &data[16..len];
            if mseq == seq {
                match kind {
                    NLMSG_DONE => return Ok(true),
                    NLMSG_ERROR => {
                        let code = i32::from_ne_bytes(payload[0..4].try_into().unwrap_or_default());
                        if code == 0 {
                            return Ok(true);
                        }
                        return Err(NetError::Netlink {
                            what: what.to_string(),
                            errno: rustix::io::Errno::from_raw_os_error(-code),
                        });
                    }
                    _ => f(kind, payload),
                }
            }
            let aligned = (len + 3) & !3;
            data = &data[aligned.min(data.len())..];
        }
        Ok(false)
    }

    /// Sends a request with `NLM_F_ACK` and waits for the acknowledgement.
    pub fn request(&mut self, msg: Msg, what: &str) -> Result<(), NetError> {
        let seq = self.send(msg)?;
        while !self.recv_batch(seq, what, &mut |_, _| {})? {}
        Ok(())
    }

    /// Sends a dump request and collects every answer.
    pub fn dump(&mut self, msg: Msg, what: &str) -> Result<Vec<Reply>, NetError> {
        let seq = self.send(msg)?;
        let mut out = Vec::new();
        while !self.recv_batch(seq, what, &mut |kind, payload| {
            out.push(Reply {
                kind,
                payload: payload.to_vec(),
            })
        })? {}
        Ok(out)
    }
}
