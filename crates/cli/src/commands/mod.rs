pub mod build;
pub mod container;
pub mod events;
pub mod images;
pub mod registry;
pub mod network;
pub mod system;
pub mod volume;
