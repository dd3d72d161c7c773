//! `logs`: the container's output from the engine, demultiplexed unless it has a tty.

use std::io::{self, Write};

use serde_json::Value;

use super::cpath;
use crate::app::{Args, Command};
use crate::client::{Body, with_query};
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{Flag, Parsed};
use crate::tty::stdcopy;

pub fn commands() -> Vec<Command> {
    vec![Command {
        path: "container logs",
        aliases: &["logs"],
        usage: "[OPTIONS] CONTAINER",
        about: "Fetch the logs of a container",
        flags: || {
            vec![
                Flag::bool("details", None, "Show extra details provided to logs"),
                Flag::bool("follow", Some('f'), "Follow log output"),
                Flag::value(
                    "since",
                    None,
                    "string",
                    "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)",
                ),
                Flag::value(
                    "tail",
                    Some('n'),
                    "string",
                    "Number of lines to show from the end of the logs",
                )
                .default("all"),
                Flag::bool("timestamps", Some('t'), "Show timestamps"),
                Flag::value(
                    "until",
                    None,
                    "string",
                    "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)",
                ),
            ]
        },
        args: Args::Exact(1),
        interspersed: true,
        run: logs,
    }]
}

/// The client's `GetTimestamp` for `--since`/`--until` (and `events`), in UTC.
pub fn api_timestamp(flag: &str, value: &str) -> Result<String, CliError> {
    wharf_units::get_timestamp(value, wharf_units::Timestamp::now(), 0)
        .map_err(|e| CliError::msg(format!("invalid value for \"{flag}\": {e}")))
}

fn logs(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let client = ctx.client()?.clone();
    let c: Value = client.get_json(&format!("{}/json", cpath(&p.args[0])))?;
    let id = c["Id"].as_str().unwrap_or("").to_string();
    let mut q = vec![("stdout", "1".to_string()), ("stderr", "1".to_string())];
    if let Some(s) = p.value("since").filter(|s| !s.is_empty()) {
        q.push(("since", api_timestamp("since", s)?));
    }
    if let Some(u) = p.value("until").filter(|s| !s.is_empty()) {
        q.push(("until", api_timestamp("until", u)?));
    }
    for (flag, key) in [
        ("timestamps", "timestamps"),
        ("details", "details"),
        ("follow", "follow"),
    ] {
        if p.bool(flag) {
            q.push((key, "1".to_string()));
        }
    }
    q.push(("tail", p.string("tail")));
    let mut resp = client.call(
        "GET",
        &with_query(&format!("{}/logs", cpath(&id)), &q),
        Body::None,
    )?;
    ctx.flush()?;
    let r = if c["Config"]["Tty"].as_bool().unwrap_or(false) {
        let mut out = io::stdout().lock();
        io::copy(&mut resp.body, &mut out)
            .and_then(|_| out.flush())
            .map(|_| ())
            .map_err(stdcopy::StdcopyError::Io)
    } else {
        stdcopy::demux(&mut resp.body, &mut io::stdout(), &mut io::stderr()).map(|_| ())
    };
    match r {
        Ok(()) => Ok(()),
        Err(stdcopy::StdcopyError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::msg(e.to_string())),
    }
}
