//! Dockerfile word expansion: buildkit's shell lexer
//! (`frontend/dockerfile/shell/lex.go`), reproduced behaviour for behaviour.
//!
//! The lexer performs quote removal and `$var` / `${var…}` substitution on a
//! single Dockerfile word; it never runs a shell. Supported forms: `$v`,
//! `${v}`, `${v:-d}`, `${v-d}`, `${v:+a}`, `${v+a}`, `${v:?msg}`,
//! `${v?msg}`, `${v#pat}`, `${v##pat}`, `${v%pat}`, `${v%%pat}`,
//! `${v/pat/repl}` and `${v//pat/repl}`; single quotes, double quotes, and
//! escapes with the Dockerfile's escape token.
//!
//! Which instructions the builder expands, and how (buildkit `dispatch`):
//! * `process_word` (quotes removed, one word): ENV keys and values, LABEL
//!   keys and values, ADD/COPY sources, destination, `--chown`, `--chmod`
//!   (and ADD `--checksum`), WORKDIR, USER, VOLUME entries, STOPSIGNAL,
//!   every `RUN --mount` option value, ARG default values, and FROM's base
//!   name and `--platform` (with global ARGs only).
//! * `process_words` (split into words): each EXPOSE argument.
//! * heredoc bodies of ADD/COPY whose delimiter is unquoted: a lexer with `\`
//!   as escape and [`Lexer::skip_process_quotes`] set.
//! * never expanded: RUN/CMD/ENTRYPOINT/HEALTHCHECK/SHELL command lines (the
//!   shell does it), MAINTAINER, ONBUILD triggers, `COPY --from` (a `$` there
//!   is an error, see `instructions`).

mod pattern;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::gostr;

/// Variable lookup for expansion. Implemented for closures, maps and
/// [`EnvList`].
pub trait Env {
    /// The value of `key`, or `None` when unset (set-but-empty is `Some("")`).
    fn get(&self, key: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> Env for F {
    fn get(&self, key: &str) -> Option<String> {
        self(key)
    }
}

impl Env for HashMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        HashMap::get(self, key).cloned()
    }
}

impl Env for BTreeMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        BTreeMap::get(self, key).cloned()
    }
}

/// An environment built from `KEY=value` strings, as Go's
/// `shell.EnvsFromSlice`: a missing `=` means an empty value and the last
/// definition of a key wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvList {
    vars: BTreeMap<String, String>,
}

impl EnvList {
    /// Build from `KEY=value` entries.
    pub fn from_entries<S: AsRef<str>>(entries: &[S]) -> Self {
        let mut vars = BTreeMap::new();
        for e in entries {
            let (k, v) = e.as_ref().split_once('=').unwrap_or((e.as_ref(), ""));
            vars.insert(k.to_string(), v.to_string());
        }
        EnvList { vars }
    }
}

impl Env for EnvList {
    fn get(&self, key: &str) -> Option<String> {
        self.vars.get(key).cloned()
    }
}

/// What went wrong while expanding a word (the text after
/// `failed to process "<word>": `).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShellErrorKind {
    /// A `${…}` or `${v/…/…}` part ran to the end of the word.
    #[error("unexpected end of statement while looking for matching {0}")]
    Unterminated(char),
    /// `'` without its closing quote.
    #[error("unexpected end of statement while looking for matching single-quote")]
    UnterminatedSingleQuote,
    /// `"` without its closing quote.
    #[error("unexpected end of statement while looking for matching double-quote")]
    UnterminatedDoubleQuote,
    /// `${` without `}`.
    #[error("syntax error: missing '}}'")]
    MissingBrace,
    /// `${v/pat` without the second `/`.
    #[error("syntax error: missing '/' in ${{}}")]
    MissingSlash,
    /// `${}`, `${:…}`, `${{…}`.
    #[error("syntax error: bad substitution")]
    BadSubstitution,
    /// `${v:=x}`, `${v:#x}` and other unknown operators.
    #[error("unsupported modifier ({0}) in substitution")]
    UnsupportedModifier(String),
    /// `${v?msg}` / `${v:?msg}` on an unset (or empty) variable.
    #[error("{name}: {message}")]
    Required {
        /// The variable.
        name: String,
        /// The user's message or Docker's default.
        message: String,
    },
    /// More than [`MAX_NESTING`] nested `${…}` (wharf's limit; Docker has
    /// none, but such words only come from hostile input).
    #[error("syntax error: substitutions nested too deeply")]
    TooDeep,
    /// A bad escape in a `#`, `%` or `/` pattern.
    #[error("invalid pattern ({pattern}) in substitution: {reason}")]
    InvalidPattern {
        /// The pattern after expansion.
        pattern: String,
        /// Why it is invalid.
        reason: String,
    },
}

/// Expansion failure, worded as buildkit: `failed to process "<word>": …`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed to process {}: {kind}", gostr::quote(word))]
pub struct ShellError {
    /// The word being processed.
    pub word: String,
    /// The reason.
    pub kind: ShellErrorKind,
}

/// Result of [`Lexer::process_word_with_matches`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    /// The expanded word (quotes removed).
    pub result: String,
    /// The word split into fields after expansion.
    pub words: Vec<String>,
    /// Variables referenced and found.
    pub matched: BTreeSet<String>,
    /// Variables referenced but unset.
    pub unmatched: BTreeSet<String>,
}

/// The deepest `${…}` nesting accepted (to bound stack use).
pub const MAX_NESTING: usize = 100;

/// The shell-word lexer. Options mirror buildkit's `shell.Lex` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lexer {
    escape: char,
    /// Keep quote characters in the output.
    pub raw_quotes: bool,
    /// Keep escape characters in the output.
    pub raw_escapes: bool,
    /// Treat quotes as ordinary characters (heredoc bodies).
    pub skip_process_quotes: bool,
    /// Leave references to unset variables as written.
    pub skip_unset_env: bool,
}

impl Default for Lexer {
    fn default() -> Self {
        Lexer::new('\\')
    }
}

impl Lexer {
    /// A lexer using `escape` (`\` or `` ` ``, the Dockerfile's escape token).
    pub fn new(escape: char) -> Self {
        Lexer {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_process_quotes: false,
            skip_unset_env: false,
        }
    }

    /// The escape token.
    pub fn escape(&self) -> char {
        self.escape
    }

    /// Expand `word` into a single string (buildkit `ProcessWord`).
    pub fn process_word(&self, word: &str, env: &dyn Env) -> Result<String, ShellError> {
        self.process(word, env).map(|e| e.result)
    }

    /// Expand `word` and split it into fields (buildkit `ProcessWords`):
    /// unquoted whitespace, including whitespace produced by unquoted
    /// variables, separates fields.
    pub fn process_words(&self, word: &str, env: &dyn Env) -> Result<Vec<String>, ShellError> {
        self.process(word, env).map(|e| e.words)
    }

    /// Expand `word`, also reporting which variables were used
    /// (buildkit `ProcessWordWithMatches`).
    pub fn process_word_with_matches(
        &self,
        word: &str,
        env: &dyn Env,
    ) -> Result<Expansion, ShellError> {
        self.process(word, env)
    }

    fn process(&self, word: &str, env: &dyn Env) -> Result<Expansion, ShellError> {
        let mut chars: Vec<char> = word.chars().collect();
        // Go's text/scanner drops a byte-order mark at the very start.
        if chars.first() == Some(&'\u{FEFF}') {
            chars.remove(0);
        }
        let mut sw = ShellWord {
            lex: *self,
            chars,
            pos: 0,
            env,
            depth: 0,
            words_buffer: String::new(),
            matched: BTreeSet::new(),
            unmatched: BTreeSet::new(),
        };
        let raw = self.raw_escapes;
        match sw.process_stop_on(None, raw) {
            Ok((result, words)) => Ok(Expansion {
                result,
                words,
                matched: sw.matched,
                unmatched: sw.unmatched,
            }),
            Err(kind) => Err(ShellError {
                word: word.to_string(),
                kind,
            }),
        }
    }
}

/// Field splitting state. The byte buffer lives in [`ShellWord`] and is
/// shared by nested `${…}` processing, exactly as in buildkit (where a
/// nested `${v:-…}` resets the outer word's pending characters; see
/// `nested_modifier_resets_pending_field` in the tests).
#[derive(Default)]
struct Words {
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, buf: &mut String, ch: char) {
        if gostr::is_space(ch) && self.in_word {
            if !buf.is_empty() {
                self.words.push(std::mem::take(buf));
                self.in_word = false;
            }
        } else if !gostr::is_space(ch) {
            self.add_raw_char(buf, ch);
        }
    }

    fn add_raw_char(&mut self, buf: &mut String, ch: char) {
        buf.push(ch);
        self.in_word = true;
    }

    fn add_string(&mut self, buf: &mut String, s: &str) {
        for ch in s.chars() {
            self.add_char(buf, ch);
        }
    }

    fn add_raw_string(&mut self, buf: &mut String, s: &str) {
        buf.push_str(s);
        self.in_word = true;
    }

    fn finish(mut self, buf: &mut String) -> Vec<String> {
        if !buf.is_empty() {
            self.words.push(std::mem::take(buf));
        }
        self.words
    }
}

struct ShellWord<'a> {
    lex: Lexer,
    chars: Vec<char>,
    pos: usize,
    env: &'a dyn Env,
    depth: usize,
    words_buffer: String,
    matched: BTreeSet<String>,
    unmatched: BTreeSet<String>,
}

type Step<T> = Result<T, ShellErrorKind>;

/// Go prints `string(rune(-1))` (U+FFFD) for end of input.
fn rune_or_eof(c: Option<char>) -> char {
    c.unwrap_or('\u{FFFD}')
}

impl ShellWord<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn get_env(&mut self, name: &str) -> Option<String> {
        match self.env.get(name) {
            Some(v) => {
                self.matched.insert(name.to_string());
                Some(v)
            }
            None => {
                self.unmatched.insert(name.to_string());
                None
            }
        }
    }

    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> Step<(String, Vec<String>)> {
        let saved = self.lex.raw_escapes;
        self.lex.raw_escapes = raw_escapes;
        let r = self.stop_on_inner(stop);
        self.lex.raw_escapes = saved;
        r
    }

    fn stop_on_inner(&mut self, stop: Option<char>) -> Step<(String, Vec<String>)> {
        let mut result = String::new();
        self.words_buffer.clear();
        let mut words = Words::default();
        while let Some(ch) = self.peek() {
            if stop == Some(ch) {
                self.next();
                let mut buf = std::mem::take(&mut self.words_buffer);
                let w = words.finish(&mut buf);
                self.words_buffer = buf;
                return Ok((result, w));
            }
            let special = ch == '$'
                || ch == '<'
                || (!self.lex.skip_process_quotes && (ch == '\'' || ch == '"'));
            if special {
                let tmp = match ch {
                    '$' => self.process_dollar()?,
                    '<' => self.process_possible_heredoc(),
                    '\'' => self.process_single_quote()?,
                    _ => self.process_double_quote()?,
                };
                result.push_str(&tmp);
                let mut buf = std::mem::take(&mut self.words_buffer);
                if ch == '$' {
                    words.add_string(&mut buf, &tmp);
                } else {
                    words.add_raw_string(&mut buf, &tmp);
                }
                self.words_buffer = buf;
                continue;
            }
            let mut ch = ch;
            self.next();
            let mut buf = std::mem::take(&mut self.words_buffer);
            if ch == self.lex.escape {
                if self.lex.raw_escapes {
                    words.add_raw_char(&mut buf, ch);
                    result.push(ch);
                }
                match self.next() {
                    None => {
                        self.words_buffer = buf;
                        break;
                    }
                    Some(c) => {
                        ch = c;
                        words.add_raw_char(&mut buf, c);
                    }
                }
            } else {
                words.add_char(&mut buf, ch);
            }
            self.words_buffer = buf;
            result.push(ch);
        }
        if let Some(stop) = stop {
            return Err(ShellErrorKind::Unterminated(stop));
        }
        let mut buf = std::mem::take(&mut self.words_buffer);
        let w = words.finish(&mut buf);
        self.words_buffer = buf;
        Ok((result, w))
    }

    fn process_single_quote(&mut self) -> Step<String> {
        let mut result = String::new();
        let q = self.next();
        if self.lex.raw_quotes {
            result.extend(q);
        }
        loop {
            match self.next() {
                None => return Err(ShellErrorKind::UnterminatedSingleQuote),
                Some('\'') => {
                    if self.lex.raw_quotes {
                        result.push('\'');
                    }
                    return Ok(result);
                }
                Some(c) => result.push(c),
            }
        }
    }

    fn process_double_quote(&mut self) -> Step<String> {
        let mut result = String::new();
        let q = self.next();
        if self.lex.raw_quotes {
            result.extend(q);
        }
        loop {
            match self.peek() {
                None => return Err(ShellErrorKind::UnterminatedDoubleQuote),
                Some('"') => {
                    self.next();
                    if self.lex.raw_quotes {
                        result.push('"');
                    }
                    return Ok(result);
                }
                Some('$') => {
                    let v = self.process_dollar()?;
                    result.push_str(&v);
                }
                Some(mut ch) => {
                    self.next();
                    if ch == self.lex.escape {
                        if self.lex.raw_escapes {
                            result.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            Some(c) if c == '"' || c == '$' || c == self.lex.escape => {
                                self.next();
                                ch = c;
                            }
                            Some(_) => {}
                        }
                    }
                    result.push(ch);
                }
            }
        }
    }

    fn process_dollar(&mut self) -> Step<String> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.process_name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(match self.get_env(&name) {
                Some(v) => v,
                None if self.lex.skip_unset_env => format!("${name}"),
                None => String::new(),
            });
        }
        self.next();
        if self.depth >= MAX_NESTING {
            return Err(ShellErrorKind::TooDeep);
        }
        self.depth += 1;
        let r = self.process_braced();
        self.depth -= 1;
        r
    }

    /// `${…}` after the opening brace.
    fn process_braced(&mut self) -> Step<String> {
        match self.peek() {
            None => return Err(ShellErrorKind::MissingBrace),
            Some('{' | '}' | ':') => return Err(ShellErrorKind::BadSubstitution),
            _ => {}
        }
        let name = self.process_name();
        let first = self.next();
        let mut chs = rune_or_eof(first).to_string();
        match first {
            Some('}') => Ok(match self.get_env(&name) {
                Some(v) => v,
                None if self.lex.skip_unset_env => format!("${{{name}}}"),
                None => String::new(),
            }),
            Some(':' | '+' | '-' | '?' | '#' | '%') => {
                let mut op = first;
                let null_is_unset = op == Some(':');
                if null_is_unset {
                    op = self.next();
                    chs.push(rune_or_eof(op));
                }
                let raw = matches!(op, Some('#' | '%'));
                if null_is_unset && raw {
                    return Err(ShellErrorKind::UnsupportedModifier(chs));
                }
                let word = match self.process_stop_on(Some('}'), raw) {
                    Ok((w, _)) => w,
                    Err(_) if self.peek().is_none() => return Err(ShellErrorKind::MissingBrace),
                    Err(e) => return Err(e),
                };
                let value = self.get_env(&name);
                if self.lex.skip_unset_env && value.is_none() {
                    return Ok(format!("${{{name}{chs}{word}}}"));
                }
                let unset = value.is_none() || (null_is_unset && value.as_deref() == Some(""));
                match op {
                    Some('-') => Ok(if unset {
                        word
                    } else {
                        value.unwrap_or_default()
                    }),
                    Some('+') => Ok(if unset { String::new() } else { word }),
                    Some('?') => match value {
                        None => Err(required(name, word, "is not allowed to be unset")),
                        Some(v) if null_is_unset && v.is_empty() => {
                            Err(required(name, word, "is not allowed to be empty"))
                        }
                        Some(v) => Ok(v),
                    },
                    Some(c @ ('%' | '#')) => {
                        let value = value.unwrap_or_default();
                        let (greedy, pat) = match word.strip_prefix(c) {
                            Some(rest) => (true, rest.to_string()),
                            None => (false, word),
                        };
                        if c == '%' {
                            pattern::trim_suffix(&pat, &value, greedy)
                        } else {
                            pattern::trim_prefix(&pat, &value, greedy)
                        }
                    }
                    _ => Err(ShellErrorKind::UnsupportedModifier(chs)),
                }
            }
            Some('/') => {
                let replace_all = self.peek() == Some('/');
                if replace_all {
                    self.next();
                }
                let pat = match self.process_stop_on(Some('/'), true) {
                    Ok((p, _)) => p,
                    Err(_) if self.peek().is_none() => return Err(ShellErrorKind::MissingSlash),
                    Err(e) => return Err(e),
                };
                let replacement = match self.process_stop_on(Some('}'), true) {
                    Ok((r, _)) => r,
                    Err(_) if self.peek().is_none() => return Err(ShellErrorKind::MissingBrace),
                    Err(e) => return Err(e),
                };
                let value = self.get_env(&name);
                if self.lex.skip_unset_env && value.is_none() {
                    return Ok(format!("${{{name}/{pat}/{replacement}}}"));
                }
                pattern::replace(&pat, &value.unwrap_or_default(), &replacement, replace_all)
            }
            _ => Err(ShellErrorKind::UnsupportedModifier(chs)),
        }
    }

    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && is_digit(ch) {
                while let Some(d) = self.peek().filter(|&d| is_digit(d)) {
                    self.next();
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                return ch.to_string();
            }
            if !is_letter(ch) && !is_digit(ch) && ch != '_' {
                break;
            }
            self.next();
            name.push(ch);
        }
        name
    }

    fn process_possible_heredoc(&mut self) -> String {
        self.next();
        if self.peek() != Some('<') {
            return "<".into();
        }
        self.next();
        let mut out = String::from("<<");
        while let Some(c) = self.peek().filter(|c| matches!(c, '\t' | '\r' | ' ')) {
            out.push(c);
            self.next();
        }
        out
    }
}

fn required(name: String, word: String, default: &str) -> ShellErrorKind {
    ShellErrorKind::Required {
        name,
        message: if word.is_empty() {
            default.to_string()
        } else {
            word
        },
    }
}

/// Go's `unicode.IsDigit` (approximated outside ASCII by Rust's numeric test).
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

/// Go's `unicode.IsLetter` (approximated outside ASCII by Rust's alphabetic test).
fn is_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || (!c.is_ascii() && c.is_alphabetic())
}

#[cfg(test)]
mod tests;
