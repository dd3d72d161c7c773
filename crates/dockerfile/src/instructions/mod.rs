//! Typed instructions and build stages (buildkit
//! `frontend/dockerfile/instructions`), with the rules the builder must
//! apply when dispatching them.
//!
//! # What the builder does with a parsed [`Dockerfile`]
//!
//! **Stages.** Each FROM starts a [`Stage`]. Its base name and `--platform`
//! are expanded with [`crate::shell::Lexer::process_word_with_matches`] over
//! the *global* scope only: the meta ARGs ([`Dockerfile::meta_args`], in
//! order, each default expanded with the ARGs before it, overridden by
//! `--build-arg`) plus the predefined platform args `BUILDPLATFORM`,
//! `BUILDOS`, `BUILDOSVERSION`, `BUILDARCH`, `BUILDVARIANT`,
//! `TARGETPLATFORM`, `TARGETOS`, `TARGETOSVERSION`, `TARGETARCH`,
//! `TARGETVARIANT` and `TARGETSTAGE`. An empty result is the error
//! `base name (<raw>) should not be blank`. `scratch` is the empty image. A
//! base equal (exactly, after expansion) to the name of an *earlier* stage
//! builds on that stage; stage names are stored lower-cased, so `FROM
//! Builder` does not match `AS builder`. The target is the last stage unless
//! `--target` names one (`target stage "x" could not be found`).
//!
//! **ARG scoping.** Global ARGs are visible only to FROM lines. Inside a
//! stage, `ARG NAME` without a default imports the global value (if any);
//! a `--build-arg` value overrides any default; a default is expanded with
//! the stage's current environment when the ARG is reached. From then until
//! the end of the stage the ARG is an environment variable for expansion
//! and for RUN, but it is not written to the image config (ENV of the same
//! name takes precedence). Proxy args (`HTTP_PROXY`, `HTTPS_PROXY`,
//! `FTP_PROXY`, `NO_PROXY`, `ALL_PROXY` and lower-case forms) reach RUN
//! without declaration and are kept out of history.
//!
//! **Expansion.** Before dispatching an instruction the builder calls
//! [`Instruction::expand`] with the stage environment (ENV plus in-scope
//! ARGs); ARG is excluded (handled as above) and RUN's mount values are
//! expanded by [`RunInstruction::mounts`].
//!
//! **Layers versus config.** RUN, COPY and ADD produce filesystem changes
//! (a layer each). WORKDIR creates the directory if missing (an empty
//! layer when nothing changed). Everything else only edits the image config
//! and adds an `empty_layer` history entry: ENV, LABEL, ARG, CMD,
//! ENTRYPOINT, EXPOSE, USER, VOLUME, STOPSIGNAL, HEALTHCHECK, SHELL,
//! ONBUILD, MAINTAINER.
//!
//! **ONBUILD.** ONBUILD stores its trigger text in the image config. When a
//! stage's base image carries triggers, the builder parses each with
//! [`parse_onbuild_trigger`] and runs them, in order, before the stage's
//! own instructions; the new image does not inherit the base's triggers.

mod duration;
pub mod expose;
mod flags;
mod mount;

mod expand;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use flags::FlagError;
pub use mount::{Device, Mount, MountError, MountType, ShareMode, parse_mount};

use crate::gostr;
use crate::parser::{self, Ast, Directive, Heredoc, Node, Warning, go_lower, parse_heredoc};
use crate::suggest;
use flags::{Flags, Kind};

/// Source lines of an instruction (1-based, inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Location {
    /// First line.
    pub start_line: usize,
    /// Last line (heredoc terminators included).
    pub end_line: usize,
}

/// A parsed Dockerfile: directives, global ARGs and stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dockerfile {
    /// Parser directives (`syntax`, `escape`, `check`).
    pub directives: Vec<Directive>,
    /// The escape token; the builder's lexer must use it.
    pub escape_token: char,
    /// ARG instructions before the first FROM (global scope).
    pub meta_args: Vec<Command>,
    /// Build stages in file order.
    pub stages: Vec<Stage>,
    /// Line-parser warnings.
    pub warnings: Vec<Warning>,
}

/// One build stage: a FROM and the instructions up to the next FROM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// `AS name`, lower-cased.
    pub name: Option<String>,
    /// The base as written (not yet expanded).
    pub base: String,
    /// `--platform` as written (not yet expanded).
    pub platform: Option<String>,
    /// The FROM keyword as written.
    pub keyword: String,
    /// The FROM line, trimmed.
    pub source: String,
    /// Where the FROM is.
    pub location: Location,
    /// Comments directly above the FROM.
    pub comments: Vec<String>,
    /// The comment line starting with `<name> ` above the FROM, without the name.
    pub doc_comment: String,
    /// The stage's instructions.
    pub instructions: Vec<Command>,
}

/// An instruction with its source information.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// The keyword as written (`RUN`, `run`).
    pub keyword: String,
    /// The logical line, trimmed (for history and progress output).
    pub source: String,
    /// Where it is.
    pub location: Location,
    /// Comments directly above it.
    pub comments: Vec<String>,
    /// The typed instruction.
    pub instruction: Instruction,
}

/// `key=value` of ENV and LABEL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    /// Key (unexpanded).
    pub key: String,
    /// Value (unexpanded; quotes are removed by expansion).
    pub value: String,
    /// Legacy `KEY value` form (no `=`).
    pub no_delim: bool,
}

/// One `ARG name[=default]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArgDef {
    /// Name.
    pub key: String,
    /// Default (unexpanded), if any.
    pub value: Option<String>,
    /// The comment line starting with `<name> ` above the ARG, without the name.
    pub doc_comment: String,
}

/// A heredoc used as an ADD/COPY source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceContent {
    /// File name (the heredoc delimiter).
    pub path: String,
    /// Content (tabs already stripped for `<<-`).
    pub data: String,
    /// Whether to expand variables in `data` (unquoted delimiter).
    pub expand: bool,
}

/// Sources and destination of ADD/COPY.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcesAndDest {
    /// Destination (last argument).
    pub dest: String,
    /// Path, URL or git sources.
    pub sources: Vec<String>,
    /// Heredoc sources.
    pub contents: Vec<SourceContent>,
}

/// A heredoc attached to RUN/CMD/ENTRYPOINT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineFile {
    /// Delimiter.
    pub name: String,
    /// Body (tabs not yet stripped).
    pub data: String,
    /// `<<-`: strip leading tabs (see [`crate::parser::chomp_heredoc_content`]).
    pub chomp: bool,
}

/// Command line of RUN/CMD/ENTRYPOINT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandLine {
    /// Exec-form arguments, or the single shell-form string. `None` only for
    /// an empty ENTRYPOINT (which clears the entrypoint).
    pub args: Option<Vec<String>>,
    /// Shell form: run as `SHELL + [args[0]]` (default `/bin/sh -c`).
    pub prepend_shell: bool,
    /// Heredocs on the line.
    pub files: Vec<InlineFile>,
}

/// `RUN --network` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    /// The build's network.
    Default,
    /// No network.
    None,
    /// Host network (needs the `network.host` entitlement).
    Host,
}

/// `RUN --security` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Normal sandbox.
    Sandbox,
    /// Privileged (needs the `security.insecure` entitlement).
    Insecure,
}

/// RUN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInstruction {
    /// What to run.
    pub cmd: CommandLine,
    /// Raw `--mount` values; parse with [`RunInstruction::mounts`].
    pub mounts: Vec<String>,
    /// `--network`.
    pub network: NetworkMode,
    /// `--security`.
    pub security: Security,
    /// `--device` (Docker's stable frontend rejects these at dispatch).
    pub devices: Vec<Device>,
    /// Flags given, in order of first use.
    pub flags_used: Vec<String>,
}

/// ADD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddInstruction {
    /// Sources and destination.
    pub files: SourcesAndDest,
    /// `--chown`.
    pub chown: String,
    /// `--chmod`.
    pub chmod: String,
    /// `--link`.
    pub link: bool,
    /// `--keep-git-dir` (only when given).
    pub keep_git_dir: Option<bool>,
    /// `--checksum`.
    pub checksum: String,
    /// `--unpack` (only when given; default: unpack local archives).
    pub unpack: Option<bool>,
    /// `--exclude` patterns.
    pub exclude: Vec<String>,
}

/// COPY.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyInstruction {
    /// Sources and destination.
    pub files: SourcesAndDest,
    /// `--from` (stage name, stage index or image); see [`Dockerfile::resolve_from`].
    pub from: String,
    /// `--chown`.
    pub chown: String,
    /// `--chmod`.
    pub chmod: String,
    /// `--link`.
    pub link: bool,
    /// `--parents`.
    pub parents: bool,
    /// `--exclude` patterns.
    pub exclude: Vec<String>,
}

/// HEALTHCHECK, in the image-config shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Healthcheck {
    /// `["NONE"]`, `["CMD", args…]` or `["CMD-SHELL", cmd]`.
    pub test: Vec<String>,
    /// `--interval` (zero: inherit/default).
    pub interval: Duration,
    /// `--timeout`.
    pub timeout: Duration,
    /// `--start-period`.
    pub start_period: Duration,
    /// `--start-interval`.
    pub start_interval: Duration,
    /// `--retries`.
    pub retries: i64,
}

/// A typed instruction. Every field holds the text as written; expansion
/// happens at dispatch (see the module docs and [`Instruction::expand`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Instruction {
    /// Adds each pair to the config `Env` and to the environment of later
    /// instructions.
    Env(Vec<KeyValue>),
    /// Adds labels to the config.
    Label(Vec<KeyValue>),
    /// Sets the image author. Deprecated.
    Maintainer(String),
    /// Copies context files, URLs or git repositories (a layer).
    Add(AddInstruction),
    /// Copies from the context, a stage or an image (a layer).
    Copy(CopyInstruction),
    /// Records a trigger expression in the config `OnBuild` list.
    Onbuild(String),
    /// Sets the working directory, relative to the previous one; creates it.
    Workdir(String),
    /// Runs a command (a layer).
    Run(RunInstruction),
    /// Sets the config `Cmd` (shell form: SHELL prepended).
    Cmd(CommandLine),
    /// Sets the config `Entrypoint`; clears a `Cmd` inherited from the base
    /// unless this stage set CMD.
    Entrypoint(CommandLine),
    /// Sets the config healthcheck.
    Healthcheck(Healthcheck),
    /// Adds exposed ports; expand with `process_words`, then validate with
    /// [`expose::parse_port_specs`]. Sorted as buildkit sorts them.
    Expose(Vec<String>),
    /// Sets the user for later RUN and the config.
    User(String),
    /// Adds volumes to the config.
    Volume(Vec<String>),
    /// Sets the stop signal (validated as a signal at dispatch).
    StopSignal(String),
    /// Declares build arguments (see ARG scoping in the module docs).
    Arg(Vec<ArgDef>),
    /// Sets the shell for later shell-form commands.
    Shell(Vec<String>),
}

/// An instruction-level error, worded as buildkit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstructionError {
    /// An unknown keyword, with a suggestion when one is close.
    #[error("unknown instruction: {name}{}", .suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    UnknownInstruction {
        /// As written.
        name: String,
        /// The closest instruction, in the caller's case.
        suggestion: Option<String>,
    },
    /// MAINTAINER, WORKDIR, USER, STOPSIGNAL.
    #[error("{0} requires exactly one argument")]
    ExactlyOneArgument(&'static str),
    /// ENV, LABEL, ONBUILD, HEALTHCHECK, EXPOSE, VOLUME, ARG, SHELL.
    #[error("{0} requires at least one argument")]
    AtLeastOneArgument(&'static str),
    /// ADD or COPY with one argument.
    #[error(
        "{0} requires at least two arguments, but only one was provided. Destination could not be determined"
    )]
    NoDestination(&'static str),
    /// `COPY a <<EOF`.
    #[error("{0} cannot accept a heredoc as a destination")]
    HeredocDestination(&'static str),
    /// `ENV =x`, `ARG =x`.
    #[error("{0} names can not be blank")]
    BlankName(&'static str),
    /// Internal ENV/LABEL arity check.
    #[error("Bad input to {0}, too many arguments")]
    TooManyArguments(&'static str),
    /// FROM arity.
    #[error("FROM requires either one or three arguments")]
    FromArguments,
    /// `AS 1stage`.
    #[error("invalid name for build stage: {}, name can't start with a number or contain symbols", gostr::quote(.0))]
    InvalidStageName(String),
    /// `ONBUILD ONBUILD`.
    #[error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")]
    OnbuildChain,
    /// `ONBUILD FROM`, `ONBUILD MAINTAINER`.
    #[error("{0} isn't allowed as an ONBUILD trigger")]
    OnbuildTrigger(String),
    /// `HEALTHCHECK NONE x`.
    #[error("HEALTHCHECK NONE takes no arguments")]
    HealthcheckNoneArguments,
    /// `HEALTHCHECK CMD`.
    #[error("Missing command after HEALTHCHECK CMD")]
    HealthcheckMissingCommand,
    /// `HEALTHCHECK FOO`.
    #[error("Unknown type {} in HEALTHCHECK (try CMD)", gostr::quote(.0))]
    HealthcheckType(String),
    /// A duration flag that does not parse (Go's `time` message).
    #[error("{0}")]
    Duration(String),
    /// A duration below 1ms.
    #[error("Interval {} cannot be less than 1ms", gostr::quote(.0))]
    IntervalTooShort(&'static str),
    /// `--retries` not an int32 (Go's `strconv` message).
    #[error("{0}")]
    Retries(String),
    /// `--retries=-1`.
    #[error("--retries cannot be negative ({0})")]
    NegativeRetries(i64),
    /// `VOLUME ""`.
    #[error("VOLUME specified can not be an empty string")]
    EmptyVolume,
    /// SHELL in shell form.
    #[error("{0} requires the arguments to be in JSON form")]
    NotJson(&'static str),
    /// `RUN --network=bridge`.
    #[error("invalid network mode {}", gostr::quote(.0))]
    InvalidNetwork(String),
    /// `RUN --security=x`.
    #[error("security {} is not valid", gostr::quote(.0))]
    InvalidSecurity(String),
    /// A bad `--device`.
    #[error("{0}")]
    Device(String),
    /// A bad flag.
    #[error(transparent)]
    Flag(#[from] FlagError),
    /// A bad `--mount`.
    #[error(transparent)]
    Mount(#[from] MountError),
}

/// Any error from [`crate::parse`], worded as Docker reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Line-level syntax (Docker prints the bare message; the classic
    /// builder prefixes `failed to parse <Dockerfile>: `).
    #[error(transparent)]
    Syntax(#[from] parser::LocatedSyntaxError),
    /// A bad instruction.
    #[error("dockerfile parse error on line {line}: {error}")]
    Instruction {
        /// First line of the instruction.
        line: usize,
        /// Last line of the instruction.
        end_line: usize,
        /// What is wrong.
        error: InstructionError,
    },
    /// An instruction other than ARG before the first FROM.
    #[error("no build stage in current context")]
    NoBuildStage {
        /// First line of the instruction.
        line: usize,
        /// Last line of the instruction.
        end_line: usize,
    },
    /// Only ARGs.
    #[error("dockerfile contains no stages to build")]
    NoStages,
    /// An ONBUILD trigger that is not exactly one instruction.
    #[error("onbuild trigger should be a single expression")]
    TriggerNotSingle,
}

impl ParseError {
    /// The first line the error refers to (0 when it has none).
    pub fn line(&self) -> usize {
        match self {
            ParseError::Syntax(e) => e.start_line,
            ParseError::Instruction { line, .. } | ParseError::NoBuildStage { line, .. } => *line,
            ParseError::NoStages | ParseError::TriggerNotSingle => 0,
        }
    }
}

/// The result of typing one node.
enum Typed {
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

fn type_node(node: &Node) -> Result<Typed, InstructionError> {
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

/// Where a `COPY --from` value points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromRef {
    /// A stage of this Dockerfile, by index.
    Stage(usize),
    /// An image reference (or named build context).
    Image(String),
}

/// Why a `COPY --from` value cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FromError {
    /// `--from=$X`.
    #[error(
        "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround"
    )]
    Expansion,
    /// `--from=7` with fewer stages.
    #[error("invalid stage index {0}")]
    InvalidIndex(i64),
}

impl Dockerfile {
    /// The stage named `name` (case-insensitive; the last of duplicates,
    /// as buildkit's name table keeps the last).
    pub fn stage_by_name(&self, name: &str) -> Option<usize> {
        let name = go_lower(name);
        self.stages
            .iter()
            .rposition(|s| s.name.as_deref() == Some(name.as_str()))
    }

    /// The stage at `index`.
    pub fn stage_by_index(&self, index: usize) -> Option<&Stage> {
        self.stages.get(index)
    }

    /// Resolve a `COPY --from` value as buildkit does: a number is a stage
    /// index, otherwise a stage name, otherwise an image. The builder must
    /// still reject a stage that is not before the current one: `cannot copy
    /// from stage "<from>", it needs to be defined before current stage
    /// "<current>"`. (`RUN --mount from=` looks up names only.)
    pub fn resolve_from(&self, from: &str) -> Result<FromRef, FromError> {
        let lex = crate::shell::Lexer::new(self.escape_token);
        let none = crate::shell::EnvList::default();
        match lex.process_word(from, &none) {
            Ok(v) if v == from => {}
            _ => return Err(FromError::Expansion),
        }
        if let Ok(i) = gostr::parse_int(from, 64) {
            return match usize::try_from(i).ok().filter(|&i| i < self.stages.len()) {
                Some(i) => Ok(FromRef::Stage(i)),
                None => Err(FromError::InvalidIndex(i)),
            };
        }
        Ok(match self.stage_by_name(from) {
            Some(i) => FromRef::Stage(i),
            None => FromRef::Image(from.to_string()),
        })
    }
}

#[cfg(test)]
mod tests;
