//! Literal values in actions: numbers (Go's `parse.NumberNode` rules on top of `strconv`),
//! quoted strings and character constants (`strconv.Unquote`, `strconv.UnquoteChar`).

/// A number literal with every interpretation Go's parser derives from it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Number {
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub is_complex: bool,
    pub int: i64,
    pub uint: u64,
    pub float: f64,
    pub complex: (f64, f64),
}

/// Which lexer item produced the literal.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberKind {
    Number,
    Char,
    Complex,
}

impl Number {
    fn empty() -> Number {
        Number {
            is_int: false,
            is_uint: false,
            is_float: false,
            is_complex: false,
            int: 0,
            uint: 0,
            float: 0.0,
            complex: (0.0, 0.0),
        }
    }

    fn simplify_complex(&mut self) {
        self.is_float = self.complex.1 == 0.0;
        if self.is_float {
            let f = self.complex.0;
            self.float = f;
            self.is_int = (f as i64) as f64 == f;
            if self.is_int {
                self.int = f as i64;
            }
            self.is_uint = (f as u64) as f64 == f;
            if self.is_uint {
                self.uint = f as u64;
            }
        }
    }
}

/// Go's `Tree.newNumber`. The error is the text Go reports.
pub(crate) fn parse_number(text: &str, kind: NumberKind) -> Result<Number, String> {
    let mut n = Number::empty();
    match kind {
        NumberKind::Char => {
            let body = &text[1..];
            let (value, tail) = unquote_char(body, '\'').ok_or("invalid syntax")?;
            if tail != "'" {
                return Err(format!("malformed character constant: {text}"));
            }
            n.is_int = true;
            n.int = i64::from(value);
            n.is_uint = true;
            n.uint = u64::from(value);
            n.is_float = true;
            n.float = f64::from(value);
            return Ok(n);
        }
        NumberKind::Complex => {
            n.complex = parse_complex(text).ok_or("expected integer")?;
            n.is_complex = true;
            n.simplify_complex();
            return Ok(n);
        }
        NumberKind::Number => {}
    }
    if let Some(f) = text.strip_suffix('i').and_then(parse_float) {
        n.is_complex = true;
        n.complex = (0.0, f);
        n.simplify_complex();
        return Ok(n);
    }
    let u = parse_uint(text);
    if let Some(u) = u {
        n.is_uint = true;
        n.uint = u;
    }
    if let Some(i) = parse_int(text) {
        n.is_int = true;
        n.int = i;
        if i == 0 {
            // "-0" is an unsigned zero too.
            n.is_uint = true;
            n.uint = 0;
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float = n.int as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float = n.uint as f64;
    } else if let Some(f) = parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", crate::fmt::quote(text)));
        }
        n.is_float = true;
        n.float = f;
        if (f as i64) as f64 == f {
            n.is_int = true;
            n.int = f as i64;
        }
        if (f as u64) as f64 == f {
            n.is_uint = true;
            n.uint = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!(
            "illegal number syntax: {}",
            crate::fmt::quote(text)
        ));
    }
    Ok(n)
}

/// `strconv.ParseUint(s, 0, 64)`.
fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() || !underscore_ok(s) {
        return None;
    }
    let b = s.as_bytes();
    let (base, digits) = if b[0] == b'0' && b.len() >= 3 {
        match b[1].to_ascii_lowercase() {
            b'b' => (2, &s[2..]),
            b'o' => (8, &s[2..]),
            b'x' => (16, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else if b[0] == b'0' {
        (8, &s[1..])
    } else {
        (10, s)
    };
    let mut n: u64 = 0;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let d = c.to_digit(base)?;
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// `strconv.ParseInt(s, 0, 64)`.
fn parse_int(s: &str) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint(rest)?;
    if neg {
        if u <= i64::MAX as u64 + 1 {
            Some((u as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(u).ok()
    }
}

/// `strconv.ParseFloat(s, 64)` for the spellings the lexer produces (decimal and hexadecimal,
/// with digit separators). Out-of-range values are errors, as in Go.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let cleaned: String = s.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match cleaned.as_bytes().first() {
        Some(b'-') => (true, &cleaned[1..]),
        Some(b'+') => (false, &cleaned[1..]),
        _ => (false, cleaned.as_str()),
    };
    let value = if body.len() > 2 && (body.starts_with("0x") || body.starts_with("0X")) {
        parse_hex_float(&body[2..])?
    } else {
        let starts_ok = body.starts_with(|c: char| c.is_ascii_digit() || c == '.');
        if !starts_ok
            || !body
                .bytes()
                .all(|b| b.is_ascii_digit() || b".eE+-".contains(&b))
        {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    if value.is_infinite() {
        return None;
    }
    Some(if neg { -value } else { value })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mantissa, exp) = s.split_once(['p', 'P'])?;
    let exp: i32 = exp.parse().ok()?;
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut m: u128 = 0;
    let mut shift: i32 = 0;
    for (i, c) in int_part.chars().chain(frac_part.chars()).enumerate() {
        let d = c.to_digit(16)?;
        if m >> 120 == 0 {
            m = m * 16 + u128::from(d);
            if i >= int_part.len() {
                shift -= 4;
            }
        } else if i < int_part.len() {
            shift += 4;
        }
    }
    let e = exp.checked_add(shift)?;
    let half = e / 2;
    Some(m as f64 * 2f64.powi(half) * 2f64.powi(e - half))
}

fn parse_complex(text: &str) -> Option<(f64, f64)> {
    let body = text.strip_suffix('i')?;
    let bytes = body.as_bytes();
    let split = (1..bytes.len()).rev().find(|&i| {
        matches!(bytes[i], b'+' | b'-') && !matches!(bytes[i - 1], b'e' | b'E' | b'p' | b'P')
    })?;
    Some((parse_float(&body[..split])?, parse_float(&body[split..])?))
}

/// Go's `underscoreOK`: underscores only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let mut b = s.as_bytes();
    if let Some(b'+' | b'-') = b.first() {
        b = &b[1..];
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || hex && c.is_ascii_hexdigit() {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// One unit decoded by `strconv.UnquoteChar`: a rune, or a raw byte from `\x` / octal escapes.
enum Unit {
    Rune(char),
    Byte(u8),
}

fn unquote_unit(s: &str, quote: char) -> Option<(Unit, &str)> {
    let c = s.chars().next()?;
    if c == quote && (quote == '\'' || quote == '"') {
        return None;
    }
    if c != '\\' {
        return Some((Unit::Rune(c), &s[c.len_utf8()..]));
    }
    let b = s.as_bytes();
    let esc = *b.get(1)?;
    let rest = &s[2..];
    let simple = |r: char| Some((Unit::Rune(r), rest));
    match esc {
        b'a' => simple('\x07'),
        b'b' => simple('\x08'),
        b'f' => simple('\x0c'),
        b'n' => simple('\n'),
        b'r' => simple('\r'),
        b't' => simple('\t'),
        b'v' => simple('\x0b'),
        b'\\' => simple('\\'),
        b'\'' | b'"' if char::from(esc) == quote => simple(char::from(esc)),
        b'x' | b'u' | b'U' => {
            let n = match esc {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let hex = rest.get(..n)?;
            let v = u32::from_str_radix(hex, 16)
                .ok()
                .filter(|_| hex.bytes().all(|h| h.is_ascii_hexdigit()))?;
            let tail = &rest[n..];
            if esc == b'x' {
                return Some((Unit::Byte(v as u8), tail));
            }
            Some((Unit::Rune(char::from_u32(v)?), tail))
        }
        b'0'..=b'7' => {
            let digits = rest.get(..2)?;
            let mut v = u32::from(esc - b'0');
            for d in digits.bytes() {
                if !(b'0'..=b'7').contains(&d) {
                    return None;
                }
                v = v << 3 | u32::from(d - b'0');
            }
            let byte = u8::try_from(v).ok()?;
            Some((Unit::Byte(byte), &rest[2..]))
        }
        _ => None,
    }
}

/// `strconv.UnquoteChar`: the value of the first (possibly escaped) character and the rest.
pub(crate) fn unquote_char(s: &str, quote: char) -> Option<(u32, &str)> {
    let (unit, tail) = unquote_unit(s, quote)?;
    Some(match unit {
        Unit::Rune(r) => (u32::from(r), tail),
        Unit::Byte(b) => (u32::from(b), tail),
    })
}

/// `strconv.Unquote` for double-quoted and raw (back-quoted) strings. Bytes from `\x` and octal
/// escapes that do not form UTF-8 become U+FFFD.
pub(crate) fn unquote(s: &str) -> Option<String> {
    if s.len() < 2 {
        return None;
    }
    let (first, last) = (s.as_bytes()[0], s.as_bytes()[s.len() - 1]);
    let body = &s[1..s.len() - 1];
    match (first, last) {
        (b'`', b'`') => {
            if body.contains('`') {
                return None;
            }
            Some(body.replace('\r', ""))
        }
        (b'"', b'"') => {
            if body.contains('\n') {
                return None;
            }
            let mut out = Vec::with_capacity(body.len());
            let mut rest = body;
            while !rest.is_empty() {
                let (unit, tail) = unquote_unit(rest, '"')?;
                match unit {
                    Unit::Rune(r) => {
                        let mut buf = [0; 4];
                        out.extend_from_slice(r.encode_utf8(&mut buf).as_bytes());
                    }
                    Unit::Byte(b) => out.push(b),
                }
                rest = tail;
            }
            Some(String::from_utf8_lossy(&out).into_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> Result<Number, String> {
        let kind = if text.starts_with('\'') {
            NumberKind::Char
        } else if text.len() > 1 && text[1..].contains(['+', '-']) && text.ends_with('i') {
            NumberKind::Complex
        } else {
            NumberKind::Number
        };
        parse_number(text, kind)
    }

    /// Go's parse_test.go numberTests: (text, isInt, isUint, isFloat, isComplex, int, uint, float).
    #[test]
    fn number_interpretations_match_go() {
        type Case = (&'static str, bool, bool, bool, bool, i64, u64, f64);
        let cases: &[Case] = &[
            ("0", true, true, true, false, 0, 0, 0.0),
            ("-0", true, true, true, false, 0, 0, 0.0),
            ("73", true, true, true, false, 73, 73, 73.0),
            ("7_3", true, true, true, false, 73, 73, 73.0),
            ("0b10_010_01", true, true, true, false, 73, 73, 73.0),
            ("073", true, true, true, false, 0o73, 0o73, 59.0),
            ("0o73", true, true, true, false, 0o73, 0o73, 59.0),
            ("0x73", true, true, true, false, 0x73, 0x73, 115.0),
            ("0x7_3", true, true, true, false, 0x73, 0x73, 115.0),
            ("-73", true, false, true, false, -73, 0, -73.0),
            ("+73", true, false, true, false, 73, 0, 73.0),
            (
                "1e9",
                true,
                true,
                true,
                false,
                1_000_000_000,
                1_000_000_000,
                1e9,
            ),
            ("-1e9", true, false, true, false, -1_000_000_000, 0, -1e9),
            ("-1.2", false, false, true, false, 0, 0, -1.2),
            (
                "1e19",
                false,
                true,
                true,
                false,
                0,
                10_000_000_000_000_000_000,
                1e19,
            ),
            (
                "1e1_9",
                false,
                true,
                true,
                false,
                0,
                10_000_000_000_000_000_000,
                1e19,
            ),
            ("-1e19", false, false, true, false, 0, 0, -1e19),
            ("0x_1p4", true, true, true, false, 16, 16, 16.0),
            ("0X_1P4", true, true, true, false, 16, 16, 16.0),
            ("0x_1p-4", false, false, true, false, 0, 0, 0.0625),
            ("0i", true, true, true, true, 0, 0, 0.0),
            ("-12+0i", true, false, true, true, -12, 0, -12.0),
            ("13+0i", true, true, true, true, 13, 13, 13.0),
            (
                "0xdeadbeef",
                true,
                true,
                true,
                false,
                0xdeadbeef,
                0xdeadbeef,
                3735928559.0,
            ),
            ("'a'", true, true, true, false, 97, 97, 97.0),
            ("'\\n'", true, true, true, false, 10, 10, 10.0),
            ("'\\xFF'", true, true, true, false, 255, 255, 255.0),
            ("'パ'", true, true, true, false, 0x30d1, 0x30d1, 12497.0),
            (
                "'\\U000030d1'",
                true,
                true,
                true,
                false,
                0x30d1,
                0x30d1,
                12497.0,
            ),
            ("0xef", true, true, true, false, 0xef, 0xef, 239.0),
        ];
        for &(text, is_int, is_uint, is_float, is_complex, i, u, f) in cases {
            let n = num(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (n.is_int, n.is_uint, n.is_float, n.is_complex),
                (is_int, is_uint, is_float, is_complex),
                "{text}"
            );
            if is_int {
                assert_eq!(n.int, i, "{text}");
            }
            if is_uint {
                assert_eq!(n.uint, u, "{text}");
            }
            if is_float {
                assert_eq!(n.float, f, "{text}");
            }
        }
        let c = num("-1.2+4.2i").unwrap();
        assert!(c.is_complex && !c.is_float);
        assert_eq!(c.complex, (-1.2, 4.2));
        assert_eq!(num("073i").unwrap().complex, (0.0, 73.0), "not octal");
    }

    #[test]
    fn broken_numbers_are_rejected() {
        for text in ["+-2", "0x123.", "1e.", "0xi.", "'x", "'xx'"] {
            assert!(num(text).is_err(), "{text} should be rejected");
        }
        assert_eq!(
            num("99999999999999999999").unwrap_err(),
            "integer overflow: \"99999999999999999999\""
        );
    }

    #[test]
    fn unquote_follows_go_escapes() {
        assert_eq!(unquote(r#""abc \n\t\" ""#).as_deref(), Some("abc \n\t\" "));
        assert_eq!(unquote(r#""\u00e9\x41\101""#).as_deref(), Some("éAA"));
        assert_eq!(unquote("`a\\n\rb`").as_deref(), Some("a\\nb"));
        assert_eq!(
            unquote(r#""\'""#),
            None,
            "\\' is not valid in double quotes"
        );
        assert_eq!(unquote(r#""\q""#), None);
    }
}
