//! What the daemon tells a shim, in `<state dir>/shim.json` (the OCI spec is beside it in
//! `config.json`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// File names inside a container's state directory.
pub const CONFIG_FILE: &str = "shim.json";
pub const SPEC_FILE: &str = "config.json";
pub const EXIT_FILE: &str = "exit.json";
pub const STATE_FILE: &str = "state.json";
pub const SHIM_LOG: &str = "shim.log";

/// Which OCI runtime creates the container.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuntimeChoice {
    /// wharf's own executor (forks from the shim).
    #[default]
    Builtin,
    /// `runc`, `crun` or another OCI runtime binary.
    External {
        binary: PathBuf,
        /// `--root` state directory for the runtime.
        root: PathBuf,
        #[serde(default)]
        args: Vec<String>,
    },
}

/// How the container's rootfs is mounted (a snapshotter mount description).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RootfsSpec {
    pub fstype: String,
    pub source: String,
    pub options: String,
}

/// json-file log settings. `max_size == 0` means no rotation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LogSpec {
    pub path: PathBuf,
    pub max_size: u64,
    pub max_file: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShimConfig {
    pub id: String,
    #[serde(default)]
    pub runtime: RuntimeChoice,
    pub rootfs: Option<RootfsSpec>,
    /// Keep a stdin pipe open for attach (`OpenStdin`).
    pub open_stdin: bool,
    /// `Tty`: the init gets a pty; its output is one stream.
    pub tty: bool,
    /// `None`: logging disabled (`--log-driver none`).
    pub log: Option<LogSpec>,
}

impl ShimConfig {
    pub fn load(dir: &Path) -> std::io::Result<ShimConfig> {
        let data = std::fs::read(dir.join(CONFIG_FILE))?;
        serde_json::from_slice(&data).map_err(std::io::Error::other)
    }

    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        let data = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join(CONFIG_FILE), data)
    }
}
