//! Docker's human units, behaving exactly like the Go code the docker CLI and daemon use:
//!
//! - sizes: docker/go-units v0.5.0 `HumanSize`, `BytesSize`, `FromHumanSize`, `RAMInBytes`;
//! - durations: Go's `time.ParseDuration` and `Duration.String`, go-units `HumanDuration`;
//! - instants: RFC 3339 with nanoseconds, Go's zero time, `--since`/`--until` parsing
//!   (moby's `timestamp` packages), civil-date conversion;
//! - `--ulimit`: go-units `ParseUlimit`.
//!
//! ```
//! use wharf_units::{GoDuration, human_duration, human_size_with_precision, ram_in_bytes};
//!
//! assert_eq!(human_size_with_precision(4_264_901.0, 3), "4.26MB");
//! assert_eq!(ram_in_bytes("512m").unwrap(), 512 * 1024 * 1024);
//! assert_eq!(human_duration(GoDuration::from_secs(120)), "2 minutes");
//! assert_eq!("1m30s".parse::<GoDuration>().unwrap().to_string(), "1m30s");
//! ```

mod civil;
mod duration;
mod gfmt;
mod gostr;
mod layout;
mod numparse;
mod quote;
mod since;
mod size;
mod timestamp;
mod ulimit;

pub use civil::{civil_from_days, days_from_civil, days_in_month, is_leap_year};
pub use duration::{
    DurationError, GoDuration, HOUR, MICROSECOND, MILLISECOND, MINUTE, NANOSECOND, SECOND,
    human_duration,
};
pub use layout::TimeParseError;
pub use numparse::{NumError, NumErrorKind};
pub use since::{
    TimestampError, UnixTimestampError, get_timestamp, parse_time, parse_timestamps,
    parse_unix_timestamp,
};
pub use size::{
    GB, GIB, KB, KIB, MB, MIB, PB, PIB, SizeError, TB, TIB, bytes_size, from_human_size,
    human_size, human_size_with_precision, ram_in_bytes,
};
pub use timestamp::{CivilDateTime, Timestamp};
pub use ulimit::{Rlimit, Ulimit, UlimitError};
