//! The subset of Go's `time.Parse` layout machinery that Docker's timestamp parsing uses:
//! `2006` `01` `02` `15` `04` `05` `.999999999` `Z07:00` and literal text, with Go's
//! leniencies (one-digit hours, `,` as decimal separator, any number of fraction digits) and
//! Go's error messages.

use std::fmt;

use crate::Timestamp;
use crate::civil::days_in_month;
use crate::quote::time_quote;

pub(crate) const RFC3339_NANO: &str = "2006-01-02T15:04:05.999999999Z07:00";
pub(crate) const RFC3339: &str = "2006-01-02T15:04:05Z07:00";

/// Go's `*time.ParseError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeParseError {
    pub layout: String,
    pub value: Vec<u8>,
    pub layout_elem: String,
    pub value_elem: Vec<u8>,
    /// Non-empty for range and extra-text errors, e.g. `": month out of range"`.
    pub message: String,
}

impl fmt::Display for TimeParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(
                f,
                "parsing time {} as {}: cannot parse {} as {}",
                time_quote(&self.value),
                time_quote(self.layout.as_bytes()),
                time_quote(&self.value_elem),
                time_quote(self.layout_elem.as_bytes())
            )
        } else {
            write!(
                f,
                "parsing time {}{}",
                time_quote(&self.value),
                self.message
            )
        }
    }
}

impl std::error::Error for TimeParseError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Std {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Fraction,
    Zone,
}

const STD_CHUNKS: [(&str, Std); 8] = [
    ("2006", Std::Year),
    ("01", Std::Month),
    ("02", Std::Day),
    ("15", Std::Hour),
    ("04", Std::Minute),
    ("05", Std::Second),
    (".999999999", Std::Fraction),
    ("Z07:00", Std::Zone),
];

/// Go's `nextStdChunk` for the chunks above: (literal prefix, std element and its text, rest).
fn next_chunk(layout: &str) -> (&str, Option<(Std, &str)>, &str) {
    for i in 0..layout.len() {
        for (text, std) in STD_CHUNKS {
            if layout[i..].starts_with(text) {
                return (&layout[..i], Some((std, text)), &layout[i + text.len()..]);
            }
        }
    }
    (layout, None, "")
}

fn is_digit(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(u8::is_ascii_digit)
}

/// Go's `getnum`: one or two digits (`fixed`: exactly two).
fn getnum(s: &[u8], fixed: bool) -> Option<(i64, &[u8])> {
    if !is_digit(s, 0) {
        return None;
    }
    if !is_digit(s, 1) {
        return (!fixed).then(|| (i64::from(s[0] - b'0'), &s[1..]));
    }
    Some((
        i64::from(s[0] - b'0') * 10 + i64::from(s[1] - b'0'),
        &s[2..],
    ))
}

/// Go's `parseNanoseconds`: `s[0]` is the separator, `s[1..nbytes]` digits.
fn parse_nanoseconds(s: &[u8], nbytes: usize) -> u32 {
    let nbytes = nbytes.min(10);
    let mut ns: u32 = s[1..nbytes]
        .iter()
        .fold(0, |n, &d| n * 10 + u32::from(d - b'0'));
    for _ in nbytes..10 {
        ns *= 10;
    }
    ns
}

/// Go's `time.ParseInLocation(layout, value, FixedZone(_, default_offset))` for the supported
/// layouts. A zone in the value (`Z`, `+07:00`) overrides the default offset.
pub(crate) fn parse(
    layout_str: &str,
    value_str: &str,
    default_offset: i32,
) -> Result<Timestamp, TimeParseError> {
    let err = |layout_elem: &str, value_elem: &[u8], message: String| TimeParseError {
        layout: layout_str.to_string(),
        value: value_str.as_bytes().to_vec(),
        layout_elem: layout_elem.to_string(),
        value_elem: value_elem.to_vec(),
        message,
    };
    let (mut year, mut month, mut day) = (0i64, 1i64, 1i64);
    let (mut hour, mut minute, mut second, mut nanos) = (0i64, 0i64, 0i64, 0u32);
    let mut offset: Option<i64> = None;
    let mut layout = layout_str;
    let mut value = value_str.as_bytes();
    loop {
        let (prefix, std, suffix) = next_chunk(layout);
        // Literal text must match exactly (the layouts here have no spaces).
        let common = prefix
            .bytes()
            .zip(value)
            .take_while(|(a, b)| a == *b)
            .count();
        if common < prefix.len() {
            return Err(err(prefix, &value[common..], String::new()));
        }
        value = &value[common..];
        let Some((std, std_str)) = std else {
            if !value.is_empty() {
                return Err(err(
                    "",
                    value,
                    format!(": extra text: {}", time_quote(value)),
                ));
            }
            break;
        };
        layout = suffix;
        let hold = value;
        let mut range = "";
        let ok = match std {
            Std::Year => {
                if value.len() >= 4 && value[..4].iter().all(u8::is_ascii_digit) {
                    year = value[..4]
                        .iter()
                        .fold(0, |y, &d| y * 10 + i64::from(d - b'0'));
                    value = &value[4..];
                    true
                } else {
                    false
                }
            }
            Std::Month => getnum(value, true)
                .map(|(m, rest)| {
                    (month, value) = (m, rest);
                    if !(1..=12).contains(&m) {
                        range = "month";
                    }
                })
                .is_some(),
            Std::Day => getnum(value, true)
                .map(|(d, rest)| (day, value) = (d, rest))
                .is_some(),
            Std::Hour => getnum(value, false)
                .map(|(h, rest)| {
                    (hour, value) = (h, rest);
                    if h >= 24 {
                        range = "hour";
                    }
                })
                .is_some(),
            Std::Minute => getnum(value, true)
                .map(|(m, rest)| {
                    (minute, value) = (m, rest);
                    if m >= 60 {
                        range = "minute";
                    }
                })
                .is_some(),
            Std::Second => match getnum(value, true) {
                None => false,
                Some((s, _)) if s >= 60 => {
                    range = "second";
                    true
                }
                Some((s, rest)) => {
                    (second, value) = (s, rest);
                    // A fraction in the value but not in the layout is still parsed.
                    let fraction_next = matches!(next_chunk(layout).1, Some((Std::Fraction, _)));
                    if value.len() >= 2
                        && matches!(value[0], b'.' | b',')
                        && is_digit(value, 1)
                        && !fraction_next
                    {
                        let n = 2 + value[2..].iter().take_while(|b| b.is_ascii_digit()).count();
                        nanos = parse_nanoseconds(value, n);
                        value = &value[n..];
                    }
                    true
                }
            },
            Std::Fraction => {
                if value.len() >= 2 && matches!(value[0], b'.' | b',') && is_digit(value, 1) {
                    let n = 1 + value[1..].iter().take_while(|b| b.is_ascii_digit()).count();
                    nanos = parse_nanoseconds(value, n);
                    value = &value[n..];
                }
                true
            }
            Std::Zone => match value {
                [b'Z', rest @ ..] => {
                    offset = Some(0);
                    value = rest;
                    true
                }
                [sign, h1, h2, b':', m1, m2, rest @ ..] => {
                    value = rest;
                    let (hh, mm) = ([*h1, *h2], [*m1, *m2]);
                    let hours = getnum(&hh, true);
                    let minutes = hours.and(getnum(&mm, true));
                    let (hr, mm) = (hours.map_or(0, |h| h.0), minutes.map_or(0, |m| m.0));
                    if hr > 24 {
                        range = "time zone offset hour";
                    }
                    if mm > 60 {
                        range = "time zone offset minute";
                    }
                    let magnitude = (hr * 60 + mm) * 60;
                    offset = Some(if *sign == b'-' { -magnitude } else { magnitude });
                    minutes.is_some() && matches!(sign, b'+' | b'-')
                }
                _ => false,
            },
        };
        if !range.is_empty() {
            return Err(err(std_str, value, format!(": {range} out of range")));
        }
        if !ok {
            return Err(err(std_str, hold, String::new()));
        }
    }
    let month = month as u32;
    if day < 1 || day > i64::from(days_in_month(year, month)) {
        return Err(err("", value, ": day out of range".to_string()));
    }
    let civil = crate::CivilDateTime {
        year,
        month,
        day: day as u32,
        hour: hour as u32,
        minute: minute as u32,
        second: second as u32,
        nanosecond: nanos,
    };
    let offset = offset.unwrap_or(i64::from(default_offset));
    Ok(Timestamp::from_civil(civil, 0).add_duration(crate::GoDuration::from_secs(-offset)))
}
