//! Errors, with Docker's exact messages (distribution/reference, go-digest, moby).

/// Why a string is not a valid image reference. `Display` is Docker's message, word for word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// `ErrReferenceInvalidFormat`
    #[error("invalid reference format")]
    InvalidFormat,
    /// `ErrTagInvalidFormat`
    #[error("invalid tag format")]
    InvalidTag,
    /// `ErrDigestInvalidFormat` (of distribution/reference, for `WithDigest`)
    #[error("invalid digest format")]
    InvalidDigest,
    /// `ErrNameContainsUppercase` (from `Parse`, without normalisation)
    #[error("repository name must be lowercase")]
    NameContainsUppercase,
    /// `ErrNameEmpty`
    #[error("repository name must have at least one component")]
    NameEmpty,
    /// `ErrNameTooLong`: the path (without domain) is longer than 255 bytes.
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
    /// `ErrNameNotCanonical` (from `ParseNamed`)
    #[error("repository name must be canonical")]
    NameNotCanonical,
    /// `ParseNormalizedNamed` on a name with capitals, e.g. `library/Debian`.
    #[error("invalid reference format: repository name ({0}) must be lowercase")]
    RepositoryNameUppercase(String),
    /// `ParseNormalizedNamed` on a bare 64-character hex string.
    #[error("invalid repository name ({0}), cannot specify 64-byte hexadecimal strings")]
    HexRepositoryName(String),
    /// go-digest `ErrDigestInvalidFormat`
    #[error("invalid checksum digest format")]
    ChecksumFormat,
    /// go-digest `ErrDigestInvalidLength`
    #[error("invalid checksum digest length")]
    ChecksumLength,
    /// go-digest `ErrDigestUnsupported`
    #[error("unsupported digest algorithm")]
    UnsupportedAlgorithm,
}

/// Why a reference may not be used as the target of `docker tag`, `commit`, `import` or `build -t`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TagError {
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// moby `httputils.RepoTagReference` on `repo=name@digest`.
    #[error("cannot import digest reference")]
    DigestReference,
    /// moby's reference store (`AddTag`) and the Go client's `ImageTag`.
    #[error("refusing to create a tag with a digest reference")]
    TagWithDigest,
    /// A repository named `sha256` would be confused with an image ID.
    #[error("refusing to create an ambiguous tag using digest algorithm as name")]
    AmbiguousDigestName,
}
