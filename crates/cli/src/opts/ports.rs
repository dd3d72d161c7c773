//! `-p`/`--publish` and `--expose` as go-connections' `nat` package parses them:
//! `[ip:][hostPort:]containerPort[/proto]`, ranges, and the long `published=,target=` form.

use std::collections::BTreeMap;
use std::net::IpAddr;

/// One host binding of a container port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub host_ip: String,
    pub host_port: String,
}

/// Exposed ports (`80/tcp`) and their bindings, in the API's key form.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Ports {
    pub exposed: Vec<String>,
    pub bindings: BTreeMap<String, Vec<Binding>>,
}

/// `convertToStandardNotation`: `published=8080,target=80[,protocol=udp]` → `8080:80/udp`.
pub fn standard_notation(spec: &str) -> Result<String, String> {
    if !spec.contains('=') {
        return Ok(spec.to_string());
    }
    let mut params: BTreeMap<&str, &str> = BTreeMap::from([("protocol", "tcp")]);
    for param in spec.split(',') {
        match param.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                params.insert(k, v);
            }
            _ => {
                return Err(format!(
                    "invalid publish opts format (should be name=value but got '{param}')"
                ));
            }
        }
    }
    let get = |k: &str| params.get(k).copied().unwrap_or("");
    Ok(format!(
        "{}:{}/{}",
        get("published"),
        get("target"),
        get("protocol")
    ))
}

/// `nat.ParsePortRange`.
pub fn parse_range(ports: &str) -> Result<(u16, u16), String> {
    if ports.is_empty() {
        return Err("empty string specified for ports".into());
    }
    let num = |s: &str| s.parse::<u16>().map_err(|_| format!("invalid port {s}"));
    match ports.split_once('-') {
        None => {
            let p = num(ports)?;
            Ok((p, p))
        }
        Some((a, b)) => {
            let b = b.split('-').next().unwrap_or(b);
            let (s, e) = (num(a)?, num(b)?);
            if e < s {
                return Err(format!("invalid range specified for port: {ports}"));
            }
            Ok((s, e))
        }
    }
}

/// `nat.SplitProtoPort`: `80/udp` → (`udp`, `80`).
fn split_proto(raw: &str) -> (String, String) {
    let parts: Vec<&str> = raw.split('/').collect();
    if raw.is_empty() || parts[0].is_empty() {
        return (String::new(), String::new());
    }
    if parts.len() == 1 || parts[1].is_empty() {
        return ("tcp".into(), parts[0].to_string());
    }
    (parts[1].to_string(), parts[0].to_string())
}

fn split_parts(raw: &str) -> (String, String, String) {
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    let container = parts[n - 1].to_string();
    match n {
        1 => (String::new(), String::new(), container),
        2 => (String::new(), parts[0].to_string(), container),
        3 => (parts[0].to_string(), parts[1].to_string(), container),
        _ => (
            parts[..n - 2].join(":"),
            parts[n - 2].to_string(),
            container,
        ),
    }
}

/// `nat.ParsePortSpecs` over every `-p` value (after [`standard_notation`]).
pub fn parse_publish(specs: &[String]) -> Result<Ports, String> {
    let mut out = Ports::default();
    for spec in specs {
        let raw = standard_notation(spec)?;
        let (mut ip, host_port, container) = split_parts(&raw);
        let (proto, container) = split_proto(&container);
        if ip.starts_with('[') {
            ip = ip
                .strip_prefix('[')
                .and_then(|s| s.strip_suffix(']'))
                .map(str::to_string)
                .ok_or_else(|| format!("invalid IP address {ip}: missing ']' in address"))?;
        }
        if !ip.is_empty() && ip.parse::<IpAddr>().is_err() {
            return Err(format!("invalid IP address: {ip}"));
        }
        if container.is_empty() {
            return Err(format!("no port specified: {raw}<empty>"));
        }
        let (start, end) =
            parse_range(&container).map_err(|_| format!("invalid containerPort: {container}"))?;
        let (hstart, hend) = if host_port.is_empty() {
            (0, 0)
        } else {
            parse_range(&host_port).map_err(|_| format!("invalid hostPort: {host_port}"))?
        };
        if !host_port.is_empty() && end - start != hend - hstart && end != start {
            return Err(format!(
                "invalid ranges specified for container and host Ports: {container} and {host_port}"
            ));
        }
        let proto_l = proto.to_ascii_lowercase();
        if !["tcp", "udp", "sctp"].contains(&proto_l.as_str()) {
            return Err(format!("invalid proto: {proto}"));
        }
        for i in 0..=(end - start) {
            let port = format!("{}/{proto_l}", start + i);
            let mut hp = String::new();
            if !host_port.is_empty() {
                hp = (hstart + i).to_string();
            }
            if start == end && hstart != hend {
                hp = format!("{hp}-{hend}");
            }
            if !out.exposed.contains(&port) {
                out.exposed.push(port.clone());
            }
            out.bindings.entry(port).or_default().push(Binding {
                host_ip: ip.clone(),
                host_port: hp,
            });
        }
    }
    Ok(out)
}

/// `--expose 80`, `--expose 7000-7002/udp`.
pub fn parse_expose(spec: &str) -> Result<Vec<String>, String> {
    let (proto, port) = split_proto(spec);
    let (s, e) = parse_range(&port)
        .map_err(|e| format!("invalid range format for --expose: {spec}, error: {e}"))?;
    Ok((s..=e).map(|p| format!("{p}/{proto}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(ip: &str, port: &str) -> Binding {
        Binding {
            host_ip: ip.into(),
            host_port: port.into(),
        }
    }

    #[test]
    fn publish_specs_parse_like_nat() {
        let p = parse_publish(&[
            "8080:80".into(),
            "127.0.0.1::53/udp".into(),
            "9000-9001:90-91".into(),
        ])
        .unwrap();
        assert_eq!(p.exposed, vec!["80/tcp", "53/udp", "90/tcp", "91/tcp"]);
        assert_eq!(p.bindings["80/tcp"], vec![b("", "8080")]);
        assert_eq!(p.bindings["53/udp"], vec![b("127.0.0.1", "")]);
        assert_eq!(p.bindings["91/tcp"], vec![b("", "9001")]);
        let p = parse_publish(&["8000-8010:80".into(), "[::1]:81:81".into()]).unwrap();
        assert_eq!(p.bindings["80/tcp"], vec![b("", "8000-8010")]);
        assert_eq!(p.bindings["81/tcp"], vec![b("::1", "81")]);
        let p = parse_publish(&["published=8080,target=80,protocol=udp".into()]).unwrap();
        assert_eq!(p.bindings["80/udp"], vec![b("", "8080")]);
    }

    #[test]
    fn bad_publish_specs_fail_with_nats_words() {
        let e = |s: &str| parse_publish(&[s.to_string()]).unwrap_err();
        assert_eq!(e("99999:80"), "invalid hostPort: 99999");
        assert_eq!(e("80:x"), "invalid containerPort: x");
        assert_eq!(e("80/icmp"), "invalid proto: icmp");
        assert_eq!(e("nope:80:80"), "invalid IP address: nope");
        assert_eq!(
            e("1-3:5-6"),
            "invalid ranges specified for container and host Ports: 5-6 and 1-3"
        );
    }

    #[test]
    fn expose_ranges() {
        assert_eq!(
            parse_expose("7000-7001/udp").unwrap(),
            vec!["7000/udp", "7001/udp"]
        );
        assert_eq!(parse_expose("80").unwrap(), vec!["80/tcp"]);
    }
}
