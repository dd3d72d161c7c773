//! Instruction flags (`--name[=value]`), buildkit's `BFlags`.

use std::collections::BTreeMap;

use crate::suggest;

/// A flag error, worded as buildkit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagError {
    /// A flag word without the leading `--`.
    #[error("arg should start with -- : {0}")]
    NoDashes(String),
    /// A flag the instruction does not define.
    #[error("unknown flag: {flag}{}", .suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    Unknown {
        /// The flag as written, without value (`--chwon`).
        flag: String,
        /// The closest defined flag name.
        suggestion: Option<String>,
    },
    /// A single-valued flag given twice.
    #[error("duplicate flag specified: {0}")]
    Duplicate(String),
    /// `--flag` without `=value` for a string flag, or `--bool=`.
    #[error("missing a value on flag: {0}")]
    MissingValue(String),
    /// A boolean flag with a value other than true/false.
    #[error("expecting boolean value for flag {flag}, not: {value}")]
    NotBool {
        /// The flag as written.
        flag: String,
        /// The value given.
        value: String,
    },
}

/// The kind of value a flag takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    String,
    Strings,
}

/// Parsed flag values.
#[derive(Debug, Default)]
pub(crate) struct Flags {
    bools: BTreeMap<&'static str, bool>,
    strings: BTreeMap<&'static str, String>,
    lists: BTreeMap<&'static str, Vec<String>>,
    used: Vec<&'static str>,
}

impl Flags {
    /// Parse `args` against the flags `spec` defines.
    pub(crate) fn parse(
        args: &[String],
        spec: &[(&'static str, Kind)],
    ) -> Result<Flags, FlagError> {
        let mut out = Flags::default();
        for a in args {
            if a == "--" {
                break;
            }
            let Some(body) = a.strip_prefix("--") else {
                return Err(FlagError::NoDashes(a.clone()));
            };
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            let flag = format!("--{name}");
            let Some(&(key, kind)) = spec.iter().find(|(n, _)| *n == name) else {
                let names: Vec<&str> = spec.iter().map(|(n, _)| *n).collect();
                return Err(FlagError::Unknown {
                    suggestion: suggest::search(name, &names, true),
                    flag,
                });
            };
            if out.used.contains(&key) && kind != Kind::Strings {
                return Err(FlagError::Duplicate(flag));
            }
            if !out.used.contains(&key) {
                out.used.push(key);
            }
            match kind {
                Kind::Bool => {
                    if value == Some("") {
                        return Err(FlagError::MissingValue(flag));
                    }
                    let v = match value.map(str::to_lowercase).as_deref() {
                        None | Some("true") => true,
                        Some("false") => false,
                        _ => {
                            return Err(FlagError::NotBool {
                                flag,
                                value: value.unwrap_or_default().to_string(),
                            });
                        }
                    };
                    out.bools.insert(key, v);
                }
                Kind::String => {
                    let Some(v) = value else {
                        return Err(FlagError::MissingValue(flag));
                    };
                    out.strings.insert(key, v.to_string());
                }
                Kind::Strings => {
                    let Some(v) = value else {
                        return Err(FlagError::MissingValue(flag));
                    };
                    out.lists.entry(key).or_default().push(v.to_string());
                }
            }
        }
        Ok(out)
    }

    pub(crate) fn bool(&self, name: &str) -> bool {
        self.bools.get(name).copied().unwrap_or(false)
    }

    /// `Some` only when the flag was given.
    pub(crate) fn opt_bool(&self, name: &str) -> Option<bool> {
        self.bools.get(name).copied()
    }

    pub(crate) fn string(&self, name: &str) -> String {
        self.strings.get(name).cloned().unwrap_or_default()
    }

    pub(crate) fn opt_string(&self, name: &str) -> Option<String> {
        self.strings.get(name).cloned()
    }

    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        self.lists.get(name).cloned().unwrap_or_default()
    }

    /// Names of the flags given, in first-use order.
    pub(crate) fn used(&self) -> Vec<String> {
        self.used.iter().map(|s| s.to_string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    const SPEC: &[(&str, Kind)] = &[
        ("str1", Kind::String),
        ("bool1", Kind::Bool),
        ("many", Kind::Strings),
    ];

    #[test]
    fn parses_like_bflags() {
        let f = Flags::parse(
            &args(&["--str1=HI", "--bool1", "--many=a", "--many=b"]),
            SPEC,
        )
        .unwrap();
        assert_eq!(f.string("str1"), "HI");
        assert!(f.bool("bool1"));
        assert_eq!(f.list("many"), ["a", "b"]);
        assert!(Flags::parse(&args(&["--"]), SPEC).is_ok());
        let f = Flags::parse(&args(&["--bool1=FALSE"]), SPEC).unwrap();
        assert_eq!(f.opt_bool("bool1"), Some(false));
        assert!(Flags::parse(&args(&["--str1=", "--bool1=true"]), SPEC).is_ok());
    }

    #[test]
    fn errors_like_bflags() {
        let err = |v: &[&str]| Flags::parse(&args(v), SPEC).unwrap_err().to_string();
        assert_eq!(err(&["--str1"]), "missing a value on flag: --str1");
        assert_eq!(err(&["--bool1="]), "missing a value on flag: --bool1");
        assert_eq!(
            err(&["--bool1=yes"]),
            "expecting boolean value for flag --bool1, not: yes"
        );
        assert_eq!(
            err(&["--str1=a", "--str1=b"]),
            "duplicate flag specified: --str1"
        );
        assert_eq!(err(&["-str1=a"]), "arg should start with -- : -str1=a");
        assert_eq!(
            err(&["--str2=a"]),
            "unknown flag: --str2 (did you mean str1?)"
        );
        assert_eq!(err(&["--boo"]), "unknown flag: --boo (did you mean bool1?)");
        assert_eq!(err(&["--xyzzy"]), "unknown flag: --xyzzy");
    }
}
