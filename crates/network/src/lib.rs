//! Host networking for containers, as mechanisms the engine composes: nothing here knows
//! about containers or the engine's records.
//!
//! * [`netlink`]: links (bridges, veth pairs), addresses and routes over rtnetlink;
//! * [`netns`]: network namespaces made without mounts or helper processes;
//! * [`ipnet`], [`ipam`]: subnets, picking free subnets and addresses;
//! * [`nft`]: the engine's nftables table (NAT for published ports, masquerade, isolation);
//! * [`dns`]: the embedded DNS server (`127.0.0.11` in each container);
//! * [`proxy`]: the userland proxy for published ports;
//! * [`hostlock`]: a host-wide lock so engines on one host never pick the same subnet.
//!
//! Ownership: every device the engine makes carries its mark (see [`owner_alias`]) in its
//! alias, and the engine only ever deletes devices bearing its own mark, so it runs beside
//! dockerd, podman or another wharf on the same host.

pub mod dns;
pub mod hostlock;
pub mod ipam;
pub mod ipnet;
pub mod netlink;
pub mod netns;
pub mod nft;
pub mod proxy;
mod sys;

pub use ipnet::Ipv4Net;
pub use sys::unread_by_peer;

/// What went wrong, naming the operation.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("{what}: {errno}")]
    Sys {
        what: String,
        errno: rustix::io::Errno,
    },
    #[error("{what}: {errno}")]
    Netlink {
        what: String,
        errno: rustix::io::Errno,
    },
    #[error("{0}")]
    Firewall(String),
    #[error("a network setup thread panicked")]
    Thread,
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

impl NetError {
    pub fn sys(what: &str, errno: rustix::io::Errno) -> NetError {
        NetError::Sys {
            what: what.to_string(),
            errno,
        }
    }

    pub fn io(what: &str, source: std::io::Error) -> NetError {
        NetError::Io {
            what: what.to_string(),
            source,
        }
    }

    /// The errno behind a failed system or netlink call.
    pub fn errno(&self) -> Option<rustix::io::Errno> {
        match self {
            NetError::Sys { errno, .. } | NetError::Netlink { errno, .. } => Some(*errno),
            _ => None,
        }
    }
}

/// The alias marking a device as made by the engine with id `engine_id`.
pub fn owner_alias(engine_id: &str) -> String {
    format!("wharf:{engine_id}")
}
