use std::io::{self, Read, Write};

/// A reader that copies everything read through it into a writer.
pub struct TeeReader<R, W> {
    pub inner: R,
    pub sink: W,
}

impl<R: Read, W: Write> Read for TeeReader<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sink.write_all(&buf[..n])?;
        Ok(n)
    }
}

/// Reads the first bytes of a stream for sniffing, then yields them again before the rest.
pub struct Peeked<R> {
    head: Vec<u8>,
    pos: usize,
    inner: R,
}

impl<R: Read> Peeked<R> {
    pub fn new(mut inner: R, n: usize) -> io::Result<Peeked<R>> {
        let mut head = vec![0u8; n];
        let mut got = 0;
        while got < n {
            let k = inner.read(&mut head[got..])?;
            if k == 0 {
                break;
            }
            got += k;
        }
        head.truncate(got);
        Ok(Peeked {
            head,
            pos: 0,
            inner,
        })
    }

    pub fn head(&self) -> &[u8] {
        &self.head
    }
}

impl<R: Read> Read for Peeked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.head.len() {
            let n = buf.len().min(self.head.len() - self.pos);
            buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}
