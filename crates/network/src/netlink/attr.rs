//! Building netlink messages (header, fixed family header, attributes, nested attributes) and
//! reading attributes back.

/// A message under construction: the 16-byte header is filled in by [`Msg::finish`].
pub struct Msg {
    buf: Vec<u8>,
    nests: Vec<usize>,
}

fn align(n: usize) -> usize {
    (n + 3) & !3
}

impl Msg {
    /// A message of `kind` with `flags`, followed by the family header `fixed`.
    pub fn new(kind: u16, flags: u16, fixed: &[u8]) -> Msg {
        let mut buf = vec![0u8; 16];
        buf[4..6].copy_from_slice(&kind.to_ne_bytes());
        buf[6..8].copy_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(fixed);
        buf.resize(align(buf.len()), 0);
        Msg {
            buf,
            nests: Vec::new(),
        }
    }

    pub fn attr(mut self, kind: u16, data: &[u8]) -> Msg {
        let len = 4 + data.len();
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(data);
        self.buf.resize(align(self.buf.len()), 0);
        self
    }

    pub fn str(self, kind: u16, s: &str) -> Msg {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        self.attr(kind, &v)
    }

    pub fn u32(self, kind: u16, v: u32) -> Msg {
        self.attr(kind, &v.to_ne_bytes())
    }

    /// Raw bytes inside the current nest (e.g. a nested `ifinfomsg`).
    pub fn raw(mut self, data: &[u8]) -> Msg {
        self.buf.extend_from_slice(data);
        self.buf.resize(align(self.buf.len()), 0);
        self
    }

    /// Opens a nested attribute; close it with [`Msg::end`].
    pub fn nest(mut self, kind: u16) -> Msg {
        self.nests.push(self.buf.len());
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self
    }

    pub fn end(mut self) -> Msg {
        if let Some(start) = self.nests.pop() {
            let len = (self.buf.len() - start) as u16;
            self.buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
        }
        self
    }

    /// Everything after the 16-byte netlink header.
    pub fn bytes_after_header(&self) -> &[u8] {
        &self.buf[16..]
    }

    /// The wire bytes with length and sequence number set.
    pub fn finish(&mut self, seq: u32) -> Vec<u8> {
        let len = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.buf[8..12].copy_from_slice(&seq.to_ne_bytes());
        self.buf.clone()
    }
}

/// The attributes of a received message (after its fixed header).
pub struct Attrs<'a> {
    data: &'a [u8],
}

impl<'a> Attrs<'a> {
    pub fn new(data: &'a [u8]) -> Attrs<'a> {
        Attrs { data }
    }
}

impl<'a> Iterator for Attrs<'a> {
    /// Type (nested flag stripped) and payload.
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.data.len() < 4 {
            return None;
        }
        let len = u16::from_ne_bytes([self.data[0], self.data[1]]) as usize;
        let kind = u16::from_ne_bytes([self.data[2], self.data[3]]) & 0x3fff;
        if len < 4 || len > self.data.len() {
            return None;
        }
        let payload = &self.data[4..len];
        self.data = &self.data[align(len).min(self.data.len())..];
        Some((kind, payload))
    }
}

/// A NUL-terminated string attribute.
pub fn attr_str(v: &[u8]) -> String {
    let end = v.iter().position(|b| *b == 0).unwrap_or(v.len());
    String::from_utf8_lossy(&v[..end]).into_owned()
}

pub fn attr_u32(v: &[u8]) -> u32 {
    v.get(0..4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_ne_bytes)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_attributes_round_trip() {
        let mut m = Msg::new(16, 1, &[0u8; 16])
            .str(3, "wv0")
            .nest(18)
            .str(1, "veth")
            .end();
        let bytes = m.finish(7);
        assert_eq!(bytes.len() % 4, 0);
        assert_eq!(
            u32::from_ne_bytes(bytes[0..4].try_into().unwrap()) as usize,
            bytes.len()
        );
        let attrs: Vec<_> = Attrs::new(&bytes[32..]).collect();
        assert_eq!(attrs.len(), 2);
        assert_eq!(attr_str(attrs[0].1), "wv0");
        let inner: Vec<_> = Attrs::new(attrs[1].1).collect();
        assert_eq!((inner[0].0, attr_str(inner[0].1).as_str()), (1, "veth"));
    }
}
