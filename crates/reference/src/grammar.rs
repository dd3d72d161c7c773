//! The reference grammar of `distribution/reference` (`regexp.go`), matched by hand.
//!
//! ```text
//! reference        := name [ ":" tag ] [ "@" digest ]
//! name             := [domain '/'] remote-name
//! domain           := host [':' port-number]
//! host             := domain-name | '[' IPv6address ']'
//! domain-name      := domain-component ['.' domain-component]*
//! domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//! port-number      := /[0-9]+/
//! remote-name      := path-component ['/' path-component]*
//! path-component   := /[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*/
//! tag              := /[\w][\w.-]{0,127}/
//! digest           := /[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}/
//! identifier       := /[a-f0-9]{64}/
//! ```
//!
//! Go's `regexp` picks the leftmost-first match; where that matters (whether the first
//! `/`-separated element of a name is a domain) the functions below make the same choice.

/// The pieces of a string that matched the whole reference grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawReference<'a> {
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

/// Matches `s` against the anchored reference grammar (Go's `referenceRegexp`).
pub(crate) fn match_reference(s: &str) -> Option<RawReference<'_>> {
    // Neither a name nor a tag nor a digest may contain '@', so the first one separates the digest.
    let (left, digest) = match s.split_once('@') {
        Some((left, digest)) => (left, Some(digest)),
        None => (s, None),
    };
    if digest.is_some_and(|d| !is_digest(d)) {
        return None;
    }
    // A ':' after the last '/' can only start the tag: in a name, ':' appears only in the
    // domain's port, and the domain is always followed by '/'.
    let (name, tag) = match (left.rfind(':'), left.rfind('/')) {
        (Some(colon), slash) if slash.is_none_or(|slash| colon > slash) => {
            (&left[..colon], Some(&left[colon + 1..]))
        }
        _ => (left, None),
    };
    if tag.is_some_and(|t| !is_tag(t)) {
        return None;
    }
    split_name(name)?;
    Some(RawReference { name, tag, digest })
}

/// Splits a name into domain and remote name (Go's `anchoredNameRegexp`). The domain is `""` when
/// the first element is not a domain. `None` when `name` is not a valid name.
pub(crate) fn split_name(name: &str) -> Option<(&str, &str)> {
    // The optional domain group is greedy: a first element that can be a domain is one.
    if let Some((domain, rest)) = name.split_once('/')
        && is_domain_and_port(domain)
        && is_remote_name(rest)
    {
        return Some((domain, rest));
    }
    is_remote_name(name).then_some(("", name))
}

/// `path-component ['/' path-component]*`
pub(crate) fn is_remote_name(s: &str) -> bool {
    s.split('/').all(|c| is_path_component(c.as_bytes()))
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn is_path_component(s: &[u8]) -> bool {
    let is_alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let is_sep = |b: u8| matches!(b, b'.' | b'_' | b'-');
    let mut i = 0;
    loop {
        let start = i;
        while i < s.len() && is_alnum(s[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == s.len() {
            return true;
        }
        let start = i;
        while i < s.len() && is_sep(s[i]) {
            i += 1;
        }
        let sep = &s[start..i];
        let valid = matches!(sep, b"." | b"_" | b"__")
            || (!sep.is_empty() && sep.iter().all(|&b| b == b'-'));
        if !valid {
            return false;
        }
    }
}

/// `host [':' port-number]` where host is a domain name, an IPv4 address or `[IPv6]`.
pub(crate) fn is_domain_and_port(s: &str) -> bool {
    let s = s.as_bytes();
    let rest = if s.first() == Some(&b'[') {
        let Some(close) = s.iter().position(|&b| b == b']') else {
            return false;
        };
        let inner = &s[1..close];
        if inner.is_empty() || !inner.iter().all(|&b| b.is_ascii_hexdigit() || b == b':') {
            return false;
        }
        &s[close + 1..]
    } else {
        let end = s.iter().position(|&b| b == b':').unwrap_or(s.len());
        if !is_domain_name(&s[..end]) {
            return false;
        }
        &s[end..]
    };
    match rest {
        [] => true,
        [b':', port @ ..] => !port.is_empty() && port.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// `domain-component ['.' domain-component]*`
fn is_domain_name(s: &[u8]) -> bool {
    s.split(|&b| b == b'.').all(|c| {
        !c.is_empty()
            && c.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
            && c[0] != b'-'
            && c[c.len() - 1] != b'-'
    })
}

/// `[\w][\w.-]{0,127}` (Go's `\w` is ASCII only).
pub(crate) fn is_tag(s: &str) -> bool {
    let s = s.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    match s {
        [first, rest @ ..] => {
            s.len() <= 128
                && word(*first)
                && rest.iter().all(|&b| word(b) || b == b'.' || b == b'-')
        }
        [] => false,
    }
}

/// The digest production of the reference grammar. It is looser than what go-digest then
/// accepts (see [`crate::digest`]).
pub(crate) fn is_digest(s: &str) -> bool {
    let Some((algorithm, hex)) = s.split_once(':') else {
        return false;
    };
    let component = |c: &[u8]| {
        c.first().is_some_and(u8::is_ascii_alphabetic) && c.iter().all(u8::is_ascii_alphanumeric)
    };
    algorithm
        .as_bytes()
        .split(|&b| matches!(b, b'-' | b'_' | b'+' | b'.'))
        .all(component)
        && hex.len() >= 32
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `[a-f0-9]{64}`: an image ID without its `sha256:` prefix.
pub(crate) fn is_identifier(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    // distribution/reference regexp_test.go, TestDomainRegexp.
    #[test]
    fn domain_regexp_table() {
        let cases = [
            ("test.com", true),
            ("test.com:10304", true),
            ("test.com:http", false),
            ("localhost", true),
            ("localhost:8080", true),
            ("a", true),
            ("a.b", true),
            ("ab.cd.com", true),
            ("a-b.com", true),
            ("-ab.com", false),
            ("ab-.com", false),
            ("ab.c-om", true),
            ("ab.-com", false),
            ("ab.com-", false),
            ("0101.com", true),
            ("001a.com", true),
            ("b.gbc.io:443", true),
            ("b.gbc.io", true),
            ("xn--n3h.com", true),
            ("Asdf.com", true),
            ("192.168.1.1:75050", true),
            ("192.168.1.1:750050", true),
            ("[fd00:1:2::3]:75050", true),
            ("[fd00:1:2::3]75050", false),
            ("[fd00:1:2::3]::75050", false),
            ("[fd00:1:2::3%eth0]:75050", false),
            ("[fd00123123123]:75050", true),
            ("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050", true),
            ("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505", true),
            ("fd00:1:2::3:75050", false),
        ];
        for (input, want) in cases {
            assert_eq!(is_domain_and_port(input), want, "{input}");
        }
    }

    // regexp_test.go, TestFullNameRegexp: (input, Some((domain, path))) or None for no match.
    #[test]
    fn full_name_regexp_table() {
        let a128 = format!("{}a", "a/".repeat(128));
        let a127 = format!("{}a", "a/".repeat(127));
        let cases: Vec<(&str, Option<(&str, &str)>)> = vec![
            ("", None),
            ("short", Some(("", "short"))),
            ("simple/name", Some(("simple", "name"))),
            ("library/ubuntu", Some(("library", "ubuntu"))),
            ("docker/stevvooe/app", Some(("docker", "stevvooe/app"))),
            (
                "aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb",
                Some(("aa", "aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb")),
            ),
            ("aa/aa/bb/bb/bb", Some(("aa", "aa/bb/bb/bb"))),
            ("a/a/a/a", Some(("a", "a/a/a"))),
            ("a/a/a/a/", None),
            ("a//a/a", None),
            ("a", Some(("", "a"))),
            ("a/aa", Some(("a", "aa"))),
            ("a/aa/a", Some(("a", "aa/a"))),
            ("foo.com", Some(("", "foo.com"))),
            ("foo.com/", None),
            ("foo.com:8080/bar", Some(("foo.com:8080", "bar"))),
            ("foo.com:http/bar", None),
            ("foo.com/bar", Some(("foo.com", "bar"))),
            ("foo.com/bar/baz", Some(("foo.com", "bar/baz"))),
            ("localhost:8080/bar", Some(("localhost:8080", "bar"))),
            (
                "sub-dom1.foo.com/bar/baz/quux",
                Some(("sub-dom1.foo.com", "bar/baz/quux")),
            ),
            ("blog.foo.com/bar/baz", Some(("blog.foo.com", "bar/baz"))),
            ("a^a", None),
            ("aa/asdf$$^/aa", None),
            ("asdf$$^/aa", None),
            ("aa-a/a", Some(("aa-a", "a"))),
            (&a128, Some(("a", &a127))),
            ("a-/a/a/a", None),
            ("foo.com/a-/a/a", None),
            ("-foo/bar", None),
            ("foo/bar-", None),
            ("foo-/bar", None),
            ("foo/-bar", None),
            ("_foo/bar", None),
            ("foo_bar", Some(("", "foo_bar"))),
            ("foo_bar.com", Some(("", "foo_bar.com"))),
            ("foo_bar.com:8080", None),
            ("foo_bar.com:8080/app", None),
            ("foo.com/foo_bar", Some(("foo.com", "foo_bar"))),
            ("____/____", None),
            ("_docker/_docker", None),
            ("docker_/docker_", None),
            (
                "b.gcr.io/test.example.com/my-app",
                Some(("b.gcr.io", "test.example.com/my-app")),
            ),
            ("xn--n3h.com/myimage", Some(("xn--n3h.com", "myimage"))),
            ("xn--7o8h.com/myimage", Some(("xn--7o8h.com", "myimage"))),
            (
                "example.com/xn--7o8h.com/myimage",
                Some(("example.com", "xn--7o8h.com/myimage")),
            ),
            (
                "example.com/some_separator__underscore/myimage",
                Some(("example.com", "some_separator__underscore/myimage")),
            ),
            ("example.com/__underscore/myimage", None),
            ("example.com/..dots/myimage", None),
            ("example.com/.dots/myimage", None),
            ("example.com/nodouble..dots/myimage", None),
            ("docker./docker", None),
            (".docker/docker", None),
            ("docker-/docker", None),
            ("-docker/docker", None),
            ("do..cker/docker", None),
            ("do__cker:8080/docker", None),
            ("do__cker/docker", Some(("", "do__cker/docker"))),
            (
                "registry.io/foo/project--id.module--name.ver---sion--name",
                Some((
                    "registry.io",
                    "foo/project--id.module--name.ver---sion--name",
                )),
            ),
            ("Asdf.com/foo/bar", Some(("Asdf.com", "foo/bar"))),
            ("Foo/FarB", None),
        ];
        for (input, want) in cases {
            assert_eq!(split_name(input), want, "{input:?}");
        }
    }

    // regexp_test.go, TestReferenceRegexp.
    #[test]
    fn reference_regexp_table() {
        let d = "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912";
        let raw = |name, tag, digest| Some(RawReference { name, tag, digest });
        let cases = vec![
            (
                "registry.com:8080/myapp:tag".to_string(),
                raw("registry.com:8080/myapp", Some("tag"), None),
            ),
            (
                format!("registry.com:8080/myapp@{d}"),
                raw("registry.com:8080/myapp", None, Some(d)),
            ),
            (
                format!("registry.com:8080/myapp:tag2@{d}"),
                raw("registry.com:8080/myapp", Some("tag2"), Some(d)),
            ),
            (
                "registry.com:8080/myapp@sha256:badbadbadbad".to_string(),
                None,
            ),
            ("registry.com:8080/myapp:invalid~tag".to_string(), None),
            ("bad_hostname.com:8080/myapp:tag".to_string(), None),
            (
                format!("localhost:8080@{d}"),
                raw("localhost", Some("8080"), Some(d)),
            ),
            (
                format!("localhost:8080/name@{d}"),
                raw("localhost:8080/name", None, Some(d)),
            ),
            (format!("localhost:http/name@{d}"), None),
            (format!("localhost@{d}"), raw("localhost", None, Some(d))),
            ("registry.com:8080/myapp@bad".to_string(), None),
            ("registry.com:8080/myapp@2bad".to_string(), None),
        ];
        for (input, want) in cases {
            assert_eq!(match_reference(&input), want, "{input}");
        }
    }

    // regexp_test.go, TestIdentifierRegexp.
    #[test]
    fn identifier_regexp_table() {
        let cases = [
            (
                "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821",
                true,
            ),
            (
                "7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C",
                false,
            ),
            (
                "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf",
                false,
            ),
            (
                "sha256:da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821",
                false,
            ),
            (
                "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482",
                false,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(is_identifier(input), want, "{input}");
        }
    }

    #[test]
    fn tag_length_limit_is_128() {
        assert!(is_tag(&"a".repeat(128)));
        assert!(!is_tag(&"a".repeat(129)));
        assert!(!is_tag(".a"));
        assert!(!is_tag("-a"));
        assert!(is_tag("_a.b-C"));
        assert!(!is_tag("é"));
    }
}
