//! Deterministic tar writer: the same headers and data always give the same bytes.
//!
//! Each entry is a ustar header, preceded by a PAX extended header only when a value does not fit
//! ustar (long or non-ASCII names, large ids or sizes, sub-second or out-of-range times, xattrs).

use std::io::{self, Read, Write};

use super::block::{self, BLOCK, BlockFields, MAX_OCTAL_8, MAX_OCTAL_12};
use super::pax;
use super::reader::padding;
use super::{EntryKind, Header};
use crate::error::{ArchiveError, show};

const COPY_BUF: usize = 256 * 1024;

pub struct Writer<W> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> Writer<W> {
    pub fn new(inner: W) -> Writer<W> {
        Writer {
            inner,
            buf: Vec::new(),
        }
    }

    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Appends one entry. For regular files exactly `header.size` bytes are copied from `data`
    /// (an error if it has fewer); other kinds ignore `data`. Directory names get a trailing `/`.
    pub fn append(&mut self, header: &Header, data: impl Read) -> Result<(), ArchiveError> {
        let mut path = header.path.clone();
        if header.kind == EntryKind::Directory && !path.ends_with(b"/") {
            path.push(b'/');
        }
        let size = if header.kind == EntryKind::Regular {
            header.size
        } else {
            0
        };
        let mut records: Vec<(String, Vec<u8>)> = Vec::new();

        let (prefix, name) = match ustar_name(&path) {
            Some((p, n)) => (p.to_vec(), n.to_vec()),
            None => {
                records.push(("path".into(), path.clone()));
                (Vec::new(), ascii_truncated(&path, block::NAME_LEN))
            }
        };
        let link_name = if is_ascii(&header.link_name) && header.link_name.len() <= block::LINK_LEN
        {
            header.link_name.clone()
        } else {
            records.push(("linkpath".into(), header.link_name.clone()));
            ascii_truncated(&header.link_name, block::LINK_LEN)
        };
        let mut owner_name = |key: &str, v: &str| {
            if is_ascii(v.as_bytes()) && v.len() <= block::OWNER_NAME_LEN {
                v.as_bytes().to_vec()
            } else {
                records.push((key.into(), v.as_bytes().to_vec()));
                ascii_truncated(v.as_bytes(), block::OWNER_NAME_LEN)
            }
        };
        let uname = owner_name("uname", &header.uname);
        let gname = owner_name("gname", &header.gname);
        let mut number = |key: &str, v: u64, max: u64| {
            if v <= max {
                v
            } else {
                records.push((key.into(), v.to_string().into_bytes()));
                0
            }
        };
        let uid = number("uid", header.uid, MAX_OCTAL_8);
        let gid = number("gid", header.gid, MAX_OCTAL_8);
        let size_field = number("size", size, MAX_OCTAL_12);
        let mtime = header.mtime;
        let mtime_field = match u64::try_from(mtime.secs) {
            Ok(s) if s <= MAX_OCTAL_12 && mtime.nanos == 0 => s,
            Ok(s) if s <= MAX_OCTAL_12 => {
                records.push(("mtime".into(), pax::format_time(mtime).into_bytes()));
                s
            }
            _ => {
                records.push(("mtime".into(), pax::format_time(mtime).into_bytes()));
                0
            }
        };
        for (key, t) in [("atime", header.atime), ("ctime", header.ctime)] {
            if let Some(t) = t {
                records.push((key.into(), pax::format_time(t).into_bytes()));
            }
        }
        for (k, v) in &header.xattrs {
            records.push((format!("SCHILY.xattr.{k}"), v.clone()));
        }

        if !records.is_empty() {
            records.sort();
            self.write_pax(&path, &pax::format_records(&records))?;
        }
        let block = block::format(&BlockFields {
            typeflag: typeflag(header.kind),
            name: &name,
            prefix: &prefix,
            link_name: &link_name,
            mode: u64::from(header.mode & 0o7777),
            uid,
            gid,
            size: size_field,
            mtime: mtime_field,
            uname: &uname,
            gname: &gname,
            dev_major: u64::from(header.dev_major),
            dev_minor: u64::from(header.dev_minor),
        });
        self.write(&block)?;
        if size > 0 {
            self.copy_data(&path, size, data)?;
        }
        Ok(())
    }

    /// Writes the end-of-archive marker (two zero blocks), flushes, and returns the sink.
    pub fn finish(mut self) -> Result<W, ArchiveError> {
        self.write(&[0u8; 2 * BLOCK])?;
        self.inner.flush().map_err(write_error)?;
        Ok(self.inner)
    }

    fn write_pax(&mut self, path: &[u8], data: &[u8]) -> Result<(), ArchiveError> {
        // Named like Go's writer does ("dir/PaxHeaders.0/base"): stable, no pid in it.
        let trimmed = path.strip_suffix(b"/").unwrap_or(path);
        let mut name = match trimmed.iter().rposition(|&c| c == b'/') {
            Some(i) => [&trimmed[..=i], b"PaxHeaders.0/", &trimmed[i + 1..]].concat(),
            None => [&b"PaxHeaders.0/"[..], trimmed].concat(),
        };
        name = ascii_truncated(&name, block::NAME_LEN);
        let block = block::format(&BlockFields {
            typeflag: b'x',
            name: &name,
            prefix: b"",
            link_name: b"",
            mode: 0,
            uid: 0,
            gid: 0,
            size: data.len() as u64,
            mtime: 0,
            uname: b"",
            gname: b"",
            dev_major: 0,
            dev_minor: 0,
        });
        self.write(&block)?;
        self.write(data)?;
        self.write_padding(data.len() as u64)
    }

    fn copy_data(
        &mut self,
        path: &[u8],
        size: u64,
        mut data: impl Read,
    ) -> Result<(), ArchiveError> {
        if self.buf.is_empty() {
            self.buf = vec![0; COPY_BUF];
        }
        let mut left = size;
        while left > 0 {
            let want = usize::try_from(left)
                .unwrap_or(usize::MAX)
                .min(self.buf.len());
            let n = match data.read(&mut self.buf[..want]) {
                Ok(0) => {
                    return Err(ArchiveError::Inconsistent {
                        entry: show(path),
                        reason: format!("data ended after {} of {size} bytes", size - left),
                    });
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(ArchiveError::Stream {
                        context: format!("reading data for entry {:?}", show(path)),
                        source: e,
                    });
                }
            };
            self.inner.write_all(&self.buf[..n]).map_err(write_error)?;
            left -= n as u64;
        }
        self.write_padding(size)
    }

    fn write_padding(&mut self, size: u64) -> Result<(), ArchiveError> {
        let pad = padding(size) as usize;
        self.write(&[0u8; BLOCK][..pad])
    }

    fn write(&mut self, b: &[u8]) -> Result<(), ArchiveError> {
        self.inner.write_all(b).map_err(write_error)
    }
}

fn write_error(e: io::Error) -> ArchiveError {
    ArchiveError::Stream {
        context: "writing tar stream".into(),
        source: e,
    }
}

fn typeflag(kind: EntryKind) -> u8 {
    match kind {
        EntryKind::Regular => b'0',
        EntryKind::HardLink => b'1',
        EntryKind::Symlink => b'2',
        EntryKind::CharDevice => b'3',
        EntryKind::BlockDevice => b'4',
        EntryKind::Directory => b'5',
        EntryKind::Fifo => b'6',
    }
}

fn is_ascii(b: &[u8]) -> bool {
    b.iter().all(|&c| c.is_ascii() && c != 0)
}

/// The best-effort ustar field for a value that goes into a PAX record.
fn ascii_truncated(b: &[u8], len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = b
        .iter()
        .copied()
        .filter(|&c| c.is_ascii() && c != 0)
        .collect();
    v.truncate(len);
    v
}

/// Fits `path` into ustar's name field, splitting it into prefix and name at a `/` if needed.
/// `None` means a PAX `path` record is required.
fn ustar_name(path: &[u8]) -> Option<(&[u8], &[u8])> {
    if !is_ascii(path) {
        return None;
    }
    if path.len() <= block::NAME_LEN {
        return Some((b"", path));
    }
    let mut end = path.len();
    if end > block::PREFIX_LEN + 1 {
        end = block::PREFIX_LEN + 1;
    } else if path[end - 1] == b'/' {
        end -= 1;
    }
    let i = path[..end].iter().rposition(|&c| c == b'/')?;
    let name_len = path.len() - i - 1;
    if i == 0 || name_len == 0 || name_len > block::NAME_LEN || i > block::PREFIX_LEN {
        return None;
    }
    Some((&path[..i], &path[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ustar_split_uses_prefix_only_when_it_fits() {
        let short = b"usr/bin/ls";
        assert_eq!(ustar_name(short), Some((&b""[..], &short[..])));
        let long = [&[b'd'; 120][..], b"/file"].concat();
        assert_eq!(ustar_name(&long), Some((&long[..120], &b"file"[..])));
        let long_base = [&b"d/"[..], &[b'f'; 101]].concat();
        assert_eq!(ustar_name(&long_base), None);
        assert_eq!(ustar_name("caf\u{e9}".as_bytes()), None);
    }
}
