//! Shell patterns in `${v#pat}`, `${v%pat}` and `${v/pat/repl}`: `*` (any
//! run of characters), `?` (one character) and `\` escapes, translated to a
//! Go regular expression exactly as buildkit does (so `*` and `?` do not
//! cross a newline, as Go's `.` does not).

use super::ShellErrorKind;
use crate::re::Regex;

fn convert(pattern: &str, greedy: bool, anchored: bool) -> Result<Regex, ShellErrorKind> {
    let invalid = |reason: String| ShellErrorKind::InvalidPattern {
        pattern: pattern.to_string(),
        reason,
    };
    let mut chars: Vec<char> = pattern.chars().collect();
    if chars.first() == Some(&'\u{FEFF}') {
        chars.remove(0);
    }
    let mut out = String::with_capacity(pattern.len() + 4);
    if anchored {
        out.push('^');
    }
    let star = if greedy { ".*" } else { ".*?" };
    let mut i = 0;
    while i < chars.len() {
        let tok = chars[i];
        i += 1;
        match tok {
            '*' => out.push_str(star),
            '?' => out.push('.'),
            '\\' => {
                // `}` and `/` are escaped only to get past the ${} parser.
                if matches!(chars.get(i), Some('}' | '/')) {
                    continue;
                }
                let next = chars.get(i).copied();
                i += 1;
                match next {
                    Some(c @ ('*' | '?' | '\\')) => {
                        out.push('\\');
                        out.push(c);
                    }
                    other => {
                        return Err(invalid(format!(
                            "invalid escape '\\{}'",
                            other.unwrap_or('\u{FFFD}')
                        )));
                    }
                }
            }
            '[' | ']' | '{' | '}' | '.' | '+' | '(' | ')' | '|' | '^' | '$' => {
                out.push('\\');
                out.push(tok);
            }
            c => out.push(c),
        }
    }
    Regex::new(&out).map_err(|e| invalid(e.to_string()))
}

/// `${v#pat}` / `${v##pat}`: remove the shortest (longest) matching prefix.
pub(super) fn trim_prefix(
    pattern: &str,
    value: &str,
    greedy: bool,
) -> Result<String, ShellErrorKind> {
    let re = convert(pattern, greedy, true)?;
    Ok(match re.find_at(value, 0) {
        Some((_, end)) => value[end..].to_string(),
        None => value.to_string(),
    })
}

/// `${v%pat}` / `${v%%pat}`: remove the shortest (longest) matching suffix,
/// by reversing both the pattern (keeping escapes in front of what they
/// escape) and the value.
pub(super) fn trim_suffix(
    pattern: &str,
    value: &str,
    greedy: bool,
) -> Result<String, ShellErrorKind> {
    let reversed: String = value.chars().rev().collect();
    let trimmed = trim_prefix(&reverse_pattern(pattern), &reversed, greedy)?;
    Ok(trimmed.chars().rev().collect())
}

fn reverse_pattern(pattern: &str) -> String {
    let p: Vec<char> = pattern.chars().collect();
    if p.is_empty() {
        return String::new();
    }
    let last = p.len() - 1;
    let mut out = vec!['\0'; p.len()];
    let mut i = 0;
    while i <= last {
        let tok = p[i];
        let idx = last - i;
        if tok == '\\' && i != last {
            out[idx - 1] = tok;
            out[idx] = p[i + 1];
            i += 2;
        } else {
            out[idx] = tok;
            i += 1;
        }
    }
    out.into_iter().collect()
}

/// `${v/pat/repl}` (first match, replacement literal) and `${v//pat/repl}`
/// (all matches, via Go's `ReplaceAllString`, which expands `$0`/`$$`).
pub(super) fn replace(
    pattern: &str,
    value: &str,
    replacement: &str,
    all: bool,
) -> Result<String, ShellErrorKind> {
    let re = convert(pattern, true, false)?;
    if all {
        return Ok(re.replace_all(value, replacement));
    }
    Ok(match re.find_at(value, 0) {
        Some((a, b)) => format!("{}{}{}", &value[..a], replacement, &value[b..]),
        None => value.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_pattern_keeps_escapes() {
        assert_eq!(reverse_pattern("a\\*c"), "c\\*a");
        assert_eq!(reverse_pattern("\\\\\\ab"), "b\\a\\\\");
        assert_eq!(reverse_pattern("ab\\"), "\\ba");
        assert_eq!(reverse_pattern("👽\\🚀🖖"), "🖖\\🚀👽");
        assert_eq!(reverse_pattern("\\\\b"), "b\\\\");
    }

    #[test]
    fn invalid_escapes_are_rejected() {
        for p in ["\\", "\\x", "\\\\\\"] {
            assert!(convert(p, true, true).is_err(), "{p}");
        }
        assert!(convert("(()[]{\\}^$.\\*\\?|\\\\", true, true).is_ok());
    }
}
