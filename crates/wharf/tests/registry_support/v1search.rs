//! A registry index that answers Docker Hub's v1 search API (`GET /v1/search?q=&n=`) from a
//! fixed list of repositories, matching `q` as a substring of the name, as Hub's index does.
//! It records the query strings it was asked.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use super::read_head;

/// One repository the index knows: (name, description, stars, official, automated).
pub type Entry = (&'static str, &'static str, i64, bool, bool);

pub struct V1Search {
    pub port: u16,
    queries: Arc<Mutex<Vec<String>>>,
}

impl V1Search {
    pub fn start(entries: &'static [Entry]) -> V1Search {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let queries = Arc::new(Mutex::new(Vec::new()));
        let q = queries.clone();
        std::thread::spawn(move || {
            for c in listener.incoming().flatten() {
                let q = q.clone();
                std::thread::spawn(move || serve(c, entries, q));
            }
        });
        V1Search { port, queries }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn queries(&self) -> Vec<String> {
        self.queries.lock().unwrap().clone()
    }
}

fn serve(mut c: TcpStream, entries: &[Entry], queries: Arc<Mutex<Vec<String>>>) {
    while let Some(head) = read_head(&mut c) {
        let head = String::from_utf8_lossy(&head).into_owned();
        let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let (status, body) = if path == "/v1/search" {
            queries.lock().unwrap().push(query.to_string());
            let param = |k: &str| {
                query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                    .unwrap_or("")
                    .to_string()
            };
            let term = param("q");
            let n: usize = param("n").parse().unwrap_or(25);
            let results: Vec<String> = entries
                .iter()
                .filter(|e| e.0.contains(&term))
                .take(n)
                .map(|(name, desc, stars, official, automated)| {
                    format!(
                        r#"{{"name":"{name}","description":"{desc}","star_count":{stars},"is_official":{official},"is_automated":{automated}}}"#
                    )
                })
                .collect();
            (
                "200 OK",
                format!(
                    r#"{{"num_results":{},"query":"{term}","results":[{}]}}"#,
                    results.len(),
                    results.join(",")
                ),
            )
        } else {
            ("404 Not Found", "{}".to_string())
        };
        let _ = write!(
            c,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
    }
}
