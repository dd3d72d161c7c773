//! EXPOSE port specifications (buildkit `dockerfile2llb/convert_expose.go`).
//!
//! Each (already expanded) word is `[ip:][hostPort:]port[-endPort][/proto]`
//! with proto `tcp` (default), `udp` or `sctp`, case-insensitive. The IP and
//! host port are accepted for compatibility and ignored; a range yields one
//! entry per port. The result entries are `"<port>/<proto>"`.

use std::net::IpAddr;

use crate::gostr;

/// An invalid EXPOSE word, worded as buildkit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ExposeError(String);

fn parse_port_number(raw: &str) -> Result<u32, String> {
    if raw.is_empty() {
        return Err("value is empty".into());
    }
    match gostr::parse_int(raw, 64) {
        Ok(p) if (0..=65535).contains(&p) => Ok(p as u32),
        Ok(_) => Err("value out of range (0–65535)".into()),
        Err(gostr::IntError::Syntax) => Err("invalid syntax".into()),
        Err(gostr::IntError::Range) => Err("value out of range".into()),
    }
}

fn parse_port_range(ports: &str) -> Result<(u32, u32), String> {
    if ports.is_empty() {
        return Err("empty string specified for ports".into());
    }
    let (start, end) = match ports.split_once('-') {
        Some((s, e)) => (s, Some(e)),
        None => (ports, None),
    };
    let lo = parse_port_number(start).map_err(|e| format!("invalid start port '{start}': {e}"))?;
    let Some(end) = end.filter(|e| *e != start) else {
        return Ok((lo, lo));
    };
    let hi = parse_port_number(end).map_err(|e| format!("invalid end port '{end}': {e}"))?;
    if hi < lo {
        return Err(format!("invalid port range: {ports}"));
    }
    Ok((lo, hi))
}

/// Expand one EXPOSE word into `port/proto` entries.
pub fn parse_port_spec(raw: &str) -> Result<Vec<String>, ExposeError> {
    let parts: Vec<&str> = raw.split(':').collect();
    let (ip, host, container) = match parts.len() {
        1 => (String::new(), "", parts[0]),
        2 => (String::new(), parts[0], parts[1]),
        n => (parts[..n - 2].join(":"), parts[n - 2], parts[n - 1]),
    };
    let (port, proto) = container.split_once('/').unwrap_or((container, ""));
    if port.is_empty() {
        return Err(ExposeError(format!(
            "invalid port: {}: no port specified",
            gostr::quote(raw)
        )));
    }
    let proto = match proto.to_lowercase().as_str() {
        "" => "tcp".to_string(),
        "tcp" | "udp" | "sctp" => proto.to_string(),
        _ => {
            return Err(ExposeError(format!(
                "invalid port: {}: invalid proto: {proto}",
                gostr::quote(raw)
            )));
        }
    };
    let mut ip = ip;
    if ip.starts_with('[') {
        match ip.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            Some(inner) if !inner.contains(['[', ']']) => ip = inner.to_string(),
            _ => return Err(ExposeError(format!("invalid IP address {ip}"))),
        }
    }
    if !ip.is_empty() && ip.parse::<IpAddr>().is_err() {
        return Err(ExposeError(format!("invalid IP address: {ip}")));
    }
    let (lo, hi) = parse_port_range(port)
        .map_err(|_| ExposeError(format!("invalid containerPort: {port}")))?;
    if !host.is_empty() {
        let (hlo, hhi) =
            parse_port_range(host).map_err(|_| ExposeError(format!("invalid hostPort: {host}")))?;
        if hi - lo != hhi - hlo && hi != lo {
            return Err(ExposeError(format!(
                "invalid ranges specified for container and host Ports: {port} and {host}"
            )));
        }
    }
    let proto = proto.to_lowercase();
    Ok((lo..=hi).map(|p| format!("{p}/{proto}")).collect())
}

/// Expand every EXPOSE word (buildkit `parsePorts`).
pub fn parse_port_specs<S: AsRef<str>>(ports: &[S]) -> Result<Vec<String>, ExposeError> {
    let mut out = Vec::new();
    for p in ports {
        out.extend(parse_port_spec(p.as_ref())?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(spec: &str) -> Vec<String> {
        parse_port_spec(spec).unwrap()
    }

    #[test]
    fn vectors_from_convert_expose_test() {
        assert_eq!(
            parse_port_spec("").unwrap_err().to_string(),
            "invalid port: \"\": no port specified"
        );
        assert_eq!(
            parse_port_spec("0.0.0.0:1234-1235:/tcp")
                .unwrap_err()
                .to_string(),
            "invalid port: \"0.0.0.0:1234-1235:/tcp\": no port specified"
        );
        assert_eq!(
            ok("0.0.0.0:1234-1235:3333-3334/tcp"),
            ["3333/tcp", "3334/tcp"]
        );
        assert_eq!(ok("[2001:4860:0:2001::68]::333"), ["333/tcp"]);
        assert_eq!(ok("[::1]:80:80"), ["80/tcp"]);
        assert_eq!(ok("2001:4860:0:2001::68::333"), ["333/tcp"]);
        assert_eq!(ok("::1:80:80"), ["80/tcp"]);
        assert_eq!(ok("::::80"), ["80/tcp"]);
        assert_eq!(
            parse_port_specs(&["1234/tcp", "2345/udp", "3456/sctp"]).unwrap(),
            ["1234/tcp", "2345/udp", "3456/sctp"]
        );
        assert_eq!(
            parse_port_specs(&["0.0.0.0:1234:1234/tcp", "0.0.0.0:2345:2345/udp"]).unwrap(),
            ["1234/tcp", "2345/udp"]
        );
        assert!(parse_port_spec("localhost:1234:1234/tcp").is_err());
        assert_eq!(ok("1234-1236/tcp"), ["1234/tcp", "1235/tcp", "1236/tcp"]);
        assert_eq!(
            ok("1234-1236:1234-1236/tcp"),
            ["1234/tcp", "1235/tcp", "1236/tcp"]
        );
        assert_eq!(ok("80/TCP"), ["80/tcp"]);
        assert_eq!(
            parse_port_spec("80/icmp").unwrap_err().to_string(),
            "invalid port: \"80/icmp\": invalid proto: icmp"
        );
        assert_eq!(
            parse_port_spec("70000").unwrap_err().to_string(),
            "invalid containerPort: 70000"
        );
        assert_eq!(
            parse_port_spec("90-80").unwrap_err().to_string(),
            "invalid containerPort: 90-80"
        );
        assert!(parse_port_spec("1000-1001:80-90").is_err());
    }
}
