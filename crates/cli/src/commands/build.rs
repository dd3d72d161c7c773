//! `build` (`image build`, `builder build`) and `builder prune`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::Ordering;

use wharf_api::build::{BuildCachePruneReport, ContextPlan};

use crate::app::{Args, Command};
use crate::buildctx::{self, Source};
use crate::buildview::{self, Mode};
use crate::client::{Body, with_query};
use crate::commands::images::{confirm, filters_from_flags};
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{Flag, Parsed};

pub fn commands() -> Vec<Command> {
    vec![
        Command {
            path: "image build",
            aliases: &["build", "builder build"],
            usage: "[OPTIONS] PATH | URL | -",
            about: "Build an image from a Dockerfile",
            flags: build_flags,
            args: Args::Exact(1),
            interspersed: true,
            run: build,
        },
        Command {
            path: "builder prune",
            aliases: &[],
            usage: "[OPTIONS]",
            about: "Remove build cache",
            flags: || {
                vec![
                    Flag::bool(
                        "all",
                        Some('a'),
                        "Remove all unused build cache, not just dangling ones",
                    ),
                    Flag::list(
                        "filter",
                        None,
                        "filter",
                        "Provide filter values (e.g. \"until=24h\")",
                    ),
                    Flag::bool("force", Some('f'), "Do not prompt for confirmation"),
                    Flag::value(
                        "keep-storage",
                        None,
                        "bytes",
                        "Amount of disk space to keep for cache",
                    ),
                ]
            },
            args: Args::Max(0),
            interspersed: true,
            run: prune,
        },
    ]
}

fn build_flags() -> Vec<Flag> {
    vec![
        Flag::list(
            "add-host",
            None,
            "list",
            "Add a custom host-to-IP mapping (\"host:ip\")",
        ),
        Flag::list("build-arg", None, "list", "Set build-time variables"),
        Flag::list(
            "cache-from",
            None,
            "strings",
            "Images to consider as cache sources",
        ),
        Flag::bool(
            "explain-cache",
            None,
            "Say why each step did not use the build cache",
        ),
        Flag::value(
            "file",
            Some('f'),
            "string",
            "Name of the Dockerfile (Default is \"PATH/Dockerfile\")",
        ),
        Flag::bool("force-rm", None, "Always remove intermediate containers"),
        Flag::value("iidfile", None, "string", "Write the image ID to the file"),
        Flag::list("label", None, "list", "Set metadata for an image"),
        Flag::value(
            "network",
            None,
            "string",
            "Set the networking mode for the RUN instructions during build",
        )
        .default("default"),
        Flag::bool("no-cache", None, "Do not use cache when building the image"),
        Flag::value(
            "platform",
            None,
            "string",
            "Set platform if server is multi-platform capable",
        ),
        Flag::value(
            "progress",
            None,
            "string",
            "Set type of progress output (\"auto\", \"plain\", \"tty\")",
        )
        .default("auto"),
        Flag::bool(
            "pull",
            None,
            "Always attempt to pull a newer version of the image",
        ),
        Flag::bool(
            "quiet",
            Some('q'),
            "Suppress the build output and print image ID on success",
        ),
        Flag::value(
            "rm",
            None,
            "bool",
            "Remove intermediate containers after a successful build",
        )
        .default("true"),
        Flag::list(
            "secret",
            None,
            "stringArray",
            "Secret to expose to the build (format: \"id=mysecret[,src=/local/secret]\")",
        ),
        Flag::list(
            "tag",
            Some('t'),
            "list",
            "Name and optionally a tag in the \"name:tag\" format",
        ),
        Flag::value(
            "target",
            None,
            "string",
            "Set the target build stage to build",
        ),
    ]
}

/// `--build-arg k=v`, or `k` alone taking the value from the environment (absent: null).
fn build_args(p: &Parsed) -> BTreeMap<String, Option<String>> {
    let mut m = BTreeMap::new();
    for a in p.list("build-arg") {
        match a.split_once('=') {
            Some((k, v)) => {
                m.insert(k.to_string(), Some(v.to_string()));
            }
            None => {
                m.insert(a.clone(), std::env::var(&a).ok());
            }
        }
    }
    // Reproducible builds: pass SOURCE_DATE_EPOCH from the environment, as buildx does.
    if !m.contains_key("SOURCE_DATE_EPOCH")
        && let Ok(v) = std::env::var("SOURCE_DATE_EPOCH")
        && !v.is_empty()
    {
        m.insert("SOURCE_DATE_EPOCH".into(), Some(v));
    }
    m
}

fn labels(p: &Parsed) -> BTreeMap<String, String> {
    p.list("label")
        .into_iter()
        .map(|l| match l.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (l, String::new()),
        })
        .collect()
}

/// `--secret id=x,src=FILE` or `id=x,env=VAR`, as JSON (id → hex) for the engine.
fn secrets(p: &Parsed) -> Result<Option<String>, CliError> {
    let mut m = BTreeMap::new();
    for s in p.list("secret") {
        let mut id = String::new();
        let mut src = String::new();
        let mut env = String::new();
        for kv in s.split(',') {
            match kv.split_once('=') {
                Some(("id", v)) => id = v.to_string(),
                Some(("src" | "source", v)) => src = v.to_string(),
                Some(("env", v)) => env = v.to_string(),
                Some(("type", "file" | "env")) => {}
                _ => {
                    return Err(CliError::msg(format!(
                        "invalid secret {s:?}: unexpected key in {kv:?}"
                    )));
                }
            }
        }
        if id.is_empty() {
            id = if !src.is_empty() {
                std::path::Path::new(&src)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            } else {
                env.clone()
            };
        }
        let data = if !src.is_empty() {
            std::fs::read(&src)
                .map_err(|e| CliError::msg(format!("failed to read secret {id}: {e}")))?
        } else {
            let var = if env.is_empty() { id.clone() } else { env };
            std::env::var(&var)
                .map_err(|_| {
                    CliError::msg(format!(
                        "secret {id}: environment variable {var} is not set"
                    ))
                })?
                .into_bytes()
        };
        m.insert(id, hex::encode(data));
    }
    Ok((!m.is_empty()).then(|| serde_json::to_string(&m).unwrap_or_default()))
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

fn build(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let arg = &p.args[0];
    let file = p.string("file");
    let quiet = p.bool("quiet");
    let mut session = String::new();
    let source: Source = if arg == "-" {
        buildctx::from_stdin(&file)?
    } else if is_url(arg) {
        buildctx::from_url(arg, &file)
    } else {
        let scan = buildctx::scan(std::path::Path::new(arg), &file)?;
        // Send only what the engine lacks from the last build of this context (wharf engines);
        // other engines get the whole context.
        match plan_context(ctx, &scan) {
            Some(plan) => {
                session = plan.session.clone();
                scan.partial(&plan.need)
            }
            None => scan.full(),
        }
    };
    let mode = match p.string("progress").as_str() {
        "plain" => Mode::Plain,
        "tty" => Mode::Tty,
        "auto" | "" => {
            if std::io::stdout().is_terminal() && !quiet {
                Mode::Tty
            } else {
                Mode::Plain
            }
        }
        other => {
            return Err(CliError::msg(format!(
                "invalid progress mode {other:?}: use auto, plain or tty"
            )));
        }
    };
    let mut q: Vec<(&str, String)> = Vec::new();
    for t in p.list("tag") {
        q.push(("t", t));
    }
    if !source.remote.is_empty() {
        q.push(("remote", source.remote.clone()));
    }
    q.push(("dockerfile", source.dockerfile.clone()));
    if !session.is_empty() {
        q.push(("context", session));
    }
    q.push((
        "buildargs",
        serde_json::to_string(&build_args(p)).unwrap_or_default(),
    ));
    q.push((
        "labels",
        serde_json::to_string(&labels(p)).unwrap_or_default(),
    ));
    for (flag, param) in [
        ("no-cache", "nocache"),
        ("pull", "pull"),
        ("quiet", "q"),
        ("explain-cache", "explain"),
    ] {
        if p.bool(flag) {
            q.push((param, "1".into()));
        }
    }
    q.push(("rm", "1".into()));
    for (flag, param) in [("target", "target"), ("platform", "platform")] {
        let v = p.string(flag);
        if !v.is_empty() {
            q.push((param, v));
        }
    }
    let net = p.string("network");
    if !net.is_empty() && net != "default" {
        q.push(("networkmode", net));
    }
    let cache_from = p.list("cache-from");
    if !cache_from.is_empty() {
        q.push((
            "cachefrom",
            serde_json::to_string(&cache_from).unwrap_or_default(),
        ));
    }
    for h in p.list("add-host") {
        q.push((
            "extrahosts",
            crate::opts::checks::extra_host(&h).map_err(CliError::msg)?,
        ));
    }
    let secret_header = secrets(p)?;
    let registry_config = crate::credentials::registry_config_header(ctx.config_dir.as_deref());
    let mut headers: Vec<(&str, &str)> = vec![("X-Registry-Config", registry_config.as_str())];
    if let Some(h) = &secret_header {
        headers.push(("X-Wharf-Build-Secrets", h.as_str()));
    }
    let body = match source.body {
        Some(b) => Body::Stream(b, "application/x-tar"),
        None => Body::None,
    };
    let resp =
        ctx.client()?
            .send_with_headers("POST", &with_query("/build", &q), body, &headers)?;
    if !resp.is_success() {
        return Err(crate::client::daemon_error(resp));
    }
    if mode == Mode::Plain && !quiet && source.remote.is_empty() {
        let n = source.sent.load(Ordering::Relaxed);
        ctx.print(format!(
            "Sending build context to Docker daemon  {}\r\n",
            wharf_units::human_size_with_precision(n as f64, 4)
        ))?;
    }
    ctx.flush()?;
    let mut body = resp.body;
    let mut out = std::io::stdout();
    let res = buildview::show(&mut body, mode, &mut out)?;
    let iidfile = p.string("iidfile");
    if !iidfile.is_empty() {
        let id = match res.id.clone() {
            Some(id) => id,
            None if quiet => res.text.trim().to_string(),
            None => String::new(),
        };
        if id.is_empty() {
            return Err(CliError::msg(format!(
                "Server did not provide an image ID. Cannot write {iidfile}"
            )));
        }
        std::fs::write(&iidfile, id).map_err(CliError::io(format!("writing {iidfile}")))?;
    }
    Ok(())
}

/// Asks the engine which files of the context it needs; `None` when it cannot say (not a
/// wharf engine, or an error), and the whole context is sent.
fn plan_context(ctx: &mut Ctx, scan: &buildctx::Scan) -> Option<ContextPlan> {
    if std::env::var_os("WHARF_BUILD_FULL_CONTEXT").is_some() {
        return None;
    }
    let client = ctx.client().ok()?;
    let resp = client
        .send(
            "POST",
            &with_query("/build/context", &[("id", scan.id.clone())]),
            Body::json(&scan.manifest()),
        )
        .ok()?;
    if !resp.is_success() {
        return None;
    }
    serde_json::from_reader(resp.body).ok()
}

fn prune(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let filters = filters_from_flags(&p.list("filter"))?;
    let warning = if p.bool("all") {
        "WARNING! This will remove all build cache."
    } else {
        "WARNING! This will remove all dangling build cache."
    };
    if !p.bool("force") && !confirm(ctx, warning)? {
        return Ok(());
    }
    let mut q = vec![("filters", filters.to_json())];
    if p.bool("all") {
        q.push(("all", "1".into()));
    }
    let ks = p.string("keep-storage");
    if !ks.is_empty() {
        let n = wharf_units::from_human_size(&ks)
            .map_err(|e| CliError::msg(format!("invalid keep-storage: {e}")))?;
        q.push(("keep-storage", n.to_string()));
    }
    let resp = ctx
        .client()?
        .call("POST", &with_query("/build/prune", &q), Body::None)?;
    let report: BuildCachePruneReport = serde_json::from_reader(resp.body)
        .map_err(|e| CliError::Protocol(format!("decoding response: {e}")))?;
    let deleted = report.caches_deleted.unwrap_or_default();
    if !deleted.is_empty() {
        ctx.println("Deleted build cache objects:")?;
        for id in &deleted {
            ctx.println(id)?;
        }
        ctx.println("")?;
    }
    ctx.println(format!(
        "Total reclaimed space: {}",
        wharf_units::human_size(report.space_reclaimed as f64)
    ))
}
