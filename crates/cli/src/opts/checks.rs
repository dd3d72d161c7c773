//! Flag value checks with docker's wording: each is a [`crate::flags::Check`] (run as the flag
//! is parsed, like a pflag `Value.Set`) plus, where the value is typed, the parser the command
//! uses afterwards.

use std::net::IpAddr;

use wharf_units::{GoDuration, NumError, NumErrorKind, Ulimit};

/// `opts.ValidateEnv`: a name is required; `NAME` alone takes the value from the CLI's own
/// environment when it has one.
pub fn env(v: &str) -> Result<String, String> {
    let (k, has_value) = match v.split_once('=') {
        Some((k, _)) => (k, true),
        None => (v, false),
    };
    if k.is_empty() {
        return Err(format!("invalid environment variable: {v}"));
    }
    if has_value {
        return Ok(v.to_string());
    }
    Ok(match std::env::var(k) {
        Ok(val) => format!("{k}={val}"),
        Err(_) => v.to_string(),
    })
}

/// `opts.ValidateLabel`.
pub fn label(v: &str) -> Result<String, String> {
    let key = v.split_once('=').map(|(k, _)| k).unwrap_or(v);
    let key = key.trim_start_matches([' ', '\t']);
    if key.is_empty() {
        return Err(format!("invalid label '{v}': empty name"));
    }
    if key.contains([' ', '\t']) {
        return Err(format!("label '{key}' contains whitespaces"));
    }
    Ok(v.to_string())
}

/// `opts.ValidateExtraHost`: `host:ip` or `host=ip` (brackets allowed around the address),
/// sent to the engine as `host:ip`.
pub fn extra_host(v: &str) -> Result<String, String> {
    let (k, ip) = v
        .split_once('=')
        .or_else(|| v.split_once(':'))
        .filter(|(k, _)| !k.is_empty() && !k.contains(':'))
        .ok_or_else(|| format!("bad format for add-host: {v:?}"))?;
    if ip != "host-gateway" {
        let bare = if ip.len() > 2 && ip.starts_with('[') && ip.ends_with(']') {
            &ip[1..ip.len() - 1]
        } else {
            ip
        };
        if bare.trim().parse::<IpAddr>().is_err() {
            return Err(format!("invalid IP address in add-host: {bare:?}"));
        }
        return Ok(format!("{k}:{bare}"));
    }
    Ok(format!("{k}:{ip}"))
}

/// `opts.ValidateLink`: `name` or `name:alias`.
pub fn link(v: &str) -> Result<String, String> {
    if v.is_empty() {
        return Err("empty string specified for links".into());
    }
    if v.splitn(3, ':').count() > 2 {
        return Err(format!("bad format for links: {v}"));
    }
    Ok(v.to_string())
}

/// `opts.ValidateIPAddress`: the address in canonical form.
pub fn ip(v: &str) -> Result<String, String> {
    v.trim()
        .parse::<IpAddr>()
        .map(|a| a.to_string())
        .map_err(|_| format!("IP address is not correctly formatted: {v}"))
}

/// `-a`: stdin, stdout or stderr in any case.
pub fn attach(v: &str) -> Result<String, String> {
    let l = v.to_ascii_lowercase();
    if ["stdin", "stdout", "stderr"].contains(&l.as_str()) {
        Ok(l)
    } else {
        Err("valid streams are STDIN, STDOUT and STDERR".into())
    }
}

/// `opts.MemBytes`: `512m`, `1g`, bytes.
pub fn mem_bytes(v: &str) -> Result<String, String> {
    wharf_units::ram_in_bytes(v)
        .map(|n| n.to_string())
        .map_err(|e| e.to_string())
}

/// `opts.MemSwapBytes`: like [`mem_bytes`], and `-1` for unlimited.
pub fn mem_swap(v: &str) -> Result<String, String> {
    if v == "-1" {
        return Ok("-1".into());
    }
    mem_bytes(v)
}

/// `opts.NanoCPUs`: a rational number of CPUs, kept as nano-CPUs.
pub fn nano_cpus(v: &str) -> Result<String, String> {
    parse_cpus(v).map(|n| n.to_string())
}

/// `opts.ParseCPUs`: `1.5`, `3/2`, `2e-1` → nano-CPUs; must come out whole.
pub fn parse_cpus(v: &str) -> Result<i64, String> {
    let not_rational = || format!("failed to parse {v} as a rational number");
    let (num, den): (i128, i128) = match v.split_once('/') {
        Some((a, b)) => {
            let a: i128 = parse_plain_int(a).ok_or_else(not_rational)?;
            let b: i128 = parse_plain_int(b).ok_or_else(not_rational)?;
            if b == 0 {
                return Err(not_rational());
            }
            (a, b)
        }
        None => decimal_ratio(v).ok_or_else(not_rational)?,
    };
    let scaled = num
        .checked_mul(1_000_000_000)
        .ok_or_else(|| "value is too precise".to_string())?;
    if scaled % den != 0 {
        return Err("value is too precise".into());
    }
    Ok((scaled / den) as i64)
}

fn parse_plain_int(s: &str) -> Option<i128> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 30 {
        return None;
    }
    s.parse().ok()
}

/// `d[.ddd][e±x]` as numerator/denominator.
fn decimal_ratio(s: &str) -> Option<(i128, i128)> {
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant.strip_prefix('+').unwrap_or(mant)),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        || int.len() + frac.len() > 30
        || exp.abs() > 30
    {
        return None;
    }
    let mut num: i128 = format!("{int}{frac}").parse().ok()?;
    if neg {
        num = -num;
    }
    let scale = exp - frac.len() as i32;
    if scale >= 0 {
        Some((num.checked_mul(10i128.checked_pow(scale as u32)?)?, 1))
    } else {
        Some((num, 10i128.checked_pow((-scale) as u32)?))
    }
}

/// pflag's integer flags: `strconv.ParseInt(s, 0, 64)` (base prefixes, underscores with a
/// prefix) and its error text.
pub fn parse_int(s: &str) -> Result<i64, NumError> {
    let err = |kind| NumError {
        func: "ParseInt",
        num: s.to_string(),
        kind,
    };
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    if digits.contains('_') && (!prefixed || digits.starts_with('_') || digits.ends_with('_')) {
        return Err(err(NumErrorKind::Syntax));
    }
    let digits = digits.replace('_', "");
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(err(NumErrorKind::Syntax));
    }
    let mag = u128::from_str_radix(&digits, radix).map_err(|_| err(NumErrorKind::Range))?;
    let limit = if neg { 1u128 << 63 } else { (1u128 << 63) - 1 };
    if mag > limit {
        return Err(err(NumErrorKind::Range));
    }
    Ok(if neg {
        (mag as i128).wrapping_neg() as i64
    } else {
        mag as i64
    })
}

/// An integer flag (`--cpu-shares`, `--pids-limit`, `--stop-timeout`, …).
pub fn int(v: &str) -> Result<String, String> {
    parse_int(v)
        .map(|n| n.to_string())
        .map_err(|e| e.to_string())
}

/// A `uint16` flag (`--blkio-weight`): `strconv.ParseUint(s, 0, 16)`.
pub fn uint16(v: &str) -> Result<String, String> {
    let err = |kind| NumError {
        func: "ParseUint",
        num: v.to_string(),
        kind,
    };
    if v.starts_with(['-', '+']) {
        return Err(err(NumErrorKind::Syntax).to_string());
    }
    match parse_int(v) {
        Ok(n) if (0..=65535).contains(&n) => Ok(n.to_string()),
        Ok(_) => Err(err(NumErrorKind::Range).to_string()),
        Err(e) => Err(NumError {
            func: "ParseUint",
            ..e
        }
        .to_string()),
    }
}

/// A Go duration flag (`--health-interval 30s`), kept as nanoseconds.
pub fn duration(v: &str) -> Result<String, String> {
    GoDuration::parse(v)
        .map(|d| d.as_nanos().to_string())
        .map_err(|e| e.to_string())
}

/// `--ulimit name=soft[:hard]`.
pub fn ulimit(v: &str) -> Result<String, String> {
    Ulimit::parse(v)
        .map(|_| v.to_string())
        .map_err(|e| e.to_string())
}

/// `--mount`: checked by parsing it.
pub fn mount(v: &str) -> Result<String, String> {
    super::mounts::parse_mount(v).map(|_| v.to_string())
}

/// The `--restart` policy as the API's `RestartPolicy` (`opts.ParseRestartPolicy`).
pub fn restart_policy(policy: &str) -> Result<(String, i64), String> {
    if policy.is_empty() {
        return Ok((String::new(), 0));
    }
    let (k, v) = policy.split_once(':').unwrap_or((policy, ""));
    if policy.contains(':') && k.is_empty() {
        return Err("invalid restart policy format: no policy provided before colon".into());
    }
    let count = if v.is_empty() {
        0
    } else {
        v.parse::<i64>().map_err(|_| {
            "invalid restart policy format: maximum retry count must be an integer".to_string()
        })?
    };
    Ok((k.to_string(), count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_takes_host_values_for_bare_names() {
        assert_eq!(env("A=1").unwrap(), "A=1");
        assert_eq!(env("A=").unwrap(), "A=");
        assert_eq!(env("=x").unwrap_err(), "invalid environment variable: =x");
        assert_eq!(
            env("WHARF_SURELY_UNSET_VAR").unwrap(),
            "WHARF_SURELY_UNSET_VAR"
        );
        let path = std::env::var("PATH").unwrap();
        assert_eq!(env("PATH").unwrap(), format!("PATH={path}"));
    }

    #[test]
    fn labels_hosts_links_and_ips_use_dockers_words() {
        assert_eq!(label("=x").unwrap_err(), "invalid label '=x': empty name");
        assert_eq!(
            label("a b=1").unwrap_err(),
            "label 'a b' contains whitespaces"
        );
        assert_eq!(
            extra_host("foo").unwrap_err(),
            "bad format for add-host: \"foo\""
        );
        assert_eq!(extra_host("db=10.0.0.2").unwrap(), "db:10.0.0.2");
        assert_eq!(extra_host("v6:[::1]").unwrap(), "v6:::1");
        assert_eq!(extra_host("gw:host-gateway").unwrap(), "gw:host-gateway");
        assert_eq!(
            extra_host("x:nope").unwrap_err(),
            "invalid IP address in add-host: \"nope\""
        );
        assert_eq!(link("a:b:c").unwrap_err(), "bad format for links: a:b:c");
        assert_eq!(
            ip("foo").unwrap_err(),
            "IP address is not correctly formatted: foo"
        );
        assert_eq!(ip("0:0::1").unwrap(), "::1");
        assert_eq!(attach("STDIN").unwrap(), "stdin");
    }

    #[test]
    fn sizes_cpus_and_ints() {
        assert_eq!(mem_bytes("64m").unwrap(), "67108864");
        assert_eq!(mem_bytes("x").unwrap_err(), "invalid size: 'x'");
        assert_eq!(mem_swap("-1").unwrap(), "-1");
        assert_eq!(parse_cpus("1.5"), Ok(1_500_000_000));
        assert_eq!(parse_cpus("3/2"), Ok(1_500_000_000));
        assert_eq!(parse_cpus("2e-1"), Ok(200_000_000));
        assert_eq!(
            parse_cpus("x").unwrap_err(),
            "failed to parse x as a rational number"
        );
        assert_eq!(parse_cpus("1e-10").unwrap_err(), "value is too precise");
        assert_eq!(parse_int("0x10").unwrap(), 16);
        assert_eq!(uint16("500").unwrap(), "500");
        assert_eq!(
            uint16("x").unwrap_err(),
            "strconv.ParseUint: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            uint16("70000").unwrap_err(),
            "strconv.ParseUint: parsing \"70000\": value out of range"
        );
        assert_eq!(parse_int("010").unwrap(), 8);
        assert_eq!(parse_int("-5").unwrap(), -5);
        assert_eq!(
            parse_int("x").unwrap_err().to_string(),
            "strconv.ParseInt: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            parse_int("99999999999999999999").unwrap_err().to_string(),
            "strconv.ParseInt: parsing \"99999999999999999999\": value out of range"
        );
        assert_eq!(
            duration("5").unwrap_err(),
            "time: missing unit in duration \"5\""
        );
        assert_eq!(duration("1m30s").unwrap(), "90000000000");
        assert_eq!(
            ulimit("nofile=x").unwrap_err(),
            "strconv.ParseInt: parsing \"x\": invalid syntax"
        );
    }

    #[test]
    fn restart_policies_parse_like_docker() {
        assert_eq!(restart_policy("on-failure:3"), Ok(("on-failure".into(), 3)));
        assert_eq!(restart_policy("always"), Ok(("always".into(), 0)));
        assert_eq!(
            restart_policy("on-failure:x").unwrap_err(),
            "invalid restart policy format: maximum retry count must be an integer"
        );
        assert_eq!(
            restart_policy(":1").unwrap_err(),
            "invalid restart policy format: no policy provided before colon"
        );
    }
}
