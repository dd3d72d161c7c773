//! `inspect` output as docker's CLI makes it (`cli/command/inspect`): the engine's raw JSON
//! re-indented in the engine's own key order, `--format json` compacted into one array, and
//! templates run over the objects with Go's nil slices and maps shown as `[]` and `map[]`.

use serde_json::Value;
use wharf_gotemplate::Template;

use crate::client::Body;
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::Parsed;

/// What an inspected object is, for the shape of its nil fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Container,
    Image,
    Volume,
    Network,
    Other,
}

/// Paths (`*` for any key) whose Go type is a slice: JSON `null` there prints `[]`.
const CONTAINER_SLICES: &[&str] = &[
    "Args",
    "ExecIDs",
    "Mounts",
    "Config.Env",
    "Config.Cmd",
    "Config.Entrypoint",
    "Config.OnBuild",
    "Config.Shell",
    "HostConfig.Binds",
    "HostConfig.CapAdd",
    "HostConfig.CapDrop",
    "HostConfig.Dns",
    "HostConfig.DnsOptions",
    "HostConfig.DnsSearch",
    "HostConfig.ExtraHosts",
    "HostConfig.GroupAdd",
    "HostConfig.Links",
    "HostConfig.SecurityOpt",
    "HostConfig.VolumesFrom",
    "HostConfig.Mounts",
    "HostConfig.Devices",
    "HostConfig.DeviceCgroupRules",
    "HostConfig.DeviceRequests",
    "HostConfig.Ulimits",
    "HostConfig.BlkioWeightDevice",
    "HostConfig.BlkioDeviceReadBps",
    "HostConfig.BlkioDeviceWriteBps",
    "HostConfig.BlkioDeviceReadIOps",
    "HostConfig.BlkioDeviceWriteIOps",
    "HostConfig.MaskedPaths",
    "HostConfig.ReadonlyPaths",
    "HostConfig.ConsoleSize",
    "NetworkSettings.Networks.*.Aliases",
    "NetworkSettings.Networks.*.Links",
    "NetworkSettings.Networks.*.DNSNames",
    "State.Health.Log",
];

/// Paths whose Go type is a map: JSON `null` there prints `map[]`.
const CONTAINER_MAPS: &[&str] = &[
    "Config.Labels",
    "Config.Volumes",
    "Config.ExposedPorts",
    "HostConfig.PortBindings",
    "HostConfig.Tmpfs",
    "HostConfig.StorageOpt",
    "HostConfig.Sysctls",
    "HostConfig.LogConfig.Config",
    "HostConfig.Annotations",
    "NetworkSettings.Ports",
    "NetworkSettings.Networks",
    "NetworkSettings.Networks.*.DriverOpts",
    "GraphDriver.Data",
];

const IMAGE_SLICES: &[&str] = &[
    "RepoTags",
    "RepoDigests",
    "RootFS.Layers",
    "Config.Env",
    "Config.Cmd",
    "Config.Entrypoint",
    "Config.OnBuild",
    "Config.Shell",
    "ContainerConfig.Env",
    "ContainerConfig.Cmd",
    "ContainerConfig.Entrypoint",
    "ContainerConfig.OnBuild",
    "ContainerConfig.Shell",
];

const IMAGE_MAPS: &[&str] = &[
    "Config.Labels",
    "Config.Volumes",
    "Config.ExposedPorts",
    "ContainerConfig.Labels",
    "ContainerConfig.Volumes",
    "ContainerConfig.ExposedPorts",
    "GraphDriver.Data",
];

const VOLUME_MAPS: &[&str] = &["Labels", "Options", "Status"];

const NETWORK_SLICES: &[&str] = &["IPAM.Config"];
const NETWORK_MAPS: &[&str] = &["IPAM.Options", "Containers", "Options", "Labels"];

/// Pointer fields the engine omits when nil: a template sees `<nil>`.
const CONTAINER_POINTERS: &[&str] = &[
    "State.Health",
    "Config.Healthcheck",
    "Config.StopTimeout",
    "HostConfig.Init",
];
const IMAGE_POINTERS: &[&str] = &["Config.Healthcheck", "ContainerConfig.Healthcheck"];

/// String and bool fields the engine omits when empty: a template sees `""` / `false`.
const CONFIG_SCALARS: &[(&str, bool)] = &[
    ("Config.StopSignal", false),
    ("Config.MacAddress", false),
    ("Config.ArgsEscaped", true),
    ("Config.NetworkDisabled", true),
];

/// Replaces JSON `null` at the slice and map fields of `kind` with typed nils, so templates
/// print them as docker does (`{{.Config.Env}}` → `[]`, `{{.Config.Labels}}` → `map[]`,
/// `{{json .Config.Env}}` → `null`). Nil pointers (`State.Health`) stay `null` (`<nil>`).
pub fn shape_nils(v: &mut Value, kind: Kind) {
    let (slices, maps): (&[&str], &[&str]) = match kind {
        Kind::Container => (CONTAINER_SLICES, CONTAINER_MAPS),
        Kind::Image => (IMAGE_SLICES, IMAGE_MAPS),
        Kind::Volume => (&[], VOLUME_MAPS),
        Kind::Network => (NETWORK_SLICES, NETWORK_MAPS),
        Kind::Other => (&[], &[]),
    };
    let path = |p: &str| p.split('.').map(str::to_string).collect::<Vec<_>>();
    for p in slices {
        fill(
            v,
            &path(p),
            &Value::String(wharf_gotemplate::NIL_SLICE.into()),
        );
    }
    for p in maps {
        fill(
            v,
            &path(p),
            &Value::String(wharf_gotemplate::NIL_MAP.into()),
        );
    }
    let pointers: &[&str] = match kind {
        Kind::Container => CONTAINER_POINTERS,
        Kind::Image => IMAGE_POINTERS,
        _ => &[],
    };
    for p in pointers {
        fill(v, &path(p), &Value::Null);
    }
    if matches!(kind, Kind::Container | Kind::Image) {
        for (p, is_bool) in CONFIG_SCALARS {
            let empty = if *is_bool {
                Value::Bool(false)
            } else {
                Value::String(String::new())
            };
            fill(v, &path(p), &empty);
        }
    }
}

/// Sets the field at `path` to `empty` when it is `null` or (its parent being an object)
/// absent.
fn fill(v: &mut Value, path: &[String], empty: &Value) {
    let Some((first, rest)) = path.split_first() else {
        if v.is_null() {
            *v = empty.clone();
        }
        return;
    };
    let Some(obj) = v.as_object_mut() else {
        return;
    };
    if first == "*" {
        for child in obj.values_mut() {
            fill(child, rest, empty);
        }
    } else if let Some(child) = obj.get_mut(first) {
        fill(child, rest, empty);
    } else if rest.is_empty() {
        obj.insert(first.clone(), empty.clone());
    }
}

/// Go's `json.Indent(dst, src, "", "    ")` over compact JSON: keeps the key order and
/// every token as the engine wrote them.
pub fn go_indent(src: &str) -> String {
    let mut out = String::with_capacity(src.len() * 2);
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    let mut need_indent = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("    ");
        }
    };
    for c in src.chars() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        if c.is_ascii_whitespace() {
            continue;
        }
        if need_indent && c != ']' && c != '}' {
            need_indent = false;
            depth += 1;
            newline(&mut out, depth);
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                need_indent = true;
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            '}' | ']' => {
                if need_indent {
                    need_indent = false;
                } else {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's `json.Compact`: the JSON without insignificant whitespace, key order kept.
pub fn go_compact(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let (mut in_str, mut escaped) = (false, false);
    for c in src.chars() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if !c.is_ascii_whitespace() {
            in_str = c == '"';
            out.push(c);
        }
    }
    out
}

/// One object found by an inspect: its raw JSON and its kind.
pub struct Found {
    pub raw: String,
    pub kind: Kind,
}

/// Renders found objects as docker's inspector does and returns the text for stdout.
pub fn render(found: &[Found], format: &str) -> Result<String, CliError> {
    match format {
        "" => {
            if found.is_empty() {
                return Ok("[]\n".into());
            }
            let joined: Vec<&str> = found.iter().map(|f| f.raw.trim()).collect();
            Ok(go_indent(&format!("[{}]", joined.join(","))) + "\n")
        }
        "json" => {
            if found.is_empty() {
                return Ok("[]\n".into());
            }
            let joined: Vec<&str> = found.iter().map(|f| f.raw.trim()).collect();
            Ok(go_compact(&format!("[{}]", joined.join(","))) + "\n")
        }
        tmpl => {
            let t = Template::parse(tmpl).map_err(|e| CliError::Status {
                message: format!("template parsing error: {e}"),
                status: 64,
            })?;
            let mut out = String::new();
            for f in found {
                let mut v: Value = serde_json::from_str(&f.raw)
                    .map_err(|e| CliError::Protocol(format!("decoding response: {e}")))?;
                shape_nils(&mut v, f.kind);
                let text = t
                    .execute(&v)
                    .map_err(|e| CliError::msg(format!("template parsing error: {e}")))?;
                out.push_str(&text);
                out.push('\n');
            }
            if out.is_empty() {
                out.push('\n');
            }
            Ok(out)
        }
    }
}

/// `docker volume inspect` / `network inspect`: each named object from `{collection}/NAME`,
/// rendered together; the names not found are reported after the others, with status 1.
pub fn objects(ctx: &mut Ctx, p: &Parsed, collection: &str, kind: Kind) -> Result<(), CliError> {
    let client = ctx.client()?.clone();
    let format = p.string("format");
    if !format.is_empty() && format != "json" {
        wharf_gotemplate::Template::parse(&format).map_err(|e| CliError::Status {
            message: format!("template parsing error: {e}"),
            status: 64,
        })?;
    }
    let (mut found, mut errors) = (Vec::new(), Vec::new());
    for n in &p.args {
        match client.call(
            "GET",
            &format!("{collection}/{}", urlencoding::encode(n)),
            Body::None,
        ) {
            Ok(r) => found.push(Found {
                raw: r
                    .text()
                    .map_err(CliError::io("reading the daemon's answer"))?,
                kind,
            }),
            Err(e @ CliError::Daemon { .. }) => errors.push(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    match render(&found, &format) {
        Ok(t) => ctx.print(t)?,
        Err(e) => errors.push(e.to_string()),
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CliError::Status {
            message: errors.join("\n"),
            status: 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn indent_keeps_order_and_matches_go() {
        let raw = r#"{"b":1,"a":[],"c":{},"d":[1,{"x":"y, \"z\":"}],"e":null}"#;
        assert_eq!(
            go_indent(raw),
            "{\n    \"b\": 1,\n    \"a\": [],\n    \"c\": {},\n    \"d\": [\n        1,\n        {\n            \"x\": \"y, \\\"z\\\":\"\n        }\n    ],\n    \"e\": null\n}"
        );
    }

    #[test]
    fn nil_slices_and_maps_print_as_go_does() {
        let mut v = json!({
            "Config": {"Env": null, "Labels": null, "Cmd": ["sh"]},
            "State": {"Health": null},
            "NetworkSettings": {"Networks": {"bridge": {"Aliases": null}}},
        });
        shape_nils(&mut v, Kind::Container);
        let t = |s: &str| Template::parse(s).unwrap().execute(&v).unwrap();
        assert_eq!(
            t("{{.Config.Env}} {{.Config.Labels}} {{.Config.Cmd}}"),
            "[] map[] [sh]"
        );
        assert_eq!(t("{{.State.Health}}"), "<nil>");
        assert_eq!(
            t("[{{.Config.StopSignal}}] {{.Config.ExposedPorts}}"),
            "[] map[]"
        );
        assert_eq!(t("{{.NetworkSettings.Networks.bridge.Aliases}}"), "[]");
        assert_eq!(
            t("{{json .Config.Env}} {{json .Config.ExposedPorts}} {{json .Config.Cmd}}"),
            "null null [\"sh\"]"
        );
        assert_eq!(t("{{len .Config.Env}} {{range .Config.Env}}x{{end}}"), "0 ");
        let config = t("{{json .Config}}");
        assert!(
            config.starts_with(r#"{"Env":null,"Labels":null,"Cmd":["sh"],"#)
                && config.contains(r#""ExposedPorts":null"#),
            "{config}"
        );
    }

    #[test]
    fn empty_results_print_like_docker() {
        assert_eq!(render(&[], "").unwrap(), "[]\n");
        assert_eq!(render(&[], "{{.Id}}").unwrap(), "\n");
        let f = Found {
            raw: r#"{"Id":"x","Name":"/n"}"#.into(),
            kind: Kind::Container,
        };
        assert_eq!(
            render(std::slice::from_ref(&f), "json").unwrap(),
            "[{\"Id\":\"x\",\"Name\":\"/n\"}]\n"
        );
        assert_eq!(render(&[f], "{{.Name}}").unwrap(), "/n\n");
    }
}
