//! Build arguments and their scoping: `--build-arg` values, global ARGs (visible to FROM
//! lines only), per-stage ARG declarations, the predefined proxy and platform arguments, and
//! the "not consumed" warning.

use std::collections::{BTreeMap, BTreeSet};

/// Proxy arguments usable in RUN without an ARG declaration, and kept out of history unless
/// declared.
pub const PROXY_ARGS: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// A platform as `os/arch[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: String,
}

impl Platform {
    /// The machine the engine runs on.
    pub fn host() -> Platform {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "arm" => "arm",
            "powerpc64" => "ppc64le",
            "s390x" => "s390x",
            "riscv64" => "riscv64",
            other => other,
        };
        Platform {
            os: "linux".into(),
            arch: arch.into(),
            variant: if arch == "arm64" {
                "v8".into()
            } else {
                String::new()
            },
        }
    }

    /// Parses `linux/amd64`, `linux/arm/v7`, `amd64` (os defaults to linux).
    pub fn parse(s: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = s.trim().split('/').collect();
        let norm_arch = |a: &str| match a {
            "x86_64" | "x86-64" => "amd64".to_string(),
            "aarch64" => "arm64".to_string(),
            other => other.to_ascii_lowercase(),
        };
        let p = match parts.as_slice() {
            [arch] if !arch.is_empty() && *arch != "linux" => Platform {
                os: "linux".into(),
                arch: norm_arch(arch),
                variant: String::new(),
            },
            [os, arch] if !os.is_empty() && !arch.is_empty() => Platform {
                os: os.to_ascii_lowercase(),
                arch: norm_arch(arch),
                variant: String::new(),
            },
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() => Platform {
                os: os.to_ascii_lowercase(),
                arch: norm_arch(arch),
                variant: variant.to_string(),
            },
            _ => {
                return Err(format!(
                    "\"{s}\": unknown operating system or architecture: invalid argument"
                ));
            }
        };
        Ok(p)
    }

    pub fn to_string_full(&self) -> String {
        if self.variant.is_empty() {
            format!("{}/{}", self.os, self.arch)
        } else {
            format!("{}/{}/{}", self.os, self.arch, self.variant)
        }
    }
}

/// Arguments of the whole build: `--build-arg` values and the global (meta) ARGs.
#[derive(Debug, Clone, Default)]
pub struct GlobalArgs {
    /// `--build-arg`: `None` when given without a value and not set in the client's env.
    cli: BTreeMap<String, Option<String>>,
    /// Global ARGs in declaration order, with their values.
    meta: Vec<(String, Option<String>)>,
    /// Predefined platform arguments.
    platform: BTreeMap<String, String>,
    /// Every name declared by an ARG anywhere in the build.
    consumed: BTreeSet<String>,
}

impl GlobalArgs {
    pub fn new(
        cli: BTreeMap<String, Option<String>>,
        build: &Platform,
        target: &Platform,
    ) -> GlobalArgs {
        let mut platform = BTreeMap::new();
        for (prefix, p) in [("BUILD", build), ("TARGET", target)] {
            platform.insert(format!("{prefix}PLATFORM"), p.to_string_full());
            platform.insert(format!("{prefix}OS"), p.os.clone());
            platform.insert(format!("{prefix}ARCH"), p.arch.clone());
            platform.insert(format!("{prefix}VARIANT"), p.variant.clone());
        }
        GlobalArgs {
            cli,
            meta: Vec::new(),
            platform,
            consumed: BTreeSet::new(),
        }
    }

    /// The `--build-arg` value for `key`, if one was given with a value.
    pub fn cli_value(&self, key: &str) -> Option<&str> {
        self.cli.get(key).and_then(|v| v.as_deref())
    }

    /// Declares a global ARG; `default` is already expanded with the earlier globals.
    pub fn declare_meta(&mut self, key: &str, default: Option<String>) {
        self.consumed.insert(key.to_string());
        let value = match self.cli.get(key) {
            Some(Some(v)) => Some(v.clone()),
            _ => default,
        };
        self.meta.retain(|(k, _)| k != key);
        self.meta.push((key.to_string(), value));
    }

    /// The scope FROM lines (and global ARG defaults) expand in.
    pub fn meta_scope(&self) -> BTreeMap<String, String> {
        let mut m: BTreeMap<String, String> = self.platform.clone();
        for (k, v) in &self.meta {
            if let Some(v) = v {
                m.insert(k.clone(), v.clone());
            }
        }
        m
    }

    fn meta_value(&self, key: &str) -> Option<Option<String>> {
        if let Some((_, v)) = self.meta.iter().find(|(k, _)| k == key) {
            return Some(v.clone());
        }
        self.platform.get(key).map(|v| Some(v.clone()))
    }

    /// Records names a stage declared, for the unused-argument warning.
    pub fn mark_consumed(&mut self, names: impl IntoIterator<Item = String>) {
        self.consumed.extend(names);
    }

    /// `--build-arg` names nothing declared (proxy arguments excepted), sorted.
    pub fn unconsumed(&self) -> Vec<String> {
        self.cli
            .keys()
            .filter(|k| !self.consumed.contains(*k) && !PROXY_ARGS.contains(&k.as_str()))
            .cloned()
            .collect()
    }

    /// Proxy arguments given with a value (they reach RUN without a declaration).
    fn proxies(&self) -> impl Iterator<Item = (&str, &str)> {
        self.cli.iter().filter_map(|(k, v)| {
            (PROXY_ARGS.contains(&k.as_str()))
                .then_some(())
                .and(v.as_deref().map(|v| (k.as_str(), v)))
        })
    }
}

/// ARGs declared in one stage, in declaration order.
#[derive(Debug, Clone, Default)]
pub struct StageArgs {
    declared: Vec<(String, Option<String>)>,
}

impl StageArgs {
    /// Declares `ARG key[=default]`; `default` is already expanded with the stage scope. A
    /// `--build-arg` wins over the default; without a default the global value is imported.
    pub fn declare(&mut self, globals: &GlobalArgs, key: &str, default: Option<String>) {
        let value = match globals.cli.get(key) {
            Some(Some(v)) => Some(v.clone()),
            _ => match default {
                Some(d) => Some(d),
                None => globals.meta_value(key).flatten(),
            },
        };
        self.declared.retain(|(k, _)| k != key);
        self.declared.push((key.to_string(), value));
    }

    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        self.declared.iter().map(|(k, _)| k.clone())
    }

    /// Arguments visible as environment to expansion and RUN: declared ones with a value and
    /// proxy arguments, minus those the config's `Env` defines (ENV wins), sorted by name.
    pub fn visible(&self, globals: &GlobalArgs, env: &[String]) -> Vec<(String, String)> {
        let in_env = |k: &str| env.iter().any(|e| e.split('=').next() == Some(k));
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in globals.proxies() {
            if !in_env(k) {
                out.insert(k.to_string(), v.to_string());
            }
        }
        for (k, v) in &self.declared {
            if let Some(v) = v
                && !in_env(k)
            {
                out.insert(k.clone(), v.clone());
            }
        }
        out.into_iter().collect()
    }

    /// The arguments recorded in RUN's history and cache key (`|N k=v …`): visible ones, except
    /// proxy arguments that were not declared.
    pub fn recorded(&self, globals: &GlobalArgs, env: &[String]) -> Vec<String> {
        self.visible(globals, env)
            .into_iter()
            .filter(|(k, _)| {
                !PROXY_ARGS.contains(&k.as_str()) || self.declared.iter().any(|(d, _)| d == k)
            })
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globals(cli: &[(&str, Option<&str>)]) -> GlobalArgs {
        let cli = cli
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect();
        let p = Platform::host();
        GlobalArgs::new(cli, &p, &p)
    }

    #[test]
    fn stage_args_import_globals_and_cli_wins() {
        let mut g = globals(&[
            ("A", Some("cli")),
            ("UNUSED", Some("x")),
            ("HTTP_PROXY", Some("p")),
        ]);
        g.declare_meta("A", Some("meta".into()));
        g.declare_meta("B", Some("metab".into()));
        assert_eq!(g.meta_scope()["A"], "cli");
        let mut s = StageArgs::default();
        s.declare(&g, "B", None);
        s.declare(&g, "C", Some("def".into()));
        s.declare(&g, "D", None);
        g.mark_consumed(s.names());
        let vis = s.visible(&g, &["C=env".to_string()]);
        assert_eq!(
            vis,
            vec![
                ("B".into(), "metab".into()),
                ("HTTP_PROXY".into(), "p".into())
            ]
        );
        assert_eq!(s.recorded(&g, &[]), vec!["B=metab", "C=def"]);
        assert_eq!(g.unconsumed(), vec!["UNUSED"]);
    }

    #[test]
    fn platforms_parse() {
        assert_eq!(
            Platform::parse("linux/arm64/v8").unwrap().to_string_full(),
            "linux/arm64/v8"
        );
        assert_eq!(
            Platform::parse("amd64").unwrap().to_string_full(),
            "linux/amd64"
        );
        assert!(Platform::parse("").is_err());
        let g = globals(&[]);
        assert!(g.meta_scope().contains_key("TARGETARCH"));
    }
}
