//! Go's `fmt.Sprintf("%.*g", prec, x)`: `prec` significant digits, rounded half to even on the
//! exact binary value, trailing zeros dropped, `%e` form (`1e+04`) when the exponent is below -4
//! or at least the precision; `+Inf`, `-Inf`, `NaN`.

/// Decimal digits of a finite non-negative value: `0.d1d2d3… × 10^dp`, no trailing zeros.
struct Decimal {
    digits: Vec<u8>,
    dp: i32,
}

impl Decimal {
    /// `x` rounded to `prec` significant digits, half to even on its exact value.
    fn rounded(x: f64, prec: usize) -> Decimal {
        // Rust's `{:.N$e}` is correctly rounded. With 24 guard digits only a "5000…" tail can
        // hide an exact tie, which needs the full expansion (at most 767 digits for an f64).
        let mut d = Decimal::scientific(x, prec + 24);
        if d.digits.len() == prec + 1 && d.digits[prec] == b'5' {
            d = Decimal::scientific(x, 800);
        }
        d.round(prec);
        d
    }

    fn scientific(x: f64, digits: usize) -> Decimal {
        if x == 0.0 {
            return Decimal {
                digits: Vec::new(),
                dp: 0,
            };
        }
        let s = format!("{x:.digits$e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        Decimal {
            digits,
            dp: exponent.parse::<i32>().unwrap_or(0) + 1,
        }
    }

    /// Keeps `n` significant digits, rounding half to even (Go's `decimal.Round`).
    fn round(&mut self, n: usize) {
        if self.digits.len() <= n {
            return;
        }
        let next = self.digits[n];
        let exactly_half = next == b'5' && self.digits.len() == n + 1;
        let up = if exactly_half {
            n > 0 && (self.digits[n - 1] - b'0') % 2 == 1
        } else {
            next >= b'5'
        };
        self.digits.truncate(n);
        if up {
            while let Some(last) = self.digits.pop() {
                if last < b'9' {
                    self.digits.push(last + 1);
                    break;
                }
            }
            if self.digits.is_empty() {
                self.digits.push(b'1');
                self.dp += 1;
            }
        }
        while self.digits.last() == Some(&b'0') {
            self.digits.pop();
        }
    }
}

pub(crate) fn format_g(x: f64, prec: usize) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let prec = prec.max(1);
    let d = Decimal::rounded(x.abs(), prec);
    let mut out = String::new();
    if x.is_sign_negative() {
        out.push('-');
    }
    let nd = d.digits.len() as i64;
    let dp = i64::from(d.dp);
    let mut prec = prec as i64;
    let mut eprec = prec;
    if eprec > nd && nd >= dp {
        eprec = nd;
    }
    let exp = dp - 1;
    if exp < -4 || exp >= eprec {
        prec = prec.min(nd);
        push_e(&mut out, &d, prec - 1);
    } else {
        if prec > dp {
            prec = nd;
        }
        push_f(&mut out, &d, (prec - dp).max(0));
    }
    out
}

/// Go's `fmtE`: `d.ddde±dd`.
fn push_e(out: &mut String, d: &Decimal, prec: i64) {
    let digit = |i: usize| char::from(d.digits.get(i).copied().unwrap_or(b'0'));
    out.push(digit(0));
    if prec > 0 {
        out.push('.');
        for i in 1..=prec as usize {
            out.push(digit(i));
        }
    }
    let exp = if d.digits.is_empty() { 0 } else { d.dp - 1 };
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    out.push_str(&format!("{:02}", exp.abs()));
}

/// Go's `fmtF`: `ddd.ddd`.
fn push_f(out: &mut String, d: &Decimal, prec: i64) {
    let digit = |j: i64| {
        usize::try_from(j)
            .ok()
            .and_then(|j| d.digits.get(j))
            .map_or('0', |&b| char::from(b))
    };
    if d.dp > 0 {
        for j in 0..i64::from(d.dp) {
            out.push(digit(j));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(digit(i64::from(d.dp) + i - 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::format_g;

    #[test]
    fn like_go_percent_g() {
        let cases: &[(f64, usize, &str)] = &[
            (0.0, 4, "0"),
            (-0.0, 4, "-0"),
            (1.0, 4, "1"),
            (1.5, 4, "1.5"),
            (1.024, 4, "1.024"),
            (1.048576, 4, "1.049"),
            (999.95, 4, "1000"),
            (0.125, 2, "0.12"),
            (0.375, 2, "0.38"),
            (1.0000000000000002, 1, "1"),
            (2.0f64.powi(-20), 1, "1e-06"),
            (2.0f64.powi(-30), 20, "9.3132257461547851562e-10"),
            (999.96, 4, "1000"),
            (12345.0, 4, "1.234e+04"),
            (12355.0, 4, "1.236e+04"),
            (10000.0, 4, "1e+04"),
            (1048576.0, 4, "1.049e+06"),
            (0.0001, 4, "0.0001"),
            (0.00001234, 4, "1.234e-05"),
            (123.456, 3, "123"),
            (4.2649, 3, "4.26"),
            (2.5, 1, "2"),
            (3.5, 1, "4"),
            (1e100, 4, "1e+100"),
            (5e-324, 4, "4.941e-324"),
            (f64::INFINITY, 4, "+Inf"),
            (f64::NEG_INFINITY, 4, "-Inf"),
            (f64::NAN, 4, "NaN"),
            (-42.0, 4, "-42"),
        ];
        for &(x, prec, want) in cases {
            assert_eq!(format_g(x, prec), want, "%.{prec}g of {x:e}");
        }
    }
}
