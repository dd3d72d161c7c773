//! Instructions that change only the image's runtime config (ENV, LABEL, CMD, ENTRYPOINT,
//! EXPOSE, USER, WORKDIR, VOLUME, STOPSIGNAL, ONBUILD, HEALTHCHECK, SHELL), applied as
//! dockerd's builder dispatchers apply them.

use std::collections::BTreeMap;

use wharf_api::ContainerConfig;
use wharf_api::config::HealthConfig;
use wharf_dockerfile::instructions::expose::parse_port_specs;
use wharf_dockerfile::instructions::{CommandLine, Instruction};
use wharf_dockerfile::shell::Lexer;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0}")]
    Expand(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0} is not a config instruction")]
    NotConfig(&'static str),
}

/// Per-stage state the dispatchers share: whether CMD was set in this stage (ENTRYPOINT clears an
/// inherited CMD otherwise).
#[derive(Debug, Default, Clone)]
pub struct DispatchState {
    pub cmd_set: bool,
}

const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// Exec form as is; shell form wrapped in the config's SHELL (default `/bin/sh -c`).
pub fn command_args(cmd: &CommandLine, config: &ContainerConfig) -> Option<Vec<String>> {
    let args = cmd.args.clone()?;
    if !cmd.prepend_shell {
        return Some(args);
    }
    let mut out: Vec<String> = match &config.shell {
        Some(s) if !s.is_empty() => s.clone(),
        _ => DEFAULT_SHELL.iter().map(|s| s.to_string()).collect(),
    };
    out.push(args.join(" "));
    Some(out)
}

fn set_env(env: &mut Vec<String>, key: &str, value: &str) {
    let entry = format!("{key}={value}");
    match env
        .iter_mut()
        .find(|e| e.split_once('=').map(|(k, _)| k) == Some(key) || e.as_str() == key)
    {
        Some(e) => *e = entry,
        None => env.push(entry),
    }
}

/// Go's `filepath.Join` for WORKDIR: relative paths are joined to the previous directory.
fn join_workdir(current: &str, next: &str) -> String {
    let joined = if next.starts_with('/') {
        next.to_string()
    } else {
        let base = if current.is_empty() { "/" } else { current };
        format!("{}/{}", base.trim_end_matches('/'), next)
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn nanos(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// Applies one config instruction. Word expansion uses the config's own `Env` plus `args`
/// (build arguments in scope).
pub fn apply(
    ins: &Instruction,
    config: &mut ContainerConfig,
    state: &mut DispatchState,
    lexer: &Lexer,
    args: &BTreeMap<String, String>,
) -> Result<(), ConfigError> {
    let mut vars: BTreeMap<String, String> = args.clone();
    for e in &config.env {
        let (k, v) = e.split_once('=').unwrap_or((e, ""));
        vars.insert(k.to_string(), v.to_string());
    }
    let ins = ins
        .expand(lexer, &vars)
        .map_err(|e| ConfigError::Expand(e.to_string()))?;
    apply_expanded(ins, config, state)
}

/// Applies a config instruction whose words are already expanded.
pub fn apply_expanded(
    ins: Instruction,
    config: &mut ContainerConfig,
    state: &mut DispatchState,
) -> Result<(), ConfigError> {
    match ins {
        Instruction::Env(kvs) => {
            for kv in kvs {
                set_env(&mut config.env, &kv.key, &kv.value);
            }
        }
        Instruction::Label(kvs) => {
            let labels = config.labels.get_or_insert_with(BTreeMap::new);
            for kv in kvs {
                labels.insert(kv.key, kv.value);
            }
        }
        Instruction::Cmd(cmd) => {
            config.cmd = command_args(&cmd, config);
            state.cmd_set = true;
        }
        Instruction::Entrypoint(cmd) => {
            config.entrypoint = command_args(&cmd, config);
            if !state.cmd_set {
                config.cmd = None;
            }
        }
        Instruction::Expose(ports) => {
            let specs =
                parse_port_specs(&ports).map_err(|e| ConfigError::Invalid(e.to_string()))?;
            let set = config.exposed_ports.get_or_insert_with(BTreeMap::new);
            for p in specs {
                set.insert(p, serde_json::Map::new());
            }
        }
        Instruction::User(u) => config.user = u,
        Instruction::Workdir(w) => config.working_dir = join_workdir(&config.working_dir, &w),
        Instruction::Volume(vols) => {
            let set = config.volumes.get_or_insert_with(BTreeMap::new);
            for v in vols {
                if v.trim().is_empty() {
                    return Err(ConfigError::Invalid(
                        "VOLUME specified can not be an empty string".into(),
                    ));
                }
                set.insert(v, serde_json::Map::new());
            }
        }
        Instruction::StopSignal(s) => {
            if !valid_signal(&s) {
                return Err(ConfigError::Invalid(format!("Invalid signal: {s}")));
            }
            config.stop_signal = s;
        }
        Instruction::Onbuild(expr) => config.on_build.push(expr),
        Instruction::Healthcheck(h) => {
            config.healthcheck = Some(HealthConfig {
                test: Some(h.test),
                interval: nanos(h.interval),
                timeout: nanos(h.timeout),
                start_period: nanos(h.start_period),
                start_interval: nanos(h.start_interval),
                retries: h.retries,
            });
        }
        Instruction::Shell(s) => config.shell = Some(s),
        Instruction::Maintainer(_) => return Err(ConfigError::NotConfig("MAINTAINER")),
        Instruction::Add(_) => return Err(ConfigError::NotConfig("ADD")),
        Instruction::Copy(_) => return Err(ConfigError::NotConfig("COPY")),
        Instruction::Run(_) => return Err(ConfigError::NotConfig("RUN")),
        Instruction::Arg(_) => return Err(ConfigError::NotConfig("ARG")),
    }
    Ok(())
}

/// Signal names and numbers dockerd accepts for STOPSIGNAL.
pub fn valid_signal(s: &str) -> bool {
    const NAMES: &[&str] = &[
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT",
        "KILL", "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM",
        "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
    ];
    if let Ok(n) = s.parse::<u32>() {
        return (1..=64).contains(&n);
    }
    let upper = s.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(rt) = name.strip_prefix("RTMIN") {
        return rt.is_empty()
            || rt
                .strip_prefix('+')
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n <= 30);
    }
    if let Some(rt) = name.strip_prefix("RTMAX") {
        return rt.is_empty()
            || rt
                .strip_prefix('-')
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n <= 30);
    }
    NAMES.contains(&name)
}

/// Applies `--change` lines (for `import` and `commit`), allowing only what dockerd allows.
pub fn apply_changes(config: &mut ContainerConfig, changes: &[String]) -> Result<(), ConfigError> {
    const ALLOWED: &[&str] = &[
        "CMD",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "HEALTHCHECK",
        "LABEL",
        "ONBUILD",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    ];
    let mut state = DispatchState::default();
    for change in changes {
        let src = format!("FROM scratch\n{change}\n");
        let df = wharf_dockerfile::parse(&src).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let lexer = Lexer::new(df.escape_token);
        for stage in &df.stages {
            for cmd in &stage.instructions {
                let kw = cmd.keyword.to_ascii_uppercase();
                if !ALLOWED.contains(&kw.as_str()) {
                    return Err(ConfigError::Invalid(format!(
                        "{kw} is not a valid change command"
                    )));
                }
                apply(
                    &cmd.instruction,
                    config,
                    &mut state,
                    &lexer,
                    &BTreeMap::new(),
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(changes: &[&str]) -> Result<ContainerConfig, ConfigError> {
        let mut c = ContainerConfig::default();
        apply_changes(
            &mut c,
            &changes.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )?;
        Ok(c)
    }

    #[test]
    fn cmd_and_entrypoint_forms() {
        let c = changed(&[r#"CMD ["sh"]"#]).unwrap();
        assert_eq!(c.cmd, Some(vec!["sh".to_string()]));
        let c = changed(&["CMD echo hi"]).unwrap();
        assert_eq!(
            c.cmd,
            Some(vec!["/bin/sh".into(), "-c".into(), "echo hi".into()])
        );
        let c = changed(&["CMD [\"a\"]", "ENTRYPOINT [\"e\"]"]).unwrap();
        assert_eq!(
            (c.entrypoint.unwrap(), c.cmd.unwrap()),
            (vec!["e".to_string()], vec!["a".to_string()])
        );
        let c = changed(&["ENTRYPOINT echo hi"]).unwrap();
        assert_eq!(
            c.entrypoint,
            Some(vec!["/bin/sh".into(), "-c".into(), "echo hi".into()])
        );
    }

    #[test]
    fn env_label_expose_volume_workdir_user() {
        // Within one ENV, `$A` is the value from before the instruction, as in Docker.
        let c = changed(&[
            "ENV A=1 B=$A",
            "ENV C=$A",
            "LABEL x=y",
            "EXPOSE 80 53/udp",
            "VOLUME /data",
            "WORKDIR /app",
            "WORKDIR sub",
            "USER nobody",
        ])
        .unwrap();
        assert_eq!(c.env, vec!["A=1", "B=", "C=1"]);
        assert_eq!(c.labels.unwrap()["x"], "y");
        let ports: Vec<String> = c.exposed_ports.unwrap().keys().cloned().collect();
        assert_eq!(ports, vec!["53/udp", "80/tcp"]);
        assert!(c.volumes.unwrap().contains_key("/data"));
        assert_eq!(c.working_dir, "/app/sub");
        assert_eq!(c.user, "nobody");
    }

    #[test]
    fn disallowed_and_malformed_changes_are_refused() {
        assert_eq!(
            changed(&["RUN true"]).unwrap_err(),
            ConfigError::Invalid("RUN is not a valid change command".into())
        );
        assert!(changed(&["STOPSIGNAL NOPE"]).is_err());
        assert!(changed(&["EXPOSE notaport"]).is_err());
        assert!(changed(&["FOO bar"]).is_err());
    }

    #[test]
    fn signals() {
        for ok in ["SIGTERM", "TERM", "9", "SIGRTMIN+3", "usr1"] {
            assert!(valid_signal(ok), "{ok}");
        }
        for bad in ["NOPE", "0", "65", "SIGRTMIN+31"] {
            assert!(!valid_signal(bad), "{bad}");
        }
    }
}
