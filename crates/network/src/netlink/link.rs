//! Links: bridges, veth pairs, state, aliases, listing and deletion.

use std::os::fd::{AsRawFd, BorrowedFd};

use super::attr::{attr_str, attr_u32};
use super::{Attrs, Msg, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST, Socket};
use crate::NetError;

const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;
const RTM_GETLINK: u16 = 18;

const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_MASTER: u16 = 10;
const IFLA_LINKINFO: u16 = 18;
const IFLA_IFALIAS: u16 = 20;
const IFLA_NET_NS_FD: u16 = 28;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;
const VETH_INFO_PEER: u16 = 1;

const IFF_UP: u32 = 0x1;

/// `struct ifinfomsg`.
fn ifinfo(index: i32, up: bool) -> [u8; 16] {
    let mut b = [0u8; 16];
    // family AF_UNSPEC (0), pad, type 0.
    b[4..8].copy_from_slice(&index.to_ne_bytes());
    if up {
        b[8..12].copy_from_slice(&IFF_UP.to_ne_bytes());
        b[12..16].copy_from_slice(&IFF_UP.to_ne_bytes());
    }
    b
}

/// What a link dump tells about one link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    pub index: u32,
    pub name: String,
    /// `IFLA_IFALIAS`: wharf marks the devices it owns with it.
    pub alias: String,
    /// `bridge`, `veth`, … (empty for devices without a driver kind).
    pub kind: String,
    pub master: u32,
}

/// A veth pair to create: the host end joins `master`, the peer end goes into `peer_netns`
/// under `peer_name`.
pub struct VethSpec<'a> {
    pub name: &'a str,
    pub master: u32,
    pub mtu: u32,
    pub peer_name: &'a str,
    pub peer_netns: BorrowedFd<'a>,
    pub peer_mac: [u8; 6],
}

impl Socket {
    /// Creates a bridge device, up.
    pub fn create_bridge(&mut self, name: &str, mtu: u32) -> Result<(), NetError> {
        let msg = Msg::new(
            RTM_NEWLINK,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            &ifinfo(0, true),
        )
        .str(IFLA_IFNAME, name)
        .u32(IFLA_MTU, mtu)
        .nest(IFLA_LINKINFO)
        .str(IFLA_INFO_KIND, "bridge")
        .end();
        self.request(msg, &format!("creating bridge {name}"))
    }

    /// Creates a veth pair, the host end up. The peer end stays down: a veth end cannot be
    /// opened before its pair exists (`ENOTCONN`); bring it up from inside its namespace.
    pub fn create_veth(&mut self, v: &VethSpec<'_>) -> Result<(), NetError> {
        let peer = Msg::new(0, 0, &[])
            .raw(&ifinfo(0, false))
            .str(IFLA_IFNAME, v.peer_name)
            .u32(IFLA_MTU, v.mtu)
            .attr(IFLA_ADDRESS, &v.peer_mac)
            .u32(IFLA_NET_NS_FD, v.peer_netns.as_raw_fd() as u32);
        let msg = Msg::new(
            RTM_NEWLINK,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            &ifinfo(0, true),
        )
        .str(IFLA_IFNAME, v.name)
        .u32(IFLA_MTU, v.mtu)
        .u32(IFLA_MASTER, v.master)
        .nest(IFLA_LINKINFO)
        .str(IFLA_INFO_KIND, "veth")
        .nest(IFLA_INFO_DATA)
        .nest(VETH_INFO_PEER)
        .raw(peer.body())
        .end()
        .end()
        .end();
        self.request(msg, &format!("creating veth {}", v.name))
    }

    /// Sets a link's alias (the mark of ownership wharf reads back at start-up).
    pub fn set_alias(&mut self, name: &str, alias: &str) -> Result<(), NetError> {
        let msg = Msg::new(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, &ifinfo(0, false))
            .str(IFLA_IFNAME, name)
            .str(IFLA_IFALIAS, alias);
        self.request(msg, &format!("setting the alias of {name}"))
    }

    /// Brings a link up.
    pub fn set_up(&mut self, name: &str) -> Result<(), NetError> {
        let msg = Msg::new(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, &ifinfo(0, true))
            .str(IFLA_IFNAME, name);
        self.request(msg, &format!("bringing {name} up"))
    }

    /// Deletes a link by name; `Ok(false)` when there was none.
    pub fn delete_link(&mut self, name: &str) -> Result<bool, NetError> {
        let msg = Msg::new(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, &ifinfo(0, false))
            .str(IFLA_IFNAME, name);
        match self.request(msg, &format!("deleting {name}")) {
            Ok(()) => Ok(true),
            Err(NetError::Netlink { errno, .. }) if errno == rustix::io::Errno::NODEV => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// One link by name.
    pub fn link(&mut self, name: &str) -> Result<Option<LinkInfo>, NetError> {
        let msg = Msg::new(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, &ifinfo(0, false))
            .str(IFLA_IFNAME, name);
        match self.dump(msg, &format!("looking up {name}")) {
            Ok(replies) => Ok(replies
                .iter()
                .filter(|r| r.kind == RTM_NEWLINK)
                .find_map(|r| parse_link(&r.payload))),
            Err(NetError::Netlink { errno, .. }) if errno == rustix::io::Errno::NODEV => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every link of this namespace.
    pub fn links(&mut self) -> Result<Vec<LinkInfo>, NetError> {
        let msg = Msg::new(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, &ifinfo(0, false));
        Ok(self
            .dump(msg, "listing links")?
            .iter()
            .filter(|r| r.kind == RTM_NEWLINK)
            .filter_map(|r| parse_link(&r.payload))
            .collect())
    }
}

impl Msg {
    /// The message without its netlink header (to embed as a nested payload).
    fn body(&self) -> &[u8] {
        self.bytes_after_header()
    }
}

fn parse_link(p: &[u8]) -> Option<LinkInfo> {
    if p.len() < 16 {
        return None;
    }
    let index = i32::from_ne_bytes(p[4..8].try_into().ok()?) as u32;
    let mut info = LinkInfo {
        index,
        name: String::new(),
        alias: String::new(),
        kind: String::new(),
        master: 0,
    };
    for (kind, v) in Attrs::new(&p[16..]) {
        match kind {
            IFLA_IFNAME => info.name = attr_str(v),
            IFLA_IFALIAS => info.alias = attr_str(v),
            IFLA_MASTER => info.master = attr_u32(v),
            IFLA_LINKINFO => {
                for (k, x) in Attrs::new(v) {
                    if k == IFLA_INFO_KIND {
                        info.kind = attr_str(x);
                    }
                }
            }
            _ => {}
        }
    }
    Some(info)
}
