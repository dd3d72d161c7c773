//! The text dockerd's legacy builder records in `#(nop)` history entries for config-only
//! instructions, produced with Go's `fmt` verbs (`%q` of a string slice, `%v`, `%+v` of a
//! HealthConfig).

use wharf_api::ContainerConfig;
use wharf_api::config::HealthConfig;
use wharf_dockerfile::Instruction;
use wharf_dockerfile::go_quote_list;
use wharf_units::GoDuration;

fn go_list(v: &[String]) -> String {
    format!("[{}]", v.join(" "))
}

/// Go's `%+v` of a `*container.HealthConfig`.
pub fn healthcheck(h: &HealthConfig) -> String {
    format!(
        "&{{Test:{} Interval:{} Timeout:{} StartPeriod:{} StartInterval:{} Retries:{}}}",
        go_list(h.test.as_deref().unwrap_or(&[])),
        GoDuration(h.interval),
        GoDuration(h.timeout),
        GoDuration(h.start_period),
        GoDuration(h.start_interval),
        h.retries
    )
}

/// The history comment of an expanded config instruction, given the config after it.
pub fn comment(ins: &Instruction, cfg: &ContainerConfig) -> String {
    match ins {
        Instruction::Env(kvs) => {
            let parts: Vec<String> = kvs
                .iter()
                .map(|kv| format!("{}={}", kv.key, kv.value))
                .collect();
            format!("ENV {}", parts.join(" "))
        }
        Instruction::Label(kvs) => {
            let parts: Vec<String> = kvs
                .iter()
                .map(|kv| format!("{}={}", kv.key, kv.value))
                .collect();
            format!("LABEL {}", parts.join(" "))
        }
        Instruction::Cmd(_) => format!("CMD {}", go_quote_list(cfg.cmd.as_deref().unwrap_or(&[]))),
        Instruction::Entrypoint(_) => format!(
            "ENTRYPOINT {}",
            go_quote_list(cfg.entrypoint.as_deref().unwrap_or(&[]))
        ),
        Instruction::Expose(ports) => format!("EXPOSE {}", ports.join(" ")),
        Instruction::User(u) => format!("USER {u}"),
        Instruction::Volume(v) => format!("VOLUME {}", go_list(v)),
        Instruction::StopSignal(s) => format!("STOPSIGNAL {s}"),
        Instruction::Onbuild(e) => format!("ONBUILD {e}"),
        Instruction::Healthcheck(_) => format!(
            "HEALTHCHECK {}",
            cfg.healthcheck
                .as_ref()
                .map(healthcheck)
                .unwrap_or_default()
        ),
        Instruction::Shell(s) => format!("SHELL {}", go_list(s)),
        Instruction::Maintainer(m) => format!("MAINTAINER {m}"),
        Instruction::Workdir(w) => format!("WORKDIR {w}"),
        Instruction::Arg(_) | Instruction::Run(_) | Instruction::Copy(_) | Instruction::Add(_) => {
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthcheck_reads_like_go() {
        let h = HealthConfig {
            test: Some(vec!["CMD-SHELL".into(), "curl -f http://localhost/".into()]),
            interval: 30_000_000_000,
            timeout: 3_000_000_000,
            start_period: 0,
            start_interval: 0,
            retries: 3,
        };
        assert_eq!(
            healthcheck(&h),
            "&{Test:[CMD-SHELL curl -f http://localhost/] Interval:30s Timeout:3s StartPeriod:0s StartInterval:0s Retries:3}"
        );
    }

    #[test]
    fn cmd_is_quoted() {
        let cfg = ContainerConfig {
            cmd: Some(vec!["nginx".into(), "-g".into(), "daemon off;".into()]),
            ..Default::default()
        };
        let ins = Instruction::Cmd(wharf_dockerfile::instructions::CommandLine {
            args: Some(vec![]),
            prepend_shell: false,
            files: vec![],
        });
        assert_eq!(comment(&ins, &cfg), r#"CMD ["nginx" "-g" "daemon off;"]"#);
    }
}
