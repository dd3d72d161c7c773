//! Kernel NAT and filtering for wharf's bridges, as one nftables table the engine owns.
//!
//! The whole table is a pure function of the engine's state ([`Ruleset::render`]) and is
//! replaced atomically in one `nft -f -` transaction whenever that state changes (a network is
//! made or removed, a container with published ports starts or stops). Nothing outside the
//! table is touched, so no leftover rule can survive a crash: start-up simply writes the table
//! again. One shortcut: when the change only adds published ports to what this process wrote
//! last, the new rules are appended instead ([`Ruleset::additions`]) — a transaction that
//! removes rules waits for an RCU grace period in the kernel (~15 ms here), one that only adds
//! does not (~2 ms).
//!
//! `nft` is run as a process: the nf_tables netlink protocol (expression bytecode) is large and
//! the `nft` language is its stable interface. It runs only when rules change, never for a
//! container that publishes nothing.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

use crate::NetError;
use crate::ipnet::Ipv4Net;

/// A transport protocol of a published port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proto {
    Tcp,
    Udp,
    Sctp,
}

impl Proto {
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Sctp => "sctp",
        }
    }

    pub fn parse(s: &str) -> Option<Proto> {
        match s.to_ascii_lowercase().as_str() {
            "tcp" | "" => Some(Proto::Tcp),
            "udp" => Some(Proto::Udp),
            "sctp" => Some(Proto::Sctp),
            _ => None,
        }
    }
}

/// One bridge network's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeRules {
    pub device: String,
    pub subnet: Ipv4Net,
    /// Outbound traffic leaves with the host's address.
    pub masquerade: bool,
    /// No traffic in or out of the bridge (`--internal`).
    pub internal: bool,
}

/// A published port: traffic to the host's `host_port` (on `host_ip`, or any local address)
/// goes to `ip:port` on `bridge`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRule {
    pub proto: Proto,
    pub host_ip: Option<Ipv4Addr>,
    pub host_port: u16,
    pub bridge: String,
    pub ip: Ipv4Addr,
    pub port: u16,
}

/// Everything the table holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ruleset {
    pub bridges: Vec<BridgeRules>,
    pub ports: Vec<PortRule>,
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace(['"', '\\'], ""))
}

impl PortRule {
    /// The rule in the `publish` chain.
    fn render(&self) -> String {
        let daddr = self
            .host_ip
            .filter(|ip| !ip.is_unspecified())
            .map(|ip| format!("ip daddr {ip} "))
            .unwrap_or_default();
        format!(
            "iifname != {} {daddr}{} dport {} dnat to {}:{}",
            quote(&self.bridge),
            self.proto.as_str(),
            self.host_port,
            self.ip,
            self.port
        )
    }
}

impl Ruleset {
    /// The nft script that turns table `ip <table>`, holding exactly `old`, into these rules
    /// by appending rules, when these rules differ from `old` only by more published ports.
    pub fn additions(&self, old: &Ruleset, table: &str) -> Option<String> {
        if self.bridges != old.bridges {
            return None;
        }
        let mut remaining: Vec<&PortRule> = self.ports.iter().collect();
        for p in &old.ports {
            let i = remaining.iter().position(|q| *q == p)?;
            remaining.remove(i);
        }
        let mut s = String::new();
        for p in remaining {
            let _ = writeln!(s, "add rule ip {table} publish {}", p.render());
        }
        Some(s)
    }

    /// The nft script that replaces table `ip <table>` with these rules.
    pub fn render(&self, table: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "table ip {table}\ndelete table ip {table}\ntable ip {table} {{"
        );
        s.push_str(
            "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n    fib daddr type local jump publish\n  }\n",
        );
        s.push_str(
            "  chain output {\n    type nat hook output priority -100; policy accept;\n    ip daddr != 127.0.0.0/8 fib daddr type local jump publish\n  }\n",
        );
        s.push_str("  chain publish {\n");
        for p in &self.ports {
            let _ = writeln!(s, "    {}", p.render());
        }
        s.push_str("  }\n");
        s.push_str(
            "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n",
        );
        for b in self.bridges.iter().filter(|b| b.masquerade && !b.internal) {
            let _ = writeln!(
                s,
                "    ip saddr {} oifname != {} masquerade",
                b.subnet,
                quote(&b.device)
            );
        }
        s.push_str("  }\n");
        s.push_str(
            "  chain forward {\n    type filter hook forward priority filter; policy accept;\n",
        );
        for b in &self.bridges {
            let dev = quote(&b.device);
            if b.internal {
                let _ = writeln!(s, "    iifname {dev} oifname != {dev} drop");
                let _ = writeln!(s, "    oifname {dev} iifname != {dev} drop");
            }
            let others: Vec<String> = self
                .bridges
                .iter()
                .filter(|o| o.device != b.device)
                .map(|o| quote(&o.device))
                .collect();
            if !others.is_empty() {
                let _ = writeln!(
                    s,
                    "    iifname {dev} oifname {{ {} }} drop",
                    others.join(", ")
                );
            }
        }
        s.push_str("  }\n}\n");
        s
    }
}

fn run_nft(script: &str) -> Result<(), NetError> {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| NetError::Firewall(format!("running nft: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .map_err(|e| NetError::Firewall(format!("writing to nft: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| NetError::Firewall(format!("waiting for nft: {e}")))?;
    if !out.status.success() {
        return Err(NetError::Firewall(format!(
            "nft: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// Where the engine's rules go.
pub trait Firewall: Send + Sync {
    /// Replaces the engine's rules with `rules`.
    fn apply(&self, rules: &Ruleset) -> Result<(), NetError>;
    /// Removes every rule of the engine.
    fn remove(&self) -> Result<(), NetError>;
}

/// The engine's own nftables table.
pub struct Nftables {
    table: String,
    /// What this process last wrote to the table (`None`: unknown, rewrite it whole).
    written: std::sync::Mutex<Option<Ruleset>>,
}

impl Nftables {
    pub fn new(table: impl Into<String>) -> Nftables {
        Nftables {
            table: table.into(),
            written: std::sync::Mutex::new(None),
        }
    }
}

impl Firewall for Nftables {
    fn apply(&self, rules: &Ruleset) -> Result<(), NetError> {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        let script = written
            .as_ref()
            .and_then(|old| rules.additions(old, &self.table))
            .unwrap_or_else(|| rules.render(&self.table));
        // On failure the table's content is unknown: the next change rewrites it whole.
        *written = None;
        if !script.is_empty() {
            run_nft(&script)?;
        }
        *written = Some(rules.clone());
        Ok(())
    }

    fn remove(&self) -> Result<(), NetError> {
        *self.written.lock().unwrap_or_else(|p| p.into_inner()) = None;
        run_nft(&format!(
            "table ip {t}\ndelete table ip {t}\n",
            t = self.table
        ))
    }
}

/// Whether the host can run `nft`.
pub fn available() -> bool {
    [
        "/usr/sbin/nft",
        "/sbin/nft",
        "/usr/bin/nft",
        "/usr/local/sbin/nft",
    ]
    .iter()
    .any(|p| std::path::Path::new(p).exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_publish_masquerade_and_isolate() {
        let r = Ruleset {
            bridges: vec![
                BridgeRules {
                    device: "wharf0".into(),
                    subnet: "172.18.0.0/16".parse().unwrap(),
                    masquerade: true,
                    internal: false,
                },
                BridgeRules {
                    device: "wb-0123456789ab".into(),
                    subnet: "172.19.0.0/16".parse().unwrap(),
                    masquerade: true,
                    internal: true,
                },
            ],
            ports: vec![PortRule {
                proto: Proto::Tcp,
                host_ip: None,
                host_port: 8080,
                bridge: "wharf0".into(),
                ip: "172.18.0.2".parse().unwrap(),
                port: 80,
            }],
        };
        let s = r.render("wharf");
        assert!(s.starts_with("table ip wharf\ndelete table ip wharf\ntable ip wharf {\n"));
        assert!(s.contains("    iifname != \"wharf0\" tcp dport 8080 dnat to 172.18.0.2:80\n"));
        assert!(s.contains("    ip saddr 172.18.0.0/16 oifname != \"wharf0\" masquerade\n"));
        assert!(
            !s.contains("172.19.0.0/16 oifname"),
            "internal networks are not masqueraded"
        );
        assert!(
            s.contains("    iifname \"wb-0123456789ab\" oifname != \"wb-0123456789ab\" drop\n")
        );
        assert!(s.contains("    iifname \"wharf0\" oifname { \"wb-0123456789ab\" } drop\n"));
    }

    fn port(host_port: u16, ip: &str) -> PortRule {
        PortRule {
            proto: Proto::Tcp,
            host_ip: None,
            host_port,
            bridge: "wharf0".into(),
            ip: ip.parse().unwrap(),
            port: 80,
        }
    }

    #[test]
    fn only_more_ports_are_appended_anything_else_rewrites() {
        let bridge = BridgeRules {
            device: "wharf0".into(),
            subnet: "172.18.0.0/16".parse().unwrap(),
            masquerade: true,
            internal: false,
        };
        let old = Ruleset {
            bridges: vec![bridge.clone()],
            ports: vec![port(8080, "172.18.0.2")],
        };
        let more = Ruleset {
            bridges: vec![bridge.clone()],
            ports: vec![port(8081, "172.18.0.3"), port(8080, "172.18.0.2")],
        };
        assert_eq!(
            more.additions(&old, "wharf").unwrap(),
            "add rule ip wharf publish iifname != \"wharf0\" tcp dport 8081 dnat to 172.18.0.3:80\n"
        );
        assert_eq!(old.additions(&old, "wharf").unwrap(), "");
        // A port gone, or a port changed: not an addition.
        assert!(old.additions(&more, "wharf").is_none());
        let moved = Ruleset {
            bridges: vec![bridge.clone()],
            ports: vec![port(8080, "172.18.0.9")],
        };
        assert!(moved.additions(&old, "wharf").is_none());
        // A network added or removed changes the isolation rules: rewrite.
        let mut other = bridge.clone();
        other.device = "wb-1".into();
        let two_nets = Ruleset {
            bridges: vec![bridge, other],
            ports: old.ports.clone(),
        };
        assert!(two_nets.additions(&old, "wharf").is_none());
    }
}
