//! Looking at containers: `inspect` (also the top-level `inspect` for containers, images and
//! volumes), `top`, `port`, `diff`.

use serde_json::Value;

use super::{cpath, decode};
use crate::app::{Args, Command};
use crate::client::{Body, Client, with_query};
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{Flag, Parsed};
use crate::inspect::{self, Found, Kind};

fn format_flag() -> Flag {
    Flag::value(
        "format",
        Some('f'),
        "string",
        "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
    )
}

pub fn commands() -> Vec<Command> {
    vec![
        Command {
            path: "inspect",
            aliases: &[],
            usage: "[OPTIONS] NAME|ID [NAME|ID...]",
            about: "Return low-level information on wharf objects",
            flags: || {
                vec![
                    format_flag(),
                    Flag::bool(
                        "size",
                        Some('s'),
                        "Display total file sizes if the type is container",
                    ),
                    Flag::value(
                        "type",
                        None,
                        "string",
                        "Only inspect objects of the given type",
                    ),
                ]
            },
            args: Args::Min(1),
            interspersed: true,
            run: inspect_any,
        },
        Command {
            path: "container inspect",
            aliases: &[],
            usage: "[OPTIONS] CONTAINER [CONTAINER...]",
            about: "Display detailed information on one or more containers",
            flags: || {
                vec![
                    format_flag(),
                    Flag::bool("size", Some('s'), "Display total file sizes"),
                ]
            },
            args: Args::Min(1),
            interspersed: true,
            run: inspect_containers,
        },
        Command {
            path: "container top",
            aliases: &["top"],
            usage: "CONTAINER [ps OPTIONS]",
            about: "Display the running processes of a container",
            flags: Vec::new,
            args: Args::Min(1),
            interspersed: false,
            run: top,
        },
        Command {
            path: "container port",
            aliases: &["port"],
            usage: "CONTAINER [PRIVATE_PORT[/PROTO]]",
            about: "List port mappings or a specific mapping for the container",
            flags: Vec::new,
            args: Args::Range(1, 2),
            interspersed: true,
            run: port,
        },
        Command {
            path: "container diff",
            aliases: &["diff"],
            usage: "CONTAINER",
            about: "Inspect changes to files or directories on a container's filesystem",
            flags: Vec::new,
            args: Args::Exact(1),
            interspersed: true,
            run: diff,
        },
    ]
}

/// GETs `path` and returns the raw body, or the daemon's error.
fn raw_get(client: &Client, path: &str) -> Result<String, CliError> {
    client
        .call("GET", path, Body::None)?
        .text()
        .map_err(CliError::io("reading the daemon's answer"))
}

/// Runs `find` for every name and prints the objects as docker's inspector does; the errors
/// (one a line) come after the output, with exit status 1.
fn run_inspect(
    ctx: &mut Ctx,
    names: &[String],
    format: &str,
    find: impl Fn(&Client, &str) -> Result<Found, CliError>,
) -> Result<(), CliError> {
    if !format.is_empty() && format != "json" {
        // Parse errors stop everything before any lookup (status 64).
        wharf_gotemplate::Template::parse(format).map_err(|e| CliError::Status {
            message: format!("template parsing error: {e}"),
            status: 64,
        })?;
    }
    let client = ctx.client()?.clone();
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for n in names {
        match find(&client, n) {
            Ok(f) => found.push(f),
            Err(e @ (CliError::Daemon { .. } | CliError::Message(_))) => errors.push(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    let out = inspect::render(&found, format);
    match out {
        Ok(text) => ctx.print(text)?,
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

fn container_found(client: &Client, name: &str, size: bool) -> Result<Found, CliError> {
    let q: Vec<(&str, String)> = if size {
        vec![("size", "1".into())]
    } else {
        vec![]
    };
    Ok(Found {
        raw: raw_get(client, &with_query(&format!("{}/json", cpath(name)), &q))?,
        kind: Kind::Container,
    })
}

fn inspect_containers(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let size = p.bool("size");
    run_inspect(ctx, &p.args, &p.string("format"), |c, n| {
        container_found(c, n, size)
    })
}

fn path_segment(name: &str) -> String {
    name.split('/')
        .map(|s| urlencoding::encode(s).into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

const TYPES: &[&str] = &[
    "config",
    "container",
    "image",
    "network",
    "node",
    "plugin",
    "secret",
    "service",
    "task",
    "volume",
];

/// The top-level `inspect`: a container, else an image, else a network, else a volume.
fn inspect_any(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let ty = p.string("type");
    if !ty.is_empty() && !TYPES.contains(&ty.as_str()) {
        return Err(CliError::msg(format!(
            "unknown type: {ty:?}: must be one of \"{}\"",
            TYPES.join("\", \"")
        )));
    }
    let size = p.bool("size");
    run_inspect(ctx, &p.args, &p.string("format"), |c, n| {
        let want = |t: &str| ty.is_empty() || ty == t;
        let attempts: [(&str, Kind, String); 4] = [
            ("container", Kind::Container, String::new()),
            (
                "image",
                Kind::Image,
                format!("/images/{}/json", path_segment(n)),
            ),
            (
                "network",
                Kind::Network,
                format!("/networks/{}", urlencoding::encode(n)),
            ),
            (
                "volume",
                Kind::Volume,
                format!("/volumes/{}", urlencoding::encode(n)),
            ),
        ];
        for (t, kind, path) in attempts {
            if !want(t) {
                continue;
            }
            let r = if t == "container" {
                container_found(c, n, size)
            } else {
                raw_get(c, &path).map(|raw| Found { raw, kind })
            };
            match r {
                Ok(f) => return Ok(f),
                Err(e) if !ty.is_empty() => return Err(e),
                Err(CliError::Daemon {
                    status: 400..=499, ..
                }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(CliError::msg(format!("Error: No such object: {n}")))
    })
}

fn top(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let mut q = Vec::new();
    if p.args.len() > 1 {
        q.push(("ps_args", p.args[1..].join(" ")));
    }
    let v: Value = ctx
        .client()?
        .get_json(&with_query(&format!("{}/top", cpath(&p.args[0])), &q))?;
    let mut tw = wharf_gotemplate::tabwriter::TabWriter::new(
        20,
        1,
        3,
        ' ',
        wharf_gotemplate::tabwriter::Flags::default(),
    );
    let strs = |a: &Value| -> Vec<String> {
        a.as_array()
            .into_iter()
            .flatten()
            .map(|x| x.as_str().unwrap_or("").to_string())
            .collect()
    };
    tw.write_str(&strs(&v["Titles"]).join("\t"));
    tw.write_str("\n");
    for proc in v["Processes"].as_array().into_iter().flatten() {
        tw.write_str(&strs(proc).join("\t"));
        tw.write_str("\n");
    }
    ctx.print(tw.flush())
}

/// Go's `net.JoinHostPort`.
fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `sortorder.NaturalLess`: digit runs compare as numbers.
pub fn natural_less(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (ca, cb) = (a[i], b[j]);
        if ca.is_ascii_digit() && cb.is_ascii_digit() {
            let si = i;
            while i < a.len() && a[i] == b'0' {
                i += 1;
            }
            let sj = j;
            while j < b.len() && b[j] == b'0' {
                j += 1;
            }
            let (ni, nj) = (i, j);
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let (da, db) = (&a[ni..i], &b[nj..j]);
            if da.len() != db.len() {
                return da.len() < db.len();
            }
            if da != db {
                return da < db;
            }
            if i - si != j - sj {
                return i - si < j - sj;
            }
            continue;
        }
        if ca != cb {
            return ca < cb;
        }
        i += 1;
        j += 1;
    }
    a.len() - i < b.len() - j
}

fn port(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let name = &p.args[0];
    let c: Value = ctx.client()?.get_json(&format!("{}/json", cpath(name)))?;
    let ports = c["NetworkSettings"]["Ports"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    let frontends = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                join_host_port(
                    f["HostIp"].as_str().unwrap_or(""),
                    f["HostPort"].as_str().unwrap_or(""),
                )
            })
            .collect()
    };
    if let Some(spec) = p.args.get(1) {
        let (port, proto) = spec.split_once('/').unwrap_or((spec, ""));
        let proto = if proto.is_empty() { "tcp" } else { proto };
        if let Err(e) = crate::opts::checks::parse_int(port).and_then(|n| {
            if (0..=65535).contains(&n) && port.bytes().all(|b| b.is_ascii_digit()) {
                Ok(n)
            } else {
                Err(wharf_units::NumError {
                    func: "ParseUint",
                    num: port.to_string(),
                    kind: if port.bytes().all(|b| b.is_ascii_digit()) {
                        wharf_units::NumErrorKind::Range
                    } else {
                        wharf_units::NumErrorKind::Syntax
                    },
                })
            }
        }) {
            let e = wharf_units::NumError {
                func: "ParseUint",
                ..e
            };
            return Err(CliError::msg(format!("Error: invalid port ({port}): {e}")));
        }
        let list = ports
            .get(&format!("{port}/{proto}"))
            .map(frontends)
            .unwrap_or_default();
        if list.is_empty() {
            return Err(CliError::msg(format!(
                "Error: No public port '{spec}' published for {name}"
            )));
        }
        out = list;
    } else {
        for (from, v) in &ports {
            for f in frontends(v) {
                out.push(format!("{from} -> {f}"));
            }
        }
    }
    if !out.is_empty() {
        out.sort_by(|a, b| {
            if natural_less(a, b) {
                std::cmp::Ordering::Less
            } else if natural_less(b, a) {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        });
        ctx.println(out.join("\n"))?;
    }
    Ok(())
}

fn diff(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    if p.args[0].is_empty() {
        return Err(CliError::msg("Container name cannot be empty"));
    }
    let changes: Value = decode(ctx.client()?.call(
        "GET",
        &format!("{}/changes", cpath(&p.args[0])),
        Body::None,
    )?)?;
    let mut out = String::new();
    for c in changes.as_array().into_iter().flatten() {
        let kind = match c["Kind"].as_i64() {
            Some(0) => "C",
            Some(1) => "A",
            Some(2) => "D",
            _ => "",
        };
        out.push_str(&format!("{kind} {}\n", c["Path"].as_str().unwrap_or("")));
    }
    ctx.print(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        assert!(natural_less(
            "80/tcp -> 0.0.0.0:8080",
            "443/tcp -> 0.0.0.0:443"
        ));
        assert!(natural_less("9/tcp", "10/tcp"));
        assert!(natural_less("a2", "a10"));
        assert!(!natural_less("a10", "a2"));
    }
}
