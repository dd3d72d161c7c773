//! One layer of a pull, on three threads so the stages overlap on every core:
//!
//! 1. *store*: bytes from the network go to the blob's ingest file (hashed as they are
//!    written) and on to stage 2;
//! 2. *inflate*: the compressed stream (what an earlier, interrupted attempt left in the
//!    ingest first) is decompressed;
//! 3. *unpack*: the tar is hashed (the DiffID) and applied into the layer's own snapshot.
//!
//! Then one `syncfs` makes the blob and the unpacked files durable together, and the blob is
//! verified against its digest and moved into the content store. A blob that does not match
//! is refused (and reported as such even when it also broke decompression).

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use bytes::Bytes;
use wharf_digest::Digest;
use wharf_image::{DetachedLayer, ImageStore};
use wharf_store::content::Writer;

use crate::error::ApiError;

/// Chunks in flight between stages.
const DEPTH: usize = 32;
/// Size of the decompressed chunks stage 2 hands on.
const CHUNK: usize = 256 << 10;

/// What one layer's transfer needs.
pub struct LayerStream {
    /// Bytes from the network, starting at `offset`.
    pub net: tokio::sync::mpsc::Receiver<Bytes>,
    /// The ingest writer (already holding `offset` bytes of an earlier attempt).
    pub writer: Writer,
    /// Where those earlier bytes are, to feed them to the unpacker.
    pub prefix: Option<PathBuf>,
    pub offset: u64,
    pub digest: Digest,
    pub size: u64,
    /// Unpack while downloading (overlay); else only store the blob.
    pub unpack: bool,
}

/// A blocking reader over a channel of chunks.
struct ChanReader<R> {
    rx: R,
    cur: Bytes,
}

trait Recv {
    fn recv_chunk(&mut self) -> Option<Bytes>;
}

impl Recv for tokio::sync::mpsc::Receiver<Bytes> {
    fn recv_chunk(&mut self) -> Option<Bytes> {
        self.blocking_recv()
    }
}

impl Recv for Receiver<Bytes> {
    fn recv_chunk(&mut self) -> Option<Bytes> {
        self.recv().ok()
    }
}

impl<R: Recv> Read for ChanReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.recv_chunk() {
                Some(b) => self.cur = b,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur[..n]);
        self.cur = self.cur.slice(n..);
        Ok(n)
    }
}

/// Stage 2: decompresses `input` into chunks for stage 3.
fn inflate(input: impl Read, out: SyncSender<Bytes>) -> io::Result<()> {
    let mut d = wharf_archive::Decompressor::new(input).map_err(io::Error::other)?;
    loop {
        let mut buf = vec![0u8; CHUNK];
        let mut filled = 0;
        while filled < CHUNK {
            let n = d.read(&mut buf[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            return Ok(());
        }
        buf.truncate(filled);
        if out.send(Bytes::from(buf)).is_err() {
            // The unpacker stopped (it failed); its error is the one reported.
            return Ok(());
        }
    }
}

/// Runs the three stages; `progress` sees the running byte count of the blob. Returns the
/// detached layer (when unpacking), with the blob verified and in the content store.
pub fn run(
    images: &ImageStore,
    mut s: LayerStream,
    progress: &mut dyn FnMut(u64),
) -> Result<Option<DetachedLayer>, ApiError> {
    let want = (s.digest.clone(), s.size);
    if !s.unpack {
        let mut seen = s.offset;
        while let Some(b) = s.net.blocking_recv() {
            io::Write::write_all(&mut s.writer, &b)
                .map_err(|e| ApiError::internal(format!("writing blob {}: {e}", want.0)))?;
            seen += b.len() as u64;
            progress(seen);
        }
        return finish(images, s.writer, &want, None, Ok(()), true);
    }

    let prefix: Box<dyn Read + Send> = match &s.prefix {
        Some(p) => Box::new(
            std::fs::File::open(p)
                .map_err(|e| ApiError::internal(format!("reopening partial download: {e}")))?
                .take(s.offset),
        ),
        None => Box::new(io::empty()),
    };
    let (to_inflate, inflate_rx) = sync_channel::<Bytes>(DEPTH);
    let (to_unpack, unpack_rx) = sync_channel::<Bytes>(DEPTH);
    let flushing = std::sync::atomic::AtomicBool::new(true);
    let ingest_path = s.writer.path().to_path_buf();
    let (stored, inflated, unpacked) = std::thread::scope(|sc| {
        // Writeback while the layer lands, so the final syncfs finds little left to write
        // (the kernel alone would hold the data back for up to 30 s).
        let flusher = sc.spawn(|| {
            while flushing.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = wharf_store::fsutil::syncfs(&ingest_path);
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        });
        let inflater = sc.spawn(move || {
            let input = prefix.chain(ChanReader {
                rx: inflate_rx,
                cur: Bytes::new(),
            });
            inflate(input, to_unpack)
        });
        let unpacker = sc.spawn(move || {
            images.unpack_detached(ChanReader {
                rx: unpack_rx,
                cur: Bytes::new(),
            })
        });
        // Stage 1 on this thread. Once a later stage stops, the blob is still read to its
        // end: its digest decides what is reported.
        let mut seen = s.offset;
        let mut forward = Some(to_inflate);
        let mut stored = Ok(());
        while let Some(b) = s.net.blocking_recv() {
            if let Err(e) = io::Write::write_all(&mut s.writer, &b) {
                stored = Err(e);
                break;
            }
            seen += b.len() as u64;
            progress(seen);
            if let Some(f) = &forward
                && f.send(b).is_err()
            {
                forward = None;
            }
        }
        drop(forward);
        let inflated = inflater
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("decompression thread panicked")));
        let unpacked = unpacker.join().unwrap_or_else(|_| {
            Err(wharf_image::ImageError::InvalidArgument(
                "unpack thread panicked".into(),
            ))
        });
        flushing.store(false, std::sync::atomic::Ordering::Relaxed);
        let _ = flusher.join();
        (stored, inflated, unpacked)
    });
    let (detached, stage_error) = match (inflated, unpacked) {
        (Ok(()), Ok(d)) => (Some(d), None),
        (_, Err(e)) => (None, Some(ApiError::from(e))),
        (Err(e), Ok(d)) => (
            Some(d),
            Some(ApiError::bad_request(format!("decompressing layer: {e}"))),
        ),
    };
    let stored = stored.map_err(|e| ApiError::internal(format!("writing blob {}: {e}", want.0)));
    let result = match (stored, stage_error) {
        (Err(e), _) => Err(e),
        (Ok(()), Some(e)) => Err(e),
        (Ok(()), None) => Ok(()),
    };
    finish(images, s.writer, &want, detached, result, false)
}

/// Verifies and stores the blob; on any failure the detached layer is dropped.
fn finish(
    images: &ImageStore,
    writer: Writer,
    want: &(Digest, u64),
    mut detached: Option<DetachedLayer>,
    result: Result<(), ApiError>,
    sync_blob_only: bool,
) -> Result<Option<DetachedLayer>, ApiError> {
    let complete = writer.offset() == want.1;
    let discard = |d: Option<DetachedLayer>| {
        if let Some(d) = d {
            images.discard_detached(d);
        }
    };
    if let Err(e) = result {
        discard(detached);
        if complete {
            // The whole blob arrived: a mismatch is the real cause; a verified blob is kept
            // (the layer itself is bad, not the transfer).
            return match writer.commit(Some((&want.0, want.1))) {
                Err(mismatch) => Err(mismatch.into()),
                Ok(_) => Err(e),
            };
        }
        // Incomplete: the partial ingest stays for the next attempt.
        return Err(e);
    }
    let committed = if sync_blob_only {
        writer.commit(Some((&want.0, want.1)))
    } else {
        // One syncfs makes the blob and the unpacked layer durable together.
        match &detached {
            Some(_) => {
                let t = std::time::Instant::now();
                let r = wharf_store::fsutil::syncfs(writer.path());
                tracing::debug!(ms = t.elapsed().as_millis() as u64, "pull: syncfs");
                r.and_then(|_| writer.commit_synced(Some((&want.0, want.1))))
            }
            None => writer.commit(Some((&want.0, want.1))),
        }
    };
    match committed {
        Ok(_) => {
            if let Some(d) = &mut detached {
                d.mark_synced();
            }
            Ok(detached)
        }
        Err(e) => {
            discard(detached);
            Err(e.into())
        }
    }
}
