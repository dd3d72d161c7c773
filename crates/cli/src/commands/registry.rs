//! Registry commands: pull, push, login, logout, search.

use std::io::{BufRead, IsTerminal, Read, Write};

use serde_json::{Value, json};
use wharf_reference::Reference;

use crate::app::{Args, Command};
use crate::client::{Body, with_query};
use crate::commands::images::filters_from_flags;
use crate::context::Ctx;
use crate::credentials::{self, ConfigFile, Credentials, INDEX_SERVER};
use crate::error::CliError;
use crate::flags::{Flag, Parsed};
use crate::format::{self, Columns, Format};
use crate::jsonmessage;

pub fn commands() -> Vec<Command> {
    vec![
        Command {
            path: "image pull",
            aliases: &["pull"],
            usage: "[OPTIONS] NAME[:TAG|@DIGEST]",
            about: "Download an image from a registry",
            flags: || {
                vec![
                    Flag::bool(
                        "all-tags",
                        Some('a'),
                        "Download all tagged images in the repository",
                    ),
                    Flag::bool("disable-content-trust", None, "Skip image verification")
                        .default("true"),
                    Flag::value(
                        "platform",
                        None,
                        "string",
                        "Set platform if server is multi-platform capable",
                    ),
                    Flag::bool("quiet", Some('q'), "Suppress verbose output"),
                ]
            },
            args: Args::Exact(1),
            interspersed: true,
            run: pull,
        },
        Command {
            path: "image push",
            aliases: &["push"],
            usage: "[OPTIONS] NAME[:TAG]",
            about: "Upload an image to a registry",
            flags: || {
                vec![
                    Flag::bool(
                        "all-tags",
                        Some('a'),
                        "Push all tags of an image to the repository",
                    ),
                    Flag::bool("disable-content-trust", None, "Skip image signing").default("true"),
                    Flag::bool("quiet", Some('q'), "Suppress verbose output"),
                ]
            },
            args: Args::Exact(1),
            interspersed: true,
            run: push,
        },
        Command {
            path: "login",
            aliases: &[],
            usage: "[OPTIONS] [SERVER]",
            about: "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
            flags: || {
                vec![
                    Flag::value(
                        "password",
                        Some('p'),
                        "string",
                        "Password or Personal Access Token (PAT)",
                    ),
                    Flag::bool(
                        "password-stdin",
                        None,
                        "Take the Password or Personal Access Token (PAT) from stdin",
                    ),
                    Flag::value("username", Some('u'), "string", "Username"),
                ]
            },
            args: Args::Max(1),
            interspersed: true,
            run: login,
        },
        Command {
            path: "logout",
            aliases: &[],
            usage: "[SERVER]",
            about: "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.",
            flags: Vec::new,
            args: Args::Max(1),
            interspersed: true,
            run: logout,
        },
        Command {
            path: "search",
            aliases: &[],
            usage: "[OPTIONS] TERM",
            about: "Search Docker Hub for images",
            flags: || {
                vec![
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
                        "Pretty-print search using a Go template",
                    ),
                    Flag::value("limit", None, "int", "Max number of search results"),
                    Flag::bool("no-trunc", None, "Don't truncate output"),
                ]
            },
            args: Args::Exact(1),
            interspersed: true,
            run: search,
        },
    ]
}

fn parse_ref(s: &str) -> Result<Reference, CliError> {
    Reference::parse_normalized(s).map_err(|e| CliError::msg(e.to_string()))
}

/// The `X-Registry-Auth` header for a reference's registry, from the stored credentials.
fn auth_header(ctx: &Ctx, registry: &str) -> Result<String, CliError> {
    let cfg = ConfigFile::load(&credentials::config_dir(ctx.config_dir.as_deref()))?;
    let key = credentials::auth_key(registry);
    let creds = cfg.get(&key).unwrap_or_else(|e| {
        eprintln!("WARNING: {e}");
        None
    });
    Ok(creds.unwrap_or_default().header(&key))
}

/// Shows a pull or push stream (nothing but errors with `quiet`).
fn show_stream(
    ctx: &mut Ctx,
    resp: &mut crate::client::Response,
    quiet: bool,
) -> Result<(), CliError> {
    if quiet {
        let mut sink = jsonmessage::Quiet;
        jsonmessage::consume(&mut sink, &mut resp.body)?;
        Ok(())
    } else {
        jsonmessage::display(ctx, &mut resp.body).map(|_| ())
    }
}

fn pull(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let all = p.bool("all-tags");
    let quiet = p.bool("quiet");
    let mut r = parse_ref(&p.args[0])?;
    if all && !r.is_name_only() {
        return Err(CliError::msg("tag can't be used with --all-tags/-a"));
    }
    if !all && r.is_name_only() {
        r = r.with_default_tag();
        if !quiet {
            ctx.println("Using default tag: latest")?;
        }
    }
    let tag = match (r.digest(), r.tag()) {
        (Some(d), _) => d.to_string(),
        (None, Some(t)) => t.to_string(),
        _ => String::new(),
    };
    let mut q = vec![("fromImage", r.name()), ("tag", tag)];
    if let Some(pl) = p.value("platform").filter(|s| !s.is_empty()) {
        q.push(("platform", pl.to_string()));
    }
    let auth = auth_header(ctx, r.domain())?;
    let mut resp = ctx.client()?.call_with(
        "POST",
        &with_query("/images/create", &q),
        Body::None,
        &[("X-Registry-Auth", &auth)],
    )?;
    show_stream(ctx, &mut resp, quiet)?;
    if !all {
        ctx.println(r.to_string())?;
    }
    Ok(())
}

fn push(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let all = p.bool("all-tags");
    let quiet = p.bool("quiet");
    let mut r = parse_ref(&p.args[0])?;
    if r.digest().is_some() {
        return Err(CliError::msg("cannot push a digest reference"));
    }
    if all && !r.is_name_only() {
        return Err(CliError::msg(
            "tag does not exist: --all-tags and a tag cannot be used together",
        ));
    }
    if !all && r.is_name_only() {
        r = r.with_default_tag();
        if !quiet {
            ctx.println("Using default tag: latest")?;
        }
    }
    let q = vec![("tag", r.tag().unwrap_or("").to_string())];
    let auth = auth_header(ctx, r.domain())?;
    let path = format!("/images/{}/push", r.name());
    let mut resp = ctx.client()?.call_with(
        "POST",
        &with_query(&path, &q),
        Body::None,
        &[("X-Registry-Auth", &auth)],
    )?;
    show_stream(ctx, &mut resp, quiet)?;
    if quiet {
        ctx.println(r.to_string())?;
    }
    Ok(())
}

/// The `auths` key and the address sent to the daemon for a `login`/`logout` argument.
fn server_key(arg: Option<&str>) -> String {
    match arg {
        None | Some("") => INDEX_SERVER.to_string(),
        Some(s) => {
            let host = s
                .strip_prefix("http://")
                .or_else(|| s.strip_prefix("https://"))
                .unwrap_or(s);
            let host = host.split('/').next().unwrap_or(host);
            if matches!(
                host,
                "docker.io" | "index.docker.io" | "registry-1.docker.io"
            ) {
                INDEX_SERVER.to_string()
            } else {
                host.to_string()
            }
        }
    }
}

fn prompt(text: &str, echo: bool) -> Result<String, CliError> {
    let mut err = std::io::stderr();
    let _ = write!(err, "{text}");
    let _ = err.flush();
    let stdin = std::io::stdin();
    let restore = if !echo {
        rustix::termios::tcgetattr(&stdin).ok().inspect(|t| {
            let mut t2 = t.clone();
            t2.local_modes.remove(rustix::termios::LocalModes::ECHO);
            let _ = rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &t2);
        })
    } else {
        None
    };
    let mut line = String::new();
    let r = stdin.lock().read_line(&mut line);
    if let Some(t) = restore {
        let _ = rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &t);
        let _ = writeln!(err);
    }
    r.map_err(CliError::io("reading from the terminal"))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

fn login(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let key = server_key(p.args.first().map(String::as_str));
    let mut user = p.string("username");
    let mut pass = p.string("password");
    if !pass.is_empty() {
        eprintln!("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
        if p.bool("password-stdin") {
            return Err(CliError::msg(
                "--password and --password-stdin are mutually exclusive",
            ));
        }
    }
    if p.bool("password-stdin") {
        if user.is_empty() {
            return Err(CliError::msg(
                "Must provide --username with --password-stdin",
            ));
        }
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(CliError::io("reading the password from stdin"))?;
        pass = s.trim_end_matches(['\n', '\r']).to_string();
    }
    let dir = credentials::config_dir(ctx.config_dir.as_deref());
    let mut cfg = ConfigFile::load(&dir)?;
    // Without flags, stored credentials are tried first, as docker does.
    if user.is_empty()
        && pass.is_empty()
        && let Ok(Some(stored)) = cfg.get(&key)
        && try_login(ctx, &key, &stored).is_ok()
    {
        ctx.println("Login Succeeded")?;
        return Ok(());
    }
    let tty = std::io::stdin().is_terminal();
    if user.is_empty() {
        if !tty {
            return Err(CliError::msg(
                "Error: Cannot perform an interactive login from a non TTY device",
            ));
        }
        user = prompt("Username: ", true)?;
    }
    if pass.is_empty() {
        if !tty {
            return Err(CliError::msg(
                "Error: Cannot perform an interactive login from a non TTY device",
            ));
        }
        pass = prompt("Password: ", false)?;
    }
    if user.is_empty() {
        return Err(CliError::msg("Error: Non-null Username Required"));
    }
    if pass.is_empty() {
        return Err(CliError::msg("Error: Password Required"));
    }
    let mut creds = Credentials {
        username: user,
        password: pass,
        ..Default::default()
    };
    let token = try_login(ctx, &key, &creds)?;
    if !token.is_empty() {
        creds.password.clear();
        creds.identity_token = token;
    }
    cfg.store(&key, &creds)?;
    if !cfg.uses_helper(&key) {
        eprintln!(
            "WARNING! Your credentials are stored unencrypted in '{}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n",
            cfg.path().display()
        );
    }
    ctx.println("Login Succeeded")
}

/// `POST /auth`; returns the identity token the registry issued, if any.
fn try_login(ctx: &mut Ctx, key: &str, c: &Credentials) -> Result<String, CliError> {
    let mut body = json!({"serveraddress": key});
    if !c.username.is_empty() {
        body["username"] = Value::String(c.username.clone());
    }
    if !c.password.is_empty() {
        body["password"] = Value::String(c.password.clone());
    }
    if !c.identity_token.is_empty() {
        body["identitytoken"] = Value::String(c.identity_token.clone());
    }
    let resp = ctx
        .client()?
        .call("POST", &with_query("/auth", &[]), Body::json(&body))?;
    let v: Value = serde_json::from_reader(resp.body)
        .map_err(|e| CliError::Protocol(format!("decoding login response: {e}")))?;
    Ok(v.get("IdentityToken")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string())
}

fn logout(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let key = server_key(p.args.first().map(String::as_str));
    let mut cfg = ConfigFile::load(&credentials::config_dir(ctx.config_dir.as_deref()))?;
    let had = cfg.get(&key).ok().flatten().is_some();
    if !had {
        return ctx.println(format!("Not logged in to {key}"));
    }
    ctx.println(format!("Removing login credentials for {key}"))?;
    cfg.erase(&key)?;
    Ok(())
}

const SEARCH_COLUMNS: Columns = &[
    ("Name", "NAME"),
    ("Description", "DESCRIPTION"),
    ("StarCount", "STARS"),
    ("IsOfficial", "OFFICIAL"),
    ("IsAutomated", "AUTOMATED"),
];

fn search(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let term = &p.args[0];
    let mut q = vec![("term", term.clone())];
    if let Some(l) = p.value("limit").filter(|s| !s.is_empty()) {
        let n: i64 = l
            .parse()
            .map_err(|_| CliError::msg(format!("invalid argument \"{l}\" for \"--limit\" flag: strconv.ParseInt: parsing \"{l}\": invalid syntax")))?;
        q.push(("limit", n.to_string()));
    }
    let filters = filters_from_flags(&p.list("filter"))?;
    if !filters.is_empty() {
        q.push(("filters", filters.to_json()));
    }
    let (index, _) = wharf_reference::registry::split_search_term(term);
    let auth = auth_header(ctx, &index)?;
    let resp = ctx.client()?.call_with(
        "GET",
        &with_query("/images/search", &q),
        Body::None,
        &[("X-Registry-Auth", &auth)],
    )?;
    let results: Vec<Value> = serde_json::from_reader(resp.body)
        .map_err(|e| CliError::Protocol(format!("decoding search results: {e}")))?;
    let trunc = !p.bool("no-trunc");
    let ok = |b: bool| if b { "[OK]" } else { "" };
    let rows: Vec<Value> = results
        .iter()
        .map(|r| {
            let mut desc = r["description"].as_str().unwrap_or("").replace('\n', " ");
            if trunc && desc.chars().count() > 45 {
                desc = desc.chars().take(44).collect::<String>() + "…";
            }
            json!({
                "Name": r["name"].as_str().unwrap_or(""),
                "Description": desc,
                "StarCount": r["star_count"].as_i64().unwrap_or(0).to_string(),
                "IsOfficial": ok(r["is_official"].as_bool().unwrap_or(false)),
                "IsAutomated": ok(r["is_automated"].as_bool().unwrap_or(false)),
            })
        })
        .collect();
    let fmt = Format::parse(
        &p.string("format"),
        "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}\t{{.IsAutomated}}",
    )?;
    let text = format::render(&fmt, SEARCH_COLUMNS, &rows)?;
    ctx.print(text)
}
