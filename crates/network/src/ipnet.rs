//! IPv4 subnets in CIDR notation.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An IPv4 subnet: its network address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv4Net {
    addr: Ipv4Addr,
    prefix: u8,
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix as u32)
    }
}

impl Ipv4Net {
    /// The subnet holding `addr` with `prefix` bits (host bits cleared).
    pub fn new(addr: Ipv4Addr, prefix: u8) -> Ipv4Net {
        let prefix = prefix.min(32);
        Ipv4Net {
            addr: Ipv4Addr::from(u32::from(addr) & mask(prefix)),
            prefix,
        }
    }

    pub fn network(&self) -> Ipv4Addr {
        self.addr
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) | !mask(self.prefix))
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & mask(self.prefix) == u32::from(self.addr)
    }

    /// Whether the two subnets share any address.
    pub fn overlaps(&self, other: &Ipv4Net) -> bool {
        self.contains(other.addr) || other.contains(self.addr)
    }

    /// The `n`th address of the subnet (0 is the network address).
    pub fn nth(&self, n: u32) -> Option<Ipv4Addr> {
        let size = 1u64 << (32 - self.prefix as u32);
        (u64::from(n) < size).then(|| Ipv4Addr::from(u32::from(self.addr) + n))
    }

    /// Number of addresses.
    pub fn size(&self) -> u64 {
        1u64 << (32 - self.prefix as u32)
    }

    /// The position of `ip` in the subnet.
    pub fn offset(&self, ip: Ipv4Addr) -> Option<u32> {
        self.contains(ip)
            .then(|| u32::from(ip) - u32::from(self.addr))
    }
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A string that is not `a.b.c.d/n`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CIDR address: {0}")]
pub struct BadCidr(pub String);

impl FromStr for Ipv4Net {
    type Err = BadCidr;

    fn from_str(s: &str) -> Result<Ipv4Net, BadCidr> {
        let bad = || BadCidr(s.to_string());
        let (a, p) = s.split_once('/').ok_or_else(bad)?;
        let addr: Ipv4Addr = a.parse().map_err(|_| bad())?;
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let prefix: u8 = p.parse().map_err(|_| bad())?;
        if prefix > 32 {
            return Err(bad());
        }
        Ok(Ipv4Net::new(addr, prefix))
    }
}

/// Parses `a.b.c.d/n` keeping the host part (`172.18.0.5/16` → address and subnet).
pub fn parse_addr_prefix(s: &str) -> Result<(Ipv4Addr, Ipv4Net), BadCidr> {
    let net: Ipv4Net = s.parse()?;
    let addr: Ipv4Addr = s
        .split_once('/')
        .and_then(|(a, _)| a.parse().ok())
        .ok_or_else(|| BadCidr(s.to_string()))?;
    Ok((addr, net))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_parse_contain_and_overlap() {
        let a: Ipv4Net = "172.18.5.7/16".parse().unwrap();
        assert_eq!(a.to_string(), "172.18.0.0/16");
        assert!(a.contains("172.18.255.1".parse().unwrap()));
        assert!(!a.contains("172.19.0.1".parse().unwrap()));
        assert_eq!(a.broadcast(), "172.18.255.255".parse::<Ipv4Addr>().unwrap());
        assert_eq!(a.nth(1), Some("172.18.0.1".parse().unwrap()));
        let b: Ipv4Net = "172.18.3.0/24".parse().unwrap();
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!b.overlaps(&"172.18.4.0/24".parse().unwrap()));
        assert_eq!(
            "10.0.0.0".parse::<Ipv4Net>().unwrap_err().to_string(),
            "invalid CIDR address: 10.0.0.0"
        );
        assert!("10.0.0.0/33".parse::<Ipv4Net>().is_err());
        let default: Ipv4Net = "0.0.0.0/0".parse().unwrap();
        assert!(default.contains("8.8.8.8".parse().unwrap()));
    }
}
