//! The network of RUN steps, as dockerd gives it: by default each step has a namespace of its
//! own on the default bridge (an `eth0` with an address of the bridge's subnet, the files a
//! container there gets, not the host's loopback services); `--network host|none` and
//! user-defined bridge networks for the whole build; nothing left on the host after builds
//! that succeed, fail, are cancelled or lose their engine to a `kill -9`.
//!
//! Traffic stays on 127.0.0.0/8 and on the engine's own bridges.

mod build_common;
mod common;

use std::io::Write;
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::time::{Duration, Instant};

use build_common::*;
use common::*;

/// A service on 127.0.0.1 of the host that says `body` to whoever connects, until the test
/// ends. (busybox's `nc` reads it; its `wget` crashes on some hosts.)
fn host_service(body: &'static str) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let _ = s.write_all(body.as_bytes());
        }
    });
    port
}

/// Shell words printing what the host service at `port` says, or `unreachable`.
fn probe_service(port: &str) -> String {
    format!("$(nc -w 3 127.0.0.1 {port} </dev/null 2>/dev/null || echo unreachable)")
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `(bridge device, subnet address, prefix)` of a network.
fn bridge_of(d: &TestDaemon, net: &str) -> (String, Ipv4Addr, u8) {
    let out = ok(&d.wharf(&[
        "network",
        "inspect",
        "-f",
        "{{.Id}} {{range .IPAM.Config}}{{.Subnet}}{{end}} {{index .Options \"com.docker.network.bridge.name\"}}",
        net,
    ]));
    let mut w = out.split_whitespace();
    let (id, subnet) = (w.next().unwrap(), w.next().unwrap());
    // User networks' devices are named after their id.
    let dev = w
        .next()
        .map_or_else(|| format!("wb-{}", &id[..12]), str::to_string);
    let (addr, prefix) = subnet.split_once('/').unwrap();
    (dev, addr.parse().unwrap(), prefix.parse().unwrap())
}

fn in_subnet(ip: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix as u32).unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

/// The devices on a bridge (the host ends of its endpoints' veths); none when it is down.
fn ports_of(bridge: &str) -> Vec<String> {
    std::fs::read_dir(Path::new("/sys/class/net").join(bridge).join("brif"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The engine's nftables table, as `nft` lists it.
fn table(bridge: &str) -> String {
    let table = bridge.replace('-', "_");
    let out = std::process::Command::new("nft")
        .args(["list", "table", "ip", &table])
        .output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// How many `wharf build-step` helpers of this daemon run (found in /proc).
fn step_helpers(d: &TestDaemon) -> usize {
    let root = d.root.display().to_string();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
            args.get(1) == Some(&&b"build-step"[..])
                && args.get(2).is_some_and(|a| a.starts_with(root.as_bytes()))
        })
        .count()
}

/// The value of the line of `out` that starts with `prefix`.
fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line in:\n{out}"))
        .trim()
}

const PROBE: &str = "RUN echo links: $(ls /sys/class/net) && \
     echo addr: $(ip -4 addr show dev eth0 2>/dev/null | awk '/inet /{print $2}' | cut -d/ -f1) && \
     echo svc: SERVICE && \
     echo hosts: $(cat /etc/hosts | tr '\\t\\n' ' |') && \
     echo resolv: $(cat /etc/resolv.conf | tr '\\n' '|') && \
     echo hostname: $(hostname)\n";

#[test]
fn run_steps_get_a_namespace_on_the_default_bridge() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    let port = host_service("host-only-service");
    let ctx = context(&[(
        "Dockerfile",
        &format!(
            "FROM busybox\n{}",
            PROBE.replace("SERVICE", &probe_service(&port.to_string()))
        ),
    )]);
    for cli in clis() {
        // Default, and the names dockerd takes for it.
        for args in [&[][..], &["--network", "default"], &["--network", "bridge"]] {
            let mut all = vec!["--no-cache"];
            all.extend_from_slice(args);
            let out = build_ok(&d, cli, ctx.path(), &all);
            assert_eq!(line(&out, "links: "), "eth0 lo", "{cli:?} {args:?}\n{out}");
            let ip: Ipv4Addr = line(&out, "addr: ").parse().unwrap();
            let (_, net, prefix) = bridge_of(&d, "bridge");
            assert!(in_subnet(ip, net, prefix), "{ip} in {net}/{prefix}");
            assert_eq!(line(&out, "svc: "), "unreachable", "{out}");
            // The files a container on the bridge gets: its address and hostname in
            // /etc/hosts, the host's resolvers but loopback ones.
            let host = line(&out, "hostname: ");
            let hosts = line(&out, "hosts: ");
            assert!(
                hosts.starts_with("127.0.0.1 localhost|")
                    && hosts.ends_with(&format!("|{ip} {host}|")),
                "{hosts}"
            );
            let ctr_resolv = ok(&d.wharf(&["run", "--rm", "busybox", "cat", "/etc/resolv.conf"]));
            let ctr_resolv = ctr_resolv.replace('\n', "|");
            let ctr_resolv: Vec<&str> = ctr_resolv.split_whitespace().collect();
            assert_eq!(line(&out, "resolv: "), ctr_resolv.join(" "), "{out}");
            assert!(!line(&out, "resolv: ").contains("nameserver 127."), "{out}");
        }
        // The host's network: its loopback services answer.
        let out = build_ok(&d, cli, ctx.path(), &["--no-cache", "--network", "host"]);
        assert_eq!(line(&out, "svc: "), "host-only-service", "{out}");
        // None: loopback only.
        let out = build_ok(&d, cli, ctx.path(), &["--no-cache", "--network", "none"]);
        assert_eq!(line(&out, "links: "), "lo", "{out}");
        assert_eq!(line(&out, "svc: "), "unreachable", "{out}");
    }
    // Per step: RUN --network=host on a default build, RUN --network=default follows the build.
    let ctx = context(&[(
        "Dockerfile",
        &format!(
            "FROM busybox\nRUN --network=host echo host: {}\n\
             RUN --network=default echo default: $(ls /sys/class/net)\n",
            probe_service(&port.to_string())
        ),
    )]);
    let out = build_ok(&d, Cli::Wharf, ctx.path(), &["--no-cache"]);
    assert_eq!(line(&out, "host: "), "host-only-service", "{out}");
    assert_eq!(line(&out, "default: "), "eth0 lo", "{out}");
    let out = build_ok(
        &d,
        Cli::Wharf,
        ctx.path(),
        &["--no-cache", "--network", "none"],
    );
    assert_eq!(line(&out, "default: "), "lo", "{out}");
}

#[test]
fn a_user_network_for_the_build_and_unknown_ones_refused() {
    if skip_unless_root() {
        return;
    }
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    ok(&d.wharf(&["network", "create", "buildnet"]));
    // A container on the network, which the steps find by name through the embedded DNS.
    ok(&d.wharf(&[
        "run",
        "-d",
        "--name",
        "peer",
        "--network",
        "buildnet",
        "busybox",
        "sleep",
        "300",
    ]));
    let (_, net, prefix) = bridge_of(&d, "buildnet");
    let ctx = context(&[(
        "Dockerfile",
        "FROM busybox\nRUN echo addr: $(ip -4 addr show dev eth0 | awk '/inet /{print $2}' | cut -d/ -f1) && \
         echo resolv: $(grep nameserver /etc/resolv.conf) && \
         ping -c1 -W5 peer >/dev/null && echo peer: reached\n",
    )]);
    for cli in clis() {
        let out = build_ok(
            &d,
            cli,
            ctx.path(),
            &["--no-cache", "--network", "buildnet"],
        );
        let ip: Ipv4Addr = line(&out, "addr: ").parse().unwrap();
        assert!(in_subnet(ip, net, prefix), "{ip} in {net}/{prefix}\n{out}");
        assert_eq!(line(&out, "resolv: "), "nameserver 127.0.0.11", "{out}");
        assert_eq!(line(&out, "peer: "), "reached", "{out}");

        let err = fails(&build(&d, cli, ctx.path(), &["--network", "nosuchnet"]), 1);
        assert!(err.contains("network nosuchnet not found"), "{err}");
    }
}

#[test]
fn nothing_is_left_after_builds_that_pass_fail_or_are_cut_short() {
    if skip_unless_root() {
        return;
    }
    let mut d = TestDaemon::start();
    d.import_busybox("busybox");
    let ok_ctx = context(&[(
        "Dockerfile",
        "FROM busybox\nRUN echo ip: $(ip -4 addr show dev eth0 | awk '/inet /{print $2}')\nRUN true\n",
    )]);
    let out = build_ok(&d, Cli::Wharf, ok_ctx.path(), &["--no-cache"]);
    let first_ip = line(&out, "ip: ").to_string();
    let (bridge, _, _) = bridge_of(&d, "bridge");
    let rules = table(&bridge);
    let settled = |what: &str| {
        wait_for(what, || ports_of(&bridge).is_empty());
        assert_eq!(table(&bridge), rules, "the rules changed ({what})");
    };
    settled("the first build's veths to go");

    // A failing step, through both CLIs.
    let bad = context(&[("Dockerfile", "FROM busybox\nRUN exit 3\n")]);
    for cli in clis() {
        let out = build(&d, cli, bad.path(), &["--no-cache"]);
        assert!(!out.status.success());
        settled("the failed step's veth to go");
    }

    // A client that goes away mid-step.
    let sleeper = context(&[("Dockerfile", "FROM busybox\nRUN sleep 60\n")]);
    let mut child = d
        .wharf_cmd(&["build", "--no-cache", sleeper.path().to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the sleeping step's veth", || !ports_of(&bridge).is_empty());
    child.kill().unwrap();
    let _ = child.wait();
    settled("the cancelled step's veth to go");

    // Every address went back: the next step gets the first one again.
    let out = build_ok(&d, docker_or_wharf(), ok_ctx.path(), &["--no-cache"]);
    assert_eq!(line(&out, "ip: "), first_ip, "{out}");
    settled("the last build's veths to go");

    // The engine killed mid-step: the step outlives it, but its veth does not outlive the
    // engine's next start.
    let orphan = context(&[("Dockerfile", "FROM busybox\nRUN sleep 8\n")]);
    let mut child = d
        .wharf_cmd(&["build", "--no-cache", orphan.path().to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the step's veth", || !ports_of(&bridge).is_empty());
    let started = Instant::now();
    d.kill9();
    let _ = child.wait();
    d.spawn();
    // The start-up sweep removed it while the step still sleeps.
    let remaining = ports_of(&bridge);
    assert!(
        remaining.is_empty() || !Path::new("/sys/class/net").join(&bridge).exists(),
        "left after the restart: {remaining:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the step had ended already"
    );
    // The orphaned step ends on its own (until it does, the snapshot it holds keeps new RUN
    // steps from mounting theirs, which is not the network's doing); then the first address
    // is free again.
    wait_for("the orphaned step to end", || step_helpers(&d) == 0);
    let out = build_ok(&d, Cli::Wharf, ok_ctx.path(), &["--no-cache"]);
    assert_eq!(line(&out, "ip: "), first_ip, "{out}");
}

/// docker's CLI when installed, else wharf's.
fn docker_or_wharf() -> Cli {
    if docker_available() {
        Cli::Docker
    } else {
        Cli::Wharf
    }
}
