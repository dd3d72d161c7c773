//! Dockerfile parser (pure, no I/O) and `.dockerignore` matching, with
//! Docker's (buildkit's) semantics and error messages.
//!
//! * [`parse`]: Dockerfile text → [`Dockerfile`] (directives, global ARGs,
//!   stages of typed [`instructions::Instruction`]s with line ranges).
//! * [`parser`]: the raw line parser and buildkit's parse-tree dump.
//! * [`shell`]: variable expansion and word splitting.
//! * [`ignore`]: `.dockerignore` reading and matching.
//!
//! ```
//! use wharf_dockerfile::{Instruction, parse, shell::{EnvList, Lexer}};
//!
//! let df = parse("FROM alpine AS base\nENV DIR=/app\nWORKDIR $DIR/src\n").unwrap();
//! let stage = &df.stages[0];
//! assert_eq!(stage.name.as_deref(), Some("base"));
//! let lex = Lexer::new(df.escape_token);
//! let env = EnvList::from_entries(&["DIR=/app"]);
//! let wd = stage.instructions[1].instruction.expand(&lex, &env).unwrap();
//! assert_eq!(wd, Instruction::Workdir("/app/src".into()));
//!
//! let err = parse("FROM alpine\nRUNN make\n").unwrap_err();
//! assert_eq!(err.to_string(), "dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)");
//!
//! let ignore = wharf_dockerfile::ignore::Patterns::parse("target\n!target/keep\n").unwrap();
//! assert_eq!(ignore.matches("target/debug/x"), Ok(true));
//! assert_eq!(ignore.matches("target/keep"), Ok(false));
//! ```
#![forbid(unsafe_code)]

mod gostr;
mod json;
mod re;
mod suggest;

pub mod ignore;
pub mod instructions;
pub mod parser;
pub mod shell;

/// Go's `strconv.Quote` and `%q` of a string slice, for messages and history in Docker's words.
pub use gostr::{quote as go_quote, quote_list as go_quote_list};
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
