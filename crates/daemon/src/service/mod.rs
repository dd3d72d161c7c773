//! Services behind the API handlers. They run synchronously on blocking threads.

pub mod build;
pub mod image_cache;
pub mod images;
pub mod system;
