//! The typed instruction data model.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::mount::Device;
use crate::parser::{Directive, Warning};

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
