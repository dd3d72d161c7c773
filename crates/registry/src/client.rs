//! Registry clients: [`Registry`] holds what is shared (HTTP pool, tokens, each endpoint's
//! challenges); a [`Session`] speaks for one repository on one endpoint with one set of
//! credentials and scopes. Authentication follows the distribution spec: ping `/v2/`, answer a
//! `Bearer` challenge with a token from the realm (anonymous or with credentials, reused until
//! it expires) or a `Basic` challenge with the credentials; a `401` later refreshes the token
//! once (an `insufficient_scope` challenge names the scope it wants).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;

use crate::auth::{self, AuthConfig, TokenCache, TokenResponse};
use crate::challenge::{self, Challenge};
use crate::endpoint::{Endpoint, RegistryConfig};
use crate::error::{RegistryError, Result};
use crate::http::{self as h, Body, Http, USER_AGENT};

pub struct Registry {
    http: Http,
    config: RegistryConfig,
    tokens: TokenCache,
    challenges: Mutex<HashMap<String, Vec<Challenge>>>,
}

/// Access wanted on a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Pull,
    Push,
}

impl Access {
    fn actions(self) -> &'static str {
        match self {
            Access::Pull => "pull",
            Access::Push => "pull,push",
        }
    }
}

pub fn repository_scope(repo: &str, access: Access) -> String {
    format!("repository:{repo}:{}", access.actions())
}

impl Registry {
    pub fn new(config: RegistryConfig) -> Arc<Registry> {
        Arc::new(Registry {
            http: Http::new(),
            config,
            tokens: TokenCache::default(),
            challenges: Mutex::new(HashMap::new()),
        })
    }

    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }

    pub fn http(&self) -> &Http {
        &self.http
    }

    /// `GET /v2/` on an endpoint: the challenges it answers with (none when it is open).
    pub async fn ping(&self, ep: &Endpoint) -> Result<Vec<Challenge>> {
        if let Some(c) = self
            .challenges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ep.base)
        {
            return Ok(c.clone());
        }
        let url = ep.url("/v2/");
        let resp = self
            .http
            .send(request(Method::GET, &url, None, h::empty())?)
            .await?;
        let found = if resp.status() == StatusCode::UNAUTHORIZED {
            challenge::from_headers(resp.headers())
        } else {
            Vec::new()
        };
        let _ = h::read_body(resp, 64 << 10).await;
        self.remember(ep, found.clone());
        Ok(found)
    }

    fn remember(&self, ep: &Endpoint, ch: Vec<Challenge>) {
        self.challenges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ep.base.clone(), ch);
    }

    /// Opens a session for `repo` (`library/busybox`) on `ep`, authorized for `scopes`.
    pub async fn session(
        self: &Arc<Self>,
        ep: Endpoint,
        repo: &str,
        creds: AuthConfig,
        scopes: Vec<String>,
    ) -> Result<Session> {
        let ch = self.ping(&ep).await?;
        let s = Session {
            reg: self.clone(),
            endpoint: ep,
            repo: repo.to_string(),
            creds,
            scopes,
            authz: Mutex::new(None),
        };
        let a = s.authorize(&ch, false).await?;
        *s.authz.lock().unwrap_or_else(|e| e.into_inner()) = a;
        Ok(s)
    }

    /// A token from `realm` for `scopes`. With `offline`, asks for a refresh token too (login).
    pub async fn fetch_token(
        &self,
        ch: &Challenge,
        scopes: &[String],
        creds: &AuthConfig,
        offline: bool,
    ) -> Result<TokenResponse> {
        let realm = ch
            .param("realm")
            .ok_or_else(|| RegistryError::Protocol("bearer challenge without a realm".into()))?;
        let service = ch.param("service").unwrap_or("");
        let enc = |s: &str| urlencoding::encode(s).into_owned();
        let req = if !creds.identitytoken.is_empty() {
            let mut form = format!(
                "grant_type=refresh_token&refresh_token={}&service={}&client_id=docker",
                enc(&creds.identitytoken),
                enc(service)
            );
            if !scopes.is_empty() {
                form.push_str(&format!("&scope={}", enc(&scopes.join(" "))));
            }
            let mut r = request(Method::POST, realm, None, h::full(form))?;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            r
        } else {
            let mut url = realm.to_string();
            let mut q: Vec<String> = Vec::new();
            if !service.is_empty() {
                q.push(format!("service={}", enc(service)));
            }
            for s in scopes {
                q.push(format!("scope={}", enc(s)));
            }
            let creds_pair = creds.credentials();
            if let Some((u, _)) = &creds_pair {
                q.push(format!("account={}", enc(u)));
            }
            if offline {
                q.push("offline_token=true&client_id=docker".into());
            }
            if !q.is_empty() {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&q.join("&"));
            }
            let authz = creds_pair.map(|(u, p)| auth::basic(&u, &p));
            request(Method::GET, &url, authz.as_deref(), h::empty())?
        };
        let method = req.method().clone();
        let url = req.uri().to_string();
        let resp = self.http.send(req).await?;
        let status = resp.status();
        let body = h::read_body(resp, 1 << 20).await?;
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            #[derive(serde::Deserialize, Default)]
            struct Details {
                #[serde(default)]
                details: String,
            }
            let d: Details = serde_json::from_slice(&body).unwrap_or_default();
            let why = if d.details.is_empty() {
                "incorrect username or password".to_string()
            } else {
                d.details
            };
            return Err(RegistryError::Unauthorized(format!(
                "{} \"{url}\": unauthorized: {why}",
                if method == Method::POST {
                    "Post"
                } else {
                    "Get"
                }
            )));
        }
        if !status.is_success() {
            return Err(RegistryError::Status {
                status: status.as_u16(),
                url,
                errors: Vec::new(),
            });
        }
        let t: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| RegistryError::Protocol(format!("token response from {url}: {e}")))?;
        if t.bearer().is_empty() {
            return Err(RegistryError::Protocol(format!(
                "token server {url} returned no token"
            )));
        }
        Ok(t)
    }

    /// Checks credentials against a registry as `docker login` does. Returns the identity
    /// (refresh) token when the token server issued one.
    pub async fn login(self: &Arc<Self>, server: &str, creds: &AuthConfig) -> Result<String> {
        let host = crate::endpoint::login_host(server);
        let ep = self.config.upstream(&host);
        // Always ask afresh: a cached open/closed answer must not hide a changed password.
        self.challenges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&ep.base);
        let ch = self.ping(&ep).await?;
        let url = ep.url("/v2/");
        let mut identity = String::new();
        let authz = if let Some(b) = ch.iter().find(|c| c.is_bearer()) {
            let t = self.fetch_token(b, &[], creds, true).await?;
            identity = t.refresh_token.clone();
            Some(format!("Bearer {}", t.bearer()))
        } else if ch.iter().any(|c| c.is_basic()) {
            creds.credentials().map(|(u, p)| auth::basic(&u, &p))
        } else {
            return Ok(identity);
        };
        let resp = self
            .http
            .send(request(Method::GET, &url, authz.as_deref(), h::empty())?)
            .await?;
        let status = resp.status();
        let _ = h::read_body(resp, 64 << 10).await;
        if status.is_success() {
            Ok(identity)
        } else {
            Err(RegistryError::LoginFailed {
                url,
                status: format!(
                    "{} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("")
                ),
            })
        }
    }
}

/// Builds a request with the user agent and an optional `Authorization`.
pub fn request(
    method: Method,
    url: &str,
    authz: Option<&str>,
    body: Body,
) -> Result<Request<Body>> {
    let mut b = Request::builder()
        .method(method.clone())
        .uri(url)
        .header(header::USER_AGENT, USER_AGENT);
    if let Some(a) = authz {
        b = b.header(header::AUTHORIZATION, a);
    }
    b.body(body)
        .map_err(|e| RegistryError::InvalidArgument(format!("invalid URL {url}: {e}")))
}

pub struct Session {
    reg: Arc<Registry>,
    pub endpoint: Endpoint,
    pub repo: String,
    creds: AuthConfig,
    scopes: Vec<String>,
    authz: Mutex<Option<String>>,
}

impl Session {
    pub fn registry(&self) -> &Arc<Registry> {
        &self.reg
    }

    async fn authorize(&self, ch: &[Challenge], fresh: bool) -> Result<Option<String>> {
        if let Some(b) = ch.iter().find(|c| c.is_bearer()) {
            if !self.creds.registrytoken.is_empty() {
                return Ok(Some(format!("Bearer {}", self.creds.registrytoken)));
            }
            let mut scopes = self.scopes.clone();
            if let Some(s) = b.param("scope") {
                for extra in s.split(' ') {
                    if !scopes.iter().any(|x| x == extra) {
                        scopes.push(extra.to_string());
                    }
                }
            }
            let account = self.creds.credentials().map(|c| c.0).unwrap_or_default();
            let key = TokenCache::key(
                b.param("realm").unwrap_or(""),
                b.param("service").unwrap_or(""),
                &scopes,
                &account,
            );
            if !fresh && let Some(t) = self.reg.tokens.get(&key) {
                return Ok(Some(format!("Bearer {t}")));
            }
            let t = self.reg.fetch_token(b, &scopes, &self.creds, false).await?;
            self.reg
                .tokens
                .put(key, t.bearer().to_string(), t.lifetime());
            return Ok(Some(format!("Bearer {}", t.bearer())));
        }
        if ch.iter().any(|c| c.is_basic()) {
            return Ok(self.creds.credentials().map(|(u, p)| auth::basic(&u, &p)));
        }
        Ok(None)
    }

    fn current_authz(&self) -> Option<String> {
        self.authz.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// `/v2/<repo>/<rest>` on this session's endpoint.
    pub fn repo_url(&self, rest: &str) -> String {
        self.endpoint.url(&format!("/v2/{}/{rest}", self.repo))
    }

    /// Resolves a `Location` header against this endpoint.
    pub fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else {
            self.endpoint.url(location)
        }
    }

    fn same_origin(&self, url: &str) -> bool {
        url.starts_with(&self.endpoint.base)
            && url[self.endpoint.base.len()..]
                .chars()
                .next()
                .is_none_or(|c| c == '/' || c == '?')
    }

    /// Sends a request with a replayable body, answering one `401` with fresh credentials.
    /// The response is returned whatever its status.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: Option<Bytes>,
    ) -> Result<Response<Incoming>> {
        let mut retried = false;
        loop {
            let authz = if self.same_origin(url) {
                self.current_authz()
            } else {
                None
            };
            let b = body.clone().map(h::full).unwrap_or_else(h::empty);
            let mut req = request(method.clone(), url, authz.as_deref(), b)?;
            req.headers_mut().extend(headers.clone());
            let resp = self.reg.http.send(req).await?;
            if resp.status() == StatusCode::UNAUTHORIZED && !retried && self.same_origin(url) {
                let ch = challenge::from_headers(resp.headers());
                if !ch.is_empty() {
                    let _ = h::read_body(resp, 64 << 10).await;
                    self.reg.remember(&self.endpoint, ch.clone());
                    let a = self.authorize(&ch, true).await?;
                    *self.authz.lock().unwrap_or_else(|e| e.into_inner()) = a;
                    retried = true;
                    continue;
                }
            }
            return Ok(resp);
        }
    }

    /// Sends a request with a streaming body (no replay on `401`).
    pub async fn send_stream(
        &self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: Body,
    ) -> Result<Response<Incoming>> {
        let authz = if self.same_origin(url) {
            self.current_authz()
        } else {
            None
        };
        let mut req = request(method, url, authz.as_deref(), body)?;
        req.headers_mut().extend(headers);
        self.reg.http.send(req).await
    }

    /// Like [`Session::send`], failing on a non-success status with the registry's errors.
    pub async fn send_ok(
        &self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: Option<Bytes>,
    ) -> Result<Response<Incoming>> {
        let resp = self.send(method.clone(), url, headers, body).await?;
        h::check(&method, url, resp).await
    }

    /// A `GET` that follows redirects (blob storage backends); credentials go only to this
    /// session's endpoint.
    pub async fn get_following(&self, url: &str, headers: HeaderMap) -> Result<Response<Incoming>> {
        let mut url = url.to_string();
        for _ in 0..6 {
            let resp = self.send(Method::GET, &url, headers.clone(), None).await?;
            if resp.status().is_redirection()
                && let Some(loc) = resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
            {
                url = self.absolute(loc);
                continue;
            }
            return Ok(resp);
        }
        Err(RegistryError::Protocol(format!(
            "too many redirects from {url}"
        )))
    }
}
