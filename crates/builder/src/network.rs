//! The network of RUN steps. As with dockerd (its classic builder and BuildKit alike), a step
//! gets a network namespace of its own on the default `bridge` network unless the build or the
//! step says `host` or `none`; a build may name a user-defined bridge network instead.
//!
//! The builder does not make namespaces itself: the engine's network service does, through
//! [`StepNetworks`], so a step's address, veth pair and files are exactly a container's.

use std::net::IpAddr;

/// Network of a RUN step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Network {
    Host,
    None,
    /// A namespace of its own on this bridge network (`bridge`: the default one).
    Bridge(String),
}

impl Network {
    /// The build's mode from `--network` (`POST /build?networkmode=`); names other than the
    /// predefined ones are user-defined networks, checked by [`StepNetworks::check`].
    pub fn from_mode(mode: &str) -> Network {
        match mode {
            "" | "default" | "bridge" => Network::Bridge("bridge".into()),
            "host" => Network::Host,
            "none" => Network::None,
            name => Network::Bridge(name.into()),
        }
    }

    /// What a step's cache key records. `Host` and `None` keep the words keys always had.
    pub fn cache_key(&self) -> String {
        match self {
            Network::Host => "Host".into(),
            Network::None => "None".into(),
            Network::Bridge(n) => format!("Bridge:{n}"),
        }
    }
}

/// Why a step's network could not be had.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// dockerd's wording for a network it cannot find.
    #[error("network {0} not found")]
    NotFound(String),
    /// The network exists but steps cannot join it (not a bridge network).
    #[error("{0}")]
    Unsupported(String),
    /// Setting the namespace up failed.
    #[error("setting up the step's network: {0}")]
    Setup(String),
}

/// What a step on a bridge network asks for.
#[derive(Debug, Clone)]
pub struct StepRequest<'a> {
    /// The network's name or id, as the build gave it.
    pub network: &'a str,
    /// The step's hostname (the short container id), for its `/etc/hosts` line.
    pub hostname: &'a str,
    /// `--add-host` entries for its `/etc/hosts`.
    pub extra_hosts: &'a [(String, IpAddr)],
}

/// A step's namespace on a bridge network, and the files a container there gets. Everything
/// it holds (address, veth pair, namespace) is given back when it drops, whether the step
/// succeeded, failed or was cancelled.
pub struct StepSandbox {
    /// What the runtime opens to join the namespace (valid while this value lives).
    pub netns: String,
    pub hosts: String,
    pub resolv_conf: String,
    /// Releases the resources when dropped.
    pub hold: Box<dyn Send>,
}

/// Makes namespaces for RUN steps on bridge networks (the engine's network service).
pub trait StepNetworks: Send + Sync {
    /// Checks that steps can join `network` (name, id or id prefix).
    fn check(&self, network: &str) -> Result<(), NetworkError>;
    /// A fresh namespace attached to the network, set up before the step's process starts.
    fn attach(&self, req: &StepRequest<'_>) -> Result<StepSandbox, NetworkError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_keys() {
        for m in ["", "default", "bridge"] {
            assert_eq!(Network::from_mode(m), Network::Bridge("bridge".into()));
        }
        assert_eq!(Network::from_mode("host"), Network::Host);
        assert_eq!(Network::from_mode("none"), Network::None);
        assert_eq!(
            Network::from_mode("appnet"),
            Network::Bridge("appnet".into())
        );
        assert_eq!(Network::Host.cache_key(), "Host");
        assert_eq!(Network::None.cache_key(), "None");
        assert_eq!(Network::from_mode("").cache_key(), "Bridge:bridge");
        assert_eq!(
            NetworkError::NotFound("nosuch".into()).to_string(),
            "network nosuch not found"
        );
    }
}
