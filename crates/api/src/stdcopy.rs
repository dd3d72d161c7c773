//! Docker's stream multiplexing for non-tty attach, logs and exec (`stdcopy`): each frame is an
//! 8-byte header `[stream, 0, 0, 0, len_be32]` followed by `len` bytes. Stream 0 is stdin,
//! 1 stdout, 2 stderr, 3 a system error message.

pub const STDIN: u8 = 0;
pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;
pub const SYSTEMERR: u8 = 3;

/// The media type dockerd answers hijacked non-tty streams with (API ≥ 1.42).
pub const MULTIPLEXED_STREAM: &str = "application/vnd.docker.multiplexed-stream";
/// The media type for a raw (tty) stream.
pub const RAW_STREAM: &str = "application/vnd.docker.raw-stream";

/// The 8-byte frame header for `len` bytes on `stream`.
pub fn header(stream: u8, len: usize) -> [u8; 8] {
    let n = (len as u32).to_be_bytes();
    [stream, 0, 0, 0, n[0], n[1], n[2], n[3]]
}

/// Appends one frame to `out`.
pub fn encode_into(out: &mut Vec<u8>, stream: u8, data: &[u8]) {
    out.extend_from_slice(&header(stream, data.len()));
    out.extend_from_slice(data);
}

/// One frame, owned.
pub fn frame(stream: u8, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + data.len());
    encode_into(&mut v, stream, data);
    v
}

/// Incremental decoder: feed bytes, take whole frames.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next complete frame, if one has arrived.
    pub fn next_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        if self.buf.len() < 8 {
            return None;
        }
        let len = u32::from_be_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]]) as usize;
        if self.buf.len() < 8 + len {
            return None;
        }
        let stream = self.buf[0];
        let data = self.buf[8..8 + len].to_vec();
        self.buf.drain(..8 + len);
        Some((stream, data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_across_split_reads() {
        let mut all = frame(STDOUT, b"hello\n");
        encode_into(&mut all, STDERR, b"oops");
        let mut d = Decoder::default();
        d.push(&all[..5]);
        assert_eq!(d.next_frame(), None);
        d.push(&all[5..]);
        assert_eq!(d.next_frame(), Some((STDOUT, b"hello\n".to_vec())));
        assert_eq!(d.next_frame(), Some((STDERR, b"oops".to_vec())));
        assert_eq!(d.next_frame(), None);
        assert_eq!(header(STDERR, 258), [2, 0, 0, 0, 0, 0, 1, 2]);
    }
}
