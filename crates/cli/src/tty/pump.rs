//! Moves bytes between the user and a hijacked connection, as docker's `hijackedIOStreamer`:
//! stdin to the connection (watching for the detach keys on a tty, half-closing at EOF), the
//! connection to stdout/stderr (raw on a tty, demultiplexed otherwise). Returns when output
//! ends, when input ends and no output is attached, or when the user detaches.

use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::sync::mpsc;

use crate::error::CliError;
use crate::hijack::Hijacked;
use crate::tty::detach::{DetachMatcher, Scan};
use crate::tty::stdcopy;
use crate::tty::term::RawMode;

pub struct PumpOptions {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
    /// The detach sequence (used on a tty only; the engine watches it otherwise).
    pub detach_keys: Vec<u8>,
    /// The terminal to restore as soon as either direction ends.
    pub raw: Option<RawMode>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// The stream ended (the process exited or the engine closed it).
    Finished,
    /// The user typed the detach keys.
    Detached,
}

enum Event {
    Output(Result<(), CliError>),
    InputDone,
    Detached,
}

pub fn pump(conn: Hijacked, opts: PumpOptions) -> Result<Ended, CliError> {
    let (tx, rx) = mpsc::channel();
    let has_output = opts.stdout || opts.stderr;
    let Hijacked { mut reader, writer } = conn;
    if has_output {
        let tx = tx.clone();
        let raw = opts.raw.clone();
        let (tty, to_stdout, to_stderr) = (opts.tty, opts.stdout, opts.stderr);
        std::thread::spawn(move || {
            let r = if tty {
                let r = copy_raw(&mut reader, to_stdout || to_stderr);
                if let Some(raw) = &raw {
                    raw.restore();
                }
                r
            } else {
                let mut out: Box<dyn Write> = if to_stdout {
                    Box::new(io::stdout())
                } else {
                    Box::new(io::sink())
                };
                let mut err: Box<dyn Write> = if to_stderr {
                    Box::new(io::stderr())
                } else {
                    Box::new(io::sink())
                };
                stdcopy::demux(&mut reader, &mut out, &mut err)
                    .map(|_| ())
                    .map_err(|e| match e {
                        stdcopy::StdcopyError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                            CliError::Exit(0)
                        }
                        e => CliError::msg(e.to_string()),
                    })
            };
            let _ = tx.send(Event::Output(r));
        });
    }
    {
        let raw = opts.raw.clone();
        let matcher = (opts.tty && !opts.detach_keys.is_empty())
            .then(|| DetachMatcher::new(opts.detach_keys.clone()));
        let stdin = opts.stdin;
        std::thread::spawn(move || {
            let detached = stdin && copy_stdin(&writer, matcher);
            if let Some(raw) = &raw {
                raw.restore();
            }
            if detached {
                let _ = tx.send(Event::Detached);
                return;
            }
            let _ = writer.shutdown(std::net::Shutdown::Write);
            let _ = tx.send(Event::InputDone);
        });
    }
    loop {
        match rx.recv() {
            Ok(Event::Output(r)) => return r.map(|_| Ended::Finished),
            Ok(Event::Detached) => return Ok(Ended::Detached),
            Ok(Event::InputDone) if has_output => continue,
            Ok(Event::InputDone) | Err(_) => return Ok(Ended::Finished),
        }
    }
}

/// Copies the tty stream to stdout, flushing as it goes.
fn copy_raw(src: &mut dyn Read, show: bool) -> Result<(), CliError> {
    let mut buf = vec![0u8; 32 * 1024];
    let stdout = io::stdout();
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // The engine (or our own detach) closed the connection.
            Err(_) => return Ok(()),
        };
        if show {
            let mut out = stdout.lock();
            let r = out.write_all(&buf[..n]).and_then(|_| out.flush());
            if r.is_err() {
                return Err(CliError::Exit(0));
            }
        }
    }
}

/// Copies stdin to the connection; returns whether the user detached.
fn copy_stdin(conn: &std::os::unix::net::UnixStream, mut matcher: Option<DetachMatcher>) -> bool {
    let stdin = io::stdin();
    let fd = stdin.as_fd();
    let mut buf = vec![0u8; 32 * 1024];
    let mut conn = conn;
    loop {
        let n = match rustix::io::read(fd, &mut buf) {
            Ok(0) => return false,
            Ok(n) => n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return false,
        };
        let (data, detach) = match matcher.as_mut().map(|m| m.scan(&buf[..n])) {
            None => (buf[..n].to_vec(), false),
            Some(Scan::Forward(d)) => (d, false),
            Some(Scan::Detach(d)) => (d, true),
        };
        if !data.is_empty() && conn.write_all(&data).is_err() {
            return false;
        }
        if detach {
            return true;
        }
    }
}
