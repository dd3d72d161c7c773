//! Services behind the API handlers. They run synchronously on blocking threads.

pub mod build;
pub mod containers;
pub mod events;
pub mod image_cache;
pub mod images;
pub mod system;
pub mod volumes;
