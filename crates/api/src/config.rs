//! Docker's container configuration (`container.Config` in Go), as found in image configs
//! (`config`, `container_config`) and in container create/inspect. Always-present fields and
//! `omitempty` fields follow dockerd's JSON so Go templates over it see the same keys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{null_if_empty, nullable};

/// A set encoded as a JSON object with empty-object values (`{"80/tcp": {}}`).
pub type StringSet = BTreeMap<String, serde_json::Map<String, serde_json::Value>>;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub domainname: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub attach_stdin: bool,
    #[serde(default)]
    pub attach_stdout: bool,
    #[serde(default)]
    pub attach_stderr: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<StringSet>,
    #[serde(default)]
    pub tty: bool,
    #[serde(default)]
    pub open_stdin: bool,
    #[serde(default)]
    pub stdin_once: bool,
    #[serde(
        default,
        deserialize_with = "nullable",
        serialize_with = "null_if_empty"
    )]
    pub env: Vec<String>,
    /// `None` is JSON null (not set: the image's CMD applies); `Some(vec![])` is `[]`.
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthConfig>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub args_escaped: bool,
    #[serde(default)]
    pub image: String,
    #[serde(default)]
    pub volumes: Option<StringSet>,
    #[serde(default)]
    pub working_dir: String,
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub network_disabled: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mac_address: String,
    #[serde(
        default,
        deserialize_with = "nullable",
        serialize_with = "null_if_empty"
    )]
    pub on_build: Vec<String>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stop_signal: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<Vec<String>>,
}

/// `HEALTHCHECK` settings; durations are in nanoseconds as in Go's `time.Duration`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct HealthConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub interval: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeout: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_period: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_interval: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: i64,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_encodes_like_dockerd() {
        let json = serde_json::to_string(&ContainerConfig::default()).unwrap();
        assert_eq!(
            json,
            r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null}"#
        );
    }

    #[test]
    fn decodes_oci_style_configs_with_missing_fields() {
        let c: ContainerConfig =
            serde_json::from_str(r#"{"Env":["A=1"],"Cmd":["sh"],"ExposedPorts":{"80/tcp":{}}}"#)
                .unwrap();
        assert_eq!(c.env, vec!["A=1"]);
        assert_eq!(c.cmd, Some(vec!["sh".to_string()]));
        assert!(c.exposed_ports.unwrap().contains_key("80/tcp"));
    }
}
