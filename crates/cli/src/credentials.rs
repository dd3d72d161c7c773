//! Registry credentials in Docker's client config (`~/.docker/config.json`, or
//! `$DOCKER_CONFIG/config.json`): `auths` entries (`auth` is base64 `user:password`,
//! `identitytoken` an OAuth refresh token), or a credential helper (`credsStore` for all
//! registries, `credHelpers` per registry) run as `docker-credential-<name> get|store|erase`.
//! Unknown keys of the file are kept as they are.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::error::CliError;

/// Docker Hub's key in `auths`.
pub const INDEX_SERVER: &str = "https://index.docker.io/v1/";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    pub identity_token: String,
}

impl Credentials {
    /// The `X-Registry-Auth` value for these credentials and `server`.
    pub fn header(&self, server: &str) -> String {
        let mut m = Map::new();
        let mut put = |k: &str, v: &str| {
            if !v.is_empty() {
                m.insert(k.to_string(), Value::String(v.to_string()));
            }
        };
        put("username", &self.username);
        put("password", &self.password);
        put("identitytoken", &self.identity_token);
        put("serveraddress", server);
        base64::engine::general_purpose::URL_SAFE.encode(Value::Object(m).to_string())
    }
}

/// The `X-Registry-Auth` value for pulling or pushing `image`, from the stored credentials of
/// its registry (anonymous when there are none or the reference does not parse).
pub fn auth_header_for_image(config: Option<&Path>, image: &str) -> String {
    let registry = wharf_reference::Reference::parse_normalized(image)
        .map(|r| r.domain().to_string())
        .unwrap_or_else(|_| "docker.io".to_string());
    let key = auth_key(&registry);
    let creds = ConfigFile::load(&config_dir(config))
        .ok()
        .and_then(|c| c.get(&key).ok().flatten())
        .unwrap_or_default();
    creds.header(&key)
}

/// The `X-Registry-Config` value for a build: every stored credential by registry key, so
/// the engine can pull any base image the Dockerfile names (as docker's CLI sends it).
pub fn registry_config_header(config: Option<&Path>) -> String {
    let mut m = Map::new();
    if let Ok(cfg) = ConfigFile::load(&config_dir(config)) {
        for key in cfg.keys() {
            if let Ok(Some(c)) = cfg.get(&key) {
                let mut a = Map::new();
                for (k, v) in [
                    ("username", &c.username),
                    ("password", &c.password),
                    ("identitytoken", &c.identity_token),
                    ("serveraddress", &key),
                ] {
                    if !v.is_empty() {
                        a.insert(k.to_string(), Value::String(v.clone()));
                    }
                }
                m.insert(key, Value::Object(a));
            }
        }
    }
    base64::engine::general_purpose::URL_SAFE.encode(Value::Object(m).to_string())
}

pub struct ConfigFile {
    path: PathBuf,
    data: Map<String, Value>,
}

pub fn config_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Ok(d) = std::env::var("DOCKER_CONFIG")
        && !d.is_empty()
    {
        return PathBuf::from(d);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    Path::new(&home).join(".docker")
}

/// The `auths` key for a registry host (`docker.io` → Docker Hub's URL key).
pub fn auth_key(registry: &str) -> String {
    match registry {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => INDEX_SERVER.to_string(),
        other => other.to_string(),
    }
}

/// The host of an `auths` key that is a URL (`https://h:5000/v1/` → `h:5000`).
fn key_host(key: &str) -> &str {
    let s = key
        .strip_prefix("http://")
        .or_else(|| key.strip_prefix("https://"))
        .unwrap_or(key);
    s.split('/').next().unwrap_or(s)
}

impl ConfigFile {
    pub fn load(dir: &Path) -> Result<ConfigFile, CliError> {
        let path = dir.join("config.json");
        let data = match std::fs::read(&path) {
            Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Map::new(),
            Ok(b) => serde_json::from_slice::<Map<String, Value>>(&b).map_err(|e| {
                CliError::msg(format!("loading config file: {}: {e}", path.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
            Err(e) => {
                return Err(CliError::msg(format!(
                    "loading config file: {}: {e}",
                    path.display()
                )));
            }
        };
        Ok(ConfigFile { path, data })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn helper_for(&self, key: &str) -> Option<String> {
        let host = key_host(key);
        self.data
            .get("credHelpers")
            .and_then(Value::as_object)
            .and_then(|h| h.get(key).or_else(|| h.get(host)))
            .and_then(Value::as_str)
            .or_else(|| self.data.get("credsStore").and_then(Value::as_str))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    pub fn uses_helper(&self, key: &str) -> bool {
        self.helper_for(key).is_some()
    }

    /// Registries with stored credentials: `auths` entries and per-registry helpers.
    fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .auths()
            .map(|a| a.keys().cloned().collect())
            .unwrap_or_default();
        if let Some(h) = self.data.get("credHelpers").and_then(Value::as_object) {
            keys.extend(
                h.keys()
                    .filter(|k| !keys.contains(k))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
        }
        keys
    }

    fn auths(&self) -> Option<&Map<String, Value>> {
        self.data.get("auths").and_then(Value::as_object)
    }

    /// Stored credentials for `key`, if any.
    pub fn get(&self, key: &str) -> Result<Option<Credentials>, CliError> {
        if let Some(h) = self.helper_for(key) {
            return helper_get(&h, key);
        }
        let Some(auths) = self.auths() else {
            return Ok(None);
        };
        let host = key_host(key);
        let entry = auths.get(key).or_else(|| {
            auths
                .iter()
                .find(|(k, _)| key_host(k) == host)
                .map(|(_, v)| v)
        });
        let Some(entry) = entry.and_then(Value::as_object) else {
            return Ok(None);
        };
        let mut c = Credentials {
            identity_token: entry
                .get("identitytoken")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            ..Default::default()
        };
        if let Some(a) = entry.get("auth").and_then(Value::as_str)
            && !a.is_empty()
        {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(a.trim())
                .map_err(|e| {
                    CliError::msg(format!(
                        "invalid auth for {key} in {}: {e}",
                        self.path.display()
                    ))
                })?;
            let s = String::from_utf8_lossy(&raw).into_owned();
            let (u, p) = s.split_once(':').unwrap_or((&s, ""));
            c.username = u.to_string();
            c.password = p.to_string();
        }
        if c == Credentials::default() {
            return Ok(None);
        }
        Ok(Some(c))
    }

    /// Saves credentials for `key` (in the helper when one is configured).
    pub fn store(&mut self, key: &str, c: &Credentials) -> Result<(), CliError> {
        let auths = self
            .data
            .entry("auths")
            .or_insert_with(|| Value::Object(Map::new()));
        if !auths.is_object() {
            *auths = Value::Object(Map::new());
        }
        let helper = self.helper_for(key);
        let entry = match &helper {
            Some(h) => {
                helper_store(h, key, c)?;
                json!({})
            }
            None => {
                let mut e = Map::new();
                e.insert(
                    "auth".into(),
                    Value::String(
                        base64::engine::general_purpose::STANDARD
                            .encode(format!("{}:{}", c.username, c.password)),
                    ),
                );
                if !c.identity_token.is_empty() {
                    e.insert(
                        "identitytoken".into(),
                        Value::String(c.identity_token.clone()),
                    );
                }
                Value::Object(e)
            }
        };
        if let Some(a) = self.data.get_mut("auths").and_then(Value::as_object_mut) {
            a.insert(key.to_string(), entry);
        }
        self.save()
    }

    /// Removes credentials for `key`; returns whether there were any.
    pub fn erase(&mut self, key: &str) -> Result<bool, CliError> {
        let mut found = false;
        if let Some(h) = self.helper_for(key) {
            found |= helper_erase(&h, key);
        }
        let host = key_host(key).to_string();
        if let Some(a) = self.data.get_mut("auths").and_then(Value::as_object_mut) {
            let keys: Vec<String> = a
                .keys()
                .filter(|k| k.as_str() == key || key_host(k) == host)
                .cloned()
                .collect();
            for k in keys {
                a.remove(&k);
                found = true;
            }
        }
        if found {
            self.save()?;
        }
        Ok(found)
    }

    fn save(&self) -> Result<(), CliError> {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .map_err(CliError::io(format!("creating {}", dir.display())))?;
        let tmp = self
            .path
            .with_extension(format!("json{}", std::process::id()));
        let mut text = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut ser = serde_json::Serializer::with_formatter(&mut text, fmt);
        serde::Serialize::serialize(&Value::Object(self.data.clone()), &mut ser)
            .map_err(|e| CliError::msg(format!("encoding config file: {e}")))?;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(CliError::io(format!("writing {}", tmp.display())))?;
        f.write_all(&text)
            .and_then(|_| f.sync_all())
            .map_err(CliError::io(format!("writing {}", tmp.display())))?;
        std::fs::rename(&tmp, &self.path)
            .map_err(CliError::io(format!("writing {}", self.path.display())))
    }
}

fn helper_cmd(helper: &str, verb: &str, input: &str) -> Result<String, CliError> {
    let prog = format!("docker-credential-{helper}");
    let mut child = Command::new(&prog)
        .arg(verb)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            CliError::msg(format!(
                "error getting credentials - err: exec: \"{prog}\": {e}"
            ))
        })?;
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(input.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(CliError::io(format!("running {prog}")))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() {
        return Err(CliError::msg(if text.is_empty() {
            String::from_utf8_lossy(&out.stderr).trim().to_string()
        } else {
            text
        }));
    }
    Ok(text)
}

fn helper_get(helper: &str, key: &str) -> Result<Option<Credentials>, CliError> {
    match helper_cmd(helper, "get", key) {
        Ok(text) => {
            let v: Value = serde_json::from_str(&text)
                .map_err(|e| CliError::msg(format!("credential helper {helper}: {e}")))?;
            let user = v.get("Username").and_then(Value::as_str).unwrap_or("");
            let secret = v.get("Secret").and_then(Value::as_str).unwrap_or("");
            Ok(Some(if user == "<token>" {
                Credentials {
                    identity_token: secret.to_string(),
                    ..Default::default()
                }
            } else {
                Credentials {
                    username: user.to_string(),
                    password: secret.to_string(),
                    ..Default::default()
                }
            }))
        }
        Err(CliError::Message(m)) if m.contains("credentials not found") => Ok(None),
        Err(e) => Err(e),
    }
}

fn helper_store(helper: &str, key: &str, c: &Credentials) -> Result<(), CliError> {
    let (user, secret) = if c.identity_token.is_empty() {
        (c.username.as_str(), c.password.as_str())
    } else {
        ("<token>", c.identity_token.as_str())
    };
    let input = json!({"ServerURL": key, "Username": user, "Secret": secret}).to_string();
    helper_cmd(helper, "store", &input).map(|_| ())
}

fn helper_erase(helper: &str, key: &str) -> bool {
    helper_cmd(helper, "erase", key).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auths_round_trip_in_dockers_format_keeping_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"psFormat": "table {{.ID}}", "auths": {"https://index.docker.io/v1/": {"auth": "aHViOnNlY3JldA=="}}}"#,
        )
        .unwrap();
        let mut c = ConfigFile::load(dir.path()).unwrap();
        let hub = c.get(INDEX_SERVER).unwrap().unwrap();
        assert_eq!(
            (hub.username.as_str(), hub.password.as_str()),
            ("hub", "secret")
        );
        c.store(
            "127.0.0.1:5000",
            &Credentials {
                username: "u".into(),
                password: "p:w".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let text = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["auths"]["127.0.0.1:5000"]["auth"], "dTpwOnc=");
        assert_eq!(v["psFormat"], "table {{.ID}}");
        let again = ConfigFile::load(dir.path()).unwrap();
        assert_eq!(
            again.get("127.0.0.1:5000").unwrap().unwrap().password,
            "p:w"
        );
        let mut again = again;
        assert!(again.erase("127.0.0.1:5000").unwrap());
        assert!(!again.erase("127.0.0.1:5000").unwrap());
        assert_eq!(
            ConfigFile::load(dir.path())
                .unwrap()
                .get("127.0.0.1:5000")
                .unwrap(),
            None
        );
    }

    #[test]
    fn helpers_are_chosen_per_registry() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"credsStore": "pass", "credHelpers": {"gcr.io": "gcloud"}}"#,
        )
        .unwrap();
        let c = ConfigFile::load(dir.path()).unwrap();
        assert_eq!(c.helper_for("gcr.io").as_deref(), Some("gcloud"));
        assert_eq!(c.helper_for("127.0.0.1:5000").as_deref(), Some("pass"));
    }
}
