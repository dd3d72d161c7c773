//! Go `path/filepath` helpers on Unix: `Clean`, `Dir` and `Match`
//! (the latter also for `COPY` source wildcards).

/// Go's `filepath.Clean` for `/`-separated paths.
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|p| *p != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            p => out.push(p),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Dir`.
pub(crate) fn dir(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => clean(&path[..=i]),
        None => ".".into(),
    }
}

/// Go's `filepath.Match` for `COPY` wildcards: `None` for a malformed pattern.
pub fn path_match(pattern: &str, name: &str) -> Option<bool> {
    glob_match(pattern, name).ok()
}

/// Go's `filepath.Match`; `Err(())` is `ErrBadPattern`.
pub(crate) fn glob_match(mut pattern: &str, mut name: &str) -> Result<bool, ()> {
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            return Ok(!name.contains('/'));
        }
        let (t, ok, err) = match_chunk(chunk, name);
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if err {
            return Err(());
        }
        if star {
            let mut i = 0;
            while i < name.len() && name.as_bytes()[i] != b'/' {
                let (t, ok, err) = match_chunk(chunk, &name[i + 1..]);
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                if err {
                    return Err(());
                }
                i += 1;
            }
        }
        // The remainder of the pattern must still be well formed.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            if match_chunk(chunk, "").2 {
                return Err(());
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

fn scan_chunk(mut pattern: &str) -> (bool, &str, &str) {
    let mut star = false;
    while let Some(rest) = pattern.strip_prefix('*') {
        pattern = rest;
        star = true;
    }
    let b = pattern.as_bytes();
    let mut in_range = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if i + 1 < b.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// Returns (rest of name, matched, bad pattern). Byte offsets in `chunk`
/// always fall on character boundaries because only ASCII is consumed
/// byte-wise.
fn match_chunk<'a>(mut chunk: &str, mut s: &'a str) -> (&'a str, bool, bool) {
    let mut failed = false;
    while !chunk.is_empty() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match chunk.as_bytes()[0] {
            b'[' => {
                let mut r = '\0';
                if !failed {
                    let c = s.chars().next().unwrap_or('\0');
                    r = c;
                    s = &s[c.len_utf8()..];
                }
                chunk = &chunk[1..];
                let negated = chunk.starts_with('^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if chunk.starts_with(']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let Some((lo, rest)) = get_esc(chunk) else {
                        return ("", false, true);
                    };
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.starts_with('-') {
                        let Some((h, rest)) = get_esc(&chunk[1..]) else {
                            return ("", false, true);
                        };
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
                    let c = s.chars().next().unwrap_or('\0');
                    if c == '/' {
                        failed = true;
                    }
                    s = &s[c.len_utf8()..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                if chunk.starts_with('\\') {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return ("", false, true);
                    }
                }
                let c = chunk.chars().next().unwrap_or('\0');
                if !failed {
                    // Go compares one byte; comparing the whole character is
                    // equivalent for a match and only ever shortens a failure.
                    if !s.starts_with(c) {
                        failed = true;
                    } else {
                        s = &s[c.len_utf8()..];
                    }
                }
                chunk = &chunk[c.len_utf8()..];
            }
        }
    }
    if failed {
        ("", false, false)
    } else {
        (s, true, false)
    }
}

fn get_esc(chunk: &str) -> Option<(char, &str)> {
    if chunk.is_empty() || chunk.starts_with('-') || chunk.starts_with(']') {
        return None;
    }
    let chunk = match chunk.strip_prefix('\\') {
        Some("") => return None,
        Some(rest) => rest,
        None => chunk,
    };
    let c = chunk.chars().next()?;
    let rest = &chunk[c.len_utf8()..];
    if rest.is_empty() {
        return None;
    }
    Some((c, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_like_go() {
        for (input, want) in [
            ("", "."),
            ("a/b/../c", "a/c"),
            ("/../a", "/a"),
            ("../../a", "../../a"),
            ("a//b/./", "a/b"),
            ("/", "/"),
            ("!foo/../bar", "bar"),
        ] {
            assert_eq!(clean(input), want, "{input}");
        }
        assert_eq!(dir("a/b"), "a");
        assert_eq!(dir("a"), ".");
        assert_eq!(dir("/a"), "/");
        assert_eq!(dir("file/"), "file");
    }

    #[test]
    fn glob_validation() {
        for bad in [
            "[", "[^", "[^bc", "a[", "[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]",
        ] {
            assert_eq!(glob_match(bad, "."), Err(()), "{bad}");
        }
        for good in [
            "*",
            "a*/b",
            "[\\]a]",
            "[x\\-]",
            "[a-ζ]*",
            "a\\*b",
            "[Local-Only]/",
        ] {
            assert!(glob_match(good, ".").is_ok(), "{good}");
        }
        assert_eq!(glob_match("a*b", "a/b"), Ok(false));
        assert_eq!(glob_match("a*/b", "abc/b"), Ok(true));
    }
}
