//! `ps`: docker's container table (`formatter/container.go`): truncated IDs and commands,
//! familiar image names, port groups, "x (virtual y)" sizes, and `--format`.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use wharf_reference::Reference;

use crate::app::{Args, Command};
use crate::client::with_query;
use crate::commands::images::{ellipsis, filters_from_flags};
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{Flag, Parsed};
use crate::format::{self, Columns, Format};
use crate::opts::checks;

pub fn commands() -> Vec<Command> {
    vec![Command {
        path: "container ls",
        aliases: &["ps", "container list", "container ps"],
        usage: "[OPTIONS]",
        about: "List containers",
        flags: || {
            vec![
                Flag::bool(
                    "all",
                    Some('a'),
                    "Show all containers (default shows just running)",
                ),
                Flag::list(
                    "filter",
                    Some('f'),
                    "filter",
                    "Filter output based on conditions provided",
                ),
                Flag::value(
                    "format",
                    None,
                    "string",
                    "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
                ),
                Flag::value(
                    "last",
                    Some('n'),
                    "int",
                    "Show n last created containers (includes all states)",
                )
                .default("-1")
                .check(checks::int),
                Flag::bool(
                    "latest",
                    Some('l'),
                    "Show the latest created container (includes all states)",
                ),
                Flag::bool("no-trunc", None, "Don't truncate output"),
                Flag::bool("quiet", Some('q'), "Only display container IDs"),
                Flag::bool("size", Some('s'), "Display total file sizes"),
            ]
        },
        args: Args::Max(0),
        interspersed: true,
        run: ps,
    }]
}

pub const CONTAINER_COLUMNS: Columns = &[
    ("ID", "CONTAINER ID"),
    ("Names", "NAMES"),
    ("Image", "IMAGE"),
    ("Command", "COMMAND"),
    ("CreatedAt", "CREATED AT"),
    ("RunningFor", "CREATED"),
    ("Ports", "PORTS"),
    ("State", "STATE"),
    ("Status", "STATUS"),
    ("Size", "SIZE"),
    ("Labels", "LABELS"),
    ("Mounts", "MOUNTS"),
    ("LocalVolumes", "LOCAL VOLUMES"),
    ("Networks", "NETWORKS"),
    ("Platform", "PLATFORM"),
];

const DEFAULT_TABLE: &str =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

fn ps(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let user_format = p.string("format");
    let quiet = p.bool("quiet");
    if !user_format.is_empty() && quiet {
        ctx.flush()?;
        eprintln!("WARNING: Ignoring custom format, because both --format and --quiet are set.");
    }
    let mut limit: i64 = p.value("last").and_then(|v| v.parse().ok()).unwrap_or(-1);
    if p.bool("latest") && limit == -1 {
        limit = 1;
    }
    let mut size = p.bool("size");
    if !quiet && !size && !p.changed("size") && user_format.contains(".Size") {
        size = true;
    }
    let filters = filters_from_flags(&p.list("filter"))?;
    let mut q = Vec::new();
    if p.bool("all") {
        q.push(("all", "1".to_string()));
    }
    if limit > 0 {
        q.push(("limit", limit.to_string()));
    }
    if size {
        q.push(("size", "1".to_string()));
    }
    if !filters.is_empty() {
        q.push(("filters", filters.to_json()));
    }
    let list: Vec<Value> = ctx
        .client()?
        .get_json(&with_query("/containers/json", &q))?;
    let trunc = !p.bool("no-trunc");
    let spec = if quiet {
        "{{.ID}}".to_string()
    } else if user_format.is_empty() || user_format == "table" {
        if size {
            format!("{DEFAULT_TABLE}\t{{{{.Size}}}}")
        } else {
            DEFAULT_TABLE.to_string()
        }
    } else {
        user_format
    };
    let fmt = Format::parse(&spec, DEFAULT_TABLE)?;
    let rows: Vec<Value> = list.iter().map(|c| container_row(c, trunc)).collect();
    ctx.print(format::render(&fmt, CONTAINER_COLUMNS, &rows)?)
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

/// One `ps` row: every field docker's `ContainerContext` offers, as strings.
pub fn container_row(c: &Value, trunc: bool) -> Value {
    let id = s(c, "Id");
    let mut names: Vec<String> = c["Names"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str().map(|n| n.get(1..).unwrap_or("").to_string()))
        .collect();
    if trunc && let Some(n) = names.iter().find(|n| !n.contains('/')) {
        names = vec![n.clone()];
    }
    let command = s(c, "Command");
    let command = if trunc {
        ellipsis(command, 20)
    } else {
        command.to_string()
    };
    let created = c["Created"].as_i64().unwrap_or(0);
    let mut labels: Vec<String> = c["Labels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    labels.sort();
    let mounts: Vec<String> = c["Mounts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let name = if s(m, "Name").is_empty() {
                s(m, "Source")
            } else {
                s(m, "Name")
            };
            if trunc {
                ellipsis(name, 15)
            } else {
                name.to_string()
            }
        })
        .collect();
    let local = c["Mounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| s(m, "Driver") == "local")
        .count();
    let networks: Vec<String> = c["NetworkSettings"]["Networks"]
        .as_object()
        .map(|n| n.keys().cloned().collect())
        .unwrap_or_default();
    let srw = c["SizeRw"].as_i64().unwrap_or(0);
    let sroot = c["SizeRootFs"].as_i64().unwrap_or(0);
    let size = if sroot > 0 {
        format!("{} (virtual {})", format::size(srw), format::size(sroot))
    } else {
        format::size(srw)
    };
    json!({
        "ID": if trunc { format::short_id(id) } else { id.to_string() },
        "Names": names.join(","),
        "Image": image_name(s(c, "Image"), s(c, "ImageID"), trunc),
        "Command": go_quote(&command),
        "CreatedAt": go_local_time(created),
        "RunningFor": format::since(created),
        "Ports": displayable_ports(c["Ports"].as_array().map(Vec::as_slice).unwrap_or(&[])),
        "State": s(c, "State"),
        "Status": s(c, "Status"),
        "Size": size,
        "Labels": labels.join(","),
        "Mounts": mounts.join(","),
        "LocalVolumes": local.to_string(),
        "Networks": networks.join(","),
        "Platform": null,
        format::LABELS_FIELD: c["Labels"].as_object().cloned().unwrap_or_default(),
    })
}

/// Go's `time.Unix(s, 0).String()` in the local zone (the CLI's `TZ`; UTC without one).
pub fn go_local_time(secs: i64) -> String {
    format::created_at(secs)
}

/// docker's `ContainerContext.Image`: the familiar name without a digest, or the short ID.
fn image_name(image: &str, image_id: &str, trunc: bool) -> String {
    if image.is_empty() {
        return "<no image>".into();
    }
    if trunc {
        if format::short_id(image_id) == format::short_id(image) {
            return format::short_id(image);
        }
        if let Ok(r) = Reference::parse_normalized(image) {
            return match r.tag() {
                Some(t) => format!("{}:{t}", r.familiar_name()),
                None => r.familiar_name(),
            };
        }
    }
    image.to_string()
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// docker's `DisplayablePorts`: consecutive ports grouped into ranges, host mappings last.
pub fn displayable_ports(ports: &[Value]) -> String {
    let mut ports: Vec<&Value> = ports.iter().collect();
    let key = |p: &Value| {
        (
            p["PrivatePort"].as_u64().unwrap_or(0),
            p["Type"].as_str().unwrap_or("").to_string(),
            p["IP"].as_str().unwrap_or("").to_string(),
            p["PublicPort"].as_u64().unwrap_or(0),
        )
    };
    ports.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0)
            .then_with(|| ka.1.cmp(&kb.1))
            .then_with(|| ka.2.cmp(&kb.2))
            .then_with(|| ka.3.cmp(&kb.3))
    });
    let mut groups: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut result: Vec<String> = Vec::new();
    let mut host_maps: Vec<String> = Vec::new();
    for p in ports {
        let (private, typ, ip, public) = key(p);
        let mut port_key = typ.clone();
        if !ip.is_empty() {
            if public != private {
                host_maps.push(format!(
                    "{}->{private}/{typ}",
                    join_host_port(&ip, &public.to_string())
                ));
                continue;
            }
            port_key = format!("{ip}/{typ}");
        }
        match groups.get_mut(&port_key) {
            None => {
                groups.insert(port_key.clone(), (private, private));
                order.push(port_key);
            }
            Some(g) if private == g.1 + 1 => g.1 = private,
            Some(g) => {
                result.push(form_group(&port_key, g.0, g.1));
                *g = (private, private);
            }
        }
    }
    for k in order {
        let g = groups[&k];
        result.push(form_group(&k, g.0, g.1));
    }
    result.extend(host_maps);
    result.join(", ")
}

fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn form_group(key: &str, start: u64, last: u64) -> String {
    let (ip, typ) = match key.rsplit_once('/') {
        Some((ip, t)) => (ip, t),
        None => ("", key),
    };
    let mut group = start.to_string();
    if start != last {
        group = format!("{group}-{last}");
    }
    if !ip.is_empty() {
        group = format!("{}->{group}", join_host_port(ip, &group));
    }
    format!("{group}/{typ}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_group_like_docker() {
        let p = |ip: &str, private: u64, public: u64, t: &str| json!({"IP": ip, "PrivatePort": private, "PublicPort": public, "Type": t});
        let ports = vec![
            p("", 80, 0, "tcp"),
            p("", 81, 0, "tcp"),
            p("", 82, 0, "tcp"),
            p("0.0.0.0", 8080, 8080, "tcp"),
            p("0.0.0.0", 9000, 9090, "tcp"),
            p("", 53, 0, "udp"),
        ];
        assert_eq!(
            displayable_ports(&ports),
            "53/udp, 80-82/tcp, 0.0.0.0:8080->8080/tcp, 0.0.0.0:9090->9000/tcp"
        );
        assert_eq!(
            displayable_ports(&[p("::", 80, 8000, "tcp")]),
            "[::]:8000->80/tcp"
        );
    }

    #[test]
    fn label_calls_work_in_rows_headers_and_not_in_json() {
        let c = json!({"Id": "abc", "Names": ["/a"], "Labels": {"k": "v"}});
        let rows = vec![container_row(&c, true)];
        let f = Format::parse("table {{.Names}}\t{{.Label \"k\"}}", DEFAULT_TABLE).unwrap();
        assert_eq!(
            format::render(&f, CONTAINER_COLUMNS, &rows).unwrap(),
            "NAMES     k\na         v\n"
        );
        let f = Format::parse("{{.Label \"missing\"}}|", DEFAULT_TABLE).unwrap();
        assert_eq!(format::render(&f, CONTAINER_COLUMNS, &rows).unwrap(), "|\n");
        let f = Format::parse("json", DEFAULT_TABLE).unwrap();
        assert!(
            !format::render(&f, CONTAINER_COLUMNS, &rows)
                .unwrap()
                .contains("_labels")
        );
    }

    #[test]
    fn rows_truncate_and_quote_like_docker() {
        let c = json!({
            "Id": "27d3ff4e297ea2f5cc6d81a772e04e05271b2492cd746aff5e104d0df63c2c63",
            "Names": ["/r1", "/other/link"],
            "Image": "docker.io/library/busybox:latest",
            "ImageID": "sha256:09208193f2559c685362aaf19c94cbf3d3bbeae5dc279f7e1c1eb223e0afdf7a",
            "Command": "sleep 1000000000000000000",
            "Created": 0,
            "State": "running",
            "Status": "Up 2 seconds",
            "SizeRw": 0,
            "SizeRootFs": 1984172,
            "Labels": {"b": "2", "a": "1"},
        });
        let r = container_row(&c, true);
        assert_eq!(r["ID"], "27d3ff4e297e");
        assert_eq!(r["Names"], "r1");
        assert_eq!(r["Image"], "busybox:latest");
        assert_eq!(r["Command"], "\"sleep 1000000000000…\"");
        assert_eq!(r["Size"], "0B (virtual 1.98MB)");
        assert_eq!(r["Labels"], "a=1,b=2");
        let r = container_row(&c, false);
        assert_eq!(r["Names"], "r1,other/link");
        assert_eq!(r["Image"], "docker.io/library/busybox:latest");
    }
}
