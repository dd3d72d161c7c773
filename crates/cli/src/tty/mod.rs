//! Interactive plumbing for attach, run and exec: the multiplexed stream format, detach keys,
//! the terminal, signals and the stream pump that ties them to a hijacked connection.

pub mod detach;
pub mod pump;
pub mod signals;
pub mod stdcopy;
pub mod term;
