//! Shows a JSON message stream (pull, push, load, import, build) as docker does: `stream`
//! text verbatim, `id: status progress` lines, and an error message as the command's failure.
//! In a terminal, each layer's line is updated in place; elsewhere progress bars are left out
//! (as docker leaves them out), so logs show one line per state change.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal};

use wharf_api::message::JsonMessage;

use crate::context::Ctx;
use crate::error::CliError;

/// Reads messages until the end of the stream, handing each to `f`; an error message ends
/// the stream as the command's failure.
fn each(
    body: &mut dyn BufRead,
    mut f: impl FnMut(JsonMessage) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let mut line = String::new();
    loop {
        line.clear();
        let n = body
            .read_line(&mut line)
            .map_err(CliError::io("reading the daemon's answer"))?;
        if n == 0 {
            return Ok(());
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let msg: JsonMessage = serde_json::from_str(text).map_err(|e| {
            CliError::Protocol(format!("invalid message from the daemon: {e}: {text}"))
        })?;
        if let Some(err) = msg
            .error_detail
            .as_ref()
            .map(|d| d.message.clone())
            .or(msg.error.clone())
        {
            return Err(CliError::msg(err));
        }
        f(msg)?;
    }
}

/// A sink that shows nothing (`-q`).
pub struct Quiet;

/// Reads a stream without showing it; returns the `aux` payloads.
pub fn consume(_: &mut Quiet, body: &mut dyn BufRead) -> Result<Vec<serde_json::Value>, CliError> {
    let mut aux = Vec::new();
    each(body, |m| {
        if let Some(a) = m.aux {
            aux.push(a);
        }
        Ok(())
    })?;
    Ok(aux)
}

fn status_text(msg: &JsonMessage, with_bar: bool) -> String {
    let mut l = String::new();
    if let Some(id) = msg.id.as_ref().filter(|i| !i.is_empty()) {
        l.push_str(id);
        l.push_str(": ");
    }
    l.push_str(msg.status.as_deref().unwrap_or(""));
    if with_bar && let Some(p) = msg.progress.as_ref().filter(|p| !p.is_empty()) {
        l.push(' ');
        l.push_str(p);
    }
    l
}

/// Prints every message; returns the `aux` payloads seen (e.g. a build's image ID).
pub fn display(ctx: &mut Ctx, body: &mut dyn BufRead) -> Result<Vec<serde_json::Value>, CliError> {
    let tty = std::io::stdout().is_terminal();
    let mut aux = Vec::new();
    // Terminal line of each layer id, counted from the first tracked line.
    let mut ids: HashMap<String, usize> = HashMap::new();
    let r = each(body, |msg| {
        if let Some(a) = msg.aux.clone() {
            aux.push(a);
        }
        if let Some(s) = &msg.stream {
            ids.clear();
            return ctx.print(s);
        }
        if msg.status.is_none() {
            return Ok(());
        }
        let has_bar = msg.progress.as_ref().is_some_and(|p| !p.is_empty());
        let tracked =
            msg.progress_detail.is_some() && msg.id.as_ref().is_some_and(|i| !i.is_empty());
        if !tty {
            if has_bar {
                return Ok(()); // docker leaves progress bars out of non-terminal output
            }
            // Flushed per line: a pull or push is watched as it happens.
            ctx.println(status_text(&msg, false))?;
            return ctx.flush();
        }
        if !tracked {
            ids.clear();
            return ctx.println(status_text(&msg, true));
        }
        let id = msg.id.clone().unwrap_or_default();
        let n = ids.len();
        let line = *ids.entry(id).or_insert(n);
        if line == n {
            ctx.print("\n")?;
        }
        let up = ids.len() - line;
        // Up to the layer's line, rewrite it, and back down.
        ctx.print(format!(
            "\x1b[{up}A\r\x1b[2K{}\r\x1b[{up}B",
            status_text(&msg, true)
        ))?;
        ctx.flush()
    });
    ctx.flush()?;
    r.map(|_| aux)
}
