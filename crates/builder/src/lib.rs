//! Dockerfile builds. `config` applies instructions that only change the image config; it also
//! serves `--change` for `import` and `commit`.

pub mod config;
