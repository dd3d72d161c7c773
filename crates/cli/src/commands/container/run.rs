//! `create`, `run` and `start`: docker's `runContainer` / `RunStart` flows. `run` attaches
//! before it starts, registers the wait before it starts, and exits with the container's
//! status.

use std::io::Write;
use std::sync::mpsc;

use serde_json::Value;
use wharf_reference::AnyReference;

use super::{cpath, decode};
use crate::app::{Args, Command, PROG};
use crate::client::{Body, Client, with_query};
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{Flag, Parsed};
use crate::opts::container::{CreateSpec, container_flags, create_spec};
use crate::tty::detach;
use crate::tty::pump::{self, Ended, PumpOptions};
use crate::tty::signals::{self, ResizeTarget};
use crate::tty::term::{self, RawMode};

pub fn commands() -> Vec<Command> {
    vec![
        Command {
            path: "container create",
            aliases: &["create"],
            usage: "[OPTIONS] IMAGE [COMMAND] [ARG...]",
            about: "Create a new container",
            flags: || container_flags(false),
            args: Args::Min(1),
            interspersed: false,
            run: create,
        },
        Command {
            path: "container run",
            aliases: &["run"],
            usage: "[OPTIONS] IMAGE [COMMAND] [ARG...]",
            about: "Create and run a new container from an image",
            flags: || container_flags(true),
            args: Args::Min(1),
            interspersed: false,
            run,
        },
        Command {
            path: "container start",
            aliases: &["start"],
            usage: "[OPTIONS] CONTAINER [CONTAINER...]",
            about: "Start one or more stopped containers",
            flags: || {
                vec![
                    Flag::bool(
                        "attach",
                        Some('a'),
                        "Attach STDOUT/STDERR and forward signals",
                    ),
                    Flag::value(
                        "detach-keys",
                        None,
                        "string",
                        "Override the key sequence for detaching a container",
                    ),
                    Flag::bool("interactive", Some('i'), "Attach container's STDIN"),
                ]
            },
            args: Args::Min(1),
            interspersed: true,
            run: start,
        },
    ]
}

/// docker's `withHelp`: `wharf: <message>` and the pointer to `--help`, with `status`.
pub fn with_help(message: impl std::fmt::Display, cmd: &str, status: i32) -> CliError {
    CliError::Status {
        message: format!("{PROG}: {message}\n\nRun '{PROG} {cmd} --help' for more information"),
        status,
    }
}

/// docker's `toStatusError` for `run`: 127 when the command was not found, 126 when it could
/// not be executed, 125 for any other failure.
pub fn run_status_error(e: CliError) -> CliError {
    if let CliError::Exit(_) | CliError::Status { .. } = e {
        return e;
    }
    let m = e.to_string();
    let status = if m.contains("executable file not found")
        || m.contains("no such file or directory")
        || m.contains("system cannot find the file specified")
    {
        127
    } else if m.contains("permission denied") || m.contains("is a directory") {
        126
    } else {
        125
    };
    with_help(m, "run", status)
}

fn validate_pull(p: &Parsed, cmd: &str) -> Result<String, CliError> {
    let pull = p.string("pull");
    match pull.as_str() {
        "always" | "missing" | "never" => Ok(pull),
        _ => Err(with_help(
            format!(
                "invalid pull option: '{pull}': must be one of \"always\", \"missing\" or \"never\""
            ),
            cmd,
            125,
        )),
    }
}

fn console_size() -> (u16, u16) {
    if term::stdout_is_terminal() {
        term::size().unwrap_or((0, 0))
    } else {
        (0, 0)
    }
}

fn create(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let pull = validate_pull(p, "create")?;
    let spec = create_spec(p, &p.args, console_size()).map_err(|m| with_help(m, "create", 125))?;
    let id = create_container(ctx, &spec, &pull, p.bool("quiet"), &p.string("cidfile"))?;
    ctx.println(id)
}

/// Pulls `image` (docker's `pullImage`), showing progress on stderr unless `quiet`.
fn pull_image(client: &Client, image: &str, platform: &str, quiet: bool) -> Result<(), CliError> {
    let (name, tag) = split_image(image);
    let mut q = vec![("fromImage", name)];
    if !tag.is_empty() {
        q.push(("tag", tag));
    }
    if !platform.is_empty() {
        q.push(("platform", platform.to_string()));
    }
    let auth = crate::credentials::auth_header_for_image(None, image);
    let mut resp = client.call_with(
        "POST",
        &with_query("/images/create", &q),
        Body::None,
        &[("X-Registry-Auth", &auth)],
    )?;
    let mut err = std::io::stderr();
    let mut line = String::new();
    loop {
        line.clear();
        let n = std::io::BufRead::read_line(&mut resp.body, &mut line)
            .map_err(CliError::io("reading the pull progress"))?;
        if n == 0 {
            return Ok(());
        }
        let Ok(msg) = serde_json::from_str::<Value>(line.trim()) else {
            continue;
        };
        if let Some(e) = msg["errorDetail"]["message"]
            .as_str()
            .or(msg["error"].as_str())
        {
            return Err(CliError::msg(e.to_string()));
        }
        if quiet {
            continue;
        }
        if let Some(status) = msg["status"].as_str() {
            let id = msg["id"].as_str().filter(|i| !i.is_empty());
            let _ = match id {
                Some(id) => writeln!(err, "{id}: {status}"),
                None => writeln!(err, "{status}"),
            };
        }
    }
}

/// `name[:tag]` or `name@digest` as `fromImage` and `tag` (docker's reference split).
fn split_image(image: &str) -> (String, String) {
    if let Some((n, d)) = image.split_once('@') {
        return (n.to_string(), d.to_string());
    }
    match image.rfind(':') {
        Some(i) if !image[i..].contains('/') => {
            (image[..i].to_string(), image[i + 1..].to_string())
        }
        _ => (image.to_string(), "latest".to_string()),
    }
}

/// docker's `createContainer`: the cidfile, `--pull always`, the create call, and on "no such
/// image" with `--pull missing` the pull and a second try. Prints the engine's warnings.
pub fn create_container(
    ctx: &mut Ctx,
    spec: &CreateSpec,
    pull: &str,
    quiet: bool,
    cidfile: &str,
) -> Result<String, CliError> {
    let cid = CidFile::new(cidfile)?;
    let named = match AnyReference::parse(&spec.image) {
        Ok(AnyReference::Named(r)) => Some(r.with_default_tag().familiar_string()),
        Ok(AnyReference::Digest(_)) => None,
        Err(e) => return Err(CliError::msg(e.to_string())),
    };
    let client = ctx.client()?.clone();
    if pull == "always" {
        pull_image(&client, &spec.image, &spec.platform, quiet)?;
    }
    let mut q = Vec::new();
    if !spec.name.is_empty() {
        q.push(("name", spec.name.clone()));
    }
    if !spec.platform.is_empty() {
        q.push(("platform", spec.platform.clone()));
    }
    let path = with_query("/containers/create", &q);
    let resp = match client.call("POST", &path, Body::json(&spec.body)) {
        Err(e) if e.is_not_found() && pull == "missing" && named.is_some() => {
            ctx.flush()?;
            if !quiet {
                eprintln!(
                    "Unable to find image '{}' locally",
                    named.as_deref().unwrap_or("")
                );
            }
            pull_image(&client, &spec.image, &spec.platform, quiet)?;
            client.call("POST", &path, Body::json(&spec.body))?
        }
        r => r?,
    };
    let created: Value = decode(resp)?;
    let id = created["Id"].as_str().unwrap_or("").to_string();
    let mut warnings: Vec<String> = created["Warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for dns in spec.body["HostConfig"]["Dns"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(ip) = dns
            .as_str()
            .and_then(|d| d.parse::<std::net::IpAddr>().ok())
            && ip.is_loopback()
        {
            warnings.push(format!("Localhost DNS ({ip}) may fail in containers."));
            break;
        }
    }
    for w in warnings {
        eprintln!("WARNING: {w}");
    }
    cid.write(&id)?;
    Ok(id)
}

/// `--cidfile`: refused if it exists; removed again if no ID was written.
struct CidFile {
    path: String,
    written: std::cell::Cell<bool>,
}

impl CidFile {
    fn new(path: &str) -> Result<CidFile, CliError> {
        if !path.is_empty() {
            if std::path::Path::new(path).exists() {
                return Err(CliError::msg(format!(
                    "container ID file found, make sure the other container isn't running or delete {path}"
                )));
            }
            std::fs::File::create(path).map_err(|e| {
                CliError::msg(format!("failed to create the container ID file: {e}"))
            })?;
        }
        Ok(CidFile {
            path: path.to_string(),
            written: std::cell::Cell::new(false),
        })
    }

    fn write(&self, id: &str) -> Result<(), CliError> {
        if self.path.is_empty() {
            return Ok(());
        }
        std::fs::write(&self.path, id).map_err(|e| {
            CliError::msg(format!("failed to write the container ID to the file: {e}"))
        })?;
        self.written.set(true);
        Ok(())
    }
}

impl Drop for CidFile {
    fn drop(&mut self) {
        if !self.path.is_empty() && !self.written.get() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The detach keys to use: `--detach-keys`, else ctrl-p,ctrl-q. As in docker 28, invalid keys
/// fall back to the default on the terminal and are left for the engine to refuse.
pub fn detach_keys(p: &Parsed) -> (String, Vec<u8>) {
    let s = p.string("detach-keys");
    let keys = detach::parse_keys(&s)
        .ok()
        .filter(|k| !s.is_empty() && !k.is_empty())
        .unwrap_or_else(|| detach::DEFAULT_KEYS.to_vec());
    (s, keys)
}

/// Opens the attach stream of `id`.
pub fn attach_stream(
    client: &Client,
    id: &str,
    stdin: bool,
    stdout: bool,
    stderr: bool,
    keys: &str,
) -> Result<crate::hijack::Hijacked, CliError> {
    let mut q = vec![("stream", "1".to_string())];
    for (on, name) in [(stdin, "stdin"), (stdout, "stdout"), (stderr, "stderr")] {
        if on {
            q.push((name, "1".into()));
        }
    }
    if !keys.is_empty() {
        q.push(("detachKeys", keys.to_string()));
    }
    client.hijack(
        "POST",
        &with_query(&format!("{}/attach", cpath(id)), &q),
        Body::None,
    )
}

/// Registers a wait on `id` (returning once the engine has it) and delivers the exit status
/// on the channel when the container exits (or is removed): 125 if waiting failed.
pub fn wait_exit(
    client: &Client,
    id: &str,
    removed: bool,
) -> Result<mpsc::Receiver<i32>, CliError> {
    let condition = if removed { "removed" } else { "next-exit" };
    let resp = client.call(
        "POST",
        &with_query(
            &format!("{}/wait", cpath(id)),
            &[("condition", condition.into())],
        ),
        Body::None,
    )?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let status = match serde_json::from_reader::<_, Value>(resp.body) {
            Ok(v) => match v["Error"]["Message"].as_str().filter(|m| !m.is_empty()) {
                Some(m) => {
                    eprintln!("Error waiting for container: {m}");
                    125
                }
                None => v["StatusCode"].as_i64().unwrap_or(125) as i32,
            },
            Err(e) => {
                eprintln!("error waiting for container: {e}");
                125
            }
        };
        let _ = tx.send(status);
    });
    Ok(rx)
}

fn run(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let pull = validate_pull(p, "run")?;
    let mut spec = create_spec(p, &p.args, console_size()).map_err(|m| with_help(m, "run", 125))?;
    let detach = p.bool("detach");
    if !detach {
        if spec.tty && spec.attach_stdin && !term::stdin_is_terminal() {
            return Err(CliError::msg("the input device is not a TTY"));
        }
    } else {
        if !p.list("attach").is_empty() {
            return Err(CliError::msg(
                "conflicting options: cannot specify both --attach and --detach",
            ));
        }
        spec.attach_stdin = false;
        spec.attach_stdout = false;
        spec.attach_stderr = false;
        for k in ["AttachStdin", "AttachStdout", "AttachStderr", "StdinOnce"] {
            spec.body[k] = Value::Bool(false);
        }
    }
    let (keys_str, keys) = detach_keys(p);
    let id = create_container(ctx, &spec, &pull, p.bool("quiet"), &p.string("cidfile"))
        .map_err(run_status_error)?;
    let client = ctx.client()?.clone();
    let _proxy = if p.bool("sig-proxy") {
        signals::forward_all(&client, &id).ok()
    } else {
        None
    };
    let attach = spec.attach_stdin || spec.attach_stdout || spec.attach_stderr;
    let mut streams = None;
    if attach {
        let conn = attach_stream(
            &client,
            &id,
            spec.attach_stdin,
            spec.attach_stdout,
            spec.attach_stderr,
            &keys_str,
        )?;
        streams = Some(conn);
    }
    let status = wait_exit(&client, &id, spec.auto_remove).map_err(run_status_error)?;
    let raw = if attach && spec.tty && spec.attach_stdin {
        Some(RawMode::enable().map_err(|e| {
            CliError::msg(format!(
                "unable to setup input stream: unable to set IO streams as raw terminal: {e}"
            ))
        })?)
    } else {
        None
    };
    if let Err(e) = client.call("POST", &format!("{}/start", cpath(&id)), Body::None) {
        drop(raw);
        if let Some(c) = &streams {
            c.close();
        }
        if spec.auto_remove {
            let _ = status.recv();
        }
        return Err(run_status_error(e));
    }
    let Some(conn) = streams else {
        return ctx.println(&id);
    };
    ctx.flush()?;
    let _resize = if spec.tty && term::stdout_is_terminal() {
        signals::monitor_size(&client, ResizeTarget::Container(id.clone())).ok()
    } else {
        None
    };
    let ended = pump::pump(
        conn,
        PumpOptions {
            stdin: spec.attach_stdin,
            stdout: spec.attach_stdout,
            stderr: spec.attach_stderr,
            tty: spec.tty,
            detach_keys: keys,
            raw: raw.clone(),
        },
    );
    drop(raw);
    match ended? {
        Ended::Detached => Ok(()),
        Ended::Finished => match status.recv().unwrap_or(125) {
            0 => Ok(()),
            s => Err(CliError::Exit(s)),
        },
    }
}

fn start(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let attach = p.bool("attach");
    let interactive = p.bool("interactive");
    if !(attach || interactive) {
        let client = ctx.client()?.clone();
        let mut failed = Vec::new();
        for name in &p.args {
            match client.call("POST", &format!("{}/start", cpath(name)), Body::None) {
                Ok(_) => ctx.println(name)?,
                Err(e @ CliError::Daemon { .. }) => {
                    ctx.flush()?;
                    eprintln!("{e}");
                    failed.push(name.clone());
                }
                Err(e) => return Err(e),
            }
        }
        if !failed.is_empty() {
            return Err(CliError::msg(format!(
                "Error: failed to start containers: {}",
                failed.join(", ")
            )));
        }
        return Ok(());
    }
    if p.args.len() > 1 {
        return Err(CliError::msg(
            "you cannot start and attach multiple containers at once",
        ));
    }
    let client = ctx.client()?.clone();
    let c: Value = client.get_json(&format!("{}/json", cpath(&p.args[0])))?;
    let id = c["Id"].as_str().unwrap_or("").to_string();
    let tty = c["Config"]["Tty"].as_bool().unwrap_or(false);
    let open_stdin = c["Config"]["OpenStdin"].as_bool().unwrap_or(false);
    let auto_remove = c["HostConfig"]["AutoRemove"].as_bool().unwrap_or(false);
    let _proxy = if !tty {
        signals::forward_all(&client, &id).ok()
    } else {
        None
    };
    let (keys_str, keys) = detach_keys(p);
    let stdin = interactive && open_stdin;
    let conn = attach_stream(&client, &id, stdin, true, true, &keys_str)?;
    let status = wait_exit(&client, &id, auto_remove)?;
    let raw = if stdin && tty && term::stdin_is_terminal() {
        RawMode::enable().ok()
    } else {
        None
    };
    if let Err(e) = client.call("POST", &format!("{}/start", cpath(&id)), Body::None) {
        drop(raw);
        conn.close();
        if auto_remove {
            let _ = status.recv();
        }
        return Err(e);
    }
    ctx.flush()?;
    let _resize = if tty && term::stdout_is_terminal() {
        signals::monitor_size(&client, ResizeTarget::Container(id.clone())).ok()
    } else {
        None
    };
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
    match ended? {
        Ended::Detached => Ok(()),
        Ended::Finished => match status.recv().unwrap_or(125) {
            0 => Ok(()),
            s => Err(CliError::Exit(s)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_failures_map_to_dockers_statuses() {
        let e = |m: &str| {
            run_status_error(CliError::Daemon {
                status: 400,
                message: m.into(),
            })
        };
        let nf = e("exec: \"nope\": executable file not found in $PATH: unknown");
        assert_eq!(nf.status(), 127);
        assert_eq!(
            nf.to_string(),
            "wharf: Error response from daemon: exec: \"nope\": executable file not found in $PATH: unknown\n\nRun 'wharf run --help' for more information"
        );
        assert_eq!(
            e("exec: \"/etc\": permission denied: unknown").status(),
            126
        );
        assert_eq!(e("No such image: x:latest").status(), 125);
    }

    #[test]
    fn images_split_into_from_image_and_tag() {
        assert_eq!(split_image("busybox"), ("busybox".into(), "latest".into()));
        assert_eq!(
            split_image("reg:5000/a/b:1.0"),
            ("reg:5000/a/b".into(), "1.0".into())
        );
        assert_eq!(
            split_image("reg:5000/a"),
            ("reg:5000/a".into(), "latest".into())
        );
        assert_eq!(split_image("a@sha256:00"), ("a".into(), "sha256:00".into()));
    }
}
