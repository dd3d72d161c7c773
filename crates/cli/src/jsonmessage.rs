//! Shows a JSON message stream (pull, push, load, import, build) as docker does: `stream`
//! text verbatim, `id: status progress` lines, and an error message as the command's failure.

use std::io::BufRead;

use wharf_api::message::JsonMessage;

use crate::context::Ctx;
use crate::error::CliError;

/// Prints every message; returns the `aux` payloads seen (e.g. a build's image ID).
pub fn display(ctx: &mut Ctx, body: &mut dyn BufRead) -> Result<Vec<serde_json::Value>, CliError> {
    let mut aux = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        let n = body
            .read_line(&mut line)
            .map_err(CliError::io("reading the daemon's answer"))?;
        if n == 0 {
            break;
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let msg: JsonMessage = serde_json::from_str(text).map_err(|e| {
            CliError::Protocol(format!("invalid message from the daemon: {e}: {text}"))
        })?;
        if let Some(err) = msg.error_detail.map(|d| d.message).or(msg.error) {
            ctx.flush()?;
            return Err(CliError::msg(err));
        }
        if let Some(a) = msg.aux {
            aux.push(a);
        }
        if let Some(s) = msg.stream {
            ctx.print(s)?;
        } else if let Some(s) = msg.status {
            let mut l = String::new();
            if let Some(id) = msg.id.filter(|i| !i.is_empty()) {
                l.push_str(&id);
                l.push_str(": ");
            }
            l.push_str(&s);
            if let Some(p) = msg.progress.filter(|p| !p.is_empty()) {
                l.push(' ');
                l.push_str(&p);
            }
            ctx.println(l)?;
        }
    }
    Ok(aux)
}
