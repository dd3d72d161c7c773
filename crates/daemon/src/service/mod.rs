//! Services behind the API handlers. They run synchronously on blocking threads.

pub mod image_cache;
pub mod build;
pub mod images;
pub mod system;
