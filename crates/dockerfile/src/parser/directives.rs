//! Parser directives (`# syntax=`, `# escape=`, `# check=`): comment lines
//! at the very top of the file, before any other line (even a blank one).

use serde::{Deserialize, Serialize};

use super::SyntaxError;

/// A parser directive found at the top of the Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directive {
    /// Lower-cased name: `syntax`, `escape` or `check`.
    pub name: String,
    /// The value, surrounding whitespace removed.
    pub value: String,
    /// 1-based line.
    pub line: usize,
}

/// Directive-scanning state plus the escape token it controls.
#[derive(Debug)]
pub(super) struct Directives {
    pub(super) escape: char,
    done: bool,
    pub(super) found: Vec<Directive>,
}

/// Go's regexp `\s`: `[\t\n\f\r ]` (no vertical tab).
fn is_re_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

impl Directives {
    pub(super) fn new() -> Self {
        Directives {
            escape: '\\',
            done: false,
            found: Vec::new(),
        }
    }

    /// Look at one physical line (newline and, for the first line of an
    /// instruction, leading whitespace already removed). Returns whether it
    /// was a directive.
    pub(super) fn possible_directive(
        &mut self,
        line: &str,
        line_no: usize,
    ) -> Result<bool, SyntaxError> {
        if self.done {
            return Ok(false);
        }
        let Some((name, value)) = split_directive(line) else {
            self.done = true;
            return Ok(false);
        };
        let name = name.to_ascii_lowercase();
        if !matches!(name.as_str(), "syntax" | "escape" | "check") {
            self.done = true;
            return Ok(false);
        }
        if self.found.iter().any(|d| d.name == name) {
            return Err(SyntaxError::DuplicateDirective(name));
        }
        if name == "escape" {
            self.escape = match value {
                "\\" => '\\',
                "`" => '`',
                other => return Err(SyntaxError::InvalidEscapeToken(other.to_string())),
            };
        }
        self.found.push(Directive {
            name,
            value: value.to_string(),
            line: line_no,
        });
        Ok(true)
    }
}

/// Match `#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` as Go does.
fn split_directive(line: &str) -> Option<(&str, &str)> {
    let rest = line
        .strip_prefix('#')?
        .trim_start_matches(char::is_whitespace);
    let name_len = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
        .map_or(rest.len(), |(i, _)| i);
    if name_len == 0 {
        return None;
    }
    let (name, rest) = rest.split_at(name_len);
    let rest = rest.trim_start_matches(is_re_space).strip_prefix('=')?;
    // `\s*` is greedy but must leave at least one character for `(.+?)`.
    let value = match rest.trim_start_matches(is_re_space) {
        "" if rest.is_empty() => return None,
        "" => &rest[rest.len() - 1..],
        v => v.trim_end_matches(is_re_space),
    };
    if value.contains('\n') {
        return None;
    }
    Some((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_go_regexp() {
        assert_eq!(split_directive("#escape=\\"), Some(("escape", "\\")));
        assert_eq!(
            split_directive("# key = FOO bar "),
            Some(("key", "FOO bar"))
        );
        assert_eq!(split_directive("# escape= "), Some(("escape", " ")));
        assert_eq!(split_directive("# escape="), None);
        assert_eq!(split_directive("# 1a=b"), None);
        assert_eq!(split_directive("# smth"), None);
    }

    #[test]
    fn directives_stop_at_first_other_line() {
        let mut d = Directives::new();
        assert!(d.possible_directive("# EScape=`", 1).unwrap());
        assert_eq!(d.escape, '`');
        assert!(!d.possible_directive("# KEY = FOO bar", 2).unwrap());
        assert!(!d.possible_directive("# syntax=x", 3).unwrap());
        let mut d = Directives::new();
        d.possible_directive("# syntax=a", 1).unwrap();
        assert_eq!(
            d.possible_directive("# syntax=b", 2)
                .unwrap_err()
                .to_string(),
            "only one syntax parser directive can be used"
        );
    }
}
