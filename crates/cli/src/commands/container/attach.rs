//! `attach`: docker's `RunAttach` — check the container runs, attach, follow the tty size,
//! and exit with the container's status (or print "read escape sequence" on detach, as docker
//! does).

use serde_json::Value;

use super::cpath;
use super::run::{attach_stream, detach_keys};
use crate::app::{Args, Command};
use crate::client::{Body, Client, with_query};
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{Flag, Parsed};
use crate::tty::pump::{self, Ended, PumpOptions};
use crate::tty::signals::{self, ResizeTarget};
use crate::tty::term::{self, RawMode};

pub fn commands() -> Vec<Command> {
    vec![Command {
        path: "container attach",
        aliases: &["attach"],
        usage: "[OPTIONS] CONTAINER",
        about: "Attach local standard input, output, and error streams to a running container",
        flags: || {
            vec![
                Flag::value(
                    "detach-keys",
                    None,
                    "string",
                    "Override the key sequence for detaching a container",
                ),
                Flag::bool("no-stdin", None, "Do not attach STDIN"),
                Flag::bool(
                    "sig-proxy",
                    None,
                    "Proxy all received signals to the process",
                )
                .default("true"),
            ]
        },
        args: Args::Exact(1),
        interspersed: true,
        run: attach,
    }]
}

/// docker's `inspectContainerAndCheckState`.
fn inspect_running(client: &Client, name: &str) -> Result<Value, CliError> {
    let c: Value = client.get_json(&format!("{}/json", cpath(name)))?;
    let state = &c["State"];
    if state["Running"] != Value::Bool(true) {
        return Err(CliError::msg(
            "You cannot attach to a stopped container, start it first",
        ));
    }
    if state["Paused"] == Value::Bool(true) {
        return Err(CliError::msg(
            "You cannot attach to a paused container, unpause it first",
        ));
    }
    if state["Restarting"] == Value::Bool(true) {
        return Err(CliError::msg(
            "You cannot attach to a restarting container, wait until it is running",
        ));
    }
    Ok(c)
}

fn attach(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let client = ctx.client()?.clone();
    let name = &p.args[0];
    // The wait goes first so an exit during the attach is not missed.
    let wait = client.call("POST", &format!("{}/wait", cpath(name)), Body::None)?;
    let c = inspect_running(&client, name)?;
    let id = c["Id"].as_str().unwrap_or(name).to_string();
    let tty = c["Config"]["Tty"].as_bool().unwrap_or(false);
    let no_stdin = p.bool("no-stdin");
    if !no_stdin && tty && !term::stdin_is_terminal() {
        return Err(CliError::msg("the input device is not a TTY"));
    }
    let stdin = !no_stdin && c["Config"]["OpenStdin"].as_bool().unwrap_or(false);
    let _proxy = if p.bool("sig-proxy") && !tty {
        signals::forward_all(&client, &id).ok()
    } else {
        None
    };
    let (keys_str, keys) = detach_keys(p);
    let conn = attach_stream(&client, &id, stdin, true, true, &keys_str)?;
    inspect_running(&client, name)?;
    let _resize = if tty && term::stdout_is_terminal() {
        // One size off first, so the process sees a change (and redraws) even when the size
        // is what it already had.
        if let Some((h, w)) = term::size() {
            let q = [("h", (h + 1).to_string()), ("w", (w + 1).to_string())];
            let _ = client.call(
                "POST",
                &with_query(&format!("{}/resize", cpath(&id)), &q),
                Body::None,
            );
        }
        signals::monitor_size(&client, ResizeTarget::Container(id.clone())).ok()
    } else {
        None
    };
    let raw = if stdin && tty {
        Some(RawMode::enable().map_err(|e| {
            CliError::msg(format!(
                "unable to setup input stream: unable to set IO streams as raw terminal: {e}"
            ))
        })?)
    } else {
        None
    };
    ctx.flush()?;
    let ended = pump::pump(
        conn,
        PumpOptions {
            stdin,
            stdout: true,
            stderr: true,
            tty,
            detach_keys: keys,
            raw: raw.clone(),
        },
    );
    drop(raw);
    if ended? == Ended::Detached {
        return Err(CliError::msg("read escape sequence"));
    }
    let v: Value = serde_json::from_reader(wait.body)
        .map_err(|e| CliError::Protocol(format!("decoding response: {e}")))?;
    if let Some(m) = v["Error"]["Message"].as_str().filter(|m| !m.is_empty()) {
        return Err(CliError::msg(m));
    }
    match v["StatusCode"].as_i64().unwrap_or(0) {
        0 => Ok(()),
        s => Err(CliError::Exit(s as i32)),
    }
}
