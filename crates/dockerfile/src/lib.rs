//! Dockerfile parser (pure, no I/O) and .dockerignore matching
#![forbid(unsafe_code)]

mod gostr;
mod json;
mod re;
mod suggest;

pub mod parser;
pub mod shell;
