//! Time as image configs record it (RFC 3339 with nanoseconds, UTC).

use wharf_units::Timestamp;

pub fn now_rfc3339() -> String {
    Timestamp::now().to_rfc3339_nano()
}

/// Unix seconds of an RFC 3339 time, if it parses.
pub fn unix_secs(rfc3339: &str) -> Option<i64> {
    Timestamp::parse_rfc3339(rfc3339)
        .ok()
        .map(|t| t.unix_secs())
}
