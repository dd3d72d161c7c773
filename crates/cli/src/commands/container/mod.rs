//! Container commands: lifecycle with streams (`create`, `run`, `start`, `attach`, `exec`),
//! listing and logs, state changes (`stop`, `kill`, `rm`, …), inspection and files.

mod attach;
mod exec;
mod files;
mod info;
mod list;
mod logs;
mod ops;
mod run;
mod stats;

pub use info::natural_less;
pub use logs::api_timestamp;

use crate::app::Command;
use crate::client::{Client, Response};
use crate::context::Ctx;
use crate::error::CliError;

pub fn commands() -> Vec<Command> {
    let mut v = Vec::new();
    v.extend(run::commands());
    v.extend(attach::commands());
    v.extend(exec::commands());
    v.extend(list::commands());
    v.extend(logs::commands());
    v.extend(ops::commands());
    v.extend(info::commands());
    v.extend(files::commands());
    v.extend(stats::commands());
    v
}

/// `/containers/NAME` with the name percent-encoded.
pub fn cpath(name: &str) -> String {
    format!("/containers/{}", urlencoding::encode(name))
}

/// Runs `op` on each name in order, printing the names that worked (docker's `stop`, `kill`,
/// `pause`, … ) and failing at the end with every error, one a line.
pub fn for_each(
    ctx: &mut Ctx,
    names: &[String],
    op: impl Fn(&Client, &str) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let client = ctx.client()?.clone();
    let mut errors = Vec::new();
    for n in names {
        match op(&client, n) {
            Ok(()) => ctx.println(n)?,
            Err(e @ (CliError::Daemon { .. } | CliError::Message(_))) => errors.push(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    joined(errors)
}

/// Go's `errors.Join`: all messages, one a line, as one failure (nothing when empty).
pub fn joined(errors: Vec<String>) -> Result<(), CliError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CliError::msg(errors.join("\n")))
    }
}

/// Reads a JSON response body.
pub fn decode<T: serde::de::DeserializeOwned>(resp: Response) -> Result<T, CliError> {
    serde_json::from_reader(resp.body)
        .map_err(|e| CliError::Protocol(format!("decoding response: {e}")))
}
