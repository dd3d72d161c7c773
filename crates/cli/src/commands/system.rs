//! `version` and `info`.

use serde_json::{Value, json};
use wharf_api::system::{DiskUsage, Info, Version};

use crate::app::{Args, Command};
use crate::client::with_query;
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{Flag, Parsed};
use crate::format::{self, Columns, Format};

pub fn commands() -> Vec<Command> {
    vec![
        Command {
            path: "version",
            aliases: &[],
            usage: "[OPTIONS]",
            about: "Show the wharf version information",
            flags: || {
                vec![Flag::value(
                    "format",
                    Some('f'),
                    "string",
                    "Format output using a custom template",
                )]
            },
            args: Args::Max(0),
            interspersed: true,
            run: version,
        },
        Command {
            path: "system df",
            aliases: &[],
            usage: "[OPTIONS]",
            about: "Show wharf disk usage",
            flags: || {
                vec![
                    Flag::value(
                        "format",
                        None,
                        "string",
                        "Format output using a custom template",
                    ),
                    Flag::bool(
                        "verbose",
                        Some('v'),
                        "Show detailed information on space usage",
                    ),
                ]
            },
            args: Args::Max(0),
            interspersed: true,
            run: disk_usage,
        },
        Command {
            path: "system prune",
            aliases: &[],
            usage: "[OPTIONS]",
            about: "Remove unused data",
            flags: || {
                vec![
                    Flag::bool(
                        "all",
                        Some('a'),
                        "Remove all unused images not just dangling ones",
                    ),
                    Flag::list(
                        "filter",
                        None,
                        "filter",
                        "Provide filter values (e.g. \"label=<key>=<value>\")",
                    ),
                    Flag::bool("force", Some('f'), "Do not prompt for confirmation"),
                    Flag::bool("volumes", None, "Prune anonymous volumes"),
                ]
            },
            args: Args::Max(0),
            interspersed: true,
            run: prune,
        },
        Command {
            path: "system info",
            aliases: &["info"],
            usage: "[OPTIONS]",
            about: "Display system-wide information",
            flags: || {
                vec![Flag::value(
                    "format",
                    Some('f'),
                    "string",
                    "Format output using a custom template",
                )]
            },
            args: Args::Max(0),
            interspersed: true,
            run: info,
        },
    ]
}

fn goarch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

fn client_json() -> serde_json::Value {
    serde_json::json!({
        "Version": env!("CARGO_PKG_VERSION"),
        "ApiVersion": "1.50",
        "DefaultAPIVersion": "1.50",
        "GitCommit": wharf_api::version::git_commit(),
        "GoVersion": "",
        "Os": "linux",
        "Arch": goarch(),
        "BuildTime": "",
        "Context": "default",
    })
}

fn version(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let server: Result<Version, CliError> = ctx
        .client()
        .and_then(|c| c.get_json(&with_query("/version", &[])));
    if let Some(f) = p.value("format") {
        let v = serde_json::json!({
            "Client": client_json(),
            "Server": server.as_ref().ok().map(|s| serde_json::to_value(s).unwrap_or_default()),
        });
        let out = if f == "json" {
            serde_json::to_string(&v).unwrap_or_default() + "\n"
        } else {
            format::render_each(f, &[v])?
        };
        ctx.print(out)?;
        return server.map(|_| ());
    }
    let c = client_json();
    let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
    let mut out = format!(
        "Client:\n Version:           {}\n API version:       {}\n Git commit:        {}\n OS/Arch:           {}/{}\n Context:           {}\n",
        s("Version"),
        s("ApiVersion"),
        s("GitCommit"),
        s("Os"),
        s("Arch"),
        s("Context")
    );
    if let Ok(v) = &server {
        {
            out.push_str(&format!("\nServer: {}\n", v.platform.name));
            for comp in &v.components {
                out.push_str(&format!(
                    " {}:\n  Version:          {}\n",
                    comp.name, comp.version
                ));
                if comp.name == "Engine" {
                    out.push_str(&format!(
                        "  API version:      {} (minimum version {})\n  Git commit:       {}\n  OS/Arch:          {}/{}\n  Experimental:     {}\n",
                        v.api_version, v.min_api_version, v.git_commit, v.os, v.arch, v.experimental
                    ));
                } else {
                    for (k, val) in &comp.details {
                        out.push_str(&format!("  {:<18}{}\n", format!("{k}:"), val));
                    }
                }
            }
        }
    }
    ctx.print(out)?;
    server.map(|_| ())
}

fn info(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let info: Info = ctx.client()?.get_json(&with_query("/info", &[]))?;
    if let Some(f) = p.value("format") {
        let v = serde_json::to_value(&info).unwrap_or_default();
        let out = if f == "json" {
            serde_json::to_string(&v).unwrap_or_default() + "\n"
        } else {
            format::render_each(f, &[v])?
        };
        return ctx.print(out);
    }
    let mut o = String::new();
    o.push_str(&format!(
        "Client:\n Version:    {}\n Context:    default\n Debug Mode: false\n\n",
        env!("CARGO_PKG_VERSION")
    ));
    o.push_str("Server:\n");
    o.push_str(&format!(
        " Containers: {}\n  Running: {}\n  Paused: {}\n  Stopped: {}\n Images: {}\n Server Version: {}\n Storage Driver: {}\n",
        info.containers, info.containers_running, info.containers_paused, info.containers_stopped, info.images, info.server_version, info.driver
    ));
    for [k, v] in &info.driver_status {
        o.push_str(&format!("  {k}: {v}\n"));
    }
    o.push_str(&format!(
        " Logging Driver: {}\n Cgroup Driver: {}\n Cgroup Version: {}\n Plugins:\n  Volume: {}\n  Network: {}\n  Log: {}\n Swarm: inactive\n",
        info.logging_driver,
        info.cgroup_driver,
        info.cgroup_version,
        info.plugins.volume.join(" "),
        info.plugins.network.join(" "),
        info.plugins.log.join(" ")
    ));
    o.push_str(&format!(
        " Runtimes: {}\n Default Runtime: {}\n Security Options:\n",
        info.runtimes.keys().cloned().collect::<Vec<_>>().join(" "),
        info.default_runtime
    ));
    for opt in &info.security_options {
        let mut parts = opt.split(',');
        let name = parts.next().unwrap_or("").trim_start_matches("name=");
        o.push_str(&format!("  {name}\n"));
        for kv in parts {
            if let Some((k, v)) = kv.split_once('=') {
                let mut k = k.to_string();
                if let Some(f) = k.get_mut(0..1) {
                    f.make_ascii_uppercase();
                }
                o.push_str(&format!("   {k}: {v}\n"));
            }
        }
    }
    o.push_str(&format!(
        " Kernel Version: {}\n Operating System: {}\n OSType: {}\n Architecture: {}\n CPUs: {}\n Total Memory: {}\n Name: {}\n ID: {}\n Docker Root Dir: {}\n Debug Mode: {}\n Experimental: {}\n",
        info.kernel_version,
        info.operating_system,
        info.os_type,
        info.architecture,
        info.ncpu,
        wharf_units::bytes_size(info.mem_total as f64),
        info.name,
        info.id,
        info.docker_root_dir,
        info.debug,
        info.experimental_build
    ));
    if let Some(cidrs) = info
        .registry_config
        .get("InsecureRegistryCIDRs")
        .and_then(|v| v.as_array())
    {
        o.push_str(" Insecure Registries:\n");
        for c in cidrs {
            o.push_str(&format!("  {}\n", c.as_str().unwrap_or("")));
        }
    }
    o.push_str(&format!(
        " Live Restore Enabled: {}\n",
        info.live_restore_enabled
    ));
    ctx.print(o)
}

const DF_COLUMNS: Columns = &[
    ("Type", "TYPE"),
    ("TotalCount", "TOTAL"),
    ("Active", "ACTIVE"),
    ("Size", "SIZE"),
    ("Reclaimable", "RECLAIMABLE"),
];

fn reclaimable(total: i64, reclaim: i64) -> String {
    let r = reclaim.max(0);
    if total > 0 {
        format!(
            "{} ({}%)",
            wharf_units::human_size(r as f64),
            r * 100 / total
        )
    } else {
        wharf_units::human_size(r as f64)
    }
}

fn field_i64(v: &Value, k: &str) -> i64 {
    v.get(k).and_then(Value::as_i64).unwrap_or(0)
}

/// The summary rows of `system df`, computed as docker's CLI computes them.
pub fn df_rows(du: &DiskUsage) -> Vec<Value> {
    let used_by_images: i64 = du
        .images
        .iter()
        .filter(|i| i.containers > 0 && i.size >= 0 && i.shared_size >= 0)
        .map(|i| i.size - i.shared_size)
        .sum();
    let active_images = du.images.iter().filter(|i| i.containers > 0).count();
    let ctr_size: i64 = du.containers.iter().map(|c| field_i64(c, "SizeRw")).sum();
    let ctr_active = du
        .containers
        .iter()
        .filter(|c| {
            matches!(
                c.get("State").and_then(Value::as_str),
                Some("running") | Some("paused") | Some("restarting")
            )
        })
        .count();
    let ctr_reclaim: i64 = du
        .containers
        .iter()
        .filter(|c| {
            !matches!(
                c.get("State").and_then(Value::as_str),
                Some("running") | Some("paused") | Some("restarting")
            )
        })
        .map(|c| field_i64(c, "SizeRw"))
        .sum();
    let vol_size = |v: &Value| {
        v.get("UsageData")
            .map(|u| field_i64(u, "Size"))
            .unwrap_or(0)
            .max(0)
    };
    let vol_refs = |v: &Value| {
        v.get("UsageData")
            .map(|u| field_i64(u, "RefCount"))
            .unwrap_or(0)
    };
    let vol_total: i64 = du.volumes.iter().map(vol_size).sum();
    let vol_active = du.volumes.iter().filter(|v| vol_refs(v) > 0).count();
    let vol_reclaim: i64 = du
        .volumes
        .iter()
        .filter(|v| vol_refs(v) == 0)
        .map(vol_size)
        .sum();
    let cache = du.build_cache.clone().unwrap_or_default();
    let cache_active = cache
        .iter()
        .filter(|c| c.get("InUse").and_then(Value::as_bool).unwrap_or(false))
        .count();
    let cache_reclaim: i64 = cache
        .iter()
        .filter(|c| {
            !c.get("InUse").and_then(Value::as_bool).unwrap_or(false)
                && !c.get("Shared").and_then(Value::as_bool).unwrap_or(false)
        })
        .map(|c| field_i64(c, "Size"))
        .sum();
    vec![
        json!({"Type": "Images", "TotalCount": du.images.len().to_string(), "Active": active_images.to_string(),
               "Size": wharf_units::human_size(du.layers_size as f64), "Reclaimable": reclaimable(du.layers_size, du.layers_size - used_by_images)}),
        json!({"Type": "Containers", "TotalCount": du.containers.len().to_string(), "Active": ctr_active.to_string(),
               "Size": wharf_units::human_size(ctr_size as f64), "Reclaimable": reclaimable(ctr_size, ctr_reclaim)}),
        json!({"Type": "Local Volumes", "TotalCount": du.volumes.len().to_string(), "Active": vol_active.to_string(),
               "Size": wharf_units::human_size(vol_total as f64), "Reclaimable": reclaimable(vol_total, vol_reclaim)}),
        json!({"Type": "Build Cache", "TotalCount": cache.len().to_string(), "Active": cache_active.to_string(),
               "Size": wharf_units::human_size(du.builder_size as f64), "Reclaimable": reclaimable(du.builder_size, cache_reclaim)}),
    ]
}

fn disk_usage(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let du: DiskUsage = ctx.client()?.get_json(&with_query("/system/df", &[]))?;
    if !p.bool("verbose") {
        let fmt = Format::parse(
            &p.string("format"),
            "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
        )?;
        let text = format::render(&fmt, DF_COLUMNS, &df_rows(&du))?;
        return ctx.print(text);
    }
    let mut out = String::from("Images space usage:\n\n");
    let rows: Vec<Value> = du
        .images
        .iter()
        .flat_map(|i| crate::commands::images::image_rows(i, false, true))
        .collect();
    let fmt = Format::parse(
        "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}",
        "",
    )?;
    out.push_str(&format::render(
        &fmt,
        crate::commands::images::IMAGE_COLUMNS,
        &rows,
    )?);
    out.push_str("\nContainers space usage:\n\n");
    let crow: Vec<Value> = du
        .containers
        .iter()
        .map(|c| {
            let id = c.get("Id").and_then(Value::as_str).unwrap_or("");
            let names: Vec<String> = c.get("Names").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).map(|n| n.trim_start_matches('/').to_string()).collect()).unwrap_or_default();
            json!({
                "ID": format::short_id(id),
                "Image": c.get("Image").and_then(Value::as_str).unwrap_or(""),
                "Command": format!("\"{}\"", crate::commands::images::ellipsis(c.get("Command").and_then(Value::as_str).unwrap_or(""), 20)),
                "LocalVolumes": field_i64(c, "LocalVolumes").to_string(),
                "Size": wharf_units::human_size(field_i64(c, "SizeRw") as f64),
                "RunningFor": format::since(field_i64(c, "Created")),
                "Status": c.get("Status").and_then(Value::as_str).unwrap_or(""),
                "Names": names.join(","),
            })
        })
        .collect();
    let cfmt = Format::parse(
        "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}",
        "",
    )?;
    const CTR_COLUMNS: Columns = &[
        ("ID", "CONTAINER ID"),
        ("Image", "IMAGE"),
        ("Command", "COMMAND"),
        ("LocalVolumes", "LOCAL VOLUMES"),
        ("Size", "SIZE"),
        ("RunningFor", "CREATED"),
        ("Status", "STATUS"),
        ("Names", "NAMES"),
    ];
    out.push_str(&format::render(&cfmt, CTR_COLUMNS, &crow)?);
    out.push_str("\nLocal Volumes space usage:\n\n");
    let vrow: Vec<Value> = du
        .volumes
        .iter()
        .map(|v| json!({
            "Name": v.get("Name").and_then(Value::as_str).unwrap_or(""),
            "Links": v.get("UsageData").map(|u| field_i64(u, "RefCount")).unwrap_or(0).to_string(),
            "Size": wharf_units::human_size(v.get("UsageData").map(|u| field_i64(u, "Size")).unwrap_or(0) as f64),
        }))
        .collect();
    let vfmt = Format::parse("table {{.Name}}\t{{.Links}}\t{{.Size}}", "")?;
    const VOL_COLUMNS: Columns = &[
        ("Name", "VOLUME NAME"),
        ("Links", "LINKS"),
        ("Size", "SIZE"),
    ];
    out.push_str(&format::render(&vfmt, VOL_COLUMNS, &vrow)?);
    out.push_str(&format!(
        "\nBuild cache usage: {}\n\n",
        wharf_units::human_size(du.builder_size as f64)
    ));
    let bfmt = Format::parse(
        "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}",
        "",
    )?;
    const CACHE_COLUMNS: Columns = &[
        ("ID", "CACHE ID"),
        ("CacheType", "CACHE TYPE"),
        ("Size", "SIZE"),
        ("CreatedSince", "CREATED"),
        ("LastUsedSince", "LAST USED"),
        ("UsageCount", "USAGE"),
        ("Shared", "SHARED"),
    ];
    let brow: Vec<Value> = du
        .build_cache
        .clone()
        .unwrap_or_default()
        .iter()
        .map(|c| json!({
            "ID": c.get("ID").and_then(Value::as_str).unwrap_or("").chars().take(12).collect::<String>(),
            "CacheType": c.get("Type").and_then(Value::as_str).unwrap_or(""),
            "Size": wharf_units::human_size(field_i64(c, "Size") as f64),
            "CreatedSince": c.get("CreatedAt").and_then(Value::as_str).unwrap_or(""),
            "LastUsedSince": c.get("LastUsedAt").and_then(Value::as_str).unwrap_or(""),
            "UsageCount": field_i64(c, "UsageCount").to_string(),
            "Shared": c.get("Shared").and_then(Value::as_bool).unwrap_or(false).to_string(),
        }))
        .collect();
    out.push_str(&format::render(&bfmt, CACHE_COLUMNS, &brow)?);
    ctx.print(out)
}

/// `system prune`: docker's CLI composes it from the per-kind prune endpoints.
fn prune(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let all = p.bool("all");
    let mut warning = String::from("WARNING! This will remove:\n  - all stopped containers\n");
    if p.bool("volumes") {
        warning.push_str("  - all anonymous volumes not used by at least one container\n");
    }
    warning.push_str(if all {
        "  - all images without at least one container associated to them\n  - all build cache\n"
    } else {
        "  - all dangling images\n  - unused build cache\n"
    });
    if !p.bool("force") && !crate::commands::images::confirm(ctx, &warning)? {
        return Ok(());
    }
    let base = crate::commands::images::filters_from_flags(&p.list("filter"))?;
    let mut total = 0u64;
    let mut post = |ctx: &mut Ctx, path: &str, q: Vec<(&str, String)>| -> Result<Value, CliError> {
        let v: Value = ctx
            .client()?
            .call("POST", &with_query(path, &q), crate::client::Body::None)?
            .json()?;
        total += v.get("SpaceReclaimed").and_then(Value::as_u64).unwrap_or(0);
        Ok(v)
    };
    let section =
        |ctx: &mut Ctx, title: &str, items: Option<&Vec<Value>>| -> Result<(), CliError> {
            let Some(items) = items.filter(|i| !i.is_empty()) else {
                return Ok(());
            };
            ctx.println(title)?;
            for i in items {
                match i {
                    Value::String(s) => ctx.println(s)?,
                    Value::Object(m) => {
                        for (k, v) in m {
                            ctx.println(format!(
                                "{}: {}",
                                k.to_ascii_lowercase(),
                                v.as_str().unwrap_or("")
                            ))?;
                        }
                    }
                    _ => {}
                }
            }
            ctx.println("")
        };
    let r = post(ctx, "/containers/prune", vec![("filters", base.to_json())])?;
    section(
        ctx,
        "Deleted Containers:",
        r.get("ContainersDeleted").and_then(Value::as_array),
    )?;
    if p.bool("volumes") {
        let r = post(ctx, "/volumes/prune", vec![("filters", base.to_json())])?;
        section(
            ctx,
            "Deleted Volumes:",
            r.get("VolumesDeleted").and_then(Value::as_array),
        )?;
    }
    let mut img_filters = base.clone();
    if all {
        img_filters.add("dangling", "false");
    }
    let r = post(
        ctx,
        "/images/prune",
        vec![("filters", img_filters.to_json())],
    )?;
    section(
        ctx,
        "Deleted Images:",
        r.get("ImagesDeleted").and_then(Value::as_array),
    )?;
    let mut q = vec![("filters", base.to_json())];
    if all {
        q.push(("all", "1".to_string()));
    }
    let r = post(ctx, "/build/prune", q)?;
    section(
        ctx,
        "Deleted build cache objects:",
        r.get("CachesDeleted").and_then(Value::as_array),
    )?;
    ctx.println(format!(
        "Total reclaimed space: {}",
        wharf_units::human_size(total as f64)
    ))
}
