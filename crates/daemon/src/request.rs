//! A parsed API request: path parameters, query, negotiated version, and the body.

use std::collections::HashMap;

use bytes::Bytes;
use http::{HeaderMap, Method, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wharf_api::ApiVersion;
use wharf_api::filters::Filters;

use crate::body::{self, ResponseBody};
use crate::error::ApiError;

pub struct Req {
    pub method: Method,
    pub version: ApiVersion,
    pub params: HashMap<&'static str, String>,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    /// Request extensions (hyper's upgrade handle lives here for hijacked connections).
    pub extensions: http::Extensions,
    pub body: Option<Incoming>,
}

pub type Reply = Result<Response<ResponseBody>, ApiError>;

impl Req {
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map(String::as_str).unwrap_or("")
    }

    /// The last value of a query parameter.
    /// The first value of a parameter given several times, as Go's `FormValue` (docker-py
    /// sends `dockerfile` twice, name then content, for a Dockerfile outside the context).
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn query_all(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Docker's boolean query values: absent, empty, `0`, `no`, `false` and `none` are false.
    pub fn query_bool(&self, name: &str) -> bool {
        match self.query(name) {
            None => false,
            Some(v) => !matches!(
                v.to_ascii_lowercase().as_str(),
                "" | "0" | "no" | "false" | "none"
            ),
        }
    }

    pub fn query_int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.query(name) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!("invalid value for {name}: {v:?} is not an integer"))
            }),
        }
    }

    pub fn filters(&self) -> Result<Filters, ApiError> {
        Filters::parse(self.query("filters").unwrap_or("")).map_err(ApiError::bad_request)
    }

    /// Reads the whole body (bounded) and decodes it as JSON; an empty body decodes as `{}`.
    pub async fn json<T: DeserializeOwned>(&mut self) -> Result<T, ApiError> {
        let bytes = self.bytes(16 << 20).await?;
        let data: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        wharf_api::go_json::from_slice(data)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON in request body: {e}")))
    }

    pub async fn bytes(&mut self, limit: usize) -> Result<Bytes, ApiError> {
        let Some(body) = self.body.take() else {
            return Ok(Bytes::new());
        };
        let collected = http_body_util::Limited::new(body, limit)
            .collect()
            .await
            .map_err(|e| ApiError::bad_request(format!("reading request body: {e}")))?;
        Ok(collected.to_bytes())
    }

    /// Takes the body for streaming consumption.
    pub fn take_body(&mut self) -> Result<Incoming, ApiError> {
        self.body
            .take()
            .ok_or_else(|| ApiError::internal("request body already consumed"))
    }
}

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Reply {
    let data = serde_json::to_vec(value)
        .map_err(|e| ApiError::internal(format!("encoding response: {e}")))?;
    Ok(Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body::full(data))
        .expect("static response parts"))
}

/// A JSON answer already encoded.
pub fn raw_json(data: Bytes) -> Reply {
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body::full(data))
        .expect("static response parts"))
}

pub fn ok_json<T: Serialize>(value: &T) -> Reply {
    json(StatusCode::OK, value)
}

pub fn no_content() -> Reply {
    status_only(StatusCode::NO_CONTENT)
}

pub fn status_only(status: StatusCode) -> Reply {
    Ok(Response::builder()
        .status(status)
        .body(body::empty())
        .expect("static response parts"))
}

pub fn stream(content_type: &str, body: ResponseBody) -> Reply {
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(body)
        .expect("static response parts"))
}

pub fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    let Some(q) = q else { return Vec::new() };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |s: &str| {
                let s = s.replace('+', " ");
                urlencoding::decode(&s).map(|c| c.into_owned()).unwrap_or(s)
            };
            (dec(k), dec(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode_plus_and_percent() {
        let q = parse_query(Some(
            "a=1&filters=%7B%22x%22%3A%5B%22y%22%5D%7D&m=hello+world&flag",
        ));
        assert_eq!(q[1].1, r#"{"x":["y"]}"#);
        assert_eq!(q[2].1, "hello world");
        assert_eq!(q[3], ("flag".to_string(), String::new()));
    }
}
