//! Feeds arbitrary strings to every parser of wharf-units: none may panic, and values that
//! parse must print back to strings that parse to the same value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_units::{
    GoDuration, Timestamp, Ulimit, bytes_size, from_human_size, get_timestamp, human_duration,
    human_size, human_size_with_precision, parse_time, parse_timestamps, ram_in_bytes,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(bytes) = <[u8; 8]>::try_from(data.get(..8).unwrap_or_default()) {
        let x = f64::from_bits(u64::from_le_bytes(bytes));
        let _ = (
            human_size(x),
            bytes_size(x),
            human_size_with_precision(x, usize::from(data[0] % 20)),
        );
        let d = GoDuration(i64::from_le_bytes(bytes));
        assert_eq!(d.to_string().parse::<GoDuration>(), Ok(d));
        let _ = human_duration(d);
        if let Some(t) = Timestamp::from_unix(i64::from_le_bytes(bytes) >> 20, 0) {
            let _ = t.to_string();
        }
    }
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = (from_human_size(s), ram_in_bytes(s));
    if let Ok(d) = GoDuration::parse(s) {
        assert_eq!(d.to_string().parse::<GoDuration>(), Ok(d), "{s:?}");
    }
    if let Ok(t) = Timestamp::parse_rfc3339(s) {
        assert_eq!(t.to_string().parse::<Timestamp>(), Ok(t), "{s:?}");
    }
    if let Ok(u) = Ulimit::parse(s) {
        assert_eq!(u.to_string().parse::<Ulimit>(), Ok(u.clone()), "{s:?}");
        let _ = u.rlimit();
    }
    let now = Timestamp::from_unix(1_700_000_000, 123_456_789).unwrap_or(Timestamp::UNIX_EPOCH);
    let _ = (
        get_timestamp(s, now, 3600),
        parse_time(s, now, -7200),
        parse_timestamps(s, 0),
    );
});
