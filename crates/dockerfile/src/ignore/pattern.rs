//! One `.dockerignore` pattern compiled as moby/patternmatcher compiles it.

use crate::re::Regex;

#[derive(Debug, Clone)]
pub(super) enum Matcher {
    /// The path equals the pattern.
    Exact,
    /// `dir/**` (or any pattern ending in `**` with no other wildcard).
    Prefix,
    /// `**/…` with no other wildcard.
    Suffix,
    /// Everything else.
    Regex(Regex),
    /// The generated regular expression did not compile: matching against
    /// this pattern fails with "syntax error in pattern", as in Docker.
    Bad,
}

/// patternmatcher's escape set. Its bit table is indexed with a byte-typed
/// shift, so of `.+()|{}$` only `. + ( ) $` end up escaped: `|`, `{`, `}`
/// (and `^`) reach the regular expression unescaped.
fn should_escape(c: char) -> bool {
    matches!(c, '.' | '+' | '(' | ')' | '$')
}

/// Translate a cleaned pattern; returns the matcher and, for regex
/// patterns, the expression.
pub(super) fn compile(pattern: &str) -> (Matcher, String) {
    let mut chars: Vec<char> = pattern.chars().collect();
    if chars.first() == Some(&'\u{FEFF}') {
        chars.remove(0);
    }
    #[derive(PartialEq)]
    enum Ty {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }
    let mut reg = String::from("^");
    let mut ty = Ty::Exact;
    let mut idx = 0;
    let mut i = 0;
    while idx < chars.len() {
        let ch = chars[idx];
        idx += 1;
        if ch == '*' {
            if chars.get(idx) == Some(&'*') {
                idx += 1;
                if chars.get(idx) == Some(&'/') {
                    idx += 1;
                }
                if idx >= chars.len() {
                    if ty == Ty::Exact {
                        ty = Ty::Prefix;
                    } else {
                        reg.push_str(".*");
                        ty = Ty::Regex;
                    }
                } else {
                    reg.push_str("(.*/)?");
                    ty = Ty::Regex;
                }
                if i == 0 {
                    ty = Ty::Suffix;
                }
            } else {
                reg.push_str("[^/]*");
                ty = Ty::Regex;
            }
        } else if ch == '?' {
            reg.push_str("[^/]");
            ty = Ty::Regex;
        } else if should_escape(ch) {
            reg.push('\\');
            reg.push(ch);
        } else if ch == '\\' {
            match chars.get(idx) {
                Some(&next) => {
                    idx += 1;
                    reg.push('\\');
                    reg.push(next);
                    ty = Ty::Regex;
                }
                None => reg.push('\\'),
            }
        } else if ch == '[' || ch == ']' {
            reg.push(ch);
            ty = Ty::Regex;
        } else {
            reg.push(ch);
        }
        i += 1;
    }
    match ty {
        Ty::Exact => (Matcher::Exact, String::new()),
        Ty::Prefix => (Matcher::Prefix, String::new()),
        Ty::Suffix => (Matcher::Suffix, String::new()),
        Ty::Regex => {
            reg.push('$');
            match Regex::new(&reg) {
                Ok(re) => (Matcher::Regex(re), reg),
                Err(_) => (Matcher::Bad, reg),
            }
        }
    }
}

/// Match `path` against a compiled pattern; `Err(())` for a bad pattern.
pub(super) fn matches(m: &Matcher, cleaned: &str, path: &str) -> Result<bool, ()> {
    Ok(match m {
        Matcher::Exact => path == cleaned,
        Matcher::Prefix => {
            path.starts_with(cleaned.get(..cleaned.len().saturating_sub(2)).unwrap_or(""))
        }
        Matcher::Suffix => {
            let suffix = cleaned.get(2..).unwrap_or("");
            path.ends_with(suffix) || suffix.strip_prefix('/').is_some_and(|s| path == s)
        }
        Matcher::Regex(re) => re.is_match(path),
        Matcher::Bad => return Err(()),
    })
}
