//! A process's streams as the shim holds them, and the clients attached to them.
//!
//! Output is read when ready, appended to the log (init only) and to each attached client's
//! buffer (stdcopy-framed for non-tty clients). Client input goes to the process's stdin after
//! the detach sequence has been looked for. Everything is non-blocking: a slow client never
//! stalls the container or the log; one that falls [`CLIENT_BUFFER_MAX`] behind is dropped.

use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;

use rustix::io::Errno;

use crate::jsonlog::{LogWriter, Stream};
use crate::protocol::AttachSpec;

/// Output a client may have pending before it is disconnected.
pub const CLIENT_BUFFER_MAX: usize = 8 << 20;
/// Input buffered for the process's stdin before clients stop being read.
pub const STDIN_BUFFER_MAX: usize = 1 << 20;

pub fn set_nonblocking(fd: impl AsFd) -> std::io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(&fd)?;
    rustix::fs::fcntl_setfl(&fd, flags | rustix::fs::OFlags::NONBLOCK)?;
    Ok(())
}

/// Finds the detach sequence in a client's input, across reads.
#[derive(Debug, Default)]
pub struct DetachMatcher {
    keys: Vec<u8>,
    matched: usize,
}

impl DetachMatcher {
    pub fn new(keys: Vec<u8>) -> DetachMatcher {
        DetachMatcher { keys, matched: 0 }
    }

    /// Feeds input; returns the bytes to pass on and whether the sequence completed (bytes after
    /// it are discarded, as the client is detached).
    pub fn feed(&mut self, data: &[u8]) -> (Vec<u8>, bool) {
        if self.keys.is_empty() {
            return (data.to_vec(), false);
        }
        let mut out = Vec::with_capacity(data.len());
        for &b in data {
            if b == self.keys[self.matched] {
                self.matched += 1;
                if self.matched == self.keys.len() {
                    self.matched = 0;
                    return (out, true);
                }
            } else {
                // Held bytes were not the sequence after all.
                out.extend_from_slice(&self.keys[..self.matched]);
                self.matched = 0;
                if b == self.keys[0] {
                    self.matched = 1;
                } else {
                    out.push(b);
                }
            }
        }
        (out, false)
    }
}

/// An attached client connection.
pub struct Client {
    pub sock: UnixStream,
    pub spec: AttachSpec,
    out: Vec<u8>,
    out_off: usize,
    detach: DetachMatcher,
    /// No more input will be read (EOF, detach, or not attached to stdin).
    pub input_done: bool,
    /// Close once the pending output is written.
    pub closing: bool,
    pub dead: bool,
}

impl Client {
    pub fn new(sock: UnixStream, spec: AttachSpec) -> std::io::Result<Client> {
        sock.set_nonblocking(true)?;
        let detach = DetachMatcher::new(spec.detach_keys.clone());
        Ok(Client {
            input_done: !spec.stdin,
            sock,
            spec,
            out: Vec::new(),
            out_off: 0,
            detach,
            closing: false,
            dead: false,
        })
    }

    pub fn wants(&self, stream: Stream) -> bool {
        match stream {
            Stream::Stdout => self.spec.stdout,
            Stream::Stderr => self.spec.stderr,
        }
    }

    pub fn has_output(&self) -> bool {
        self.out_off < self.out.len()
    }

    /// Queues output (framed when multiplexed) and tries to write it now.
    pub fn push(&mut self, stream: Stream, data: &[u8]) {
        if self.dead || self.closing || !self.wants(stream) {
            return;
        }
        if self.spec.multiplex {
            let id = match stream {
                Stream::Stdout => 1,
                Stream::Stderr => 2,
            };
            let n = (data.len() as u32).to_be_bytes();
            self.out
                .extend_from_slice(&[id, 0, 0, 0, n[0], n[1], n[2], n[3]]);
        }
        self.out.extend_from_slice(data);
        if self.out.len() - self.out_off > CLIENT_BUFFER_MAX {
            self.dead = true;
            return;
        }
        self.flush();
    }

    /// Writes as much pending output as the socket takes.
    pub fn flush(&mut self) {
        while self.has_output() {
            match self.sock.write(&self.out[self.out_off..]) {
                Ok(0) => {
                    self.dead = true;
                    return;
                }
                Ok(n) => self.out_off += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.dead = true;
                    return;
                }
            }
        }
        if self.out_off == self.out.len() {
            self.out.clear();
            self.out_off = 0;
            if self.closing {
                let _ = self.sock.shutdown(std::net::Shutdown::Both);
                self.dead = true;
            }
        } else if self.out_off > 64 * 1024 {
            self.out.drain(..self.out_off);
            self.out_off = 0;
        }
    }

    /// Reads input; returns what should go to the process's stdin.
    pub fn read_input(&mut self) -> Vec<u8> {
        let mut buf = [0u8; 16 * 1024];
        match self.sock.read(&mut buf) {
            Ok(0) => {
                self.input_done = true;
                Vec::new()
            }
            Ok(n) => {
                let (pass, detached) = self.detach.feed(&buf[..n]);
                if detached {
                    self.input_done = true;
                    self.closing = true;
                    self.flush();
                }
                pass
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::Interrupted =>
            {
                Vec::new()
            }
            Err(_) => {
                self.input_done = true;
                self.dead = true;
                Vec::new()
            }
        }
    }

    /// Whether a detach ended this client's input (as opposed to EOF).
    pub fn detached(&self) -> bool {
        self.closing && self.input_done
    }

    /// Close after the pending output.
    pub fn close(&mut self) {
        self.closing = true;
        self.flush();
    }
}

/// One output stream of a process.
pub struct Output {
    pub fd: OwnedFd,
    pub stream: Stream,
}

/// A process's streams and attached clients.
#[derive(Default)]
pub struct ProcIo {
    pub stdin: Option<OwnedFd>,
    pub stdin_buf: Vec<u8>,
    /// Close stdin once `stdin_buf` is written.
    pub stdin_close: bool,
    pub outputs: Vec<Output>,
    pub clients: Vec<Client>,
    pub log: Option<LogWriter>,
}

impl ProcIo {
    /// Reads one chunk of an output; returns false at end of stream.
    pub fn read_output(&mut self, idx: usize) -> bool {
        let mut buf = [0u8; 32 * 1024];
        let stream = self.outputs[idx].stream;
        loop {
            match rustix::io::read(&self.outputs[idx].fd, &mut buf) {
                Ok(0) => return false,
                Ok(n) => {
                    let data = &buf[..n];
                    if let Some(log) = self.log.as_mut() {
                        log.write(stream, data);
                    }
                    for c in &mut self.clients {
                        c.push(stream, data);
                    }
                    return true;
                }
                Err(Errno::INTR) => continue,
                Err(Errno::AGAIN) => return true,
                // EIO: a pty whose other side is closed.
                Err(_) => return false,
            }
        }
    }

    /// Removes an ended output, flushing its partial log line.
    pub fn end_output(&mut self, idx: usize) {
        let o = self.outputs.remove(idx);
        if let Some(log) = self.log.as_mut() {
            log.finish(o.stream);
        }
    }

    pub fn queue_stdin(&mut self, data: &[u8]) {
        if self.stdin.is_some() {
            self.stdin_buf.extend_from_slice(data);
            self.write_stdin();
        }
    }

    pub fn write_stdin(&mut self) {
        let Some(fd) = self.stdin.as_ref() else {
            self.stdin_buf.clear();
            return;
        };
        while !self.stdin_buf.is_empty() {
            match rustix::io::write(fd, &self.stdin_buf) {
                Ok(n) => {
                    self.stdin_buf.drain(..n);
                }
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => return,
                Err(_) => {
                    self.stdin_buf.clear();
                    self.stdin = None;
                    return;
                }
            }
        }
        if self.stdin_close {
            self.stdin = None;
        }
    }

    /// Asks for stdin to be closed once pending input is written.
    pub fn close_stdin(&mut self) {
        self.stdin_close = true;
        self.write_stdin();
    }

    pub fn stdin_full(&self) -> bool {
        self.stdin_buf.len() >= STDIN_BUFFER_MAX
    }

    /// Drops dead clients.
    pub fn sweep(&mut self) {
        self.clients.retain(|c| !c.dead);
    }

    pub fn close_clients(&mut self) {
        for c in &mut self.clients {
            c.close();
        }
        self.sweep();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_sequence_is_found_across_reads_and_false_starts_pass_through() {
        let mut m = DetachMatcher::new(vec![16, 17]);
        assert_eq!(m.feed(b"ab\x10"), (b"ab".to_vec(), false));
        assert_eq!(m.feed(b"x"), (b"\x10x".to_vec(), false));
        assert_eq!(m.feed(b"\x10\x10"), (b"\x10".to_vec(), false));
        assert_eq!(m.feed(b"\x11rest"), (Vec::new(), true));
        let mut none = DetachMatcher::new(vec![]);
        assert_eq!(none.feed(b"\x10\x11"), (b"\x10\x11".to_vec(), false));
    }

    #[test]
    fn multiplexed_clients_get_stdcopy_frames_and_only_their_streams() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut c = Client::new(
            a,
            AttachSpec {
                stdout: true,
                multiplex: true,
                ..Default::default()
            },
        )
        .unwrap();
        c.push(Stream::Stdout, b"hi");
        c.push(Stream::Stderr, b"no");
        c.close();
        let mut got = Vec::new();
        b.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"\x01\x00\x00\x00\x00\x00\x00\x02hi");
    }
}
