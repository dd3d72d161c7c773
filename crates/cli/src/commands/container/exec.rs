//! `exec`: docker's `RunExec` — create the exec, then start it detached or attached through a
//! hijacked connection, and exit with the command's status from `/exec/ID/json`.

use serde_json::{Value, json};

use super::run::detach_keys;
use super::{cpath, decode};
use crate::app::{Args, Command};
use crate::client::{Body, with_query};
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{Flag, Parsed};
use crate::opts::{checks, envfile};
use crate::tty::pump::{self, Ended, PumpOptions};
use crate::tty::signals::{self, ResizeTarget};
use crate::tty::term::{self, RawMode};

pub fn commands() -> Vec<Command> {
    vec![Command {
        path: "container exec",
        aliases: &["exec"],
        usage: "[OPTIONS] CONTAINER COMMAND [ARG...]",
        about: "Execute a command in a running container",
        flags: || {
            vec![
                Flag::bool(
                    "detach",
                    Some('d'),
                    "Detached mode: run command in the background",
                ),
                Flag::value(
                    "detach-keys",
                    None,
                    "string",
                    "Override the key sequence for detaching a container",
                ),
                Flag::list("env", Some('e'), "list", "Set environment variables")
                    .check(checks::env),
                Flag::list(
                    "env-file",
                    None,
                    "list",
                    "Read in a file of environment variables",
                ),
                Flag::bool(
                    "interactive",
                    Some('i'),
                    "Keep STDIN open even if not attached",
                ),
                Flag::bool(
                    "privileged",
                    None,
                    "Give extended privileges to the command",
                ),
                Flag::bool("tty", Some('t'), "Allocate a pseudo-TTY"),
                Flag::value(
                    "user",
                    Some('u'),
                    "string",
                    "Username or UID (format: \"<name|uid>[:<group|gid>]\")",
                ),
                Flag::value(
                    "workdir",
                    Some('w'),
                    "string",
                    "Working directory inside the container",
                ),
            ]
        },
        args: Args::Min(2),
        interspersed: false,
        run: exec,
    }]
}

fn exec(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let mut env = Vec::new();
    for f in p.list("env-file") {
        env.extend(envfile::parse_file(&f, Some(envfile::from_env)).map_err(CliError::msg)?);
    }
    env.extend(p.list("env"));
    let detach = p.bool("detach");
    let tty = p.bool("tty");
    let stdin = !detach && p.bool("interactive");
    let (keys_str, keys) = detach_keys(p);
    let client = ctx.client()?.clone();
    let name = &p.args[0];
    client.get_json::<Value>(&format!("{}/json", cpath(name)))?;
    if !detach && tty && stdin && !term::stdin_is_terminal() {
        return Err(CliError::msg("the input device is not a TTY"));
    }
    let console = if tty {
        let (h, w) = term::size()
            .filter(|_| term::stdout_is_terminal())
            .unwrap_or((0, 0));
        json!([h, w])
    } else {
        Value::Null
    };
    let body = json!({
        "User": p.string("user"),
        "Privileged": p.bool("privileged"),
        "Tty": tty,
        "ConsoleSize": console,
        "AttachStdin": stdin,
        "AttachStderr": !detach,
        "AttachStdout": !detach,
        "Detach": detach,
        "DetachKeys": keys_str,
        "Env": if env.is_empty() { Value::Null } else { json!(env) },
        "WorkingDir": p.string("workdir"),
        "Cmd": p.args[1..],
    });
    let created: Value =
        decode(client.call("POST", &format!("{}/exec", cpath(name)), Body::json(&body))?)?;
    let exec_id = created["Id"].as_str().unwrap_or("").to_string();
    if exec_id.is_empty() {
        return Err(CliError::msg("exec ID empty"));
    }
    let start = json!({"Detach": detach, "Tty": tty, "ConsoleSize": console});
    let start_path = with_query(&format!("/exec/{exec_id}/start"), &[]);
    if detach {
        client.call("POST", &start_path, Body::json(&start))?;
        return Ok(());
    }
    let conn = client.hijack("POST", &start_path, Body::json(&start))?;
    let raw = if stdin && tty {
        Some(RawMode::enable().map_err(|e| {
            CliError::msg(format!(
                "unable to setup input stream: unable to set IO streams as raw terminal: {e}"
            ))
        })?)
    } else {
        None
    };
    let _resize = if tty && term::stdin_is_terminal() {
        signals::monitor_size(&client, ResizeTarget::Exec(exec_id.clone())).ok()
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
    let inspect: Value = client.get_json(&format!("/exec/{exec_id}/json"))?;
    match inspect["ExitCode"].as_i64().unwrap_or(0) {
        0 => Ok(()),
        s => Err(CliError::Exit(s as i32)),
    }
}
