//! A small blocking HTTP/1.1 client for the engine's unix socket. The CLI makes one request per
//! connection; a blocking client keeps start-up to a few hundred microseconds.
//!
//! The API version is negotiated as docker's client does: the first request of a run asks
//! `/_ping` for the engine's `API-Version` and uses the lower of it and [`MAX_API_VERSION`], so
//! the CLI also drives older engines (dockerd 20.10 speaks 1.41). Nothing is cached across runs.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use wharf_api::ErrorResponse;

use crate::error::CliError;

/// The newest API version wharf's CLI speaks.
pub const MAX_API_VERSION: &str = "1.50";
/// What an engine that names no version in `/_ping` is taken to speak (docker's fallback).
const FALLBACK_API_VERSION: &str = "1.24";

pub enum Body {
    None,
    Json(Vec<u8>),
    /// A body of known length.
    Bytes(Vec<u8>, &'static str),
    /// A body streamed with chunked transfer encoding.
    Stream(Box<dyn Read>, &'static str),
}

impl Body {
    pub fn json<T: Serialize>(v: &T) -> Body {
        Body::Json(serde_json::to_vec(v).unwrap_or_default())
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Box<dyn BufRead + Send>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// 2xx, and 304 (Not Modified: starting a running container), as Docker's client counts.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status) || self.status == 304
    }

    /// Reads the whole body and decodes it (much faster than decoding from the stream).
    pub fn json<T: DeserializeOwned>(mut self) -> Result<T, CliError> {
        let mut data = Vec::new();
        self.body
            .read_to_end(&mut data)
            .map_err(CliError::io("reading the daemon's answer"))?;
        serde_json::from_slice(&data)
            .map_err(|e| CliError::Protocol(format!("decoding response: {e}")))
    }

    pub fn text(mut self) -> io::Result<String> {
        let mut s = String::new();
        self.body.read_to_string(&mut s)?;
        Ok(s)
    }
}

#[derive(Clone)]
pub struct Client {
    socket: PathBuf,
    /// The negotiated API version, set by the first request.
    version: Arc<OnceLock<String>>,
}

/// Builds `path?query` with percent-encoding (the client adds the version prefix).
pub fn with_query(path: &str, query: &[(&str, String)]) -> String {
    let mut out = path.to_string();
    let mut first = true;
    for (k, v) in query {
        out.push(if first { '?' } else { '&' });
        first = false;
        out.push_str(&urlencoding::encode(k));
        out.push('=');
        out.push_str(&urlencoding::encode(v));
    }
    out
}

impl Client {
    pub fn new(socket: &Path) -> Client {
        Client {
            socket: socket.to_path_buf(),
            version: Arc::new(OnceLock::new()),
        }
    }

    /// The API version requests use, negotiated with the engine on first use.
    pub fn api_version(&self) -> Result<&str, CliError> {
        if let Some(v) = self.version.get() {
            return Ok(v);
        }
        let resp = self.send_raw("GET", "/_ping", Body::None, &[])?;
        let server = resp
            .header("API-Version")
            .filter(|v| !v.is_empty())
            .unwrap_or(FALLBACK_API_VERSION)
            .to_string();
        let v = if version_less(&server, MAX_API_VERSION) {
            server
        } else {
            MAX_API_VERSION.to_string()
        };
        Ok(self.version.get_or_init(|| v))
    }

    /// Whether the negotiated version is at least `v` (e.g. `"1.44"`).
    pub fn api_at_least(&self, v: &str) -> bool {
        self.api_version()
            .map(|have| !version_less(have, v))
            .unwrap_or(true)
    }

    fn versioned(&self, path_query: &str) -> Result<String, CliError> {
        if path_query.starts_with("/_ping") {
            return Ok(path_query.to_string());
        }
        Ok(format!("/v{}{path_query}", self.api_version()?))
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    pub fn connect(&self) -> Result<UnixStream, CliError> {
        UnixStream::connect(&self.socket).map_err(|e| CliError::Connect {
            socket: self.socket.clone(),
            source: e,
        })
    }

    /// Sends a request (path without the version prefix) and returns the response, whatever
    /// its status.
    pub fn send(&self, method: &str, path_query: &str, body: Body) -> Result<Response, CliError> {
        let path = self.versioned(path_query)?;
        self.send_raw(method, &path, body, &[])
    }

    /// Like [`Client::send`], with extra request headers.
    pub fn send_with_headers(
        &self,
        method: &str,
        path_query: &str,
        body: Body,
        headers: &[(&str, &str)],
    ) -> Result<Response, CliError> {
        let path = self.versioned(path_query)?;
        self.send_raw(method, &path, body, headers)
    }

    fn send_raw(
        &self,
        method: &str,
        path_query: &str,
        body: Body,
        extra_headers: &[(&str, &str)],
    ) -> Result<Response, CliError> {
        let stream = self.connect()?;
        write_request(&stream, method, path_query, body, extra_headers)?;
        read_response(BufReader::with_capacity(64 * 1024, stream))
    }

    /// Sends a request that upgrades the connection to a raw stream (attach, exec start):
    /// `Connection: Upgrade`, `Upgrade: tcp`, then `101 UPGRADED` (or `200 OK` from old
    /// engines) and the stream. Any other answer fails as docker's client reports it
    /// (`unable to upgrade to tcp, received 404`).
    pub fn hijack(
        &self,
        method: &str,
        path_query: &str,
        body: Body,
    ) -> Result<crate::hijack::Hijacked, CliError> {
        let path = self.versioned(path_query)?;
        let stream = self.connect()?;
        write_request(
            &stream,
            method,
            &path,
            body,
            &[("Connection", "Upgrade"), ("Upgrade", "tcp")],
        )?;
        let mut reader = BufReader::with_capacity(64 * 1024, stream);
        let head = read_head(&mut reader)?;
        if head.status == 101 || head.status == 200 {
            let writer = reader
                .get_ref()
                .try_clone()
                .map_err(CliError::io("socket"))?;
            return Ok(crate::hijack::Hijacked { reader, writer });
        }
        // docker's client does not read the body here either.
        Err(CliError::msg(format!(
            "unable to upgrade to tcp, received {}",
            head.status
        )))
    }
}

/// Writes one request on `stream`.
fn write_request(
    stream: &UnixStream,
    method: &str,
    path_query: &str,
    body: Body,
    extra_headers: &[(&str, &str)],
) -> Result<(), CliError> {
    let mut w = io::BufWriter::with_capacity(
        64 * 1024,
        stream.try_clone().map_err(CliError::io("socket"))?,
    );
    let mut head = format!(
        "{method} {path_query} HTTP/1.1\r\nHost: wharf\r\nUser-Agent: wharf-cli/{}\r\n",
        env!("CARGO_PKG_VERSION")
    );
    for (k, v) in extra_headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let send = |w: &mut io::BufWriter<UnixStream>, head: &str, body: Body| -> io::Result<()> {
        match body {
            Body::None => {
                w.write_all(head.as_bytes())?;
                w.write_all(b"\r\n")?;
            }
            Body::Json(b) => {
                w.write_all(head.as_bytes())?;
                write!(
                    w,
                    "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    b.len()
                )?;
                w.write_all(&b)?;
            }
            Body::Bytes(b, ct) => {
                w.write_all(head.as_bytes())?;
                write!(
                    w,
                    "Content-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
                    b.len()
                )?;
                w.write_all(&b)?;
            }
            Body::Stream(mut r, ct) => {
                w.write_all(head.as_bytes())?;
                write!(
                    w,
                    "Content-Type: {ct}\r\nTransfer-Encoding: chunked\r\n\r\n"
                )?;
                let mut buf = vec![0u8; 256 * 1024];
                loop {
                    let n = r.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    write!(w, "{n:x}\r\n")?;
                    w.write_all(&buf[..n])?;
                    w.write_all(b"\r\n")?;
                }
                w.write_all(b"0\r\n\r\n")?;
            }
        }
        w.flush()
    };
    if let Err(e) = send(&mut w, &head, body) {
        // The daemon may have answered early (e.g. refusing a bad upload); read its answer.
        if e.kind() != io::ErrorKind::BrokenPipe && e.kind() != io::ErrorKind::ConnectionReset {
            return Err(CliError::Io {
                what: "sending request".into(),
                source: e,
            });
        }
    }
    Ok(())
}

impl Client {
    /// Sends a request and fails with the daemon's message on a non-2xx status.
    pub fn call(&self, method: &str, path_query: &str, body: Body) -> Result<Response, CliError> {
        let resp = self.send(method, path_query, body)?;
        if resp.is_success() {
            Ok(resp)
        } else {
            Err(daemon_error(resp))
        }
    }

    /// Like [`Client::call`], with extra request headers (`X-Registry-Auth`).
    pub fn call_with(
        &self,
        method: &str,
        path_query: &str,
        body: Body,
        headers: &[(&str, &str)],
    ) -> Result<Response, CliError> {
        let path = self.versioned(path_query)?;
        let resp = self.send_raw(method, &path, body, headers)?;
        if resp.is_success() {
            Ok(resp)
        } else {
            Err(daemon_error(resp))
        }
    }

    pub fn get_json<T: DeserializeOwned>(&self, path_query: &str) -> Result<T, CliError> {
        self.call("GET", path_query, Body::None)?.json()
    }

    /// The raw JSON of a GET, for `inspect`.
    pub fn get_value(&self, path_query: &str) -> Result<serde_json::Value, CliError> {
        self.get_json(path_query)
    }
}

/// Turns an error response into the daemon's message.
pub fn daemon_error(resp: Response) -> CliError {
    let status = resp.status;
    let text = resp.text().unwrap_or_default();
    let message = serde_json::from_str::<ErrorResponse>(&text)
        .map(|e| e.message)
        .unwrap_or_else(|_| text.trim().to_string());
    CliError::Daemon { status, message }
}

fn read_line(r: &mut dyn BufRead) -> io::Result<String> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Whether Go-style version `a` is lower than `b` (`"1.41" < "1.50"`, `"1.9" < "1.10"`).
pub fn version_less(a: &str, b: &str) -> bool {
    let parse = |s: &str| -> Vec<u64> { s.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    let (a, b) = (parse(a), parse(b));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x < y;
        }
    }
    false
}

/// A response's status line and headers.
struct Head {
    status: u16,
    headers: Vec<(String, String)>,
}

pub fn read_response(mut r: BufReader<UnixStream>) -> Result<Response, CliError> {
    let head = read_head(&mut r)?;
    Ok(with_body(head, r))
}

fn read_head(r: &mut BufReader<UnixStream>) -> Result<Head, CliError> {
    let bad =
        |what: &str| CliError::Protocol(format!("malformed response from the daemon: {what}"));
    let status_line = read_line(r).map_err(CliError::io("reading response"))?;
    if status_line.is_empty() {
        return Err(CliError::Protocol(
            "the daemon closed the connection without answering".into(),
        ));
    }
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(&status_line))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(r).map_err(CliError::io("reading response"))?;
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok(Head { status, headers })
}

fn with_body(head: Head, r: BufReader<UnixStream>) -> Response {
    let Head { status, headers } = head;
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    // These statuses never have a body (RFC 9110): reading one would wait for the
    // kept-alive connection to close.
    let bodiless = matches!(status, 204 | 304);
    let body: Box<dyn BufRead + Send> = if bodiless {
        Box::new(r.take(0))
    } else if get("Transfer-Encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        Box::new(BufReader::new(Chunked {
            inner: r,
            left: 0,
            done: false,
        }))
    } else if let Some(len) = get("Content-Length").and_then(|v| v.parse::<u64>().ok()) {
        Box::new(r.take(len))
    } else {
        Box::new(r)
    };
    Response {
        status,
        headers,
        body,
    }
}

/// Decodes a chunked transfer-encoded body.
struct Chunked<R> {
    inner: R,
    left: u64,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let line = read_line(&mut self.inner)?;
            let size = line.split(';').next().unwrap_or("").trim();
            self.left = u64::from_str_radix(size, 16).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("bad chunk size {line:?}"),
                )
            })?;
            if self.left == 0 {
                // Trailers, then the final empty line.
                while !read_line(&mut self.inner)?.is_empty() {}
                self.done = true;
                return Ok(0);
            }
        }
        let want = buf.len().min(self.left as usize);
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the daemon closed the stream early",
            ));
        }
        self.left -= n as u64;
        if self.left == 0 {
            let _ = read_line(&mut self.inner)?;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_decode() {
        let raw = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        let mut c = Chunked {
            inner: &raw[..],
            left: 0,
            done: false,
        };
        let mut s = String::new();
        c.read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello world");
    }

    #[test]
    fn queries_are_percent_encoded() {
        let q = with_query("/images/json", &[("filters", r#"{"a":["b c"]}"#.into())]);
        assert_eq!(q, "/images/json?filters=%7B%22a%22%3A%5B%22b%20c%22%5D%7D");
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(version_less("1.41", "1.50"));
        assert!(version_less("1.9", "1.10"));
        assert!(!version_less("1.50", "1.50"));
        assert!(!version_less("1.51", "1.50"));
    }
}
