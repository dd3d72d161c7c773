//! Docker's `--format` handling for list commands: `table` (default columns with headers),
//! `table TEMPLATE`, `json`, or a bare Go template executed once per row.

use serde_json::{Map, Value};
use wharf_gotemplate::Template;
use wharf_gotemplate::tabwriter::{Flags, TabWriter};

use crate::error::CliError;

/// A column a list command offers: its template field and its header text.
pub type Columns = &'static [(&'static str, &'static str)];

pub enum Format {
    Table(Template, String),
    Rows(Template),
    Json,
}

/// The row field holding a list row's labels for `{{.Label "name"}}`.
pub const LABELS_FIELD: &str = "_labels";

/// Docker's list contexts have one method with an argument, `Label "name"`; rows are plain
/// objects here, so the call becomes `index ._labels "name"` (a missing label is `""`, as in
/// docker).
fn rewrite_label_calls(src: &str) -> String {
    src.replace(".Label \"", &format!("index .{LABELS_FIELD} \""))
}

fn compile(src: &str) -> Result<Template, CliError> {
    Template::parse(&rewrite_label_calls(src))
        .map_err(|e| CliError::msg(format!("template parsing error: {e}")))
}

impl Format {
    /// Parses a user's `--format` (empty means `default`, itself a `table …` string).
    pub fn parse(user: &str, default: &str) -> Result<Format, CliError> {
        let spec = if user.is_empty() { default } else { user };
        if spec == "json" {
            return Ok(Format::Json);
        }
        if let Some(rest) = spec.strip_prefix("table") {
            let body = rest.trim_start();
            let body = if body.is_empty() {
                default
                    .strip_prefix("table")
                    .unwrap_or(default)
                    .trim_start()
            } else {
                body
            };
            let body = body.replace("\\t", "\t").replace("\\n", "\n");
            return Ok(Format::Table(compile(&body)?, body));
        }
        Ok(Format::Rows(compile(
            &spec.replace("\\t", "\t").replace("\\n", "\n"),
        )?))
    }

    pub fn is_table(&self) -> bool {
        matches!(self, Format::Table(..))
    }
}

fn exec(t: &Template, v: &Value) -> Result<String, CliError> {
    t.execute(v)
        .map_err(|e| CliError::msg(format!("template: {e}")))
}

/// Renders rows (JSON objects of string fields) as docker would.
pub fn render(format: &Format, columns: Columns, rows: &[Value]) -> Result<String, CliError> {
    let mut out = String::new();
    match format {
        Format::Json => {
            for r in rows {
                out.push_str(&go_json(&sorted_keys(&without_hidden(r))));
                out.push('\n');
            }
        }
        Format::Rows(t) => {
            for r in rows {
                out.push_str(&exec(t, r)?);
                out.push('\n');
            }
        }
        Format::Table(t, body) => {
            let mut tw = TabWriter::new(10, 1, 3, ' ', Flags::default());
            let mut header: Map<String, Value> = columns
                .iter()
                .map(|(k, h)| (k.to_string(), Value::String(h.to_string())))
                .collect();
            // docker's header context answers `Label "name"` with the name.
            let names: Map<String, Value> = body
                .split(".Label \"")
                .skip(1)
                .filter_map(|rest| rest.split_once('"').map(|(n, _)| n.to_string()))
                .map(|n| (n.clone(), Value::String(n)))
                .collect();
            header.insert(LABELS_FIELD.into(), Value::Object(names));
            let head = exec(t, &Value::Object(header))?;
            tw.write_str(&head);
            tw.write_str("\n");
            for r in rows {
                tw.write_str(&exec(t, r)?);
                tw.write_str("\n");
            }
            out.push_str(&tw.flush());
        }
    }
    Ok(out)
}

/// A table of plain cells aligned as docker's tabwriter aligns them (min width 10, padding 3).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut tw = TabWriter::new(10, 1, 3, ' ', Flags::default());
    tw.write_str(&header.join("\t"));
    tw.write_str("\n");
    let mut line = String::new();
    for r in rows {
        line.clear();
        for (i, c) in r.iter().enumerate() {
            if i > 0 {
                line.push('\t');
            }
            line.push_str(c);
        }
        line.push('\n');
        tw.write_str(&line);
    }
    tw.flush()
}

/// JSON as Go's `encoding/json` writes it: `<`, `>` and `&` escaped (they only occur
/// inside strings).
pub fn go_json(v: &Value) -> String {
    serde_json::to_string(v)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A row without the helper fields (`_labels`) that are not part of docker's JSON.
fn without_hidden(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('_'))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A row with its keys in Go's map order (sorted), as docker's `{{json .}}` of a formatter
/// context prints it.
fn sorted_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), m[k].clone()))
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

/// Docker's `inspect --format`: executes the template on each object, one line each.
pub fn render_each(src: &str, values: &[Value]) -> Result<String, CliError> {
    let t = compile(&src.replace("\\t", "\t").replace("\\n", "\n"))?;
    let mut out = String::new();
    for v in values {
        out.push_str(&exec(&t, v)?);
        out.push('\n');
    }
    Ok(out)
}

/// `docker inspect` without a format: an indented JSON array (4 spaces, like Go's
/// `json.MarshalIndent(v, "", "    ")`).
pub fn indented_json(values: &[Value]) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    let _ = serde::Serialize::serialize(&values, &mut ser);
    let mut s = String::from_utf8(buf).unwrap_or_default();
    s.push('\n');
    s
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// "2 minutes ago".
pub fn since(unix_secs: i64) -> String {
    let d = (now_secs() - unix_secs).max(0) as u64;
    format!(
        "{} ago",
        wharf_units::human_duration(std::time::Duration::from_secs(d))
    )
}

/// Docker's size column: three significant digits, decimal units (`1.98MB`).
pub fn size(bytes: i64) -> String {
    wharf_units::human_size_with_precision(bytes as f64, 3)
}

/// Go's `time.Unix(s, 0).String()` in UTC: `2026-11-23 18:35:55 +0000 UTC`.
pub fn created_at(unix_secs: i64) -> String {
    let t = wharf_units::Timestamp::from_unix_normalized(unix_secs, 0);
    let c = t.to_civil(0);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} +0000 UTC",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// First 12 hex characters of an ID, without its `sha256:` prefix.
pub fn short_id(id: &str) -> String {
    let h = id.strip_prefix("sha256:").unwrap_or(id);
    h.chars().take(12).collect()
}
