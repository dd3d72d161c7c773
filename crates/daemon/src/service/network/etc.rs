//! `/etc/hosts` and `/etc/resolv.conf` of a container on a bridge network, written when it
//! starts (its address is known then), as dockerd writes them.

use std::net::Ipv4Addr;

use crate::service::containers::files;

/// `/etc/hosts`: the standard entries, `--add-host` entries, `--link` entries
/// (`IP alias hostname name`), then the container's own address and hostname.
pub fn hosts(
    ip: Option<Ipv4Addr>,
    hostname: &str,
    domainname: &str,
    extra: &[String],
    links: &[(Ipv4Addr, String)],
) -> String {
    let mut s = files::HOSTS.to_string();
    for e in extra {
        if let Some((name, addr)) = e.split_once(':') {
            s.push_str(&format!("{addr}\t{name}\n"));
        }
    }
    for (addr, names) in links {
        s.push_str(&format!("{addr}\t{names}\n"));
    }
    if let Some(ip) = ip {
        if domainname.is_empty() {
            s.push_str(&format!("{ip}\t{hostname}\n"));
        } else {
            s.push_str(&format!("{ip}\t{hostname}.{domainname} {hostname}\n"));
        }
    }
    s
}

/// The host's resolvers (for the embedded DNS server to forward to), loopback ones included:
/// the server forwards from the host's namespace.
pub fn host_nameservers() -> Vec<std::net::SocketAddr> {
    let text = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("nameserver"))
                .then(|| w.next())
                .flatten()
                .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
                .map(|ip| std::net::SocketAddr::new(ip, 53))
        })
        .collect()
}

/// `/etc/resolv.conf` pointing at the embedded DNS server, keeping the host's (or the
/// container's) search domains and options.
pub fn embedded_resolv_conf(search: &[String], options: &[String]) -> String {
    let host = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let mut out = String::new();
    let mut host_opts = Vec::new();
    for line in host.lines() {
        let t = line.trim();
        let mut w = t.split_whitespace();
        match w.next() {
            Some("search") | Some("domain") if search.is_empty() => {
                out.push_str(t);
                out.push('\n');
            }
            Some("options") if options.is_empty() => {
                host_opts.extend(w.filter(|o| !o.starts_with("ndots:")).map(str::to_string));
            }
            _ => {}
        }
    }
    if !search.is_empty() {
        out.push_str(&format!("search {}\n", search.join(" ")));
    }
    out.push_str(&format!("nameserver {}\n", wharf_network::dns::ADDRESS));
    let mut opts = vec!["ndots:0".to_string()];
    opts.extend(if options.is_empty() {
        host_opts
    } else {
        options.to_vec()
    });
    out.push_str(&format!("options {}\n", opts.join(" ")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_name_links_and_the_container() {
        let h = hosts(
            Some(Ipv4Addr::new(172, 18, 0, 3)),
            "abc",
            "",
            &["db:10.0.0.9".into()],
            &[(Ipv4Addr::new(172, 18, 0, 2), "web 1234567890ab web1".into())],
        );
        assert!(
            h.ends_with("10.0.0.9\tdb\n172.18.0.2\tweb 1234567890ab web1\n172.18.0.3\tabc\n"),
            "{h}"
        );
        let r = embedded_resolv_conf(&["corp".into()], &["timeout:2".into()]);
        assert!(
            r.contains("search corp\nnameserver 127.0.0.11\noptions ndots:0 timeout:2\n"),
            "{r}"
        );
    }
}
