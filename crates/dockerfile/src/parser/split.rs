//! Splitting a logical line into keyword, `--flags` and the rest, and the
//! word splitters the per-instruction argument parsers share.

use crate::gostr;

/// buildkit's `reWhitespace`: `[\t\v\f\r ]+`.
pub(super) fn is_re_ws(c: char) -> bool {
    matches!(c, '\t' | '\x0b' | '\x0c' | '\r' | ' ')
}

/// Go's `reWhitespace.Split(s, 2)`.
pub(super) fn split_ws_once(s: &str) -> (&str, Option<&str>) {
    match s.find(is_re_ws) {
        None => (s, None),
        Some(i) => {
            let rest = s[i..].trim_start_matches(is_re_ws);
            (&s[..i], Some(rest))
        }
    }
}

/// Go's `reWhitespace.Split(s, -1)` for a non-empty, trimmed `s`.
pub(super) fn split_ws_all(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        match split_ws_once(rest) {
            (head, Some(tail)) => {
                out.push(head.to_string());
                rest = tail;
            }
            (head, None) => {
                out.push(head.to_string());
                return out;
            }
        }
    }
}

/// `(keyword, flags, args)` of a logical line (buildkit `splitCommand`).
pub(super) fn split_command(line: &str, escape: char) -> (String, Vec<String>, String) {
    let (cmd, rest) = split_ws_once(gostr::trim_space(line));
    match rest {
        None => (cmd.to_string(), Vec::new(), String::new()),
        Some(rest) => {
            let (args, flags) = extract_builder_flags(rest, escape);
            (cmd.to_string(), flags, gostr::trim_space(&args).to_string())
        }
    }
}

#[derive(PartialEq, Clone, Copy)]
enum Phase {
    Spaces,
    Word,
    Quote,
}

/// Leading `--flag` words (buildkit `extractBuilderFlags`). Like buildkit
/// this walks *bytes*: a non-ASCII byte in a flag becomes the Latin-1
/// character of the same value, and the continuation bytes 0x85 and 0xA0
/// count as whitespace. A `--` word ends the flags.
pub(super) fn extract_builder_flags(line: &str, escape: char) -> (String, Vec<String>) {
    let b = line.as_bytes();
    let esc = u8::try_from(escape).unwrap_or(b'\\');
    let rest = |pos: usize| String::from_utf8_lossy(&b[pos..]).into_owned();
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut quote = 0u8;
    let mut blank_ok = false;
    let mut pos = 0;
    while pos <= b.len() {
        let at_end = pos == b.len();
        let mut ch = if at_end { 0 } else { b[pos] };
        if phase == Phase::Spaces {
            if at_end {
                break;
            }
            if gostr::is_space_byte(ch) {
                pos += 1;
                continue;
            }
            if ch != b'-' || pos + 1 == b.len() || b[pos + 1] != b'-' {
                return (rest(pos), words);
            }
            phase = Phase::Word;
        }
        if at_end {
            if word != "--" && (blank_ok || !word.is_empty()) {
                words.push(word);
            }
            break;
        }
        match phase {
            Phase::Word => {
                if gostr::is_space_byte(ch) {
                    phase = Phase::Spaces;
                    if word == "--" {
                        return (rest(pos), words);
                    }
                    if blank_ok || !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                    word.clear();
                    blank_ok = false;
                    pos += 1;
                    continue;
                }
                if ch == b'\'' || ch == b'"' {
                    quote = ch;
                    blank_ok = true;
                    phase = Phase::Quote;
                    pos += 1;
                    continue;
                }
                if ch == esc {
                    if pos + 1 == b.len() {
                        pos += 1;
                        continue;
                    }
                    pos += 1;
                    ch = b[pos];
                }
                word.push(char::from(ch));
            }
            Phase::Quote => {
                if ch == quote {
                    phase = Phase::Word;
                    pos += 1;
                    continue;
                }
                if ch == esc {
                    if pos + 1 == b.len() {
                        phase = Phase::Word;
                        pos += 1;
                        continue;
                    }
                    pos += 1;
                    ch = b[pos];
                }
                word.push(char::from(ch));
            }
            Phase::Spaces => {}
        }
        pos += 1;
    }
    (String::new(), words)
}

/// buildkit `parseWords`: split on whitespace, keeping quotes and escapes
/// in the words (they are removed later by expansion).
pub(super) fn parse_words(rest: &str, escape: char) -> Vec<String> {
    let chars: Vec<char> = rest.chars().collect();
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut buf = String::new();
    let mut pos = 0;
    while pos <= chars.len() {
        let at_end = pos == chars.len();
        let mut ch = if at_end { '\0' } else { chars[pos] };
        if phase == Phase::Spaces {
            if at_end {
                break;
            }
            if gostr::is_space(ch) {
                pos += 1;
                continue;
            }
            phase = Phase::Word;
        }
        if at_end {
            if blank_ok || !buf.is_empty() {
                words.push(buf);
            }
            break;
        }
        match phase {
            Phase::Word => {
                if gostr::is_space(ch) {
                    phase = Phase::Spaces;
                    if blank_ok || !buf.is_empty() {
                        words.push(std::mem::take(&mut buf));
                    }
                    buf.clear();
                    blank_ok = false;
                    pos += 1;
                    continue;
                }
                if ch == '\'' || ch == '"' {
                    quote = ch;
                    blank_ok = true;
                    phase = Phase::Quote;
                }
                if ch == escape {
                    if pos + 1 == chars.len() {
                        pos += 1;
                        continue;
                    }
                    buf.push(ch);
                    pos += 1;
                    ch = chars[pos];
                }
                buf.push(ch);
            }
            Phase::Quote => {
                if ch == quote {
                    phase = Phase::Word;
                }
                if ch == escape && quote != '\'' {
                    if pos + 1 == chars.len() {
                        phase = Phase::Word;
                        pos += 1;
                        continue;
                    }
                    pos += 1;
                    buf.push(ch);
                    ch = chars[pos];
                }
                buf.push(ch);
            }
            Phase::Spaces => {}
        }
        pos += 1;
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_words_keeps_quotes() {
        let cases: &[(&str, &[&str])] = &[
            ("foo", &["foo"]),
            ("foo bar", &["foo", "bar"]),
            ("foo\\ bar", &["foo\\ bar"]),
            ("foo=bar", &["foo=bar"]),
            ("foo bar 'abc xyz'", &["foo", "bar", "'abc xyz'"]),
            ("foo bar \"abc xyz\"", &["foo", "bar", "\"abc xyz\""]),
            ("àöû", &["àöû"]),
            ("föo bàr \"âbc xÿz\"", &["föo", "bàr", "\"âbc xÿz\""]),
        ];
        for (input, expect) in cases {
            assert_eq!(parse_words(input, '\\'), *expect, "{input}");
        }
    }

    #[test]
    fn builder_flags() {
        let f = |s: &str| extract_builder_flags(s, '\\');
        assert_eq!(
            f("--a=1 --b x y"),
            ("x y".into(), vec!["--a=1".into(), "--b".into()])
        );
        assert_eq!(f("--a -- --b"), (" --b".into(), vec!["--a".into()]));
        assert_eq!(f("--a=\"x y\" z"), ("z".into(), vec!["--a=x y".into()]));
        assert_eq!(f("--a"), (String::new(), vec!["--a".into()]));
        assert_eq!(f("-a b"), ("-a b".into(), vec![]));
        // Byte-wise like buildkit: "ü" (C3 BC) becomes "Ã¼".
        assert_eq!(f("--x=ü y"), ("y".into(), vec!["--x=\u{c3}\u{bc}".into()]));
    }
}
