//! `-v`, `--mount` and `--tmpfs` as docker's CLI reads them: `-v` specs are split into binds
//! and anonymous volumes with compose's `ParseVolume` (Windows-drive quirk included), `--mount`
//! CSV fields become the API's `Mount` objects, `--tmpfs` becomes `path → options`.

use serde_json::{Map, Value, json};

/// What a `-v` spec is, as compose's loader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSpec {
    pub source: String,
    pub target: String,
    pub bind: bool,
}

/// compose's `loader.ParseVolume`, enough to tell binds and named volumes (with a source) from
/// anonymous volumes (without).
pub fn parse_volume(spec: &str) -> Result<VolumeSpec, String> {
    let chars: Vec<char> = spec.chars().collect();
    match chars.len() {
        0 => return Err("invalid empty volume spec".into()),
        1 | 2 => {
            return Ok(VolumeSpec {
                source: String::new(),
                target: spec.to_string(),
                bind: false,
            });
        }
        _ => {}
    }
    let (mut source, mut target) = (String::new(), String::new());
    let mut buf: Vec<char> = Vec::new();
    let is_drive = |buf: &[char], c: char| c == ':' && buf.len() == 1 && buf[0].is_alphabetic();
    let total = chars.len();
    for (i, &c) in chars.iter().chain(std::iter::once(&'\0')).enumerate() {
        let end = i == total;
        if !end && is_drive(&buf, c) {
            buf.push(c);
            continue;
        }
        if c == ':' || end {
            let s: String = buf.iter().collect();
            if buf.is_empty() {
                return Err(format!(
                    "invalid spec: {spec}: empty section between colons"
                ));
            } else if source.is_empty() && end {
                target = s;
            } else if source.is_empty() {
                source = s;
            } else if target.is_empty() {
                target = s;
            } else if c == ':' {
                return Err(format!("invalid spec: {spec}: too many colons"));
            }
            buf.clear();
            continue;
        }
        buf.push(c);
    }
    let bind = !source.is_empty() && is_file_path(&source);
    Ok(VolumeSpec {
        source,
        target,
        bind,
    })
}

fn is_file_path(source: &str) -> bool {
    let mut cs = source.chars();
    let first = cs.next().unwrap_or(' ');
    if matches!(first, '.' | '/' | '~') {
        return true;
    }
    if source.chars().count() == 1 {
        return false;
    }
    if source.starts_with("\\\\") {
        return true;
    }
    first.is_alphabetic() && cs.next() == Some(':')
}

/// Splits `-v` values into `HostConfig.Binds` (relative `./x` sources made absolute) and
/// `Config.Volumes` (anonymous volumes).
pub fn split_volumes(specs: &[String]) -> Result<(Vec<String>, Vec<String>), String> {
    let (mut binds, mut anon) = (Vec::new(), Vec::new());
    for spec in specs {
        let parsed = parse_volume(spec)?;
        if parsed.source.is_empty() {
            if !anon.contains(spec) {
                anon.push(spec.clone());
            }
            continue;
        }
        let mut bind = spec.clone();
        if parsed.bind
            && let Some((host, rest)) = spec.split_once(':')
            && host.starts_with('.')
            && let Ok(cwd) = std::env::current_dir()
        {
            bind = format!("{}:{rest}", clean_join(&cwd.to_string_lossy(), host));
        }
        if !binds.contains(&bind) {
            binds.push(bind);
        }
    }
    Ok((binds, anon))
}

/// Go's `filepath.Abs` for a relative path: join and clean.
pub fn clean_join(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in base.split('/').chain(rel.split('/')) {
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

/// Splits a CSV record as Go's `encoding/csv` reads one line: fields separated by commas,
/// a field may be quoted with `"` (and `""` inside is a quote).
fn csv_fields(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if at_start && c == '"' {
            at_start = false;
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        cur.push('"');
                    }
                    Some('"') => break,
                    Some(c) => cur.push(c),
                    None => return Err(
                        "parse error on line 1, column 0: extraneous or missing \" in quoted-field"
                            .into(),
                    ),
                }
            }
            continue;
        }
        at_start = false;
        if c == ',' {
            out.push(std::mem::take(&mut cur));
            at_start = true;
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    Ok(out)
}

fn parse_go_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// `opts.MountOpt.Set`: one `--mount` value as the API's `Mount` object.
pub fn parse_mount(value: &str) -> Result<Value, String> {
    let fields = csv_fields(value)?;
    let mut m = Map::new();
    let mut kind = "volume".to_string();
    let (mut source, mut target) = (String::new(), String::new());
    let mut read_only = false;
    let mut consistency = String::new();
    let mut bind: Option<Map<String, Value>> = None;
    let mut volume: Option<(Map<String, Value>, Map<String, Value>)> = None;
    let mut tmpfs: Option<Map<String, Value>> = None;
    let mut image: Option<Map<String, Value>> = None;
    let invalid = |k: &str, v: &str| format!("invalid value for {k}: {v}");
    for field in fields {
        let (key, val) = match field.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), Some(v.to_string())),
            None => (field.to_ascii_lowercase(), None),
        };
        let Some(val) = val else {
            match key.as_str() {
                "readonly" | "ro" => read_only = true,
                "volume-nocopy" => {
                    volume
                        .get_or_insert_with(Default::default)
                        .0
                        .insert("NoCopy".into(), json!(true));
                }
                "bind-nonrecursive" => {
                    bind.get_or_insert_with(Map::new)
                        .insert("NonRecursive".into(), json!(true));
                }
                _ => return Err(format!("invalid field '{field}' must be a key=value pair")),
            }
            continue;
        };
        match key.as_str() {
            "type" => kind = val.to_ascii_lowercase(),
            "source" | "src" => {
                source = val.clone();
                if val.starts_with('.')
                    && let Ok(cwd) = std::env::current_dir()
                {
                    source = clean_join(&cwd.to_string_lossy(), &val);
                }
            }
            "target" | "dst" | "destination" => target = val,
            "readonly" | "ro" => {
                read_only = parse_go_bool(&val).ok_or_else(|| invalid(&key, &val))?;
            }
            "consistency" => consistency = val.to_ascii_lowercase(),
            "bind-propagation" => {
                bind.get_or_insert_with(Map::new)
                    .insert("Propagation".into(), json!(val.to_ascii_lowercase()));
            }
            "bind-nonrecursive" => {
                let b = parse_go_bool(&val).ok_or_else(|| invalid(&key, &val))?;
                let o = bind.get_or_insert_with(Map::new);
                if b {
                    o.insert("NonRecursive".into(), json!(true));
                }
            }
            "bind-recursive" => {
                let o = bind.get_or_insert_with(Map::new);
                match val.as_str() {
                    "enabled" => {}
                    "disabled" => {
                        o.insert("NonRecursive".into(), json!(true));
                    }
                    "writable" => {
                        o.insert("ReadOnlyNonRecursive".into(), json!(true));
                    }
                    "readonly" => {
                        o.insert("ReadOnlyForceRecursive".into(), json!(true));
                    }
                    _ => {
                        return Err(format!(
                            "invalid value for {key}: {val} (must be \"enabled\", \"disabled\", \"writable\", or \"readonly\")"
                        ));
                    }
                }
            }
            "volume-subpath" => {
                volume
                    .get_or_insert_with(Default::default)
                    .0
                    .insert("Subpath".into(), json!(val));
            }
            "volume-nocopy" => {
                let b = parse_go_bool(&val)
                    .ok_or_else(|| format!("invalid value for volume-nocopy: {val}"))?;
                let v = volume.get_or_insert_with(Default::default);
                if b {
                    v.0.insert("NoCopy".into(), json!(true));
                }
            }
            "volume-label" => {
                let v = volume.get_or_insert_with(Default::default);
                let (k, lv) = val.split_once('=').unwrap_or((&val, ""));
                if !k.is_empty() {
                    let labels = v.0.entry("Labels").or_insert_with(|| json!({}));
                    labels[k] = json!(lv);
                }
            }
            "volume-driver" => {
                volume
                    .get_or_insert_with(Default::default)
                    .1
                    .insert("Name".into(), json!(val));
            }
            "volume-opt" => {
                let v = volume.get_or_insert_with(Default::default);
                let (k, ov) = val.split_once('=').unwrap_or((&val, ""));
                let opts = v.1.entry("Options").or_insert_with(|| json!({}));
                if !k.is_empty() {
                    opts[k] = json!(ov);
                }
            }
            "image-subpath" => {
                image
                    .get_or_insert_with(Map::new)
                    .insert("Subpath".into(), json!(val));
            }
            "tmpfs-size" => {
                let n = wharf_units::ram_in_bytes(&val).map_err(|_| invalid(&key, &val))?;
                tmpfs
                    .get_or_insert_with(Map::new)
                    .insert("SizeBytes".into(), json!(n));
            }
            "tmpfs-mode" => {
                let n = u32::from_str_radix(&val, 8).map_err(|_| invalid(&key, &val))?;
                tmpfs
                    .get_or_insert_with(Map::new)
                    .insert("Mode".into(), json!(n));
            }
            _ => return Err(format!("unexpected key '{key}' in '{field}'")),
        }
    }
    if kind.is_empty() {
        return Err("type is required".into());
    }
    if target.is_empty() {
        return Err("target is required".into());
    }
    let mix = |what: &str| format!("cannot mix '{what}-*' options with mount type '{kind}'");
    if volume.is_some() && kind != "volume" {
        return Err(mix("volume"));
    }
    if image.is_some() && kind != "image" {
        return Err(mix("image"));
    }
    if bind.is_some() && kind != "bind" {
        return Err(mix("bind"));
    }
    if tmpfs.is_some() && kind != "tmpfs" {
        return Err(mix("tmpfs"));
    }
    if let Some(b) = &bind {
        if b.contains_key("ReadOnlyNonRecursive") && !read_only {
            return Err("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction".into());
        }
        if b.contains_key("ReadOnlyForceRecursive") {
            if !read_only {
                return Err("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction".into());
            }
            if b.get("Propagation").and_then(Value::as_str) != Some("rprivate") {
                return Err("option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction".into());
            }
        }
    }
    m.insert("Type".into(), json!(kind));
    if !source.is_empty() {
        m.insert("Source".into(), json!(source));
    }
    m.insert("Target".into(), json!(target));
    if read_only {
        m.insert("ReadOnly".into(), json!(true));
    }
    if !consistency.is_empty() {
        m.insert("Consistency".into(), json!(consistency));
    }
    if let Some(b) = bind {
        m.insert("BindOptions".into(), Value::Object(b));
    }
    if let Some((mut v, driver)) = volume {
        v.insert("DriverConfig".into(), Value::Object(driver));
        m.insert("VolumeOptions".into(), Value::Object(v));
    }
    if let Some(i) = image {
        m.insert("ImageOptions".into(), Value::Object(i));
    }
    if let Some(t) = tmpfs {
        m.insert("TmpfsOptions".into(), Value::Object(t));
    }
    Ok(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_specs_split_into_binds_and_anonymous_volumes() {
        let v = |s: &str| parse_volume(s).unwrap();
        assert_eq!(
            v("/tmp:/host:ro"),
            VolumeSpec {
                source: "/tmp".into(),
                target: "/host".into(),
                bind: true
            }
        );
        assert_eq!(
            v("data:/d"),
            VolumeSpec {
                source: "data".into(),
                target: "/d".into(),
                bind: false
            }
        );
        assert_eq!(
            v("/d"),
            VolumeSpec {
                source: "".into(),
                target: "/d".into(),
                bind: false
            }
        );
        // The Windows-drive quirk: "a:b" is one (bind) source.
        assert_eq!(
            v("a:b:c:d"),
            VolumeSpec {
                source: "a:b".into(),
                target: "c:d".into(),
                bind: true
            }
        );
        assert_eq!(
            parse_volume("/a:/b:ro:x").unwrap_err(),
            "invalid spec: /a:/b:ro:x: too many colons"
        );
        assert_eq!(
            parse_volume("/a::/b").unwrap_err(),
            "invalid spec: /a::/b: empty section between colons"
        );
        // As in docker, a one-letter source reads as a Windows drive: `n:/n` is one target.
        let (binds, anon) = split_volumes(&[
            "/tmp:/t".into(),
            "/v".into(),
            "data:/d".into(),
            "n:/n".into(),
        ])
        .unwrap();
        assert_eq!(binds, vec!["/tmp:/t", "data:/d"]);
        assert_eq!(anon, vec!["/v", "n:/n"]);
    }

    #[test]
    fn mounts_become_api_objects() {
        assert_eq!(
            parse_mount("type=bind,src=/tmp,dst=/t,readonly").unwrap(),
            json!({"Type": "bind", "Source": "/tmp", "Target": "/t", "ReadOnly": true})
        );
        assert_eq!(
            parse_mount("type=tmpfs,dst=/run,tmpfs-size=64m,tmpfs-mode=1770").unwrap(),
            json!({"Type": "tmpfs", "Target": "/run", "TmpfsOptions": {"SizeBytes": 67108864, "Mode": 1016}})
        );
        assert_eq!(
            parse_mount("source=v,target=/v,volume-nocopy").unwrap(),
            json!({"Type": "volume", "Source": "v", "Target": "/v", "VolumeOptions": {"NoCopy": true, "DriverConfig": {}}})
        );
        assert_eq!(parse_mount("type=bind").unwrap_err(), "target is required");
        assert_eq!(
            parse_mount("type=bind,target=/x,volume-nocopy").unwrap_err(),
            "cannot mix 'volume-*' options with mount type 'bind'"
        );
        assert_eq!(
            parse_mount("type=bind,target=/x,foo=1").unwrap_err(),
            "unexpected key 'foo' in 'foo=1'"
        );
        assert_eq!(
            parse_mount("type=bind,target=/x,bogus").unwrap_err(),
            "invalid field 'bogus' must be a key=value pair"
        );
    }
}
