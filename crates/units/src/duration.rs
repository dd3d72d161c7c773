//! Go's `time.Duration`: parsing (`time.ParseDuration`), formatting (`Duration.String`) and
//! go-units' `HumanDuration` ("About a minute").

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::quote::time_quote;

/// A Go `time.Duration`: signed nanoseconds. Docker's JSON (healthcheck intervals, stop
/// timeouts) carries durations as these integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GoDuration(pub i64);

pub const NANOSECOND: GoDuration = GoDuration(1);
pub const MICROSECOND: GoDuration = GoDuration(1_000);
pub const MILLISECOND: GoDuration = GoDuration(1_000_000);
pub const SECOND: GoDuration = GoDuration(1_000_000_000);
pub const MINUTE: GoDuration = GoDuration(60 * SECOND.0);
pub const HOUR: GoDuration = GoDuration(60 * MINUTE.0);

/// Why `time.ParseDuration` refused a string. `Display` is Go's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("time: invalid duration {}", time_quote(.0.as_bytes()))]
    Invalid(String),
    #[error("time: missing unit in duration {}", time_quote(.0.as_bytes()))]
    MissingUnit(String),
    #[error("time: unknown unit {} in duration {}", time_quote(.unit.as_bytes()), time_quote(.input.as_bytes()))]
    UnknownUnit { unit: String, input: String },
}

impl GoDuration {
    pub const fn from_nanos(nanos: i64) -> GoDuration {
        GoDuration(nanos)
    }

    pub const fn from_secs(secs: i64) -> GoDuration {
        GoDuration(secs.saturating_mul(SECOND.0))
    }

    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Go's `Duration.Seconds()`.
    pub fn seconds(self) -> f64 {
        self.in_units(SECOND.0)
    }

    /// Go's `Duration.Minutes()`.
    pub fn minutes(self) -> f64 {
        self.in_units(MINUTE.0)
    }

    /// Go's `Duration.Hours()`.
    pub fn hours(self) -> f64 {
        self.in_units(HOUR.0)
    }

    fn in_units(self, unit: i64) -> f64 {
        (self.0 / unit) as f64 + (self.0 % unit) as f64 / unit as f64
    }

    /// The duration as a `std::time::Duration`; `None` when negative.
    pub fn to_std(self) -> Option<Duration> {
        u64::try_from(self.0).ok().map(Duration::from_nanos)
    }

    /// Go's `time.ParseDuration`: `"300ms"`, `"-1.5h"`, `"2h45m"`, `"1m30s"`, `"0"`.
    /// Units: `ns`, `us` (`µs`, `μs`), `ms`, `s`, `m`, `h`.
    pub fn parse(s: &str) -> Result<GoDuration, DurationError> {
        let invalid = || DurationError::Invalid(s.to_string());
        let mut rest = s.as_bytes();
        let mut neg = false;
        if let [c @ (b'-' | b'+'), tail @ ..] = rest {
            neg = *c == b'-';
            rest = tail;
        }
        if rest == b"0" {
            return Ok(GoDuration(0));
        }
        if rest.is_empty() {
            return Err(invalid());
        }
        const LIMIT: u64 = 1 << 63;
        let mut total: u64 = 0;
        while !rest.is_empty() {
            if !(rest[0] == b'.' || rest[0].is_ascii_digit()) {
                return Err(invalid());
            }
            let (v, after) = leading_int(rest).ok_or_else(invalid)?;
            let pre = after.len() != rest.len();
            rest = after;
            let (mut f, mut scale, mut post) = (0u64, 1f64, false);
            if let [b'.', tail @ ..] = rest {
                let (fv, fscale, after) = leading_fraction(tail);
                post = after.len() != tail.len();
                (f, scale, rest) = (fv, fscale, after);
            }
            if !pre && !post {
                return Err(invalid());
            }
            let unit_len = rest
                .iter()
                .position(|&c| c == b'.' || c.is_ascii_digit())
                .unwrap_or(rest.len());
            if unit_len == 0 {
                return Err(DurationError::MissingUnit(s.to_string()));
            }
            let (unit_bytes, after) = rest.split_at(unit_len);
            rest = after;
            let unit: u64 = match unit_bytes {
                b"ns" => 1,
                // "us", "µs" (U+00B5 micro sign) and "μs" (U+03BC Greek mu)
                b"us" | [0xc2, 0xb5, b's'] | [0xce, 0xbc, b's'] => 1_000,
                b"ms" => 1_000_000,
                b"s" => 1_000_000_000,
                b"m" => 60_000_000_000,
                b"h" => 3_600_000_000_000,
                _ => {
                    return Err(DurationError::UnknownUnit {
                        unit: String::from_utf8_lossy(unit_bytes).into_owned(),
                        input: s.to_string(),
                    });
                }
            };
            if v > LIMIT / unit {
                return Err(invalid());
            }
            let mut v = v * unit;
            if f > 0 {
                // As Go: float64 keeps fractions of hours nanosecond-accurate.
                v += (f as f64 * (unit as f64 / scale)) as u64;
                if v > LIMIT {
                    return Err(invalid());
                }
            }
            // Go's uint64 sum wraps silently past 2^64; so does this one.
            total = total.wrapping_add(v);
            if total > LIMIT {
                return Err(invalid());
            }
        }
        if neg {
            return Ok(GoDuration((total as i64).wrapping_neg()));
        }
        if total > LIMIT - 1 {
            return Err(invalid());
        }
        Ok(GoDuration(total as i64))
    }
}

/// Go's `leadingInt`: `None` on overflow past 2^63.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let mut x: u64 = 0;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if x > (1 << 63) / 10 {
            return None;
        }
        x = x * 10 + u64::from(s[i] - b'0');
        if x > 1 << 63 {
            return None;
        }
        i += 1;
    }
    Some((x, &s[i..]))
}

/// Go's `leadingFraction`: digits after the point, with the power of ten they are scaled by;
/// precision stops accumulating on overflow.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let (mut x, mut scale, mut overflow) = (0u64, 1f64, false);
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if !overflow {
            if x > ((1 << 63) - 1) / 10 {
                overflow = true;
            } else {
                let y = x * 10 + u64::from(s[i] - b'0');
                if y > 1 << 63 {
                    overflow = true;
                } else {
                    x = y;
                    scale *= 10.0;
                }
            }
        }
        i += 1;
    }
    (x, scale, &s[i..])
}

impl FromStr for GoDuration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GoDuration::parse(s)
    }
}

/// Go's `Duration.String()`: `1h0m0s`, `1m30s`, `500ms`, `1.5µs`, `0s`, `-2h0m0s`.
impl fmt::Display for GoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let u = self.0.unsigned_abs();
        let mut s = String::new();
        if neg {
            s.push('-');
        }
        if u < 1_000_000_000 {
            let (unit, prec) = match u {
                0 => return f.write_str("0s"),
                1..1_000 => ("ns", 0),
                1_000..1_000_000 => ("µs", 3),
                _ => ("ms", 6),
            };
            push_with_fraction(&mut s, u, prec);
            s.push_str(unit);
        } else {
            let secs = u / 1_000_000_000;
            let (h, m) = (secs / 3600, secs / 60 % 60);
            if h > 0 {
                s.push_str(&format!("{h}h"));
            }
            if secs >= 60 {
                s.push_str(&format!("{m}m"));
            }
            push_with_fraction(&mut s, secs % 60 * 1_000_000_000 + u % 1_000_000_000, 9);
            s.push('s');
        }
        f.write_str(&s)
    }
}

/// `v / 10^prec` with the fraction's trailing zeros (and a bare point) dropped: Go's `fmtFrac`
/// followed by `fmtInt`.
fn push_with_fraction(s: &mut String, v: u64, prec: u32) {
    let div = 10u64.pow(prec);
    s.push_str(&(v / div).to_string());
    let frac = v % div;
    if frac != 0 {
        let digits = format!("{frac:0width$}", width = prec as usize);
        s.push('.');
        s.push_str(digits.trim_end_matches('0'));
    }
}

impl From<Duration> for GoDuration {
    /// Saturates at Go's maximum duration (about 292 years).
    fn from(d: Duration) -> GoDuration {
        GoDuration(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }
}

/// go-units `HumanDuration`: "Less than a second", "1 second", "45 seconds", "About a minute",
/// "3 minutes", "About an hour", "2 hours", "2 days", "3 weeks", "4 months", "2 years". Docker
/// writes "Up 3 seconds", "Exited (0) 5 seconds ago", "2 minutes ago" with it. Negative
/// durations (clock skew) are "Less than a second".
pub fn human_duration(d: impl Into<GoDuration>) -> String {
    let d = d.into();
    let seconds = d.seconds() as i64;
    if seconds < 1 {
        return "Less than a second".to_string();
    }
    if seconds == 1 {
        return "1 second".to_string();
    }
    if seconds < 60 {
        return format!("{seconds} seconds");
    }
    let minutes = d.minutes() as i64;
    if minutes == 1 {
        return "About a minute".to_string();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    let hours = (d.hours() + 0.5) as i64;
    if hours == 1 {
        return "About an hour".to_string();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if hours < 24 * 7 * 2 {
        return format!("{} days", hours / 24);
    }
    if hours < 24 * 30 * 2 {
        return format!("{} weeks", hours / 24 / 7);
    }
    if hours < 24 * 365 * 2 {
        return format!("{} months", hours / 24 / 30);
    }
    format!("{} years", d.hours() as i64 / 24 / 365)
}

#[cfg(test)]
mod tests {
    use super::*;

    // go-units duration_test.go, TestHumanDuration.
    #[test]
    fn human_duration_table() {
        let s = SECOND.0;
        let (minute, hour) = (60 * s, 3600 * s);
        let day = 24 * hour;
        let (week, month, year) = (7 * day, 30 * day, 365 * day);
        let cases = [
            ("Less than a second", 450 * MILLISECOND.0),
            ("1 second", s),
            ("45 seconds", 45 * s),
            ("46 seconds", 46 * s),
            ("59 seconds", 59 * s),
            ("About a minute", 60 * s),
            ("About a minute", minute),
            ("3 minutes", 3 * minute),
            ("35 minutes", 35 * minute),
            ("35 minutes", 35 * minute + 40 * s),
            ("45 minutes", 45 * minute),
            ("45 minutes", 45 * minute + 40 * s),
            ("46 minutes", 46 * minute),
            ("59 minutes", 59 * minute),
            ("About an hour", hour),
            ("About an hour", hour + 29 * minute),
            ("2 hours", hour + 31 * minute),
            ("2 hours", hour + 59 * minute),
            ("3 hours", 3 * hour),
            ("3 hours", 3 * hour + 29 * minute),
            ("4 hours", 3 * hour + 31 * minute),
            ("4 hours", 3 * hour + 59 * minute),
            ("4 hours", 3 * hour + 60 * minute),
            ("24 hours", 24 * hour),
            ("36 hours", day + 12 * hour),
            ("2 days", 2 * day),
            ("7 days", 7 * day),
            ("13 days", 13 * day + 5 * hour),
            ("2 weeks", 2 * week),
            ("2 weeks", 2 * week + 4 * day),
            ("3 weeks", 3 * week),
            ("4 weeks", 4 * week),
            ("4 weeks", 4 * week + 3 * day),
            ("4 weeks", month),
            ("6 weeks", month + 2 * week),
            ("2 months", 2 * month),
            ("2 months", 2 * month + 2 * week),
            ("3 months", 3 * month),
            ("3 months", 3 * month + week),
            ("5 months", 5 * month + 2 * week),
            ("13 months", 13 * month),
            ("23 months", 23 * month),
            ("24 months", 24 * month),
            ("2 years", 24 * month + 2 * week),
            ("3 years", 3 * year + 2 * month),
        ];
        for (want, nanos) in cases {
            assert_eq!(human_duration(GoDuration(nanos)), want, "{nanos}ns");
        }
        assert_eq!(human_duration(GoDuration(-5 * s)), "Less than a second");
        assert_eq!(human_duration(Duration::from_secs(120)), "2 minutes");
    }

    // Cases from Go's time/time_test.go (parseDurationTests).
    #[test]
    fn parse_duration_table() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("5s", 5 * SECOND.0),
            ("30s", 30 * SECOND.0),
            ("1478s", 1478 * SECOND.0),
            ("-5s", -5 * SECOND.0),
            ("+5s", 5 * SECOND.0),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5 * SECOND.0),
            ("5.6s", 5 * SECOND.0 + 600 * MILLISECOND.0),
            ("5.s", 5 * SECOND.0),
            (".5s", 500 * MILLISECOND.0),
            ("1.0s", SECOND.0),
            ("1.00s", SECOND.0),
            ("1.004s", SECOND.0 + 4 * MILLISECOND.0),
            ("1.0040s", SECOND.0 + 4 * MILLISECOND.0),
            ("100.00100s", 100 * SECOND.0 + MILLISECOND.0),
            ("10ns", 10),
            ("11us", 11 * MICROSECOND.0),
            ("12µs", 12 * MICROSECOND.0),
            ("12μs", 12 * MICROSECOND.0),
            ("13ms", 13 * MILLISECOND.0),
            ("14s", 14 * SECOND.0),
            ("15m", 15 * MINUTE.0),
            ("16h", 16 * HOUR.0),
            ("3h30m", 3 * HOUR.0 + 30 * MINUTE.0),
            (
                "10.5s4m",
                4 * MINUTE.0 + 10 * SECOND.0 + 500 * MILLISECOND.0,
            ),
            (
                "-2m3.4s",
                -(2 * MINUTE.0 + 3 * SECOND.0 + 400 * MILLISECOND.0),
            ),
            (
                "1h2m3s4ms5us6ns",
                HOUR.0 + 2 * MINUTE.0 + 3 * SECOND.0 + 4 * MILLISECOND.0 + 5 * MICROSECOND.0 + 6,
            ),
            (
                "39h9m14.425s",
                39 * HOUR.0 + 9 * MINUTE.0 + 14 * SECOND.0 + 425 * MILLISECOND.0,
            ),
            ("52763797000ns", 52763797000),
            ("0.3333333333333333333h", 20 * MINUTE.0),
            ("9007199254740993ns", 9007199254740993),
            ("9223372036854775807ns", i64::MAX),
            ("9223372036854775.807us", i64::MAX),
            ("9223372036s854ms775us807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("-9223372036854775.808us", i64::MIN),
            ("-9223372036s854ms775us808ns", i64::MIN),
            ("-2562047h47m16.854775808s", i64::MIN),
            ("0.100000000000000000000h", 6 * MINUTE.0),
            (
                "0.830103483285477580700h",
                49 * MINUTE.0 + 48 * SECOND.0 + 372539827,
            ),
            ("1m30s", 90 * SECOND.0),
            ("300ms", 300 * MILLISECOND.0),
            ("1.5h", 90 * MINUTE.0),
            ("-2h", -2 * HOUR.0),
            // Go's running total is a uint64 that wraps past 2^64 unnoticed.
            ("9223372036854775808ns9223372036854775808ns", 0),
        ];
        for &(s, want) in cases {
            assert_eq!(GoDuration::parse(s), Ok(GoDuration(want)), "{s}");
        }
        for s in [
            "",
            "3",
            "-",
            "s",
            ".",
            "-.",
            ".s",
            "+.s",
            "1d",
            "\u{85}\u{85}",
            "\u{FFFD}",
            "9223372036854775810ns",
            "9223372036854775808ns",
            "-9223372036854775809ns",
            "9223372036854776us",
            "3000000h",
            "9223372036854775.808us",
            "9223372036854ms775us808ns",
        ] {
            assert!(GoDuration::parse(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn parse_duration_messages() {
        let msg = |s: &str| GoDuration::parse(s).unwrap_err().to_string();
        assert_eq!(msg(""), r#"time: invalid duration """#);
        assert_eq!(msg("3"), r#"time: missing unit in duration "3""#);
        assert_eq!(msg("1d"), r#"time: unknown unit "d" in duration "1d""#);
        assert_eq!(
            msg("1é"),
            r#"time: unknown unit "\xc3\xa9" in duration "1\xc3\xa9""#
        );
        assert_eq!(msg("x"), r#"time: invalid duration "x""#);
    }

    // Go's time/time_test.go durationTests for Duration.String.
    #[test]
    fn duration_string_table() {
        let cases: &[(&str, i64)] = &[
            ("0s", 0),
            ("1ns", 1),
            ("1.1µs", 1100),
            ("2.2ms", 2200 * MICROSECOND.0),
            ("3.3s", 3300 * MILLISECOND.0),
            ("4m5s", 4 * MINUTE.0 + 5 * SECOND.0),
            ("4m5.001s", 4 * MINUTE.0 + 5001 * MILLISECOND.0),
            (
                "5h6m7.001s",
                5 * HOUR.0 + 6 * MINUTE.0 + 7001 * MILLISECOND.0,
            ),
            ("8m0.000000001s", 8 * MINUTE.0 + 1),
            ("2562047h47m16.854775807s", i64::MAX),
            ("-2562047h47m16.854775808s", i64::MIN),
            ("1m30s", 90 * SECOND.0),
            ("500ms", 500 * MILLISECOND.0),
            ("1h0m0s", HOUR.0),
            ("-2h0m0s", -2 * HOUR.0),
        ];
        for &(want, nanos) in cases {
            assert_eq!(GoDuration(nanos).to_string(), want);
        }
    }
}
