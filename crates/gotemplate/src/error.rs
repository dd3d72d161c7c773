//! Errors, worded exactly as Go's text/template words them.

/// A template that failed to parse or to execute. `Display` gives Go's message, e.g.
/// `template: :1: function "foo" not defined` or
/// `template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"`.
/// Docker's CLI prefixes these with `template parsing error: `; see [`crate::docker`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The template text is malformed.
    #[error("template: {template}:{line}: {detail}")]
    Parse {
        /// Name of the template being parsed (`""` for docker's `--format`).
        template: String,
        /// 1-based line of the offending token.
        line: usize,
        /// What is wrong, e.g. `unclosed action` or `function "foo" not defined`.
        detail: String,
    },
    /// Execution stopped at a node of the template.
    #[error(
        "template: {template}:{line}:{column}: executing {} at <{context}>: {detail}",
        crate::fmt::quote(.executing)
    )]
    Exec {
        /// Name of the parsed template the node belongs to.
        template: String,
        /// Name of the template (or `{{define}}`d sub-template) being executed.
        executing: String,
        /// 1-based line of the node.
        line: usize,
        /// 0-based byte offset of the node within its line.
        column: usize,
        /// The node's source text as Go prints it, e.g. `.Config.Foo` or `index .A 1`.
        context: String,
        /// What went wrong, e.g. `map has no entry for key "Foo"`.
        detail: String,
    },
}
