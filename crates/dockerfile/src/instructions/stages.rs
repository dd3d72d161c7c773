//! Stage lookup for `COPY --from`.

use super::types::{Dockerfile, Stage};
use crate::gostr;
use crate::parser::go_lower;

/// Where a `COPY --from` value points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromRef {
    /// A stage of this Dockerfile, by index.
    Stage(usize),
    /// An image reference (or named build context).
    Image(String),
}

/// Why a `COPY --from` value cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FromError {
    /// `--from=$X`.
    #[error(
        "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround"
    )]
    Expansion,
    /// `--from=7` with fewer stages.
    #[error("invalid stage index {0}")]
    InvalidIndex(i64),
}

impl Dockerfile {
    /// The stage named `name` (case-insensitive; the last of duplicates,
    /// as buildkit's name table keeps the last).
    pub fn stage_by_name(&self, name: &str) -> Option<usize> {
        let name = go_lower(name);
        self.stages
            .iter()
            .rposition(|s| s.name.as_deref() == Some(name.as_str()))
    }

    /// The stage at `index`.
    pub fn stage_by_index(&self, index: usize) -> Option<&Stage> {
        self.stages.get(index)
    }

    /// Resolve a `COPY --from` value as buildkit does: a number is a stage
    /// index, otherwise a stage name, otherwise an image. The builder must
    /// still reject a stage that is not before the current one: `cannot copy
    /// from stage "<from>", it needs to be defined before current stage
    /// "<current>"`. (`RUN --mount from=` looks up names only.)
    pub fn resolve_from(&self, from: &str) -> Result<FromRef, FromError> {
        let lex = crate::shell::Lexer::new(self.escape_token);
        let none = crate::shell::EnvList::default();
        match lex.process_word(from, &none) {
            Ok(v) if v == from => {}
            _ => return Err(FromError::Expansion),
        }
        if let Ok(i) = gostr::parse_int(from, 64) {
            return match usize::try_from(i).ok().filter(|&i| i < self.stages.len()) {
                Some(i) => Ok(FromRef::Stage(i)),
                None => Err(FromError::InvalidIndex(i)),
            };
        }
        Ok(match self.stage_by_name(from) {
            Some(i) => FromRef::Stage(i),
            None => FromRef::Image(from.to_string()),
        })
    }
}
