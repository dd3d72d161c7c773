#![recursion_limit = "256"]
//! wharf's command line: docker's commands, flags and output, spoken to the engine only through
//! the Engine API over its unix socket.

pub mod app;
pub mod buildctx;
pub mod buildview;
pub mod client;
pub mod commands;
pub mod context;
pub mod copy;
pub mod credentials;
pub mod error;
pub mod flags;
pub mod format;
pub mod hijack;
pub mod inspect;
pub mod jsonmessage;
pub mod opts;
pub mod tty;

pub use app::run;
