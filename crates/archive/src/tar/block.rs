//! The 512-byte header block: field layout, numeric encodings (octal and GNU base-256),
//! checksums, and detection of V7 / ustar / GNU / star variants.

pub(crate) const BLOCK: usize = 512;

// Field ranges shared by all variants (V7 layout plus the ustar extension).
const NAME: (usize, usize) = (0, 100);
const MODE: (usize, usize) = (100, 108);
const UID: (usize, usize) = (108, 116);
const GID: (usize, usize) = (116, 124);
const SIZE: (usize, usize) = (124, 136);
const MTIME: (usize, usize) = (136, 148);
const CHKSUM: (usize, usize) = (148, 156);
const TYPEFLAG: usize = 156;
const LINKNAME: (usize, usize) = (157, 257);
const MAGIC: (usize, usize) = (257, 263);
const VERSION: (usize, usize) = (263, 265);
const UNAME: (usize, usize) = (265, 297);
const GNAME: (usize, usize) = (297, 329);
const DEVMAJOR: (usize, usize) = (329, 337);
const DEVMINOR: (usize, usize) = (337, 345);
const PREFIX: (usize, usize) = (345, 500);
/// The star variant keeps a shorter prefix and a `tar\0` trailer.
const STAR_PREFIX: (usize, usize) = (345, 476);
const STAR_TRAILER: (usize, usize) = (508, 512);

pub(crate) const NAME_LEN: usize = NAME.1 - NAME.0;
pub(crate) const PREFIX_LEN: usize = PREFIX.1 - PREFIX.0;
pub(crate) const LINK_LEN: usize = LINKNAME.1 - LINKNAME.0;
pub(crate) const OWNER_NAME_LEN: usize = UNAME.1 - UNAME.0;
/// Largest value an 8-byte octal field (7 digits) holds: uid, gid, mode, device numbers.
pub(crate) const MAX_OCTAL_8: u64 = 0o7777777;
/// Largest value a 12-byte octal field (11 digits) holds: size, mtime.
pub(crate) const MAX_OCTAL_12: u64 = 0o77777777777;

fn field(b: &[u8; BLOCK], r: (usize, usize)) -> &[u8] {
    &b[r.0..r.1]
}

/// Bytes up to the first NUL.
pub(crate) fn c_str(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

pub(crate) fn is_zero(b: &[u8; BLOCK]) -> bool {
    b.iter().all(|&c| c == 0)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    V7,
    Ustar,
    Gnu,
    Star,
}

fn variant(b: &[u8; BLOCK]) -> Variant {
    let magic = field(b, MAGIC);
    if magic == b"ustar\0" {
        if field(b, STAR_TRAILER) == b"tar\0" {
            Variant::Star
        } else {
            Variant::Ustar
        }
    } else if magic == b"ustar " && field(b, VERSION) == b" \0" {
        Variant::Gnu
    } else {
        Variant::V7
    }
}

/// The raw fields of one header block, before extended headers are applied.
#[derive(Debug)]
pub(crate) struct RawHeader {
    pub typeflag: u8,
    pub name: Vec<u8>,
    pub link_name: Vec<u8>,
    pub mode: i64,
    pub uid: i64,
    pub gid: i64,
    pub size: i64,
    pub mtime: i64,
    pub uname: Vec<u8>,
    pub gname: Vec<u8>,
    pub dev_major: i64,
    pub dev_minor: i64,
}

/// Decodes a header block, verifying its checksum. Errors are human-readable reasons.
pub(crate) fn parse(b: &[u8; BLOCK]) -> Result<RawHeader, String> {
    let stored = parse_octal(field(b, CHKSUM)).map_err(|e| format!("checksum field: {e}"))?;
    let (unsigned, signed) = checksums(b);
    if stored != unsigned && stored != signed {
        return Err(format!(
            "checksum mismatch (header says {stored:o}, block sums to {unsigned:o})"
        ));
    }
    let num = |r: (usize, usize), what: &str| {
        parse_numeric(field(b, r)).map_err(|e| format!("{what} field: {e}"))
    };
    let var = variant(b);
    let mut name = c_str(field(b, NAME)).to_vec();
    let prefix = match var {
        Variant::Ustar => c_str(field(b, PREFIX)),
        Variant::Star => c_str(field(b, STAR_PREFIX)),
        Variant::V7 | Variant::Gnu => &[],
    };
    if !prefix.is_empty() {
        let mut full = prefix.to_vec();
        full.push(b'/');
        full.extend_from_slice(&name);
        name = full;
    }
    let extended = var != Variant::V7;
    Ok(RawHeader {
        typeflag: b[TYPEFLAG],
        name,
        link_name: c_str(field(b, LINKNAME)).to_vec(),
        mode: num(MODE, "mode")?,
        uid: num(UID, "uid")?,
        gid: num(GID, "gid")?,
        size: num(SIZE, "size")?,
        mtime: num(MTIME, "mtime")?,
        uname: if extended {
            c_str(field(b, UNAME)).to_vec()
        } else {
            Vec::new()
        },
        gname: if extended {
            c_str(field(b, GNAME)).to_vec()
        } else {
            Vec::new()
        },
        dev_major: if extended {
            num(DEVMAJOR, "devmajor")?
        } else {
            0
        },
        dev_minor: if extended {
            num(DEVMINOR, "devminor")?
        } else {
            0
        },
    })
}

/// Sums of the block with the checksum field read as spaces, treating bytes as unsigned and as
/// signed (some historic writers used signed chars; both are accepted, as Go and GNU tar do).
fn checksums(b: &[u8; BLOCK]) -> (i64, i64) {
    let (mut unsigned, mut signed) = (0i64, 0i64);
    for (i, &c) in b.iter().enumerate() {
        let c = if (CHKSUM.0..CHKSUM.1).contains(&i) {
            b' '
        } else {
            c
        };
        unsigned += i64::from(c);
        signed += i64::from(c as i8);
    }
    (unsigned, signed)
}

/// Octal with surrounding spaces/NULs allowed, or GNU base-256 when the top bit is set.
pub(crate) fn parse_numeric(b: &[u8]) -> Result<i64, String> {
    let Some(&first) = b.first() else {
        return Ok(0);
    };
    if first & 0x80 == 0 {
        return parse_octal(b);
    }
    // Base-256: two's complement big-endian; bit 6 of the first byte is the sign.
    let inv: u8 = if first & 0x40 != 0 { 0xff } else { 0 };
    let mut x: u64 = 0;
    for (i, &c) in b.iter().enumerate() {
        let mut c = c ^ inv;
        if i == 0 {
            c &= 0x7f;
        }
        if x >> 56 != 0 {
            return Err("base-256 number overflows 64 bits".into());
        }
        x = (x << 8) | u64::from(c);
    }
    if x >> 63 != 0 {
        return Err("base-256 number overflows 64 bits".into());
    }
    let x = x as i64;
    Ok(if inv == 0xff { !x } else { x })
}

fn parse_octal(b: &[u8]) -> Result<i64, String> {
    let is_pad = |c: &u8| *c == b' ' || *c == 0;
    let start = b.iter().position(|c| !is_pad(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !is_pad(c)).map_or(start, |i| i + 1);
    let digits = c_str(&b[start..end]);
    let mut x: i64 = 0;
    for &c in digits {
        if !(b'0'..=b'7').contains(&c) {
            return Err(format!("invalid octal digit {:?}", char::from(c)));
        }
        x = x
            .checked_mul(8)
            .and_then(|x| x.checked_add(i64::from(c - b'0')))
            .ok_or("octal number overflows")?;
    }
    Ok(x)
}

/// What the writer puts in one header block. Names must already fit their fields.
pub(crate) struct BlockFields<'a> {
    pub typeflag: u8,
    pub name: &'a [u8],
    pub prefix: &'a [u8],
    pub link_name: &'a [u8],
    pub mode: u64,
    pub uid: u64,
    pub gid: u64,
    pub size: u64,
    pub mtime: u64,
    pub uname: &'a [u8],
    pub gname: &'a [u8],
    pub dev_major: u64,
    pub dev_minor: u64,
}

/// Encodes a ustar header block (POSIX magic `ustar\0` `00`) with a valid checksum.
pub(crate) fn format(f: &BlockFields<'_>) -> [u8; BLOCK] {
    let mut b = [0u8; BLOCK];
    put_str(&mut b, NAME, f.name);
    put_num(&mut b, MODE, f.mode);
    put_num(&mut b, UID, f.uid);
    put_num(&mut b, GID, f.gid);
    put_num(&mut b, SIZE, f.size);
    put_num(&mut b, MTIME, f.mtime);
    b[TYPEFLAG] = f.typeflag;
    put_str(&mut b, LINKNAME, f.link_name);
    put_str(&mut b, MAGIC, b"ustar\0");
    put_str(&mut b, VERSION, b"00");
    put_str(&mut b, UNAME, f.uname);
    put_str(&mut b, GNAME, f.gname);
    put_num(&mut b, DEVMAJOR, f.dev_major);
    put_num(&mut b, DEVMINOR, f.dev_minor);
    put_str(&mut b, PREFIX, f.prefix);
    let (sum, _) = checksums(&b);
    // Six octal digits, NUL, space: the layout GNU tar and Go write.
    let digits = format!("{:06o}\0 ", sum);
    b[CHKSUM.0..CHKSUM.1].copy_from_slice(digits.as_bytes());
    b
}

fn put_str(b: &mut [u8; BLOCK], r: (usize, usize), s: &[u8]) {
    let n = s.len().min(r.1 - r.0);
    b[r.0..r.0 + n].copy_from_slice(&s[..n]);
}

/// Zero-padded octal followed by NUL when it fits; GNU base-256 otherwise.
fn put_num(b: &mut [u8; BLOCK], r: (usize, usize), v: u64) {
    let width = r.1 - r.0;
    if fits_octal(width, v) {
        let s = format!("{:0w$o}", v, w = width - 1);
        b[r.0..r.0 + width - 1].copy_from_slice(s.as_bytes());
    } else {
        let dst = &mut b[r.0..r.1];
        dst.fill(0);
        let bytes = v.to_be_bytes();
        dst[width - 8..].copy_from_slice(&bytes);
        dst[0] |= 0x80;
    }
}

pub(crate) fn fits_octal(width: usize, v: u64) -> bool {
    let digits = width - 1;
    digits >= 22 || v < (1u64 << (3 * digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_fields_tolerate_padding_and_reject_garbage() {
        assert_eq!(parse_numeric(b"0000644\0"), Ok(0o644));
        assert_eq!(parse_numeric(b"   644 \0"), Ok(0o644));
        assert_eq!(parse_numeric(b"\0\0\0\0\0\0\0\0"), Ok(0));
        assert!(parse_numeric(b"0000948\0").is_err());
    }

    #[test]
    fn base256_positive_and_negative() {
        let mut f = [0u8; 12];
        f[0] = 0x80;
        f[4..].copy_from_slice(&(10_000_000_000u64).to_be_bytes());
        assert_eq!(parse_numeric(&f), Ok(10_000_000_000));
        // -1 is all ones.
        assert_eq!(parse_numeric(&[0xff; 8]), Ok(-1));
        // Too many significant bytes.
        let mut big = [0xffu8; 12];
        big[0] = 0x80;
        assert!(parse_numeric(&big).is_err());
    }

    #[test]
    fn format_then_parse_round_trips_and_checksum_is_verified() {
        let mut b = format(&BlockFields {
            typeflag: b'0',
            name: b"file",
            prefix: b"some/dir",
            link_name: b"",
            mode: 0o4755,
            uid: 1000,
            gid: MAX_OCTAL_8 + 1,
            size: 12,
            mtime: 1_700_000_000,
            uname: b"me",
            gname: b"us",
            dev_major: 0,
            dev_minor: 0,
        });
        let h = parse(&b).unwrap();
        assert_eq!(h.name, b"some/dir/file");
        assert_eq!(
            (h.mode, h.uid, h.gid, h.size),
            (0o4755, 1000, MAX_OCTAL_8 as i64 + 1, 12)
        );
        assert_eq!(h.uname, b"me");
        b[0] ^= 1;
        assert!(parse(&b).unwrap_err().contains("checksum mismatch"));
    }
}
