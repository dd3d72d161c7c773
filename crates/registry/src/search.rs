//! `docker search`: Docker Hub's v1 search API, or for a registry without it, the catalog
//! (`/v2/_catalog`) filtered by the term.

use std::sync::Arc;

use http::{HeaderMap, Method, StatusCode};
use serde::{Deserialize, Serialize};
use wharf_reference::registry::{INDEX_NAME, split_search_term};

use crate::auth::{self, AuthConfig};
use crate::client::{Registry, request};
use crate::endpoint::Endpoint;
use crate::error::{RegistryError, Result};
use crate::http as h;

/// One result, in the Engine API's shape.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResult {
    #[serde(default)]
    pub star_count: i64,
    #[serde(default)]
    pub is_official: bool,
    pub name: String,
    #[serde(default)]
    pub is_automated: bool,
    #[serde(default)]
    pub description: String,
}

#[derive(Deserialize)]
struct V1Results {
    #[serde(default)]
    results: Vec<SearchResult>,
}

impl Registry {
    /// Searches the registry a term names (`busybox` → Docker Hub, `host:5000/bus` → host:5000).
    pub async fn search(
        self: &Arc<Self>,
        term: &str,
        limit: usize,
        creds: AuthConfig,
    ) -> Result<Vec<SearchResult>> {
        let (index, remote) = split_search_term(term);
        let ep = if index == INDEX_NAME {
            Endpoint {
                base: "https://index.docker.io".into(),
                registry: INDEX_NAME.into(),
                mirror: false,
            }
        } else {
            self.config().upstream(&index)
        };
        let url = ep.url(&format!(
            "/v1/search?q={}&n={limit}",
            urlencoding::encode(&remote)
        ));
        let authz = creds.credentials().map(|(u, p)| auth::basic(&u, &p));
        let resp = self
            .http()
            .send(request(Method::GET, &url, authz.as_deref(), h::empty())?)
            .await?;
        if resp.status().is_success() {
            let body = h::read_body(resp, 16 << 20).await?;
            if let Ok(r) = serde_json::from_slice::<V1Results>(&body) {
                let mut results = r.results;
                results.truncate(limit);
                return Ok(results);
            }
        } else {
            let _ = h::read_body(resp, 64 << 10).await;
        }
        if index == INDEX_NAME {
            return Err(RegistryError::Protocol(format!(
                "Docker Hub search at {url} did not answer"
            )));
        }
        self.search_catalog(ep, &remote, limit, creds).await
    }

    async fn search_catalog(
        self: &Arc<Self>,
        ep: Endpoint,
        term: &str,
        limit: usize,
        creds: AuthConfig,
    ) -> Result<Vec<SearchResult>> {
        #[derive(Deserialize)]
        struct Catalog {
            #[serde(default)]
            repositories: Vec<String>,
        }
        let registry = ep.registry.clone();
        let s = self
            .session(ep, "", creds, vec!["registry:catalog:*".into()])
            .await?;
        let term = term.to_ascii_lowercase();
        let mut out = Vec::new();
        let mut url = s.endpoint.url("/v2/_catalog?n=1000");
        for _ in 0..1000 {
            let resp = s.send(Method::GET, &url, HeaderMap::new(), None).await?;
            if resp.status() == StatusCode::NOT_FOUND {
                break;
            }
            let resp = h::check(&Method::GET, &url, resp).await?;
            let next = crate::manifest::next_link(resp.headers());
            let body = h::read_body(resp, 16 << 20).await?;
            let c: Catalog = serde_json::from_slice(&body)
                .map_err(|e| RegistryError::Protocol(format!("catalog: {e}")))?;
            for name in c.repositories {
                if name.to_ascii_lowercase().contains(&term) && out.len() < limit {
                    out.push(SearchResult {
                        name: format!("{registry}/{name}"),
                        ..Default::default()
                    });
                }
            }
            match next {
                Some(n) if out.len() < limit => url = s.absolute(&n),
                _ => break,
            }
        }
        Ok(out)
    }
}
