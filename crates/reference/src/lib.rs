//! Image references parsed and normalised exactly as Docker does.
//!
//! A port of the behaviour (not the code) of `github.com/distribution/reference` v0.6.0 as
//! vendored by moby and docker/cli, with go-digest v1.0.0's digest checks, plus the pieces of
//! moby's `registry` package and image store that interpret references.
//!
//! ```
//! use wharf_reference::Reference;
//!
//! let r = Reference::parse_normalized("debian").unwrap();
//! assert_eq!(r.to_string(), "docker.io/library/debian");
//! assert_eq!(r.with_default_tag().familiar_string(), "debian:latest");
//! ```

mod digest;
mod error;
mod gostr;
mod grammar;
mod lookup;
mod normalize;
mod pathmatch;
mod reference;
pub mod registry;

pub use error::{ReferenceError, TagError};
pub use lookup::{
    ImageLookup, MIN_ID_PREFIX_LEN, check_tag_target, looks_like_id_prefix, no_such_image,
    repo_tag_reference, truncated_id,
};
pub use normalize::AnyReference;
pub use pathmatch::{BadPattern, path_match};
pub use reference::{REPOSITORY_NAME_MAX_LEN, Reference};

/// The domain of Docker Hub in canonical references.
pub const DEFAULT_DOMAIN: &str = "docker.io";
/// Docker Hub's legacy domain, normalised to [`DEFAULT_DOMAIN`].
pub const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
/// The namespace of official images on Docker Hub.
pub const OFFICIAL_REPO_PREFIX: &str = "library/";
/// The tag added when a reference has neither tag nor digest.
pub const DEFAULT_TAG: &str = "latest";
