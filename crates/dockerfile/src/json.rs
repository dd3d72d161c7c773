//! The JSON (exec) form detector: Go's `json.Unmarshal(rest, &[]any{})`
//! reduced to the three outcomes buildkit distinguishes.
//!
//! A hand-written scanner is used instead of `serde_json` because the
//! outcome must match Go's decoder exactly: Go accepts lone UTF-16
//! surrogates (replacing them with U+FFFD), nests up to 10000 levels, and
//! treats a number that overflows `float64` as a decode error.

/// How a JSON-looking argument string decodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JsonArray {
    /// A JSON array of strings (the exec form).
    Strings(Vec<String>),
    /// Valid JSON array, but an element is not a string: a hard parse error.
    NotStrings,
    /// Not decodable JSON: the caller falls back to the shell form.
    Invalid,
}

const MAX_DEPTH: usize = 10_000;

/// Decode `s`, which must start with `[` (after leading whitespace was
/// trimmed by the caller).
pub(crate) fn parse_string_array(s: &str) -> JsonArray {
    let mut p = Scanner {
        b: s.as_bytes(),
        s,
        i: 0,
        overflow: false,
    };
    p.ws();
    if p.peek() != Some(b'[') {
        return JsonArray::Invalid;
    }
    p.i += 1;
    let mut items = Vec::new();
    let mut all_strings = true;
    p.ws();
    if p.peek() == Some(b']') {
        p.i += 1;
    } else {
        loop {
            p.ws();
            if p.peek() == Some(b'"') {
                match p.string() {
                    Some(v) => items.push(v),
                    None => return JsonArray::Invalid,
                }
            } else {
                all_strings = false;
                if !p.value() {
                    return JsonArray::Invalid;
                }
            }
            p.ws();
            match p.peek() {
                Some(b',') => p.i += 1,
                Some(b']') => {
                    p.i += 1;
                    break;
                }
                _ => return JsonArray::Invalid,
            }
        }
    }
    p.ws();
    if p.i != p.b.len() || p.overflow {
        return JsonArray::Invalid;
    }
    if all_strings {
        JsonArray::Strings(items)
    } else {
        JsonArray::NotStrings
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    s: &'a str,
    i: usize,
    overflow: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Container {
    Array,
    Object,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// Validate one value of any type without recursion. The enclosing
    /// array counts as one level of nesting.
    fn value(&mut self) -> bool {
        let mut stack: Vec<Container> = Vec::new();
        loop {
            // Expect a value.
            self.ws();
            match self.peek() {
                Some(b'[') | Some(b'{') => {
                    let c = if self.peek() == Some(b'[') {
                        Container::Array
                    } else {
                        Container::Object
                    };
                    self.i += 1;
                    if stack.len() + 2 > MAX_DEPTH {
                        return false;
                    }
                    stack.push(c);
                    self.ws();
                    let close = if c == Container::Array { b']' } else { b'}' };
                    if self.peek() == Some(close) {
                        self.i += 1;
                        stack.pop();
                    } else {
                        if c == Container::Object && !self.key() {
                            return false;
                        }
                        continue;
                    }
                }
                Some(b'"') => {
                    if self.string().is_none() {
                        return false;
                    }
                }
                Some(b't') => {
                    if !self.literal("true") {
                        return false;
                    }
                }
                Some(b'f') => {
                    if !self.literal("false") {
                        return false;
                    }
                }
                Some(b'n') => {
                    if !self.literal("null") {
                        return false;
                    }
                }
                Some(b'-' | b'0'..=b'9') => {
                    if !self.number() {
                        return false;
                    }
                }
                _ => return false,
            }
            // After a value: close containers or continue with a separator.
            loop {
                let Some(&top) = stack.last() else {
                    return true;
                };
                self.ws();
                let close = if top == Container::Array { b']' } else { b'}' };
                match self.peek() {
                    Some(b',') => {
                        self.i += 1;
                        if top == Container::Object && !self.key() {
                            return false;
                        }
                        break;
                    }
                    Some(c) if c == close => {
                        self.i += 1;
                        stack.pop();
                    }
                    _ => return false,
                }
            }
        }
    }

    /// An object key and its colon.
    fn key(&mut self) -> bool {
        self.ws();
        if self.peek() != Some(b'"') || self.string().is_none() {
            return false;
        }
        self.ws();
        if self.peek() != Some(b':') {
            return false;
        }
        self.i += 1;
        true
    }

    fn literal(&mut self, word: &str) -> bool {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> bool {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return false,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return false;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return false;
            }
        }
        // Go decodes numbers into float64; overflow is a decode error.
        if let Ok(v) = self.s[start..self.i].parse::<f64>()
            && v.is_infinite()
        {
            self.overflow = true;
        }
        true
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let h = self.b.get(at..at + 4)?;
        let s = std::str::from_utf8(h).ok()?;
        if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(s, 16).ok()
    }

    /// A string starting at the opening quote; returns its decoded value.
    fn string(&mut self) -> Option<String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let rest = &self.s[self.i..];
            let c = rest.chars().next()?;
            match c {
                '"' => {
                    self.i += 1;
                    return Some(out);
                }
                '\\' => {
                    let e = *self.b.get(self.i + 1)?;
                    self.i += 2;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\x08'),
                        b'f' => out.push('\x0c'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let r = self.hex4(self.i)?;
                            self.i += 4;
                            if (0xD800..0xE000).contains(&r) {
                                // Try to pair with a following \uXXXX.
                                let pair = if self.b.get(self.i..self.i + 2) == Some(b"\\u") {
                                    self.hex4(self.i + 2)
                                } else {
                                    None
                                };
                                match pair {
                                    Some(lo)
                                        if (0xD800..0xDC00).contains(&r)
                                            && (0xDC00..0xE000).contains(&lo) =>
                                    {
                                        let v = 0x10000 + ((r - 0xD800) << 10) + (lo - 0xDC00);
                                        out.push(char::from_u32(v).unwrap_or('\u{FFFD}'));
                                        self.i += 6;
                                    }
                                    _ => out.push('\u{FFFD}'),
                                }
                            } else {
                                out.push(char::from_u32(r).unwrap_or('\u{FFFD}'));
                            }
                        }
                        _ => return None,
                    }
                }
                c if (c as u32) < 0x20 => return None,
                c => {
                    out.push(c);
                    self.i += c.len_utf8();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> JsonArray {
        JsonArray::Strings(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn decodes_like_go() {
        assert_eq!(parse_string_array("[]"), strings(&[]));
        assert_eq!(parse_string_array(r#"[ "a", "b" ]"#), strings(&["a", "b"]));
        assert_eq!(parse_string_array(r#"["\ud800"]"#), strings(&["\u{FFFD}"]));
        assert_eq!(parse_string_array(r#"["\ud83d\ude00"]"#), strings(&["😀"]));
        assert_eq!(parse_string_array("[1]"), JsonArray::NotStrings);
        assert_eq!(
            parse_string_array(r#"["a", {"k": [null]}]"#),
            JsonArray::NotStrings
        );
        assert_eq!(parse_string_array("[1e400]"), JsonArray::Invalid);
        assert_eq!(parse_string_array("['a']"), JsonArray::Invalid);
        assert_eq!(parse_string_array(r#"["a"] x"#), JsonArray::Invalid);
        assert_eq!(parse_string_array(r#"["a",]"#), JsonArray::Invalid);
        assert_eq!(parse_string_array("[\"a\tb\"]"), JsonArray::Invalid);
        let deep = format!("[{}{}]", "[".repeat(9998), "]".repeat(9998));
        assert_eq!(parse_string_array(&deep), JsonArray::NotStrings);
        let too_deep = format!("[{}{}]", "[".repeat(10000), "]".repeat(10000));
        assert_eq!(parse_string_array(&too_deep), JsonArray::Invalid);
    }
}
