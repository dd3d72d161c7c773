//! Go's `text/template` and docker's fork of `text/tabwriter`, as docker's CLI uses them for
//! `--format`, over `serde_json::Value` data.
//!
//! * [`Template`]: parse once with [`Template::parse`], run per row with
//!   [`Template::execute`]. The full Go language is supported (actions, comments, trim markers,
//!   pipelines, variables, `if`/`else if`/`range`/`with`/`break`/`continue`,
//!   `define`/`template`/`block`), with Go's builtins and docker's extra functions.
//! * [`docker::Format`]: docker's handling of `--format` for list commands (`table` prefix with
//!   a header row, `\t` escapes, `json`).
//! * [`tabwriter::TabWriter`]: elastic tabstops with display-width cells.
//!
//! # How values print
//!
//! Output matches Go's `fmt` `%v` of the Go value docker holds:
//! strings raw; JSON integers as integers (`1234567890123`); other numbers as Go prints a
//! float64 (`1.5`, `1e+21`, `1e+06`); `true`/`false`; arrays `[a b c]`; objects
//! `map[k1:v1 k2:v2]` with sorted keys; `null` as `<nil>`; a key missing from an object as
//! `<no value>` (or an error with [`MissingKey::Error`]).
//!
//! # Missing keys and docker's two modes
//!
//! Docker's `inspect` first runs the template on its typed Go structs: a map-typed field
//! (`.Config.Labels.x`) yields `<no value>`, an unknown struct field fails. Only then does it
//! re-run on the raw JSON with `missingkey=error`, where every missing key fails
//! (`cli/command/inspect/inspector.go`). List commands (`ps`, `images`, ...) run on typed
//! structs only. Plain JSON cannot tell structs from maps, so wharf's CLI should use
//! [`MissingKey::Default`] for `--format` everywhere (list commands and `inspect`): it never
//! fails where docker succeeds, and differs only by printing `<no value>` where docker reports
//! a misspelt struct field. [`MissingKey::Error`] reproduces docker's raw-JSON fallback
//! exactly, for callers that know their data is a Go map.
//!
//! Docker's `index` on a missing map key yields the element's zero value; docker's maps hold
//! strings, so `index` of a missing key yields `""` here.

pub mod docker;
mod error;
mod escape;
mod exec;
mod fmt;
mod json;
mod parse;
pub mod tabwriter;
mod template;
mod unicode;
mod value;

pub use error::TemplateError;
pub use template::{MissingKey, Template};
pub use value::{NIL_MAP, NIL_SLICE};
