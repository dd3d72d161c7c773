//! Layer compression: detection by magic bytes, streaming decoders (gzip, zstd, xz) and the
//! encoders used when pushing (gzip, zstd).

use std::io::{self, BufReader, Chain, Cursor, Read, Write};

use flate2::bufread::MultiGzDecoder;
use flate2::write::GzEncoder;
use liblzma::bufread::XzDecoder;

use crate::error::ArchiveError;

/// Bytes needed by [`detect`] to tell every format apart.
pub const DETECT_LEN: usize = 10;
const READ_BUF: usize = 256 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Compression {
    #[default]
    None,
    Gzip,
    Zstd,
    Xz,
    Bzip2,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "uncompressed",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Xz => "xz",
            Compression::Bzip2 => "bzip2",
        }
    }
}

/// Identifies the compression of a stream from its first bytes (up to [`DETECT_LEN`]).
/// Anything unrecognised is [`Compression::None`].
pub fn detect(prefix: &[u8]) -> Compression {
    const BZ_BLOCK: [u8; 6] = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
    const BZ_END: [u8; 6] = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
    if prefix.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if prefix.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else if prefix.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Compression::Xz
    } else if prefix.len() >= 10
        && prefix.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&prefix[3])
        && (prefix[4..10] == BZ_BLOCK || prefix[4..10] == BZ_END)
    {
        // The block magic is checked too, so a tar whose first file is named "BZh..." is not
        // mistaken for bzip2.
        Compression::Bzip2
    } else {
        Compression::None
    }
}

type Peeked<R> = BufReader<Chain<Cursor<Vec<u8>>, R>>;

/// A reader that yields the uncompressed bytes of a gzip, zstd, xz or plain stream.
pub struct Decompressor<R: Read> {
    kind: Compression,
    inner: Decoder<Peeked<R>>,
}

enum Decoder<B: io::BufRead> {
    Plain(B),
    Gzip(MultiGzDecoder<B>),
    Zstd(zstd::stream::read::Decoder<'static, B>),
    Xz(XzDecoder<B>),
}

impl<R: Read> Decompressor<R> {
    /// Detects the format from the first bytes of `r` and sets up the matching decoder.
    /// Concatenated gzip members, zstd frames and xz streams are all read.
    pub fn new(mut r: R) -> Result<Decompressor<R>, ArchiveError> {
        let mut prefix = vec![0u8; DETECT_LEN];
        let mut n = 0;
        while n < DETECT_LEN {
            match r.read(&mut prefix[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(ArchiveError::Stream {
                        context: "reading layer stream".into(),
                        source: e,
                    });
                }
            }
        }
        prefix.truncate(n);
        let kind = detect(&prefix);
        let buffered = BufReader::with_capacity(READ_BUF, Cursor::new(prefix).chain(r));
        let inner = match kind {
            Compression::None => Decoder::Plain(buffered),
            Compression::Gzip => Decoder::Gzip(MultiGzDecoder::new(buffered)),
            Compression::Zstd => Decoder::Zstd(
                zstd::stream::read::Decoder::with_buffer(buffered).map_err(|e| {
                    ArchiveError::Stream {
                        context: "initialising zstd decoder".into(),
                        source: e,
                    }
                })?,
            ),
            Compression::Xz => Decoder::Xz(XzDecoder::new_multi_decoder(buffered)),
            Compression::Bzip2 => {
                return Err(ArchiveError::UnsupportedCompression { format: "bzip2" });
            }
        };
        Ok(Decompressor { kind, inner })
    }

    /// The detected format.
    pub fn compression(&self) -> Compression {
        self.kind
    }
}

impl<R: Read> Read for Decompressor<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = match &mut self.inner {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
            Decoder::Zstd(r) => r.read(buf),
            Decoder::Xz(r) => r.read(buf),
        };
        r.map_err(|e| {
            // Decoder errors are about the compressed data; say which format was expected.
            if e.kind() == io::ErrorKind::UnexpectedEof {
                e
            } else {
                io::Error::new(e.kind(), format!("{} stream: {e}", self.kind.name()))
            }
        })
    }
}

/// [`Decompressor::new`] boxed, for callers that want a trait object.
pub fn decompress<R: Read + Send + 'static>(r: R) -> Result<Box<dyn Read + Send>, ArchiveError> {
    Ok(Box::new(Decompressor::new(r)?))
}

/// A writer that compresses what is written to it. Call [`Compressor::finish`] to write the
/// trailer and get the sink back.
pub struct Compressor<W: Write> {
    inner: Encoder<W>,
}

enum Encoder<W: Write> {
    Plain(W),
    Gzip(GzEncoder<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> Compressor<W> {
    /// Gzip level 6 and zstd level 3, the defaults of Docker and containerd.
    pub fn new(w: W, kind: Compression) -> Result<Compressor<W>, ArchiveError> {
        let inner = match kind {
            Compression::None => Encoder::Plain(w),
            Compression::Gzip => Encoder::Gzip(GzEncoder::new(w, flate2::Compression::new(6))),
            Compression::Zstd => {
                Encoder::Zstd(zstd::stream::write::Encoder::new(w, 3).map_err(|e| {
                    ArchiveError::Stream {
                        context: "initialising zstd encoder".into(),
                        source: e,
                    }
                })?)
            }
            Compression::Xz | Compression::Bzip2 => {
                return Err(ArchiveError::UnsupportedCompression {
                    format: kind.name(),
                });
            }
        };
        Ok(Compressor { inner })
    }

    pub fn finish(self) -> Result<W, ArchiveError> {
        let r = match self.inner {
            Encoder::Plain(mut w) => w.flush().map(|()| w),
            Encoder::Gzip(e) => e.finish(),
            Encoder::Zstd(e) => e.finish(),
        };
        r.map_err(|e| ArchiveError::Stream {
            context: "finishing compressed stream".into(),
            source: e,
        })
    }
}

impl<W: Write> Write for Compressor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Encoder::Plain(w) => w.write(buf),
            Encoder::Gzip(w) => w.write(buf),
            Encoder::Zstd(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Encoder::Plain(w) => w.flush(),
            Encoder::Gzip(w) => w.flush(),
            Encoder::Zstd(w) => w.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(kind: Compression) {
        let data: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let mut c = Compressor::new(Vec::new(), kind).unwrap();
        c.write_all(&data).unwrap();
        let packed = c.finish().unwrap();
        assert_eq!(detect(&packed), kind);
        let mut d = Decompressor::new(&packed[..]).unwrap();
        assert_eq!(d.compression(), kind);
        let mut out = Vec::new();
        d.read_to_end(&mut out).unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn gzip_zstd_and_plain_round_trip() {
        round_trip(Compression::None);
        round_trip(Compression::Gzip);
        round_trip(Compression::Zstd);
    }

    #[test]
    fn xz_is_decoded() {
        let mut e = liblzma::write::XzEncoder::new(Vec::new(), 1);
        e.write_all(b"hello xz").unwrap();
        let packed = e.finish().unwrap();
        let mut out = String::new();
        Decompressor::new(&packed[..])
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "hello xz");
    }

    #[test]
    fn concatenated_gzip_members_are_all_read() {
        let mut packed = Vec::new();
        for part in [&b"first "[..], b"second"] {
            let mut c = Compressor::new(Vec::new(), Compression::Gzip).unwrap();
            c.write_all(part).unwrap();
            packed.extend(c.finish().unwrap());
        }
        let mut out = String::new();
        Decompressor::new(&packed[..])
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "first second");
    }

    #[test]
    fn bzip2_is_refused_clearly_but_a_file_named_bzh_is_plain() {
        let bz = b"BZh91AY&SY\x00\x00";
        let err = Decompressor::new(&bz[..]).err().unwrap();
        assert_eq!(err.to_string(), "bzip2 compressed layers are not supported");
        assert_eq!(detect(b"BZh_notes.txt\0\0\0"), Compression::None);
    }

    #[test]
    fn corrupt_gzip_is_an_error_naming_the_format() {
        let mut c = Compressor::new(Vec::new(), Compression::Gzip).unwrap();
        c.write_all(&[7u8; 10_000]).unwrap();
        let mut packed = c.finish().unwrap();
        let mid = packed.len() / 2;
        packed[mid] ^= 0xff;
        packed[mid + 1] ^= 0xff;
        let err = Decompressor::new(&packed[..])
            .unwrap()
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(err.to_string().contains("gzip stream"), "{err}");
    }

    #[test]
    fn writing_xz_is_refused() {
        assert!(matches!(
            Compressor::new(Vec::new(), Compression::Xz),
            Err(ArchiveError::UnsupportedCompression { format: "xz" })
        ));
    }
}

/// Gzip with `threads` cores: the input is cut into chunks compressed independently, each a
/// gzip member of its own, written in order. The result is one valid (multi-member) gzip
/// stream, as pigz writes it with `--independent`; every gzip reader, Go's included, reads it
/// whole. Returns the bytes read.
pub fn gzip_parallel(
    mut input: impl Read,
    mut output: impl Write,
    level: u32,
    threads: usize,
) -> io::Result<u64> {
    const CHUNK: usize = 4 << 20;
    let threads = threads.max(1);
    let mut total = 0u64;
    loop {
        let mut chunks: Vec<Vec<u8>> = Vec::with_capacity(threads);
        let mut eof = false;
        while chunks.len() < threads {
            let mut buf = Vec::with_capacity(CHUNK);
            let n = (&mut input).take(CHUNK as u64).read_to_end(&mut buf)?;
            total += n as u64;
            if n > 0 {
                chunks.push(buf);
            }
            if n < CHUNK {
                eof = true;
                break;
            }
        }
        if chunks.is_empty() && total > 0 {
            break;
        }
        let compressed: Vec<io::Result<Vec<u8>>> = std::thread::scope(|s| {
            let handles: Vec<_> = chunks
                .iter()
                .map(|c| {
                    s.spawn(move || {
                        let mut e = GzEncoder::new(
                            Vec::with_capacity(c.len() / 2),
                            flate2::Compression::new(level),
                        );
                        e.write_all(c)?;
                        e.finish()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(io::Error::other("compression thread panicked")))
                })
                .collect()
        });
        if chunks.is_empty() {
            // Empty input: one empty member, so the result is still a gzip stream.
            let e = GzEncoder::new(Vec::new(), flate2::Compression::new(level));
            output.write_all(&e.finish()?)?;
            break;
        }
        for c in compressed {
            output.write_all(&c?)?;
        }
        if eof {
            break;
        }
    }
    output.flush()?;
    Ok(total)
}

#[cfg(test)]
mod parallel_tests {
    use super::*;

    #[test]
    fn parallel_gzip_reads_back_whole() {
        let data: Vec<u8> = (0..(9 << 20))
            .map(|i| (i % 251) as u8 ^ (i / 7919) as u8)
            .collect();
        let mut out = Vec::new();
        assert_eq!(
            gzip_parallel(&data[..], &mut out, 1, 2).unwrap(),
            data.len() as u64
        );
        let mut back = Vec::new();
        Decompressor::new(&out[..])
            .unwrap()
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
        let mut empty = Vec::new();
        gzip_parallel(&b""[..], &mut empty, 6, 2).unwrap();
        let mut back = Vec::new();
        Decompressor::new(&empty[..])
            .unwrap()
            .read_to_end(&mut back)
            .unwrap();
        assert!(back.is_empty() && detect(&empty) == Compression::Gzip);
    }
}
