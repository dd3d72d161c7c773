//! Services behind the API handlers. They run synchronously on blocking threads.

pub mod build;
pub mod build_pull;
pub mod containers;
pub mod distmeta;
pub mod events;
pub mod image_cache;
pub mod images;
pub mod layer_stream;
pub mod network;
pub mod progress;
pub mod pull;
pub mod push;
pub mod registry;
pub mod system;
pub mod volumes;
