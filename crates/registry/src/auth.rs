//! Credentials as Docker passes them (`X-Registry-Auth`, `POST /auth`, `config.json`) and the
//! bearer tokens a registry's token server hands out for them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// Docker's `registry.AuthConfig`, as JSON (`X-Registry-Auth` is its base64url encoding).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthConfig {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password: String,
    /// base64 of `username:password`, as stored in `config.json`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub auth: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub serveraddress: String,
    /// An OAuth refresh token from an earlier login.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub identitytoken: String,
    /// A bearer token to send as is.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub registrytoken: String,
}

impl AuthConfig {
    /// Decodes an `X-Registry-Auth` header: base64url (padded or not; plain base64 accepted)
    /// of the JSON. An empty or `{}` header means anonymous.
    pub fn from_header(value: &str) -> Result<AuthConfig, String> {
        let v = value.trim();
        if v.is_empty() {
            return Ok(AuthConfig::default());
        }
        let cleaned: String = v.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = [
            &base64::engine::general_purpose::URL_SAFE,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::STANDARD_NO_PAD,
        ]
        .iter()
        .find_map(|e| e.decode(&cleaned).ok())
        .ok_or_else(|| "invalid X-Registry-Auth header: not base64".to_string())?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(AuthConfig::default());
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("invalid X-Registry-Auth header: {e}"))
    }

    /// The header value for this config (base64url of its JSON).
    pub fn to_header(&self) -> String {
        base64::engine::general_purpose::URL_SAFE
            .encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Username and password, from the fields or from `auth`.
    pub fn credentials(&self) -> Option<(String, String)> {
        if !self.username.is_empty() || !self.password.is_empty() {
            return Some((self.username.clone(), self.password.clone()));
        }
        if self.auth.is_empty() {
            return None;
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(self.auth.trim())
            .ok()?;
        let s = String::from_utf8(raw).ok()?;
        let (u, p) = s.split_once(':')?;
        Some((u.to_string(), p.to_string()))
    }

    pub fn is_anonymous(&self) -> bool {
        self.credentials().is_none()
            && self.identitytoken.is_empty()
            && self.registrytoken.is_empty()
    }
}

/// `Basic` authorization header value.
pub fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

/// A token server's answer (`token` or OAuth's `access_token`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub access_token: String,
    #[serde(default)]
    pub expires_in: u64,
    #[serde(default)]
    pub refresh_token: String,
}

impl TokenResponse {
    pub fn bearer(&self) -> &str {
        if self.token.is_empty() {
            &self.access_token
        } else {
            &self.token
        }
    }

    /// Lifetime: `expires_in`, at least the 60 s the token spec says to assume.
    pub fn lifetime(&self) -> Duration {
        Duration::from_secs(self.expires_in.max(60))
    }
}

/// Bearer tokens by realm, service, scopes and account, kept until shortly before expiry.
#[derive(Default)]
pub struct TokenCache {
    tokens: Mutex<HashMap<String, (String, Instant)>>,
}

/// Tokens are dropped this long before they expire, so a request never carries a stale one.
const EXPIRY_MARGIN: Duration = Duration::from_secs(10);

impl TokenCache {
    pub fn key(realm: &str, service: &str, scopes: &[String], account: &str) -> String {
        format!("{realm}\n{service}\n{}\n{account}", scopes.join(" "))
    }

    pub fn get(&self, key: &str) -> Option<String> {
        let mut t = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        match t.get(key) {
            Some((tok, until)) if Instant::now() < *until => Some(tok.clone()),
            Some(_) => {
                t.remove(key);
                None
            }
            None => None,
        }
    }

    pub fn put(&self, key: String, token: String, lifetime: Duration) {
        let until = Instant::now() + lifetime.saturating_sub(EXPIRY_MARGIN);
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, (token, until));
    }

    pub fn forget(&self, key: &str) {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_auth_header_round_trips_and_tolerates_encodings() {
        let a = AuthConfig {
            username: "u".into(),
            password: "p?>".into(),
            serveraddress: "127.0.0.1:5000".into(),
            ..Default::default()
        };
        assert_eq!(AuthConfig::from_header(&a.to_header()).unwrap(), a);
        let std = base64::engine::general_purpose::STANDARD_NO_PAD
            .encode(serde_json::to_vec(&a).unwrap());
        assert_eq!(AuthConfig::from_header(&std).unwrap(), a);
        assert!(AuthConfig::from_header("").unwrap().is_anonymous());
        assert!(AuthConfig::from_header("e30=").unwrap().is_anonymous());
        assert!(AuthConfig::from_header("!!").is_err());
    }

    #[test]
    fn credentials_come_from_fields_or_auth() {
        let a = AuthConfig {
            auth: "dXNlcjpwYTpzcw==".into(),
            ..Default::default()
        };
        assert_eq!(a.credentials(), Some(("user".into(), "pa:ss".into())));
        assert_eq!(basic("user", "pa:ss"), "Basic dXNlcjpwYTpzcw==");
    }

    #[test]
    fn tokens_expire_with_a_margin() {
        let c = TokenCache::default();
        c.put("k".into(), "t".into(), Duration::from_secs(60));
        assert_eq!(c.get("k").as_deref(), Some("t"));
        c.put("k".into(), "t".into(), Duration::from_secs(5));
        assert_eq!(c.get("k"), None);
    }
}
