//! A TCP proxy in front of a registry that can "die" after passing a given number of response
//! bytes: it then cuts every connection and stops listening, as a killed registry would. It
//! logs the request lines and `Range` headers it forwards.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

pub struct Proxy {
    pub port: u16,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

struct Shared {
    dead: AtomicBool,
    /// Response bytes still allowed before dying (u64::MAX: no limit).
    budget: AtomicU64,
    served: AtomicU64,
    log: Mutex<Vec<String>>,
    conns: Mutex<Vec<TcpStream>>,
    /// Flaky mode: when the budget runs out, cut the connections but keep serving.
    flaky: bool,
    /// A registry process to SIGKILL (once) when the budget runs out; 0 for none.
    victim: AtomicU32,
}

impl Proxy {
    /// Listens on `port` (0 for any) and forwards to the registry on `upstream`.
    pub fn start(port: u16, upstream: u16, budget: Option<u64>) -> Proxy {
        Self::start_mode(port, upstream, budget, false, None)
    }

    /// Like [`Proxy::start`] with a budget, and SIGKILLs the registry process `victim` the
    /// moment the budget runs out, mid-response.
    pub fn killing(port: u16, upstream: u16, budget: u64, victim: u32) -> Proxy {
        Self::start_mode(port, upstream, Some(budget), false, Some(victim))
    }

    /// Cuts every open connection once after `cut_after` response bytes, then goes on
    /// serving (a dropped connection, not a dead registry).
    pub fn flaky(upstream: u16, cut_after: u64) -> Proxy {
        Self::start_mode(0, upstream, Some(cut_after), true, None)
    }

    fn start_mode(
        port: u16,
        upstream: u16,
        budget: Option<u64>,
        flaky: bool,
        victim: Option<u32>,
    ) -> Proxy {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            dead: AtomicBool::new(false),
            budget: AtomicU64::new(budget.unwrap_or(u64::MAX)),
            served: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
            conns: Mutex::new(Vec::new()),
            flaky,
            victim: AtomicU32::new(victim.unwrap_or(0)),
        });
        let sh = shared.clone();
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sh.dead.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let Ok(up) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                {
                    let mut c = sh.conns.lock().unwrap();
                    c.push(client.try_clone().unwrap());
                    c.push(up.try_clone().unwrap());
                }
                let (c2, u2) = (client.try_clone().unwrap(), up.try_clone().unwrap());
                let sh1 = sh.clone();
                std::thread::spawn(move || requests(client, u2, sh1));
                let sh2 = sh.clone();
                std::thread::spawn(move || responses(up, c2, sh2));
            }
        });
        Proxy {
            port,
            shared,
            accept: Some(accept),
        }
    }

    pub fn served(&self) -> u64 {
        self.shared.served.load(Ordering::SeqCst)
    }

    pub fn log(&self) -> Vec<String> {
        self.shared.log.lock().unwrap().clone()
    }

    pub fn is_dead(&self) -> bool {
        self.shared.dead.load(Ordering::SeqCst)
    }

    /// Cuts every connection and stops listening.
    pub fn kill(&mut self) {
        self.shared.dead.store(true, Ordering::SeqCst);
        die(&self.shared);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.kill();
    }
}

fn die(sh: &Shared) {
    // Once only: the pid is not ours to signal after its owner reaped it.
    if let Some(pid) = rustix::process::Pid::from_raw(sh.victim.swap(0, Ordering::SeqCst) as i32) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
    if sh.flaky {
        sh.budget.store(u64::MAX, Ordering::SeqCst);
    } else {
        sh.dead.store(true, Ordering::SeqCst);
    }
    for c in sh.conns.lock().unwrap().drain(..) {
        let _ = c.shutdown(Shutdown::Both);
    }
}

fn requests(mut from: TcpStream, mut to: TcpStream, sh: Arc<Shared>) {
    let mut buf = [0u8; 64 << 10];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let text = String::from_utf8_lossy(&buf[..n]);
        {
            let mut log = sh.log.lock().unwrap();
            for line in text.lines() {
                if line.starts_with("GET ")
                    || line.starts_with("HEAD ")
                    || line.to_ascii_lowercase().starts_with("range:")
                {
                    log.push(line.to_string());
                }
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

fn responses(mut from: TcpStream, mut to: TcpStream, sh: Arc<Shared>) {
    let mut buf = [0u8; 16 << 10];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let left = sh.budget.load(Ordering::SeqCst);
        let pass = (n as u64).min(left) as usize;
        if pass > 0 && to.write_all(&buf[..pass]).is_err() {
            break;
        }
        sh.served.fetch_add(pass as u64, Ordering::SeqCst);
        if left != u64::MAX {
            sh.budget.fetch_sub(pass as u64, Ordering::SeqCst);
            if pass < n || left == pass as u64 {
                die(&sh);
                break;
            }
        }
    }
    let _ = to.shutdown(Shutdown::Both);
}
