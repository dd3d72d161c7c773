//! Go's `strconv.ParseInt(s, 10, 64)` and `strconv.ParseFloat(s, 64)`, with their errors.

use std::fmt;

use crate::quote::strconv_quote;

/// Go's `*strconv.NumError`: `strconv.ParseInt: parsing "x": invalid syntax`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumError {
    /// `"ParseInt"` or `"ParseFloat"`.
    pub func: &'static str,
    /// The input that failed.
    pub num: String,
    pub kind: NumErrorKind,
}

/// `strconv.ErrSyntax` or `strconv.ErrRange`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumErrorKind {
    #[error("invalid syntax")]
    Syntax,
    #[error("value out of range")]
    Range,
}

impl fmt::Display for NumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "strconv.{}: parsing {}: {}",
            self.func,
            strconv_quote(&self.num),
            self.kind
        )
    }
}

impl std::error::Error for NumError {}

fn num_error(func: &'static str, num: &str, kind: NumErrorKind) -> NumError {
    NumError {
        func,
        num: num.to_string(),
        kind,
    }
}

/// `strconv.ParseInt(s, 10, 64)`: optional sign, ASCII digits, no underscores.
pub(crate) fn parse_int(s: &str) -> Result<i64, NumError> {
    let err = |kind| num_error("ParseInt", s, kind);
    let (neg, digits) = match s.as_bytes() {
        [b'+', rest @ ..] => (false, rest),
        [b'-', rest @ ..] => (true, rest),
        rest => (false, rest),
    };
    if digits.is_empty() {
        return Err(err(NumErrorKind::Syntax));
    }
    let mut n: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(err(NumErrorKind::Syntax));
        }
        // Go stops at the first overflow, so later junk still reports a range error.
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(c - b'0')))
            .ok_or_else(|| err(NumErrorKind::Range))?;
    }
    const CUTOFF: u64 = 1 << 63;
    match (neg, n) {
        (false, n) if n >= CUTOFF => Err(err(NumErrorKind::Range)),
        (true, n) if n > CUTOFF => Err(err(NumErrorKind::Range)),
        (true, n) => Ok((n as i64).wrapping_neg()),
        (false, n) => Ok(n as i64),
    }
}

/// `strconv.ParseFloat(s, 64)`: decimal and hexadecimal (`0x1p-2`) literals with Go's underscore
/// rules, `inf`/`infinity`/`nan` in any case. Overflow is a range error.
pub(crate) fn parse_float(s: &str) -> Result<f64, NumError> {
    let syntax = || num_error("ParseFloat", s, NumErrorKind::Syntax);
    if let Some((value, n)) = special(s.as_bytes()) {
        return if n == s.len() {
            Ok(value)
        } else {
            Err(syntax())
        };
    }
    let lit = read_float(s.as_bytes())
        .filter(|lit| lit.len == s.len())
        .ok_or_else(syntax)?;
    let value = if lit.hex {
        hex_to_f64(&lit)
    } else {
        // The syntax is Go's; Rust's correctly rounded conversion gives Go's value for it.
        let clean: String = s.chars().filter(|&c| c != '_').collect();
        clean.parse::<f64>().map_err(|_| syntax())?
    };
    if value.is_infinite() {
        return Err(num_error("ParseFloat", s, NumErrorKind::Range));
    }
    Ok(value)
}

/// `inf`, `infinity` (optionally signed) and `nan`, case-insensitively, as a prefix of `s`.
fn special(s: &[u8]) -> Option<(f64, usize)> {
    let common = |s: &[u8], word: &[u8]| {
        s.iter()
            .zip(word)
            .take_while(|(a, b)| a.to_ascii_lowercase() == **b)
            .count()
    };
    let (sign, nsign, rest) = match s.first()? {
        b'+' => (1.0, 1, &s[1..]),
        b'-' => (-1.0, 1, &s[1..]),
        b'n' | b'N' => return (common(s, b"nan") == 3).then_some((f64::NAN, 3)),
        _ => (1.0, 0, s),
    };
    match common(rest, b"infinity") {
        3..8 => Some((sign * f64::INFINITY, nsign + 3)),
        8 => Some((sign * f64::INFINITY, nsign + 8)),
        _ => None,
    }
}

/// What Go's `readFloat` extracts from a float literal.
struct FloatLiteral {
    mantissa: u64,
    exp: i64,
    neg: bool,
    trunc: bool,
    hex: bool,
    /// Bytes consumed.
    len: usize,
}

/// Go's `readFloat`: `None` when the prefix of `s` is not a valid literal.
fn read_float(s: &[u8]) -> Option<FloatLiteral> {
    let at = |i: usize| s.get(i).copied();
    let mut i = 0;
    let mut neg = false;
    match at(0)? {
        b'+' => i += 1,
        b'-' => {
            neg = true;
            i += 1;
        }
        _ => {}
    }
    let (mut base, mut max_mant_digits, mut exp_char, mut hex) = (10u64, 19, b'e', false);
    if i + 2 < s.len() && s[i] == b'0' && s[i + 1].eq_ignore_ascii_case(&b'x') {
        (base, max_mant_digits, exp_char, hex) = (16, 16, b'p', true);
        i += 2;
    }
    let (mut underscores, mut saw_dot, mut saw_digits) = (false, false, false);
    let (mut nd, mut nd_mant, mut dp, mut mantissa, mut trunc) = (0i64, 0i64, 0i64, 0u64, false);
    while let Some(c) = at(i) {
        let lc = c.to_ascii_lowercase();
        let digit = match c {
            b'_' => {
                underscores = true;
                i += 1;
                continue;
            }
            b'.' if saw_dot => break,
            b'.' => {
                saw_dot = true;
                dp = nd;
                i += 1;
                continue;
            }
            b'0'..=b'9' => u64::from(c - b'0'),
            _ if base == 16 && (b'a'..=b'f').contains(&lc) => u64::from(lc - b'a' + 10),
            _ => break,
        };
        saw_digits = true;
        i += 1;
        if digit == 0 && nd == 0 {
            dp -= 1; // leading zero
            continue;
        }
        nd += 1;
        if nd_mant < max_mant_digits {
            mantissa = mantissa * base + digit;
            nd_mant += 1;
        } else if digit != 0 {
            trunc = true;
        }
    }
    if !saw_digits {
        return None;
    }
    if !saw_dot {
        dp = nd;
    }
    if base == 16 {
        dp *= 4;
        nd_mant *= 4;
    }
    if at(i).map(|c| c.to_ascii_lowercase()) == Some(exp_char) {
        i += 1;
        let mut esign = 1;
        match at(i)? {
            b'+' => i += 1,
            b'-' => {
                esign = -1;
                i += 1;
            }
            _ => {}
        }
        if !at(i)?.is_ascii_digit() {
            return None;
        }
        let mut e = 0i64;
        while let Some(c @ (b'0'..=b'9' | b'_')) = at(i) {
            if c == b'_' {
                underscores = true;
            } else if e < 10000 {
                e = e * 10 + i64::from(c - b'0');
            }
            i += 1;
        }
        dp += e * esign;
    } else if base == 16 {
        return None; // hexadecimal floats need a 'p' exponent
    }
    let exp = if mantissa != 0 { dp - nd_mant } else { 0 };
    if underscores && !underscore_ok(&s[..i]) {
        return None;
    }
    Some(FloatLiteral {
        mantissa,
        exp,
        neg,
        trunc,
        hex,
        len: i,
    })
}

/// Go's `underscoreOK`: underscores only between digits, or between a base prefix and a digit.
fn underscore_ok(s: &[u8]) -> bool {
    let s = match s {
        [b'+' | b'-', rest @ ..] => rest,
        _ => s,
    };
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = s[1].eq_ignore_ascii_case(&b'x');
    }
    for &c in &s[i..] {
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else if saw == b'_' {
            return false;
        } else {
            saw = b'!';
        }
    }
    saw != b'_'
}

/// Go's `atofHex` for float64: round the binary mantissa to 53 bits, ties to even.
fn hex_to_f64(lit: &FloatLiteral) -> f64 {
    const MANT_BITS: u32 = 52;
    const BIAS: i64 = -1023;
    const MAX_EXP: i64 = 1023;
    const MIN_EXP: i64 = BIAS + 1;
    let mut mantissa = lit.mantissa;
    let mut exp = lit.exp + i64::from(MANT_BITS);
    while mantissa != 0 && mantissa >> (MANT_BITS + 2) == 0 {
        mantissa <<= 1;
        exp -= 1;
    }
    if lit.trunc {
        mantissa |= 1;
    }
    while mantissa >> (1 + MANT_BITS + 2) != 0 {
        mantissa = (mantissa >> 1) | (mantissa & 1);
        exp += 1;
    }
    while mantissa > 1 && exp < MIN_EXP - 2 {
        mantissa = (mantissa >> 1) | (mantissa & 1);
        exp += 1;
    }
    let mut round = mantissa & 3;
    mantissa >>= 2;
    round |= mantissa & 1;
    exp += 2;
    if round == 3 {
        mantissa += 1;
        if mantissa == 1 << (1 + MANT_BITS) {
            mantissa >>= 1;
            exp += 1;
        }
    }
    if mantissa >> MANT_BITS == 0 {
        exp = BIAS;
    }
    if exp > MAX_EXP {
        mantissa = 1 << MANT_BITS;
        exp = MAX_EXP + 1;
    }
    let mut bits = mantissa & ((1 << MANT_BITS) - 1);
    bits |= (((exp - BIAS) & 0x7ff) as u64) << MANT_BITS;
    if lit.neg {
        bits |= 1 << 63;
    }
    f64::from_bits(bits)
}

/// Go's `int64(f)` conversion as compiled for amd64 (CVTTSD2SQ): truncation toward zero, and
/// `math.MinInt64` for NaN and anything out of range.
pub(crate) fn go_f64_to_i64(f: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if f.is_nan() || !(-LIMIT..LIMIT).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_int_like_go() {
        assert_eq!(parse_int("1024"), Ok(1024));
        assert_eq!(parse_int("+5"), Ok(5));
        assert_eq!(parse_int("-1"), Ok(-1));
        assert_eq!(parse_int("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_int("9223372036854775807"), Ok(i64::MAX));
        let e = parse_int("9223372036854775808").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"strconv.ParseInt: parsing "9223372036854775808": value out of range"#
        );
        assert_eq!(
            parse_int("99999999999999999999x").unwrap_err().kind,
            NumErrorKind::Range
        );
        assert_eq!(
            parse_int("").unwrap_err().to_string(),
            r#"strconv.ParseInt: parsing "": invalid syntax"#
        );
        assert_eq!(parse_int("1_000").unwrap_err().kind, NumErrorKind::Syntax);
        assert_eq!(parse_int("-").unwrap_err().kind, NumErrorKind::Syntax);
        assert_eq!(parse_int(" 1").unwrap_err().kind, NumErrorKind::Syntax);
    }

    // Cases from Go's strconv/atof_test.go.
    #[test]
    fn parse_float_like_go() {
        let cases: &[(&str, Option<f64>)] = &[
            ("1", Some(1.0)),
            ("+1", Some(1.0)),
            ("-0", Some(-0.0)),
            ("1e23", Some(1e23)),
            ("1E23", Some(1e23)),
            ("100000000000000000000000", Some(1e23)),
            ("99999999999999974834176", Some(9.999999999999997e22)),
            ("625e-3", Some(0.625)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("1e-400", Some(0.0)),
            ("0x1p0", Some(1.0)),
            ("0x1p-1", Some(0.5)),
            ("0x1ep-1", Some(15.0)),
            ("-0x1_ep-1", Some(-15.0)),
            ("0x1p-200", Some(6.223015277861142e-61)),
            ("0x1fFe2.p0", Some(131042.0)),
            ("0x0.fp4", Some(15.0)),
            ("0x1.8p1", Some(3.0)),
            ("0x_1_2.3_4_5p+1_2", Some(74565.0)),
            ("0x1.fffffffffffffp1023", Some(f64::MAX)),
            ("0x1p-1074", Some(5e-324)),
            ("0x1p-1075", Some(0.0)),
            ("0x1.8p-1075", Some(5e-324)),
            ("1_23.50_0_0e+1_2", Some(1.235e14)),
            ("inf", Some(f64::INFINITY)),
            ("-Infinity", Some(f64::NEG_INFINITY)),
            ("+INF", Some(f64::INFINITY)),
            ("NaN", Some(f64::NAN)),
            ("", None),
            ("1x", None),
            ("1.1.", None),
            ("1e", None),
            ("1e+", None),
            (".", None),
            ("0x1e2", None),
            ("1p2", None),
            ("infx", None),
            ("+nan", None),
            ("-_123.5e+12", None),
            ("_123.5e+12", None),
            ("1__23.5e+12", None),
            ("123_.5e+12", None),
            ("123._5e+12", None),
            ("123.5_e+12", None),
            ("123.5e+_12", None),
            ("123.5e+12_", None),
        ];
        for &(s, want) in cases {
            match (parse_float(s), want) {
                (Ok(got), Some(want)) => {
                    assert!(
                        got == want || (got.is_nan() && want.is_nan()),
                        "{s}: {got} != {want}"
                    );
                    assert_eq!(got.is_sign_negative(), want.is_sign_negative(), "{s}");
                }
                (Err(e), None) => assert_eq!(e.kind, NumErrorKind::Syntax, "{s}"),
                (got, want) => panic!("{s}: got {got:?}, want {want:?}"),
            }
        }
        for s in [
            "2e308",
            "1e310",
            "-1e310",
            "0x1p1024",
            "0x1.fffffffffffff8p1023",
        ] {
            let e = parse_float(s).unwrap_err();
            assert_eq!(e.kind, NumErrorKind::Range, "{s}");
        }
        assert_eq!(
            parse_float("1e400").unwrap_err().to_string(),
            r#"strconv.ParseFloat: parsing "1e400": value out of range"#
        );
        assert_eq!(
            parse_float("1.2.3").unwrap_err().to_string(),
            r#"strconv.ParseFloat: parsing "1.2.3": invalid syntax"#
        );
    }

    #[test]
    fn float_to_int_like_amd64() {
        assert_eq!(go_f64_to_i64(1.9), 1);
        assert_eq!(go_f64_to_i64(-1.9), -1);
        assert_eq!(go_f64_to_i64(f64::NAN), i64::MIN);
        assert_eq!(go_f64_to_i64(f64::INFINITY), i64::MIN);
        assert_eq!(go_f64_to_i64(9.3e18), i64::MIN);
        assert_eq!(go_f64_to_i64(-(2f64.powi(63))), i64::MIN);
        assert_eq!(go_f64_to_i64(-9.3e18), i64::MIN);
    }
}
