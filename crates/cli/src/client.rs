//! A small blocking HTTP/1.1 client for the engine's unix socket. The CLI makes one request per
//! connection; a blocking client keeps start-up to a few hundred microseconds.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use wharf_api::ErrorResponse;

use crate::error::CliError;

/// The API version wharf's CLI speaks.
pub const API_PREFIX: &str = "/v1.50";

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
    pub body: Box<dyn BufRead>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
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
}

/// Builds `path?query` with percent-encoding.
pub fn with_query(path: &str, query: &[(&str, String)]) -> String {
    let mut out = format!("{API_PREFIX}{path}");
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
        }
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

    /// Sends a request and returns the response, whatever its status.
    pub fn send(&self, method: &str, path_query: &str, body: Body) -> Result<Response, CliError> {
        let stream = self.connect()?;
        self.send_on(stream, method, path_query, body, &[])
    }

    pub fn send_on(
        &self,
        stream: UnixStream,
        method: &str,
        path_query: &str,
        body: Body,
        extra_headers: &[(&str, &str)],
    ) -> Result<Response, CliError> {
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
        read_response(BufReader::with_capacity(64 * 1024, stream))
    }

    /// Sends a request and fails with the daemon's message on a non-2xx status.
    pub fn call(&self, method: &str, path_query: &str, body: Body) -> Result<Response, CliError> {
        let resp = self.send(method, path_query, body)?;
        if resp.is_success() {
            Ok(resp)
        } else {
            Err(daemon_error(resp))
        }
    }

    pub fn get_json<T: DeserializeOwned>(&self, path_query: &str) -> Result<T, CliError> {
        let resp = self.call("GET", path_query, Body::None)?;
        serde_json::from_reader(resp.body)
            .map_err(|e| CliError::Protocol(format!("decoding response: {e}")))
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

pub fn read_response(mut r: BufReader<UnixStream>) -> Result<Response, CliError> {
    let bad =
        |what: &str| CliError::Protocol(format!("malformed response from the daemon: {what}"));
    let status_line = read_line(&mut r).map_err(CliError::io("reading response"))?;
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
        let line = read_line(&mut r).map_err(CliError::io("reading response"))?;
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let body: Box<dyn BufRead> =
        if get("Transfer-Encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
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
    Ok(Response {
        status,
        headers,
        body,
    })
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
        assert_eq!(
            q,
            "/v1.50/images/json?filters=%7B%22a%22%3A%5B%22b%20c%22%5D%7D"
        );
    }
}
