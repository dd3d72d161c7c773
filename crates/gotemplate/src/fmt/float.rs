//! `strconv.FormatFloat(v, fmt, prec, 64)` for the `e`, `E`, `f`, `g` and `G` formats.
//!
//! Decimal digits come from Rust's float formatting, which like Go's produces the shortest
//! representation that round-trips, or correctly rounded digits for a fixed precision.

/// Decimal digits `d` (no leading or trailing zeros) with the decimal point `dp` digits from
/// the left: the value is `0.d * 10^dp`. Zero has no digits.
struct Decimal {
    d: Vec<u8>,
    dp: i32,
}

impl Decimal {
    fn nd(&self) -> i32 {
        self.d.len() as i32
    }

    /// Parses Rust's `{:e}` output (`1.2345e3`).
    fn from_exp(s: &str) -> Decimal {
        let (mantissa, exp) = s.split_once('e').unwrap_or((s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let mut d: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
        while d.last() == Some(&b'0') {
            d.pop();
        }
        if d.is_empty() {
            return Decimal { d, dp: 0 };
        }
        Decimal { d, dp: exp + 1 }
    }

    /// Parses Rust's `{:.N}` output (`123.4500`).
    fn from_fixed(s: &str) -> Decimal {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let mut d: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
        let mut dp = int.len() as i32;
        let leading = d.iter().take_while(|&&b| b == b'0').count();
        d.drain(..leading);
        dp -= leading as i32;
        while d.last() == Some(&b'0') {
            d.pop();
        }
        if d.is_empty() {
            dp = 0;
        }
        Decimal { d, dp }
    }
}

/// Formats `v` like Go's `strconv.FormatFloat(v, fmt, prec, 64)`; `prec < 0` asks for the
/// shortest representation. `fmt` is one of `e E f g G`.
pub(crate) fn format_float(v: f64, fmt: u8, prec: i32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let neg = v.is_sign_negative();
    let a = v.abs();
    let shortest = prec < 0;
    let (digs, prec) = if shortest {
        let d = if a == 0.0 {
            Decimal {
                d: Vec::new(),
                dp: 0,
            }
        } else {
            Decimal::from_exp(&format!("{a:e}"))
        };
        let prec = match fmt {
            b'e' | b'E' => (d.nd() - 1).max(0),
            b'f' => (d.nd() - d.dp).max(0),
            _ => d.nd(),
        };
        (d, prec)
    } else {
        match fmt {
            b'e' | b'E' => (Decimal::from_exp(&format!("{a:.*e}", prec as usize)), prec),
            b'f' => (Decimal::from_fixed(&format!("{a:.*}", prec as usize)), prec),
            _ => {
                let prec = prec.max(1);
                (
                    Decimal::from_exp(&format!("{a:.*e}", (prec - 1) as usize)),
                    prec,
                )
            }
        }
    };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    match fmt {
        b'e' | b'E' => fmt_e(&mut out, &digs, prec, fmt),
        b'f' => fmt_f(&mut out, &digs, prec),
        _ => {
            let mut prec = prec;
            let mut eprec = prec;
            if eprec > digs.nd() && digs.nd() >= digs.dp {
                eprec = digs.nd();
            }
            if shortest {
                eprec = 6;
            }
            let exp = digs.dp - 1;
            if exp < -4 || exp >= eprec {
                if prec > digs.nd() {
                    prec = digs.nd();
                }
                fmt_e(
                    &mut out,
                    &digs,
                    prec - 1,
                    if fmt == b'G' { b'E' } else { b'e' },
                );
            } else {
                if prec > digs.dp {
                    prec = digs.nd();
                }
                fmt_f(&mut out, &digs, (prec - digs.dp).max(0));
            }
        }
    }
    out
}

fn fmt_e(out: &mut String, d: &Decimal, prec: i32, fmt: u8) {
    out.push(char::from(d.d.first().copied().unwrap_or(b'0')));
    if prec > 0 {
        out.push('.');
        let m = (d.nd()).min(prec + 1);
        for i in 1..m {
            out.push(char::from(d.d[i as usize]));
        }
        for _ in m.max(1)..=prec {
            out.push('0');
        }
    }
    out.push(char::from(fmt));
    let mut exp = if d.d.is_empty() { 0 } else { d.dp - 1 };
    if exp < 0 {
        out.push('-');
        exp = -exp;
    } else {
        out.push('+');
    }
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
}

fn fmt_f(out: &mut String, d: &Decimal, prec: i32) {
    if d.dp > 0 {
        let m = d.nd().min(d.dp);
        for i in 0..m {
            out.push(char::from(d.d[i as usize]));
        }
        for _ in m..d.dp {
            out.push('0');
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            let j = d.dp + i - 1;
            let c = if (0..d.nd()).contains(&j) {
                d.d[j as usize]
            } else {
                b'0'
            };
            out.push(char::from(c));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::format_float;

    #[test]
    fn shortest_g_matches_go_v_verb() {
        let cases = [
            (1.5, "1.5"),
            (15.1, "15.1"),
            (2.0, "2"),
            (0.0, "0"),
            (-0.0, "-0"),
            (100000.0, "100000"),
            (1e6, "1e+06"),
            (123456789.0, "1.23456789e+08"),
            (1e21, "1e+21"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5e-7, "-2.5e-07"),
            (1e100, "1e+100"),
            (7.5, "7.5"),
        ];
        for (v, want) in cases {
            assert_eq!(format_float(v, b'g', -1), want, "{v}");
        }
    }

    #[test]
    fn fixed_precisions_match_go() {
        assert_eq!(format_float(4.56789, b'f', 2), "4.57");
        assert_eq!(format_float(0.125, b'f', 2), "0.12", "round half to even");
        assert_eq!(format_float(2.0, b'f', 0), "2");
        assert_eq!(format_float(1234.5678, b'e', 3), "1.235e+03");
        assert_eq!(format_float(0.0, b'e', 2), "0.00e+00");
        assert_eq!(format_float(1.0, b'e', -1), "1e+00");
        assert_eq!(format_float(1234.5678, b'g', 3), "1.23e+03");
        assert_eq!(format_float(1.5, b'g', 5), "1.5");
        assert_eq!(format_float(0.000012345, b'g', 2), "1.2e-05");
        assert_eq!(format_float(123.0, b'G', 2), "1.2E+02");
        assert_eq!(format_float(f64::INFINITY, b'f', 2), "+Inf");
        assert_eq!(format_float(1e-7, b'f', -1), "0.0000001");
    }
}
