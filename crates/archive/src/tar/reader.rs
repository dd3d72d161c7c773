//! Streaming tar reader: one pass, no seeking, bounded memory.

use std::collections::BTreeMap;
use std::io::{self, Read};

use super::block::{self, BLOCK, RawHeader};
use super::pax;
use super::{EntryKind, Header, Timestamp};
use crate::error::{ArchiveError, show};

/// Extended headers (PAX, GNU long names) larger than this are refused, as Go does, so a hostile
/// archive cannot make us buffer gigabytes.
const MAX_EXTENDED_HEADER: u64 = 1 << 20;

/// Reads entries from a tar stream.
///
/// ```no_run
/// # fn main() -> Result<(), wharf_archive::ArchiveError> {
/// let file = std::fs::File::open("layer.tar").unwrap();
/// let mut reader = wharf_archive::tar::Reader::new(std::io::BufReader::new(file));
/// while let Some(mut entry) = reader.next_entry()? {
///     println!("{}", entry.header().display_path());
///     std::io::copy(&mut entry, &mut std::io::sink()).unwrap();
/// }
/// # Ok(()) }
/// ```
pub struct Reader<R> {
    inner: R,
    /// Data bytes of the current entry not yet read.
    remaining: u64,
    /// Padding after the current entry's data.
    padding: u64,
    /// Name of the last entry seen, for error messages.
    current: String,
    /// Records from PAX global headers; they apply to every later entry.
    globals: BTreeMap<String, Vec<u8>>,
    /// Whether any header block has decoded yet: until then, a bad block means "not a tar".
    started: bool,
    done: bool,
}

/// One entry: its header, and its data through [`Read`]. Data not read is skipped by the next
/// call to [`Reader::next_entry`].
pub struct Entry<'a, R> {
    header: Header,
    reader: &'a mut Reader<R>,
}

impl<R: Read> Entry<'_, R> {
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Data bytes not read yet.
    pub fn remaining(&self) -> u64 {
        self.reader.remaining
    }
}

impl<R: Read> Read for Entry<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = &mut *self.reader;
        if r.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let max = usize::try_from(r.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = r.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("tar entry {:?} ends {} bytes early", r.current, r.remaining),
            ));
        }
        r.remaining -= n as u64;
        Ok(n)
    }
}

/// Extension headers collected before the entry they describe.
#[derive(Default)]
struct Pending {
    pax: Vec<(String, Vec<u8>)>,
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    any: bool,
}

impl<R: Read> Reader<R> {
    /// Wraps a stream of uncompressed tar bytes. The reader reads in 512-byte blocks, so wrap
    /// unbuffered sources in a `BufReader`.
    pub fn new(inner: R) -> Reader<R> {
        Reader {
            inner,
            remaining: 0,
            padding: 0,
            current: String::new(),
            globals: BTreeMap::new(),
            started: false,
            done: false,
        }
    }

    /// Gives back the underlying stream, positioned after the end-of-archive marker (or wherever
    /// reading stopped).
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Advances to the next entry, skipping unread data of the previous one. Returns `None` at
    /// the end-of-archive marker, or at a clean end of stream on a block boundary.
    pub fn next_entry(&mut self) -> Result<Option<Entry<'_, R>>, ArchiveError> {
        if self.done {
            return Ok(None);
        }
        self.skip_rest()?;
        let mut pending = Pending::default();
        loop {
            let Some(block) = self.read_block(pending.any)? else {
                self.done = true;
                return Ok(None);
            };
            if block::is_zero(&block) {
                if pending.any {
                    return Err(self.invalid("extended header followed by end of archive".into()));
                }
                self.end_of_archive()?;
                return Ok(None);
            }
            if !pending.any {
                self.current = show(block::c_str(&block[..block::NAME_LEN]));
            }
            let raw = match block::parse(&block) {
                Ok(raw) => raw,
                Err(_) if !self.started => {
                    return Err(ArchiveError::NotTar {
                        reason: "its first 512-byte block is not a valid tar header".into(),
                    });
                }
                Err(reason) => return Err(self.invalid(reason)),
            };
            self.started = true;
            let size = u64::try_from(raw.size)
                .map_err(|_| self.invalid(format!("negative size {}", raw.size)))?;
            match raw.typeflag {
                b'x' | b'g' | b'L' | b'K' => {
                    let data = self.read_extended(&raw, size)?;
                    pending.any = true;
                    match raw.typeflag {
                        b'x' => pending.pax.extend(self.pax_records(&data)?),
                        b'g' => {
                            for (k, v) in self.pax_records(&data)? {
                                if v.is_empty() {
                                    self.globals.remove(&k);
                                } else {
                                    self.globals.insert(k, v);
                                }
                            }
                        }
                        b'L' => pending.long_name = Some(block::c_str(&data).to_vec()),
                        _ => pending.long_link = Some(block::c_str(&data).to_vec()),
                    }
                }
                _ => {
                    let header = self.build_header(raw, size, pending)?;
                    self.remaining = header.size;
                    self.padding = padding(header.size);
                    return Ok(Some(Entry {
                        header,
                        reader: self,
                    }));
                }
            }
        }
    }

    fn invalid(&self, reason: String) -> ArchiveError {
        ArchiveError::InvalidHeader {
            entry: self.current.clone(),
            reason,
        }
    }

    fn truncated(&self, what: &'static str) -> ArchiveError {
        ArchiveError::Truncated {
            entry: self.current.clone(),
            what,
        }
    }

    fn stream_error(&self, e: io::Error) -> ArchiveError {
        ArchiveError::Stream {
            context: format!("reading tar stream at entry {:?}", self.current),
            source: e,
        }
    }

    /// Reads one block. `Ok(None)` is a clean end of stream on a block boundary, accepted only
    /// between entries (`in_entry` false), as Go's archive/tar does.
    fn read_block(&mut self, in_entry: bool) -> Result<Option<[u8; BLOCK]>, ArchiveError> {
        let mut block = [0u8; BLOCK];
        let n = read_full(&mut self.inner, &mut block).map_err(|e| self.stream_error(e))?;
        match n {
            0 if !in_entry => Ok(None),
            BLOCK => Ok(Some(block)),
            _ if !self.started => Err(ArchiveError::NotTar {
                reason: format!("the stream holds {n} bytes, less than one tar header"),
            }),
            _ => Err(self.truncated("the header block after entry")),
        }
    }

    /// After one zero block: a second zero block or a clean end of stream ends the archive.
    fn end_of_archive(&mut self) -> Result<(), ArchiveError> {
        self.done = true;
        let mut block = [0u8; BLOCK];
        let n = read_full(&mut self.inner, &mut block).map_err(|e| self.stream_error(e))?;
        if n == BLOCK && !block::is_zero(&block) {
            return Err(self.invalid("non-zero block after an end-of-archive zero block".into()));
        }
        Ok(())
    }

    fn skip_rest(&mut self) -> Result<(), ArchiveError> {
        let (data, pad) = (self.remaining, self.padding);
        self.remaining = 0;
        self.padding = 0;
        if self.skip(data).map_err(|e| self.stream_error(e))? < data {
            return Err(self.truncated("the data of entry"));
        }
        if self.skip(pad).map_err(|e| self.stream_error(e))? < pad {
            return Err(self.truncated("the padding of entry"));
        }
        Ok(())
    }

    fn skip(&mut self, n: u64) -> io::Result<u64> {
        io::copy(&mut (&mut self.inner).take(n), &mut io::sink())
    }

    fn read_extended(&mut self, raw: &RawHeader, size: u64) -> Result<Vec<u8>, ArchiveError> {
        if size > MAX_EXTENDED_HEADER {
            return Err(self.invalid(format!(
                "extended header of type {:?} is {size} bytes (limit {MAX_EXTENDED_HEADER})",
                char::from(raw.typeflag)
            )));
        }
        let mut data = Vec::with_capacity(size as usize);
        let n = (&mut self.inner)
            .take(size)
            .read_to_end(&mut data)
            .map_err(|e| self.stream_error(e))?;
        if (n as u64) < size {
            return Err(self.truncated("the extended header"));
        }
        let pad = padding(size);
        if self.skip(pad).map_err(|e| self.stream_error(e))? < pad {
            return Err(self.truncated("the extended header"));
        }
        Ok(data)
    }

    fn pax_records(&self, data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ArchiveError> {
        pax::parse_records(data).map_err(|reason| self.invalid(reason))
    }

    fn build_header(
        &mut self,
        raw: RawHeader,
        size: u64,
        pending: Pending,
    ) -> Result<Header, ArchiveError> {
        let mut path = pending.long_name.unwrap_or(raw.name);
        let link_name = pending.long_link.unwrap_or(raw.link_name);
        // Local PAX records override global ones; an empty local value unsets the key (falling
        // back to the header block field), except for xattrs, whose value may be empty.
        let mut records = self.globals.clone();
        for (k, v) in pending.pax {
            if v.is_empty() && !k.starts_with("SCHILY.xattr.") {
                records.remove(&k);
            } else {
                records.insert(k, v);
            }
        }
        if let Some(p) = records.get("path") {
            path.clone_from(p);
        }
        self.current = show(&path);
        let kind = match raw.typeflag {
            b'0' | b'\0' | b'7' if path.ends_with(b"/") => EntryKind::Directory,
            b'0' | b'\0' | b'7' => EntryKind::Regular,
            b'1' => EntryKind::HardLink,
            b'2' => EntryKind::Symlink,
            b'3' => EntryKind::CharDevice,
            b'4' => EntryKind::BlockDevice,
            b'5' => EntryKind::Directory,
            b'6' => EntryKind::Fifo,
            b'S' => return Err(self.unsupported("GNU sparse file")),
            b'M' => return Err(self.unsupported("GNU multi-volume continuation")),
            b'V' => return Err(self.unsupported("GNU volume label")),
            t => return Err(self.unsupported(&format!("entry type {:?}", char::from(t)))),
        };
        let id = |v: i64, what: &str| {
            u64::try_from(v).map_err(|_| self.invalid(format!("negative {what} {v}")))
        };
        let dev = |v: i64, what: &str| {
            u32::try_from(v).map_err(|_| self.invalid(format!("{what} {v} out of range")))
        };
        let mut h = Header {
            kind,
            path,
            link_name,
            mode: (raw.mode & 0o7777) as u32,
            uid: id(raw.uid, "uid")?,
            gid: id(raw.gid, "gid")?,
            uname: String::from_utf8_lossy(&raw.uname).into_owned(),
            gname: String::from_utf8_lossy(&raw.gname).into_owned(),
            size,
            mtime: Timestamp::new(raw.mtime, 0),
            atime: None,
            ctime: None,
            dev_major: dev(raw.dev_major, "device major")?,
            dev_minor: dev(raw.dev_minor, "device minor")?,
            xattrs: BTreeMap::new(),
        };
        for (k, v) in &records {
            self.apply_record(&mut h, k, v)?;
        }
        if kind.is_header_only() {
            h.size = 0;
        }
        Ok(h)
    }

    fn apply_record(&self, h: &mut Header, key: &str, v: &[u8]) -> Result<(), ArchiveError> {
        let bad = |e: String| self.invalid(format!("PAX {key}: {e}"));
        match key {
            "path" => {} // applied before the kind is decided
            "linkpath" => h.link_name = v.to_vec(),
            "size" => h.size = pax::parse_u64(v).map_err(bad)?,
            "uid" => h.uid = pax::parse_u64(v).map_err(bad)?,
            "gid" => h.gid = pax::parse_u64(v).map_err(bad)?,
            "uname" => h.uname = String::from_utf8_lossy(v).into_owned(),
            "gname" => h.gname = String::from_utf8_lossy(v).into_owned(),
            "mtime" => h.mtime = pax::parse_time(v).map_err(bad)?,
            "atime" => h.atime = Some(pax::parse_time(v).map_err(bad)?),
            "ctime" => h.ctime = Some(pax::parse_time(v).map_err(bad)?),
            _ if key.starts_with("GNU.sparse.") => return Err(self.unsupported("PAX sparse file")),
            _ => {
                if let Some(name) = key.strip_prefix("SCHILY.xattr.") {
                    h.xattrs.insert(name.to_string(), v.to_vec());
                }
            }
        }
        Ok(())
    }

    fn unsupported(&self, what: &str) -> ArchiveError {
        ArchiveError::Unsupported {
            entry: self.current.clone(),
            what: what.to_string(),
        }
    }
}

pub(crate) fn padding(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
