//! Bridges between hyper's async bodies and the synchronous code that reads archives and writes
//! streams (which runs on blocking threads): a request body as a `std::io::Read`, and a
//! `std::io::Write` that feeds a streaming response body.

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::sync::mpsc;

/// The body type of every response.
pub type ResponseBody = http_body_util::combinators::BoxBody<Bytes, io::Error>;

pub fn full(data: impl Into<Bytes>) -> ResponseBody {
    http_body_util::Full::new(data.into())
        .map_err(|never| match never {})
        .boxed()
}

pub fn empty() -> ResponseBody {
    full(Bytes::new())
}

/// A request body readable from a blocking thread.
pub struct BodyReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl BodyReader {
    /// Starts pulling `body` on the runtime; the returned reader must be used off the runtime's
    /// worker threads (e.g. in `spawn_blocking`).
    pub fn new(mut body: Incoming) -> BodyReader {
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(async move {
            loop {
                match body.frame().await {
                    None => break,
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data()
                            && tx.send(Ok(data)).await.is_err()
                        {
                            break;
                        }
                    }
                    Some(Err(e)) => {
                        let _ = tx.send(Err(io::Error::other(e))).await;
                        break;
                    }
                }
            }
        });
        BodyReader {
            rx,
            current: Bytes::new(),
        }
    }

    /// A reader over bytes already in memory (tests, small bodies).
    pub fn from_bytes(data: Bytes) -> BodyReader {
        let (_tx, rx) = mpsc::channel(1);
        BodyReader { rx, current: data }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => return Err(e),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// The writing end of a streaming response. Writes block when the client is slow (bounded
/// channel); they fail once the client has gone away.
pub struct BodyWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

const FLUSH_AT: usize = 64 * 1024;

impl BodyWriter {
    /// A writer and the response body it feeds. The writer must be used and dropped on a
    /// blocking thread (`spawn_blocking`), never on the runtime's worker threads.
    pub fn channel() -> (BodyWriter, ResponseBody) {
        let (tx, rx) = mpsc::channel(16);
        (
            BodyWriter {
                tx,
                buf: Vec::with_capacity(FLUSH_AT),
            },
            ChannelBody { rx }.boxed(),
        )
    }

    /// Sends a final error to the client (the response is already under way, so this ends it
    /// abruptly, which clients report as an unexpected EOF).
    pub fn fail(mut self, e: io::Error) {
        let _ = self.flush();
        let _ = self.tx.blocking_send(Err(e));
    }

    /// Sends bytes from async code.
    pub async fn send(&self, data: Bytes) -> io::Result<()> {
        self.tx
            .send(Ok(data))
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }

    /// The client has gone away (the response body was dropped).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    pub fn sender(&self) -> mpsc::Sender<io::Result<Bytes>> {
        self.tx.clone()
    }
}

impl Write for BodyWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(FLUSH_AT),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }
}

impl Drop for BodyWriter {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            // Writers live on blocking threads (see `channel`), where blocking is allowed.
            let chunk = Bytes::from(std::mem::take(&mut self.buf));
            let _ = self.tx.blocking_send(Ok(chunk));
        }
    }
}

struct ChannelBody {
    rx: mpsc::Receiver<io::Result<Bytes>>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(Ok(b))) => Poll::Ready(Some(Ok(Frame::data(b)))),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
