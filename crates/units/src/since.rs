//! `--since` / `--until` values (`docker logs`, `events`) and `until=` filters (`prune`,
//! `images`): moby's `client/internal/timestamp` and `daemon/internal/timestamp`.
//!
//! A value is a Go duration (`10m`, `1h30m`: that long before now), an RFC 3339 date or
//! date-time (complete or partial, with or without zone; without one it is local time), or a
//! Unix timestamp `seconds[.nanoseconds]`.

use crate::layout::{self, TimeParseError};
use crate::numparse::{NumErrorKind, parse_int};
use crate::quote::{quote_byte, strconv_quote};
use crate::{GoDuration, Timestamp};

/// Why a `--since`/`--until` value was refused. `Display` is moby's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// A date-like value (it contains `-`) that Go's time layout parser refused.
    #[error(transparent)]
    Time(#[from] TimeParseError),
    /// Client side: neither a duration, a date nor a Unix timestamp.
    #[error("failed to parse value as time or duration: {}", strconv_quote(.0))]
    NotTimeOrDuration(String),
    /// Daemon side: a blank value.
    #[error("failed to parse value as time or duration: value is empty")]
    Empty,
    /// Daemon side (`Parse`): neither a duration, a date nor a Unix timestamp.
    #[error("failed to parse value as time or duration: {0}")]
    NotUnixTimestamp(UnixTimestampError),
    /// Daemon side (`ParseUnixTimestamp`), for the API's `since`/`until` parameters.
    #[error("invalid timestamp {}: {reason}", strconv_quote(.value))]
    InvalidUnixTimestamp {
        value: String,
        reason: UnixTimestampError,
    },
}

/// Why a `seconds[.nanoseconds]` value is not a Unix timestamp (the daemon's `parseTimestamp`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnixTimestampError {
    #[error("invalid seconds {}: {kind}", strconv_quote(.seconds))]
    Seconds { seconds: String, kind: NumErrorKind },
    #[error("invalid nanoseconds: length {0} exceeds maximum 20")]
    NanosTooLong(usize),
    #[error("invalid nanoseconds: invalid character {} at position {position}", quote_byte(*.byte))]
    NanosCharacter { byte: u8, position: usize },
}

/// The client's `GetTimestamp`: converts a user's `--since`/`--until` into the string the API
/// takes. Durations give whole seconds (`"1136073600"`), dates give `"seconds.nanoseconds"`
/// (`"1136214245.000000000"`), Unix timestamps pass through unchanged. `now` and its UTC offset
/// are the reference time and the local zone for values without a zone.
pub fn get_timestamp(
    value: &str,
    now: Timestamp,
    utc_offset_secs: i32,
) -> Result<String, TimestampError> {
    if value != "0"
        && let Ok(d) = GoDuration::parse(value)
    {
        return Ok(now
            .add_duration(GoDuration(d.0.wrapping_neg()))
            .unix_secs()
            .to_string());
    }
    match parse_date(value, utc_offset_secs) {
        Ok(t) => Ok(format!("{}.{:09}", t.unix_secs(), t.subsec_nanos())),
        Err(e) if value.contains('-') => Err(e.into()),
        Err(_) if is_legacy_unix_timestamp(value) => Ok(value.to_string()),
        Err(_) => Err(TimestampError::NotTimeOrDuration(value.to_string())),
    }
}

/// The daemon's `timestamp.Parse`, for `until=` filters: like [`get_timestamp`] but returning
/// the instant, and stricter about Unix timestamps ([`parse_unix_timestamp`]).
pub fn parse_time(
    value: &str,
    now: Timestamp,
    utc_offset_secs: i32,
) -> Result<Timestamp, TimestampError> {
    if value.trim().is_empty() {
        return Err(TimestampError::Empty);
    }
    if value != "0"
        && let Ok(d) = GoDuration::parse(value)
    {
        return Ok(now.add_duration(GoDuration(d.0.wrapping_neg())));
    }
    match parse_date(value, utc_offset_secs) {
        Ok(t) => Ok(t),
        Err(e) if value.contains('-') => Err(e.into()),
        Err(_) => parse_unix(value).map_err(TimestampError::NotUnixTimestamp),
    }
}

/// The daemon's `ParseUnixTimestamp` for the API's `since`/`until` query parameters:
/// `seconds` or `seconds.nanoseconds` (fewer than 9 digits are padded, more are truncated, at
/// most 20). An empty value is `None` (Go's zero time).
pub fn parse_unix_timestamp(value: &str) -> Result<Option<Timestamp>, TimestampError> {
    if value.is_empty() {
        return Ok(None);
    }
    parse_unix(value)
        .map(Some)
        .map_err(|reason| TimestampError::InvalidUnixTimestamp {
            value: value.to_string(),
            reason,
        })
}

/// `ParseTimestamps(value, default)`: seconds and nanoseconds of an API timestamp, or
/// `(default_secs, 0)` for an empty value. Follows the current daemon's validation
/// ([`parse_unix_timestamp`]).
pub fn parse_timestamps(value: &str, default_secs: i64) -> Result<(i64, i64), TimestampError> {
    Ok(match parse_unix_timestamp(value)? {
        Some(t) => (t.unix_secs(), i64::from(t.subsec_nanos())),
        None => (default_secs, 0),
    })
}

/// Picks the Go layout for a date-like value, as both client and daemon do, and parses it.
fn parse_date(value: &str, utc_offset_secs: i32) -> Result<Timestamp, TimeParseError> {
    // A 'Z', a '+' or three dashes mean the value carries its zone.
    let local = !value.contains(['z', 'Z', '+']) && value.matches('-').count() != 3;
    let layout = if value.contains('.') {
        if local {
            "2006-01-02T15:04:05.999999999"
        } else {
            layout::RFC3339_NANO
        }
    } else if value.contains('T') {
        let mut colons = value.matches(':').count();
        // A numeric zone offset adds a colon of its own.
        if !local && !value.contains(['z', 'Z']) && colons > 0 {
            colons -= 1;
        }
        match (local, colons) {
            (true, 0) => "2006-01-02T15",
            (true, 1) => "2006-01-02T15:04",
            (true, _) => "2006-01-02T15:04:05",
            (false, 0) => "2006-01-02T15Z07:00",
            (false, 1) => "2006-01-02T15:04Z07:00",
            (false, _) => layout::RFC3339,
        }
    } else if local {
        "2006-01-02"
    } else {
        "2006-01-02Z07:00"
    };
    layout::parse(layout, value, if local { utc_offset_secs } else { 0 })
}

/// The client's lenient `parseTimestamp`: integer seconds, optionally `.` and an integer.
fn is_legacy_unix_timestamp(value: &str) -> bool {
    let (secs, nanos) = match value.split_once('.') {
        Some((s, n)) => (s, Some(n)),
        None => (value, None),
    };
    parse_int(secs).is_ok() && nanos.is_none_or(|n| parse_int(n).is_ok())
}

/// The daemon's strict `parseTimestamp`.
fn parse_unix(value: &str) -> Result<Timestamp, UnixTimestampError> {
    let (secs_str, nanos) = match value.split_once('.') {
        Some((s, n)) => (s, n),
        None => (value, ""),
    };
    let secs = parse_int(secs_str).map_err(|e| UnixTimestampError::Seconds {
        seconds: secs_str.to_string(),
        kind: e.kind,
    })?;
    if matches!(nanos, "" | "0" | "000000000") {
        return Ok(Timestamp::from_unix_normalized(secs, 0));
    }
    if nanos.len() > 20 {
        return Err(UnixTimestampError::NanosTooLong(nanos.len()));
    }
    if let Some((position, &byte)) = nanos
        .as_bytes()
        .iter()
        .enumerate()
        .find(|(_, b)| !b.is_ascii_digit())
    {
        return Err(UnixTimestampError::NanosCharacter { byte, position });
    }
    let digits = &nanos.as_bytes()[..nanos.len().min(9)];
    let mut n = digits
        .iter()
        .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
    for _ in digits.len()..9 {
        n *= 10;
    }
    Ok(Timestamp::from_unix_normalized(secs, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::from_unix(1_577_934_245, 123_456_789).unwrap() // 2020-01-02T03:04:05.123456789Z
    }

    // moby client/internal/timestamp/timestamp_test.go, TestGetTimestamp.
    #[test]
    fn get_timestamp_table() {
        let now = now();
        let ago = |secs: i64| (now.unix_secs() - secs).to_string();
        let cases: Vec<(&str, Option<String>)> = vec![
            (
                "2006-01-02T15:04:05.999999999+07:00",
                Some("1136189045.999999999".into()),
            ),
            (
                "2006-01-02T15:04:05.999999999Z",
                Some("1136214245.999999999".into()),
            ),
            (
                "2006-01-02T15:04:05.999999999",
                Some("1136214245.999999999".into()),
            ),
            ("2006-01-02T15:04:05Z", Some("1136214245.000000000".into())),
            ("2006-01-02T15:04:05", Some("1136214245.000000000".into())),
            ("2006-01-02T15:04:0Z", None),
            ("2006-01-02T15:04:0", None),
            ("2006-01-02T15:04Z", Some("1136214240.000000000".into())),
            (
                "2006-01-02T15:04+00:00",
                Some("1136214240.000000000".into()),
            ),
            (
                "2006-01-02T15:04-00:00",
                Some("1136214240.000000000".into()),
            ),
            ("2006-01-02T15:04", Some("1136214240.000000000".into())),
            ("2006-01-02T15:0Z", None),
            ("2006-01-02T15:0", None),
            ("2006-01-02T15Z", Some("1136214000.000000000".into())),
            ("2006-01-02T15+00:00", Some("1136214000.000000000".into())),
            ("2006-01-02T15-00:00", Some("1136214000.000000000".into())),
            ("2006-01-02T15", Some("1136214000.000000000".into())),
            ("2006-01-02T1Z", Some("1136163600.000000000".into())),
            ("2006-01-02T1", Some("1136163600.000000000".into())),
            ("2006-01-02TZ", None),
            ("2006-01-02T", None),
            ("2006-01-02+00:00", Some("1136160000.000000000".into())),
            ("2006-01-02-00:00", Some("1136160000.000000000".into())),
            ("2006-01-02-00:01", Some("1136160060.000000000".into())),
            ("2006-01-02Z", Some("1136160000.000000000".into())),
            ("2006-01-02", Some("1136160000.000000000".into())),
            ("2015-05-13T20:39:09Z", Some("1431549549.000000000".into())),
            ("1136073600", Some("1136073600".into())),
            ("1136073600.000000001", Some("1136073600.000000001".into())),
            ("0", Some("0".into())),
            ("1m", Some(ago(60))),
            ("1.5h", Some(ago(5400))),
            ("1h30m", Some(ago(5400))),
            ("-1m", Some((now.unix_secs() + 60).to_string())),
            ("invalid", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(get_timestamp(input, now, 0).ok(), want, "{input}");
        }
    }

    // moby daemon/internal/timestamp/timestamp_test.go, TestParse.
    #[test]
    fn parse_time_table() {
        let now = now();
        let cases: &[(&str, Option<&str>)] = &[
            (
                "2006-01-02T15:04:05.999999999+07:00",
                Some("2006-01-02T08:04:05.999999999Z"),
            ),
            (
                "2006-01-02T15:04:05.999999999Z",
                Some("2006-01-02T15:04:05.999999999Z"),
            ),
            (
                "2006-01-02T15:04:05.999999999",
                Some("2006-01-02T15:04:05.999999999Z"),
            ),
            ("2006-01-02T15:04:05Z", Some("2006-01-02T15:04:05Z")),
            ("2006-01-02T15:04:05", Some("2006-01-02T15:04:05Z")),
            ("2006-01-02T15:04:0Z", None),
            ("2006-01-02T15:04:0", None),
            ("2006-01-02T15:04Z", Some("2006-01-02T15:04:00Z")),
            ("2006-01-02T15:04+00:00", Some("2006-01-02T15:04:00Z")),
            ("2006-01-02T15:04-00:00", Some("2006-01-02T15:04:00Z")),
            ("2006-01-02T15:04", Some("2006-01-02T15:04:00Z")),
            ("2006-01-02T15:0Z", None),
            ("2006-01-02T15:0", None),
            ("2006-01-02T15Z", Some("2006-01-02T15:00:00Z")),
            ("2006-01-02T15+00:00", Some("2006-01-02T15:00:00Z")),
            ("2006-01-02T15-00:00", Some("2006-01-02T15:00:00Z")),
            ("2006-01-02T15", Some("2006-01-02T15:00:00Z")),
            ("2006-01-02T1Z", Some("2006-01-02T01:00:00Z")),
            ("2006-01-02T1", Some("2006-01-02T01:00:00Z")),
            ("2006-01-02TZ", None),
            ("2006-01-02T", None),
            ("2006-01-02+00:00", Some("2006-01-02T00:00:00Z")),
            ("2006-01-02-00:00", Some("2006-01-02T00:00:00Z")),
            ("2006-01-02-00:01", Some("2006-01-02T00:01:00Z")),
            ("2006-01-02Z", Some("2006-01-02T00:00:00Z")),
            ("2006-01-02", Some("2006-01-02T00:00:00Z")),
            ("2015-05-13T20:39:09Z", Some("2015-05-13T20:39:09Z")),
            ("1136073600", Some("2006-01-01T00:00:00Z")),
            (
                "1136073600.000000001",
                Some("2006-01-01T00:00:00.000000001Z"),
            ),
            (
                "1136073600.00000000000000000001",
                Some("2006-01-01T00:00:00Z"),
            ),
            ("1136073600.000000000000000000001", None),
            ("-1m", Some("2020-01-02T03:05:05.123456789Z")),
            ("0m", Some("2020-01-02T03:04:05.123456789Z")),
            ("1m", Some("2020-01-02T03:03:05.123456789Z")),
            ("1.5h", Some("2020-01-02T01:34:05.123456789Z")),
            ("1h30m", Some("2020-01-02T01:34:05.123456789Z")),
            (" 1136073600 \t", None),
            ("foo.bar", None),
            ("1136073600.bar", None),
            ("1136073600.000000001bar", None),
            ("invalid", None),
            ("", None),
        ];
        for &(input, want) in cases {
            let got = parse_time(input, now, 0).map(|t| t.to_string());
            assert_eq!(got.ok().as_deref(), want, "{input}");
        }
    }

    // daemon/internal/timestamp_test.go, TestParseUnixTimestamp, and the client's
    // TestParseTimestamps table (which the current rules also satisfy).
    #[test]
    fn unix_timestamps() {
        let cases: &[(&str, Option<(i64, i64)>)] = &[
            ("1136073600", Some((1136073600, 0))),
            ("1136073600.", Some((1136073600, 0))),
            ("1136073600.0", Some((1136073600, 0))),
            ("1136073600.000000001", Some((1136073600, 1))),
            ("1136073600.0000000010", Some((1136073600, 1))),
            ("1136073600.0000000001", Some((1136073600, 0))),
            ("1136073600.0000000009", Some((1136073600, 0))),
            ("1136073600.00000001", Some((1136073600, 10))),
            ("1136073600.1", Some((1136073600, 100000000))),
            (" 1136073600 \t", None),
            ("foo.bar", None),
            (".0000000009", None),
            ("1136073600.bar", None),
            ("", Some((-1, 0))),
        ];
        for &(input, want) in cases {
            assert_eq!(parse_timestamps(input, -1).ok(), want, "{input}");
        }
        assert_eq!(parse_unix_timestamp(""), Ok(None));
    }

    #[test]
    fn messages_are_mobys() {
        let now = now();
        assert_eq!(
            get_timestamp("invalid", now, 0).unwrap_err().to_string(),
            r#"failed to parse value as time or duration: "invalid""#
        );
        assert_eq!(
            get_timestamp("2006-01-02T15:04:0Z", now, 0)
                .unwrap_err()
                .to_string(),
            r#"parsing time "2006-01-02T15:04:0Z" as "2006-01-02T15:04:05Z07:00": cannot parse "0Z" as "05""#
        );
        assert_eq!(
            get_timestamp("2006-01-02T", now, 0)
                .unwrap_err()
                .to_string(),
            r#"parsing time "2006-01-02T" as "2006-01-02T15": cannot parse "" as "15""#
        );
        assert_eq!(
            parse_time(" ", now, 0).unwrap_err().to_string(),
            "failed to parse value as time or duration: value is empty"
        );
        assert_eq!(
            parse_time("invalid", now, 0).unwrap_err().to_string(),
            r#"failed to parse value as time or duration: invalid seconds "invalid": invalid syntax"#
        );
        assert_eq!(
            parse_unix_timestamp("1.2x").unwrap_err().to_string(),
            r#"invalid timestamp "1.2x": invalid nanoseconds: invalid character 'x' at position 1"#
        );
        assert_eq!(
            parse_unix_timestamp(&format!("1.{}", "0".repeat(21)))
                .unwrap_err()
                .to_string(),
            format!(
                r#"invalid timestamp "1.{}": invalid nanoseconds: length 21 exceeds maximum 20"#,
                "0".repeat(21)
            )
        );
        assert_eq!(
            parse_unix_timestamp("99999999999999999999")
                .unwrap_err()
                .to_string(),
            r#"invalid timestamp "99999999999999999999": invalid seconds "99999999999999999999": value out of range"#
        );
    }

    #[test]
    fn local_zone_applies_to_values_without_one() {
        let now = now();
        // Two hours east of UTC: local midnight is 22:00 UTC the day before.
        assert_eq!(
            get_timestamp("2006-01-02", now, 7200).unwrap(),
            "1136152800.000000000"
        );
        assert_eq!(
            get_timestamp("2006-01-02Z", now, 7200).unwrap(),
            "1136160000.000000000"
        );
        assert_eq!(
            parse_time("2006-01-02T15:04", now, -3600)
                .unwrap()
                .to_string(),
            "2006-01-02T16:04:00Z"
        );
    }
}
