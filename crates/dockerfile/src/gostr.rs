//! Small helpers that reproduce Go standard-library string behaviour that
//! Docker's error messages and parse dumps depend on.

use std::fmt::Write as _;

/// Go's `unicode.IsSpace`. Go and Rust both use the Unicode `White_Space`
/// property (Go's Latin-1 fast path lists exactly the same characters).
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Go's `unicode.IsSpace(rune(b))` applied to a single *byte*, as buildkit's
/// byte-oriented loops do (so the UTF-8 continuation bytes 0x85 and 0xA0 count
/// as spaces there).
pub(crate) fn is_space_byte(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ' | 0x85 | 0xA0)
}

/// Go's `strings.TrimSpace`.
pub(crate) fn trim_space(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Go's `strconv.Quote`: a double-quoted Go string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ if is_print(c) => out.push(c),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0C' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0B' => out.push_str("\\v"),
            _ if (c as u32) < 0x20 || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            _ if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            _ => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Go's `fmt.Sprintf("%q", []string{...})`: `["a" "b"]`.
pub fn quote_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(" "))
}

/// Go's `unicode.IsPrint` (letters, marks, numbers, punctuation, symbols and
/// the ASCII space). Outside Latin-1 this leans on Rust's own printable
/// table, which agrees with Go's except for a handful of format characters.
pub(crate) fn is_print(c: char) -> bool {
    let u = c as u32;
    if u < 0x100 {
        return (0x20..0x7f).contains(&u) || (u >= 0xa1 && u != 0xad);
    }
    // `str::escape_debug` escapes grapheme extenders only at the start of the
    // string, so prefix a letter to ask about printability alone.
    let probe: String = ['a', c].iter().collect();
    probe.escape_debug().to_string() == probe
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseUint(s, base, 32)`, reporting only success.
pub(crate) fn parse_u32(s: &str, radix: u32) -> Option<u64> {
    if s.is_empty() || s.starts_with('+') || s.starts_with('-') {
        return None;
    }
    u32::from_str_radix(s, radix).ok().map(u64::from)
}

/// Error from Go's `strconv.Atoi`/`ParseInt`, formatted as Go prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IntError {
    Syntax,
    Range,
}

/// Go's `strconv.ParseInt(s, 10, bits)`.
pub(crate) fn parse_int(s: &str, bits: u32) -> Result<i64, IntError> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IntError::Syntax);
    }
    let max: i128 = (1i128 << (bits - 1)) - 1;
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = v * 10 + i128::from(b - b'0');
        if v > max + 1 {
            return Err(IntError::Range);
        }
    }
    let v = if neg { -v } else { v };
    if v > max || v < -(max + 1) {
        return Err(IntError::Range);
    }
    i64::try_from(v).map_err(|_| IntError::Range)
}

impl IntError {
    /// The text of Go's `*strconv.NumError` for `fn_name` and `input`.
    pub(crate) fn message(&self, fn_name: &str, input: &str) -> String {
        let why = match self {
            IntError::Syntax => "invalid syntax",
            IntError::Range => "value out of range",
        };
        format!("strconv.{fn_name}: parsing {}: {why}", quote(input))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_matches_go() {
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("\u{0}\x07\t"), r#""\x00\a\t""#);
        assert_eq!(quote("♥☃"), "\"♥☃\"");
        assert_eq!(quote("\u{ad}"), r#""\u00ad""#);
        assert_eq!(quote("\u{10ffff}"), r#""\U0010ffff""#);
        assert_eq!(quote("e\u{301}"), "\"e\u{301}\"");
    }

    #[test]
    fn parse_int_like_go() {
        assert_eq!(parse_int("-3", 32), Ok(-3));
        assert_eq!(parse_int("+7", 32), Ok(7));
        assert_eq!(parse_int("2147483648", 32), Err(IntError::Range));
        assert_eq!(parse_int("-2147483648", 32), Ok(-2147483648));
        assert_eq!(parse_int("1x", 32), Err(IntError::Syntax));
        assert_eq!(
            IntError::Syntax.message("ParseInt", "x"),
            "strconv.ParseInt: parsing \"x\": invalid syntax"
        );
    }
}
