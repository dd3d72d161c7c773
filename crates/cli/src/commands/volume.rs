//! `volume create/ls/inspect/rm/prune`.

use serde_json::{Map, Value, json};

use super::container::{decode, joined};
use crate::app::{Args, Command};
use crate::client::{Body, with_query};
use crate::commands::container::natural_less;
use crate::commands::images::{confirm, filters_from_flags};
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{Flag, Parsed};
use crate::format::{self, Columns, Format};
use crate::inspect::{self, Kind};

pub fn commands() -> Vec<Command> {
    vec![
        Command {
            path: "volume create",
            aliases: &[],
            usage: "[OPTIONS] [VOLUME]",
            about: "Create a volume",
            flags: || {
                vec![
                    Flag::value("driver", Some('d'), "string", "Specify volume driver name")
                        .default("local"),
                    Flag::list("label", None, "list", "Set metadata for a volume"),
                    Flag::value("name", None, "string", "Specify volume name").hidden(),
                    Flag::list("opt", Some('o'), "map", "Set driver specific options"),
                ]
            },
            args: Args::Max(1),
            interspersed: true,
            run: create,
        },
        Command {
            path: "volume ls",
            aliases: &["volume list"],
            usage: "[OPTIONS]",
            about: "List volumes",
            flags: || {
                vec![
                    Flag::list(
                        "filter",
                        Some('f'),
                        "filter",
                        "Provide filter values (e.g. \"dangling=true\")",
                    ),
                    Flag::value(
                        "format",
                        None,
                        "string",
                        "Format output using a custom template",
                    ),
                    Flag::bool("quiet", Some('q'), "Only display volume names"),
                ]
            },
            args: Args::Max(0),
            interspersed: true,
            run: list,
        },
        Command {
            path: "volume inspect",
            aliases: &[],
            usage: "[OPTIONS] VOLUME [VOLUME...]",
            about: "Display detailed information on one or more volumes",
            flags: || {
                vec![Flag::value(
                    "format",
                    Some('f'),
                    "string",
                    "Format output using a custom template",
                )]
            },
            args: Args::Min(1),
            interspersed: true,
            run: inspect_volumes,
        },
        Command {
            path: "volume rm",
            aliases: &["volume remove"],
            usage: "[OPTIONS] VOLUME [VOLUME...]",
            about: "Remove one or more volumes",
            flags: || {
                vec![Flag::bool(
                    "force",
                    Some('f'),
                    "Force the removal of one or more volumes",
                )]
            },
            args: Args::Min(1),
            interspersed: true,
            run: remove,
        },
        Command {
            path: "volume prune",
            aliases: &[],
            usage: "[OPTIONS]",
            about: "Remove unused local volumes",
            flags: || {
                vec![
                    Flag::bool(
                        "all",
                        Some('a'),
                        "Remove all unused volumes, not just anonymous ones",
                    ),
                    Flag::list(
                        "filter",
                        None,
                        "filter",
                        "Provide filter values (e.g. \"label=<label>\")",
                    ),
                    Flag::bool("force", Some('f'), "Do not prompt for confirmation"),
                ]
            },
            args: Args::Max(0),
            interspersed: true,
            run: prune,
        },
    ]
}

fn create(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let mut name = p.string("name");
    if let Some(n) = p.args.first() {
        if !name.is_empty() {
            return Err(CliError::msg(
                "conflicting options: cannot specify a volume-name through both --name and as a positional arg",
            ));
        }
        name = n.clone();
    }
    let kv = |list: Vec<String>| -> Map<String, Value> {
        list.iter()
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap_or((l, ""));
                (k.to_string(), json!(v))
            })
            .collect()
    };
    let body = json!({
        "Driver": p.string("driver"),
        "DriverOpts": kv(p.list("opt")),
        "Labels": kv(p.list("label")),
        "Name": name,
    });
    let v: Value = decode(
        ctx.client()?
            .call("POST", "/volumes/create", Body::json(&body))?,
    )?;
    ctx.println(v["Name"].as_str().unwrap_or(""))
}

const VOLUME_COLUMNS: Columns = &[
    ("Name", "VOLUME NAME"),
    ("Driver", "DRIVER"),
    ("Scope", "SCOPE"),
    ("Mountpoint", "MOUNTPOINT"),
    ("Labels", "LABELS"),
    ("Links", "LINKS"),
    ("Size", "SIZE"),
    ("Group", "GROUP"),
    ("Availability", "AVAILABILITY"),
    ("Status", "STATUS"),
];

fn list(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let filters = filters_from_flags(&p.list("filter"))?;
    let mut q = Vec::new();
    if !filters.is_empty() {
        q.push(("filters", filters.to_json()));
    }
    let v: Value = ctx.client()?.get_json(&with_query("/volumes", &q))?;
    let mut vols: Vec<Value> = v["Volumes"].as_array().cloned().unwrap_or_default();
    vols.sort_by(|a, b| {
        let (a, b) = (
            a["Name"].as_str().unwrap_or(""),
            b["Name"].as_str().unwrap_or(""),
        );
        if natural_less(a, b) {
            std::cmp::Ordering::Less
        } else if natural_less(b, a) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    });
    let default = "table {{.Driver}}\t{{.Name}}";
    let user = p.string("format");
    let spec = if p.bool("quiet") && (user.is_empty() || user == "table") {
        "{{.Name}}".to_string()
    } else if user.is_empty() {
        default.to_string()
    } else {
        user
    };
    let fmt = Format::parse(&spec, default)?;
    let rows: Vec<Value> = vols.iter().map(volume_row).collect();
    ctx.print(format::render(&fmt, VOLUME_COLUMNS, &rows)?)
}

fn volume_row(v: &Value) -> Value {
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    let mut labels: Vec<String> = v["Labels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, x)| format!("{k}={}", x.as_str().unwrap_or("")))
        .collect();
    labels.sort();
    let usage = &v["UsageData"];
    let na = |k: &str| match usage[k].as_i64() {
        Some(n) if n >= 0 => n,
        _ => -1,
    };
    json!({
        "Name": s("Name"),
        "Driver": s("Driver"),
        "Scope": s("Scope"),
        "Mountpoint": s("Mountpoint"),
        "Labels": labels.join(","),
        "Links": if na("RefCount") < 0 { "N/A".to_string() } else { na("RefCount").to_string() },
        "Size": if na("Size") < 0 { "N/A".to_string() } else { wharf_units::human_size(na("Size") as f64) },
        "Group": "N/A",
        "Availability": "N/A",
        "Status": "N/A",
        format::LABELS_FIELD: v["Labels"].as_object().cloned().unwrap_or_default(),
    })
}

fn inspect_volumes(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    inspect::objects(ctx, p, "/volumes", Kind::Volume)
}

fn remove(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let client = ctx.client()?.clone();
    let q: Vec<(&str, String)> = if p.bool("force") {
        vec![("force", "1".into())]
    } else {
        vec![]
    };
    let mut errors = Vec::new();
    for n in &p.args {
        match client.call(
            "DELETE",
            &with_query(&format!("/volumes/{}", urlencoding::encode(n)), &q),
            Body::None,
        ) {
            Ok(_) => ctx.println(n)?,
            Err(e @ CliError::Daemon { .. }) => errors.push(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    joined(errors)
}

fn prune(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let mut filters = filters_from_flags(&p.list("filter"))?;
    let client = ctx.client()?.clone();
    let mut warning =
        "WARNING! This will remove anonymous local volumes not used by at least one container.";
    let all_warning =
        "WARNING! This will remove all local volumes not used by at least one container.";
    if client.api_at_least("1.42") {
        if p.bool("all") {
            if filters.to_json().contains("\"all\"") {
                return Err(CliError::msg(
                    "conflicting options: cannot specify both --all and --filter all=1",
                ));
            }
            filters.add("all", "true");
            warning = all_warning;
        }
    } else {
        warning = all_warning;
    }
    if !p.bool("force") && !confirm(ctx, warning)? {
        return Ok(());
    }
    let v: Value = decode(client.call(
        "POST",
        &with_query("/volumes/prune", &[("filters", filters.to_json())]),
        Body::None,
    )?)?;
    let deleted: Vec<&str> = v["VolumesDeleted"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut reclaimed = 0u64;
    if !deleted.is_empty() {
        let mut out = String::from("Deleted Volumes:\n");
        for d in deleted {
            out.push_str(d);
            out.push('\n');
        }
        ctx.println(out)?;
        reclaimed = v["SpaceReclaimed"].as_u64().unwrap_or(0);
    }
    ctx.println(format!(
        "Total reclaimed space: {}",
        wharf_units::human_size(reclaimed as f64)
    ))
}
