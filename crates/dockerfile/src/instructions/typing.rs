//! Typing raw nodes into instructions and stages (buildkit
//! `instructions/parse.go`).

use std::time::Duration;

use super::flags::{Flags, Kind};
use super::types::*;
use super::{InstructionError, ParseError, duration, mount};
use crate::gostr;
use crate::parser::{self, Ast, Heredoc, Node, go_lower, parse_heredoc};
use crate::suggest;

/// The result of typing one node.
pub(super) enum Typed {
    From(Stage),
    Command(Instruction),
}

const ALL_INSTRUCTIONS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Arguments of a node as buildkit's `nodeArgs` flattens them.
fn node_args(node: &Node) -> Vec<String> {
    let mut out = node.next.clone();
    if let Some(sub) = &node.sub {
        out.push(sub.value.clone());
        out.extend(node_args(sub));
    }
    out
}

fn loc(node: &Node) -> Location {
    Location {
        start_line: node.start_line,
        end_line: node.end_line,
    }
}

/// Type a parsed [`Ast`] into stages (buildkit `instructions.Parse`).
pub fn from_ast(ast: Ast) -> Result<Dockerfile, ParseError> {
    let mut meta_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    for node in &ast.children {
        let typed = type_node(node).map_err(|error| ParseError::Instruction {
            line: node.start_line,
            end_line: node.end_line,
            error,
        })?;
        match typed {
            Typed::From(stage) => stages.push(stage),
            Typed::Command(instruction) => {
                let cmd = command(node, instruction);
                if stages.is_empty() && matches!(cmd.instruction, Instruction::Arg(_)) {
                    meta_args.push(cmd);
                    continue;
                }
                let Some(stage) = stages.last_mut() else {
                    return Err(ParseError::NoBuildStage {
                        line: node.start_line,
                        end_line: node.end_line,
                    });
                };
                stage.instructions.push(cmd);
            }
        }
    }
    if stages.is_empty() {
        return Err(ParseError::NoStages);
    }
    Ok(Dockerfile {
        directives: ast.directives,
        escape_token: ast.escape_token,
        meta_args,
        stages,
        warnings: ast.warnings,
    })
}

fn command(node: &Node, instruction: Instruction) -> Command {
    Command {
        keyword: node.value.clone(),
        source: gostr::trim_space(&node.original).to_string(),
        location: loc(node),
        comments: node.prev_comment.clone(),
        instruction,
    }
}

/// Parse one ONBUILD trigger expression taken from a base image's config
/// (buildkit re-parses it with the default `\` escape).
pub fn parse_onbuild_trigger(expr: &str) -> Result<Command, ParseError> {
    let ast = parser::parse(expr)?;
    if ast.children.len() != 1 {
        return Err(ParseError::TriggerNotSingle);
    }
    let node = &ast.children[0];
    let err = |error| ParseError::Instruction {
        line: node.start_line,
        end_line: node.end_line,
        error,
    };
    match type_node(node).map_err(err)? {
        Typed::Command(i) => Ok(command(node, i)),
        // buildkit: "*instructions.Stage is not a command type"; ONBUILD
        // already rejects FROM triggers, so only a hand-made config gets here.
        Typed::From(_) => Err(err(InstructionError::OnbuildTrigger("FROM".into()))),
    }
}

fn doc_comment(comments: &[String], name: &str) -> String {
    if name.is_empty() {
        return String::new();
    }
    let prefix = format!("{name} ");
    comments
        .iter()
        .find_map(|c| c.strip_prefix(&prefix))
        .unwrap_or_default()
        .to_string()
}

fn kvps(args: &[String], name: &'static str) -> Result<Vec<KeyValue>, InstructionError> {
    if args.is_empty() {
        return Err(InstructionError::AtLeastOneArgument(name));
    }
    if !args.len().is_multiple_of(3) {
        return Err(InstructionError::TooManyArguments(name));
    }
    args.chunks(3)
        .map(|c| {
            if c[0].is_empty() {
                return Err(InstructionError::BlankName(name));
            }
            Ok(KeyValue {
                key: c[0].clone(),
                value: c[1].clone(),
                no_delim: c[2].is_empty(),
            })
        })
        .collect()
}

fn no_flags(node: &Node) -> Result<(), InstructionError> {
    Flags::parse(&node.flags, &[])?;
    Ok(())
}

fn exactly_one(args: &[String], name: &'static str) -> Result<String, InstructionError> {
    match args {
        [one] => Ok(one.clone()),
        _ => Err(InstructionError::ExactlyOneArgument(name)),
    }
}

fn command_line(node: &Node, args: Vec<String>, empty_as_none: bool) -> CommandLine {
    let files = node
        .heredocs
        .iter()
        .map(|h| InlineFile {
            name: h.name.clone(),
            data: h.content.clone(),
            chomp: h.chomp,
        })
        .collect();
    let args = json_args(args, node.json);
    CommandLine {
        args: if empty_as_none && args.is_empty() {
            None
        } else {
            Some(args)
        },
        prepend_shell: !node.json,
        files,
    }
}

/// buildkit `handleJSONArgs`: shell-form words are joined with spaces.
fn json_args(args: Vec<String>, json: bool) -> Vec<String> {
    if args.is_empty() || json {
        args
    } else {
        vec![args.join(" ")]
    }
}

fn sources_and_dest(
    node: &Node,
    args: &[String],
    name: &'static str,
) -> Result<SourcesAndDest, InstructionError> {
    let (dest, srcs) = args
        .split_last()
        .ok_or(InstructionError::NoDestination(name))?;
    if matches!(parse_heredoc(dest), Ok(Some(_))) {
        return Err(InstructionError::HeredocDestination(name));
    }
    let mut out = SourcesAndDest {
        dest: dest.clone(),
        sources: Vec::new(),
        contents: Vec::new(),
    };
    for src in srcs {
        match parse_heredoc(src) {
            Ok(Some(h)) => {
                let found: Option<&Heredoc> = node.heredocs.iter().rev().find(|d| d.name == h.name);
                let mut data = found.map(|d| d.content.clone()).unwrap_or_default();
                if h.chomp {
                    data = parser::chomp_heredoc_content(&data);
                }
                out.contents.push(SourceContent {
                    path: h.name,
                    data,
                    expand: h.expand,
                });
            }
            _ => out.sources.push(src.clone()),
        }
    }
    Ok(out)
}

fn is_valid_stage_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

fn parse_interval(value: Option<String>, name: &'static str) -> Result<Duration, InstructionError> {
    let Some(v) = value.filter(|v| !v.is_empty()) else {
        return Ok(Duration::ZERO);
    };
    let nanos = duration::parse_duration(&v).map_err(InstructionError::Duration)?;
    if nanos == 0 {
        return Ok(Duration::ZERO);
    }
    if nanos < 1_000_000 {
        return Err(InstructionError::IntervalTooShort(name));
    }
    Ok(Duration::from_nanos(nanos as u64))
}

pub(super) fn type_node(node: &Node) -> Result<Typed, InstructionError> {
    let args = node_args(node);
    let cmd = |i| Ok(Typed::Command(i));
    match go_lower(&node.value).as_str() {
        "env" => {
            no_flags(node)?;
            cmd(Instruction::Env(kvps(&args, "ENV")?))
        }
        "maintainer" => {
            let m = exactly_one(&args, "MAINTAINER")?;
            no_flags(node)?;
            cmd(Instruction::Maintainer(m))
        }
        "label" => {
            no_flags(node)?;
            cmd(Instruction::Label(kvps(&args, "LABEL")?))
        }
        "add" => {
            if args.len() < 2 {
                return Err(InstructionError::NoDestination("ADD"));
            }
            let f = Flags::parse(
                &node.flags,
                &[
                    ("chown", Kind::String),
                    ("chmod", Kind::String),
                    ("link", Kind::Bool),
                    ("keep-git-dir", Kind::Bool),
                    ("checksum", Kind::String),
                    ("unpack", Kind::Bool),
                    ("exclude", Kind::Strings),
                ],
            )?;
            cmd(Instruction::Add(AddInstruction {
                files: sources_and_dest(node, &args, "ADD")?,
                chown: f.string("chown"),
                chmod: f.string("chmod"),
                link: f.bool("link"),
                keep_git_dir: f.opt_bool("keep-git-dir"),
                checksum: f.string("checksum"),
                unpack: f.opt_bool("unpack"),
                exclude: f.list("exclude"),
            }))
        }
        "copy" => {
            if args.len() < 2 {
                return Err(InstructionError::NoDestination("COPY"));
            }
            let f = Flags::parse(
                &node.flags,
                &[
                    ("chown", Kind::String),
                    ("from", Kind::String),
                    ("chmod", Kind::String),
                    ("link", Kind::Bool),
                    ("exclude", Kind::Strings),
                    ("parents", Kind::Bool),
                ],
            )?;
            cmd(Instruction::Copy(CopyInstruction {
                files: sources_and_dest(node, &args, "COPY")?,
                from: f.string("from"),
                chown: f.string("chown"),
                chmod: f.string("chmod"),
                link: f.bool("link"),
                parents: f.bool("parents"),
                exclude: f.list("exclude"),
            }))
        }
        "from" => {
            let name = match args.as_slice() {
                [_, as_kw, name] if as_kw.eq_ignore_ascii_case("as") => {
                    let lower = go_lower(name);
                    if !is_valid_stage_name(&lower) {
                        return Err(InstructionError::InvalidStageName(name.clone()));
                    }
                    Some(lower)
                }
                [_] => None,
                _ => return Err(InstructionError::FromArguments),
            };
            let f = Flags::parse(&node.flags, &[("platform", Kind::String)])?;
            Ok(Typed::From(Stage {
                doc_comment: doc_comment(&node.prev_comment, name.as_deref().unwrap_or("")),
                name,
                base: args[0].clone(),
                platform: f.opt_string("platform").filter(|p| !p.is_empty()),
                keyword: node.value.clone(),
                source: gostr::trim_space(&node.original).to_string(),
                location: loc(node),
                comments: node.prev_comment.clone(),
                instructions: Vec::new(),
            }))
        }
        "onbuild" => {
            if args.is_empty() {
                return Err(InstructionError::AtLeastOneArgument("ONBUILD"));
            }
            no_flags(node)?;
            let trigger = gostr::trim_space(&args[0]).to_uppercase();
            match trigger.as_str() {
                "ONBUILD" => return Err(InstructionError::OnbuildChain),
                "MAINTAINER" | "FROM" => return Err(InstructionError::OnbuildTrigger(trigger)),
                _ => {}
            }
            let mut expr = strip_onbuild_keyword(&node.original).to_string();
            for h in &node.heredocs {
                expr.push('\n');
                expr.push_str(&h.content);
                expr.push_str(&h.name);
            }
            cmd(Instruction::Onbuild(expr))
        }
        "workdir" => {
            let w = exactly_one(&args, "WORKDIR")?;
            no_flags(node)?;
            cmd(Instruction::Workdir(w))
        }
        "run" => type_run(node, args),
        "cmd" => {
            no_flags(node)?;
            cmd(Instruction::Cmd(command_line(node, args, false)))
        }
        "entrypoint" => {
            no_flags(node)?;
            cmd(Instruction::Entrypoint(command_line(node, args, true)))
        }
        "healthcheck" => type_healthcheck(node, args),
        "expose" => {
            if args.is_empty() {
                return Err(InstructionError::AtLeastOneArgument("EXPOSE"));
            }
            no_flags(node)?;
            let mut ports = args;
            ports.sort();
            cmd(Instruction::Expose(ports))
        }
        "user" => {
            let u = exactly_one(&args, "USER")?;
            no_flags(node)?;
            cmd(Instruction::User(u))
        }
        "volume" => {
            if args.is_empty() {
                return Err(InstructionError::AtLeastOneArgument("VOLUME"));
            }
            no_flags(node)?;
            let mut vols = Vec::with_capacity(args.len());
            for v in &args {
                let v = gostr::trim_space(v);
                if v.is_empty() {
                    return Err(InstructionError::EmptyVolume);
                }
                vols.push(v.to_string());
            }
            cmd(Instruction::Volume(vols))
        }
        // buildkit ignores flags on STOPSIGNAL and ARG.
        "stopsignal" => cmd(Instruction::StopSignal(exactly_one(&args, "STOPSIGNAL")?)),
        "arg" => {
            if args.is_empty() {
                return Err(InstructionError::AtLeastOneArgument("ARG"));
            }
            let mut defs = Vec::with_capacity(args.len());
            for a in &args {
                let (key, value) = match a.split_once('=') {
                    Some(("", _)) => return Err(InstructionError::BlankName("ARG")),
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (a.clone(), None),
                };
                defs.push(ArgDef {
                    doc_comment: doc_comment(&node.prev_comment, &key),
                    key,
                    value,
                });
            }
            cmd(Instruction::Arg(defs))
        }
        "shell" => {
            no_flags(node)?;
            let shell = json_args(args, node.json);
            if shell.is_empty() {
                return Err(InstructionError::AtLeastOneArgument("SHELL"));
            }
            if !node.json {
                return Err(InstructionError::NotJson("SHELL"));
            }
            cmd(Instruction::Shell(shell))
        }
        _ => Err(InstructionError::UnknownInstruction {
            suggestion: suggest::search(&node.value, ALL_INSTRUCTIONS, false),
            name: node.value.clone(),
        }),
    }
}

/// Remove `(?i)^\s*ONBUILD\s*` from the original line.
fn strip_onbuild_keyword(original: &str) -> &str {
    let re_space = |c: char| matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ');
    let s = original.trim_start_matches(re_space);
    match s.get(..7) {
        Some(kw) if kw.eq_ignore_ascii_case("onbuild") => s[7..].trim_start_matches(re_space),
        _ => original,
    }
}

fn type_run(node: &Node, args: Vec<String>) -> Result<Typed, InstructionError> {
    let f = Flags::parse(
        &node.flags,
        &[
            ("device", Kind::Strings),
            ("mount", Kind::Strings),
            ("network", Kind::String),
            ("security", Kind::String),
        ],
    )?;
    let cmd = command_line(node, args, false);
    let devices = f
        .list("device")
        .iter()
        .map(|d| mount::parse_device(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(InstructionError::Device)?;
    let mounts = f.list("mount");
    for m in &mounts {
        mount::check_mount(m)?;
    }
    let network = match f.opt_string("network").as_deref().unwrap_or("default") {
        "default" => NetworkMode::Default,
        "none" => NetworkMode::None,
        "host" => NetworkMode::Host,
        other => return Err(InstructionError::InvalidNetwork(other.to_string())),
    };
    let security = match f.opt_string("security").as_deref().unwrap_or("sandbox") {
        "sandbox" => Security::Sandbox,
        "insecure" => Security::Insecure,
        other => return Err(InstructionError::InvalidSecurity(other.to_string())),
    };
    Ok(Typed::Command(Instruction::Run(RunInstruction {
        cmd,
        mounts,
        network,
        security,
        devices,
        flags_used: f.used(),
    })))
}

fn type_healthcheck(node: &Node, args: Vec<String>) -> Result<Typed, InstructionError> {
    let Some(first) = args.first() else {
        return Err(InstructionError::AtLeastOneArgument("HEALTHCHECK"));
    };
    let typ = first.to_uppercase();
    let rest = args[1..].to_vec();
    let mut hc = Healthcheck {
        test: Vec::new(),
        interval: Duration::ZERO,
        timeout: Duration::ZERO,
        start_period: Duration::ZERO,
        start_interval: Duration::ZERO,
        retries: 0,
    };
    if typ == "NONE" {
        if !rest.is_empty() {
            return Err(InstructionError::HealthcheckNoneArguments);
        }
        hc.test = vec![typ];
        return Ok(Typed::Command(Instruction::Healthcheck(hc)));
    }
    let f = Flags::parse(
        &node.flags,
        &[
            ("interval", Kind::String),
            ("timeout", Kind::String),
            ("start-period", Kind::String),
            ("start-interval", Kind::String),
            ("retries", Kind::String),
        ],
    )?;
    if typ != "CMD" {
        return Err(InstructionError::HealthcheckType(typ));
    }
    let cmd = json_args(rest, node.json);
    if cmd.is_empty() {
        return Err(InstructionError::HealthcheckMissingCommand);
    }
    let kind = if node.json { "CMD" } else { "CMD-SHELL" };
    hc.test = std::iter::once(kind.to_string()).chain(cmd).collect();
    hc.interval = parse_interval(f.opt_string("interval"), "interval")?;
    hc.timeout = parse_interval(f.opt_string("timeout"), "timeout")?;
    hc.start_period = parse_interval(f.opt_string("start-period"), "start-period")?;
    hc.start_interval = parse_interval(f.opt_string("start-interval"), "start-interval")?;
    if let Some(r) = f.opt_string("retries").filter(|r| !r.is_empty()) {
        let n = gostr::parse_int(&r, 32)
            .map_err(|e| InstructionError::Retries(e.message("ParseInt", &r)))?;
        if n < 0 {
            return Err(InstructionError::NegativeRetries(n));
        }
        hc.retries = n;
    }
    Ok(Typed::Command(Instruction::Healthcheck(hc)))
}
