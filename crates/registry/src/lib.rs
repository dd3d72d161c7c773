//! A client for the distribution (registry v2) API, as Docker speaks it.
//!
//! - [`challenge`]: `WWW-Authenticate` parsing; [`auth`]: Docker's `AuthConfig`, basic auth and
//!   the bearer-token cache.
//! - [`endpoint`]: http for loopback and `--insecure-registry` hosts, https otherwise; mirrors
//!   of any registry for pulls.
//! - [`client`]: [`Registry`] (shared pool, tokens, challenges) and [`Session`] (one
//!   repository, one set of credentials), with `401` answered once by a fresh token.
//! - [`manifest`], [`platform`], [`blob`], [`search`]: the protocol's resources.
//!
//! Everything here is transport and protocol: storing and unpacking what moves is the caller's
//! job (the daemon's pull and push services).

pub mod auth;
pub mod blob;
pub mod challenge;
pub mod client;
pub mod endpoint;
mod error;
pub mod http;
pub mod manifest;
pub mod platform;
pub mod search;

pub use auth::AuthConfig;
pub use client::{Access, Registry, Session, repository_scope};
pub use endpoint::{Endpoint, RegistryConfig};
pub use error::{ApiErrorEntry, ErrorKind, RegistryError, Result};
pub use platform::PlatformSpec;
pub use search::SearchResult;
