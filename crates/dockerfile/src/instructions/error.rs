//! Instruction and whole-file parse errors, worded as buildkit.

use super::flags::FlagError;
use super::mount::MountError;
use crate::gostr;
use crate::parser;

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
    /// RUN heredocs on an exec-form or multi-word line (dispatch time).
    #[error("parsing produced an invalid run command: [{}]", .0.join(" "))]
    InvalidRunCommand(Vec<String>),
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
