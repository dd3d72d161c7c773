//! Services behind the API handlers. They run synchronously on blocking threads.

pub mod images;
pub mod system;
