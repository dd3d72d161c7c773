//! `stats`: resource usage per container, computed as docker's CLI computes it from the
//! engine's samples, once (`--no-stream`) or refreshed as samples arrive.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::cpath;
use crate::app::{Args, Command};
use crate::client::{Body, with_query};
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{Flag, Parsed};
use crate::format::{self, Columns, Format};

pub fn commands() -> Vec<Command> {
    vec![Command {
        path: "container stats",
        aliases: &["stats"],
        usage: "[OPTIONS] [CONTAINER...]",
        about: "Display a live stream of container(s) resource usage statistics",
        flags: || {
            vec![
                Flag::bool(
                    "all",
                    Some('a'),
                    "Show all containers (default shows just running)",
                ),
                Flag::value(
                    "format",
                    None,
                    "string",
                    "Format output using a custom template",
                ),
                Flag::bool(
                    "no-stream",
                    None,
                    "Disable streaming stats and only pull the first result",
                ),
                Flag::bool("no-trunc", None, "Do not truncate output"),
            ]
        },
        args: Args::Any,
        interspersed: true,
        run: stats,
    }]
}

const STATS_COLUMNS: Columns = &[
    ("Container", "CONTAINER"),
    ("ID", "CONTAINER ID"),
    ("Name", "NAME"),
    ("CPUPerc", "CPU %"),
    ("MemUsage", "MEM USAGE / LIMIT"),
    ("MemPerc", "MEM %"),
    ("NetIO", "NET I/O"),
    ("BlockIO", "BLOCK I/O"),
    ("PIDs", "PIDS"),
];

const STATS_TABLE: &str = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

/// One stats row from a `/stats` sample, computed as docker's `collect` does.
pub fn stats_row(container: &str, v: &Value, trunc: bool) -> Value {
    let u = |x: &Value| x.as_u64().unwrap_or(0) as f64;
    let cpu_delta = u(&v["cpu_stats"]["cpu_usage"]["total_usage"])
        - u(&v["precpu_stats"]["cpu_usage"]["total_usage"]);
    let sys_delta =
        u(&v["cpu_stats"]["system_cpu_usage"]) - u(&v["precpu_stats"]["system_cpu_usage"]);
    let mut online = u(&v["cpu_stats"]["online_cpus"]);
    if online == 0.0 {
        online = v["cpu_stats"]["cpu_usage"]["percpu_usage"]
            .as_array()
            .map(|a| a.len())
            .unwrap_or(0) as f64;
    }
    let cpu = if sys_delta > 0.0 && cpu_delta > 0.0 {
        cpu_delta / sys_delta * online * 100.0
    } else {
        0.0
    };
    let mem_stats = &v["memory_stats"];
    let usage = mem_stats["usage"].as_u64().unwrap_or(0);
    let stat = |k: &str| mem_stats["stats"][k].as_u64();
    let mem = match (stat("total_inactive_file"), stat("inactive_file")) {
        (Some(t), _) if t < usage => (usage - t) as f64,
        (None, Some(i)) if i < usage => (usage - i) as f64,
        (Some(_), Some(i)) if i < usage => (usage - i) as f64,
        (None, None) => usage as f64,
        _ => usage as f64,
    };
    let limit = u(&mem_stats["limit"]);
    let mem_pct = if limit != 0.0 {
        mem / limit * 100.0
    } else {
        0.0
    };
    let (mut rx, mut tx) = (0.0, 0.0);
    for n in v["networks"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, n)| n)
    {
        rx += u(&n["rx_bytes"]);
        tx += u(&n["tx_bytes"]);
    }
    let (mut br, mut bw) = (0.0, 0.0);
    for e in v["blkio_stats"]["io_service_bytes_recursive"]
        .as_array()
        .into_iter()
        .flatten()
    {
        match e["op"].as_str().and_then(|o| o.chars().next()) {
            Some('r' | 'R') => br += u(&e["value"]),
            Some('w' | 'W') => bw += u(&e["value"]),
            _ => {}
        }
    }
    let id = v["id"].as_str().unwrap_or("");
    let name = v["name"].as_str().unwrap_or("");
    let hs = |x: f64| wharf_units::human_size_with_precision(x, 3);
    json!({
        "Container": container,
        "ID": if trunc { format::short_id(id) } else { id.to_string() },
        "Name": if name.len() > 1 { &name[1..] } else { "--" },
        "CPUPerc": format!("{cpu:.2}%"),
        "MemUsage": format!("{} / {}", wharf_units::bytes_size(mem), wharf_units::bytes_size(limit)),
        "MemPerc": format!("{mem_pct:.2}%"),
        "NetIO": format!("{} / {}", hs(rx), hs(tx)),
        "BlockIO": format!("{} / {}", hs(br), hs(bw)),
        "PIDs": v["pids_stats"]["current"].as_u64().unwrap_or(0).to_string(),
    })
}

fn stats(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let client = ctx.client()?.clone();
    let names: Vec<String> = if p.args.is_empty() {
        let q: Vec<(&str, String)> = if p.bool("all") {
            vec![("all", "1".into())]
        } else {
            vec![]
        };
        let list: Vec<Value> = client.get_json(&with_query("/containers/json", &q))?;
        list.iter()
            .map(|c| format::short_id(c["Id"].as_str().unwrap_or("")))
            .collect()
    } else {
        p.args.clone()
    };
    let trunc = !p.bool("no-trunc");
    let user = p.string("format");
    let fmt = Format::parse(
        if user.is_empty() { STATS_TABLE } else { &user },
        STATS_TABLE,
    )?;
    let stream = !p.bool("no-stream");
    // Every container streams into one shared table of latest rows.
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Result<Value, String>)>();
    for (i, n) in names.iter().enumerate() {
        let (client, n, tx) = (client.clone(), n.clone(), tx.clone());
        std::thread::spawn(move || {
            let q = [("stream", if stream { "1" } else { "0" }.to_string())];
            let resp = client.call(
                "GET",
                &with_query(&format!("{}/stats", cpath(&n)), &q),
                Body::None,
            );
            let resp = match resp {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send((i, Err(e.to_string())));
                    return;
                }
            };
            let de = serde_json::Deserializer::from_reader(resp.body).into_iter::<Value>();
            for v in de {
                let ok = match v {
                    Ok(v) => tx.send((i, Ok(stats_row(&n, &v, trunc)))).is_ok(),
                    Err(_) => false,
                };
                if !ok || !stream {
                    return;
                }
            }
        });
    }
    drop(tx);
    let mut rows: BTreeMap<usize, Value> = BTreeMap::new();
    let mut errors: BTreeMap<usize, String> = BTreeMap::new();
    if !stream {
        for (i, r) in rx.iter() {
            match r {
                Ok(v) => {
                    rows.insert(i, v);
                }
                Err(e) => {
                    errors.insert(i, e);
                }
            }
        }
        if !errors.is_empty() {
            return Err(CliError::msg(
                errors.into_values().collect::<Vec<_>>().join("\n"),
            ));
        }
        let list: Vec<Value> = rows.into_values().collect();
        return ctx.print(format::render(&fmt, STATS_COLUMNS, &list)?);
    }
    let mut last_draw = std::time::Instant::now() - std::time::Duration::from_secs(1);
    while let Ok((i, r)) = rx.recv() {
        match r {
            Ok(v) => {
                rows.insert(i, v);
            }
            Err(e) => {
                errors.insert(i, e);
            }
        }
        if last_draw.elapsed() >= std::time::Duration::from_millis(500) || rows.len() == names.len()
        {
            let list: Vec<Value> = rows.values().cloned().collect();
            let text = format::render(&fmt, STATS_COLUMNS, &list)?;
            ctx.print(format!("\x1b[2J\x1b[H{text}"))?;
            ctx.flush()?;
            last_draw = std::time::Instant::now();
        }
    }
    if !errors.is_empty() {
        return Err(CliError::msg(
            errors.into_values().collect::<Vec<_>>().join("\n"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_rows_compute_like_docker() {
        let v = json!({
            "id": "27d3ff4e297ea2f5cc6d81a772e04e05271b2492cd746aff5e104d0df63c2c63",
            "name": "/w1",
            "cpu_stats": {"cpu_usage": {"total_usage": 300}, "system_cpu_usage": 2000, "online_cpus": 2},
            "precpu_stats": {"cpu_usage": {"total_usage": 100}, "system_cpu_usage": 1000},
            "memory_stats": {"usage": 4_194_304u64, "limit": 1_073_741_824u64, "stats": {"inactive_file": 1_048_576u64}},
            "networks": {"eth0": {"rx_bytes": 1500, "tx_bytes": 0}},
            "pids_stats": {"current": 3},
        });
        let r = stats_row("w1", &v, true);
        assert_eq!(r["CPUPerc"], "40.00%");
        assert_eq!(r["MemUsage"], "3MiB / 1GiB");
        assert_eq!(r["MemPerc"], "0.29%");
        assert_eq!(r["NetIO"], "1.5kB / 0B");
        assert_eq!(r["BlockIO"], "0B / 0B");
        assert_eq!(r["PIDs"], "3");
        assert_eq!(r["Name"], "w1");
        assert_eq!(r["ID"], "27d3ff4e297e");
    }
}
