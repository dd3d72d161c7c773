//! Heredoc detection: which words of a RUN/ADD/COPY line open a heredoc.

use serde::{Deserialize, Serialize};

use super::SyntaxError;
use crate::shell::{EnvList, Lexer};

/// A heredoc attached to an instruction (`<<EOF` … `EOF`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Heredoc {
    /// The delimiter with quotes removed (`EOF` for `<<'EOF'`).
    pub name: String,
    /// The file descriptor prefix of `3<<EOF` (0 when absent).
    pub file_descriptor: u64,
    /// Whether the body undergoes variable expansion: false when any part of
    /// the delimiter was quoted.
    pub expand: bool,
    /// `<<-EOF`: leading tabs are stripped from the terminator line here
    /// and from body lines by [`chomp_heredoc_content`] when used.
    pub chomp: bool,
    /// The body, each line with its newline, terminator excluded. Tabs are
    /// not yet stripped for `chomp`.
    pub content: String,
}

/// Go's regexp `\s`.
fn is_re_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// Parse a single word as a heredoc opener (buildkit `ParseHeredoc`):
/// `^(\d*)<<(-?)\s*([^<]*)$` whose delimiter lexes to exactly one word.
pub fn parse_heredoc(src: &str) -> Result<Option<Heredoc>, SyntaxError> {
    let digits = src.bytes().take_while(u8::is_ascii_digit).count();
    let Some(rest) = src[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let rest = rest.trim_start_matches(is_re_space);
    if rest.contains('<') || rest.is_empty() {
        return Ok(None);
    }
    let fd = if digits == 0 {
        0
    } else {
        src[..digits].parse::<u64>().unwrap_or(u64::MAX)
    };
    let mut lex = Lexer::new('\\');
    lex.skip_unset_env = true;
    let none = EnvList::default();
    let words = lex
        .process_words(rest, &none)
        .map_err(SyntaxError::Heredoc)?;
    if words.len() != 1 {
        return Ok(None);
    }
    lex.raw_quotes = true;
    let raw = lex
        .process_words(rest, &none)
        .map_err(SyntaxError::Heredoc)?;
    if raw.len() != words.len() {
        return Err(SyntaxError::HeredocInconsistent(rest.to_string()));
    }
    let quotes = |s: &str| s.chars().filter(|&c| c == '\'' || c == '"').count();
    Ok(Some(Heredoc {
        expand: quotes(&words[0]) == quotes(&raw[0]),
        name: words.into_iter().next().unwrap_or_default(),
        file_descriptor: fd,
        chomp,
        content: String::new(),
    }))
}

/// The heredocs opened on a logical line, in order (buildkit
/// `heredocsFromLine`). Lexing errors mean "no heredocs".
pub(super) fn heredocs_from_line(line: &str) -> Result<Vec<Heredoc>, SyntaxError> {
    let mut lex = Lexer::new('\\');
    lex.raw_quotes = true;
    lex.raw_escapes = true;
    lex.skip_unset_env = true;
    let words = lex
        .process_words(line, &EnvList::default())
        .unwrap_or_default();
    let mut docs = Vec::new();
    for w in words {
        if let Some(h) = parse_heredoc(&w)? {
            docs.push(h);
        }
    }
    Ok(docs)
}

/// Strip leading tabs from every line (for `<<-` heredocs).
pub fn chomp_heredoc_content(src: &str) -> String {
    src.split_inclusive('\n')
        .map(|l| l.trim_start_matches('\t'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_match_buildkit() {
        for src in [
            "<<EOF",
            "<<'EOF'",
            "<<\"EOF\"",
            "<<-EOF",
            "<<-'EOF'",
            "<<-\"EOF\"",
            "<<EO\"F\"",
            "<< EOF",
            "<<- EOF",
        ] {
            assert_eq!(parse_heredoc(src).unwrap().unwrap().name, "EOF", "{src}");
        }
        for src in ["<<'EOF", "<<\"EOF", "<<EOF'", "<<EOF\""] {
            assert!(parse_heredoc(src).is_err(), "{src}");
        }
        for src in ["", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh"] {
            assert_eq!(parse_heredoc(src).unwrap(), None, "{src}");
        }
        assert_eq!(
            chomp_heredoc_content("\thello\n\tworld\n"),
            "hello\nworld\n"
        );
    }

    #[test]
    fn heredocs_on_a_line() {
        let names = |l: &str| -> Vec<String> {
            heredocs_from_line(l)
                .unwrap()
                .into_iter()
                .map(|h| h.name)
                .collect()
        };
        assert_eq!(names("RUN <<EOF"), ["EOF"]);
        assert_eq!(names("RUN <<-EOF"), ["EOF"]);
        // buildkit's own table lists ["EOF"] here, but its loop only checks
        // the heredocs returned: `<<-` and `EOF` lex as two words, so none is.
        assert!(names("RUN <<- EOF").is_empty());
        assert_eq!(names("RUN << -EOF"), ["-EOF"]);
        assert_eq!(names("RUN <<'EOF'"), ["EOF"]);
        assert_eq!(names("RUN 4<<EOF"), ["EOF"]);
        assert_eq!(names("RUN <<EOF <<EOF2"), ["EOF", "EOF2"]);
        assert!(names("RUN '<<EOF'").is_empty());
        assert!(names("RUN \"<<EOF\"").is_empty());
    }
}
