//! The files dockerd generates per container and bind-mounts over `/etc/hostname`,
//! `/etc/hosts` and `/etc/resolv.conf`.

use std::path::Path;

pub const HOSTS: &str = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";

/// `/etc/hosts`: the standard entries, `--add-host` entries, and the container's own name on
/// the loopback address while it has no network of its own (until bridge networking).
pub fn hosts(hostname: &str, extra: &[String], host_network: bool) -> String {
    if host_network {
        return std::fs::read_to_string("/etc/hosts").unwrap_or_else(|_| HOSTS.into());
    }
    let mut s = HOSTS.to_string();
    for e in extra {
        if let Some((name, ip)) = e.split_once(':') {
            s.push_str(&format!("{ip}\t{name}\n"));
        }
    }
    if !hostname.is_empty() {
        s.push_str(&format!("127.0.1.1\t{hostname}\n"));
    }
    s
}

/// `/etc/resolv.conf`: the host's, with loopback nameservers dropped (they cannot be reached
/// from the container's network namespace) and Google's public servers when none remain, as
/// dockerd does; `--dns`, `--dns-search`, `--dns-option` replace the host's settings.
pub fn resolv_conf(
    dns: &[String],
    search: &[String],
    options: &[String],
    host_network: bool,
) -> String {
    let host = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    if host_network && dns.is_empty() && search.is_empty() && options.is_empty() {
        return host;
    }
    let mut out = String::new();
    let mut servers = 0;
    for line in host.lines() {
        let t = line.trim();
        let mut words = t.split_whitespace();
        match words.next() {
            Some("nameserver") => {
                let ip = words.next().unwrap_or("");
                let loopback = ip.starts_with("127.") || ip == "::1";
                if dns.is_empty() && (!loopback || host_network) {
                    out.push_str(t);
                    out.push('\n');
                    servers += 1;
                }
            }
            Some("search") | Some("domain") if !search.is_empty() => {}
            Some("options") if !options.is_empty() => {}
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    for d in dns {
        out.push_str(&format!("nameserver {d}\n"));
        servers += 1;
    }
    if servers == 0 {
        out.push_str("nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    }
    if !search.is_empty() {
        out.push_str(&format!("search {}\n", search.join(" ")));
    }
    if !options.is_empty() {
        out.push_str(&format!("options {}\n", options.join(" ")));
    }
    out
}

pub fn write(dir: &Path, name: &str, content: &str) -> std::io::Result<()> {
    std::fs::write(dir.join(name), content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_lists_extra_hosts_and_the_hostname() {
        let h = hosts("abc", &["db:10.0.0.2".into()], false);
        assert!(h.starts_with("127.0.0.1\tlocalhost\n"));
        assert!(h.contains("10.0.0.2\tdb\n"));
        assert!(h.ends_with("127.0.1.1\tabc\n"));
    }

    #[test]
    fn explicit_dns_replaces_the_hosts_servers() {
        let r = resolv_conf(&["1.1.1.1".into()], &["example.com".into()], &[], false);
        assert!(r.contains("nameserver 1.1.1.1\n"));
        assert!(r.contains("search example.com\n"));
        assert_eq!(r.matches("nameserver").count(), 1);
    }
}
