//! Exec endpoints: `POST /containers/{id}/exec`, `POST /exec/{id}/start`,
//! `GET /exec/{id}/json`, `POST /exec/{id}/resize`.

use serde::{Deserialize, Serialize};

use crate::nullable;

/// `POST /containers/{id}/exec` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ExecCreateRequest {
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub privileged: bool,
    #[serde(default)]
    pub tty: bool,
    /// `[height, width]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console_size: Option<[u64; 2]>,
    #[serde(default)]
    pub attach_stdin: bool,
    #[serde(default)]
    pub attach_stderr: bool,
    #[serde(default)]
    pub attach_stdout: bool,
    /// Deprecated by dockerd but still sent by old clients.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub detach: bool,
    #[serde(default)]
    pub detach_keys: String,
    #[serde(default, deserialize_with = "nullable")]
    pub env: Vec<String>,
    #[serde(default)]
    pub working_dir: String,
    #[serde(default, deserialize_with = "nullable")]
    pub cmd: Vec<String>,
}

/// `POST /exec/{id}/start` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ExecStartRequest {
    #[serde(default)]
    pub detach: bool,
    #[serde(default)]
    pub tty: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console_size: Option<[u64; 2]>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ExecProcessConfig {
    pub tty: bool,
    pub entrypoint: String,
    #[serde(default)]
    pub arguments: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
}

/// `GET /exec/{id}/json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ExecInspect {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Running")]
    pub running: bool,
    /// `null` until the process has exited.
    #[serde(rename = "ExitCode")]
    pub exit_code: Option<i64>,
    #[serde(rename = "ProcessConfig")]
    pub process_config: ExecProcessConfig,
    #[serde(rename = "OpenStdin")]
    pub open_stdin: bool,
    #[serde(rename = "OpenStderr")]
    pub open_stderr: bool,
    #[serde(rename = "OpenStdout")]
    pub open_stdout: bool,
    #[serde(rename = "CanRemove")]
    pub can_remove: bool,
    #[serde(rename = "ContainerID")]
    pub container_id: String,
    #[serde(rename = "DetachKeys")]
    pub detach_keys: String,
    #[serde(rename = "Pid")]
    pub pid: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_request_accepts_docker_cli_body() {
        let r: ExecCreateRequest = serde_json::from_str(
            r#"{"User":"","Privileged":false,"Tty":true,"ConsoleSize":[24,80],"AttachStdin":true,"AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"","Env":null,"WorkingDir":"","Cmd":["sh"]}"#,
        )
        .unwrap();
        assert_eq!(r.console_size, Some([24, 80]));
        assert_eq!(r.cmd, vec!["sh"]);
        assert!(r.env.is_empty());
    }

    #[test]
    fn inspect_shows_null_exit_code_while_running() {
        let s = serde_json::to_string(&ExecInspect {
            id: "e".into(),
            running: true,
            ..Default::default()
        })
        .unwrap();
        assert!(s.starts_with(r#"{"ID":"e","Running":true,"ExitCode":null,"ProcessConfig":{"tty":false,"entrypoint":"","arguments":[]}"#));
    }
}
