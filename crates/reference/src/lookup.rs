//! How Docker reads the image argument of `rmi`, `inspect`, `tag`, `save`, `history`, `run`…:
//! an image ID, an ID prefix, or a reference (moby `daemon/containerd/image.go`,
//! `resolveImage`), and the checks on a tag target (`httputils.RepoTagReference`, refstore).

use wharf_digest::Digest;

use crate::{AnyReference, Reference, ReferenceError, TagError};

/// Shortest ID prefix Docker resolves (`checkTruncatedID`).
pub const MIN_ID_PREFIX_LEN: usize = 4;

/// The lookups to perform, in order, for an image argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageLookup {
    /// A full ID (`<64 hex>` or `sha256:<64 hex>`): the image whose ID (target digest) is this.
    Id(Digest),
    /// `name@digest` (a tag next to the digest is ignored): an image with this digest, but only
    /// if one of its names is in the same repository ([`Reference::name`]).
    Digest {
        repository: Reference,
        digest: Digest,
    },
    /// A name: first the image tagged `reference` (which always has a tag, `latest` by
    /// default); if there is none and `id_prefix` is set, the one image whose hex ID starts
    /// with it (prefer an image named `reference` when several match; more than one distinct
    /// ID is "ambiguous reference").
    Name {
        reference: Reference,
        id_prefix: Option<String>,
    },
}

impl ImageLookup {
    /// Classifies the argument. Errors are Docker's (sent as 400 Bad Request).
    pub fn parse(arg: &str) -> Result<ImageLookup, ReferenceError> {
        Ok(match AnyReference::parse(arg)? {
            AnyReference::Digest(d) => ImageLookup::Id(d),
            AnyReference::Named(r) => match r.digest() {
                Some(d) => ImageLookup::Digest {
                    digest: d.clone(),
                    repository: r.trim(),
                },
                None => ImageLookup::Name {
                    reference: r.with_default_tag(),
                    id_prefix: truncated_id(arg).map(str::to_string),
                },
            },
        })
    }
}

/// moby's `checkTruncatedID`: the hex part of a possible short ID (`sha256:` optional), 4 to 64
/// lowercase hex characters; `None` when the argument cannot be an ID prefix.
pub fn truncated_id(arg: &str) -> Option<&str> {
    let id = arg.strip_prefix("sha256:").unwrap_or(arg);
    let hex = id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    ((MIN_ID_PREFIX_LEN..=64).contains(&id.len()) && hex).then_some(id)
}

/// Whether `arg` may be an image ID or ID prefix ([`truncated_id`]).
pub fn looks_like_id_prefix(arg: &str) -> bool {
    truncated_id(arg).is_some()
}

/// The daemon's 404 message, `ErrImageDoesNotExist`: `No such image: debian:latest`.
pub fn no_such_image(reference: &AnyReference) -> String {
    let shown = match reference {
        AnyReference::Named(r) => r.clone().with_default_tag().familiar_string(),
        AnyReference::Digest(d) => d.to_string(),
    };
    format!("No such image: {shown}")
}

/// The target of `POST /images/{name}/tag`, `/commit`, `/images/create?fromSrc` from the `repo`
/// and `tag` query parameters (moby `RepoTagReference`): `None` when `repo` is empty; a
/// `tag` replaces any tag in `repo`; `latest` is the default.
pub fn repo_tag_reference(repo: &str, tag: &str) -> Result<Option<Reference>, TagError> {
    if repo.is_empty() {
        return Ok(None);
    }
    let r = Reference::parse_normalized(repo)?;
    if r.digest().is_some() {
        return Err(TagError::DigestReference);
    }
    let r = if tag.is_empty() {
        r.with_default_tag()
    } else {
        r.with_tag(tag)?
    };
    check_tag_target(&r)?;
    Ok(Some(r))
}

/// The reference store's checks before adding a tag: no digest, and no repository named `sha256`.
pub fn check_tag_target(target: &Reference) -> Result<(), TagError> {
    if target.digest().is_some() {
        return Err(TagError::TagWithDigest);
    }
    if target.familiar_name() == "sha256" {
        return Err(TagError::AmbiguousDigestName);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";

    #[test]
    fn truncated_ids() {
        assert_eq!(truncated_id("dbcc"), Some("dbcc"));
        assert_eq!(truncated_id("sha256:dbcc1c"), Some("dbcc1c"));
        assert_eq!(truncated_id(ID), Some(ID));
        assert_eq!(truncated_id("dbc"), None);
        assert_eq!(truncated_id("DBCC"), None);
        assert_eq!(truncated_id("debian"), None);
        assert_eq!(truncated_id(&format!("{ID}0")), None);
        assert!(looks_like_id_prefix("0123abcd"));
    }

    #[test]
    fn lookups() {
        let id: Digest = format!("sha256:{ID}").parse().unwrap();
        assert_eq!(ImageLookup::parse(ID), Ok(ImageLookup::Id(id.clone())));
        assert_eq!(
            ImageLookup::parse(&format!("sha256:{ID}")),
            Ok(ImageLookup::Id(id.clone()))
        );
        assert_eq!(
            ImageLookup::parse(&format!("debian:12@sha256:{ID}")),
            Ok(ImageLookup::Digest {
                repository: Reference::parse_normalized("debian").unwrap(),
                digest: id
            })
        );
        let name = |s: &str, prefix: Option<&str>| {
            Ok(ImageLookup::Name {
                reference: Reference::parse_normalized_with_default_tag(s).unwrap(),
                id_prefix: prefix.map(str::to_string),
            })
        };
        assert_eq!(ImageLookup::parse("debian"), name("debian", None));
        assert_eq!(ImageLookup::parse("dbcc1c"), name("dbcc1c", Some("dbcc1c")));
        assert_eq!(
            ImageLookup::parse("sha256:dbcc1c"),
            name("sha256:dbcc1c", Some("dbcc1c"))
        );
        assert_eq!(ImageLookup::parse("abc"), name("abc", None));
        assert_eq!(
            ImageLookup::parse("DBCC1C").unwrap_err().to_string(),
            "invalid reference format: repository name (library/DBCC1C) must be lowercase"
        );
    }

    #[test]
    fn not_found_messages() {
        let msg = |s: &str| no_such_image(&AnyReference::parse(s).unwrap());
        assert_eq!(msg("debian"), "No such image: debian:latest");
        assert_eq!(msg("example.com/a:1"), "No such image: example.com/a:1");
        assert_eq!(msg(ID), format!("No such image: sha256:{ID}"));
        assert_eq!(msg("dbcc1c"), "No such image: dbcc1c:latest");
    }

    #[test]
    fn tag_targets() {
        let t =
            |repo: &str, tag: &str| repo_tag_reference(repo, tag).map(|r| r.map(|r| r.to_string()));
        assert_eq!(t("", "x"), Ok(None));
        assert_eq!(
            t("debian", ""),
            Ok(Some("docker.io/library/debian:latest".into()))
        );
        assert_eq!(
            t("debian:12", "13"),
            Ok(Some("docker.io/library/debian:13".into()))
        );
        assert_eq!(
            t(&format!("a@sha256:{ID}"), "").unwrap_err().to_string(),
            "cannot import digest reference"
        );
        assert_eq!(t("a", "-x").unwrap_err().to_string(), "invalid tag format");
        assert_eq!(
            t("sha256", "").unwrap_err().to_string(),
            "refusing to create an ambiguous tag using digest algorithm as name"
        );
        let with_digest = Reference::parse_normalized(&format!("a@sha256:{ID}")).unwrap();
        assert_eq!(
            check_tag_target(&with_digest).unwrap_err().to_string(),
            "refusing to create a tag with a digest reference"
        );
    }
}
