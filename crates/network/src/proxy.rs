//! The userland proxy for published ports: it holds the host port (so nothing else can take
//! it) and carries the traffic the kernel's DNAT rules cannot, which is traffic to the
//! loopback address (`curl 127.0.0.1:8080`) and from a container to its own network's
//! published ports. It runs as tasks on the engine's async runtime, not as a process per port.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::task::{JoinHandle, JoinSet};

const BUFFER: usize = 256 * 1024;
const UDP_IDLE: Duration = Duration::from_secs(90);
/// How long `close_all` waits for the runtime to drop a proxy's tasks.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// A running proxy; dropping it closes the host port and every connection through it, soon
/// (the runtime drops its tasks); `close_all` waits until it has.
pub struct Proxy {
    task: JoinHandle<()>,
    /// Disconnects once every task of this proxy, and so every socket it held, is gone.
    gone: Receiver<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Stops `proxies` and returns once their host ports are free (as Docker's, whose proxy
/// processes are killed and waited for before `rm` returns), or after a bounded wait. Blocks:
/// call it from a blocking thread, not from a task.
pub fn close_all(proxies: Vec<Proxy>) {
    for p in &proxies {
        p.task.abort();
    }
    let deadline = Instant::now() + CLOSE_WAIT;
    for p in &proxies {
        let left = deadline.saturating_duration_since(Instant::now());
        if let Err(RecvTimeoutError::Timeout) = p.gone.recv_timeout(left) {
            tracing::warn!("a userland proxy's tasks outlived its removal");
        }
    }
}

/// A task's future and a handle whose drop tells `Proxy::gone`; the fields drop in order, so
/// the sockets inside the future are closed first.
struct Tracked<F> {
    inner: Pin<Box<F>>,
    _alive: SyncSender<()>,
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.inner.as_mut().poll(cx)
    }
}

fn tracked<F: Future>(alive: &SyncSender<()>, f: F) -> Tracked<F> {
    Tracked {
        inner: Box::pin(f),
        _alive: alive.clone(),
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
    let (alive, gone) = std::sync::mpsc::sync_channel(0);
    let task = rt.spawn(tracked(&alive.clone(), async move {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                accepted = l.accept() => {
                    let Ok((mut client, _)) = accepted else {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    conns.spawn(tracked(&alive, async move {
                        let Ok(mut backend) = tokio::net::TcpStream::connect(target).await else {
                            return;
                        };
                        let _ = client.set_nodelay(true);
                        let _ = backend.set_nodelay(true);
                        let _ = tokio::io::copy_bidirectional_with_sizes(
                            &mut client, &mut backend, BUFFER, BUFFER,
                        )
                        .await;
                    }));
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
    }));
    Ok(Proxy { task, gone })
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
    let (alive, gone) = std::sync::mpsc::sync_channel(0);
    let task = rt.spawn(tracked(&alive.clone(), async move {
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
                            returns.spawn(tracked(&alive, async move {
                                let mut b = vec![0u8; 65536];
                                while let Ok(Ok(n)) = tokio::time::timeout(UDP_IDLE, up2.recv(&mut b)).await {
                                    let _ = back.send_to(&b[..n], client).await;
                                }
                                client
                            }));
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
    }));
    Ok(Proxy { task, gone })
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

    /// Binds `addr` the way a plain program does (no SO_REUSEADDR), which fails while any
    /// socket, listening or not, holds the port.
    fn plain_tcp_bind(addr: SocketAddr) -> rustix::io::Result<()> {
        use rustix::net::{AddressFamily, SocketType, socket};
        let fd = socket(AddressFamily::INET, SocketType::STREAM, None)?;
        rustix::net::bind(&fd, &addr)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn close_all_returns_with_the_ports_free() {
        let rt = tokio::runtime::Handle::current();
        let backend = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = backend.local_addr().unwrap();
        // The backend holds its side open: the proxied connection stays up until closed.
        tokio::spawn(async move {
            let (c, _) = backend.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(c);
        });
        let l = bind_tcp("127.0.0.1:0".parse().unwrap()).unwrap();
        let front = l.local_addr().unwrap();
        let tcp = serve_tcp(&rt, l, target).unwrap();
        let mut client = tokio::net::TcpStream::connect(front).await.unwrap();
        client.write_all(b"x").await.unwrap();

        let quiet = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let us = bind_udp("127.0.0.1:0".parse().unwrap()).unwrap();
        let ufront = us.local_addr().unwrap();
        let udp = serve_udp(&rt, us, quiet.local_addr().unwrap()).unwrap();
        let uclient = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        uclient.send_to(b"ping", ufront).await.unwrap();
        // Let both proxies take up their flows before they are closed.
        let mut b = [0u8; 8];
        quiet.recv_from(&mut b).await.unwrap();

        // A second listener that never had a connection (whose port a plain bind can take
        // again at once; the first one's closed connection lingers in TIME_WAIT, as with
        // Docker's proxy, so only SO_REUSEADDR binds it right away).
        let idle = bind_tcp("127.0.0.1:0".parse().unwrap()).unwrap();
        let idle_addr = idle.local_addr().unwrap();
        let idle = serve_tcp(&rt, idle, target).unwrap();

        let freed = tokio::task::spawn_blocking(move || {
            close_all(vec![tcp, udp, idle]);
            (
                std::net::TcpListener::bind(front).map(drop),
                plain_tcp_bind(idle_addr),
                std::net::UdpSocket::bind(ufront).map(drop),
            )
        })
        .await
        .unwrap();
        assert!(freed.0.is_ok(), "tcp port still held: {:?}", freed.0);
        assert!(freed.1.is_ok(), "idle tcp port still held: {:?}", freed.1);
        assert!(freed.2.is_ok(), "udp port still held: {:?}", freed.2);
        let mut rest = Vec::new();
        let n = client.read_to_end(&mut rest).await;
        assert!(
            matches!(n, Ok(0) | Err(_)),
            "the proxied connection is closed"
        );
    }
}
