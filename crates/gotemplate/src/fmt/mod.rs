//! The parts of Go's `fmt` and `strconv` that templates reach: `%v` printing of values,
//! `Sprint`, `Sprintln`, `Sprintf` and `strconv.Quote`.

mod float;
mod printf;

pub(crate) use float::format_float;
pub(crate) use printf::{sprint, sprintf, sprintln};

pub(crate) use crate::unicode::is_print;
use crate::value::Val;

/// `%v` of a value as Go's fmt prints it (nil prints as `<nil>`).
pub(crate) fn value_string(v: &Val<'_>) -> String {
    if let Some(s) = v.as_str() {
        return s.to_string();
    }
    sprint(std::slice::from_ref(v))
}

/// `strconv.Quote`.
pub(crate) fn quote(s: &str) -> String {
    quote_with(s, '"', false)
}

/// `strconv.Quote` (`quote == '"'`) and `strconv.QuoteRune` (`quote == '\''`), optionally
/// escaping all non-ASCII runes (`QuoteToASCII`).
pub(crate) fn quote_with(s: &str, quote: char, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        push_escaped(&mut out, c, quote, ascii_only);
    }
    out.push(quote);
    out
}

fn push_escaped(out: &mut String, r: char, quote: char, ascii_only: bool) {
    if r == quote || r == '\\' {
        out.push('\\');
        out.push(r);
        return;
    }
    let printable = if ascii_only {
        r.is_ascii() && is_print(r)
    } else {
        is_print(r)
    };
    if printable {
        out.push(r);
        return;
    }
    let cp = u32::from(r);
    match r {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        _ if cp < 0x20 || cp == 0x7f => out.push_str(&format!("\\x{cp:02x}")),
        _ if cp < 0x10000 => out.push_str(&format!("\\u{cp:04x}")),
        _ => out.push_str(&format!("\\U{cp:08x}")),
    }
}

/// `strconv.CanBackquote`.
pub(crate) fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !(c < ' ' || c == '\x7f')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_like_strconv() {
        assert_eq!(quote("hello"), "\"hello\"");
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("tab\there\n"), r#""tab\there\n""#);
        assert_eq!(quote("\x01\x7f"), r#""\x01\x7f""#);
        assert_eq!(quote("é本"), "\"é本\"");
        assert_eq!(quote("\u{a0}\u{200b}"), r#""\u00a0\u200b""#);
        assert_eq!(quote("\u{e0001}"), r#""\U000e0001""#);
        assert_eq!(quote_with("é", '"', true), r#""\u00e9""#);
        assert_eq!(quote_with("'", '\'', false), r"'\''");
    }
}
