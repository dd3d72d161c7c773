//! Privileged: builds a bridge and a veth pair between two namespaces this test makes (the
//! host's own namespace is never touched) and checks traffic flows across them.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::AsFd;

use wharf_network::netlink::link::VethSpec;
use wharf_network::{ipam, netns};

fn root() -> bool {
    rustix::process::geteuid().is_root()
}

#[test]
fn bridge_and_veth_carry_traffic_between_namespaces() {
    if !root() {
        eprintln!("skipped: needs root");
        return;
    }
    // "host": a namespace standing in for the host; "ctr": the container's.
    let (mut host, ()) = netns::create(|_| Ok(())).unwrap();
    let (mut ctr, ()) = netns::create(|_| Ok(())).unwrap();
    let gw = Ipv4Addr::new(10, 77, 0, 1);
    let ip = Ipv4Addr::new(10, 77, 0, 2);

    host.nl.create_bridge("tbr0", 1500).unwrap();
    host.nl.set_alias("tbr0", "wharf:test").unwrap();
    let br = host.nl.link("tbr0").unwrap().unwrap();
    assert_eq!(
        (br.kind.as_str(), br.alias.as_str()),
        ("bridge", "wharf:test")
    );
    host.nl.add_addr(br.index, gw, 16).unwrap();
    host.nl
        .create_veth(&VethSpec {
            name: "tveth0",
            master: br.index,
            mtu: 1500,
            peer_name: "eth0",
            peer_netns: ctr.fd.as_fd(),
            peer_mac: ipam::mac_for(ip),
        })
        .unwrap();
    let links = host.nl.links().unwrap();
    let veth = links.iter().find(|l| l.name == "tveth0").unwrap();
    assert_eq!((veth.kind.as_str(), veth.master), ("veth", br.index));
    assert!(
        links.iter().all(|l| l.name != "eth0"),
        "the peer lives in the container"
    );

    let eth0 = ctr.nl.link("eth0").unwrap().unwrap();
    ctr.nl.add_addr(eth0.index, ip, 16).unwrap();
    ctr.nl.set_up("eth0").unwrap();
    ctr.nl.add_default_route(gw).unwrap();
    assert!(ctr.nl.addrs().unwrap().iter().any(|a| a.addr == ip));
    let routes = host.nl.route_destinations().unwrap();
    assert!(
        routes.iter().any(|r| r.to_string() == "10.77.0.0/16"),
        "{routes:?}"
    );

    let server: TcpListener =
        netns::enter(
            ctr.fd.as_fd(),
            || Ok(TcpListener::bind((ip, 7777)).unwrap()),
        )
        .unwrap();
    let mut client: TcpStream = netns::enter(host.fd.as_fd(), || {
        Ok(TcpStream::connect((ip, 7777)).unwrap())
    })
    .unwrap();
    let (mut conn, peer) = server.accept().unwrap();
    assert_eq!(peer.ip(), std::net::IpAddr::V4(gw));
    client.write_all(b"ping").unwrap();
    let mut b = [0u8; 4];
    conn.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"ping");

    assert!(host.nl.delete_link("tveth0").unwrap());
    assert!(!host.nl.delete_link("tveth0").unwrap(), "already gone");
    assert!(
        ctr.nl.link("eth0").unwrap().is_none(),
        "the peer goes with it"
    );
    assert!(host.nl.delete_link("tbr0").unwrap());
    let _ = &mut host;
    let _ = &mut ctr;
}
