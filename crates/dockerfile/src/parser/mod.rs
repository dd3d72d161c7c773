//! The line parser: Dockerfile text → a flat list of instruction nodes
//! (buildkit `frontend/dockerfile/parser`), with parser directives,
//! comments, escape-token line continuations, JSON-form detection, flags and
//! heredoc bodies. [`Ast::dump`] prints buildkit's S-expression dump.
//!
//! Rules reproduced from buildkit:
//! * Directives (`# syntax=`, `# escape=`, `# check=`) are recognised only
//!   in the leading run of directive lines; any other line, even a blank
//!   one, ends the run. `# escape=` accepts `\` or `` ` ``.
//! * A line whose last non-blank character is the escape token (not itself
//!   escaped) continues on the next line; the token and trailing blanks are
//!   removed and nothing is inserted. Inside a continuation, comment lines
//!   are dropped and empty lines are skipped (with a [`Warning`]).
//! * Keywords are case-insensitive; unknown keywords parse here and are
//!   rejected by `instructions`.
//! * RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK CMD: a JSON array of strings is
//!   the exec form; anything else that is not valid JSON is the shell form;
//!   a valid JSON array holding a non-string is an error. ADD/COPY/VOLUME
//!   fall back to whitespace splitting.
//! * Heredocs (`<<EOF`, `<<-EOF`, `<<'EOF'`, several per line) are read
//!   after the logical line for RUN, ADD and COPY (also under ONBUILD) in
//!   shell form.

mod directives;
mod heredoc;
mod split;

use serde::{Deserialize, Serialize};

pub use directives::Directive;
pub use heredoc::{Heredoc, chomp_heredoc_content, parse_heredoc};

use crate::gostr;
use crate::json::{self, JsonArray};
use crate::shell::ShellError;
use directives::Directives;

/// One instruction of the raw tree (buildkit's `parser.Node` for a child
/// of the root).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Node {
    /// The keyword as written (`RUN`, `run`, `Run`).
    pub value: String,
    /// The argument chain (buildkit's `Next` values). For ENV/LABEL it is a
    /// sequence of `key, value, sep` triples where `sep` is `=` or `""` for
    /// the legacy `KEY value` form.
    pub next: Vec<String>,
    /// ONBUILD's trigger, parsed as its own node.
    pub sub: Option<Box<Node>>,
    /// Leading `--flag[=value]` words, verbatim.
    pub flags: Vec<String>,
    /// Whether the arguments were in JSON (exec) form.
    pub json: bool,
    /// Heredoc bodies read after this line.
    pub heredocs: Vec<Heredoc>,
    /// The logical line (continuations joined, without heredoc bodies).
    pub original: String,
    /// First physical line (1-based).
    pub start_line: usize,
    /// Last physical line, including heredoc terminators.
    pub end_line: usize,
    /// Comment lines directly above the instruction (without `#`).
    pub prev_comment: Vec<String>,
}

/// A non-fatal finding of the line parser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// One-line description.
    pub short: String,
    /// Documentation link.
    pub url: String,
    /// Physical line it refers to.
    pub line: usize,
}

/// The parsed file: instruction nodes plus file-level settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ast {
    /// Instructions in order.
    pub children: Vec<Node>,
    /// The escape token in effect (`\` or `` ` ``).
    pub escape_token: char,
    /// Parser directives at the top of the file.
    pub directives: Vec<Directive>,
    /// Warnings (empty continuation lines).
    pub warnings: Vec<Warning>,
}

/// A line-level error, in buildkit's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    /// Nothing but comments and blank lines.
    #[error("file with no instructions")]
    NoInstructions,
    /// End of file inside a heredoc.
    #[error("unterminated heredoc")]
    UnterminatedHeredoc,
    /// A physical line longer than Go's scanner buffer.
    #[error("dockerfile line greater than max allowed size of 65535")]
    LineTooLong,
    /// `# escape=` with another value.
    #[error("invalid escape token '{0}' does not match ` or \\")]
    InvalidEscapeToken(String),
    /// A directive given twice.
    #[error("only one {0} parser directive can be used")]
    DuplicateDirective(String),
    /// `["a", 1]`.
    #[error("when using JSON array syntax, arrays must be comprised of strings only")]
    NotStringArray,
    /// `ENV key` without a value.
    #[error("{0} must have two arguments")]
    MustHaveTwoArguments(&'static str),
    /// `ENV a=b c`.
    #[error("Syntax error - can't find = in {}. Must be of the form: name=value", gostr::quote(.0))]
    MissingEquals(String),
    /// A heredoc delimiter that does not lex (e.g. `<<"EOF`).
    #[error(transparent)]
    Heredoc(ShellError),
    /// Internal consistency check of buildkit's heredoc lexing.
    #[error("internal lexing of heredoc produced inconsistent results: {0}")]
    HeredocInconsistent(String),
}

/// A [`SyntaxError`] with its location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct LocatedSyntaxError {
    /// First line of the offending instruction (1-based).
    pub start_line: usize,
    /// Last line read.
    pub end_line: usize,
    /// What is wrong.
    pub error: SyntaxError,
}

const MAX_TOKEN: usize = 64 * 1024;

/// Go's `bufio.Scanner` with buildkit's newline-preserving split function.
struct Lines<'a> {
    src: &'a str,
    pos: usize,
    too_long: bool,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.too_long || self.pos >= self.src.len() {
            return None;
        }
        let rest = &self.src[self.pos..];
        let len = match rest.find('\n') {
            Some(i) if i < MAX_TOKEN => i + 1,
            None if rest.len() < MAX_TOKEN => rest.len(),
            _ => {
                self.too_long = true;
                return None;
            }
        };
        self.pos += len;
        Some(&rest[..len])
    }
}

fn trim_newline(s: &str) -> &str {
    s.trim_end_matches(['\r', '\n'])
}

fn is_comment(line: &str) -> bool {
    line.trim_start_matches(gostr::is_space).starts_with('#')
}

/// Remove a trailing escape token (plus blanks after it) unless the token
/// is itself escaped; returns the line and whether it was complete.
fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    if let Some(before) = trimmed.strip_suffix(escape)
        && !before.ends_with(escape)
    {
        return (before, false);
    }
    (line, true)
}

/// Lower-case per character, like Go's `strings.ToLower`.
pub(crate) fn go_lower(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// Parse Dockerfile text into the raw node list.
pub fn parse(src: &str) -> Result<Ast, LocatedSyntaxError> {
    let mut d = Directives::new();
    let mut lines = Lines {
        src,
        pos: 0,
        too_long: false,
    };
    let at = |error: SyntaxError, start_line: usize, end_line: usize| LocatedSyntaxError {
        start_line,
        end_line: end_line.max(start_line),
        error,
    };
    let mut current = 0usize;
    let mut children = Vec::new();
    let mut warnings = Vec::new();
    let mut comments: Vec<String> = Vec::new();

    while let Some(raw) = lines.next() {
        let raw = if current == 0 {
            raw.strip_prefix('\u{FEFF}').unwrap_or(raw)
        } else {
            raw
        };
        if is_comment(raw) {
            let mut rest = raw.chars();
            rest.next();
            let comment = gostr::trim_space(rest.as_str());
            if comment.is_empty() {
                comments.clear();
            } else {
                comments.push(comment.to_string());
            }
        }
        let stripped = trim_newline(raw).trim_start_matches(gostr::is_space);
        let is_directive = d
            .possible_directive(stripped, current + 1)
            .map_err(|e| at(e, current + 1, current + 1))?;
        if is_directive {
            comments.pop();
        }
        let line = if is_comment(stripped) { "" } else { stripped };
        current += 1;
        let start_line = current;
        let (line, mut complete) = trim_continuation(line, d.escape);
        if complete && line.is_empty() {
            continue;
        }
        let mut buf = line.to_string();
        let mut empty_continuation = false;
        while !complete {
            let Some(raw) = lines.next() else { break };
            let line = trim_newline(raw);
            d.possible_directive(line, current + 1)
                .map_err(|e| at(e, current + 1, current + 1))?;
            current += 1;
            if is_comment(raw) {
                continue;
            }
            if line.trim_start_matches(gostr::is_space).is_empty() {
                empty_continuation = true;
                continue;
            }
            let (line, c) = trim_continuation(line, d.escape);
            buf.push_str(line);
            complete = c;
        }
        if empty_continuation {
            warnings.push(Warning {
                short: format!("Empty continuation line found in: {buf}"),
                url: "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/".into(),
                line: current,
            });
        }
        let mut child = node_from_line(&buf, d.escape, std::mem::take(&mut comments), 0)
            .map_err(|e| at(e, start_line, current))?;
        if child.can_contain_heredoc() && buf.contains("<<") {
            let docs = heredoc::heredocs_from_line(&buf).map_err(|e| at(e, start_line, current))?;
            for mut doc in docs {
                let mut terminated = false;
                let mut content = String::new();
                for raw in lines.by_ref() {
                    current += 1;
                    let mut candidate = trim_newline(raw);
                    if doc.chomp {
                        candidate = candidate.trim_start_matches('\t');
                    }
                    if candidate == doc.name {
                        terminated = true;
                        break;
                    }
                    content.push_str(raw);
                }
                if !terminated {
                    return Err(at(SyntaxError::UnterminatedHeredoc, start_line, current));
                }
                doc.content = content;
                child.heredocs.push(doc);
            }
        }
        child.start_line = start_line;
        child.end_line = current;
        children.push(child);
    }
    if children.is_empty() {
        return Err(at(SyntaxError::NoInstructions, current, current));
    }
    if lines.too_long {
        return Err(at(SyntaxError::LineTooLong, current, current));
    }
    Ok(Ast {
        children,
        escape_token: d.escape,
        directives: d.found,
        warnings,
    })
}

/// Arguments as produced by a per-instruction argument parser.
#[derive(Default)]
struct Args {
    next: Vec<String>,
    sub: Option<Box<Node>>,
    json: bool,
}

impl Args {
    fn list(next: Vec<String>) -> Self {
        Args {
            next,
            ..Args::default()
        }
    }
}

/// How many ONBUILDs deep a trigger is parsed into sub-nodes. buildkit
/// recurses without bound; deeper chains (always rejected later with
/// "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed") keep the rest of
/// the line as one argument so hostile input cannot exhaust the stack.
const MAX_ONBUILD_DEPTH: usize = 16;

fn node_from_line(
    line: &str,
    escape: char,
    comments: Vec<String>,
    depth: usize,
) -> Result<Node, SyntaxError> {
    let (cmd, flags, rest) = split::split_command(line, escape);
    let args = match go_lower(&cmd).as_str() {
        "add" | "copy" | "volume" => maybe_json_to_list(&rest)?,
        "arg" => Args::list(split::parse_words(&rest, escape)),
        "cmd" | "entrypoint" | "run" | "shell" => maybe_json(&rest)?,
        "env" => name_val(&rest, "ENV", escape)?,
        "label" => name_val(&rest, "LABEL", escape)?,
        "expose" | "from" => whitespace_list(&rest),
        "healthcheck" => health_config(&rest)?,
        "maintainer" | "stopsignal" | "user" | "workdir" => Args::list(if rest.is_empty() {
            Vec::new()
        } else {
            vec![rest]
        }),
        "onbuild" => {
            if rest.is_empty() {
                Args::default()
            } else if depth >= MAX_ONBUILD_DEPTH {
                Args::list(vec![rest])
            } else {
                Args {
                    sub: Some(Box::new(node_from_line(
                        &rest,
                        escape,
                        Vec::new(),
                        depth + 1,
                    )?)),
                    ..Args::default()
                }
            }
        }
        _ => Args::list(vec![String::new()]),
    };
    Ok(Node {
        value: cmd,
        next: args.next,
        sub: args.sub,
        flags,
        json: args.json,
        original: line.to_string(),
        prev_comment: comments,
        ..Node::default()
    })
}

fn whitespace_list(rest: &str) -> Args {
    if rest.is_empty() {
        return Args::default();
    }
    Args::list(split::split_ws_all(rest))
}

fn parse_json(rest: &str) -> JsonArray {
    let rest = rest.trim_start_matches(gostr::is_space);
    if !rest.starts_with('[') {
        return JsonArray::Invalid;
    }
    json::parse_string_array(rest)
}

fn maybe_json(rest: &str) -> Result<Args, SyntaxError> {
    if rest.is_empty() {
        return Ok(Args::default());
    }
    match parse_json(rest) {
        JsonArray::Strings(next) => Ok(Args {
            next,
            json: true,
            ..Args::default()
        }),
        JsonArray::NotStrings => Err(SyntaxError::NotStringArray),
        JsonArray::Invalid => Ok(Args::list(vec![rest.to_string()])),
    }
}

fn maybe_json_to_list(rest: &str) -> Result<Args, SyntaxError> {
    match parse_json(rest) {
        JsonArray::Strings(next) => Ok(Args {
            next,
            json: true,
            ..Args::default()
        }),
        JsonArray::NotStrings => Err(SyntaxError::NotStringArray),
        JsonArray::Invalid => Ok(whitespace_list(rest)),
    }
}

fn name_val(rest: &str, key: &'static str, escape: char) -> Result<Args, SyntaxError> {
    let words = split::parse_words(rest, escape);
    let Some(first) = words.first() else {
        return Ok(Args::default());
    };
    if !first.contains('=') {
        return match split::split_ws_once(rest) {
            (k, Some(v)) => Ok(Args::list(vec![
                k.to_string(),
                v.to_string(),
                String::new(),
            ])),
            _ => Err(SyntaxError::MustHaveTwoArguments(key)),
        };
    }
    let mut next = Vec::with_capacity(words.len() * 3);
    for w in words {
        let Some((k, v)) = w.split_once('=') else {
            return Err(SyntaxError::MissingEquals(w));
        };
        next.extend([k.to_string(), v.to_string(), "=".to_string()]);
    }
    Ok(Args::list(next))
}

/// HEALTHCHECK: a type word (`CMD`, `NONE`, …) then an optional command.
/// buildkit scans bytes here, like the flag extractor.
fn health_config(rest: &str) -> Result<Args, SyntaxError> {
    let b = rest.as_bytes();
    let sep = b
        .iter()
        .position(|&c| gostr::is_space_byte(c))
        .unwrap_or(b.len());
    if sep == 0 {
        return Ok(Args::default());
    }
    let next = b[sep..]
        .iter()
        .position(|&c| !gostr::is_space_byte(c))
        .map_or(b.len(), |i| sep + i);
    let typ = String::from_utf8_lossy(&b[..sep]).into_owned();
    let cmd = maybe_json(&String::from_utf8_lossy(&b[next..]))?;
    let mut list = vec![typ];
    list.extend(cmd.next);
    Ok(Args {
        next: list,
        json: cmd.json,
        ..Args::default()
    })
}

impl Node {
    fn can_contain_heredoc(&self) -> bool {
        let mut node = self;
        if go_lower(&self.value) == "onbuild"
            && let Some(sub) = &self.sub
        {
            node = sub;
        }
        matches!(go_lower(&node.value).as_str(), "add" | "copy" | "run") && !node.json
    }

    /// buildkit's `Node.Dump` for one instruction.
    pub fn dump(&self) -> String {
        let mut s = go_lower(&self.value);
        if !self.flags.is_empty() {
            s.push(' ');
            s.push_str(&gostr::quote_list(&self.flags));
        }
        if let Some(sub) = &self.sub {
            s.push_str(" (");
            s.push_str(&sub.dump());
            s.push(')');
        }
        for v in &self.next {
            s.push(' ');
            s.push_str(&gostr::quote(v));
        }
        gostr::trim_space(&s).to_string()
    }
}

impl Ast {
    /// buildkit's `Node.Dump` for the root: one `(…)` line per instruction.
    pub fn dump(&self) -> String {
        let mut s = String::new();
        for c in &self.children {
            s.push('(');
            s.push_str(&c.dump());
            s.push_str(")\n");
        }
        gostr::trim_space(&s).to_string()
    }
}

#[cfg(test)]
mod tests;
