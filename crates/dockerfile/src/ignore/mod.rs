//! `.dockerignore` files: reading (moby/patternmatcher `ignorefile`),
//! matching (moby/patternmatcher) and the directory-skipping rule of
//! buildkit's context walker (tonistiigi/fsutil).
//!
//! Paths given to the matchers are relative to the context root,
//! `/`-separated, without a leading `./` or `/` (as the context walker
//! produces them).
//!
//! Semantics, as Docker's:
//! * Lines starting with `#` are comments (only in column one); lines are
//!   trimmed; empty lines are skipped; `!` makes an exception; patterns are
//!   `filepath.Clean`ed and a leading `/` is dropped.
//! * `*` and `?` do not cross `/`; `**` matches any number of directories;
//!   `[...]` classes and `\` escapes follow Go's `regexp` syntax.
//! * Patterns are applied in order; the last one that matches decides. A
//!   pattern matching a parent directory matches everything inside it.

mod path;
mod pattern;

pub use path::{clean, path_match};

use pattern::Matcher;

/// An ignore-file error, worded as Docker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IgnoreError {
    /// A lone `!`.
    #[error("illegal exclusion pattern: \"!\"")]
    IllegalExclusion,
    /// A malformed pattern (Go's `filepath.ErrBadPattern`).
    #[error("syntax error in pattern")]
    BadPattern {
        /// The offending pattern, cleaned.
        pattern: String,
    },
    /// A line longer than Go's scanner accepts.
    #[error("bufio.Scanner: token too long")]
    LineTooLong,
    /// [`MatchInfo`] from a different pattern set.
    #[error("wrong number of values in parentMatched")]
    WrongParentInfo,
}

/// Read an ignore file into patterns (moby `ignorefile.ReadAll`).
pub fn read_all(content: &str) -> Result<Vec<String>, IgnoreError> {
    let mut out = Vec::new();
    let mut rest = content;
    let mut first = true;
    while !rest.is_empty() {
        let (line, next) = match rest.find('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        if line.len() >= 64 * 1024 {
            return Err(IgnoreError::LineTooLong);
        }
        rest = next;
        let mut line = line.strip_suffix('\r').unwrap_or(line);
        if first {
            line = line.strip_prefix('\u{FEFF}').unwrap_or(line);
            first = false;
        }
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = line.trim();
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = pattern[1..].trim();
        }
        let mut cleaned = String::new();
        if !pattern.is_empty() {
            cleaned = path::clean(pattern);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
        }
        out.push(if invert {
            format!("!{cleaned}")
        } else {
            cleaned
        });
    }
    Ok(out)
}

#[derive(Debug, Clone)]
struct Pattern {
    cleaned: String,
    depth: usize,
    exclusion: bool,
    matcher: Matcher,
}

impl Pattern {
    fn matches(&self, path: &str) -> Result<bool, IgnoreError> {
        pattern::matches(&self.matcher, &self.cleaned, path).map_err(|()| IgnoreError::BadPattern {
            pattern: self.cleaned.clone(),
        })
    }

    /// The pattern without a trailing `/**` or `/*` (fsutil).
    fn without_trailing_glob(&self) -> &str {
        let p = self.cleaned.strip_suffix("/**").unwrap_or(&self.cleaned);
        p.strip_suffix("/*").unwrap_or(p)
    }
}

/// Per-pattern parent results for [`Patterns::matches_using_parent_results`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchInfo {
    parent_matched: Vec<bool>,
}

/// A compiled pattern list (moby `patternmatcher.PatternMatcher`).
#[derive(Debug, Clone)]
pub struct Patterns {
    patterns: Vec<Pattern>,
    exclusions: bool,
}

/// Split a path into its parent directories' names (`filepath.Dir` then
/// split), or `None` when it has no parent.
fn parent_dirs(file: &str) -> Option<Vec<String>> {
    let parent = path::dir(file);
    if parent == "." {
        return None;
    }
    Some(parent.split('/').map(str::to_string).collect())
}

impl Patterns {
    /// Compile patterns (moby `patternmatcher.New`): each is trimmed,
    /// cleaned, and checked with Go's `filepath.Match` syntax.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self, IgnoreError> {
        let mut out = Patterns {
            patterns: Vec::new(),
            exclusions: false,
        };
        for p in patterns {
            let p = p.as_ref().trim();
            if p.is_empty() {
                continue;
            }
            let mut p = path::clean(p);
            let mut exclusion = false;
            if let Some(rest) = p.strip_prefix('!') {
                if rest.is_empty() {
                    return Err(IgnoreError::IllegalExclusion);
                }
                exclusion = true;
                out.exclusions = true;
                p = rest.to_string();
            }
            if path::glob_match(&p, ".").is_err() {
                return Err(IgnoreError::BadPattern { pattern: p });
            }
            let (matcher, _) = pattern::compile(&p);
            out.patterns.push(Pattern {
                depth: p.split('/').count(),
                cleaned: p,
                exclusion,
                matcher,
            });
        }
        Ok(out)
    }

    /// Read and compile an ignore file.
    pub fn parse(file: &str) -> Result<Self, IgnoreError> {
        Self::new(&read_all(file)?)
    }

    /// Whether any pattern is an exception (`!…`).
    pub fn exclusions(&self) -> bool {
        self.exclusions
    }

    /// The cleaned patterns and whether each is an exception.
    pub fn patterns(&self) -> impl Iterator<Item = (&str, bool)> {
        self.patterns
            .iter()
            .map(|p| (p.cleaned.as_str(), p.exclusion))
    }

    /// Whether `path` is excluded, counting a match of any parent directory
    /// (patternmatcher `MatchesOrParentMatches`, what Docker uses).
    pub fn matches(&self, path: &str) -> Result<bool, IgnoreError> {
        let parents = parent_dirs(path);
        let mut matched = false;
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            let mut hit = p.matches(path)?;
            if !hit && let Some(dirs) = &parents {
                hit = (1..=dirs.len()).any(|i| p.matches(&dirs[..i].join("/")).unwrap_or(false));
            }
            if hit {
                matched = !p.exclusion;
            }
        }
        Ok(matched)
    }

    /// patternmatcher's deprecated `Matches`: a parent directory is tried
    /// only at the pattern's own depth. The Docker CLI still uses it (via
    /// [`trim_build_files_from_excludes`]).
    pub fn matches_legacy(&self, path: &str) -> Result<bool, IgnoreError> {
        let parents = parent_dirs(path);
        let mut matched = false;
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            let mut hit = p.matches(path)?;
            if !hit
                && let Some(dirs) = &parents
                && p.depth <= dirs.len()
            {
                hit = p.matches(&dirs[..p.depth].join("/")).unwrap_or(false);
            }
            if hit {
                matched = !p.exclusion;
            }
        }
        Ok(matched)
    }

    /// Match `path` given only whether its parent directory matched
    /// (patternmatcher `MatchesUsingParentResult`).
    pub fn matches_using_parent_result(
        &self,
        path: &str,
        parent_matched: bool,
    ) -> Result<bool, IgnoreError> {
        let mut matched = parent_matched;
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            if p.matches(path)? {
                matched = !p.exclusion;
            }
        }
        Ok(matched)
    }

    /// Match `path` reusing the per-pattern results of its parent directory,
    /// for walkers (patternmatcher `MatchesUsingParentResults`, used by
    /// buildkit's context walker). Pass `MatchInfo::default()` for a
    /// top-level entry or when the parent is unknown.
    pub fn matches_using_parent_results(
        &self,
        path: &str,
        parent: &MatchInfo,
    ) -> Result<(bool, MatchInfo), IgnoreError> {
        let pm = &parent.parent_matched;
        if !pm.is_empty() && pm.len() != self.patterns.len() {
            return Err(IgnoreError::WrongParentInfo);
        }
        let mut matched = false;
        let mut info = MatchInfo {
            parent_matched: vec![false; self.patterns.len()],
        };
        for (i, p) in self.patterns.iter().enumerate() {
            let mut hit = pm.get(i).copied().unwrap_or(false);
            if !hit {
                if p.exclusion != matched {
                    continue;
                }
                hit = p.matches(path)?;
                if !hit
                    && pm.is_empty()
                    && let Some(dirs) = parent_dirs(path)
                {
                    hit =
                        (1..=dirs.len()).any(|i| p.matches(&dirs[..i].join("/")).unwrap_or(false));
                }
            }
            info.parent_matched[i] = hit;
            if hit {
                matched = !p.exclusion;
            }
        }
        Ok((matched, info))
    }

    /// Whether a walker may skip the directory `dir` entirely: it is
    /// excluded, and no exception could re-include anything below it. As in
    /// buildkit's walker, this is decided only when every exception is a
    /// plain path (no `* [ ] ? ^ \` apart from a trailing `/*` or `/**`);
    /// otherwise the directory must be walked (and its entries matched).
    pub fn can_skip_dir(&self, dir: &str) -> Result<bool, IgnoreError> {
        if !self.matches(dir)? {
            return Ok(false);
        }
        let exceptions = self.patterns.iter().filter(|p| p.exclusion);
        let only_prefix = exceptions.clone().all(|p| {
            !p.without_trailing_glob()
                .contains(['*', '[', ']', '?', '^', '\\'])
        });
        if !only_prefix {
            return Ok(false);
        }
        let dir_slash = format!("{dir}/");
        Ok(!exceptions
            .into_iter()
            .any(|p| format!("{}/", p.without_trailing_glob()).starts_with(&dir_slash)))
    }
}

/// patternmatcher's top-level `Matches(file, patterns)`: compile, clean the
/// path (`.` never matches) and apply [`Patterns::matches_legacy`].
pub fn matches_patterns<S: AsRef<str>>(file: &str, patterns: &[S]) -> Result<bool, IgnoreError> {
    let pm = Patterns::new(patterns)?;
    let file = path::clean(file);
    if file == "." {
        return Ok(false);
    }
    pm.matches_legacy(&file)
}

/// The ignore files to try for a Dockerfile, in order of precedence
/// (buildkit): `<dockerfile path>.dockerignore` (relative to the same
/// directory base as the Dockerfile path), then `.dockerignore` at the
/// context root. The first that exists is used, alone.
pub fn ignore_file_for(dockerfile_path: &str) -> [String; 2] {
    [
        format!("{dockerfile_path}.dockerignore"),
        ".dockerignore".to_string(),
    ]
}

/// The Docker CLI's `TrimBuildFilesFromExcludes`: when the ignore patterns
/// exclude `.dockerignore` or the Dockerfile, add exceptions so both still
/// reach the daemon (which removes them from the context afterwards).
pub fn trim_build_files_from_excludes(
    excludes: &[String],
    dockerfile: &str,
    from_stdin: bool,
) -> Vec<String> {
    let mut out = excludes.to_vec();
    if matches_patterns(".dockerignore", &out).unwrap_or(false) {
        out.push("!.dockerignore".into());
    }
    if !from_stdin && matches_patterns(dockerfile, &out).unwrap_or(false) {
        out.push(format!("!{dockerfile}"));
    }
    out
}

#[cfg(test)]
mod tests;
