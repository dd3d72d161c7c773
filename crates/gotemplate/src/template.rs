//! The public template type: parse once, execute per data value.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::TemplateError;
use crate::exec::{Exec, funcs};
use crate::parse::ast::List;

/// What `.Key` yields when an object has no such key (Go's `missingkey` option).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissingKey {
    /// Go's default: the missing value, printed as `<no value>`.
    #[default]
    Default,
    /// Stop with `map has no entry for key "Key"` (Go's `missingkey=error`, which docker's
    /// `inspect` uses when it re-runs a template on the raw JSON).
    Error,
}

/// A parsed Go text/template with docker's extra functions (`json`, `split`, `join`, `title`,
/// `lower`, `upper`, `pad`, `truncate`).
///
/// ```
/// use wharf_gotemplate::Template;
/// let t = Template::parse("{{.Repository}}:{{.Tag}}").unwrap();
/// let row = serde_json::json!({"Repository": "alpine", "Tag": "3.20"});
/// assert_eq!(t.execute(&row).unwrap(), "alpine:3.20");
/// ```
#[derive(Clone, Debug)]
pub struct Template {
    /// Name of the top-level template (`""`, as docker names it); appears in errors.
    pub(crate) name: String,
    pub(crate) source: String,
    /// The top-level body under `name`, plus every `{{define}}` and `{{block}}`.
    pub(crate) trees: HashMap<String, List>,
    pub(crate) missing_key: MissingKey,
    pub(crate) step_limit: Option<u64>,
}

impl Template {
    /// Parses `src` as docker's `templates.Parse` does (template name `""`).
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        Template::parse_named("", src)
    }

    /// Parses `src` under a template name, which Go quotes in error messages.
    pub fn parse_named(name: &str, src: &str) -> Result<Template, TemplateError> {
        let trees = crate::parse::parse(name, src, &funcs::is_defined)?;
        Ok(Template {
            name: name.to_string(),
            source: src.to_string(),
            trees,
            missing_key: MissingKey::Default,
            step_limit: None,
        })
    }

    /// Sets the behaviour for missing object keys.
    pub fn with_missing_key(mut self, mode: MissingKey) -> Self {
        self.missing_key = mode;
        self
    }

    /// Limits the number of nodes and range iterations one execution may run; exceeding it is
    /// an `execution step limit exceeded` error. Go has no such limit (a template such as
    /// `{{range 1000000000}}` just runs); use it where templates are untrusted or fuzzed.
    pub fn with_step_limit(mut self, steps: u64) -> Self {
        self.step_limit = Some(steps);
        self
    }

    /// Executes the template on `data` and returns the output.
    pub fn execute(&self, data: &Value) -> Result<String, TemplateError> {
        let mut out = String::new();
        self.execute_into(data, &mut out)?;
        Ok(out)
    }

    /// Executes the template on `data`, appending to `out`. On error, `out` keeps what was
    /// written before the failing action, as Go's writer would.
    pub fn execute_into(&self, data: &Value, out: &mut String) -> Result<(), TemplateError> {
        Exec::run(self, data, out, false)
    }

    /// Executes with docker's `HeaderFunctions`, as docker renders a table's header row:
    /// `json`, `split`, `join`, `title`, `lower`, `upper` and `truncate` return their first
    /// (string) argument unchanged so that column names print as they are.
    pub fn execute_header_into(&self, data: &Value, out: &mut String) -> Result<(), TemplateError> {
        Exec::run(self, data, out, true)
    }

    /// Names of the templates defined with `{{define}}` or `{{block}}`, sorted.
    pub fn defined_templates(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .trees
            .keys()
            .map(String::as_str)
            .filter(|n| *n != self.name)
            .collect();
        names.sort_unstable();
        names
    }
}
