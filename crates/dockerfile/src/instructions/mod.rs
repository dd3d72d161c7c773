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
mod error;
mod expand;
pub mod expose;
mod flags;
mod mount;
mod run;
mod stages;
mod types;
mod typing;

pub use error::{InstructionError, ParseError};
pub use flags::FlagError;
pub use mount::{Device, Mount, MountError, MountType, ShareMode, parse_mount};
pub use run::RunScript;
pub use stages::{FromError, FromRef};
pub use types::{
    AddInstruction, ArgDef, Command, CommandLine, CopyInstruction, Dockerfile, Healthcheck,
    InlineFile, Instruction, KeyValue, Location, NetworkMode, RunInstruction, Security,
    SourceContent, SourcesAndDest, Stage,
};
pub use typing::{from_ast, parse_onbuild_trigger};

#[cfg(test)]
mod tests;
