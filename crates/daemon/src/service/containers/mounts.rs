//! Parsing `-v` specs, `--mount` and `--tmpfs` into resolved mounts, with dockerd's rules and
//! messages. Volumes named here are looked up or created by the caller.

use std::collections::BTreeMap;

use wharf_api::hostconfig::Mount;

use super::record::MountSpec;
use crate::error::ApiError;

fn spec_error(spec: &str, why: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("invalid volume specification: '{spec}': {why}"))
}

fn mount_error(kind: &str, why: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("invalid mount config for type \"{kind}\": {why}"))
}

const PROPAGATIONS: &[&str] = &[
    "shared", "rshared", "slave", "rslave", "private", "rprivate",
];

fn clean(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            x => out.push(x),
        }
    }
    format!("/{}", out.join("/"))
}

/// One `-v` / `Binds` entry: `SRC:DST[:MODE]` or `DST` (anonymous volume).
pub fn parse_bind(spec: &str) -> Result<MountSpec, ApiError> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (src, dst, mode) = match parts.as_slice() {
        [d] => ("", *d, ""),
        [s, d] => (*s, *d, ""),
        [s, d, m] => (*s, *d, *m),
        _ => {
            return Err(ApiError::bad_request(format!(
                "invalid volume specification: '{spec}'"
            )));
        }
    };
    if dst.is_empty() {
        return Err(ApiError::bad_request(format!(
            "invalid volume specification: '{spec}'"
        )));
    }
    let is_bind = src.starts_with('/');
    let kind = if is_bind { "bind" } else { "volume" };
    if !dst.starts_with('/') {
        return Err(spec_error(
            spec,
            mount_error(
                kind,
                format!("invalid mount path: '{dst}' mount path must be absolute"),
            )
            .message,
        ));
    }
    if dst == "/" {
        return Err(spec_error(
            spec,
            mount_error(kind, "invalid specification: destination can't be '/'").message,
        ));
    }
    if !src.is_empty() && !is_bind && !crate::service::volumes::valid_name(src) {
        return Err(spec_error(
            spec,
            format!(
                "\"{src}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"
            ),
        ));
    }
    let mut rw = true;
    let mut propagation = String::new();
    let mut seen_rw = false;
    for m in mode.split(',').filter(|m| !m.is_empty()) {
        match m {
            "ro" | "rw" if !seen_rw => {
                seen_rw = true;
                rw = m == "rw";
            }
            "z" | "Z" | "consistent" | "cached" | "delegated" => {}
            "nocopy" if !is_bind => {}
            p if PROPAGATIONS.contains(&p) && is_bind && propagation.is_empty() => {
                propagation = p.to_string();
            }
            _ => return Err(spec_error(spec, format!("invalid mode: {mode}"))),
        }
    }
    Ok(MountSpec {
        kind: kind.into(),
        name: if is_bind { String::new() } else { src.into() },
        source: if is_bind { clean(src) } else { String::new() },
        destination: clean(dst),
        rw,
        mode: mode.into(),
        propagation: if is_bind && propagation.is_empty() {
            "rprivate".into()
        } else {
            propagation
        },
        options: if mode.split(',').any(|m| m == "nocopy") {
            "nocopy".into()
        } else {
            String::new()
        },
        non_recursive: false,
        anonymous: src.is_empty(),
        listed: true,
        subpath: String::new(),
    })
}

/// One `--mount` / `HostConfig.Mounts` entry.
pub fn parse_mount(m: &Mount) -> Result<MountSpec, ApiError> {
    let kind = m.kind.as_str();
    if m.target.is_empty() {
        return Err(mount_error(kind, "field Target must not be empty"));
    }
    if !m.target.starts_with('/') {
        return Err(mount_error(
            kind,
            format!(
                "invalid mount path: '{}' mount path must be absolute",
                m.target
            ),
        ));
    }
    let mut spec = MountSpec {
        kind: kind.into(),
        name: String::new(),
        source: String::new(),
        destination: clean(&m.target),
        rw: !m.read_only,
        mode: String::new(),
        propagation: String::new(),
        options: String::new(),
        non_recursive: false,
        anonymous: false,
        listed: true,
        subpath: String::new(),
    };
    match kind {
        "bind" => {
            if m.volume_options.is_some() {
                return Err(mount_error(
                    kind,
                    "field VolumeOptions must not be specified",
                ));
            }
            if m.source.is_empty() {
                return Err(mount_error(kind, "field Source must not be empty"));
            }
            if !m.source.starts_with('/') {
                return Err(mount_error(
                    kind,
                    format!(
                        "invalid mount path: '{}' mount path must be absolute",
                        m.source
                    ),
                ));
            }
            let create = m.bind_options.as_ref().is_some_and(|b| b.create_mountpoint);
            if !create && !std::path::Path::new(&m.source).exists() {
                return Err(mount_error(
                    kind,
                    format!("bind source path does not exist: {}", m.source),
                ));
            }
            spec.source = clean(&m.source);
            spec.propagation = m
                .bind_options
                .as_ref()
                .map(|b| b.propagation.clone())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "rprivate".into());
            if !PROPAGATIONS.contains(&spec.propagation.as_str()) {
                return Err(mount_error(
                    kind,
                    format!("invalid propagation mode: {}", spec.propagation),
                ));
            }
            spec.non_recursive = m.bind_options.as_ref().is_some_and(|b| b.non_recursive);
        }
        "volume" => {
            if m.bind_options.is_some() {
                return Err(mount_error(kind, "field BindOptions must not be specified"));
            }
            if !m.source.is_empty() && !crate::service::volumes::valid_name(&m.source) {
                return Err(mount_error(
                    kind,
                    format!("invalid volume name: {}", m.source),
                ));
            }
            spec.name = m.source.clone();
            spec.anonymous = m.source.is_empty();
            if m.volume_options.as_ref().is_some_and(|v| v.no_copy) {
                spec.options = "nocopy".into();
            }
            if let Some(sub) = m.volume_options.as_ref().map(|v| v.subpath.as_str())
                && !sub.is_empty()
            {
                if m.source.is_empty() {
                    return Err(mount_error(
                        kind,
                        "must not set Subpath when using anonymous volumes",
                    ));
                }
                let cleaned = clean(&format!("/{sub}"));
                if sub.starts_with('/') || sub.split('/').any(|c| c == "..") {
                    return Err(mount_error(
                        kind,
                        "subpath must be a relative path within the volume",
                    ));
                }
                spec.subpath = cleaned.trim_start_matches('/').to_string();
            }
        }
        "tmpfs" => {
            if !m.source.is_empty() {
                return Err(mount_error(kind, "field Source must not be specified"));
            }
            let mut opts = Vec::new();
            if let Some(t) = &m.tmpfs_options {
                if t.size_bytes > 0 {
                    opts.push(format!("size={}k", (t.size_bytes + 1023) / 1024));
                }
                if t.mode != 0 {
                    opts.push(format!("mode={:o}", t.mode & 0o7777));
                }
            }
            spec.options = opts.join(",");
        }
        "" => {
            return Err(ApiError::bad_request(
                "invalid mount config: mount type unknown",
            ));
        }
        other => {
            return Err(mount_error(
                other,
                format!("mount type \"{other}\" is not supported by wharf"),
            ));
        }
    }
    Ok(spec)
}

/// `--tmpfs /path[:options]` (`HostConfig.Tmpfs`); not listed in `Mounts`, as in dockerd.
pub fn parse_tmpfs(tmpfs: &BTreeMap<String, String>) -> Result<Vec<MountSpec>, ApiError> {
    tmpfs
        .iter()
        .map(|(dst, opts)| {
            if !dst.starts_with('/') {
                return Err(ApiError::bad_request(format!(
                    "invalid tmpfs mount path: '{dst}' mount path must be absolute"
                )));
            }
            Ok(MountSpec {
                kind: "tmpfs".into(),
                name: String::new(),
                source: String::new(),
                destination: clean(dst),
                rw: !opts.split(',').any(|o| o == "ro"),
                mode: String::new(),
                propagation: String::new(),
                options: opts.clone(),
                non_recursive: false,
                anonymous: false,
                listed: false,
                subpath: String::new(),
            })
        })
        .collect()
}

/// Refuses two mounts on the same destination.
pub fn check_duplicates(mounts: &[MountSpec]) -> Result<(), ApiError> {
    let mut seen = std::collections::HashSet::new();
    for m in mounts {
        if !seen.insert(m.destination.as_str()) {
            return Err(ApiError::bad_request(format!(
                "Duplicate mount point: {}",
                m.destination
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_specs_parse_like_dockerd() {
        let b = parse_bind("/host/dir/:/data:ro").unwrap();
        assert_eq!(
            (b.kind.as_str(), b.source.as_str(), b.destination.as_str()),
            ("bind", "/host/dir", "/data")
        );
        assert!(!b.rw);
        assert_eq!(b.propagation, "rprivate");
        let v = parse_bind("cache:/var/cache").unwrap();
        assert_eq!(
            (v.kind.as_str(), v.name.as_str(), v.anonymous),
            ("volume", "cache", false)
        );
        let a = parse_bind("/data").unwrap();
        assert!(a.anonymous && a.kind == "volume");
    }

    #[test]
    fn bad_bind_specs_get_dockerds_messages() {
        assert_eq!(
            parse_bind("foo:bar").unwrap_err().message,
            "invalid volume specification: 'foo:bar': invalid mount config for type \"volume\": invalid mount path: 'bar' mount path must be absolute"
        );
        assert_eq!(
            parse_bind("/a:/b:c:d").unwrap_err().message,
            "invalid volume specification: '/a:/b:c:d'"
        );
        assert!(
            parse_bind("/a:/b:xyz")
                .unwrap_err()
                .message
                .contains("invalid mode: xyz")
        );
        assert!(
            parse_bind("/a:/")
                .unwrap_err()
                .message
                .contains("destination can't be '/'")
        );
    }

    #[test]
    fn mounts_are_validated() {
        let m = Mount {
            kind: "bind".into(),
            source: "/definitely/not/here".into(),
            target: "/x".into(),
            ..Default::default()
        };
        assert_eq!(
            parse_mount(&m).unwrap_err().message,
            "invalid mount config for type \"bind\": bind source path does not exist: /definitely/not/here"
        );
        let t = Mount {
            kind: "tmpfs".into(),
            target: "/t".into(),
            tmpfs_options: Some(wharf_api::hostconfig::TmpfsOptions {
                size_bytes: 1 << 20,
                mode: 0o1777,
                options: None,
            }),
            ..Default::default()
        };
        assert_eq!(parse_mount(&t).unwrap().options, "size=1024k,mode=1777");
    }
}
