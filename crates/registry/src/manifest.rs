//! Manifests on the wire: fetch (by tag or digest, verifying the digest), parse into an image
//! manifest or an index, and upload.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use wharf_digest::Digest;
use wharf_image::spec::{Descriptor, Index, Manifest, media};

use crate::client::Session;
use crate::error::{RegistryError, Result};
use crate::http as h;

/// Every manifest type wharf understands, as the `Accept` header lists them.
pub const ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

/// Largest manifest accepted (distribution's own limit is 4 MiB).
pub const MAX_MANIFEST: usize = 4 << 20;

#[derive(Debug, Clone)]
pub struct RawManifest {
    pub media_type: String,
    pub digest: Digest,
    pub bytes: Bytes,
}

impl RawManifest {
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            &self.media_type,
            self.digest.clone(),
            self.bytes.len() as u64,
        )
    }
}

#[derive(Debug, Clone)]
pub enum Parsed {
    Manifest(Manifest),
    Index(Index),
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    #[serde(default)]
    schema_version: Option<u32>,
    #[serde(default)]
    media_type: String,
    #[serde(default)]
    manifests: Option<serde_json::Value>,
    #[serde(default)]
    config: Option<serde_json::Value>,
    #[serde(default)]
    fs_layers: Option<serde_json::Value>,
}

/// Parses a manifest body. The `Content-Type` (`content_type`) and the document's own
/// `mediaType` decide the kind; OCI documents without either are told apart by their fields.
pub fn parse(content_type: &str, bytes: &[u8]) -> Result<Parsed> {
    let probe: Probe =
        serde_json::from_slice(bytes).map_err(|e| RegistryError::InvalidManifest(e.to_string()))?;
    if probe.fs_layers.is_some() || probe.schema_version == Some(1) {
        return Err(RegistryError::InvalidManifest(
            "Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Push the image again with a newer client".into(),
        ));
    }
    let ct = content_type.split(';').next().unwrap_or("").trim();
    let kind = if !probe.media_type.is_empty() {
        probe.media_type.as_str()
    } else {
        ct
    };
    let is_index = if media::is_index(kind) {
        true
    } else if media::is_manifest(kind) {
        false
    } else {
        probe.manifests.is_some() && probe.config.is_none()
    };
    if is_index {
        serde_json::from_slice(bytes)
            .map(Parsed::Index)
            .map_err(|e| RegistryError::InvalidManifest(e.to_string()))
    } else {
        serde_json::from_slice(bytes)
            .map(Parsed::Manifest)
            .map_err(|e| RegistryError::InvalidManifest(e.to_string()))
    }
}

/// The media type to record for a manifest body.
pub fn media_type_of(content_type: &str, bytes: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct M {
        #[serde(default)]
        media_type: String,
    }
    if let Ok(m) = serde_json::from_slice::<M>(bytes)
        && !m.media_type.is_empty()
    {
        return m.media_type;
    }
    let ct = content_type.split(';').next().unwrap_or("").trim();
    if media::is_index(ct) || media::is_manifest(ct) {
        return ct.to_string();
    }
    match parse(ct, bytes) {
        Ok(Parsed::Index(_)) => media::OCI_INDEX.to_string(),
        _ => media::OCI_MANIFEST.to_string(),
    }
}

fn accept_headers() -> HeaderMap {
    let mut hm = HeaderMap::new();
    hm.insert(header::ACCEPT, HeaderValue::from_static(ACCEPT));
    hm
}

impl Session {
    /// `GET /v2/<repo>/manifests/<reference>` (a tag or a digest). The body's digest must equal
    /// a digest reference, and the registry's `Docker-Content-Digest` when it sends one.
    pub async fn get_manifest(&self, reference: &str, shown: &str) -> Result<RawManifest> {
        let url = self.repo_url(&format!("manifests/{reference}"));
        let resp = self.send(Method::GET, &url, accept_headers(), None).await?;
        match resp.status() {
            StatusCode::NOT_FOUND => {
                return Err(RegistryError::ManifestUnknown {
                    reference: shown.to_string(),
                });
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(RegistryError::PullDenied {
                    repository: repository_of(shown).to_string(),
                });
            }
            _ => {}
        }
        let resp = h::check(&Method::GET, &url, resp).await?;
        let ct = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let claimed = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<Digest>().ok());
        let bytes = h::read_body(resp, MAX_MANIFEST).await?;
        let digest = Digest::sha256_of(&bytes);
        let want = reference.parse::<Digest>().ok().or(claimed);
        if let Some(w) = want
            && w.algorithm() == "sha256"
            && w != digest
        {
            return Err(RegistryError::DigestMismatch {
                what: format!("manifest {shown}"),
                expected: w,
                actual: digest,
            });
        }
        Ok(RawManifest {
            media_type: media_type_of(&ct, &bytes),
            digest,
            bytes,
        })
    }

    /// `HEAD` of a manifest: its descriptor, or `None` when the registry does not have it.
    pub async fn head_manifest(&self, reference: &str) -> Result<Option<Descriptor>> {
        let url = self.repo_url(&format!("manifests/{reference}"));
        let resp = self
            .send(Method::HEAD, &url, accept_headers(), None)
            .await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let resp = h::check(&Method::HEAD, &url, resp).await?;
        let hd = resp.headers();
        let get = |n: &str| hd.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
        let digest = get("docker-content-digest")
            .parse::<Digest>()
            .map_err(|_| RegistryError::Protocol("manifest HEAD without a digest".into()))?;
        let size = get("content-length").parse::<u64>().unwrap_or(0);
        Ok(Some(Descriptor::new(
            get("content-type").split(';').next().unwrap_or(""),
            digest,
            size,
        )))
    }

    /// `PUT /v2/<repo>/manifests/<reference>`; returns the digest the registry names.
    pub async fn put_manifest(&self, reference: &str, m: &RawManifest) -> Result<Digest> {
        let url = self.repo_url(&format!("manifests/{reference}"));
        let mut hm = HeaderMap::new();
        hm.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(&m.media_type)
                .map_err(|_| RegistryError::InvalidManifest("bad media type".into()))?,
        );
        let resp = self
            .send_ok(Method::PUT, &url, hm, Some(m.bytes.clone()))
            .await?;
        let claimed = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<Digest>().ok());
        let _ = h::read_body(resp, 64 << 10).await;
        Ok(claimed.unwrap_or_else(|| m.digest.clone()))
    }

    /// Every tag of the repository (`GET /v2/<repo>/tags/list`, following `Link` pages).
    pub async fn tags(&self) -> Result<Vec<String>> {
        #[derive(serde::Deserialize)]
        struct Tags {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let mut out = Vec::new();
        let mut url = self.repo_url("tags/list");
        for _ in 0..1000 {
            let resp = self.send(Method::GET, &url, HeaderMap::new(), None).await?;
            if resp.status() == StatusCode::NOT_FOUND {
                break;
            }
            let resp = h::check(&Method::GET, &url, resp).await?;
            let next = next_link(resp.headers());
            let body = h::read_body(resp, 16 << 20).await?;
            let t: Tags = serde_json::from_slice(&body)
                .map_err(|e| RegistryError::Protocol(format!("tag list: {e}")))?;
            out.extend(t.tags.unwrap_or_default());
            match next {
                Some(n) => url = self.absolute(&n),
                None => break,
            }
        }
        Ok(out)
    }
}

/// `host/name` of `host/name:tag` or `host/name@digest`.
fn repository_of(shown: &str) -> &str {
    let no_digest = shown.split('@').next().unwrap_or(shown);
    match no_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => no_digest,
    }
}

/// The target of a `Link: <url>; rel="next"` header.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::LINK)?.to_str().ok()?;
    let (target, rest) = v.trim().strip_prefix('<')?.split_once('>')?;
    rest.contains("rel=\"next\"").then(|| target.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA2: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1469,"digest":"sha256:2cc4ad40add73d6d97585aa84e274f4dee18b49ffa4d74c90f1caf92a15f4bec"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":2,"digest":"sha256:2cc4ad40add73d6d97585aa84e274f4dee18b49ffa4d74c90f1caf92a15f4bec"}]}"#;
    const OCI_INDEX_NO_TYPE: &str = r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":7,"digest":"sha256:2cc4ad40add73d6d97585aa84e274f4dee18b49ffa4d74c90f1caf92a15f4bec","platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}"#;

    #[test]
    fn schema2_manifests_and_untyped_oci_indexes_parse() {
        match parse("", SCHEMA2.as_bytes()).unwrap() {
            Parsed::Manifest(m) => assert_eq!(m.layers.len(), 1),
            _ => panic!("a manifest"),
        }
        match parse("application/json", OCI_INDEX_NO_TYPE.as_bytes()).unwrap() {
            Parsed::Index(i) => {
                assert_eq!(
                    i.manifests[0].platform.as_ref().unwrap().architecture,
                    "arm64"
                )
            }
            _ => panic!("an index"),
        }
        assert_eq!(
            media_type_of("application/json", OCI_INDEX_NO_TYPE.as_bytes()),
            media::OCI_INDEX
        );
        assert_eq!(
            media_type_of("", SCHEMA2.as_bytes()),
            media::DOCKER_MANIFEST
        );
    }

    #[test]
    fn schema1_and_garbage_are_refused() {
        let e = parse("", br#"{"schemaVersion":1,"fsLayers":[]}"#).unwrap_err();
        assert!(
            e.to_string().contains("schema 1 support has been removed"),
            "{e}"
        );
        assert!(parse("", b"not json").is_err());
        assert!(parse(media::DOCKER_MANIFEST, b"{}").is_err());
        assert!(parse("", b"[]").is_err());
    }

    #[test]
    fn denied_pulls_name_the_repository() {
        assert_eq!(repository_of("127.0.0.1:5000/a/b:1"), "127.0.0.1:5000/a/b");
        assert_eq!(
            repository_of("127.0.0.1:5000/a@sha256:00"),
            "127.0.0.1:5000/a"
        );
        assert_eq!(repository_of("busybox"), "busybox");
    }

    #[test]
    fn link_headers_name_the_next_page() {
        let mut hm = HeaderMap::new();
        hm.insert(
            header::LINK,
            HeaderValue::from_static("</v2/_catalog?last=b&n=2>; rel=\"next\""),
        );
        assert_eq!(next_link(&hm).as_deref(), Some("/v2/_catalog?last=b&n=2"));
    }
}
