//! IPv4 addresses and routes.

use std::net::Ipv4Addr;

use super::attr::attr_u32;
use super::{Attrs, Msg, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST, Socket};
use crate::NetError;
use crate::ipnet::Ipv4Net;

const RTM_NEWADDR: u16 = 20;
const RTM_GETADDR: u16 = 22;
const RTM_NEWROUTE: u16 = 24;
const RTM_GETROUTE: u16 = 26;

const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_BROADCAST: u16 = 4;

const RTA_DST: u16 = 1;
const RTA_GATEWAY: u16 = 5;
const RTA_TABLE: u16 = 15;

const AF_INET: u8 = 2;
const RT_TABLE_MAIN: u8 = 254;
const RT_TABLE_LOCAL: u8 = 255;
const RTPROT_BOOT: u8 = 3;
const RTN_UNICAST: u8 = 1;

fn v4(b: &[u8]) -> Option<Ipv4Addr> {
    let a: [u8; 4] = b.get(0..4)?.try_into().ok()?;
    Some(Ipv4Addr::from(a))
}

/// An address on a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrInfo {
    pub index: u32,
    pub addr: Ipv4Addr,
    pub net: Ipv4Net,
}

impl Socket {
    /// Adds `addr/prefix` to link `index`.
    pub fn add_addr(&mut self, index: u32, addr: Ipv4Addr, prefix: u8) -> Result<(), NetError> {
        let net = Ipv4Net::new(addr, prefix);
        let mut fixed = [0u8; 8];
        fixed[0] = AF_INET;
        fixed[1] = prefix;
        fixed[4..8].copy_from_slice(&index.to_ne_bytes());
        let mut msg = Msg::new(
            RTM_NEWADDR,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            &fixed,
        )
        .attr(IFA_LOCAL, &addr.octets())
        .attr(IFA_ADDRESS, &addr.octets());
        if prefix < 31 {
            msg = msg.attr(IFA_BROADCAST, &net.broadcast().octets());
        }
        self.request(msg, &format!("adding address {addr}/{prefix}"))
    }

    /// Every IPv4 address of this namespace.
    pub fn addrs(&mut self) -> Result<Vec<AddrInfo>, NetError> {
        let mut fixed = [0u8; 8];
        fixed[0] = AF_INET;
        let msg = Msg::new(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, &fixed);
        let mut out = Vec::new();
        for r in self.dump(msg, "listing addresses")? {
            if r.kind != RTM_NEWADDR || r.payload.len() < 8 {
                continue;
            }
            let prefix = r.payload[1];
            let index = attr_u32(&r.payload[4..8]);
            let mut addr = None;
            for (k, v) in Attrs::new(&r.payload[8..]) {
                if k == IFA_LOCAL || (k == IFA_ADDRESS && addr.is_none()) {
                    addr = v4(v);
                }
            }
            if let Some(a) = addr {
                out.push(AddrInfo {
                    index,
                    addr: a,
                    net: Ipv4Net::new(a, prefix),
                });
            }
        }
        Ok(out)
    }

    /// Adds the default route through `gateway`.
    pub fn add_default_route(&mut self, gateway: Ipv4Addr) -> Result<(), NetError> {
        let fixed = [
            AF_INET,
            0,
            0,
            0,
            RT_TABLE_MAIN,
            RTPROT_BOOT,
            0,
            RTN_UNICAST,
            0,
            0,
            0,
            0,
        ];
        let msg = Msg::new(
            RTM_NEWROUTE,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            &fixed,
        )
        .attr(RTA_GATEWAY, &gateway.octets());
        self.request(msg, &format!("adding the default route via {gateway}"))
    }

    /// The destinations of the IPv4 routes (every table but `local`), default routes left out.
    pub fn route_destinations(&mut self) -> Result<Vec<Ipv4Net>, NetError> {
        let mut fixed = [0u8; 12];
        fixed[0] = AF_INET;
        let msg = Msg::new(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, &fixed);
        let mut out = Vec::new();
        for r in self.dump(msg, "listing routes")? {
            if r.kind != RTM_NEWROUTE || r.payload.len() < 12 {
                continue;
            }
            let dst_len = r.payload[1];
            let mut table = r.payload[4] as u32;
            let mut dst = None;
            for (k, v) in Attrs::new(&r.payload[12..]) {
                match k {
                    RTA_DST => dst = v4(v),
                    RTA_TABLE => table = attr_u32(v),
                    _ => {}
                }
            }
            if table == RT_TABLE_LOCAL as u32 || dst_len == 0 {
                continue;
            }
            if let Some(d) = dst {
                out.push(Ipv4Net::new(d, dst_len));
            }
        }
        Ok(out)
    }
}
