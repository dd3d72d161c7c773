//! Login checks, search and distribution inspect.

use std::sync::Arc;

use serde::Serialize;
use wharf_api::filters::Filters;
use wharf_image::spec::{Descriptor, Platform};
use wharf_reference::Reference;
use wharf_registry::manifest::Parsed;
use wharf_registry::{Access, AuthConfig, SearchResult, repository_scope};

use crate::engine::Engine;
use crate::error::ApiError;

#[derive(Debug, Serialize)]
pub struct AuthResponse {
    #[serde(rename = "Status")]
    pub status: String,
    #[serde(rename = "IdentityToken")]
    pub identity_token: String,
}

/// `POST /auth`: checks the credentials against the registry (Docker Hub when no server).
pub async fn login(e: &Arc<Engine>, creds: &AuthConfig) -> Result<AuthResponse, ApiError> {
    let server = if creds.serveraddress.is_empty() {
        wharf_reference::registry::INDEX_SERVER
    } else {
        creds.serveraddress.as_str()
    };
    let identity_token = e.registry.login(server, creds).await?;
    Ok(AuthResponse {
        status: "Login Succeeded".into(),
        identity_token,
    })
}

/// `GET /images/search`: results filtered by `is-official`, `is-automated` and `stars`.
pub async fn search(
    e: &Arc<Engine>,
    term: &str,
    limit: Option<i64>,
    filters: &Filters,
    creds: AuthConfig,
) -> Result<Vec<SearchResult>, ApiError> {
    let limit = limit.unwrap_or(25);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit {limit} is outside the range of [1, 100]"
        )));
    }
    for key in filters.keys() {
        if !matches!(key, "is-official" | "is-automated" | "stars") {
            return Err(ApiError::bad_request(format!("invalid filter '{key}'")));
        }
    }
    let bool_filter = |k: &str| -> Result<Option<bool>, ApiError> {
        match filters.get(k).first() {
            None => Ok(None),
            Some(v) => v
                .parse::<bool>()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("invalid filter '{k}={v}'"))),
        }
    };
    let official = bool_filter("is-official")?;
    let automated = bool_filter("is-automated")?;
    let stars = match filters.get("stars").first() {
        None => 0,
        Some(v) => v
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request(format!("invalid filter 'stars={v}'")))?,
    };
    let results = e.registry.search(term, limit as usize, creds).await?;
    Ok(results
        .into_iter()
        .filter(|r| official.is_none_or(|o| r.is_official == o))
        .filter(|r| automated.is_none_or(|a| r.is_automated == a))
        .filter(|r| r.star_count >= stars)
        .collect())
}

#[derive(Debug, Serialize)]
pub struct DistributionInspect {
    #[serde(rename = "Descriptor")]
    pub descriptor: Descriptor,
    #[serde(rename = "Platforms")]
    pub platforms: Vec<Platform>,
}

/// `GET /distribution/{name}/json`: the descriptor a reference resolves to and its platforms.
pub async fn distribution_inspect(
    e: &Arc<Engine>,
    name: &str,
    creds: AuthConfig,
) -> Result<DistributionInspect, ApiError> {
    let r = Reference::parse_normalized(name)?.with_default_tag();
    let ep = e.registry.config().upstream(r.domain());
    let s = e
        .registry
        .session(
            ep,
            r.path(),
            creds,
            vec![repository_scope(r.path(), Access::Pull)],
        )
        .await?;
    let target = match r.digest() {
        Some(d) => d.to_string(),
        None => r.tag().unwrap_or("latest").to_string(),
    };
    let raw = s.get_manifest(&target, &r.familiar_string()).await?;
    let platforms = match wharf_registry::manifest::parse(&raw.media_type, &raw.bytes)? {
        Parsed::Index(i) => i.manifests.into_iter().filter_map(|d| d.platform).collect(),
        Parsed::Manifest(m) => {
            let mut out = Vec::new();
            if let Ok(data) = s.fetch_small_blob(&m.config.digest, m.config.size).await
                && let Ok(c) = wharf_image::spec::ImageConfig::parse(&data)
            {
                out.push(Platform {
                    architecture: c.architecture,
                    os: c.os,
                    os_version: c.os_version,
                    variant: c.variant,
                });
            }
            out
        }
    };
    Ok(DistributionInspect {
        descriptor: raw.descriptor(),
        platforms,
    })
}
