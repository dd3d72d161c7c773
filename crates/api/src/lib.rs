//! The Docker Engine API as wharf speaks it: the JSON shapes of requests and responses (field
//! names and presence exactly as dockerd writes them), API version bounds, the error body, and
//! the progress message stream. Shared by the daemon and the CLI; no logic beyond encoding.

pub mod build;
pub mod config;
pub mod container;
pub mod event;
pub mod exec;
pub mod filters;
pub mod go_json;
pub mod hostconfig;
pub mod image;
pub mod message;
pub mod network;
pub mod stats;
pub mod stdcopy;
pub mod system;
pub mod version;
pub mod volume;

pub use config::ContainerConfig;
pub use hostconfig::HostConfig;
pub use version::ApiVersion;

/// Docker's error body: `{"message": "..."}`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ErrorResponse {
    pub message: String,
}

/// Serializes a `Vec` that Go would encode as `null` when empty (a nil slice).
pub fn null_if_empty<T: serde::Serialize, S: serde::Serializer>(
    v: &[T],
    s: S,
) -> Result<S::Ok, S::Error> {
    if v.is_empty() {
        s.serialize_none()
    } else {
        serde::Serialize::serialize(v, s)
    }
}

/// Deserializes `null` or a missing field into an empty `Vec`/map.
pub fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    use serde::Deserialize;
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
