pub mod build;
pub mod container;
pub mod events;
pub mod images;
pub mod network;
pub mod registry;
pub mod system;
pub mod volume;
