//! Daemon settings: command-line flags over an optional JSON file (`--config-file`, default
//! `/etc/wharf/daemon.json`), with dockerd's key names where they overlap.

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const DEFAULT_DATA_ROOT: &str = "/var/lib/wharf";
pub const DEFAULT_SOCKET: &str = "/run/wharf.sock";
/// The name of the built-in runtime (`--runtime wharf`, the default).
pub const BUILTIN_RUNTIME: &str = "wharf";
/// json-file rotation when a container sets none: Docker's `local` driver defaults (dockerd's
/// json-file default never rotates).
pub const DEFAULT_LOG_MAX_SIZE: u64 = 20 * 1024 * 1024;
pub const DEFAULT_LOG_MAX_FILE: u32 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageDriver {
    /// overlay2 when the kernel supports it on the data root, else vfs.
    Auto,
    Overlay,
    Vfs,
}

#[derive(Debug, Clone)]
pub struct DaemonConfig {
    pub data_root: PathBuf,
    pub socket: PathBuf,
    pub storage_driver: StorageDriver,
    pub log_level: String,
    pub log_format: LogFormat,
    pub pidfile: Option<PathBuf>,
    pub insecure_registries: Vec<String>,
    pub registry_mirrors: Vec<String>,
    /// Runtime for containers that name none (`--default-runtime`).
    pub default_runtime: String,
    /// Extra OCI runtimes by name (`--add-runtime name=path`); `runc` and `crun` are found on
    /// the host without being added.
    pub runtimes: std::collections::BTreeMap<String, PathBuf>,
    /// json-file rotation defaults (`--log-opt max-size=…,max-file=…`).
    pub log_max_size: u64,
    pub log_max_file: u32,
    /// `--userns-remap` as given (empty: off); resolved when the engine opens.
    pub userns_remap: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            data_root: PathBuf::from(DEFAULT_DATA_ROOT),
            socket: PathBuf::from(DEFAULT_SOCKET),
            storage_driver: StorageDriver::Auto,
            log_level: "info".into(),
            log_format: LogFormat::Text,
            pidfile: None,
            insecure_registries: Vec::new(),
            registry_mirrors: Vec::new(),
            default_runtime: BUILTIN_RUNTIME.into(),
            runtimes: Default::default(),
            log_max_size: DEFAULT_LOG_MAX_SIZE,
            log_max_file: DEFAULT_LOG_MAX_FILE,
            userns_remap: String::new(),
        }
    }
}

impl DaemonConfig {
    /// The binary of an OCI runtime by name (`None` for unknown names; the built-in runtime
    /// has no binary and answers with the name itself).
    pub fn runtime_path(&self, name: &str) -> Option<PathBuf> {
        if name == BUILTIN_RUNTIME {
            return Some(PathBuf::from(BUILTIN_RUNTIME));
        }
        if let Some(p) = self.runtimes.get(name) {
            return Some(p.clone());
        }
        [
            "/usr/sbin",
            "/usr/bin",
            "/usr/local/sbin",
            "/usr/local/bin",
            "/sbin",
            "/bin",
        ]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| matches!(name, "runc" | "crun") && p.exists())
    }

    /// Every runtime that can be named, with its binary.
    pub fn runtime_names(&self) -> Vec<(String, PathBuf)> {
        let mut out: Vec<(String, PathBuf)> =
            vec![(BUILTIN_RUNTIME.into(), PathBuf::from(BUILTIN_RUNTIME))];
        for n in ["runc", "crun"] {
            if let Some(p) = self.runtime_path(n) {
                out.push((n.into(), p));
            }
        }
        for (n, p) in &self.runtimes {
            if !out.iter().any(|(x, _)| x == n) {
                out.push((n.clone(), p.clone()));
            }
        }
        out
    }
}

/// The JSON configuration file; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FileConfig {
    pub data_root: Option<PathBuf>,
    pub hosts: Option<Vec<String>>,
    pub storage_driver: Option<String>,
    pub log_level: Option<String>,
    pub log_format: Option<String>,
    pub pidfile: Option<PathBuf>,
    #[serde(default)]
    pub insecure_registries: Vec<String>,
    #[serde(default)]
    pub registry_mirrors: Vec<String>,
    pub userns_remap: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid daemon configuration file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("invalid value {value:?} for {key}: {why}")]
    Value {
        key: &'static str,
        value: String,
        why: &'static str,
    },
}

pub fn parse_host(host: &str) -> Result<PathBuf, ConfigError> {
    let path = host.strip_prefix("unix://").unwrap_or(host);
    if host.contains("://") && !host.starts_with("unix://") {
        return Err(ConfigError::Value {
            key: "host",
            value: host.to_string(),
            why: "only unix:// sockets are supported",
        });
    }
    if path.is_empty() || !path.starts_with('/') {
        return Err(ConfigError::Value {
            key: "host",
            value: host.to_string(),
            why: "expected unix:///absolute/path",
        });
    }
    Ok(PathBuf::from(path))
}

pub fn parse_storage_driver(s: &str) -> Result<StorageDriver, ConfigError> {
    match s {
        "" => Ok(StorageDriver::Auto),
        "overlay2" | "overlay" | "overlayfs" => Ok(StorageDriver::Overlay),
        "vfs" | "native" => Ok(StorageDriver::Vfs),
        _ => Err(ConfigError::Value {
            key: "storage-driver",
            value: s.to_string(),
            why: "supported drivers are overlay2 and vfs",
        }),
    }
}

pub fn parse_log_format(s: &str) -> Result<LogFormat, ConfigError> {
    match s {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err(ConfigError::Value {
            key: "log-format",
            value: s.into(),
            why: "use text or json",
        }),
    }
}

impl DaemonConfig {
    /// Applies a configuration file's settings (flags given later override them).
    pub fn apply_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let data = std::fs::read(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let f: FileConfig = serde_json::from_slice(&data).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        if let Some(d) = f.data_root {
            self.data_root = d;
        }
        if let Some(h) = f.hosts.and_then(|h| h.into_iter().next()) {
            self.socket = parse_host(&h)?;
        }
        if let Some(s) = f.storage_driver {
            self.storage_driver = parse_storage_driver(&s)?;
        }
        if let Some(l) = f.log_level {
            self.log_level = l;
        }
        if let Some(l) = f.log_format {
            self.log_format = parse_log_format(&l)?;
        }
        if f.pidfile.is_some() {
            self.pidfile = f.pidfile;
        }
        self.insecure_registries.extend(f.insecure_registries);
        self.registry_mirrors.extend(f.registry_mirrors);
        if let Some(r) = f.userns_remap {
            self.userns_remap = r;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_must_be_absolute_unix_sockets() {
        assert_eq!(
            parse_host("unix:///tmp/x.sock").unwrap(),
            PathBuf::from("/tmp/x.sock")
        );
        assert_eq!(
            parse_host("/tmp/x.sock").unwrap(),
            PathBuf::from("/tmp/x.sock")
        );
        assert!(parse_host("tcp://0.0.0.0:2375").is_err());
        assert!(parse_host("unix://rel.sock").is_err());
    }

    #[test]
    fn config_file_unknown_keys_are_refused_with_the_file_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("daemon.json");
        std::fs::write(&p, r#"{"data-root": "/srv/w", "bogus": 1}"#).unwrap();
        let e = DaemonConfig::default()
            .apply_file(&p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("daemon.json") && e.contains("bogus"), "{e}");
        std::fs::write(&p, r#"{"data-root": "/srv/w", "storage-driver": "vfs"}"#).unwrap();
        let mut c = DaemonConfig::default();
        c.apply_file(&p).unwrap();
        assert_eq!(c.data_root, PathBuf::from("/srv/w"));
        assert_eq!(c.storage_driver, StorageDriver::Vfs);
    }
}
