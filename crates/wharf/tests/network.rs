//! Networking end to end: published ports answering on the host's loopback, names on user
//! networks, links on the default bridge, outbound NAT, clean-up after removal and after a
//! crash, refusals of bad input, and coexistence with devices the engine did not make.
//!
//! Traffic stays on 127.0.0.0/8, on the engine's own bridges, and in namespaces the tests make.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use common::{TestDaemon, fails, ok, skip_unless_root, stdout};
use wharf_network::netlink::Socket;
use wharf_network::netlink::link::VethSpec;

const HTTPD: &str =
    "mkdir -p /www && echo hello-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www";
const HTTPD_82: &str = "mkdir -p /www && httpd -p 82 -h /www";

fn daemon() -> TestDaemon {
    let d = TestDaemon::start();
    d.import_busybox("busybox");
    d
}

/// `GET /` on `addr`, retried until the server answers (its process may still be starting).
fn http_get(addr: SocketAddr) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = (|| -> std::io::Result<String> {
            let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
            s.set_read_timeout(Some(Duration::from_secs(5)))?;
            s.write_all(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")?;
            let mut out = String::new();
            s.read_to_string(&mut out)?;
            Ok(out)
        })();
        match got {
            Ok(body) if body.contains("200 OK") => return body,
            other if Instant::now() > deadline => panic!("GET {addr}: {other:?}"),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn inspect(d: &TestDaemon, what: &str, format: &str) -> String {
    ok(&d.wharf(&["inspect", "-f", format, what]))
        .trim()
        .to_string()
}

/// The host port `key` (e.g. `80/tcp`) of container `id` is published on for `host_ip`.
fn host_port(d: &TestDaemon, id: &str, key: &str, host_ip: &str) -> u16 {
    let out = ok(&d.wharf(&["port", id, key]));
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{host_ip}:")))
        .unwrap_or_else(|| panic!("no {host_ip} binding for {key} in {out:?}"))
        .trim()
        .parse()
        .unwrap()
}

/// A free port on 127.0.0.1 (free when asked: the tests that use it bind it right away).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn gateway(d: &TestDaemon, net: &str) -> Ipv4Addr {
    ok(&d.wharf(&[
        "network",
        "inspect",
        "-f",
        "{{range .IPAM.Config}}{{.Gateway}}{{end}}",
        net,
    ]))
    .trim()
    .parse()
    .unwrap()
}

/// The default bridge's device, and the engine's nftables table (same tag, see `Naming`).
fn bridge_and_table(d: &TestDaemon) -> (String, String) {
    let dev = ok(&d.wharf(&[
        "network",
        "inspect",
        "-f",
        "{{index .Options \"com.docker.network.bridge.name\"}}",
        "bridge",
    ]))
    .trim()
    .to_string();
    let table = dev.replace('-', "_");
    (dev, table)
}

fn nft_table(table: &str) -> Option<String> {
    let out = std::process::Command::new("nft")
        .args(["list", "table", "ip", table])
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn link_exists(name: &str) -> bool {
    Socket::open().unwrap().link(name).unwrap().is_some()
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rustix::rand::getrandom(&mut b, rustix::rand::GetRandomFlags::empty()).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A link the test made in the host's namespace, deleted when the test ends.
struct TestLink(String);

impl Drop for TestLink {
    fn drop(&mut self) {
        if let Ok(mut nl) = Socket::open() {
            let _ = nl.delete_link(&self.0);
        }
    }
}

#[test]
fn published_ports_answer_on_loopback_through_both_clis() {
    if skip_unless_root() {
        return;
    }
    let d = daemon();
    let fixed = free_port();
    let spec = format!("127.0.0.1:{fixed}:80");
    // httpd on 80 (published with -p twice) and on 82 (exposed, published by -P).
    let cmd = format!("{HTTPD_82}; {HTTPD}");
    let id = ok(&d.wharf(&[
        "run",
        "-d",
        "--name",
        "web",
        "-p",
        &spec,
        "-p",
        "127.0.0.1::80",
        "--expose",
        "82",
        "--expose",
        "81/udp",
        "-P",
        "busybox",
        "sh",
        "-c",
        &cmd,
    ]))
    .trim()
    .to_string();
    let body = http_get(([127, 0, 0, 1], fixed).into());
    assert!(body.contains("hello-"), "{body}");
    let ports = ok(&d.wharf(&["port", &id]));
    let mut lines: Vec<&str> = ports.lines().collect();
    lines.sort();
    assert_eq!(lines.len(), 4, "{ports}");
    assert!(lines[0].starts_with("80/tcp -> 127.0.0.1:"), "{ports}");
    assert!(lines[1].starts_with("80/tcp -> 127.0.0.1:"), "{ports}");
    assert!(lines[2].starts_with("81/udp -> 0.0.0.0:"), "{ports}");
    assert!(lines[3].starts_with("82/tcp -> 0.0.0.0:"), "{ports}");
    let on_80: Vec<u16> = lines[..2]
        .iter()
        .map(|l| l.rsplit(':').next().unwrap().parse().unwrap())
        .collect();
    assert!(on_80.contains(&fixed), "{ports}");
    let dynamic = on_80.into_iter().find(|p| *p != fixed).unwrap();
    http_get(([127, 0, 0, 1], dynamic).into());
    // `-P`: through the proxy on loopback, and through the kernel's DNAT from a local address
    // that is not loopback (the bridge's gateway).
    let published_all = host_port(&d, &id, "82/tcp", "0.0.0.0");
    http_get(([127, 0, 0, 1], published_all).into());
    let gw = gateway(&d, "bridge");
    http_get((gw, published_all).into());
    // inspect and the docker CLI see the same bindings.
    let ports_json = inspect(&d, &id, "{{json .NetworkSettings.Ports}}");
    assert!(
        ports_json.contains(&format!("\"HostPort\":\"{fixed}\"")),
        "{ports_json}"
    );
    let dport = ok(&d.docker(&["port", "web", "80/tcp"]));
    assert!(dport.contains(&format!("127.0.0.1:{fixed}")), "{dport}");

    // The docker CLI publishes too.
    let id2 = ok(&d.docker(&[
        "run",
        "-d",
        "-p",
        "127.0.0.1::80",
        "busybox",
        "sh",
        "-c",
        HTTPD,
    ]))
    .trim()
    .to_string();
    let p2 = host_port(&d, &id2, "80/tcp", "127.0.0.1");
    http_get(([127, 0, 0, 1], p2).into());

    // Removing frees the ports (the proxies are gone).
    ok(&d.docker(&["rm", "-f", &id, &id2]));
    for p in [fixed, dynamic, p2] {
        assert!(
            TcpListener::bind(("127.0.0.1", p)).is_ok(),
            "port {p} still held"
        );
    }
}

#[test]
fn user_networks_resolve_names_and_aliases() {
    if skip_unless_root() {
        return;
    }
    let d = daemon();
    ok(&d.docker(&["network", "create", "appnet"]));
    ok(&d.docker(&[
        "run",
        "-d",
        "--name",
        "db",
        "--network",
        "appnet",
        "--network-alias",
        "database",
        "busybox",
        "sleep",
        "60",
    ]));
    ok(&d.wharf(&[
        "run",
        "-d",
        "--name",
        "api",
        "--network",
        "appnet",
        "--network-alias",
        "backend",
        "busybox",
        "sleep",
        "60",
    ]));
    let db_ip = inspect(&d, "db", "{{.NetworkSettings.Networks.appnet.IPAddress}}");
    let api_ip = inspect(&d, "api", "{{.NetworkSettings.Networks.appnet.IPAddress}}");
    assert_ne!(db_ip, api_ip);
    for (from, name, ip) in [
        ("api", "db", &db_ip),
        ("api", "database", &db_ip),
        ("db", "api", &api_ip),
        ("db", "backend", &api_ip),
    ] {
        let out = ok(&d.wharf(&["exec", from, "nslookup", name]));
        assert!(
            out.contains(&format!("Address: {ip}")),
            "{from} → {name}: {out}"
        );
        ok(&d.wharf(&["exec", from, "ping", "-c1", "-W2", name]));
    }
    // Unknown names are NXDOMAIN, not an answer from the other container.
    let out = d.wharf(&["exec", "api", "nslookup", "nosuchname"]);
    assert!(!out.status.success(), "{}", stdout(&out));
    // A container on the default bridge does not see the user network's names.
    let out = d.wharf(&["run", "--rm", "busybox", "ping", "-c1", "-W1", "db"]);
    assert!(!out.status.success());

    // connect / disconnect: a third container joins later with an alias, then leaves.
    ok(&d.wharf(&["run", "-d", "--name", "late", "busybox", "sleep", "60"]));
    ok(&d.wharf(&["network", "connect", "--alias", "tardy", "appnet", "late"]));
    let out = ok(&d.wharf(&["exec", "api", "nslookup", "tardy"]));
    let late_ip = inspect(&d, "late", "{{.NetworkSettings.Networks.appnet.IPAddress}}");
    assert!(out.contains(&format!("Address: {late_ip}")), "{out}");
    ok(&d.wharf(&["exec", "late", "ping", "-c1", "-W2", "db"]));
    ok(&d.docker(&["network", "disconnect", "appnet", "late"]));
    assert!(
        !d.wharf(&["exec", "api", "nslookup", "tardy"])
            .status
            .success()
    );
    let err = fails(&d.wharf(&["network", "rm", "appnet"]), 1);
    assert!(err.contains("has active endpoints"), "{err}");
    ok(&d.wharf(&["rm", "-f", "db", "api", "late"]));
    ok(&d.wharf(&["network", "rm", "appnet"]));
}

#[test]
fn links_on_the_default_bridge() {
    if skip_unless_root() {
        return;
    }
    let d = daemon();
    ok(&d.wharf(&["run", "-d", "--name", "web", "busybox", "sh", "-c", HTTPD]));
    let web_ip = inspect(&d, "web", "{{.NetworkSettings.IPAddress}}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let body = loop {
        let out = d.wharf(&[
            "run",
            "--rm",
            "--link",
            "web:site",
            "--add-host",
            "extra.test:10.1.2.3",
            "-h",
            "client",
            "busybox",
            "sh",
            "-c",
            "cat /etc/hosts; hostname; wget -qO- http://site/",
        ]);
        if out.status.success() || Instant::now() > deadline {
            break ok(&out);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(body.contains(&format!("{web_ip}\tsite ")), "{body}");
    assert!(body.contains("10.1.2.3\textra.test"), "{body}");
    assert!(body.contains("\nclient\n"), "{body}");
    assert!(body.contains("hello-"), "{body}");
    // The docker CLI's --link too, and a link to a missing container is refused.
    let out = ok(&d.docker(&[
        "run", "--rm", "--link", "web", "busybox", "ping", "-c1", "-W2", "web",
    ]));
    assert!(out.contains("1 packets received"), "{out}");
    let err = fails(
        &d.docker(&["run", "--rm", "--link", "nosuch:x", "busybox", "true"]),
        125,
    );
    assert!(!err.contains("Unable to find image"), "{err}");
    assert!(err.contains("could not get container for nosuch"), "{err}");
}

#[test]
fn outbound_traffic_is_masqueraded_and_reaches_the_gateway() {
    if skip_unless_root() {
        return;
    }
    let d = daemon();
    // "Outside": a namespace the test makes, behind a veth from the host, with a server.
    let (outside, listener) = wharf_network::netns::create(|_| {
        TcpListener::bind("0.0.0.0:8099").map_err(|e| wharf_network::NetError::io("bind", e))
    })
    .unwrap();
    let mut nl = Socket::open().unwrap();
    let host_end = format!("wnt{}", random_hex(4));
    nl.create_veth(&VethSpec {
        name: &host_end,
        master: 0,
        mtu: 1500,
        peer_name: "eth0",
        peer_netns: outside.fd.as_fd(),
        peer_mac: [0x02, 0, 0xc6, 0x12, 0, 2],
    })
    .unwrap();
    let _guard = TestLink(host_end.clone());
    // 198.18.0.0/15 is for benchmarks: never a real network.
    let third = u8::from_str_radix(&random_hex(1), 16).unwrap();
    let (host_ip, outside_ip) = (
        Ipv4Addr::new(198, 18, third, 1),
        Ipv4Addr::new(198, 18, third, 2),
    );
    let idx = nl.link(&host_end).unwrap().unwrap().index;
    nl.add_addr(idx, host_ip, 30).unwrap();
    let mut onl = outside.nl;
    let oidx = onl.link("eth0").unwrap().unwrap().index;
    onl.add_addr(oidx, outside_ip, 30).unwrap();
    onl.set_up("eth0").unwrap();
    let server = std::thread::spawn(move || {
        listener
            .set_nonblocking(false)
            .and_then(|_| listener.accept())
            .map(|(mut s, peer)| {
                let mut b = [0u8; 512];
                let _ = s.read(&mut b);
                let _ = s.write_all(b"HTTP/1.0 200 OK\r\n\r\nnat-ok\n");
                peer
            })
    });
    let id = ok(&d.wharf(&["run", "-d", "busybox", "sleep", "60"]))
        .trim()
        .to_string();
    let ctr_ip = inspect(&d, &id, "{{.NetworkSettings.IPAddress}}");
    let url = format!("http://{outside_ip}:8099/");
    let out = ok(&d.wharf(&["exec", &id, "wget", "-qO-", &url]));
    assert_eq!(out.trim(), "nat-ok");
    let peer = server.join().unwrap().unwrap();
    assert_eq!(
        peer.ip(),
        std::net::IpAddr::V4(host_ip),
        "the server saw the container's own address ({ctr_ip}), not the host's"
    );

    // The host's side of the bridge: a server on the gateway address sees the container.
    let gw = gateway(&d, "bridge");
    let l = TcpListener::bind((gw, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, peer) = l.accept().unwrap();
        let mut b = [0u8; 512];
        let _ = s.read(&mut b);
        s.write_all(b"HTTP/1.0 200 OK\r\n\r\ngw-ok\n").unwrap();
        peer
    });
    let out = ok(&d.docker(&["exec", &id, "wget", "-qO-", &format!("http://{gw}:{port}/")]));
    assert_eq!(out.trim(), "gw-ok");
    assert_eq!(server.join().unwrap().ip().to_string(), ctr_ip);
    ok(&d.wharf(&["rm", "-f", &id]));
}

#[test]
fn fifty_published_containers_leave_nothing_after_rm() {
    if skip_unless_root() {
        return;
    }
    let d = daemon();
    let mut ids = Vec::new();
    for _ in 0..50 {
        ids.push(
            ok(&d.wharf(&[
                "run",
                "-d",
                "-p",
                "127.0.0.1::80",
                "busybox",
                "sleep",
                "120",
            ]))
            .trim()
            .to_string(),
        );
    }
    let (_, table) = bridge_and_table(&d);
    let rules = nft_table(&table).expect("the engine's table exists");
    assert_eq!(rules.matches("dnat to").count(), 50, "{rules}");
    let mut veths = Vec::new();
    let mut ports = Vec::new();
    for id in &ids {
        let ep = inspect(&d, id, "{{.NetworkSettings.EndpointID}}");
        veths.push(format!("wv{}", &ep[..13]));
        ports.push(host_port(&d, id, "80/tcp", "127.0.0.1"));
    }
    assert!(veths.iter().all(|v| link_exists(v)));
    let mut args = vec!["rm", "-f"];
    args.extend(ids.iter().map(String::as_str));
    ok(&d.wharf(&args));
    let deadline = Instant::now() + Duration::from_secs(10);
    while veths.iter().any(|v| link_exists(v)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<&String> = veths.iter().filter(|v| link_exists(v)).collect();
    assert!(left.is_empty(), "veths left: {left:?}");
    // The exit-time rewrite runs in the background: the rules go soon after.
    while nft_table(&table).unwrap_or_default().contains("dnat") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let rules = nft_table(&table).unwrap_or_default();
    assert!(!rules.contains("dnat"), "{rules}");
    for p in ports {
        assert!(
            TcpListener::bind(("127.0.0.1", p)).is_ok(),
            "port {p} still held"
        );
    }
}

#[test]
fn bad_input_is_refused_with_dockers_errors_and_leaves_nothing() {
    if skip_unless_root() {
        return;
    }
    let d = daemon();
    let p = free_port();
    let spec = format!("127.0.0.1:{p}:80");
    ok(&d.wharf(&[
        "run", "-d", "--name", "holder", "-p", &spec, "busybox", "sleep", "60",
    ]));
    let (_, table) = bridge_and_table(&d);
    let before = nft_table(&table).unwrap();
    for out in [
        d.wharf(&["run", "--rm", "-p", &spec, "busybox", "true"]),
        d.docker(&["run", "--rm", "-p", &spec, "busybox", "true"]),
    ] {
        let err = fails(&out, 125);
        assert!(
            err.contains(
                "failed to set up container networking: driver failed programming external connectivity on endpoint"
            ) && err.contains(&format!("Bind for 127.0.0.1:{p} failed: port is already allocated")),
            "{err}"
        );
    }
    assert_eq!(
        nft_table(&table).unwrap(),
        before,
        "a refused start changed the rules"
    );
    let ps = ok(&d.wharf(&["ps", "-aq"]));
    assert_eq!(ps.lines().count(), 1, "{ps}");

    for (spec, msg) in [
        ("abc", "invalid containerPort: abc"),
        ("99999:80", "invalid hostPort: 99999"),
        ("80/xyz", "invalid proto: xyz"),
        ("1.2.3:80:80", "invalid IP address: 1.2.3"),
    ] {
        let err = fails(&d.wharf(&["create", "-p", spec, "busybox"]), 125);
        assert!(err.contains(msg), "wharf -p {spec}: {err}");
        let err = fails(&d.docker(&["create", "-p", spec, "busybox"]), 125);
        assert!(err.contains(msg), "docker -p {spec}: {err}");
    }
    // Unknown networks fail at start, as with dockerd (create succeeds, --rm removes it).
    for out in [
        d.wharf(&["run", "--rm", "--network", "nosuchnet", "busybox", "true"]),
        d.docker(&["run", "--rm", "--network", "nosuchnet", "busybox", "true"]),
    ] {
        let err = fails(&out, 125);
        assert!(
            err.contains("failed to set up container networking: network nosuchnet not found"),
            "{err}"
        );
        assert!(!err.contains("Unable to find image"), "{err}");
    }
    let err = fails(&d.wharf(&["network", "connect", "nosuchnet", "holder"]), 1);
    assert!(err.contains("network nosuchnet not found"), "{err}");

    // Overlapping subnets.
    ok(&d.wharf(&["network", "create", "--subnet", "10.213.0.0/16", "first"]));
    for out in [
        d.wharf(&["network", "create", "--subnet", "10.213.7.0/24", "second"]),
        d.docker(&["network", "create", "--subnet", "10.213.7.0/24", "second"]),
    ] {
        let err = fails(&out, 1);
        assert!(
            err.contains("Pool overlaps with other one on this address space"),
            "{err}"
        );
    }
    let err = fails(
        &d.docker(&["network", "create", "--subnet", "10.214.0.0/33", "x"]),
        1,
    );
    assert!(err.contains("invalid"), "{err}");
    let err = fails(&d.docker(&["network", "create", "first"]), 1);
    assert!(
        err.contains("network with name first already exists"),
        "{err}"
    );
    let nets = ok(&d.wharf(&["network", "ls", "--format", "{{.Name}}"]));
    assert_eq!(
        nets.lines().collect::<Vec<_>>(),
        ["bridge", "first", "host", "none"]
    );
    let err = fails(&d.wharf(&["network", "rm", "bridge"]), 1);
    assert!(
        err.contains("bridge is a pre-defined network and cannot be removed"),
        "{err}"
    );
    ok(&d.wharf(&["rm", "-f", "holder"]));
    ok(&d.wharf(&["network", "prune", "-f"]));
}

#[test]
fn restart_after_kill9_keeps_ports_and_clears_leftovers_beside_foreign_devices() {
    if skip_unless_root() {
        return;
    }
    let mut d = daemon();
    // Devices the engine did not make, named like the engine's own: it must leave them alone.
    let mut nl = Socket::open().unwrap();
    let foreign_bridge = format!("wb-{}", random_hex(6));
    nl.create_bridge(&foreign_bridge, 1500).unwrap();
    let _g1 = TestLink(foreign_bridge.clone());
    let foreign_veth = format!("wv{}", &random_hex(7)[..13]);
    let (peer_ns, ()) = wharf_network::netns::create(|_| Ok(())).unwrap();
    nl.create_veth(&VethSpec {
        name: &foreign_veth,
        master: 0,
        mtu: 1500,
        peer_name: "eth0",
        peer_netns: peer_ns.fd.as_fd(),
        peer_mac: [0x02, 0, 0, 0, 0, 9],
    })
    .unwrap();
    let _g2 = TestLink(foreign_veth.clone());

    let p = free_port();
    let spec = format!("127.0.0.1:{p}:80");
    ok(&d.wharf(&[
        "run", "-d", "--name", "web", "-p", &spec, "busybox", "sh", "-c", HTTPD,
    ]));
    ok(&d.wharf(&["network", "create", "side"]));
    ok(&d.wharf(&[
        "run",
        "-d",
        "--name",
        "sider",
        "--network",
        "side",
        "busybox",
        "sleep",
        "60",
    ]));
    http_get(([127, 0, 0, 1], p).into());
    let (bridge, table) = bridge_and_table(&d);
    let side_bridge = format!(
        "wb-{}",
        &ok(&d.wharf(&["network", "inspect", "-f", "{{.Id}}", "side"])).trim()[..12]
    );
    d.kill9();
    // The container runs on; the engine comes back, takes its port again and serves it.
    d.spawn();
    http_get(([127, 0, 0, 1], p).into());
    ok(&d.wharf(&["exec", "web", "true"]));
    // Its leftovers: remove everything, stop the engine: nothing of it remains.
    ok(&d.wharf(&["rm", "-f", "web", "sider"]));
    ok(&d.wharf(&["network", "rm", "side"]));
    d.stop();
    assert!(!link_exists(&bridge), "{bridge} left after shutdown");
    assert!(!link_exists(&side_bridge), "{side_bridge} left");
    assert!(
        nft_table(&table).is_none(),
        "table {table} left after shutdown"
    );
    assert!(link_exists(&foreign_bridge) && link_exists(&foreign_veth));

    // A crash with a container running, then the container dies while the engine is down:
    // the next start removes the rules and frees the port.
    d.spawn();
    ok(&d.wharf(&[
        "run", "-d", "--name", "web2", "-p", &spec, "busybox", "sleep", "60",
    ]));
    d.kill9();
    d.kill_containers();
    d.spawn();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpListener::bind(("127.0.0.1", p)).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        TcpListener::bind(("127.0.0.1", p)).is_ok(),
        "port {p} still held"
    );
    while nft_table(&table).unwrap_or_default().contains("dnat") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let rules = nft_table(&table).unwrap_or_default();
    assert!(!rules.contains("dnat"), "{rules}");
    assert!(link_exists(&foreign_bridge) && link_exists(&foreign_veth));
}

/// Regression: an engine whose only bridge was a user network, removed before shutdown, left
/// its nftables table behind (shutdown only removed the table while some bridge was up).
#[test]
fn shutdown_removes_the_table_after_the_last_user_network_went() {
    if skip_unless_root() {
        return;
    }
    let mut d = daemon();
    let (_, table) = bridge_and_table(&d);
    ok(&d.wharf(&["network", "create", "only"]));
    ok(&d.wharf(&["run", "--rm", "--network", "only", "busybox", "true"]));
    assert!(nft_table(&table).is_some(), "no table {table} while in use");
    ok(&d.wharf(&["network", "rm", "only"]));
    d.stop();
    assert!(
        nft_table(&table).is_none(),
        "table {table} left after shutdown"
    );
}
