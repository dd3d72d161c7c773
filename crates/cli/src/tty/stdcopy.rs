//! Docker's multiplexed stream format for containers without a tty: frames of an 8-byte header
//! (stream byte: 0 stdin, 1 stdout, 2 stderr, 3 system error; three zero bytes; big-endian u32
//! length) and the payload. Mirrors moby's `stdcopy.StdCopy`.

use std::io::{self, Read, Write};

#[derive(Debug, thiserror::Error)]
pub enum StdcopyError {
    #[error("unrecognized stream: {0}")]
    UnknownStream(u8),
    /// A system-error frame: the engine's message.
    #[error("error from daemon in stream: {0}")]
    Daemon(String),
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Copies frames from `src` to `out`/`err` until the end of the stream, flushing after each
/// frame so interactive output shows at once. A truncated last frame ends the copy quietly, as
/// in docker. Returns the payload bytes written.
pub fn demux(
    src: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u64, StdcopyError> {
    let mut written = 0u64;
    let mut header = [0u8; 8];
    let mut payload = vec![0u8; 32 * 1024];
    loop {
        if !read_full(src, &mut header)? {
            return Ok(written);
        }
        let size = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
        if payload.len() < size {
            payload.resize(size, 0);
        }
        if !read_full(src, &mut payload[..size])? {
            return Ok(written);
        }
        let data = &payload[..size];
        match header[0] {
            0 | 1 => {
                out.write_all(data)?;
                out.flush()?;
            }
            2 => {
                err.write_all(data)?;
                err.flush()?;
            }
            3 => {
                return Err(StdcopyError::Daemon(
                    String::from_utf8_lossy(data).into_owned(),
                ));
            }
            other => return Err(StdcopyError::UnknownStream(other)),
        }
        written += size as u64;
    }
}

/// Fills `buf`; `false` when the stream ended before it was full.
fn read_full(src: &mut dyn Read, buf: &mut [u8]) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match src.read(&mut buf[got..]) {
            Ok(0) => return Ok(false),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_api::stdcopy::frame;

    /// A reader that returns at most `step` bytes per read, to exercise split headers.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn frames_go_to_their_streams_even_when_split_across_reads() {
        let mut raw = frame(1, b"out1\n");
        raw.extend(frame(2, b"err\n"));
        raw.extend(frame(0, b"in-as-out\n"));
        raw.extend(frame(1, &vec![b'x'; 70_000]));
        for step in [1, 3, 8, 1000, usize::MAX] {
            let (mut o, mut e) = (Vec::new(), Vec::new());
            let n = demux(&mut Trickle { data: &raw, step }, &mut o, &mut e).unwrap();
            assert_eq!(n, 5 + 4 + 10 + 70_000);
            assert!(o.starts_with(b"out1\nin-as-out\nxxx"));
            assert_eq!(e, b"err\n");
        }
    }

    #[test]
    fn truncated_frames_end_quietly_and_bad_streams_fail() {
        let mut raw = frame(1, b"whole");
        raw.extend_from_slice(&frame(1, b"cut off")[..10]);
        let (mut o, mut e) = (Vec::new(), Vec::new());
        demux(&mut &raw[..], &mut o, &mut e).unwrap();
        assert_eq!(o, b"whole");

        let raw = frame(7, b"?");
        let err = demux(&mut &raw[..], &mut o, &mut e).unwrap_err();
        assert_eq!(err.to_string(), "unrecognized stream: 7");

        let raw = frame(3, b"boom");
        let err = demux(&mut &raw[..], &mut o, &mut e).unwrap_err();
        assert_eq!(err.to_string(), "error from daemon in stream: boom");
    }
}
