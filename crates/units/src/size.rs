//! Sizes as docker/go-units v0.5.0 prints and parses them (`size.go`).

use crate::gfmt::format_g;
use crate::gostr::go_to_lower;
use crate::numparse::{NumError, go_f64_to_i64, parse_float};

pub const KB: i64 = 1000;
pub const MB: i64 = 1000 * KB;
pub const GB: i64 = 1000 * MB;
pub const TB: i64 = 1000 * GB;
pub const PB: i64 = 1000 * TB;

pub const KIB: i64 = 1024;
pub const MIB: i64 = 1024 * KIB;
pub const GIB: i64 = 1024 * MIB;
pub const TIB: i64 = 1024 * GIB;
pub const PIB: i64 = 1024 * TIB;

const DECIMAL_ABBRS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
const BINARY_ABBRS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

/// Why a size string was refused. `Display` is go-units' message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// `invalid size: '%s'`: no digit at all, or a negative number.
    #[error("invalid size: '{0}'")]
    InvalidSize(String),
    /// `invalid suffix: '%s'` (lower-cased unless longer than three bytes).
    #[error("invalid suffix: '{0}'")]
    InvalidSuffix(String),
    /// The number part is not a Go float literal.
    #[error(transparent)]
    Number(#[from] NumError),
}

fn scale(size: f64, base: f64, units: &[&'static str; 9]) -> (f64, &'static str) {
    let mut size = size;
    let mut i = 0;
    while size >= base && i < units.len() - 1 {
        size /= base;
        i += 1;
    }
    (size, units[i])
}

/// go-units `HumanSize`: decimal units, 4 significant digits: `1.049MB`, `197MB`, `0B`,
/// `1e+04YB`. Used for `docker system df`, volume sizes and "Total reclaimed space".
pub fn human_size(size: f64) -> String {
    human_size_with_precision(size, 4)
}

/// go-units `HumanSizeWithPrecision`: `%.{precision}g` of the value in decimal units. The docker
/// CLI uses precision 3 for the SIZE column of `images`, `ps -s`, `history` and `stats` I/O
/// (`4.26MB`, `197MB`, `1.2GB`).
pub fn human_size_with_precision(size: f64, precision: usize) -> String {
    let (size, unit) = scale(size, 1000.0, &DECIMAL_ABBRS);
    format!("{}{unit}", format_g(size, precision))
}

/// go-units `BytesSize`: binary units, 4 significant digits (`44KiB`, `17.5MiB`), as
/// `docker stats` shows memory.
pub fn bytes_size(size: f64) -> String {
    let (size, unit) = scale(size, 1024.0, &BINARY_ABBRS);
    format!("{}{unit}", format_g(size, 4))
}

/// go-units `FromHumanSize`: decimal units (`"44kB"`, `"17MB"`, `"1.5GB"`) to bytes.
pub fn from_human_size(size: &str) -> Result<i64, SizeError> {
    parse_size(size, 1000)
}

/// go-units `RAMInBytes`: binary units (`"512m"`, `"1g"`, `"32KiB"`) to bytes, as for
/// `--memory`, `--shm-size`.
pub fn ram_in_bytes(size: &str) -> Result<i64, SizeError> {
    parse_size(size, 1024)
}

/// go-units v0.5.0 `parseSize`.
fn parse_size(size_str: &str, base: i64) -> Result<i64, SizeError> {
    let bytes = size_str.as_bytes();
    let Some(sep) = bytes
        .iter()
        .rposition(|b| b.is_ascii_digit() || matches!(b, b'.' | b' '))
    else {
        return Err(SizeError::InvalidSize(size_str.to_string()));
    };
    // A space separates number and suffix; otherwise the suffix follows the last digit or dot.
    let (num, suffix) = if bytes[sep] == b' ' {
        (&size_str[..sep], &size_str[sep + 1..])
    } else {
        (&size_str[..=sep], &size_str[sep + 1..])
    };
    let mut size = parse_float(num)?;
    if size < 0.0 {
        return Err(SizeError::InvalidSize(size_str.to_string()));
    }
    if suffix.is_empty() {
        return Ok(go_f64_to_i64(size));
    }
    if suffix.len() > 3 {
        return Err(SizeError::InvalidSuffix(suffix.to_string()));
    }
    let lower = go_to_lower(suffix);
    let bad = || SizeError::InvalidSuffix(lower.clone());
    let sfx = lower.as_bytes();
    if sfx.first() == Some(&b'b') {
        return if sfx.len() > 1 {
            Err(bad())
        } else {
            Ok(go_f64_to_i64(size))
        };
    }
    let power = match sfx.first() {
        Some(b'k') => 1,
        Some(b'm') => 2,
        Some(b'g') => 3,
        Some(b't') => 4,
        Some(b'p') => 5,
        _ => return Err(bad()),
    };
    size *= base.pow(power) as f64;
    match sfx {
        [_, second] if *second != b'b' => Err(bad()),
        [_, rest @ ..] if rest.len() == 2 && rest != b"ib" => Err(bad()),
        _ => Ok(go_f64_to_i64(size)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // go-units size_test.go, TestBytesSize and TestHumanSize.
    #[test]
    fn human_sizes() {
        assert_eq!(bytes_size(1024.0), "1KiB");
        assert_eq!(bytes_size((1024 * 1024) as f64), "1MiB");
        assert_eq!(bytes_size(1048576.0), "1MiB");
        assert_eq!(bytes_size((2 * MIB) as f64), "2MiB");
        assert_eq!(bytes_size(3.42 * GIB as f64), "3.42GiB");
        assert_eq!(bytes_size(5.372 * TIB as f64), "5.372TiB");
        assert_eq!(bytes_size(2.22 * PIB as f64), "2.22PiB");
        assert_eq!(
            bytes_size(KIB as f64 * KIB as f64 * KIB as f64 * KIB as f64 * KIB as f64 * PIB as f64),
            "1.049e+06YiB"
        );

        assert_eq!(human_size(1000.0), "1kB");
        assert_eq!(human_size(1024.0), "1.024kB");
        assert_eq!(human_size(1000000.0), "1MB");
        assert_eq!(human_size(1048576.0), "1.049MB");
        assert_eq!(human_size((2 * MB) as f64), "2MB");
        assert_eq!(human_size(3.42 * GB as f64), "3.42GB");
        assert_eq!(human_size(5.372 * TB as f64), "5.372TB");
        assert_eq!(human_size(2.22 * PB as f64), "2.22PB");
        assert_eq!(human_size(10000000000000.0 * PB as f64), "1e+04YB");
    }

    #[test]
    fn docker_cli_columns() {
        assert_eq!(human_size_with_precision(4_264_901.0, 3), "4.26MB");
        assert_eq!(human_size_with_precision(197_000_000.0, 3), "197MB");
        assert_eq!(human_size_with_precision(0.0, 3), "0B");
        assert_eq!(human_size_with_precision(999_999.0, 3), "1e+03kB");
        assert_eq!(human_size(999_999.0), "1000kB");
        assert_eq!(human_size(-5.0), "-5B");
        assert_eq!(human_size(f64::NAN), "NaNB");
        assert_eq!(human_size(f64::INFINITY), "+InfYB");
    }

    fn ok(f: fn(&str) -> Result<i64, SizeError>, s: &str, want: i64) {
        assert_eq!(f(s), Ok(want), "{s:?}");
    }

    fn bad(f: fn(&str) -> Result<i64, SizeError>, s: &str) {
        assert!(f(s).is_err(), "{s:?} should fail, got {:?}", f(s));
    }

    // go-units v0.5.0 size_test.go, TestFromHumanSize.
    #[test]
    fn from_human_size_table() {
        let f = from_human_size;
        for (s, want) in [
            ("0", 0),
            ("0b", 0),
            ("0B", 0),
            ("0 B", 0),
            ("32", 32),
            ("32b", 32),
            ("32B", 32),
            ("32k", 32 * KB),
            ("32K", 32 * KB),
            ("32kb", 32 * KB),
            ("32Kb", 32 * KB),
            ("32Mb", 32 * MB),
            ("32Gb", 32 * GB),
            ("32Tb", 32 * TB),
            ("32Pb", 32 * PB),
            ("32.5kB", 32500),
            ("32.5 kB", 32500),
            ("32.5 B", 32),
            ("0.3 K", 300),
            (".3kB", 300),
            ("0.", 0),
            ("0. ", 0),
            ("0.b", 0),
            ("0.B", 0),
            ("-0", 0),
            ("-0b", 0),
            ("-0B", 0),
            ("-0 b", 0),
            ("-0 B", 0),
            ("32.", 32),
            ("32.b", 32),
            ("32.B", 32),
            ("32. b", 32),
            ("32. B", 32),
            ("0 ", 0),
        ] {
            ok(f, s, want);
        }
        for s in [
            " 0", " 0b", " 0B", " 0 B", "0b ", "0B ", "0 B ", "", "hello", ".", ". ", " ", "  ",
            " .", " . ", "-32", "-32b", "-32B", "-32 b", "-32 B", "32b.", "32B.", "32 b.", "32 B.",
            "32 bb", "32 BB", "32 b b", "32 B B", "32  b", "32  B", " 32 ", "32m b", "32bm",
        ] {
            bad(f, s);
        }
    }

    // go-units v0.5.0 size_test.go, TestRAMInBytes.
    #[test]
    fn ram_in_bytes_table() {
        let f = ram_in_bytes;
        for (s, want) in [
            ("32", 32),
            ("32b", 32),
            ("32B", 32),
            ("32k", 32 * KIB),
            ("32K", 32 * KIB),
            ("32kb", 32 * KIB),
            ("32Kb", 32 * KIB),
            ("32Kib", 32 * KIB),
            ("32KIB", 32 * KIB),
            ("32Mb", 32 * MIB),
            ("32Gb", 32 * GIB),
            ("32Tb", 32 * TIB),
            ("32Pb", 32 * PIB),
            ("32PB", 32 * PIB),
            ("32P", 32 * PIB),
            ("32.3", 32),
            ("32.3 mb", (32.3 * MIB as f64) as i64),
            ("0.3MB", (0.3 * MIB as f64) as i64),
            ("512m", 512 * MIB),
        ] {
            ok(f, s, want);
        }
        for s in ["", "hello", "-32", " 32 ", "32m b", "32bm"] {
            bad(f, s);
        }
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            ram_in_bytes("hello").unwrap_err().to_string(),
            "invalid size: 'hello'"
        );
        assert_eq!(
            ram_in_bytes("-32").unwrap_err().to_string(),
            "invalid size: '-32'"
        );
        assert_eq!(
            ram_in_bytes("32bm").unwrap_err().to_string(),
            "invalid suffix: 'bm'"
        );
        assert_eq!(
            ram_in_bytes("32 XB").unwrap_err().to_string(),
            "invalid suffix: 'xb'"
        );
        assert_eq!(
            ram_in_bytes("32 MiBs").unwrap_err().to_string(),
            "invalid suffix: 'MiBs'"
        );
        assert_eq!(
            ram_in_bytes("32m b").unwrap_err().to_string(),
            r#"strconv.ParseFloat: parsing "32m": invalid syntax"#
        );
        assert_eq!(ram_in_bytes("1_000"), Ok(1000));
        // Out-of-range values convert like Go on amd64.
        assert_eq!(ram_in_bytes("1e300k"), Ok(i64::MIN));
    }
}
