//! The environment a legacy `--link` gives a container on the default bridge, as dockerd
//! writes it: `ALIAS_NAME`, `ALIAS_PORT*` for the linked container's exposed ports, and
//! `ALIAS_ENV_*` for its environment.

use crate::engine::Engine;
use crate::service::containers::record::ContainerRecord;

/// The link variables for `rec`'s links, when it is on the default bridge (user-defined
/// networks give names through DNS instead). Links whose target is gone or not on the
/// default bridge add nothing; starting has already refused those that must run.
pub fn for_container(e: &Engine, rec: &ContainerRecord) -> Vec<String> {
    if !rec.networks.contains_key("bridge") {
        return Vec::new();
    }
    let mut env = Vec::new();
    for l in rec.host_config.links.iter().flatten() {
        // Recorded as `/target:/me/alias`.
        let Some((target, link_name)) = l.split_once(':') else {
            continue;
        };
        let Ok(t) = e.containers.get(target.trim_start_matches('/')) else {
            continue;
        };
        let t = t.rec();
        let Some(ip) = t.networks.get("bridge").map(|ep| ep.ip_address.clone()) else {
            continue;
        };
        let ports: Vec<&str> = t
            .config
            .exposed_ports
            .iter()
            .flat_map(|p| p.keys())
            .map(String::as_str)
            .collect();
        env.extend(link_vars(link_name, &ip, &t.config.env, &ports));
    }
    env
}

/// A port as `number/proto`.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Port<'a> {
    num: u32,
    proto: &'a str,
}

fn parse_port(p: &str) -> Option<Port<'_>> {
    let (num, proto) = p.split_once('/').unwrap_or((p, "tcp"));
    Some(Port {
        num: num.parse().ok()?,
        proto,
    })
}

/// The variables for one link named `name` (`/me/alias`) to a container at `ip`.
fn link_vars(name: &str, ip: &str, child_env: &[String], exposed: &[&str]) -> Vec<String> {
    let alias = name
        .rsplit('/')
        .next()
        .unwrap_or(name)
        .to_uppercase()
        .replace('-', "_");
    let mut ports: Vec<Port<'_>> = exposed.iter().filter_map(|p| parse_port(p)).collect();
    // TCP first, then other protocols by name; by number within a protocol.
    ports.sort_by(|a, b| {
        let rank = |p: &Port<'_>| (!p.proto.eq_ignore_ascii_case("tcp"), p.proto.to_lowercase());
        rank(a).cmp(&rank(b)).then(a.num.cmp(&b.num))
    });
    let mut env = Vec::new();
    if let Some(&first) = ports.first() {
        env.push(format!("{alias}_PORT={}://{ip}:{}", first.proto, first.num));
        port_vars(&mut env, &alias, ip, &ports, first);
    }
    named(env, &alias, name, child_env)
}

/// Per port, and for runs of consecutive ports of one protocol _START/_END variables,
/// written (as dockerd does) once the port after the run has been written.
fn port_vars(env: &mut Vec<String>, alias: &str, ip: &str, ports: &[Port<'_>], first: Port<'_>) {
    let (mut start, mut end) = (first, first);
    for (i, &p) in ports.iter().enumerate() {
        let prefix = format!("{alias}_PORT_{}_{}", p.num, p.proto.to_uppercase());
        env.push(format!("{prefix}={}://{ip}:{}", p.proto, p.num));
        env.push(format!("{prefix}_ADDR={ip}"));
        env.push(format!("{prefix}_PORT={}", p.num));
        env.push(format!("{prefix}_PROTO={}", p.proto));
        if p.num == end.num + 1 && p.proto.eq_ignore_ascii_case(start.proto) {
            end = p;
            if i + 1 < ports.len() {
                continue;
            }
        }
        if end != start {
            let prefix = format!("{alias}_PORT_{}_{}", start.num, start.proto.to_uppercase());
            env.push(format!(
                "{prefix}_START={}://{ip}:{}",
                start.proto, start.num
            ));
            env.push(format!("{prefix}_PORT_START={}", start.num));
            env.push(format!("{prefix}_END={}://{ip}:{}", end.proto, end.num));
            env.push(format!("{prefix}_PORT_END={}", end.num));
        }
        (start, end) = (p, p);
    }
}

/// Adds the link's name and the linked container's environment.
fn named(mut env: Vec<String>, alias: &str, name: &str, child_env: &[String]) -> Vec<String> {
    env.push(format!("{alias}_NAME={name}"));
    for kv in child_env {
        let Some((k, v)) = kv.split_once('=') else {
            continue;
        };
        // As dockerd: these come from image builds and mean nothing to the linking container.
        if k == "HOME" || k == "PATH" {
            continue;
        }
        env.push(format!("{alias}_ENV_{k}={v}"));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_without_ports_names_the_link_and_passes_the_environment() {
        let env = link_vars(
            "/client/my-db",
            "172.17.0.2",
            &[
                "PATH=/bin".into(),
                "FOO=1".into(),
                "A=b=c".into(),
                "HOME=/root".into(),
            ],
            &[],
        );
        assert_eq!(
            env,
            [
                "MY_DB_NAME=/client/my-db",
                "MY_DB_ENV_FOO=1",
                "MY_DB_ENV_A=b=c"
            ]
        );
    }

    #[test]
    fn a_run_that_ends_the_list_is_written_at_the_end() {
        let env = link_vars("/a/b", "1.2.3.4", &[], &["8001/tcp", "8000/tcp"]);
        assert_eq!(
            env[env.len() - 5..],
            [
                "B_PORT_8000_TCP_START=tcp://1.2.3.4:8000",
                "B_PORT_8000_TCP_PORT_START=8000",
                "B_PORT_8000_TCP_END=tcp://1.2.3.4:8001",
                "B_PORT_8000_TCP_PORT_END=8001",
                "B_NAME=/a/b",
            ]
        );
    }

    #[test]
    fn ports_sort_tcp_first_and_runs_get_start_and_end() {
        let env = link_vars(
            "/web/db",
            "10.0.0.3",
            &[],
            &["53/udp", "6380/tcp", "6379/tcp", "80/tcp"],
        );
        let want = [
            "DB_PORT=tcp://10.0.0.3:80",
            "DB_PORT_80_TCP=tcp://10.0.0.3:80",
            "DB_PORT_80_TCP_ADDR=10.0.0.3",
            "DB_PORT_80_TCP_PORT=80",
            "DB_PORT_80_TCP_PROTO=tcp",
            "DB_PORT_6379_TCP=tcp://10.0.0.3:6379",
            "DB_PORT_6379_TCP_ADDR=10.0.0.3",
            "DB_PORT_6379_TCP_PORT=6379",
            "DB_PORT_6379_TCP_PROTO=tcp",
            "DB_PORT_6380_TCP=tcp://10.0.0.3:6380",
            "DB_PORT_6380_TCP_ADDR=10.0.0.3",
            "DB_PORT_6380_TCP_PORT=6380",
            "DB_PORT_6380_TCP_PROTO=tcp",
            "DB_PORT_53_UDP=udp://10.0.0.3:53",
            "DB_PORT_53_UDP_ADDR=10.0.0.3",
            "DB_PORT_53_UDP_PORT=53",
            "DB_PORT_53_UDP_PROTO=udp",
            "DB_PORT_6379_TCP_START=tcp://10.0.0.3:6379",
            "DB_PORT_6379_TCP_PORT_START=6379",
            "DB_PORT_6379_TCP_END=tcp://10.0.0.3:6380",
            "DB_PORT_6379_TCP_PORT_END=6380",
            "DB_NAME=/web/db",
        ];
        assert_eq!(env, want);
    }
}
