//! Dockerfile parser (pure, no I/O) and `.dockerignore` matching, with
//! Docker's (buildkit's) semantics and error messages.
//!
//! * [`parse`]: Dockerfile text → [`Dockerfile`] (directives, global ARGs,
//!   stages of typed [`instructions::Instruction`]s with line ranges).
//! * [`parser`]: the raw line parser and buildkit's parse-tree dump.
//! * [`shell`]: variable expansion and word splitting.
//! * [`ignore`]: `.dockerignore` reading and matching.
#![forbid(unsafe_code)]

mod gostr;
mod json;
mod re;
mod suggest;

pub mod ignore;
pub mod instructions;
pub mod parser;
pub mod shell;

pub use instructions::{Command, Dockerfile, Instruction, InstructionError, ParseError, Stage};

/// Parse a Dockerfile into stages of typed instructions.
///
/// Errors carry Docker's wording: line-level syntax errors print the bare
/// message (`unterminated heredoc`), instruction errors print
/// `dockerfile parse error on line N: …`; [`ParseError::line`] gives the
/// line either way. Non-UTF-8 input must be converted by the caller.
pub fn parse(src: &str) -> Result<Dockerfile, ParseError> {
    instructions::from_ast(parser::parse(src)?)
}
