//! Go's `path.Match` and distribution/reference's `FamiliarMatch`, which Docker uses for
//! `docker images <pattern>` and the `reference=` filter.

use crate::{AnyReference, Reference};

/// Go's `path.ErrBadPattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("syntax error in pattern")]
pub struct BadPattern;

impl AnyReference {
    /// Go's `FamiliarMatch`: whether the familiar string (`foo/bar:tag`) or, failing that, the
    /// familiar name (`foo/bar`) matches the shell pattern.
    pub fn familiar_match(&self, pattern: &str) -> Result<bool, BadPattern> {
        let result = path_match(pattern, &self.familiar_string());
        if let (AnyReference::Named(named), Ok(false)) = (self, &result) {
            return Ok(path_match(pattern, &named.familiar_name()).unwrap_or(false));
        }
        result
    }
}

impl Reference {
    /// [`AnyReference::familiar_match`] for a named reference.
    pub fn familiar_match(&self, pattern: &str) -> Result<bool, BadPattern> {
        AnyReference::Named(self.clone()).familiar_match(pattern)
    }
}

/// Go's `path.Match`: `*` (any run of non-`/`), `?` (one non-`/` character), `[...]` classes with
/// ranges and `^` negation, `\` escapes. The whole name must match.
pub fn path_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let mut pattern = pattern.as_bytes();
    let mut name = name.as_bytes();
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing star matches the rest unless it has a '/'.
            return Ok(!name.contains(&b'/'));
        }
        let result = match_chunk(chunk, name);
        if let Ok(Some(t)) = result
            && (t.is_empty() || !pattern.is_empty())
        {
            name = t;
            continue;
        }
        result?;
        if star {
            // Try skipping i+1 bytes of the name; a star cannot skip a '/'.
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                if let Some(t) = match_chunk(chunk, &name[i + 1..])? {
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                i += 1;
            }
        }
        // No match; still report a syntax error anywhere in the rest of the pattern.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, b"")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Splits off leading stars and the following star-free chunk.
fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while let [b'*', rest @ ..] = pattern {
        pattern = rest;
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => return (star, &pattern[..i], &pattern[i..]),
            _ => {}
        }
        i += 1;
    }
    (star, pattern, &[])
}

/// Matches a star-free chunk against the start of `s`: `Ok(Some(rest))` on a match. The whole
/// chunk is always checked for syntax, even after the match has failed.
fn match_chunk<'a>(mut chunk: &[u8], mut s: &'a [u8]) -> Result<Option<&'a [u8]>, BadPattern> {
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match c {
            b'[' => {
                let mut r = 0u32;
                if !failed {
                    let (rune, n) = decode_rune(s);
                    r = rune;
                    s = &s[n..];
                }
                chunk = &chunk[1..];
                let negated = chunk.first() == Some(&b'^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if chunk.first() == Some(&b']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.first() == Some(&b'-') {
                        let (h, rest) = get_esc(&chunk[1..])?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s[0] == b'/' {
                        failed = true;
                    }
                    s = &s[decode_rune(s).1..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                if c == b'\\' {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return Err(BadPattern);
                    }
                }
                if !failed {
                    if chunk[0] != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    Ok((!failed).then_some(s))
}

/// A possibly escaped character of a character class.
fn get_esc(chunk: &[u8]) -> Result<(u32, &[u8]), BadPattern> {
    let chunk = match chunk {
        [] | [b'-' | b']', ..] => return Err(BadPattern),
        [b'\\'] => return Err(BadPattern),
        [b'\\', rest @ ..] => rest,
        _ => chunk,
    };
    let (r, n) = decode_rune(chunk);
    let rest = &chunk[n..];
    if (r == u32::from(char::REPLACEMENT_CHARACTER) && n == 1) || rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((r, rest))
}

/// Go's `utf8.DecodeRune`: U+FFFD with width 1 on an invalid sequence, (U+FFFD, 0) on empty input.
fn decode_rune(s: &[u8]) -> (u32, usize) {
    let replacement = u32::from(char::REPLACEMENT_CHARACTER);
    let Some(&first) = s.first() else {
        return (replacement, 0);
    };
    let width = match first {
        0x00..=0x7f => return (u32::from(first), 1),
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return (replacement, 1),
    };
    match s
        .get(..width)
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|t| t.chars().next())
    {
        Some(c) => (u32::from(c), width),
        None => (replacement, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // distribution/reference normalize_test.go, TestMatch.
    #[test]
    fn familiar_match_table() {
        let cases = [
            ("foo", "foo/**/ba[rz]", false),
            ("foo/any/bat", "foo/**/ba[rz]", false),
            ("foo/a/bar", "foo/**/ba[rz]", true),
            ("foo/b/baz", "foo/**/ba[rz]", true),
            ("foo/c/baz:tag", "foo/**/ba[rz]", true),
            ("foo/c/baz:tag", "foo/*/baz:tag", true),
            ("foo/c/baz:tag", "foo/c/baz:tag", true),
            ("example.com/foo/c/baz:tag", "*/foo/c/baz", true),
            ("example.com/foo/c/baz:tag", "example.com/foo/c/baz", true),
        ];
        for (reference, pattern, want) in cases {
            let r = AnyReference::parse(reference).unwrap();
            assert_eq!(
                r.familiar_match(pattern),
                Ok(want),
                "{reference} ~ {pattern}"
            );
        }
    }

    // normalize_test.go, TestMatchError.
    #[test]
    fn familiar_match_bad_pattern() {
        let r = AnyReference::parse("foo").unwrap();
        assert_eq!(r.familiar_match("[-x]"), Err(BadPattern));
        assert_eq!(BadPattern.to_string(), "syntax error in pattern");
    }

    // Go's path/match_test.go table.
    #[test]
    fn go_path_match_table() {
        let err = Err(BadPattern);
        let cases: &[(&str, &str, Result<bool, BadPattern>)] = &[
            ("abc", "abc", Ok(true)),
            ("*", "abc", Ok(true)),
            ("*c", "abc", Ok(true)),
            ("a*", "a", Ok(true)),
            ("a*", "abc", Ok(true)),
            ("a*", "ab/c", Ok(false)),
            ("a*/b", "abc/b", Ok(true)),
            ("a*/b", "a/c/b", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Ok(false)),
            ("a*b?c*x", "abxbbxdbxebxczzx", Ok(true)),
            ("a*b?c*x", "abxbbxdbxebxczzy", Ok(false)),
            ("ab[c]", "abc", Ok(true)),
            ("ab[b-d]", "abc", Ok(true)),
            ("ab[e-g]", "abc", Ok(false)),
            ("ab[^c]", "abc", Ok(false)),
            ("ab[^b-d]", "abc", Ok(false)),
            ("ab[^e-g]", "abc", Ok(true)),
            ("a\\*b", "a*b", Ok(true)),
            ("a\\*b", "ab", Ok(false)),
            ("a?b", "a☺b", Ok(true)),
            ("a[^a]b", "a☺b", Ok(true)),
            ("a???b", "a☺b", Ok(false)),
            ("a[^a][^a][^a]b", "a☺b", Ok(false)),
            ("[a-ζ]*", "α", Ok(true)),
            ("*[a-ζ]", "A", Ok(false)),
            ("a?b", "a/b", Ok(false)),
            ("a*b", "a/b", Ok(false)),
            ("[\\]a]", "]", Ok(true)),
            ("[\\-]", "-", Ok(true)),
            ("[x\\-]", "x", Ok(true)),
            ("[x\\-]", "-", Ok(true)),
            ("[x\\-]", "z", Ok(false)),
            ("[\\-x]", "x", Ok(true)),
            ("[\\-x]", "-", Ok(true)),
            ("[\\-x]", "a", Ok(false)),
            ("[]a]", "]", err),
            ("[-]", "-", err),
            ("[x-]", "x", err),
            ("[x-]", "-", err),
            ("[x-]", "z", err),
            ("[-x]", "x", err),
            ("[-x]", "-", err),
            ("[-x]", "a", err),
            ("\\", "a", err),
            ("[a-b-c]", "a", err),
            ("[", "a", err),
            ("[^", "a", err),
            ("[^bc", "a", err),
            ("a[", "a", err),
            ("a[", "ab", err),
            ("a[", "x", err),
            ("a/b[", "x", err),
            ("*x", "xxx", Ok(true)),
        ];
        for (pattern, name, want) in cases {
            assert_eq!(path_match(pattern, name), *want, "{pattern} ~ {name}");
        }
    }
}
