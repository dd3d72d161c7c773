pub mod container;
pub mod images;
pub mod system;
