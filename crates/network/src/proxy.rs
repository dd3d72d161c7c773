//! The userland proxy for published ports: it holds the host port (so nothing else can take
//! it) and carries the traffic the kernel's DNAT rules cannot, which is traffic to the
//! loopback address (`curl 127.0.0.1:8080`) and from a container to its own network's
//! published ports. It runs as tasks on the engine's async runtime, not as a process per port.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::{JoinHandle, JoinSet};

const BUFFER: usize = 256 * 1024;
const UDP_IDLE: Duration = Duration::from_secs(90);

/// A running proxy; dropping it closes the host port and every connection through it.
pub struct Proxy {
    task: JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds a TCP host port (blocking; call before the container starts so a taken port fails
/// the start).
pub fn bind_tcp(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let l = std::net::TcpListener::bind(addr)?;
    l.set_nonblocking(true)?;
    Ok(l)
}

pub fn bind_udp(addr: SocketAddr) -> std::io::Result<std::net::UdpSocket> {
    let s = std::net::UdpSocket::bind(addr)?;
    s.set_nonblocking(true)?;
    Ok(s)
}

/// Forwards every connection accepted on `l` to `target`.
pub fn serve_tcp(
    rt: &tokio::runtime::Handle,
    l: std::net::TcpListener,
    target: SocketAddr,
) -> std::io::Result<Proxy> {
    let _g = rt.enter();
    let l = tokio::net::TcpListener::from_std(l)?;
    let task = rt.spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                accepted = l.accept() => {
                    let Ok((mut client, _)) = accepted else {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    conns.spawn(async move {
                        let Ok(mut backend) = tokio::net::TcpStream::connect(target).await else {
                            return;
                        };
                        let _ = client.set_nodelay(true);
                        let _ = backend.set_nodelay(true);
                        let _ = tokio::io::copy_bidirectional_with_sizes(
                            &mut client, &mut backend, BUFFER, BUFFER,
                        )
                        .await;
                    });
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
    });
    Ok(Proxy { task })
}

/// Forwards datagrams on `s` to `target`, one upstream socket per client, and the answers
/// back.
pub fn serve_udp(
    rt: &tokio::runtime::Handle,
    s: std::net::UdpSocket,
    target: SocketAddr,
) -> std::io::Result<Proxy> {
    let _g = rt.enter();
    let s = Arc::new(tokio::net::UdpSocket::from_std(s)?);
    let task = rt.spawn(async move {
        let mut flows: HashMap<SocketAddr, Arc<tokio::net::UdpSocket>> = HashMap::new();
        let mut returns = JoinSet::new();
        let mut buf = vec![0u8; 65536];
        loop {
            tokio::select! {
                got = s.recv_from(&mut buf) => {
                    let Ok((n, client)) = got else { continue };
                    let up = match flows.get(&client) {
                        Some(u) => u.clone(),
                        None => {
                            let bind: SocketAddr = if target.is_ipv4() {
                                ([0, 0, 0, 0], 0).into()
                            } else {
                                ([0u16; 8], 0).into()
                            };
                            let Ok(u) = tokio::net::UdpSocket::bind(bind).await else { continue };
                            if u.connect(target).await.is_err() {
                                continue;
                            }
                            let u = Arc::new(u);
                            flows.insert(client, u.clone());
                            let (back, up2) = (s.clone(), u.clone());
                            returns.spawn(async move {
                                let mut b = vec![0u8; 65536];
                                while let Ok(Ok(n)) = tokio::time::timeout(UDP_IDLE, up2.recv(&mut b)).await {
                                    let _ = back.send_to(&b[..n], client).await;
                                }
                                client
                            });
                            u
                        }
                    };
                    let _ = up.send(&buf[..n]).await;
                }
                Some(done) = returns.join_next(), if !returns.is_empty() => {
                    if let Ok(client) = done {
                        flows.remove(&client);
                    }
                }
            }
        }
    });
    Ok(Proxy { task })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tcp_and_udp_reach_the_target() {
        let rt = tokio::runtime::Handle::current();
        let backend = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = backend.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut c, _) = backend.accept().await.unwrap();
            let mut b = [0u8; 5];
            c.read_exact(&mut b).await.unwrap();
            c.write_all(&b).await.unwrap();
        });
        let l = bind_tcp("127.0.0.1:0".parse().unwrap()).unwrap();
        let front = l.local_addr().unwrap();
        let p = serve_tcp(&rt, l, target).unwrap();
        let mut c = tokio::net::TcpStream::connect(front).await.unwrap();
        c.write_all(b"hello").await.unwrap();
        let mut b = [0u8; 5];
        c.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"hello");

        let echo = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let utarget = echo.local_addr().unwrap();
        tokio::spawn(async move {
            let mut b = [0u8; 64];
            let (n, from) = echo.recv_from(&mut b).await.unwrap();
            echo.send_to(&b[..n], from).await.unwrap();
        });
        let us = bind_udp("127.0.0.1:0".parse().unwrap()).unwrap();
        let ufront = us.local_addr().unwrap();
        let _up = serve_udp(&rt, us, utarget).unwrap();
        let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.send_to(b"ping", ufront).await.unwrap();
        let mut b = [0u8; 8];
        let n = tokio::time::timeout(Duration::from_secs(5), client.recv(&mut b))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&b[..n], b"ping");

        drop(p);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            std::net::TcpListener::bind(front).is_ok(),
            "a dropped proxy frees its port"
        );
    }
}
