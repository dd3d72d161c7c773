//! Go's ways of quoting a value inside an error message.

use std::fmt::Write;

/// `time`'s private `quote`, used in `time.ParseError` and `ParseDuration` errors: bytes that are
/// control characters or not ASCII are written as `\xNN`; `"` and `\` are backslashed.
pub(crate) fn time_quote(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7f => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

/// `strconv.Quote` (and fmt's `%q` on a string).
pub(crate) fn strconv_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        push_escaped(&mut out, c, '"');
    }
    out.push('"');
    out
}

/// fmt's `%q` on a byte: a single-quoted Go rune literal of the byte taken as a code point.
pub(crate) fn quote_byte(b: u8) -> String {
    let mut out = String::from("'");
    push_escaped(&mut out, char::from(b), '\'');
    out.push('\'');
    out
}

/// strconv's `appendEscapedRune`.
fn push_escaped(out: &mut String, c: char, quote: char) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if is_go_print(c) {
        out.push(c);
        return;
    }
    let _ = match c {
        '\x07' => write!(out, "\\a"),
        '\x08' => write!(out, "\\b"),
        '\x0c' => write!(out, "\\f"),
        '\n' => write!(out, "\\n"),
        '\r' => write!(out, "\\r"),
        '\t' => write!(out, "\\t"),
        '\x0b' => write!(out, "\\v"),
        c if u32::from(c) < 0x20 || c == '\x7f' => write!(out, "\\x{:02x}", u32::from(c)),
        c if u32::from(c) < 0x10000 => write!(out, "\\u{:04x}", u32::from(c)),
        c => write!(out, "\\U{:08x}", u32::from(c)),
    };
}

/// An approximation of Go's `strconv.IsPrint` (letters, marks, numbers, punctuation, symbols and
/// the ASCII space): control, format, separator, private-use and non-characters are not printable.
/// Unassigned code points, which Go also escapes, cannot be told apart without Unicode tables.
fn is_go_print(c: char) -> bool {
    let u = u32::from(c);
    if u < 0x80 {
        return (0x20..0x7f).contains(&u);
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let format = matches!(u,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891 | 0x8e2 | 0x180e
        | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff
        | 0xfff9..=0xfffb | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3
        | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f);
    let private = matches!(u, 0xe000..=0xf8ff | 0xf0000..=0xffffd | 0x100000..=0x10fffd);
    let nonchar = matches!(u, 0xfdd0..=0xfdef) || u & 0xfffe == 0xfffe;
    !(format || private || nonchar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_quote_escapes_bytes() {
        assert_eq!(time_quote(b"1x"), r#""1x""#);
        assert_eq!(time_quote("a\"\\é\t".as_bytes()), r#""a\"\\\xc3\xa9\x09""#);
    }

    #[test]
    fn strconv_quote_like_go() {
        assert_eq!(strconv_quote("abc"), r#""abc""#);
        assert_eq!(strconv_quote("a\"b\\"), r#""a\"b\\""#);
        assert_eq!(strconv_quote("\t\n\x01\x7f"), r#""\t\n\x01\x7f""#);
        assert_eq!(strconv_quote("é☺\u{a0}\u{200b}"), r#""é☺\u00a0\u200b""#);
        assert_eq!(strconv_quote("\u{10ffff}"), r#""\U0010ffff""#);
    }

    #[test]
    fn quote_byte_like_go() {
        assert_eq!(quote_byte(b'b'), "'b'");
        assert_eq!(quote_byte(b'\''), r"'\''");
        assert_eq!(quote_byte(b'"'), "'\"'");
        assert_eq!(quote_byte(0), r"'\x00'");
        assert_eq!(quote_byte(0x80), r"'\u0080'");
        assert_eq!(quote_byte(0xe9), "'é'");
    }
}
