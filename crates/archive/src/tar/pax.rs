//! PAX extended header records (`"%d %s=%s\n"`) and the value syntaxes they use.

use super::Timestamp;

/// Keys whose values are names and so may not contain NUL.
const NAME_KEYS: [&str; 4] = ["path", "linkpath", "uname", "gname"];

/// Splits the data of a PAX header into `(key, value)` records, in order.
pub(crate) fn parse_records(mut data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let space = data
            .iter()
            .position(|&c| c == b' ')
            .ok_or("PAX record without a length")?;
        let len_str = std::str::from_utf8(&data[..space]).map_err(|_| "bad PAX record length")?;
        let len: usize = len_str
            .parse()
            .ok()
            .filter(|&n| n > space + 1 && n <= data.len())
            .ok_or_else(|| format!("bad PAX record length {len_str:?}"))?;
        let (record, rest) = data.split_at(len);
        let body = &record[space + 1..];
        let Some((&b'\n', kv)) = body.split_last() else {
            return Err("PAX record does not end in a newline".into());
        };
        let eq = kv
            .iter()
            .position(|&c| c == b'=')
            .ok_or("PAX record without '='")?;
        let key = std::str::from_utf8(&kv[..eq]).map_err(|_| "PAX key is not UTF-8")?;
        let value = &kv[eq + 1..];
        if key.is_empty() {
            return Err("PAX record with an empty key".into());
        }
        if NAME_KEYS.contains(&key) && value.contains(&0) {
            return Err(format!("PAX {key} record contains NUL"));
        }
        out.push((key.to_string(), value.to_vec()));
        data = rest;
    }
    Ok(out)
}

/// Encodes records in the given order.
pub(crate) fn format_records(records: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in records {
        let base = k.len() + v.len() + 3; // space, '=', newline
        let mut len = base + decimal_digits(base);
        if decimal_digits(len) + base != len {
            len = base + decimal_digits(len);
        }
        out.extend_from_slice(len.to_string().as_bytes());
        out.push(b' ');
        out.extend_from_slice(k.as_bytes());
        out.push(b'=');
        out.extend_from_slice(v);
        out.push(b'\n');
    }
    out
}

fn decimal_digits(n: usize) -> usize {
    n.to_string().len()
}

/// A non-negative decimal integer (`size`, `uid`, `gid`).
pub(crate) fn parse_u64(v: &[u8]) -> Result<u64, String> {
    std::str::from_utf8(v)
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("invalid number {:?}", String::from_utf8_lossy(v)))
}

/// `secs[.fraction]`, possibly negative; digits beyond nanoseconds are dropped.
pub(crate) fn parse_time(v: &[u8]) -> Result<Timestamp, String> {
    let bad = || format!("invalid time {:?}", String::from_utf8_lossy(v));
    let s = std::str::from_utf8(v).map_err(|_| bad())?;
    let (secs_str, frac) = match s.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let secs: i64 = secs_str.parse().map_err(|_| bad())?;
    let Some(frac) = frac else {
        return Ok(Timestamp::new(secs, 0));
    };
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let mut nanos: u32 = 0;
    for i in 0..9 {
        let d = frac.as_bytes().get(i).map_or(0, |c| u32::from(c - b'0'));
        nanos = nanos * 10 + d;
    }
    if secs_str.starts_with('-') && nanos > 0 {
        // -1.25 is -1 s minus 0.25 s, i.e. -2 s plus 0.75 s.
        let secs = secs.checked_sub(1).ok_or_else(bad)?;
        return Ok(Timestamp::new(secs, 1_000_000_000 - nanos));
    }
    Ok(Timestamp::new(secs, nanos))
}

pub(crate) fn format_time(t: Timestamp) -> String {
    if t.nanos == 0 {
        return t.secs.to_string();
    }
    let (sign, secs, nanos) = if t.secs < 0 {
        ("-", (t.secs + 1).unsigned_abs(), 1_000_000_000 - t.nanos)
    } else {
        ("", t.secs.unsigned_abs(), t.nanos)
    };
    let frac = format!("{nanos:09}");
    format!("{sign}{secs}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_including_length_digit_carry() {
        // A record whose length is exactly at a digit boundary (98 vs 100).
        for vlen in 85..100 {
            let recs = vec![
                ("path".to_string(), vec![b'a'; vlen]),
                ("k".into(), b"v\nx".to_vec()),
            ];
            let data = format_records(&recs);
            assert_eq!(parse_records(&data).unwrap(), recs);
        }
        assert_eq!(
            format_records(&[("path".into(), b"foo".to_vec())]),
            b"12 path=foo\n"
        );
    }

    #[test]
    fn malformed_records_are_rejected() {
        for bad in [
            &b"12 path=foo"[..],
            b"4 a=b\n",
            b"x path=foo\n",
            b"13 path=fo\0o\n",
            b"6 =ab\n",
        ] {
            assert!(
                parse_records(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn times_with_fractions_and_signs() {
        assert_eq!(
            parse_time(b"1350244992.023960108"),
            Ok(Timestamp::new(1350244992, 23960108))
        );
        assert_eq!(parse_time(b"1.5"), Ok(Timestamp::new(1, 500_000_000)));
        assert_eq!(parse_time(b"-1.25"), Ok(Timestamp::new(-2, 750_000_000)));
        assert_eq!(parse_time(b"-0.5"), Ok(Timestamp::new(-1, 500_000_000)));
        assert_eq!(
            parse_time(b"7.0123456789"),
            Ok(Timestamp::new(7, 12_345_678))
        );
        assert!(parse_time(b"1.x").is_err());
        assert!(parse_time(b"").is_err());
        for t in [
            Timestamp::new(5, 0),
            Timestamp::new(1, 500_000_000),
            Timestamp::new(-2, 750_000_000),
        ] {
            assert_eq!(parse_time(format_time(t).as_bytes()), Ok(t));
        }
        assert_eq!(format_time(Timestamp::new(-2, 750_000_000)), "-1.25");
    }
}
