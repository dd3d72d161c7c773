//! Address management: picking a subnet for a network that names none, and an address for an
//! endpoint. Pure functions over what is in use; the caller keeps the books.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use crate::ipnet::Ipv4Net;

/// Subnets handed out when a network asks for none, in order: Docker's pools (172.17/16 left
/// to dockerd's `docker0`), then more private /16s so many engines fit on one host.
pub fn default_pools() -> impl Iterator<Item = Ipv4Net> {
    let a = (18u8..=31).map(|b| Ipv4Net::new(Ipv4Addr::new(172, b, 0, 0), 16));
    let b = (0u8..16).map(|i| Ipv4Net::new(Ipv4Addr::new(192, 168, i * 16, 0), 20));
    let c = (128u8..=254).map(|b| Ipv4Net::new(Ipv4Addr::new(10, b, 0, 0), 16));
    a.chain(b).chain(c)
}

/// The first pool subnet that overlaps none of `used` (other networks, the host's routes).
pub fn pick_subnet(used: &[Ipv4Net]) -> Option<Ipv4Net> {
    default_pools().find(|c| !used.iter().any(|u| u.overlaps(c)))
}

/// The gateway a network gets when it names none: the subnet's first host address.
pub fn default_gateway(subnet: &Ipv4Net) -> Option<Ipv4Addr> {
    subnet.nth(1)
}

/// The lowest free host address of `subnet` (inside `range` when given), skipping the network
/// and broadcast addresses, the gateway and `used`.
pub fn next_free(
    subnet: &Ipv4Net,
    range: Option<&Ipv4Net>,
    gateway: Ipv4Addr,
    used: &BTreeSet<Ipv4Addr>,
) -> Option<Ipv4Addr> {
    let scope = range.unwrap_or(subnet);
    let last = scope.size().min(subnet.size());
    (0..last as u32).filter_map(|i| scope.nth(i)).find(|ip| {
        subnet.contains(*ip)
            && *ip != subnet.network()
            && (subnet.prefix() >= 31 || *ip != subnet.broadcast())
            && *ip != gateway
            && !used.contains(ip)
    })
}

/// Docker's MAC address for an endpoint: `02:42` and the IPv4 address.
pub fn mac_for(ip: Ipv4Addr) -> [u8; 6] {
    let o = ip.octets();
    [0x02, 0x42, o[0], o[1], o[2], o[3]]
}

/// A MAC address written `02:42:ac:11:00:02` (or with `-`), as users give them.
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let sep = if s.contains('-') { '-' } else { ':' };
    let parts: Vec<&str> = s.split(sep).collect();
    if parts.len() != 6 {
        return None;
    }
    let mut mac = [0u8; 6];
    for (b, p) in mac.iter_mut().zip(parts) {
        if p.len() != 2 {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    Some(mac)
}

pub fn mac_string(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_parse_with_colons_or_dashes_only_when_whole() {
        assert_eq!(
            parse_mac("02:42:AC:11:00:0a"),
            Some([0x02, 0x42, 0xac, 0x11, 0x00, 0x0a])
        );
        assert_eq!(
            parse_mac("02-42-ac-11-00-0a"),
            parse_mac("02:42:ac:11:00:0a")
        );
        for bad in [
            "",
            "02:42:ac:11:00",
            "02:42:ac:11:00:0a:0b",
            "2:42:ac:11:00:0a",
            "zz:42:ac:11:00:0a",
        ] {
            assert_eq!(parse_mac(bad), None, "{bad}");
        }
    }

    #[test]
    fn subnets_skip_what_is_used() {
        let used = vec![
            "172.18.0.0/16".parse().unwrap(),
            "172.19.5.0/24".parse().unwrap(),
        ];
        assert_eq!(pick_subnet(&used).unwrap().to_string(), "172.20.0.0/16");
        let all: Vec<Ipv4Net> = (18u8..=31)
            .map(|b| Ipv4Net::new(Ipv4Addr::new(172, b, 0, 0), 16))
            .collect();
        assert_eq!(pick_subnet(&all).unwrap().to_string(), "192.168.0.0/20");
    }

    #[test]
    fn addresses_start_after_the_gateway_and_fill_gaps() {
        let net: Ipv4Net = "10.9.0.0/29".parse().unwrap();
        let gw = Ipv4Addr::new(10, 9, 0, 1);
        let mut used = BTreeSet::new();
        assert_eq!(
            next_free(&net, None, gw, &used),
            Some(Ipv4Addr::new(10, 9, 0, 2))
        );
        used.insert(Ipv4Addr::new(10, 9, 0, 2));
        used.insert(Ipv4Addr::new(10, 9, 0, 4));
        assert_eq!(
            next_free(&net, None, gw, &used),
            Some(Ipv4Addr::new(10, 9, 0, 3))
        );
        for i in 3..=6 {
            used.insert(Ipv4Addr::new(10, 9, 0, i));
        }
        assert_eq!(
            next_free(&net, None, gw, &used),
            None,
            "broadcast is never given"
        );
        let range: Ipv4Net = "10.9.0.4/30".parse().unwrap();
        used.clear();
        assert_eq!(
            next_free(&net, Some(&range), gw, &used),
            Some(Ipv4Addr::new(10, 9, 0, 4))
        );
        assert_eq!(
            mac_string(&mac_for(Ipv4Addr::new(172, 17, 0, 2))),
            "02:42:ac:11:00:02"
        );
    }
}
