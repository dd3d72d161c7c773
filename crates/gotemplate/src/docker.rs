//! docker/cli's `--format` handling for list commands (`cli/command/formatter/formatter.go`):
//! the `table` prefix, `\t` / `\n` escapes, the `json` shorthand, and tables aligned by the
//! tabwriter with docker's settings (`tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`).
//!
//! A bare `table` format must be replaced by the command's default table format before it gets
//! here, as docker's commands do; on its own it renders empty rows.

use serde_json::Value;

use crate::error::TemplateError;
use crate::tabwriter::{Flags, TabWriter};
use crate::template::Template;

/// Prefix that turns a format into a table with a header row.
pub const TABLE_FORMAT_KEY: &str = "table";
/// `--format json`: one JSON object per line.
pub const JSON_FORMAT_KEY: &str = "json";

/// A template error as docker's CLI reports it: `template parsing error: template: ...`
/// (docker uses this prefix for execution errors too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template parsing error: {0}")]
pub struct FormatError(#[from] pub TemplateError);

/// Docker's `Format.templateString`: the template text behind a `--format` value.
pub fn template_text(format: &str) -> String {
    match format {
        TABLE_FORMAT_KEY => String::new(),
        JSON_FORMAT_KEY => "{{json .}}".to_string(),
        _ => {
            let body = format.strip_prefix(TABLE_FORMAT_KEY).unwrap_or(format);
            body.trim_matches(' ')
                .replace("\\t", "\t")
                .replace("\\n", "\n")
        }
    }
}

/// A tabwriter configured as docker's tables are.
pub fn table_writer() -> TabWriter {
    TabWriter::new(10, 1, 3, ' ', Flags::NONE)
}

/// A parsed `--format` value of a list command.
#[derive(Clone, Debug)]
pub struct Format {
    table: bool,
    template: Template,
}

impl Format {
    /// Parses a `--format` value (`table ...`, `json`, or a template).
    pub fn parse(format: &str) -> Result<Format, FormatError> {
        Ok(Format {
            table: format.starts_with(TABLE_FORMAT_KEY),
            template: Template::parse(&template_text(format))?,
        })
    }

    /// Whether the output is a table with a header row (docker's `Format.IsTable`).
    pub fn is_table(&self) -> bool {
        self.table
    }

    pub fn template(&self) -> &Template {
        &self.template
    }

    /// Renders `rows`, one line each. For tables, `header` (an object mapping each field to
    /// its column title, e.g. `{"ID": "CONTAINER ID"}`) is rendered first with docker's
    /// header functions, and the whole output is aligned into columns.
    ///
    /// Any row error aborts the whole output, as in docker. Header errors are ignored and
    /// whatever the header produced before failing is kept, as in docker.
    pub fn render<'r>(
        &self,
        header: &Value,
        rows: impl IntoIterator<Item = &'r Value>,
    ) -> Result<String, FormatError> {
        let mut body = String::new();
        for row in rows {
            self.template.execute_into(row, &mut body)?;
            body.push('\n');
        }
        if !self.table {
            return Ok(body);
        }
        let mut head = String::new();
        let _ignored = self.template.execute_header_into(header, &mut head);
        let mut tw = table_writer();
        tw.write_str(&head);
        tw.write_str("\n");
        tw.write_str(&body);
        Ok(tw.flush())
    }
}
