//! State changes: `stop`, `kill`, `restart`, `wait`, `rm`, `rename`, `pause`, `unpause`,
//! `update`, `container prune` — each as docker prints and fails them.

use serde_json::{Map, Value, json};

use super::{cpath, decode, for_each, joined};
use crate::app::{Args, Command};
use crate::client::{Body, with_query};
use crate::commands::images::{confirm, filters_from_flags};
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{Flag, Parsed};
use crate::opts::checks;

fn stop_flags() -> Vec<Flag> {
    vec![
        Flag::value(
            "signal",
            Some('s'),
            "string",
            "Signal to send to the container",
        ),
        Flag::value(
            "time",
            None,
            "int",
            "Seconds to wait before killing the container (deprecated: use --timeout)",
        )
        .hidden()
        .check(checks::int),
        Flag::value(
            "timeout",
            Some('t'),
            "int",
            "Seconds to wait before killing the container",
        )
        .check(checks::int),
    ]
}

pub fn commands() -> Vec<Command> {
    vec![
        Command {
            path: "container stop",
            aliases: &["stop"],
            usage: "[OPTIONS] CONTAINER [CONTAINER...]",
            about: "Stop one or more running containers",
            flags: stop_flags,
            args: Args::Min(1),
            interspersed: true,
            run: stop,
        },
        Command {
            path: "container restart",
            aliases: &["restart"],
            usage: "[OPTIONS] CONTAINER [CONTAINER...]",
            about: "Restart one or more containers",
            flags: stop_flags,
            args: Args::Min(1),
            interspersed: true,
            run: restart,
        },
        Command {
            path: "container kill",
            aliases: &["kill"],
            usage: "[OPTIONS] CONTAINER [CONTAINER...]",
            about: "Kill one or more running containers",
            flags: || {
                vec![Flag::value(
                    "signal",
                    Some('s'),
                    "string",
                    "Signal to send to the container",
                )]
            },
            args: Args::Min(1),
            interspersed: true,
            run: kill,
        },
        Command {
            path: "container wait",
            aliases: &["wait"],
            usage: "CONTAINER [CONTAINER...]",
            about: "Block until one or more containers stop, then print their exit codes",
            flags: Vec::new,
            args: Args::Min(1),
            interspersed: true,
            run: wait,
        },
        Command {
            path: "container rm",
            aliases: &["rm", "container remove"],
            usage: "[OPTIONS] CONTAINER [CONTAINER...]",
            about: "Remove one or more containers",
            flags: || {
                vec![
                    Flag::bool(
                        "force",
                        Some('f'),
                        "Force the removal of a running container (uses SIGKILL)",
                    ),
                    Flag::bool("link", Some('l'), "Remove the specified link"),
                    Flag::bool(
                        "volumes",
                        Some('v'),
                        "Remove anonymous volumes associated with the container",
                    ),
                ]
            },
            args: Args::Min(1),
            interspersed: true,
            run: rm,
        },
        Command {
            path: "container rename",
            aliases: &["rename"],
            usage: "CONTAINER NEW_NAME",
            about: "Rename a container",
            flags: Vec::new,
            args: Args::Exact(2),
            interspersed: true,
            run: rename,
        },
        Command {
            path: "container pause",
            aliases: &["pause"],
            usage: "CONTAINER [CONTAINER...]",
            about: "Pause all processes within one or more containers",
            flags: Vec::new,
            args: Args::Min(1),
            interspersed: true,
            run: |ctx, p| simple(ctx, p, "pause"),
        },
        Command {
            path: "container unpause",
            aliases: &["unpause"],
            usage: "CONTAINER [CONTAINER...]",
            about: "Unpause all processes within one or more containers",
            flags: Vec::new,
            args: Args::Min(1),
            interspersed: true,
            run: |ctx, p| simple(ctx, p, "unpause"),
        },
        Command {
            path: "container update",
            aliases: &["update"],
            usage: "[OPTIONS] CONTAINER [CONTAINER...]",
            about: "Update configuration of one or more containers",
            flags: || {
                use checks as c;
                vec![
                    Flag::value("blkio-weight", None, "uint16", "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)").check(c::uint16),
                    Flag::value("cpu-period", None, "int", "Limit CPU CFS (Completely Fair Scheduler) period").check(c::int),
                    Flag::value("cpu-quota", None, "int", "Limit CPU CFS (Completely Fair Scheduler) quota").check(c::int),
                    Flag::value("cpu-rt-period", None, "int", "Limit the CPU real-time period in microseconds").check(c::int),
                    Flag::value("cpu-rt-runtime", None, "int", "Limit the CPU real-time runtime in microseconds").check(c::int),
                    Flag::value("cpu-shares", Some('c'), "int", "CPU shares (relative weight)").check(c::int),
                    Flag::value("cpus", None, "decimal", "Number of CPUs").check(c::nano_cpus),
                    Flag::value("cpuset-cpus", None, "string", "CPUs in which to allow execution (0-3, 0,1)"),
                    Flag::value("cpuset-mems", None, "string", "MEMs in which to allow execution (0-3, 0,1)"),
                    Flag::value("memory", Some('m'), "bytes", "Memory limit").check(c::mem_bytes),
                    Flag::value("memory-reservation", None, "bytes", "Memory soft limit").check(c::mem_bytes),
                    Flag::value("memory-swap", None, "bytes", "Swap limit equal to memory plus swap: -1 to enable unlimited swap").check(c::mem_swap),
                    Flag::value("pids-limit", None, "int", "Tune container pids limit (set -1 for unlimited)").check(c::int),
                    Flag::value("restart", None, "string", "Restart policy to apply when a container exits"),
                ]
            },
            args: Args::Min(1),
            interspersed: true,
            run: update,
        },
        Command {
            path: "container prune",
            aliases: &[],
            usage: "[OPTIONS]",
            about: "Remove all stopped containers",
            flags: || {
                vec![
                    Flag::list(
                        "filter",
                        None,
                        "filter",
                        "Provide filter values (e.g. \"until=<timestamp>\")",
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

/// `?t=…&signal=…` for stop and restart (`--time` is the old name of `--timeout`).
fn stop_query(p: &Parsed) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    let timeout = if p.changed("timeout") {
        p.value("timeout")
    } else if p.changed("time") {
        p.value("time")
    } else {
        None
    };
    if let Some(t) = timeout {
        q.push(("t", t.to_string()));
    }
    if let Some(s) = p.value("signal").filter(|s| !s.is_empty()) {
        q.push(("signal", s.to_string()));
    }
    q
}

fn stop(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let q = stop_query(p);
    for_each(ctx, &p.args, |c, n| {
        c.call(
            "POST",
            &with_query(&format!("{}/stop", cpath(n)), &q),
            Body::None,
        )
        .map(|_| ())
    })
}

fn restart(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let q = stop_query(p);
    for_each(ctx, &p.args, |c, n| {
        c.call(
            "POST",
            &with_query(&format!("{}/restart", cpath(n)), &q),
            Body::None,
        )
        .map(|_| ())
    })
}

fn kill(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let mut q = Vec::new();
    if let Some(s) = p.value("signal").filter(|s| !s.is_empty()) {
        q.push(("signal", s.to_string()));
    }
    for_each(ctx, &p.args, |c, n| {
        c.call(
            "POST",
            &with_query(&format!("{}/kill", cpath(n)), &q),
            Body::None,
        )
        .map(|_| ())
    })
}

fn simple(ctx: &mut Ctx, p: &Parsed, action: &str) -> Result<(), CliError> {
    for_each(ctx, &p.args, |c, n| {
        c.call("POST", &format!("{}/{action}", cpath(n)), Body::None)
            .map(|_| ())
    })
}

fn wait(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let client = ctx.client()?.clone();
    let mut errors = Vec::new();
    for n in &p.args {
        let r = client
            .call("POST", &format!("{}/wait", cpath(n)), Body::None)
            .and_then(decode::<Value>);
        match r {
            Ok(v) => {
                ctx.println(v["StatusCode"].as_i64().unwrap_or(0).to_string())?;
                ctx.flush()?;
            }
            Err(e @ CliError::Daemon { .. }) => errors.push(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    joined(errors)
}

fn rm(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let force = p.bool("force");
    let mut q = Vec::new();
    for (flag, key) in [("volumes", "v"), ("link", "link"), ("force", "force")] {
        if p.bool(flag) {
            q.push((key, "1".to_string()));
        }
    }
    let client = ctx.client()?.clone();
    let mut errors = Vec::new();
    for name in &p.args {
        let id = name.trim_matches('/');
        let r = if id.is_empty() {
            Err(CliError::msg("container name cannot be empty"))
        } else {
            client
                .call("DELETE", &with_query(&cpath(id), &q), Body::None)
                .map(|_| ())
        };
        match r {
            Ok(()) => ctx.println(name)?,
            Err(e) if force && e.is_not_found() => {
                ctx.flush()?;
                eprintln!("{e}");
            }
            Err(e @ (CliError::Daemon { .. } | CliError::Message(_))) => errors.push(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    joined(errors)
}

fn rename(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let (old, new) = (p.args[0].trim(), p.args[1].trim());
    if old.is_empty() || new.is_empty() {
        return Err(CliError::msg(
            "Error: Neither old nor new names may be empty",
        ));
    }
    let r = ctx.client()?.call(
        "POST",
        &with_query(
            &format!("{}/rename", cpath(old)),
            &[("name", new.to_string())],
        ),
        Body::None,
    );
    match r {
        Ok(_) => Ok(()),
        Err(e @ CliError::Daemon { .. }) => {
            eprintln!("{e}");
            Err(CliError::msg(format!(
                "Error: failed to rename container named {old}"
            )))
        }
        Err(e) => Err(e),
    }
}

fn update(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let names = [
        "blkio-weight",
        "cpu-period",
        "cpu-quota",
        "cpu-rt-period",
        "cpu-rt-runtime",
        "cpu-shares",
        "cpus",
        "cpuset-cpus",
        "cpuset-mems",
        "memory",
        "memory-reservation",
        "memory-swap",
        "pids-limit",
        "restart",
    ];
    if !names.iter().any(|n| p.changed(n)) {
        return Err(CliError::msg(
            "you must provide one or more flags when using this command",
        ));
    }
    let int = |n: &str| p.value(n).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let (policy, count) = match p.value("restart").filter(|r| !r.is_empty()) {
        Some(r) => checks::restart_policy(r).map_err(CliError::msg)?,
        None => (String::new(), 0),
    };
    let mut body = json!({
        "BlkioWeight": int("blkio-weight"),
        "CpusetCpus": p.string("cpuset-cpus"),
        "CpusetMems": p.string("cpuset-mems"),
        "CpuShares": int("cpu-shares"),
        "Memory": int("memory"),
        "MemoryReservation": int("memory-reservation"),
        "MemorySwap": int("memory-swap"),
        "KernelMemory": 0,
        "CpuPeriod": int("cpu-period"),
        "CpuQuota": int("cpu-quota"),
        "CpuRealtimePeriod": int("cpu-rt-period"),
        "CpuRealtimeRuntime": int("cpu-rt-runtime"),
        "NanoCpus": int("cpus"),
        "RestartPolicy": {"Name": policy, "MaximumRetryCount": count},
    });
    if int("pids-limit") != 0 {
        body["PidsLimit"] = json!(int("pids-limit"));
    }
    let client = ctx.client()?.clone();
    let (mut warnings, mut errors) = (Vec::new(), Vec::new());
    for n in &p.args {
        match client
            .call("POST", &format!("{}/update", cpath(n)), Body::json(&body))
            .and_then(decode::<Value>)
        {
            Ok(v) => {
                ctx.println(n)?;
                warnings.extend(
                    v["Warnings"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|w| w.as_str().map(str::to_string)),
                );
            }
            Err(e @ CliError::Daemon { .. }) => errors.push(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    if !warnings.is_empty() {
        ctx.println(warnings.join("\n"))?;
    }
    joined(errors)
}

fn prune(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let filters = filters_from_flags(&p.list("filter"))?;
    if !p.bool("force") && !confirm(ctx, "WARNING! This will remove all stopped containers.")? {
        return Ok(());
    }
    let resp = ctx.client()?.call(
        "POST",
        &with_query("/containers/prune", &[("filters", filters.to_json())]),
        Body::None,
    )?;
    let report: Map<String, Value> = decode(resp)?;
    let deleted: Vec<&str> = report
        .get("ContainersDeleted")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut reclaimed = 0u64;
    if !deleted.is_empty() {
        let mut out = String::from("Deleted Containers:\n");
        for id in deleted {
            out.push_str(id);
            out.push('\n');
        }
        ctx.println(out)?;
        reclaimed = report
            .get("SpaceReclaimed")
            .and_then(Value::as_u64)
            .unwrap_or(0);
    }
    ctx.println(format!(
        "Total reclaimed space: {}",
        wharf_units::human_size(reclaimed as f64)
    ))
}
