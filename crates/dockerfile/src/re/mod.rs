//! A small regular-expression engine for the subset of Go's RE2 syntax
//! (with Go's default `Perl` flags) that Docker's pattern translators emit.
//!
//! Both `.dockerignore` matching (moby/patternmatcher) and the shell lexer's
//! `${v#pat}`/`${v/pat/repl}` translate patterns into Go regular
//! expressions; because patternmatcher passes `[`, `]`, `^`, `|`, `{`, `}`
//! and backslash escapes through unchanged, reproducing Docker's behaviour
//! means interpreting those as Go would: character classes (ranges, POSIX
//! `[:name:]`, Perl `\d\s\w`), anchors, word boundaries, `\Q..\E`, octal and
//! hex escapes, alternation and `{n,m}` repetition. Matching is a Pike VM
//! with leftmost-first (Perl) priorities, the semantics Go's `regexp` uses.
//!
//! Not supported: Unicode classes other than `\pL`, `\pN`, `\p{Lu}`,
//! `\p{Ll}` and `\p{Any}` (they are reported as errors), flags groups
//! `(?i)`, and named groups — none can be produced from Docker patterns
//! except through a `\p` escape.

mod compile;
mod syntax;

use std::fmt;

use compile::Inst;
use syntax::{Class, Look, Parser};

/// A regex that failed to compile (Go would also reject all of these except
/// the unsupported Unicode classes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Error(pub(crate) String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Regex {
    prog: Vec<Inst>,
    classes: Vec<Class>,
}

struct Threads {
    list: Vec<(usize, usize)>,
    marks: Vec<u64>,
    generation: u64,
}

impl Threads {
    fn new(n: usize) -> Self {
        Threads {
            list: Vec::new(),
            marks: vec![0; n],
            generation: 1,
        }
    }

    fn clear(&mut self) {
        self.list.clear();
        self.generation += 1;
    }
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Regex {
    pub(crate) fn new(pattern: &str) -> Result<Regex, Error> {
        let ast = Parser::new(pattern).parse()?;
        let (prog, classes) = compile::program(&ast)?;
        Ok(Regex { prog, classes })
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.find_at(text, 0).is_some()
    }

    /// Leftmost-first match starting the search at byte `start`.
    pub(crate) fn find_at(&self, text: &str, start: usize) -> Option<(usize, usize)> {
        let mut clist = Threads::new(self.prog.len());
        let mut nlist = Threads::new(self.prog.len());
        let mut stack = Vec::new();
        let mut matched = None;
        let mut pos = start;
        let prev_char = |p: usize| text[..p].chars().next_back();
        loop {
            let cur = text[pos..].chars().next();
            if matched.is_none() {
                self.add(
                    &mut clist,
                    &mut stack,
                    0,
                    pos,
                    pos,
                    prev_char(pos),
                    cur,
                    text.len(),
                );
            }
            if clist.list.is_empty() {
                break;
            }
            nlist.clear();
            let next_pos = pos + cur.map_or(0, char::len_utf8);
            let after = cur.and_then(|_| text[next_pos..].chars().next());
            for k in 0..clist.list.len() {
                let (pc, st) = clist.list[k];
                let hit = match (&self.prog[pc], cur) {
                    (Inst::Match, _) => {
                        matched = Some((st, pos));
                        break;
                    }
                    (Inst::Lit(l), Some(c)) => *l == c,
                    (Inst::AnyNotNl, Some(c)) => c != '\n',
                    (Inst::Class(i), Some(c)) => self.classes[*i].matches(c),
                    _ => false,
                };
                if hit {
                    self.add(
                        &mut nlist,
                        &mut stack,
                        pc + 1,
                        next_pos,
                        st,
                        cur,
                        after,
                        text.len(),
                    );
                }
            }
            std::mem::swap(&mut clist, &mut nlist);
            if cur.is_none() {
                break;
            }
            pos = next_pos;
        }
        matched
    }

    #[allow(clippy::too_many_arguments)]
    fn add(
        &self,
        t: &mut Threads,
        stack: &mut Vec<usize>,
        pc: usize,
        pos: usize,
        start: usize,
        before: Option<char>,
        after: Option<char>,
        len: usize,
    ) {
        stack.clear();
        stack.push(pc);
        while let Some(pc) = stack.pop() {
            if t.marks[pc] == t.generation {
                continue;
            }
            t.marks[pc] = t.generation;
            match self.prog[pc] {
                Inst::Jmp(to) => stack.push(to),
                Inst::Split(a, b) => {
                    stack.push(b);
                    stack.push(a);
                }
                Inst::Look(l) => {
                    let ok = match l {
                        Look::Begin => pos == 0,
                        Look::End => pos == len,
                        Look::WordBoundary => is_word(before) != is_word(after),
                        Look::NotWordBoundary => is_word(before) == is_word(after),
                    };
                    if ok {
                        stack.push(pc + 1);
                    }
                }
                _ => t.list.push((pc, start)),
            }
        }
    }

    /// Go's `Regexp.ReplaceAllString`, including `$0`/`${name}` expansion in
    /// `template` (this regex has no capture groups, so only `$0` is non-empty).
    pub(crate) fn replace_all(&self, src: &str, template: &str) -> String {
        let mut out = String::new();
        let mut last_end = 0;
        let mut search = 0;
        while search <= src.len() {
            let Some((a, b)) = self.find_at(src, search) else {
                break;
            };
            out.push_str(&src[last_end..a]);
            if b > last_end || a == 0 {
                expand_template(&mut out, template, &src[a..b]);
            }
            last_end = b;
            let width = src[search..].chars().next().map_or(0, char::len_utf8);
            if search + width > b {
                search += width;
            } else if search + 1 > b {
                search += 1;
            } else {
                search = b;
            }
        }
        out.push_str(&src[last_end..]);
        out
    }
}

/// Go's `Regexp.Expand` for a regex without capture groups.
fn expand_template(out: &mut String, mut template: &str, whole: &str) {
    while let Some(k) = template.find('$') {
        out.push_str(&template[..k]);
        template = &template[k + 1..];
        if let Some(rest) = template.strip_prefix('$') {
            out.push('$');
            template = rest;
            continue;
        }
        match extract(template) {
            None => out.push('$'),
            Some((num, rest)) => {
                template = rest;
                if num == Some(0) {
                    out.push_str(whole);
                }
            }
        }
    }
    out.push_str(template);
}

/// Go's `regexp.extract`: the group reference at the start of `s`
/// (`name` or `{name}`), as (group number if numeric, rest).
fn extract(s: &str) -> Option<(Option<u32>, &str)> {
    let (brace, body) = match s.strip_prefix('{') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let end = body
        .char_indices()
        .find(|&(_, c)| !(c.is_alphabetic() || c.is_numeric() || c == '_'))
        .map_or(body.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let name = &body[..end];
    let mut rest = &body[end..];
    if brace {
        rest = rest.strip_prefix('}')?;
    }
    let numeric =
        name.bytes().all(|b| b.is_ascii_digit()) && !(name.len() > 1 && name.starts_with('0'));
    let num = if numeric && name.len() <= 8 {
        name.parse::<u32>().ok()
    } else {
        None
    };
    Some((num, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(re: &str, text: &str) -> bool {
        Regex::new(re).unwrap().is_match(text)
    }

    #[test]
    fn basics() {
        assert!(m("^a[^/]*$", "abc"));
        assert!(!m("^a[^/]*$", "ab/c"));
        assert!(m("^(.*/)?dir2/[^/]*$", "dir/dir2/file"));
        assert!(m("^a[b-d]e$", "ace"));
        assert!(!m("^a[^b-d]e$", "ace"));
        assert!(m("^a|b$", "axx"));
        assert!(m("^x{2}$", "xx"));
        assert!(!m("^x{2}$", "xxx"));
        assert!(!m("^a\\bb$", "a b"));
        assert!(m("^[[:alpha:]]+$", "abc"));
        assert!(m("^\\Q.*\\E$", ".*"));
        assert!(m("^\\x41\\101$", "AA"));
        assert!(Regex::new("^[l-O]$").is_err());
        assert!(Regex::new("a**").is_err());
        assert!(Regex::new("*a").is_err());
        assert!(Regex::new("[a").is_err());
        assert!(Regex::new("\\y").is_err());
    }

    #[test]
    fn leftmost_first() {
        let re = Regex::new("^x.*?y").unwrap();
        assert_eq!(re.find_at("xayby", 0), Some((0, 3)));
        let re = Regex::new("^x.*y").unwrap();
        assert_eq!(re.find_at("xayby", 0), Some((0, 5)));
        let re = Regex::new("b").unwrap();
        assert_eq!(re.find_at("abcb", 2), Some((3, 4)));
    }

    #[test]
    fn replace_all_like_go() {
        let re = Regex::new("a*").unwrap();
        assert_eq!(re.replace_all("baaac", "-"), "-b-c-");
        let re = Regex::new("o").unwrap();
        assert_eq!(re.replace_all("foo", "[$0$$${0}x$1]"), "f[o$ox][o$ox]");
    }
}
