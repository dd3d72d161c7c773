//! A small bearer-token server in front of an open registry, as the distribution token spec
//! describes it: `/v2/` requests without a valid token get `401` with a `Bearer` challenge
//! naming the realm (`/token` here), the service and the scope; `/token` hands out a token
//! for [`super::USER`]/[`super::PASS`] (Basic auth), to anonymous callers one that can only
//! read repositories under `public/`, and refuses wrong credentials. Requests with a good token are forwarded to the registry.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::{PASS, USER, read_head};

pub const SERVICE: &str = "wharf-test-registry";

pub struct TokenServer {
    pub port: u16,
    shared: Arc<Shared>,
}

struct Shared {
    issued: AtomicUsize,
    /// Token requests, as `account scope…` lines.
    requests: Mutex<Vec<String>>,
    good: Mutex<HashSet<String>>,
}

impl TokenServer {
    pub fn start(upstream: u16) -> TokenServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            issued: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            good: Mutex::new(HashSet::new()),
        });
        let sh = shared.clone();
        std::thread::spawn(move || {
            for c in listener.incoming().flatten() {
                let sh = sh.clone();
                std::thread::spawn(move || serve(c, port, upstream, sh));
            }
        });
        TokenServer { port, shared }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Tokens handed out so far.
    pub fn issued(&self) -> usize {
        self.shared.issued.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<String> {
        self.shared.requests.lock().unwrap().clone()
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn respond(c: &mut TcpStream, status: &str, extra: &str, body: &str) {
    let _ = write!(
        c,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n{body}",
        body.len()
    );
}

fn b64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for ch in b.chunks(3) {
        let n = (ch[0] as u32) << 16
            | (*ch.get(1).unwrap_or(&0) as u32) << 8
            | *ch.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= ch.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn serve(mut c: TcpStream, port: u16, upstream: u16, sh: Arc<Shared>) {
    loop {
        let Some(head) = read_head(&mut c) else {
            return;
        };
        let head = String::from_utf8_lossy(&head).into_owned();
        let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let authz = header(&head, "authorization").unwrap_or("").to_string();
        if target.starts_with("/token") {
            let query = target.split_once('?').map(|x| x.1).unwrap_or("");
            let scopes: Vec<String> = query
                .split('&')
                .filter_map(|kv| kv.strip_prefix("scope="))
                .map(|s| {
                    s.replace("%3A", ":")
                        .replace("%2F", "/")
                        .replace("%2C", ",")
                })
                .collect();
            let n = sh.issued.fetch_add(1, Ordering::SeqCst) + 1;
            if authz.is_empty() {
                sh.requests
                    .lock()
                    .unwrap()
                    .push(format!("anonymous {}", scopes.join(" ")));
                respond(
                    &mut c,
                    "200 OK",
                    "",
                    &format!(r#"{{"token":"anon-{n}","expires_in":300}}"#),
                );
                continue;
            }
            if authz != format!("Basic {}", b64(&format!("{USER}:{PASS}"))) {
                sh.issued.fetch_sub(1, Ordering::SeqCst);
                respond(
                    &mut c,
                    "401 Unauthorized",
                    "",
                    r#"{"details":"incorrect username or password"}"#,
                );
                continue;
            }
            sh.requests
                .lock()
                .unwrap()
                .push(format!("{USER} {}", scopes.join(" ")));
            let tok = format!("tok-{n}");
            sh.good.lock().unwrap().insert(tok.clone());
            respond(
                &mut c,
                "200 OK",
                "",
                &format!(r#"{{"token":"{tok}","expires_in":300}}"#),
            );
            continue;
        }
        let token = authz.strip_prefix("Bearer ").unwrap_or("");
        // Anonymous tokens may read repositories under `public/`, as Docker Hub's may.
        let public_read = token.starts_with("anon-")
            && target.starts_with("/v2/public/")
            && (head.starts_with("GET ") || head.starts_with("HEAD "));
        if !public_read && !sh.good.lock().unwrap().contains(token) {
            let repo = target.strip_prefix("/v2/").and_then(|r| {
                ["/manifests/", "/blobs/", "/tags/"]
                    .iter()
                    .find_map(|m| r.split_once(m).map(|x| x.0.to_string()))
            });
            let scope = repo
                .map(|r| format!(",scope=\"repository:{r}:pull\""))
                .unwrap_or_default();
            let challenge = format!(
                "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"{SERVICE}\"{scope}\r\n"
            );
            respond(
                &mut c,
                "401 Unauthorized",
                &challenge,
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            );
            continue;
        }
        forward(&mut c, &head, upstream);
        return;
    }
}

/// Forwards one request (and its `Content-Length` body) and the whole response, then closes.
fn forward(c: &mut TcpStream, head: &str, upstream: u16) {
    let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else {
        return;
    };
    let mut out = String::new();
    for (i, line) in head.trim_end().lines().enumerate() {
        let lower = line.to_ascii_lowercase();
        if i > 0 && (lower.starts_with("authorization:") || lower.starts_with("connection:")) {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    if up.write_all(out.as_bytes()).is_err() {
        return;
    }
    let len: u64 = header(head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if len > 0 {
        let mut body = (&mut *c).take(len);
        if std::io::copy(&mut body, &mut up).is_err() {
            return;
        }
    }
    // Response head: mark it `Connection: close`, then stream the rest.
    let Some(rh) = read_head(&mut up) else { return };
    let rh = String::from_utf8_lossy(&rh);
    let mut fixed = String::new();
    for line in rh.trim_end().lines() {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            fixed.push_str(line);
            fixed.push_str("\r\n");
        }
    }
    fixed.push_str("Connection: close\r\n\r\n");
    if c.write_all(fixed.as_bytes()).is_ok() {
        let _ = std::io::copy(&mut up, c);
    }
    let _ = c.shutdown(std::net::Shutdown::Both);
}
