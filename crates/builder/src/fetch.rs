//! Downloading `ADD <url>` sources and `remote=` build contexts: a small blocking HTTP/1.1
//! client (GET, redirects, Content-Length, chunked and close-delimited bodies, timeouts).
//! Errors are worded as Go's `net/http` words them (`Get "…": dial tcp …: connect: connection
//! refused`). HTTPS needs TLS, which this build does not include.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

const MAX_REDIRECTS: usize = 10;
const TIMEOUT: Duration = Duration::from_secs(30);

/// A downloaded body with the headers that matter to the builder.
#[derive(Debug, Clone, Default)]
pub struct Download {
    pub data: Vec<u8>,
    pub content_type: String,
    pub content_disposition: String,
    pub last_modified: String,
    /// The URL finally answered (after redirects).
    pub url: String,
}

struct Url {
    scheme: String,
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> Result<Url, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("parse {url:?}: missing scheme"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let default_port = match scheme {
        "http" => 80,
        "https" => 443,
        other => return Err(format!("unsupported protocol scheme \"{other}\"")),
    };
    let (host, port) = if let Some(h) = authority.strip_prefix('[') {
        let (h, p) = h
            .split_once(']')
            .ok_or_else(|| format!("parse {url:?}: bad host"))?;
        (
            h.to_string(),
            p.strip_prefix(':')
                .and_then(|p| p.parse().ok())
                .unwrap_or(default_port),
        )
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse()
                    .map_err(|_| format!("parse {url:?}: invalid port \":{p}\" after host"))?,
            ),
            None => (authority.to_string(), default_port),
        }
    };
    Ok(Url {
        scheme: scheme.to_string(),
        host,
        port,
        path: path.split('#').next().unwrap_or("/").to_string(),
    })
}

/// Whether `s` is a URL the builder fetches (`http://`, `https://`).
pub fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// GETs `url`, following redirects.
pub fn get(url: &str) -> Result<Download, String> {
    let mut current = url.to_string();
    for _ in 0..=MAX_REDIRECTS {
        let u = parse_url(&current).map_err(|e| format!("Get \"{current}\": {e}"))?;
        if u.scheme == "https" {
            return Err(format!(
                "Get \"{current}\": https is not supported by this engine yet (no TLS); use an http:// URL"
            ));
        }
        let (status, reason, headers, body) =
            request(&u).map_err(|e| format!("Get \"{current}\": {e}"))?;
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        if matches!(status, 301 | 302 | 303 | 307 | 308) {
            let loc = header("location");
            if loc.is_empty() {
                return Err(format!(
                    "Get \"{current}\": {status} response missing Location header"
                ));
            }
            current = if is_url(&loc) {
                loc
            } else if loc.starts_with('/') {
                format!("{}://{}:{}{loc}", u.scheme, u.host, u.port)
            } else {
                let base = u.path.rsplit_once('/').map(|(b, _)| b).unwrap_or("");
                format!("{}://{}:{}{base}/{loc}", u.scheme, u.host, u.port)
            };
            continue;
        }
        if status >= 400 {
            return Err(format!(
                "failed to GET {current} with status {status} {reason}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)]).trim()
            ));
        }
        return Ok(Download {
            data: body,
            content_type: header("content-type"),
            content_disposition: header("content-disposition"),
            last_modified: header("last-modified"),
            url: current,
        });
    }
    Err(format!(
        "Get \"{url}\": stopped after {MAX_REDIRECTS} redirects"
    ))
}

type Answer = (u16, String, Vec<(String, String)>, Vec<u8>);

fn request(u: &Url) -> io::Result<Answer> {
    let addr = format!("{}:{}", u.host, u.port);
    let addrs: Vec<_> = (u.host.as_str(), u.port)
        .to_socket_addrs()
        .map_err(|e| io::Error::other(format!("dial tcp: lookup {}: {e}", u.host)))?
        .collect();
    let mut last = None;
    let mut stream = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut s = stream.ok_or_else(|| {
        let e = last.map(|e| match e.kind() {
            io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
            _ => e.to_string(),
        });
        io::Error::other(format!(
            "dial tcp {addr}: connect: {}",
            e.unwrap_or_else(|| "no address".into())
        ))
    })?;
    s.set_read_timeout(Some(TIMEOUT))?;
    s.set_write_timeout(Some(TIMEOUT))?;
    let host = if u.port == 80 {
        u.host.clone()
    } else {
        addr.clone()
    };
    // One write: a server may answer (and close) as soon as it has the request line.
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: wharf-builder\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        u.path
    );
    s.write_all(req.as_bytes())?;
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut parts = line.trim_end().splitn(3, ' ');
    let _version = parts.next();
    let status: u16 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(|| {
        io::Error::other(format!("malformed HTTP response {:?}", line.trim_end()))
    })?;
    let reason = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            break;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let mut body = Vec::new();
    if get("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| io::Error::other("malformed chunked encoding"))?;
            if size == 0 {
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..])?;
            line.clear();
            r.read_line(&mut line)?;
        }
    } else if let Some(n) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else {
        r.read_to_end(&mut body)?;
    }
    Ok((status, reason, headers, body))
}

/// The file name for a downloaded source: the URL path's last element, else the
/// Content-Disposition file name.
pub fn file_name(url: &str, content_disposition: &str) -> String {
    let path = parse_url(url).map(|u| u.path).unwrap_or_default();
    let path = path.split('?').next().unwrap_or("");
    if !path.is_empty() && !path.ends_with('/') {
        let b = path.rsplit('/').next().unwrap_or("");
        if !b.is_empty() {
            return urlencoding::decode(b)
                .map(|c| c.into_owned())
                .unwrap_or_else(|_| b.to_string());
        }
    }
    for part in content_disposition.split(';') {
        if let Some(v) = part.trim().strip_prefix("filename=") {
            let v = v.trim_matches('"');
            if !v.is_empty() && !v.ends_with('/') {
                return v.rsplit('/').next().unwrap_or(v).to_string();
            }
        }
    }
    String::new()
}

/// Unix seconds of an HTTP date (`Last-Modified`), when it parses.
pub fn http_date(s: &str) -> Option<i64> {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    let f: Vec<&str> = s.split_whitespace().collect();
    if f.len() != 6 {
        return None;
    }
    let day: u32 = f[1].parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == f[2])? as u32
        + 1;
    let year: i64 = f[3].parse().ok()?;
    let t: Vec<u32> = f[4].split(':').filter_map(|x| x.parse().ok()).collect();
    if t.len() != 3 {
        return None;
    }
    let days = wharf_units::days_from_civil(year, month, day);
    Some(days * 86400 + (t[0] * 3600 + t[1] * 60 + t[2]) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn serve(answer: &'static str) -> String {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = l.accept() {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = s.write_all(answer.as_bytes());
            }
        });
        format!("http://{addr}")
    }

    #[test]
    fn downloads_plain_and_chunked() {
        let u = serve(
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\nhello",
        );
        let d = get(&format!("{u}/dir/file.txt")).unwrap();
        assert_eq!(d.data, b"hello");
        assert_eq!(http_date(&d.last_modified), Some(784111777));
        let u = serve(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        );
        assert_eq!(get(&u).unwrap().data, b"abcde");
    }

    #[test]
    fn errors_read_like_go() {
        let u = serve("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
        let e = get(&format!("{u}/x")).unwrap_err();
        assert!(
            e.starts_with("failed to GET http://") && e.contains("with status 404 Not Found"),
            "{e}"
        );
        let e = get("http://127.0.0.1:1/x").unwrap_err();
        assert_eq!(
            e,
            "Get \"http://127.0.0.1:1/x\": dial tcp 127.0.0.1:1: connect: connection refused"
        );
    }

    #[test]
    fn names_come_from_the_path_or_the_disposition() {
        assert_eq!(file_name("http://h/a/b%20c.tgz?x=1", ""), "b c.tgz");
        assert_eq!(
            file_name("http://h/", "attachment; filename=\"f.txt\""),
            "f.txt"
        );
        assert_eq!(file_name("http://h/", ""), "");
    }
}
