//! Instants as Docker's API carries them: RFC 3339 with nanoseconds in UTC
//! (`2026-11-23T18:31:29.123456789Z`), with Go's zero time `0001-01-01T00:00:00Z`.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::civil::{civil_from_days, days_from_civil};
use crate::layout::{self, TimeParseError};
use crate::{GoDuration, duration::SECOND};

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// An instant with nanosecond precision (Go's `time.Time`, always viewed in UTC).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

/// A calendar date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CivilDateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanosecond: u32,
}

impl Timestamp {
    /// Go's zero `time.Time`: `0001-01-01T00:00:00Z`, which Docker's JSON shows for "never"
    /// (e.g. `State.FinishedAt` of a container that has not exited).
    pub const ZERO: Timestamp = Timestamp {
        secs: -62_135_596_800,
        nanos: 0,
    };
    pub const UNIX_EPOCH: Timestamp = Timestamp { secs: 0, nanos: 0 };

    /// `None` when `nanos` is not below one second.
    pub const fn from_unix(secs: i64, nanos: u32) -> Option<Timestamp> {
        if nanos < NANOS_PER_SEC as u32 {
            Some(Timestamp { secs, nanos })
        } else {
            None
        }
    }

    /// Go's `time.Unix(sec, nsec)`: `nsec` outside [0, 1e9) is carried into the seconds.
    pub fn from_unix_normalized(secs: i64, nanos: i64) -> Timestamp {
        let secs = secs.saturating_add(nanos.div_euclid(NANOS_PER_SEC));
        Timestamp {
            secs,
            nanos: nanos.rem_euclid(NANOS_PER_SEC) as u32,
        }
    }

    pub fn from_system_time(t: SystemTime) -> Timestamp {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp::from_unix_normalized(
                i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                i64::from(d.subsec_nanos()),
            ),
            Err(e) => {
                let d = e.duration();
                Timestamp::from_unix_normalized(
                    -i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                    -i64::from(d.subsec_nanos()),
                )
            }
        }
    }

    pub fn now() -> Timestamp {
        Timestamp::from_system_time(SystemTime::now())
    }

    /// Go's `Time.Unix()`: whole seconds since 1970 (rounded down).
    pub const fn unix_secs(self) -> i64 {
        self.secs
    }

    /// Go's `Time.Nanosecond()`.
    pub const fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// Go's `Time.IsZero()`.
    pub fn is_zero(self) -> bool {
        self == Timestamp::ZERO
    }

    /// Go's `Time.Add`, saturating at the ends of the representable range.
    pub fn add_duration(self, d: GoDuration) -> Timestamp {
        let d = d.as_nanos();
        let secs = self.secs.saturating_add(d / SECOND.as_nanos());
        Timestamp::from_unix_normalized(secs, i64::from(self.nanos) + d % SECOND.as_nanos())
    }

    /// Go's `Time.Sub`: `self - earlier`, saturating at Go's duration limits.
    pub fn duration_since(self, earlier: Timestamp) -> GoDuration {
        let nanos = (i128::from(self.secs) - i128::from(earlier.secs)) * i128::from(NANOS_PER_SEC)
            + (i128::from(self.nanos) - i128::from(earlier.nanos));
        GoDuration(nanos.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }

    /// The calendar date and time at UTC offset `utc_offset_secs` (east of UTC is positive).
    pub fn to_civil(self, utc_offset_secs: i32) -> CivilDateTime {
        let local = self.secs.saturating_add(i64::from(utc_offset_secs));
        let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        CivilDateTime {
            year,
            month,
            day,
            hour: (secs / 3600) as u32,
            minute: (secs / 60 % 60) as u32,
            second: (secs % 60) as u32,
            nanosecond: self.nanos,
        }
    }

    /// The instant of a calendar date and time at UTC offset `utc_offset_secs`.
    pub fn from_civil(c: CivilDateTime, utc_offset_secs: i32) -> Timestamp {
        let days = days_from_civil(c.year, c.month, c.day);
        let secs = days
            .saturating_mul(86_400)
            .saturating_add(
                i64::from(c.hour) * 3600 + i64::from(c.minute) * 60 + i64::from(c.second),
            )
            .saturating_sub(i64::from(utc_offset_secs));
        Timestamp::from_unix_normalized(secs, i64::from(c.nanosecond))
    }

    /// Go's `Format(time.RFC3339Nano)` in UTC: `2026-11-23T18:31:29.123456789Z`, trailing zeros of
    /// the fraction dropped, no fraction at all on whole seconds.
    pub fn to_rfc3339_nano(self) -> String {
        self.to_rfc3339_nano_with_offset(0)
    }

    /// Go's `Format(time.RFC3339Nano)` at a fixed UTC offset: `2006-01-02T15:04:05.5+07:00`.
    pub fn to_rfc3339_nano_with_offset(self, utc_offset_secs: i32) -> String {
        let c = self.to_civil(utc_offset_secs);
        let mut s = String::with_capacity(35);
        if c.year < 0 {
            s.push('-');
        }
        s.push_str(&format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            c.year.unsigned_abs(),
            c.month,
            c.day,
            c.hour,
            c.minute,
            c.second
        ));
        if c.nanosecond != 0 {
            let frac = format!("{:09}", c.nanosecond);
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        let zone_minutes = utc_offset_secs / 60;
        if zone_minutes == 0 {
            s.push('Z');
        } else {
            let sign = if zone_minutes < 0 { '-' } else { '+' };
            let m = zone_minutes.unsigned_abs();
            s.push_str(&format!("{sign}{:02}:{:02}", m / 60, m % 60));
        }
        s
    }

    /// Go's `time.Parse(time.RFC3339Nano, s)`: RFC 3339 with optional fraction and a `Z` or
    /// `±hh:mm` zone. Errors are Go's `parsing time "…" as "…": cannot parse "…" as "…"`.
    pub fn parse_rfc3339(s: &str) -> Result<Timestamp, TimeParseError> {
        layout::parse(layout::RFC3339_NANO, s, 0)
    }
}

/// [`Timestamp::to_rfc3339_nano`].
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339_nano())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl FromStr for Timestamp {
    type Err = TimeParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse_rfc3339(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_value() {
        assert_eq!(Timestamp::ZERO.to_string(), "0001-01-01T00:00:00Z");
        assert!(
            Timestamp::parse_rfc3339("0001-01-01T00:00:00Z")
                .unwrap()
                .is_zero()
        );
        assert_eq!(Timestamp::UNIX_EPOCH.to_string(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn rfc3339_nano_round_trip() {
        let t = Timestamp::parse_rfc3339("2026-11-23T18:31:29.123456789Z").unwrap();
        assert_eq!(t.to_string(), "2026-11-23T18:31:29.123456789Z");
        assert_eq!(t.subsec_nanos(), 123_456_789);
        let t = Timestamp::parse_rfc3339("2006-01-02T15:04:05.5+07:00").unwrap();
        assert_eq!(t.to_string(), "2006-01-02T08:04:05.5Z");
        assert_eq!(
            t.to_rfc3339_nano_with_offset(7 * 3600),
            "2006-01-02T15:04:05.5+07:00"
        );
        assert_eq!(
            t.to_rfc3339_nano_with_offset(-(5 * 3600 + 30 * 60)),
            "2006-01-02T02:34:05.5-05:30"
        );
        let t = Timestamp::from_unix(1_136_214_245, 120_000_000).unwrap();
        assert_eq!(t.to_string(), "2006-01-02T15:04:05.12Z");
        assert_eq!(
            Timestamp::parse_rfc3339("2006-01-02T15:04:05,1234567891Z")
                .unwrap()
                .subsec_nanos(),
            123_456_789
        );
    }

    #[test]
    fn rfc3339_errors_are_gos() {
        let msg = |s: &str| Timestamp::parse_rfc3339(s).unwrap_err().to_string();
        assert_eq!(
            msg("2006-01-02 15:04:05Z"),
            r#"parsing time "2006-01-02 15:04:05Z" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse " 15:04:05Z" as "T""#
        );
        assert_eq!(
            msg("2006-13-02T15:04:05Z"),
            r#"parsing time "2006-13-02T15:04:05Z": month out of range"#
        );
        assert_eq!(
            msg("2006-02-30T15:04:05Z"),
            r#"parsing time "2006-02-30T15:04:05Z": day out of range"#
        );
        assert_eq!(
            msg("2006-01-02T15:04:05Zjunk"),
            r#"parsing time "2006-01-02T15:04:05Zjunk": extra text: "junk""#
        );
        assert_eq!(
            msg("2006-01-02T15:04:05"),
            r#"parsing time "2006-01-02T15:04:05" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "" as "Z07:00""#
        );
    }

    #[test]
    fn arithmetic() {
        let t = Timestamp::from_unix(10, 500_000_000).unwrap();
        assert_eq!(
            t.add_duration(GoDuration(-600_000_000)),
            Timestamp::from_unix(9, 900_000_000).unwrap()
        );
        assert_eq!(
            t.duration_since(Timestamp::UNIX_EPOCH),
            GoDuration(10_500_000_000)
        );
        assert_eq!(
            Timestamp::from_unix_normalized(0, -1),
            Timestamp::from_unix(-1, 999_999_999).unwrap()
        );
        assert_eq!(
            Timestamp::now().duration_since(Timestamp::ZERO),
            GoDuration(i64::MAX)
        );
        let c = Timestamp::from_unix(-1, 0).unwrap().to_civil(0);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.minute, c.second),
            (1969, 12, 31, 23, 59, 59)
        );
        assert_eq!(
            Timestamp::from_civil(c, 0),
            Timestamp::from_unix(-1, 0).unwrap()
        );
    }
}
