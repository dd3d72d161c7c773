//! `RUN --mount=…` and `RUN --device=…` values (buildkit
//! `commands_runmount.go`, `commands_rundevice.go`).

use serde::{Deserialize, Serialize};

use crate::gostr;
use crate::shell::ShellError;
use crate::suggest;

/// Mount types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountType {
    /// Read-only (by default) bind of a stage, image or the build context.
    Bind,
    /// Persistent cache directory keyed by `id` (default: target).
    Cache,
    /// Empty tmpfs.
    Tmpfs,
    /// A build secret as a file (or env var with `env=`).
    Secret,
    /// The client's SSH agent socket.
    Ssh,
}

impl MountType {
    /// The Dockerfile spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MountType::Bind => "bind",
            MountType::Cache => "cache",
            MountType::Tmpfs => "tmpfs",
            MountType::Secret => "secret",
            MountType::Ssh => "ssh",
        }
    }
}

/// Cache sharing modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShareMode {
    /// Concurrent writers share the directory (buildkit's default).
    Shared,
    /// Concurrent writers get separate copies.
    Private,
    /// Writers wait for each other.
    Locked,
}

/// One fully parsed `--mount`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// `type=` (default bind).
    pub kind: MountType,
    /// `from=`: stage name or image for bind/cache sources.
    pub from: String,
    /// `source=`/`src=`.
    pub source: String,
    /// `target=`/`dst=`/`destination=`.
    pub target: String,
    /// `ro`/`readonly`/`rw`; when not given, true except for cache and tmpfs.
    pub read_only: bool,
    /// tmpfs `size=` in bytes (0 = unlimited).
    pub size_limit: i64,
    /// `id=` (cache id or secret id).
    pub cache_id: String,
    /// `sharing=` (cache only); `None` means buildkit's default, shared.
    pub sharing: Option<ShareMode>,
    /// `required` (secret and ssh only).
    pub required: bool,
    /// `env=` (secret exposed as an environment variable).
    pub env: Option<String>,
    /// `mode=` (octal; secret, ssh, cache).
    pub mode: Option<u32>,
    /// `uid=` (secret, ssh, cache).
    pub uid: Option<u32>,
    /// `gid=` (secret, ssh, cache).
    pub gid: Option<u32>,
}

/// A `--mount` error, worded as buildkit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MountError {
    /// The value is not one CSV record.
    #[error("failed to parse csv mounts: {0}")]
    Csv(String),
    /// `from=$X` (checked when the instruction is parsed).
    #[error("'{0}' doesn't support variable expansion, define alias stage instead")]
    FromExpansion(String),
    /// Any other invalid field or combination; the text is buildkit's.
    #[error("{0}")]
    Invalid(String),
    /// Expanding a field value failed.
    #[error(transparent)]
    Expand(#[from] ShellError),
}

/// One `--device` (labs feature in Docker: the builder must reject it with
/// `device feature is only supported in Dockerfile frontend 1.14.0-labs or
/// later`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// CDI device name.
    pub name: String,
    /// Fail the build if the device is missing.
    pub required: bool,
}

/// Go's `encoding/csv` error for a single record, as `go-csvvalue` builds it.
fn csv_error(pos: usize, bare: bool) -> String {
    let what = if bare {
        "bare \" in non-quoted-field"
    } else {
        "extraneous or missing \" in quoted-field"
    };
    format!("parse error on line 1, column {}: {what}", pos + 1)
}

/// Split one CSV record (`tonistiigi/go-csvvalue.Fields`, strict quotes).
pub(crate) fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let line = line
        .strip_suffix("\r\n")
        .or_else(|| line.strip_suffix('\n'))
        .unwrap_or(line);
    if line.is_empty() {
        return Err("EOF".into());
    }
    let mut out: Vec<String> = Vec::new();
    let mut rest = line;
    let mut pos = 0;
    'field: loop {
        if !rest.starts_with('"') {
            let (field, next) = match rest.find(',') {
                Some(i) => (&rest[..i], Some(i)),
                None => (rest, None),
            };
            if let Some(j) = field.find('"') {
                return Err(csv_error(pos + j, true));
            }
            out.push(field.to_string());
            match next {
                Some(i) => {
                    rest = &rest[i + 1..];
                    pos += i + 1;
                    continue;
                }
                None => break,
            }
        }
        rest = &rest[1..];
        pos += 1;
        let mut half_open = false;
        loop {
            let Some(i) = rest.find('"') else {
                return Err(csv_error(pos, false));
            };
            if half_open {
                if let Some(last) = out.last_mut() {
                    last.push_str(&rest[..i]);
                }
            } else {
                out.push(rest[..i].to_string());
            }
            rest = &rest[i + 1..];
            pos += i + 1;
            match rest.chars().next() {
                Some('"') => {
                    if let Some(last) = out.last_mut() {
                        last.push('"');
                    }
                    rest = &rest[1..];
                    pos += 1;
                    half_open = true;
                }
                Some(',') => {
                    rest = &rest[1..];
                    pos += 1;
                    continue 'field;
                }
                None => break 'field,
                Some(_) => return Err(csv_error(pos - 1, false)),
            }
        }
    }
    Ok(out)
}

/// docker/go-units `RAMInBytes`.
pub(crate) fn ram_in_bytes(s: &str) -> Option<i64> {
    let sep = s.rfind(|c: char| c.is_ascii_digit() || c == '.' || c == ' ')?;
    let (num, sfx) = if s.as_bytes()[sep] == b' ' {
        (&s[..sep], &s[sep + 1..])
    } else {
        (&s[..=sep], &s[sep + 1..])
    };
    let size: f64 = num.parse().ok()?;
    if size < 0.0 || num.contains(['i', 'I', 'n', 'N']) {
        return None;
    }
    if sfx.is_empty() {
        return Some(size as i64);
    }
    if sfx.len() > 3 {
        return None;
    }
    let sfx = sfx.to_lowercase();
    let mut chars = sfx.chars();
    let mul: f64 = match chars.next()? {
        'b' => {
            return if sfx.len() == 1 {
                Some(size as i64)
            } else {
                None
            };
        }
        'k' => 1024.0,
        'm' => 1024f64.powi(2),
        'g' => 1024f64.powi(3),
        't' => 1024f64.powi(4),
        'p' => 1024f64.powi(5),
        _ => return None,
    };
    let tail: String = chars.collect();
    if !(tail.is_empty() || tail == "b" || tail == "ib") {
        return None;
    }
    Some((size * mul) as i64)
}

const MOUNT_TYPES: &[&str] = &["bind", "cache", "tmpfs", "secret", "ssh"];
const SHARE_MODES: &[&str] = &["shared", "private", "locked"];
const MOUNT_KEYS: &[&str] = &[
    "type",
    "from",
    "source",
    "target",
    "readonly",
    "id",
    "sharing",
    "required",
    "size",
    "mode",
    "uid",
    "gid",
    "src",
    "dst",
    "destination",
    "ro",
    "rw",
    "readwrite",
    "env",
];

/// Parse-time check of a raw `--mount` value (buildkit runs the parser
/// without an expander): CSV syntax and `from=` without variables.
pub(crate) fn check_mount(raw: &str) -> Result<(), MountError> {
    let fields = csv_fields(raw).map_err(MountError::Csv)?;
    for field in fields {
        if let Some((key, value)) = field.split_once('=')
            && key.to_lowercase() == "from"
            && let Some(i) = value.find('$')
            && i != value.len() - 1
        {
            return Err(MountError::FromExpansion(key.to_lowercase()));
        }
    }
    Ok(())
}

fn invalid(msg: String) -> MountError {
    MountError::Invalid(msg)
}

/// Parse a `--mount` value, expanding every `key=value` value with
/// `expand` first (buildkit's dispatch-time `setMountState`).
pub fn parse_mount(
    raw: &str,
    expand: &mut dyn FnMut(&str) -> Result<String, ShellError>,
) -> Result<Mount, MountError> {
    let fields = csv_fields(raw).map_err(MountError::Csv)?;
    let mut m = Mount {
        kind: MountType::Bind,
        from: String::new(),
        source: String::new(),
        target: String::new(),
        read_only: false,
        size_limit: 0,
        cache_id: String::new(),
        sharing: None,
        required: false,
        env: None,
        mode: None,
        uid: None,
        gid: None,
    };
    let mut ro_auto = true;
    let secret_or_ssh = |m: &Mount| matches!(m.kind, MountType::Secret | MountType::Ssh);
    for field in &fields {
        let (key, value) = match field.split_once('=') {
            Some((k, v)) => (k.to_lowercase(), v),
            None => {
                let key = field.to_lowercase();
                match key.as_str() {
                    "readonly" | "ro" => {
                        m.read_only = true;
                        ro_auto = false;
                    }
                    "readwrite" | "rw" => {
                        m.read_only = false;
                        ro_auto = false;
                    }
                    "required" if secret_or_ssh(&m) => m.required = true,
                    "required" => {
                        return Err(invalid(format!(
                            "unexpected key '{key}' for mount type '{}'",
                            m.kind.as_str()
                        )));
                    }
                    _ => {
                        return Err(invalid(format!(
                            "invalid field '{field}' must be a key=value pair"
                        )));
                    }
                }
                continue;
            }
        };
        let value = expand(value)?;
        let bad_value = || invalid(format!("invalid value for {key}: {value}"));
        let wrong_type = || {
            invalid(format!(
                "unexpected key '{key}' for mount type '{}'",
                m.kind.as_str()
            ))
        };
        match key.as_str() {
            "type" => {
                m.kind = match value.to_lowercase().as_str() {
                    "bind" => MountType::Bind,
                    "cache" => MountType::Cache,
                    "tmpfs" => MountType::Tmpfs,
                    "secret" => MountType::Secret,
                    "ssh" => MountType::Ssh,
                    _ => {
                        return Err(invalid(suggest::wrap(
                            format!("unsupported mount type {}", gostr::quote(&value)),
                            &value,
                            MOUNT_TYPES,
                            true,
                        )));
                    }
                };
            }
            "from" => m.from = value,
            "source" | "src" => m.source = value,
            "target" | "dst" | "destination" => m.target = value,
            "readonly" | "ro" => {
                m.read_only = gostr::parse_bool(&value).ok_or_else(bad_value)?;
                ro_auto = false;
            }
            "readwrite" | "rw" => {
                m.read_only = !gostr::parse_bool(&value).ok_or_else(bad_value)?;
                ro_auto = false;
            }
            "required" => {
                if !secret_or_ssh(&m) {
                    return Err(wrong_type());
                }
                m.required = gostr::parse_bool(&value).ok_or_else(bad_value)?;
            }
            "size" => {
                if m.kind != MountType::Tmpfs {
                    return Err(wrong_type());
                }
                m.size_limit = ram_in_bytes(&value).ok_or_else(bad_value)?;
            }
            "id" => m.cache_id = value,
            "sharing" => {
                m.sharing = Some(match value.to_lowercase().as_str() {
                    "shared" => ShareMode::Shared,
                    "private" => ShareMode::Private,
                    "locked" => ShareMode::Locked,
                    _ => {
                        return Err(invalid(suggest::wrap(
                            format!("unsupported sharing value {}", gostr::quote(&value)),
                            &value,
                            SHARE_MODES,
                            true,
                        )));
                    }
                });
            }
            "mode" => {
                let v = gostr::parse_u32(&value, 8)
                    .ok_or_else(|| invalid(format!("invalid value {value} for mode")))?;
                m.mode = Some(v as u32);
            }
            "uid" => {
                let v = gostr::parse_u32(&value, 10)
                    .ok_or_else(|| invalid(format!("invalid value {value} for uid")))?;
                m.uid = Some(v as u32);
            }
            "gid" => {
                let v = gostr::parse_u32(&value, 10)
                    .ok_or_else(|| invalid(format!("invalid value {value} for gid")))?;
                m.gid = Some(v as u32);
            }
            "env" => m.env = Some(value),
            _ => {
                return Err(invalid(suggest::wrap(
                    format!("unexpected key '{key}' in '{field}'"),
                    &key,
                    MOUNT_KEYS,
                    true,
                )));
            }
        }
    }
    if !matches!(
        m.kind,
        MountType::Secret | MountType::Ssh | MountType::Cache
    ) {
        let t = gostr::quote(m.kind.as_str());
        if m.mode.is_some() {
            return Err(invalid(format!("mode not allowed for {t} type mounts")));
        }
        if m.uid.is_some() {
            return Err(invalid(format!("uid not allowed for {t} type mounts")));
        }
        if m.gid.is_some() {
            return Err(invalid(format!("gid not allowed for {t} type mounts")));
        }
    }
    if ro_auto {
        m.read_only = !matches!(m.kind, MountType::Cache | MountType::Tmpfs);
    }
    if m.kind == MountType::Secret {
        if !m.from.is_empty() {
            return Err(invalid("secret mount should not have a from".into()));
        }
        if m.sharing.is_some() {
            return Err(invalid("secret mount should not define sharing".into()));
        }
        if m.source.is_empty() && m.target.is_empty() && m.cache_id.is_empty() {
            return Err(invalid(
                "invalid secret mount. one of source, target required".into(),
            ));
        }
        if !m.source.is_empty() && !m.cache_id.is_empty() {
            return Err(invalid("both source and id can't be set".into()));
        }
    }
    if m.sharing.is_some() && m.kind != MountType::Cache {
        return Err(invalid(format!(
            "invalid cache sharing set for {} mount",
            m.kind.as_str()
        )));
    }
    Ok(m)
}

/// Parse a `--device` value (buildkit `ParseDevice`).
pub(crate) fn parse_device(raw: &str) -> Result<Device, String> {
    let fields = csv_fields(raw).map_err(|e| format!("failed to parse csv devices: {e}"))?;
    let mut d = Device {
        name: String::new(),
        required: false,
    };
    for field in fields {
        let Some((key, value)) = field.split_once('=') else {
            match field.to_lowercase().as_str() {
                "required" => d.required = true,
                _ if d.name.is_empty() => d.name = field,
                _ => return Err(format!("invalid field '{field}' must be a key=value pair")),
            }
            continue;
        };
        let key = key.to_lowercase();
        match key.as_str() {
            "name" => {
                if !d.name.is_empty() {
                    return Err(format!("device name already set to {}", d.name));
                }
                d.name = value.to_string();
            }
            "required" => {
                d.required = gostr::parse_bool(value)
                    .ok_or_else(|| format!("invalid value for {key}: {value}"))?;
            }
            _ if d.name.is_empty() => d.name = field,
            _ => {
                return Err(suggest::wrap(
                    format!("unexpected key '{key}' in '{field}'"),
                    &key,
                    &["name", "required"],
                    true,
                ));
            }
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<Mount, MountError> {
        parse_mount(raw, &mut |v| Ok(v.to_string()))
    }

    #[test]
    fn csv_like_go() {
        assert_eq!(csv_fields("a,b").unwrap(), ["a", "b"]);
        assert_eq!(csv_fields("\"a,b\",c").unwrap(), ["a,b", "c"]);
        assert_eq!(csv_fields("\"a\"\"b\"").unwrap(), ["a\"b"]);
        assert_eq!(csv_fields("a,").unwrap(), ["a", ""]);
        assert_eq!(csv_fields("").unwrap_err(), "EOF");
        assert_eq!(
            csv_fields("a\"b").unwrap_err(),
            "parse error on line 1, column 2: bare \" in non-quoted-field"
        );
        assert_eq!(
            csv_fields("\"ab").unwrap_err(),
            "parse error on line 1, column 2: extraneous or missing \" in quoted-field"
        );
    }

    #[test]
    fn mounts_parse_and_validate() {
        let m = parse("type=cache,target=/root/.cache,sharing=locked,id=go").unwrap();
        assert_eq!(
            (m.kind, m.read_only, m.sharing),
            (MountType::Cache, false, Some(ShareMode::Locked))
        );
        let m = parse("target=/src").unwrap();
        assert_eq!((m.kind, m.read_only), (MountType::Bind, true));
        let m = parse("type=bind,from=build,source=/out,target=/in,rw").unwrap();
        assert!(!m.read_only);
        let m = parse("type=tmpfs,target=/t,size=64m").unwrap();
        assert_eq!(m.size_limit, 64 << 20);
        let m = parse("type=secret,id=tok,env=TOKEN,required").unwrap();
        assert!(m.required && m.env.as_deref() == Some("TOKEN"));
        let m = parse("type=ssh,mode=0600,uid=1000").unwrap();
        assert_eq!((m.mode, m.uid), (Some(0o600), Some(1000)));

        let err = |raw: &str| parse(raw).unwrap_err().to_string();
        assert_eq!(
            err("type=bnd"),
            "unsupported mount type \"bnd\" (did you mean bind?)"
        );
        assert_eq!(
            err("type=cache,sharing=lock"),
            "unsupported sharing value \"lock\" (did you mean locked?)"
        );
        assert_eq!(
            err("type=bind,mode=0600"),
            "mode not allowed for \"bind\" type mounts"
        );
        assert_eq!(
            err("type=bind,required"),
            "unexpected key 'required' for mount type 'bind'"
        );
        assert_eq!(
            err("type=cache,size=1g"),
            "unexpected key 'size' for mount type 'cache'"
        );
        assert_eq!(
            err("type=secret"),
            "invalid secret mount. one of source, target required"
        );
        assert_eq!(
            err("type=secret,src=a,id=b"),
            "both source and id can't be set"
        );
        assert_eq!(
            err("type=bind,sharing=shared"),
            "invalid cache sharing set for bind mount"
        );
        assert_eq!(
            err("targt=/x"),
            "unexpected key 'targt' in 'targt=/x' (did you mean target?)"
        );
        assert_eq!(err("ro=maybe"), "invalid value for ro: maybe");
        assert_eq!(
            err("bogus"),
            "invalid field 'bogus' must be a key=value pair"
        );
        assert_eq!(err("type=cache,mode=9"), "invalid value 9 for mode");
        assert_eq!(err("type=tmpfs,size=lots"), "invalid value for size: lots");
    }

    #[test]
    fn parse_time_checks() {
        assert!(check_mount("type=cache,from=$X").is_err());
        assert!(check_mount("type=cache,from=x$").is_ok());
        assert!(check_mount("type=${T},target=/x").is_ok());
        assert_eq!(
            check_mount("").unwrap_err().to_string(),
            "failed to parse csv mounts: EOF"
        );
    }

    #[test]
    fn devices_like_buildkit() {
        let d = |s: &str| parse_device(s);
        assert_eq!(
            d("vendor1.com/device=foo").unwrap().name,
            "vendor1.com/device=foo"
        );
        assert!(d("vendor1.com/device=foo,required").unwrap().required);
        assert!(!d("vendor1.com/device=foo,required=false").unwrap().required);
        assert_eq!(
            d("name=vendor1.com/device=foo").unwrap().name,
            "vendor1.com/device=foo"
        );
        assert_eq!(
            d("vendor1.com/device=foo,name=vendor2.com/device=bar").unwrap_err(),
            "device name already set to vendor1.com/device=foo"
        );
    }

    #[test]
    fn ram_sizes() {
        assert_eq!(ram_in_bytes("32"), Some(32));
        assert_eq!(ram_in_bytes("32b"), Some(32));
        assert_eq!(ram_in_bytes("32k"), Some(32 * 1024));
        assert_eq!(ram_in_bytes("32KiB"), Some(32 * 1024));
        assert_eq!(ram_in_bytes("1.5 MB"), Some(1_572_864));
        assert_eq!(ram_in_bytes("32kbb"), None);
        assert_eq!(ram_in_bytes("-1"), None);
        assert_eq!(ram_in_bytes("abc"), None);
    }
}
