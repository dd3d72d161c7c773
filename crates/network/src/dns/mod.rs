//! The embedded DNS server: one per container on a user-defined network, listening on
//! `127.0.0.11:53` (UDP and TCP) inside the container's namespace, as Docker's does. Names the
//! engine knows (containers and aliases on the container's networks) are answered from its
//! state; everything else is forwarded, from the host's namespace, to the upstream servers
//! (the host's resolvers, or the container's `--dns`).
//!
//! The sockets are opened inside the namespace and served by the engine's async runtime, so a
//! container's resolver costs no thread and no process.

pub mod message;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;

use message::{Answer, RCODE_NOERROR, RCODE_SERVFAIL, TYPE_A, TYPE_PTR};

/// Where the embedded server listens in each container.
pub const ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 11);
const TTL: u32 = 600;
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(3);

/// The engine's side of name resolution for one container.
pub trait Resolve: Send + Sync + 'static {
    /// `Some(addresses)` for a name the engine knows (possibly none of the asked family), `None`
    /// to forward it.
    fn lookup(&self, name: &str) -> Option<Vec<Ipv4Addr>>;
    /// The name of a container address, for PTR queries.
    fn reverse(&self, ip: Ipv4Addr) -> Option<String>;
    /// The servers other names go to.
    fn upstreams(&self) -> Vec<SocketAddr>;
}

/// Sockets bound inside a container's namespace.
pub struct Sockets {
    pub udp: std::net::UdpSocket,
    pub tcp: std::net::TcpListener,
}

/// Binds the server's sockets; call on a thread inside the container's namespace, with its
/// loopback up.
pub fn bind() -> std::io::Result<Sockets> {
    let addr = SocketAddr::from((ADDRESS, 53));
    let udp = std::net::UdpSocket::bind(addr)?;
    let tcp = std::net::TcpListener::bind(addr)?;
    udp.set_nonblocking(true)?;
    tcp.set_nonblocking(true)?;
    Ok(Sockets { udp, tcp })
}

/// A running server; dropping it closes its sockets.
pub struct Server {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts serving `sockets` on the runtime of `rt`.
pub fn serve(rt: &tokio::runtime::Handle, sockets: Sockets, r: Arc<dyn Resolve>) -> Server {
    let _guard = rt.enter();
    let mut tasks = Vec::new();
    let r2 = r.clone();
    match tokio::net::UdpSocket::from_std(sockets.udp) {
        Ok(udp) => tasks.push(rt.spawn(serve_udp(Arc::new(udp), r2))),
        Err(e) => tracing::warn!(error = %e, "embedded DNS: udp socket"),
    }
    match tokio::net::TcpListener::from_std(sockets.tcp) {
        Ok(tcp) => tasks.push(rt.spawn(serve_tcp(tcp, r))),
        Err(e) => tracing::warn!(error = %e, "embedded DNS: tcp socket"),
    }
    Server { tasks }
}

/// The local answer to a query, or `None` to forward it.
pub fn local_answer(query: &[u8], r: &dyn Resolve) -> Option<Vec<u8>> {
    let q = message::parse_query(query)?;
    if q.qtype == TYPE_PTR {
        let ip = message::reverse_v4(&q.name)?;
        let name = r.reverse(ip)?;
        return Some(message::answer(&q, Answer::Ptr(&name), TTL));
    }
    let ips = r.lookup(&q.name)?;
    if q.qtype == TYPE_A && !ips.is_empty() {
        Some(message::answer(&q, Answer::A(&ips), TTL))
    } else {
        Some(message::answer(&q, Answer::Empty(RCODE_NOERROR), TTL))
    }
}

async fn serve_udp(sock: Arc<tokio::net::UdpSocket>, r: Arc<dyn Resolve>) {
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        let query = buf[..n].to_vec();
        if let Some(a) = local_answer(&query, r.as_ref()) {
            let _ = sock.send_to(&a, peer).await;
            continue;
        }
        let (sock, r) = (sock.clone(), r.clone());
        tokio::spawn(async move {
            let a = forward_udp(&query, &r.upstreams())
                .await
                .or_else(|| message::servfail_for(&query));
            if let Some(a) = a {
                let _ = sock.send_to(&a, peer).await;
            }
        });
    }
}

async fn forward_udp(query: &[u8], upstreams: &[SocketAddr]) -> Option<Vec<u8>> {
    for up in upstreams {
        let bind: SocketAddr = if up.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let Ok(s) = tokio::net::UdpSocket::bind(bind).await else {
            continue;
        };
        if s.connect(up).await.is_err() || s.send(query).await.is_err() {
            continue;
        }
        let mut buf = vec![0u8; 4096];
        if let Ok(Ok(n)) = tokio::time::timeout(UPSTREAM_TIMEOUT, s.recv(&mut buf)).await
            && n >= 2
            && buf[..2] == query[..2]
        {
            buf.truncate(n);
            return Some(buf);
        }
    }
    None
}

async fn serve_tcp(l: tokio::net::TcpListener, r: Arc<dyn Resolve>) {
    loop {
        let Ok((conn, _)) = l.accept().await else {
            continue;
        };
        let r = r.clone();
        tokio::spawn(async move {
            let _ = tcp_conn(conn, r).await;
        });
    }
}

async fn read_framed(s: &mut tokio::net::TcpStream) -> std::io::Result<Vec<u8>> {
    let len = s.read_u16().await? as usize;
    let mut msg = vec![0u8; len];
    s.read_exact(&mut msg).await?;
    Ok(msg)
}

async fn write_framed(s: &mut tokio::net::TcpStream, msg: &[u8]) -> std::io::Result<()> {
    let mut out = Vec::with_capacity(msg.len() + 2);
    out.extend_from_slice(&(msg.len() as u16).to_be_bytes());
    out.extend_from_slice(msg);
    s.write_all(&out).await
}

async fn tcp_conn(mut conn: tokio::net::TcpStream, r: Arc<dyn Resolve>) -> std::io::Result<()> {
    loop {
        let query = tokio::time::timeout(Duration::from_secs(10), read_framed(&mut conn))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        let a = match local_answer(&query, r.as_ref()) {
            Some(a) => Some(a),
            None => forward_tcp(&query, &r.upstreams()).await,
        };
        let a = a
            .or_else(|| message::servfail_for(&query))
            .unwrap_or_default();
        if a.is_empty() {
            return Ok(());
        }
        write_framed(&mut conn, &a).await?;
    }
}

async fn forward_tcp(query: &[u8], upstreams: &[SocketAddr]) -> Option<Vec<u8>> {
    for up in upstreams {
        let attempt = async {
            let mut s = tokio::net::TcpStream::connect(up).await?;
            write_framed(&mut s, query).await?;
            read_framed(&mut s).await
        };
        if let Ok(Ok(a)) = tokio::time::timeout(UPSTREAM_TIMEOUT, attempt).await {
            return Some(a);
        }
    }
    None
}

/// The rcode of an answer (for tests and logs).
pub fn rcode(answer: &[u8]) -> u8 {
    answer.get(3).map(|b| b & 0x0f).unwrap_or(RCODE_SERVFAIL)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;

    impl Resolve for Fixed {
        fn lookup(&self, name: &str) -> Option<Vec<Ipv4Addr>> {
            (name == "db" || name == "db.backend").then(|| vec![Ipv4Addr::new(172, 20, 0, 2)])
        }
        fn reverse(&self, ip: Ipv4Addr) -> Option<String> {
            (ip == Ipv4Addr::new(172, 20, 0, 2)).then(|| "db.backend".into())
        }
        fn upstreams(&self) -> Vec<SocketAddr> {
            Vec::new()
        }
    }

    #[test]
    fn known_names_are_answered_and_others_forwarded() {
        let a = local_answer(&message::query(1, "db", TYPE_A), &Fixed).unwrap();
        assert_eq!(&a[a.len() - 4..], &[172, 20, 0, 2]);
        let aaaa = local_answer(&message::query(2, "db", message::TYPE_AAAA), &Fixed).unwrap();
        assert_eq!((rcode(&aaaa), aaaa[7]), (RCODE_NOERROR, 0));
        assert!(local_answer(&message::query(3, "example.com", TYPE_A), &Fixed).is_none());
        let ptr = local_answer(
            &message::query(4, "2.0.20.172.in-addr.arpa", TYPE_PTR),
            &Fixed,
        );
        assert!(ptr.is_some());
    }

    #[tokio::test]
    async fn unanswerable_forwards_become_servfail() {
        let q = message::query(9, "example.com", TYPE_A);
        assert!(forward_udp(&q, &[]).await.is_none());
        assert_eq!(rcode(&message::servfail_for(&q).unwrap()), RCODE_SERVFAIL);
    }
}
