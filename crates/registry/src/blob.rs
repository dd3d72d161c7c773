//! Blobs on the wire: existence checks, downloads that resume where a dropped connection left
//! them (`Range`) with bounded retries and back-off, cross-repository mounts and uploads.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use http_body_util::BodyExt;
use tokio::sync::mpsc;
use wharf_digest::Digest;

use crate::client::Session;
use crate::error::{RegistryError, Result};
use crate::http::{self as h, Body};

/// Attempts per download without progress before giving up.
const MAX_ATTEMPTS: u32 = 5;
/// A body that delivers nothing for this long is considered dropped.
const STALL_TIMEOUT: Duration = Duration::from_secs(30);

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64 << attempt.min(6))
}

/// The consumer of a download went away (the pull was cancelled or failed elsewhere).
#[derive(Debug)]
pub struct Cancelled;

pub enum UploadStart {
    /// The registry linked the blob from another repository: nothing to send.
    Mounted,
    /// Send the blob to this upload URL.
    Upload(String),
}

impl Session {
    /// `HEAD /v2/<repo>/blobs/<digest>`: the blob's size if the repository has it.
    pub async fn blob_size(&self, digest: &Digest) -> Result<Option<u64>> {
        let url = self.repo_url(&format!("blobs/{digest}"));
        let resp = self
            .send(Method::HEAD, &url, HeaderMap::new(), None)
            .await?;
        match resp.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => Ok(Some(
                resp.headers()
                    .get(header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            )),
            _ => Err(h::status_error(&Method::HEAD, &url, resp).await),
        }
    }

    /// Streams the blob's bytes from `offset` to its end (`size`) into `tx`. A dropped
    /// connection is resumed with a `Range` request after a back-off; a registry that ignores
    /// `Range` is read from the start with the bytes already delivered skipped. Returns once
    /// all `size` bytes were sent; the caller verifies the digest.
    pub async fn download(
        &self,
        digest: &Digest,
        size: u64,
        mut offset: u64,
        tx: &mpsc::Sender<Bytes>,
    ) -> Result<()> {
        let mut attempt = 0;
        loop {
            let before = offset;
            match self.download_once(digest, size, &mut offset, tx).await {
                Ok(()) => return Ok(()),
                Err(e) if e.is_retryable() => {
                    if offset > before {
                        attempt = 0;
                    }
                    attempt += 1;
                    if attempt >= MAX_ATTEMPTS {
                        return Err(e);
                    }
                    tracing::info!(%digest, offset, attempt, error = %e, "blob download interrupted; resuming");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn download_once(
        &self,
        digest: &Digest,
        size: u64,
        offset: &mut u64,
        tx: &mpsc::Sender<Bytes>,
    ) -> Result<()> {
        if *offset >= size && size > 0 {
            return Ok(());
        }
        let url = self.repo_url(&format!("blobs/{digest}"));
        let mut hm = HeaderMap::new();
        if *offset > 0 {
            hm.insert(
                header::RANGE,
                HeaderValue::from_str(&format!("bytes={offset}-")).expect("ascii"),
            );
        }
        let resp = self.get_following(&url, hm).await?;
        let mut skip = match resp.status() {
            StatusCode::PARTIAL_CONTENT => 0,
            StatusCode::OK => *offset,
            StatusCode::NOT_FOUND => {
                let _ = h::read_body(resp, 64 << 10).await;
                return Err(RegistryError::Status {
                    status: 404,
                    url,
                    errors: vec![crate::error::ApiErrorEntry {
                        code: "BLOB_UNKNOWN".into(),
                        message: "blob unknown to registry".into(),
                    }],
                });
            }
            _ => return Err(h::status_error(&Method::GET, &url, resp).await),
        };
        let mut body = resp.into_body();
        loop {
            let frame = match tokio::time::timeout(STALL_TIMEOUT, body.frame()).await {
                Err(_) => {
                    return Err(RegistryError::transport(
                        &Method::GET,
                        &url,
                        "read timed out",
                    ));
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => return Err(RegistryError::transport(&Method::GET, &url, e)),
                Ok(Some(Ok(f))) => f,
            };
            let Ok(mut data) = frame.into_data() else {
                continue;
            };
            if skip > 0 {
                let n = (skip as usize).min(data.len());
                data = data.slice(n..);
                skip -= n as u64;
            }
            if data.is_empty() {
                continue;
            }
            if *offset + data.len() as u64 > size {
                return Err(RegistryError::SizeMismatch {
                    digest: digest.clone(),
                    expected: size,
                    actual: *offset + data.len() as u64,
                });
            }
            *offset += data.len() as u64;
            if tx.send(data).await.is_err() {
                return Err(RegistryError::Protocol("download cancelled".into()));
            }
        }
        if *offset < size {
            return Err(RegistryError::transport(
                &Method::GET,
                &url,
                format!("unexpected EOF after {offset} of {size} bytes"),
            ));
        }
        Ok(())
    }

    /// Starts an upload, asking the registry to mount the blob from `from` (another repository
    /// of the same registry) when given.
    pub async fn start_upload(&self, digest: &Digest, from: Option<&str>) -> Result<UploadStart> {
        let mut url = self.repo_url("blobs/uploads/");
        if let Some(f) = from {
            url.push_str(&format!(
                "?mount={}&from={}",
                urlencoding::encode(digest.as_str()),
                urlencoding::encode(f)
            ));
        }
        let resp = self
            .send_ok(Method::POST, &url, HeaderMap::new(), None)
            .await?;
        let status = resp.status();
        let location = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| self.absolute(l));
        let _ = h::read_body(resp, 64 << 10).await;
        if status == StatusCode::CREATED {
            return Ok(UploadStart::Mounted);
        }
        location
            .map(UploadStart::Upload)
            .ok_or_else(|| RegistryError::Protocol("upload started without a Location".into()))
    }

    /// Abandons an upload session (best effort: the registry expires it anyway).
    pub async fn cancel_upload(&self, location: &str) {
        if let Ok(r) = self
            .send(Method::DELETE, location, HeaderMap::new(), None)
            .await
        {
            let _ = h::read_body(r, 64 << 10).await;
        }
    }

    /// Sends the whole blob to an upload URL in one `PUT` (monolithic upload).
    pub async fn finish_upload(
        &self,
        location: &str,
        digest: &Digest,
        size: u64,
        body: Body,
    ) -> Result<()> {
        let sep = if location.contains('?') { '&' } else { '?' };
        let url = format!(
            "{location}{sep}digest={}",
            urlencoding::encode(digest.as_str())
        );
        let mut hm = HeaderMap::new();
        hm.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        hm.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        let resp = self.send_stream(Method::PUT, &url, hm, body).await?;
        let resp = h::check(&Method::PUT, &url, resp).await?;
        let _ = h::read_body(resp, 64 << 10).await;
        Ok(())
    }
}

impl Session {
    /// A whole small blob (a config), verified against its digest.
    pub async fn fetch_small_blob(&self, digest: &Digest, size: u64) -> Result<Vec<u8>> {
        if size > 64 << 20 {
            return Err(RegistryError::InvalidManifest(format!(
                "blob {digest} is too large to read into memory ({size} bytes)"
            )));
        }
        let (tx, mut rx) = mpsc::channel(16);
        let dl = async move {
            let r = self.download(digest, size, 0, &tx).await;
            drop(tx);
            r
        };
        let collect = async {
            let mut v = Vec::with_capacity(size as usize);
            while let Some(b) = rx.recv().await {
                v.extend_from_slice(&b);
            }
            v
        };
        let (r, data) = tokio::join!(dl, collect);
        r?;
        let actual = Digest::sha256_of(&data);
        if &actual != digest {
            return Err(RegistryError::DigestMismatch {
                what: format!("blob {digest}"),
                expected: digest.clone(),
                actual,
            });
        }
        Ok(data)
    }
}
