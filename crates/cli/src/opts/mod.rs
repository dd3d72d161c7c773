//! Container options shared by `create` and `run`: docker's flags, their checks, and the
//! conversion of what the user typed into the create request's JSON body.

pub mod checks;
pub mod container;
pub mod envfile;
pub mod mounts;
pub mod ports;
