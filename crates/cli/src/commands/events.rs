//! `events`: the engine's event stream, printed as docker prints it (or through `--format`).

use std::io::BufRead;

use serde_json::Value;
use wharf_gotemplate::Template;

use crate::app::{Args, Command};
use crate::client::{Body, with_query};
use crate::commands::container::api_timestamp;
use crate::commands::images::filters_from_flags;
use crate::context::Ctx;
use crate::error::CliError;
use crate::flags::{Flag, Parsed};

pub fn commands() -> Vec<Command> {
    vec![Command {
        path: "system events",
        aliases: &["events"],
        usage: "[OPTIONS]",
        about: "Get real time events from the server",
        flags: || {
            vec![
                Flag::list(
                    "filter",
                    Some('f'),
                    "filter",
                    "Filter output based on conditions provided",
                ),
                Flag::value(
                    "format",
                    None,
                    "string",
                    "Format output using a custom template",
                ),
                Flag::value(
                    "since",
                    None,
                    "string",
                    "Show all events created since timestamp",
                ),
                Flag::value(
                    "until",
                    None,
                    "string",
                    "Stream events until this timestamp",
                ),
            ]
        },
        args: Args::Max(0),
        interspersed: true,
        run: events,
    }]
}

/// Go's `time.Unix(0, nanos).Format("2006-01-02T15:04:05.000000000Z07:00")` in UTC.
pub fn rfc3339_nano_fixed(nanos: i64) -> String {
    let t = wharf_units::Timestamp::from_unix_normalized(
        nanos.div_euclid(1_000_000_000),
        nanos.rem_euclid(1_000_000_000),
    );
    let c = t.to_civil(0);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        c.year,
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.second,
        nanos.rem_euclid(1_000_000_000)
    )
}

/// docker's `prettyPrintEvent`.
pub fn pretty(e: &Value) -> String {
    let mut out = String::new();
    if let Some(n) = e["timeNano"].as_i64().filter(|n| *n != 0) {
        out.push_str(&rfc3339_nano_fixed(n));
        out.push(' ');
    } else if let Some(s) = e["time"].as_i64().filter(|s| *s != 0) {
        out.push_str(&rfc3339_nano_fixed(s * 1_000_000_000));
        out.push(' ');
    }
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    out.push_str(&format!(
        "{} {} {}",
        s(&e["Type"]),
        s(&e["Action"]),
        s(&e["Actor"]["ID"])
    ));
    if let Some(attrs) = e["Actor"]["Attributes"]
        .as_object()
        .filter(|a| !a.is_empty())
    {
        let mut keys: Vec<&String> = attrs.keys().collect();
        keys.sort();
        let parts: Vec<String> = keys
            .iter()
            .map(|k| format!("{k}={}", s(&attrs[*k])))
            .collect();
        out.push_str(&format!(" ({})", parts.join(", ")));
    }
    out
}

fn events(ctx: &mut Ctx, p: &Parsed) -> Result<(), CliError> {
    let format = p.string("format");
    let tmpl = match format.as_str() {
        "" | "json" => None,
        f => Some(Template::parse(f).map_err(|e| CliError::Status {
            message: format!("Error parsing format: {e}"),
            status: 64,
        })?),
    };
    let mut q = Vec::new();
    if let Some(s) = p.value("since").filter(|s| !s.is_empty()) {
        q.push(("since", api_timestamp("since", s)?));
    }
    if let Some(u) = p.value("until").filter(|s| !s.is_empty()) {
        q.push(("until", api_timestamp("until", u)?));
    }
    let filters = filters_from_flags(&p.list("filter"))?;
    if !filters.is_empty() {
        q.push(("filters", filters.to_json()));
    }
    let mut resp = ctx
        .client()?
        .call("GET", &with_query("/events", &q), Body::None)?;
    let mut line = String::new();
    loop {
        line.clear();
        let n = resp
            .body
            .read_line(&mut line)
            .map_err(CliError::io("reading events"))?;
        if n == 0 {
            return Ok(());
        }
        let raw = line.trim();
        if raw.is_empty() {
            continue;
        }
        let e: Value = serde_json::from_str(raw)
            .map_err(|e| CliError::Protocol(format!("decoding event: {e}")))?;
        let text = match (&tmpl, format.as_str()) {
            (_, "json") => crate::inspect::go_compact(raw),
            (Some(t), _) => t
                .execute(&e)
                .map_err(|e| CliError::msg(format!("template: {e}")))?,
            (None, _) => pretty(&e),
        };
        ctx.println(text)?;
        ctx.flush()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_print_like_docker() {
        let e = json!({
            "Type": "container", "Action": "start",
            "Actor": {"ID": "abc", "Attributes": {"name": "w1", "image": "busybox"}},
            "time": 1, "timeNano": 1_000_000_005i64,
        });
        assert_eq!(
            pretty(&e),
            "1970-01-01T00:00:01.000000005Z container start abc (image=busybox, name=w1)"
        );
    }
}
