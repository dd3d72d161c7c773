//! Docker's normalisation of familiar names (`normalize.go`): `debian` →
//! `docker.io/library/debian`, `index.docker.io/x` → `docker.io/library/x`, and back.

use std::fmt;

use wharf_digest::Digest;

use crate::gostr::go_to_lower;
use crate::{
    DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX, Reference, ReferenceError, grammar,
};

impl Reference {
    /// Go's `ParseNormalizedNamed`: parses what a user typed (`debian`, `user/app:1.0`,
    /// `localhost:5000/a`, `example.com/a/b:tag@sha256:…`) into its canonical form.
    pub fn parse_normalized(s: &str) -> Result<Reference, ReferenceError> {
        if grammar::is_identifier(s) {
            return Err(ReferenceError::HexRepositoryName(s.to_string()));
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote = remainder
            .split_once(':')
            .map_or(remainder.as_str(), |(remote, _)| remote);
        if go_to_lower(remote) != remote {
            return Err(ReferenceError::RepositoryNameUppercase(remote.to_string()));
        }
        Reference::parse(&format!("{domain}/{remainder}"))
    }

    /// [`Reference::parse_normalized`] then `TagNameOnly`: `debian` → `docker.io/library/debian:latest`.
    pub fn parse_normalized_with_default_tag(s: &str) -> Result<Reference, ReferenceError> {
        Reference::parse_normalized(s).map(Reference::with_default_tag)
    }

    /// Go's `ParseDockerRef`: normalised, with `latest` added when there is no tag or digest, and
    /// the tag dropped when there is both a tag and a digest.
    pub fn parse_docker_ref(s: &str) -> Result<Reference, ReferenceError> {
        let r = Reference::parse_normalized(s)?;
        Ok(match r.digest() {
            Some(digest) if r.tag().is_some() => r.trim().with_digest(digest.clone()),
            _ => r.with_default_tag(),
        })
    }

    /// Go's `ParseNamed`: accepts only strings already in canonical form
    /// (`docker.io/library/foo`, not `foo`).
    pub fn parse_named(s: &str) -> Result<Reference, ReferenceError> {
        let r = Reference::parse_normalized(s)?;
        if r.to_string() != s {
            return Err(ReferenceError::NameNotCanonical);
        }
        Ok(r)
    }
}

/// Go's `splitDockerDomain`: which registry a familiar name belongs to.
fn split_docker_domain(name: &str) -> (&str, String) {
    let Some((maybe_domain, maybe_remote)) = name.split_once('/') else {
        // A single element is always an official image on Docker Hub, even `localhost`.
        return (DEFAULT_DOMAIN, format!("{OFFICIAL_REPO_PREFIX}{name}"));
    };
    let (domain, remote) = if maybe_domain == "localhost" {
        (maybe_domain, maybe_remote)
    } else if maybe_domain == LEGACY_DEFAULT_DOMAIN {
        (DEFAULT_DOMAIN, maybe_remote)
    } else if maybe_domain.contains(['.', ':']) || go_to_lower(maybe_domain) != maybe_domain {
        // Looks like a host or an IP address, or has capitals (which a namespace cannot have).
        (maybe_domain, maybe_remote)
    } else {
        (DEFAULT_DOMAIN, name)
    };
    if domain == DEFAULT_DOMAIN && !remote.contains('/') {
        return (domain, format!("{OFFICIAL_REPO_PREFIX}{remote}"));
    }
    (domain, remote.to_string())
}

/// What Go's `ParseAnyReference` returns: an image ID / digest, or a named reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnyReference {
    /// A bare 64-hex ID (taken as sha256) or a full `algorithm:hex` digest.
    Digest(Digest),
    Named(Reference),
}

impl AnyReference {
    /// Go's `ParseAnyReference`: a bare 64-hex ID, then a valid digest, then a familiar name.
    ///
    /// Note Docker's quirk: `sha256:abc` is not a valid digest, so it parses as the image
    /// `docker.io/library/sha256` with tag `abc`.
    pub fn parse(s: &str) -> Result<AnyReference, ReferenceError> {
        if grammar::is_identifier(s) {
            return Digest::from_sha256_hex(s)
                .map(AnyReference::Digest)
                .map_err(|_| ReferenceError::ChecksumFormat);
        }
        if let Ok(digest) = s.parse::<Digest>() {
            return Ok(AnyReference::Digest(digest));
        }
        Reference::parse_normalized(s).map(AnyReference::Named)
    }

    pub fn as_named(&self) -> Option<&Reference> {
        match self {
            AnyReference::Named(r) => Some(r),
            AnyReference::Digest(_) => None,
        }
    }

    /// The digest of a digest reference or of a `name@digest` reference.
    pub fn digest(&self) -> Option<&Digest> {
        match self {
            AnyReference::Digest(d) => Some(d),
            AnyReference::Named(r) => r.digest(),
        }
    }

    /// Go's `FamiliarString`.
    pub fn familiar_string(&self) -> String {
        match self {
            AnyReference::Digest(d) => d.to_string(),
            AnyReference::Named(r) => r.familiar_string(),
        }
    }
}

impl fmt::Display for AnyReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnyReference::Digest(d) => d.fmt(f),
            AnyReference::Named(r) => r.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Reference, ReferenceError> {
        Reference::parse_normalized(s)
    }

    // normalize_test.go, TestValidateReferenceName.
    #[test]
    fn validate_reference_name() {
        let valid = [
            "docker/docker",
            "library/debian",
            "debian",
            "localhost/library/debian",
            "localhost/debian",
            "LOCALDOMAIN/library/debian",
            "LOCALDOMAIN/debian",
            "docker.io/docker/docker",
            "docker.io/library/debian",
            "docker.io/debian",
            "index.docker.io/docker/docker",
            "index.docker.io/library/debian",
            "index.docker.io/debian",
            "127.0.0.1:5000/docker/docker",
            "127.0.0.1:5000/library/debian",
            "127.0.0.1:5000/debian",
            "192.168.0.1",
            "192.168.0.1:80",
            "192.168.0.1:8/debian",
            "192.168.0.2:25000/debian",
            "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
            "[fc00::1]:5000/docker",
            "[fc00::1]:5000/docker/docker",
            "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
            "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            "Docker/docker",
            "DOCKER/docker",
        ];
        let invalid = [
            "https://github.com/docker/docker",
            "docker/Docker",
            "-docker",
            "-docker/docker",
            "-docker.io/docker/docker",
            "docker///docker",
            "docker.io/docker/Docker",
            "docker.io/docker///docker",
            "[fc00::1]",
            "[fc00::1]:5000",
            "fc00::1:5000/debian",
            "[fe80::1%eth0]:5000/debian",
            "[2001:db8:3:4::192.0.2.33]:5000/debian",
            "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
        ];
        for name in valid {
            assert!(
                parse(name).is_ok(),
                "{name} should be valid: {:?}",
                parse(name)
            );
        }
        for name in invalid {
            assert!(parse(name).is_err(), "{name} should be invalid");
        }
    }

    // normalize_test.go, TestValidateRemoteName.
    #[test]
    fn validate_remote_name() {
        let valid = [
            "docker/docker",
            "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
            "docker-rules/docker",
            "docker---rules/docker",
            "doc/docker",
            "d/docker",
            "jess/t",
            "dock__er/docker",
        ];
        let ns = "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255";
        let long_ns = format!("{}/docker", [ns; 4].join("_"));
        let invalid = [
            "docker/Docker",
            "docker///docker",
            "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            "-docker/docker",
            "docker-/docker",
            "-docker-/docker",
            "____/____",
            "_docker/_docker",
            "dock..er/docker",
            "dock_.er/docker",
            "dock-.er/docker",
            "docker/",
            &long_ns,
        ];
        for name in valid {
            assert!(parse(name).is_ok(), "{name}");
        }
        for name in invalid {
            assert!(parse(name).is_err(), "{name}");
        }
    }

    // normalize_test.go, TestParseRepositoryInfo:
    // (remote name, familiar name, full name, ambiguous name, domain).
    #[test]
    fn parse_repository_info() {
        let cases = [
            (
                "fooo",
                "localhost/fooo",
                "localhost/fooo",
                "localhost/fooo",
                "localhost",
            ),
            (
                "fooo/bar",
                "localhost/fooo/bar",
                "localhost/fooo/bar",
                "localhost/fooo/bar",
                "localhost",
            ),
            (
                "fooo",
                "LOCALDOMAIN/fooo",
                "LOCALDOMAIN/fooo",
                "LOCALDOMAIN/fooo",
                "LOCALDOMAIN",
            ),
            (
                "fooo/bar",
                "LOCALDOMAIN/fooo/bar",
                "LOCALDOMAIN/fooo/bar",
                "LOCALDOMAIN/fooo/bar",
                "LOCALDOMAIN",
            ),
            (
                "fooo/bar",
                "fooo/bar",
                "docker.io/fooo/bar",
                "index.docker.io/fooo/bar",
                "docker.io",
            ),
            (
                "library/ubuntu",
                "ubuntu",
                "docker.io/library/ubuntu",
                "library/ubuntu",
                "docker.io",
            ),
            (
                "nonlibrary/ubuntu",
                "nonlibrary/ubuntu",
                "docker.io/nonlibrary/ubuntu",
                "",
                "docker.io",
            ),
            (
                "other/library",
                "other/library",
                "docker.io/other/library",
                "",
                "docker.io",
            ),
            (
                "private/moonbase",
                "127.0.0.1:8000/private/moonbase",
                "127.0.0.1:8000/private/moonbase",
                "",
                "127.0.0.1:8000",
            ),
            (
                "privatebase",
                "127.0.0.1:8000/privatebase",
                "127.0.0.1:8000/privatebase",
                "",
                "127.0.0.1:8000",
            ),
            (
                "private/moonbase",
                "example.com/private/moonbase",
                "example.com/private/moonbase",
                "",
                "example.com",
            ),
            (
                "privatebase",
                "example.com/privatebase",
                "example.com/privatebase",
                "",
                "example.com",
            ),
            (
                "private/moonbase",
                "example.com:8000/private/moonbase",
                "example.com:8000/private/moonbase",
                "",
                "example.com:8000",
            ),
            (
                "privatebasee",
                "example.com:8000/privatebasee",
                "example.com:8000/privatebasee",
                "",
                "example.com:8000",
            ),
            (
                "library/ubuntu-12.04-base",
                "ubuntu-12.04-base",
                "docker.io/library/ubuntu-12.04-base",
                "index.docker.io/library/ubuntu-12.04-base",
                "docker.io",
            ),
            (
                "library/foo",
                "foo",
                "docker.io/library/foo",
                "docker.io/foo",
                "docker.io",
            ),
            (
                "library/foo/bar",
                "library/foo/bar",
                "docker.io/library/foo/bar",
                "",
                "docker.io",
            ),
            (
                "store/foo/bar",
                "store/foo/bar",
                "docker.io/store/foo/bar",
                "",
                "docker.io",
            ),
            ("bar", "Foo/bar", "Foo/bar", "", "Foo"),
            ("bar", "FOO/bar", "FOO/bar", "", "FOO"),
        ];
        for (remote, familiar, full, ambiguous, domain) in cases {
            for input in [familiar, full, ambiguous]
                .into_iter()
                .filter(|s| !s.is_empty())
            {
                let r = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
                assert_eq!(r.familiar_name(), familiar, "{input}");
                assert_eq!(r.to_string(), full, "{input}");
                assert_eq!(r.domain(), domain, "{input}");
                assert_eq!(r.path(), remote, "{input}");
            }
        }
    }

    // normalize_test.go, TestParseReferenceWithTagAndDigest.
    #[test]
    fn tag_and_digest() {
        let short = "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
        let r = parse(short).unwrap();
        assert_eq!(r.to_string(), format!("docker.io/library/{short}"));
        assert_eq!(r.tag(), Some("latest"));
        assert!(r.digest().is_some());
        assert_eq!(r.familiar_string(), short);
    }

    // normalize_test.go, TestParseAnyReference (reference, equivalent).
    #[test]
    fn parse_any_reference() {
        let d = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
        let cases = [
            ("redis".to_string(), "docker.io/library/redis".to_string()),
            (
                "redis:latest".into(),
                "docker.io/library/redis:latest".into(),
            ),
            (
                "docker.io/library/redis:latest".into(),
                "docker.io/library/redis:latest".into(),
            ),
            (
                format!("redis@sha256:{d}"),
                format!("docker.io/library/redis@sha256:{d}"),
            ),
            (
                format!("docker.io/library/redis@sha256:{d}"),
                format!("docker.io/library/redis@sha256:{d}"),
            ),
            ("dmcgowan/myapp".into(), "docker.io/dmcgowan/myapp".into()),
            (
                "dmcgowan/myapp:latest".into(),
                "docker.io/dmcgowan/myapp:latest".into(),
            ),
            (
                "docker.io/mcgowan/myapp:latest".into(),
                "docker.io/mcgowan/myapp:latest".into(),
            ),
            (
                format!("dmcgowan/myapp@sha256:{d}"),
                format!("docker.io/dmcgowan/myapp@sha256:{d}"),
            ),
            (
                format!("docker.io/dmcgowan/myapp@sha256:{d}"),
                format!("docker.io/dmcgowan/myapp@sha256:{d}"),
            ),
            (d.to_string(), format!("sha256:{d}")),
            (format!("sha256:{d}"), format!("sha256:{d}")),
            (
                d[..63].to_string(),
                format!("docker.io/library/{}", &d[..63]),
            ),
            ("dbcc1".into(), "docker.io/library/dbcc1".into()),
        ];
        for (input, equivalent) in cases {
            let any = AnyReference::parse(&input).unwrap();
            assert_eq!(any.to_string(), equivalent, "{input}");
            match &any {
                AnyReference::Digest(_) => assert!(equivalent.starts_with("sha256:")),
                AnyReference::Named(r) => assert_eq!(*r, Reference::parse(&equivalent).unwrap()),
            }
        }
    }

    // normalize_test.go, TestNormalizedSplitHostname.
    #[test]
    fn normalized_split_hostname() {
        let cases = [
            ("test.com/foo", "test.com", "foo"),
            ("test_com/foo", "docker.io", "test_com/foo"),
            ("docker/migrator", "docker.io", "docker/migrator"),
            ("test.com:8080/foo", "test.com:8080", "foo"),
            ("test-com:8080/foo", "test-com:8080", "foo"),
            ("foo", "docker.io", "library/foo"),
            ("xn--n3h.com/foo", "xn--n3h.com", "foo"),
            ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
            ("docker.io/foo", "docker.io", "library/foo"),
            ("docker.io/library/foo", "docker.io", "library/foo"),
            ("docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
        ];
        for (input, domain, path) in cases {
            let r = parse(input).unwrap();
            assert_eq!((r.domain(), r.path()), (domain, path), "{input}");
        }
    }

    // normalize_test.go, TestParseDockerRef.
    #[test]
    fn parse_docker_ref() {
        let d = "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582";
        let cases = [
            (
                "busybox".to_string(),
                "docker.io/library/busybox:latest".to_string(),
            ),
            (
                "busybox:latest".into(),
                "docker.io/library/busybox:latest".into(),
            ),
            (
                format!("busybox@{d}"),
                format!("docker.io/library/busybox@{d}"),
            ),
            (
                "library/busybox".into(),
                "docker.io/library/busybox:latest".into(),
            ),
            (
                "docker.io/busybox".into(),
                "docker.io/library/busybox:latest".into(),
            ),
            (
                "docker.io/library/busybox".into(),
                "docker.io/library/busybox:latest".into(),
            ),
            (
                "docker.io/busybox:latest".into(),
                "docker.io/library/busybox:latest".into(),
            ),
            (
                "library/busybox:latest".into(),
                "docker.io/library/busybox:latest".into(),
            ),
            (
                "docker.io/library/busybox:latest".into(),
                "docker.io/library/busybox:latest".into(),
            ),
            (
                "gcr.io/library/busybox".into(),
                "gcr.io/library/busybox:latest".into(),
            ),
            (
                format!("gcr.io/library/busybox:latest@{d}"),
                format!("gcr.io/library/busybox@{d}"),
            ),
        ];
        for (input, want) in cases {
            let r = Reference::parse_docker_ref(&input).unwrap();
            assert_eq!(r.to_string(), want, "{input}");
            assert!(Reference::parse(&r.to_string()).is_ok());
        }
    }

    // reference_test.go, TestParseNamed.
    #[test]
    fn parse_named() {
        use ReferenceError::NameNotCanonical;
        let cases = [
            ("test.com/foo", Ok(("test.com", "foo"))),
            ("test:8080/foo", Ok(("test:8080", "foo"))),
            ("test_com/foo", Err(NameNotCanonical)),
            ("test.com", Err(NameNotCanonical)),
            ("foo", Err(NameNotCanonical)),
            ("library/foo", Err(NameNotCanonical)),
            ("docker.io/library/foo", Ok(("docker.io", "library/foo"))),
            ("docker.io/foo", Err(NameNotCanonical)),
        ];
        for (input, want) in cases {
            let got = Reference::parse_named(input);
            assert_eq!(
                got.as_ref()
                    .map(|r| (r.domain(), r.path()))
                    .map_err(Clone::clone),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn user_visible_messages() {
        assert_eq!(
            parse("Debian").unwrap_err().to_string(),
            "invalid reference format: repository name (library/Debian) must be lowercase"
        );
        assert_eq!(
            parse("docker/Docker:Tag").unwrap_err().to_string(),
            "invalid reference format: repository name (docker/Docker) must be lowercase"
        );
        let hex = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";
        assert_eq!(
            parse(hex).unwrap_err().to_string(),
            format!("invalid repository name ({hex}), cannot specify 64-byte hexadecimal strings")
        );
        assert_eq!(
            parse("").unwrap_err().to_string(),
            "invalid reference format"
        );
        assert_eq!(
            parse("a:b:c").unwrap_err().to_string(),
            "invalid reference format"
        );
        assert_eq!(
            parse(&"a".repeat(256)).unwrap_err().to_string(),
            "repository name must not be more than 255 characters"
        );
    }

    #[test]
    fn normalisation_rules() {
        assert_eq!(
            parse("index.docker.io/x").unwrap().to_string(),
            "docker.io/library/x"
        );
        assert_eq!(
            parse("index.docker.io/u/x").unwrap().to_string(),
            "docker.io/u/x"
        );
        assert_eq!(
            parse("localhost:5000/a").unwrap().to_string(),
            "localhost:5000/a"
        );
        // A bare `localhost` is an official image name, not a registry.
        assert_eq!(
            parse("localhost").unwrap().to_string(),
            "docker.io/library/localhost"
        );
        let full = "example.com/a/b:tag@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
        let r = parse(full).unwrap();
        assert_eq!(
            (r.domain(), r.path(), r.tag()),
            ("example.com", "a/b", Some("tag"))
        );
        assert_eq!(r.familiar_string(), full);
        assert_eq!(
            Reference::parse_normalized_with_default_tag("debian")
                .unwrap()
                .familiar_string(),
            "debian:latest"
        );
        // A first element with a '.' is taken as a host, but one that is not a valid host name
        // then falls back into the path: Go's re-parse leaves the domain empty.
        let r = parse("a__b--c.d/e_f").unwrap();
        assert_eq!(
            (r.domain(), r.path(), r.familiar_name().as_str()),
            ("", "a__b--c.d/e_f", "a__b--c.d/e_f")
        );
        // `sha256:abc` is not a digest, so Docker reads it as the image `sha256` with tag `abc`.
        assert_eq!(
            AnyReference::parse("sha256:abc").unwrap().to_string(),
            "docker.io/library/sha256:abc"
        );
        assert_eq!(
            "debian".parse::<Reference>().unwrap().to_string(),
            "docker.io/library/debian"
        );
    }
}
