//! The `html`, `js` and `urlquery` escapers of Go's text/template.

use crate::fmt::is_print;

/// `template.HTMLEscapeString`.
pub(crate) fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// `template.JSEscapeString`.
pub(crate) fn js(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if c < ' ' => out.push_str(&format!("\\u00{:02X}", u32::from(c))),
            c if c.is_ascii() || is_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", u32::from(c))),
        }
    }
    out
}

/// `url.QueryEscape`.
pub(crate) fn urlquery(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes() {
        assert_eq!(
            html("<script>alert(\"XSS\");</script>"),
            "&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;"
        );
        assert_eq!(html("it's"), "it&#39;s");
    }

    /// Go's TestJSEscaping vectors.
    #[test]
    fn js_escapes() {
        assert_eq!(js("a"), "a");
        assert_eq!(js("'foo"), "\\'foo");
        assert_eq!(js(r#"Go "jump" \"#), r#"Go \"jump\" \\"#);
        assert_eq!(
            js("Yukihiro says \"今日は世界\""),
            "Yukihiro says \\\"今日は世界\\\""
        );
        assert_eq!(js("unprintable \u{FFFE}"), "unprintable \\uFFFE");
        assert_eq!(js("<html>"), "\\u003Chtml\\u003E");
        assert_eq!(js("no = in attributes"), "no \\u003D in attributes");
        assert_eq!(
            js("&#x27; does not become HTML entity"),
            "\\u0026#x27; does not become HTML entity"
        );
        assert_eq!(js("\x01"), "\\u0001");
    }

    #[test]
    fn urlquery_escapes() {
        assert_eq!(
            urlquery("http://www.example.org/"),
            "http%3A%2F%2Fwww.example.org%2F"
        );
        assert_eq!(urlquery("a b+c~é"), "a+b%2Bc~%C3%A9");
    }
}
