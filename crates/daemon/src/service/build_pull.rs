//! Base images for builds: `FROM` (and `COPY --from`) images missing from the store, or every
//! base with `--pull`, come from the registry with the credentials the client sent in
//! `X-Registry-Config`, their progress shown in the build's output.

use std::collections::BTreeMap;
use std::sync::Arc;

use wharf_api::message::JsonMessage;
use wharf_builder::{Platform, Puller};
use wharf_image::ImageRecord;
use wharf_reference::Reference;
use wharf_registry::{AuthConfig, PlatformSpec};

use crate::engine::Engine;
use crate::error::ApiError;
use crate::service::progress::Progress;
use crate::service::pull;

/// Pulls for one build.
pub struct BuildPuller {
    engine: Arc<Engine>,
    runtime: tokio::runtime::Handle,
    /// Credentials by registry host, as docker's CLI sends them for builds.
    auths: BTreeMap<String, AuthConfig>,
}

impl BuildPuller {
    pub fn new(
        engine: Arc<Engine>,
        runtime: tokio::runtime::Handle,
        auths: BTreeMap<String, AuthConfig>,
    ) -> BuildPuller {
        BuildPuller {
            engine,
            runtime,
            auths,
        }
    }

    fn auth_for(&self, domain: &str) -> AuthConfig {
        let docker_hub = domain == "docker.io";
        self.auths
            .iter()
            .find(|(host, _)| {
                let h = host
                    .trim_start_matches("https://")
                    .trim_start_matches("http://");
                let h = h.split('/').next().unwrap_or(h);
                h == domain
                    || (docker_hub && matches!(h, "index.docker.io" | "registry-1.docker.io"))
            })
            .map(|(_, a)| a.clone())
            .unwrap_or_default()
    }
}

/// `X-Registry-Config`: base64url of a JSON object, registry host → AuthConfig.
pub fn registry_config(header: Option<&str>) -> Result<BTreeMap<String, AuthConfig>, ApiError> {
    use base64::Engine as _;
    let Some(v) = header.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(BTreeMap::new());
    };
    let bytes = [
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
    ]
    .iter()
    .find_map(|e| e.decode(v).ok())
    .ok_or_else(|| ApiError::bad_request("invalid X-Registry-Config header: not base64"))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("invalid X-Registry-Config header: {e}")))
}

/// One line of pull progress as the build shows it; byte counters are left out.
fn progress_line(m: &JsonMessage) -> Option<String> {
    if m.progress.is_some() {
        return None;
    }
    let status = m.status.as_deref()?;
    Some(match &m.id {
        Some(id) => format!("{id}: {status}\n"),
        None => format!("{status}\n"),
    })
}

impl Puller for BuildPuller {
    fn pull(
        &self,
        reference: &str,
        platform: &Platform,
        progress: &mut dyn FnMut(&str),
    ) -> Result<ImageRecord, String> {
        let r = Reference::parse_normalized(reference)
            .map_err(|e| e.to_string())?
            .with_default_tag();
        let spec = PlatformSpec {
            os: platform.os.clone(),
            architecture: platform.arch.clone(),
            variant: platform.variant.clone(),
        };
        let auth = self.auth_for(r.domain());
        // The pull runs on the engine's runtime; this (blocking) thread relays its progress,
        // since writing to the build's stream blocks.
        let (tx, mut rx) = Progress::channel();
        let engine = self.engine.clone();
        let task = self.runtime.spawn(async move {
            let r = pull::pull(&engine, &r, Some(&spec), &auth, &tx).await;
            drop(tx);
            r
        });
        while let Some(m) = rx.blocking_recv() {
            if let Some(l) = progress_line(&m) {
                progress(&l);
            }
        }
        let pulled = self
            .runtime
            .block_on(task)
            .map_err(|e| format!("pulling {reference}: {e}"))?;
        let pulled = pulled.map_err(|e| e.message)?;
        let id = pulled
            .first()
            .map(|p| p.id.to_string())
            .ok_or_else(|| format!("pulling {reference}: nothing was pulled"))?;
        self.engine.images.resolve(&id).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_config_reads_docker_clis_header() {
        use base64::Engine as _;
        let json = r#"{"127.0.0.1:5000":{"username":"u","password":"p"},"https://index.docker.io/v1/":{"auth":"dTpw"}}"#;
        let h = base64::engine::general_purpose::URL_SAFE.encode(json);
        let m = registry_config(Some(&h)).unwrap();
        assert_eq!(m["127.0.0.1:5000"].username, "u");
        assert!(registry_config(None).unwrap().is_empty());
        assert!(registry_config(Some("!!")).is_err());
    }

    #[test]
    fn progress_lines_skip_byte_counters() {
        let mut m = JsonMessage::status("Pulling fs layer");
        m.id = Some("abc".into());
        assert_eq!(progress_line(&m).unwrap(), "abc: Pulling fs layer\n");
        m.progress = Some("[==>  ] 1MB/2MB".into());
        assert_eq!(progress_line(&m), None);
    }
}
