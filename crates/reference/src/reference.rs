//! The named reference type and the un-normalised constructors of `reference.go`
//! (`Parse`, `WithName`, `WithTag`, `WithDigest`, `TrimNamed`).

use std::fmt;

use wharf_digest::Digest;

use crate::gostr::go_to_lower;
use crate::{ReferenceError, digest, grammar};

/// Longest repository path (without domain) Docker accepts.
pub const REPOSITORY_NAME_MAX_LEN: usize = 255;

/// A named image reference: `[domain/]path[:tag][@digest]`.
///
/// Values are always valid per the grammar. References from [`Reference::parse_normalized`] (and
/// the other normalising constructors) have a domain, as in Docker's canonical form
/// `docker.io/library/debian:latest`, with one exception Docker shares: a first element that
/// looks like a host (it has a `.`) without being a valid one, such as `a_b.c/d`, stays part of
/// the path and the domain is empty.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Go's `reference.Parse`: the grammar only, without Docker Hub normalisation, so `debian`
    /// stays `debian` (empty domain). Prefer [`Reference::parse_normalized`] for user input.
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        if s.is_empty() {
            return Err(ReferenceError::NameEmpty);
        }
        let Some(raw) = grammar::match_reference(s) else {
            let lower = go_to_lower(s);
            if lower != s && grammar::match_reference(&lower).is_some() {
                return Err(ReferenceError::NameContainsUppercase);
            }
            return Err(ReferenceError::InvalidFormat);
        };
        let (domain, path) = grammar::split_name(raw.name).unwrap_or(("", raw.name));
        if path.len() > REPOSITORY_NAME_MAX_LEN {
            return Err(ReferenceError::NameTooLong);
        }
        let digest = raw.digest.map(digest::validate).transpose()?;
        Ok(Reference {
            domain: domain.to_string(),
            path: path.to_string(),
            tag: raw.tag.map(str::to_string),
            digest,
        })
    }

    /// Go's `reference.WithName`: a name without tag or digest, not normalised.
    pub fn with_name(name: &str) -> Result<Reference, ReferenceError> {
        let (domain, path) = grammar::split_name(name).ok_or(ReferenceError::InvalidFormat)?;
        if path.len() > REPOSITORY_NAME_MAX_LEN {
            return Err(ReferenceError::NameTooLong);
        }
        Ok(Reference {
            domain: domain.to_string(),
            path: path.to_string(),
            tag: None,
            digest: None,
        })
    }

    /// Go's `reference.WithTag`: replaces the tag, keeping any digest.
    pub fn with_tag(&self, tag: &str) -> Result<Reference, ReferenceError> {
        if !grammar::is_tag(tag) {
            return Err(ReferenceError::InvalidTag);
        }
        Ok(Reference {
            tag: Some(tag.to_string()),
            ..self.clone()
        })
    }

    /// Go's `reference.WithDigest`: replaces the digest, keeping any tag.
    pub fn with_digest(&self, digest: Digest) -> Reference {
        // `wharf_digest::Digest` is always well-formed, so Go's `ErrDigestInvalidFormat` cannot occur.
        Reference {
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// Go's `reference.TrimNamed`: the same name without tag and digest.
    pub fn trim(&self) -> Reference {
        Reference {
            domain: self.domain.clone(),
            path: self.path.clone(),
            tag: None,
            digest: None,
        }
    }

    /// Go's `TagNameOnly`: adds the `latest` tag when there is neither a tag nor a digest.
    pub fn with_default_tag(self) -> Reference {
        if self.is_name_only() {
            Reference {
                tag: Some(crate::DEFAULT_TAG.to_string()),
                ..self
            }
        } else {
            self
        }
    }

    /// Go's `IsNameOnly`: neither tag nor digest.
    pub fn is_name_only(&self) -> bool {
        self.tag.is_none() && self.digest.is_none()
    }

    /// The registry part, e.g. `docker.io`, `localhost:5000`, `[::1]:5000`; empty only for
    /// references from [`Reference::parse`] / [`Reference::with_name`] without one.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path within the registry, e.g. `library/debian`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Go's `Name()`: `domain/path` (just `path` when there is no domain), without tag or digest.
    pub fn name(&self) -> String {
        if self.domain.is_empty() {
            self.path.clone()
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// The repository, `domain/path`: an alias of [`Reference::name`].
    pub fn repository(&self) -> String {
        self.name()
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// Go's `FamiliarName`: the name as Docker shows it, without `docker.io/` and, for official
    /// images, without `library/` (`docker.io/library/debian` → `debian`).
    pub fn familiar_name(&self) -> String {
        match self.familiar_parts() {
            ("", path) => path.to_string(),
            (domain, path) => format!("{domain}/{path}"),
        }
    }

    /// Go's `FamiliarString`: the familiar name plus tag and digest (`debian:latest`).
    pub fn familiar_string(&self) -> String {
        let mut s = self.familiar_name();
        self.push_suffix(&mut s);
        s
    }

    fn familiar_parts(&self) -> (&str, &str) {
        if self.domain != crate::DEFAULT_DOMAIN {
            return (&self.domain, &self.path);
        }
        match self.path.strip_prefix(crate::OFFICIAL_REPO_PREFIX) {
            // `library/` is only dropped when no namespace follows it.
            Some(rest) if !rest.contains('/') => ("", rest),
            _ => ("", &self.path),
        }
    }

    fn push_suffix(&self, s: &mut String) {
        if let Some(tag) = &self.tag {
            s.push(':');
            s.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            s.push('@');
            s.push_str(digest.as_str());
        }
    }
}

/// The full string, e.g. `docker.io/library/debian:latest`.
impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = self.name();
        self.push_suffix(&mut s);
        f.write_str(&s)
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reference({self})")
    }
}

/// Parses with Docker's normalisation ([`Reference::parse_normalized`]).
impl std::str::FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse_normalized(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FF: &str = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

    struct Case {
        input: String,
        err: Option<ReferenceError>,
        repository: &'static str,
        domain: &'static str,
        tag: &'static str,
        digest: &'static str,
    }

    fn ok(
        input: impl Into<String>,
        repository: &'static str,
        domain: &'static str,
        tag: &'static str,
        digest: &'static str,
    ) -> Case {
        Case {
            input: input.into(),
            err: None,
            repository,
            domain,
            tag,
            digest,
        }
    }

    fn err(input: impl Into<String>, err: ReferenceError) -> Case {
        Case {
            input: input.into(),
            err: Some(err),
            repository: "",
            domain: "",
            tag: "",
            digest: "",
        }
    }

    // distribution/reference reference_test.go, TestReferenceParse. sha512 digests are accepted
    // (the v0.6.0 table Docker vendors registers sha512, as Docker's binaries do).
    #[test]
    fn reference_parse_table() {
        use ReferenceError::*;
        let long_repeat = format!("{}a", "a/".repeat(127));
        let long_repo: &'static str = Box::leak(long_repeat.clone().into_boxed_str());
        let ex255: &'static str =
            Box::leak(format!("example.com/{}", "a".repeat(255)).into_boxed_str());
        let cases = vec![
            ok("test_com", "test_com", "", "", ""),
            ok("test.com:tag", "test.com", "", "tag", ""),
            ok("test.com:5000", "test.com", "", "5000", ""),
            ok("test.com/repo:tag", "test.com/repo", "test.com", "tag", ""),
            ok("test:5000/repo", "test:5000/repo", "test:5000", "", ""),
            ok(
                "test:5000/repo:tag",
                "test:5000/repo",
                "test:5000",
                "tag",
                "",
            ),
            ok(
                format!("test:5000/repo@{FF}"),
                "test:5000/repo",
                "test:5000",
                "",
                FF,
            ),
            ok(
                format!("test:5000/repo:tag@{FF}"),
                "test:5000/repo",
                "test:5000",
                "tag",
                FF,
            ),
            err("", NameEmpty),
            err(":justtag", InvalidFormat),
            err(format!("@{FF}"), InvalidFormat),
            err(
                "repo@sha256:ffffffffffffffffffffffffffffffffff",
                ChecksumLength,
            ),
            err(
                format!("validname@invaliddigest:{}", &FF[7..]),
                UnsupportedAlgorithm,
            ),
            err("Uppercase:tag", NameContainsUppercase),
            err("test:5000/Uppercase/lowercase:tag", NameContainsUppercase),
            ok("lowercase:Uppercase", "lowercase", "", "Uppercase", ""),
            err(format!("domain/{}:tag", "a".repeat(256)), NameTooLong),
            ok(
                format!("{long_repeat}:tag-puts-this-over-max"),
                long_repo,
                "a",
                "tag-puts-this-over-max",
                "",
            ),
            err("aa/asdf$$^/aa", InvalidFormat),
            ok(
                "sub-dom1.foo.com/bar/baz/quux",
                "sub-dom1.foo.com/bar/baz/quux",
                "sub-dom1.foo.com",
                "",
                "",
            ),
            ok(
                "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
                "sub-dom1.foo.com/bar/baz/quux",
                "sub-dom1.foo.com",
                "some-long-tag",
                "",
            ),
            ok(
                "b.gcr.io/test.example.com/my-app:test.example.com",
                "b.gcr.io/test.example.com/my-app",
                "b.gcr.io",
                "test.example.com",
                "",
            ),
            ok(
                "xn--n3h.com/myimage:xn--n3h.com",
                "xn--n3h.com/myimage",
                "xn--n3h.com",
                "xn--n3h.com",
                "",
            ),
            ok(
                format!("xn--7o8h.com/myimage:xn--7o8h.com@{FF}"),
                "xn--7o8h.com/myimage",
                "xn--7o8h.com",
                "xn--7o8h.com",
                FF,
            ),
            ok("foo_bar.com:8080", "foo_bar.com", "", "8080", ""),
            ok("foo/foo_bar.com:8080", "foo/foo_bar.com", "foo", "8080", ""),
            ok("192.168.1.1", "192.168.1.1", "", "", ""),
            ok("192.168.1.1:tag", "192.168.1.1", "", "tag", ""),
            ok("192.168.1.1:5000", "192.168.1.1", "", "5000", ""),
            ok(
                "192.168.1.1/repo",
                "192.168.1.1/repo",
                "192.168.1.1",
                "",
                "",
            ),
            ok(
                "192.168.1.1:5000/repo",
                "192.168.1.1:5000/repo",
                "192.168.1.1:5000",
                "",
                "",
            ),
            ok(
                "192.168.1.1:5000/repo:5050",
                "192.168.1.1:5000/repo",
                "192.168.1.1:5000",
                "5050",
                "",
            ),
            err("[2001:db8::1]", InvalidFormat),
            err("[2001:db8::1]:5000", InvalidFormat),
            err("[2001:db8::1]:tag", InvalidFormat),
            ok(
                "[2001:db8::1]/repo",
                "[2001:db8::1]/repo",
                "[2001:db8::1]",
                "",
                "",
            ),
            ok(
                "[2001:db8:1:2:3:4:5:6]/repo:tag",
                "[2001:db8:1:2:3:4:5:6]/repo",
                "[2001:db8:1:2:3:4:5:6]",
                "tag",
                "",
            ),
            ok(
                "[2001:db8::1]:5000/repo",
                "[2001:db8::1]:5000/repo",
                "[2001:db8::1]:5000",
                "",
                "",
            ),
            ok(
                "[2001:db8::1]:5000/repo:tag",
                "[2001:db8::1]:5000/repo",
                "[2001:db8::1]:5000",
                "tag",
                "",
            ),
            ok(
                format!("[2001:db8::1]:5000/repo@{FF}"),
                "[2001:db8::1]:5000/repo",
                "[2001:db8::1]:5000",
                "",
                FF,
            ),
            ok(
                format!("[2001:db8::1]:5000/repo:tag@{FF}"),
                "[2001:db8::1]:5000/repo",
                "[2001:db8::1]:5000",
                "tag",
                FF,
            ),
            ok(
                "[2001:db8::]:5000/repo",
                "[2001:db8::]:5000/repo",
                "[2001:db8::]:5000",
                "",
                "",
            ),
            ok("[::1]:5000/repo", "[::1]:5000/repo", "[::1]:5000", "", ""),
            err("[fe80::1%eth0]:5000/repo", InvalidFormat),
            err("[fe80::1%@invalidzone]:5000/repo", InvalidFormat),
            ok(format!("{ex255}:tag"), ex255, "example.com", "tag", ""),
            ok(
                format!("validname@sha512:{}{}", &FF[7..], &FF[7..]),
                "validname",
                "",
                "",
                "",
            ),
        ];
        for c in cases {
            let got = Reference::parse(&c.input);
            match (c.err, got) {
                (Some(want), got) => assert_eq!(got, Err(want), "{}", c.input),
                (None, Err(e)) => panic!("{}: unexpected error {e}", c.input),
                (None, Ok(r)) => {
                    assert_eq!(r.to_string(), c.input);
                    assert_eq!(r.name(), c.repository, "{}", c.input);
                    assert_eq!(r.domain(), c.domain, "{}", c.input);
                    assert_eq!(r.tag().unwrap_or(""), c.tag, "{}", c.input);
                    if !c.digest.is_empty() {
                        assert_eq!(
                            r.digest().map(Digest::as_str),
                            Some(c.digest),
                            "{}",
                            c.input
                        );
                    }
                }
            }
        }
    }

    // reference_test.go, TestWithNameFailure.
    #[test]
    fn with_name_failures() {
        use ReferenceError::*;
        let cases = [
            (String::new(), InvalidFormat),
            (":justtag".into(), InvalidFormat),
            (format!("@{FF}"), InvalidFormat),
            (
                format!("validname@invaliddigest:{}", &FF[7..]),
                InvalidFormat,
            ),
            ("example.com/repo:tag".into(), InvalidFormat),
            (format!("example.com/{}", "a".repeat(256)), NameTooLong),
            ("aa/asdf$$^/aa".into(), InvalidFormat),
        ];
        for (input, want) in cases {
            assert_eq!(Reference::with_name(&input), Err(want), "{input}");
        }
    }

    // reference_test.go, TestDomainAndPath.
    #[test]
    fn domain_and_path() {
        let cases = [
            ("test.com/foo", "test.com", "foo"),
            ("test_com/foo", "", "test_com/foo"),
            ("test:8080/foo", "test:8080", "foo"),
            ("test.com:8080/foo", "test.com:8080", "foo"),
            ("test-com:8080/foo", "test-com:8080", "foo"),
            ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
        ];
        for (input, domain, path) in cases {
            let r = Reference::with_name(input).unwrap();
            assert_eq!((r.domain(), r.path()), (domain, path), "{input}");
        }
    }

    // reference_test.go, TestWithTag and TestWithDigest (digests shortened in the Go tables are
    // full-length here: `wharf_digest::Digest` only holds valid digests).
    #[test]
    fn with_tag_and_digest() {
        let d: Digest = FF.parse().unwrap();
        let cases = [
            ("test.com/foo", None, "tag", "test.com/foo:tag"),
            ("foo", None, "tag2", "foo:tag2"),
            ("test.com:8000/foo", None, "tag4", "test.com:8000/foo:tag4"),
            ("test.com:8000/foo", None, "TAG5", "test.com:8000/foo:TAG5"),
            (
                "test.com:8000/foo",
                Some(&d),
                "TAG5",
                &format!("test.com:8000/foo:TAG5@{FF}"),
            ),
        ];
        for (name, digest, tag, combined) in cases {
            let mut r = Reference::with_name(name).unwrap();
            if let Some(d) = digest {
                r = r.with_digest(d.clone());
            }
            assert_eq!(r.with_tag(tag).unwrap().to_string(), combined);
        }
        let r = Reference::with_name("test.com:8000/foo")
            .unwrap()
            .with_tag("latest")
            .unwrap();
        assert_eq!(
            r.with_digest(d.clone()).to_string(),
            format!("test.com:8000/foo:latest@{FF}")
        );
        assert_eq!(
            Reference::with_name("foo")
                .unwrap()
                .with_digest(d)
                .to_string(),
            format!("foo@{FF}")
        );
        assert_eq!(
            Reference::with_name("busybox").unwrap().with_tag("-foo"),
            Err(ReferenceError::InvalidTag)
        );
    }
}
