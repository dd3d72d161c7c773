//! Parsing Go RE2 syntax (with Go's `Perl` flags) into an AST.

use super::Error;

const MAX_REPEAT: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Look {
    Begin,
    End,
    WordBoundary,
    NotWordBoundary,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Pred {
    Any,
    Letter,
    Upper,
    Lower,
    Number,
}

impl Pred {
    fn test(self, c: char) -> bool {
        match self {
            Pred::Any => true,
            Pred::Letter => c.is_alphabetic(),
            Pred::Upper => c.is_uppercase(),
            Pred::Lower => c.is_lowercase(),
            Pred::Number => c.is_numeric(),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) enum Item {
    Range(char, char),
    Set(&'static [(char, char)], bool),
    Pred(Pred, bool),
}

#[derive(Debug, Clone)]
pub(super) struct Class {
    items: Vec<Item>,
    negated: bool,
}

impl Class {
    pub(super) fn matches(&self, c: char) -> bool {
        let hit = self.items.iter().any(|it| match *it {
            Item::Range(lo, hi) => lo <= c && c <= hi,
            Item::Set(ranges, neg) => ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != neg,
            Item::Pred(p, neg) => p.test(c) != neg,
        });
        hit != self.negated
    }
}

#[derive(Debug, Clone)]
pub(super) enum Ast {
    Empty,
    Lit(char),
    AnyNotNl,
    Class(Class),
    Look(Look),
    Concat(Vec<Ast>),
    Alt(Vec<Ast>),
    Repeat {
        sub: Box<Ast>,
        min: u32,
        max: Option<u32>,
        greedy: bool,
    },
}

const DIGIT: &[(char, char)] = &[('0', '9')];
const PERL_SPACE: &[(char, char)] = &[('\t', '\n'), ('\x0c', '\r'), (' ', ' ')];
const WORD: &[(char, char)] = &[('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];

fn posix_class(name: &str) -> Option<&'static [(char, char)]> {
    Some(match name {
        "alnum" => &[('0', '9'), ('A', 'Z'), ('a', 'z')],
        "alpha" => &[('A', 'Z'), ('a', 'z')],
        "ascii" => &[('\0', '\x7f')],
        "blank" => &[('\t', '\t'), (' ', ' ')],
        "cntrl" => &[('\0', '\x1f'), ('\x7f', '\x7f')],
        "digit" => DIGIT,
        "graph" => &[('!', '~')],
        "lower" => &[('a', 'z')],
        "print" => &[(' ', '~')],
        "punct" => &[('!', '/'), (':', '@'), ('[', '`'), ('{', '~')],
        "space" => &[('\t', '\r'), (' ', ' ')],
        "upper" => &[('A', 'Z')],
        "word" => WORD,
        "xdigit" => &[('0', '9'), ('A', 'F'), ('a', 'f')],
        _ => return None,
    })
}

fn perl_class(c: char) -> Option<Item> {
    Some(match c {
        'd' => Item::Set(DIGIT, false),
        'D' => Item::Set(DIGIT, true),
        's' => Item::Set(PERL_SPACE, false),
        'S' => Item::Set(PERL_SPACE, true),
        'w' => Item::Set(WORD, false),
        'W' => Item::Set(WORD, true),
        _ => return None,
    })
}

pub(super) struct Parser {
    s: Vec<char>,
    i: usize,
    /// For each index, where the next `:]` starts (`s.len()` if none), so
    /// `[:name:]` lookups stay linear on hostile input.
    next_colon_bracket: Vec<usize>,
}

enum Frame {
    /// Items of the current concatenation and finished alternatives.
    Group { alts: Vec<Ast>, cur: Vec<Ast> },
}

impl Parser {
    pub(super) fn new(pattern: &str) -> Self {
        let s: Vec<char> = pattern.chars().collect();
        let mut next_colon_bracket = vec![s.len(); s.len() + 1];
        for i in (0..s.len().saturating_sub(1)).rev() {
            next_colon_bracket[i] = if s[i] == ':' && s[i + 1] == ']' {
                i
            } else {
                next_colon_bracket[i + 1]
            };
        }
        Parser {
            s,
            i: 0,
            next_colon_bracket,
        }
    }

    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.s.get(self.i + k).copied()
    }

    fn err<T>(&self, what: &str) -> Result<T, Error> {
        Err(Error(format!("error parsing regexp: {what}")))
    }

    pub(super) fn parse(mut self) -> Result<Ast, Error> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut alts: Vec<Ast> = Vec::new();
        let mut cur: Vec<Ast> = Vec::new();
        // Whether the previous token was a repetition operator.
        let mut last_repeat = false;
        // Whether `cur` may take a repetition (not right after `(` or `|`).
        while let Some(c) = self.peek() {
            let mut this_repeat = false;
            match c {
                '(' => {
                    if self.peek_at(1) == Some('?') {
                        return self.err("unsupported group syntax");
                    }
                    self.i += 1;
                    stack.push(Frame::Group {
                        alts: std::mem::take(&mut alts),
                        cur: std::mem::take(&mut cur),
                    });
                }
                '|' => {
                    self.i += 1;
                    alts.push(concat(std::mem::take(&mut cur)));
                }
                ')' => {
                    self.i += 1;
                    let Some(Frame::Group {
                        alts: outer_alts,
                        cur: outer_cur,
                    }) = stack.pop()
                    else {
                        return self.err("unexpected )");
                    };
                    alts.push(concat(std::mem::take(&mut cur)));
                    let group = alternate(std::mem::take(&mut alts));
                    alts = outer_alts;
                    cur = outer_cur;
                    // Wrap so a following repetition applies to the group.
                    cur.push(Ast::Concat(vec![group]));
                }
                '*' | '+' | '?' => {
                    self.i += 1;
                    let (min, max) = match c {
                        '*' => (0, None),
                        '+' => (1, None),
                        _ => (0, Some(1)),
                    };
                    self.apply_repeat(&mut cur, min, max, last_repeat)?;
                    this_repeat = true;
                }
                '{' => match self.parse_repeat_braces() {
                    Some((min, max, len)) => {
                        if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT || min > m) {
                            return self.err("invalid repeat count");
                        }
                        self.i += len;
                        self.apply_repeat(&mut cur, min, max, last_repeat)?;
                        this_repeat = true;
                    }
                    None => {
                        self.i += 1;
                        cur.push(Ast::Lit('{'));
                    }
                },
                '.' => {
                    self.i += 1;
                    cur.push(Ast::AnyNotNl);
                }
                '^' => {
                    self.i += 1;
                    cur.push(Ast::Look(Look::Begin));
                }
                '$' => {
                    self.i += 1;
                    cur.push(Ast::Look(Look::End));
                }
                '[' => {
                    let class = self.parse_class()?;
                    cur.push(Ast::Class(class));
                }
                '\\' => self.parse_backslash(&mut cur)?,
                _ => {
                    self.i += 1;
                    cur.push(Ast::Lit(c));
                }
            }
            last_repeat = this_repeat;
        }
        if !stack.is_empty() {
            return self.err("missing closing )");
        }
        alts.push(concat(cur));
        Ok(alternate(alts))
    }

    fn apply_repeat(
        &mut self,
        cur: &mut Vec<Ast>,
        min: u32,
        max: Option<u32>,
        last_repeat: bool,
    ) -> Result<(), Error> {
        let mut greedy = true;
        if self.peek() == Some('?') {
            self.i += 1;
            greedy = false;
        }
        if last_repeat {
            return self.err("invalid nested repetition operator");
        }
        let Some(sub) = cur.pop() else {
            return self.err("missing argument to repetition operator");
        };
        cur.push(Ast::Repeat {
            sub: Box::new(sub),
            min,
            max,
            greedy,
        });
        Ok(())
    }

    /// `{n}`, `{n,}` or `{n,m}` at the cursor: (min, max, length).
    fn parse_repeat_braces(&self) -> Option<(u32, Option<u32>, usize)> {
        let mut j = self.i + 1;
        let num = |j: &mut usize| -> Option<u32> {
            let start = *j;
            while self.s.get(*j).is_some_and(|c| c.is_ascii_digit()) {
                *j += 1;
            }
            let digits: String = self.s[start..*j].iter().collect();
            if digits.is_empty() || (digits.len() >= 2 && digits.starts_with('0')) {
                return None;
            }
            Some(digits.parse::<u32>().unwrap_or(u32::MAX))
        };
        let min = num(&mut j)?;
        let max = if self.s.get(j) == Some(&',') {
            j += 1;
            if self.s.get(j) == Some(&'}') {
                None
            } else {
                Some(num(&mut j)?)
            }
        } else {
            Some(min)
        };
        if self.s.get(j) != Some(&'}') {
            return None;
        }
        Some((min, max, j + 1 - self.i))
    }

    fn parse_backslash(&mut self, cur: &mut Vec<Ast>) -> Result<(), Error> {
        match self.peek_at(1) {
            Some('A') => {
                self.i += 2;
                cur.push(Ast::Look(Look::Begin));
                return Ok(());
            }
            Some('z') => {
                self.i += 2;
                cur.push(Ast::Look(Look::End));
                return Ok(());
            }
            Some('b') => {
                self.i += 2;
                cur.push(Ast::Look(Look::WordBoundary));
                return Ok(());
            }
            Some('B') => {
                self.i += 2;
                cur.push(Ast::Look(Look::NotWordBoundary));
                return Ok(());
            }
            Some('C') => return self.err("invalid escape sequence: `\\C`"),
            Some('Q') => {
                self.i += 2;
                while let Some(c) = self.peek() {
                    if c == '\\' && self.peek_at(1) == Some('E') {
                        self.i += 2;
                        break;
                    }
                    cur.push(Ast::Lit(c));
                    self.i += 1;
                }
                return Ok(());
            }
            _ => {}
        }
        if let Some(item) = self.parse_unicode_class()? {
            cur.push(Ast::Class(Class {
                items: vec![item],
                negated: false,
            }));
            return Ok(());
        }
        if let Some(item) = self.peek_at(1).and_then(perl_class) {
            self.i += 2;
            cur.push(Ast::Class(Class {
                items: vec![item],
                negated: false,
            }));
            return Ok(());
        }
        let c = self.parse_escape()?;
        cur.push(Ast::Lit(c));
        Ok(())
    }

    /// `\pX`, `\p{Name}`, `\PX`, `\p{^Name}` at the cursor.
    fn parse_unicode_class(&mut self) -> Result<Option<Item>, Error> {
        if self.peek() != Some('\\') || !matches!(self.peek_at(1), Some('p' | 'P')) {
            return Ok(None);
        }
        let mut negated = self.peek_at(1) == Some('P');
        let Some(c) = self.peek_at(2) else {
            return self.err("invalid character class range");
        };
        let (mut name, len) = if c == '{' {
            let mut j = self.i + 3;
            while self.s.get(j).is_some_and(|&c| c != '}') {
                j += 1;
            }
            if j >= self.s.len() {
                return self.err("invalid character class range");
            }
            (
                self.s[self.i + 3..j].iter().collect::<String>(),
                j + 1 - self.i,
            )
        } else {
            (c.to_string(), 3)
        };
        if let Some(rest) = name.strip_prefix('^') {
            negated = !negated;
            name = rest.to_string();
        }
        let pred = match name.as_str() {
            "Any" => Pred::Any,
            "L" => Pred::Letter,
            "Lu" => Pred::Upper,
            "Ll" => Pred::Lower,
            "N" => Pred::Number,
            _ => return self.err("invalid or unsupported Unicode class"),
        };
        self.i += len;
        Ok(Some(Item::Pred(pred, negated)))
    }

    /// A single-character escape (`\n`, `\x41`, `\101`, `\.`); cursor on `\`.
    fn parse_escape(&mut self) -> Result<char, Error> {
        self.i += 1;
        let Some(c) = self.peek() else {
            return self.err("trailing backslash at end of expression");
        };
        self.i += 1;
        if c.is_ascii() && !c.is_ascii_alphanumeric() {
            return Ok(c);
        }
        let octal = |p: &Self| p.peek().is_some_and(|d| ('0'..='7').contains(&d));
        match c {
            '1'..='7' if octal(self) => self.octal(c),
            '0' => self.octal(c),
            'x' => {
                if self.peek() == Some('{') {
                    self.i += 1;
                    let mut v: u32 = 0;
                    let mut n = 0;
                    loop {
                        let Some(d) = self.peek() else {
                            return self.err("invalid escape sequence");
                        };
                        self.i += 1;
                        if d == '}' {
                            break;
                        }
                        let Some(h) = d.to_digit(16) else {
                            return self.err("invalid escape sequence");
                        };
                        v = v * 16 + h;
                        if v > 0x10FFFF {
                            return self.err("invalid escape sequence");
                        }
                        n += 1;
                    }
                    if n == 0 {
                        return self.err("invalid escape sequence");
                    }
                    return char::from_u32(v)
                        .map_or_else(|| self.err("invalid escape sequence"), Ok);
                }
                let x = self.peek().and_then(|d| d.to_digit(16));
                let y = self.peek_at(1).and_then(|d| d.to_digit(16));
                match (x, y) {
                    (Some(x), Some(y)) => {
                        self.i += 2;
                        Ok(char::from_u32(x * 16 + y).unwrap_or('\u{FFFD}'))
                    }
                    _ => self.err("invalid escape sequence"),
                }
            }
            'a' => Ok('\x07'),
            'f' => Ok('\x0c'),
            'n' => Ok('\n'),
            'r' => Ok('\r'),
            't' => Ok('\t'),
            'v' => Ok('\x0b'),
            _ => self.err("invalid escape sequence"),
        }
    }

    fn octal(&mut self, first: char) -> Result<char, Error> {
        let mut v = first as u32 - '0' as u32;
        for _ in 1..3 {
            match self.peek() {
                Some(d @ '0'..='7') => {
                    v = v * 8 + (d as u32 - '0' as u32);
                    self.i += 1;
                }
                _ => break,
            }
        }
        Ok(char::from_u32(v).unwrap_or('\u{FFFD}'))
    }

    /// A bracketed class; cursor on `[`.
    fn parse_class(&mut self) -> Result<Class, Error> {
        self.i += 1;
        let mut class = Class {
            items: Vec::new(),
            negated: false,
        };
        if self.peek() == Some('^') {
            self.i += 1;
            class.negated = true;
        }
        let mut first = true;
        loop {
            match self.peek() {
                None => return self.err("missing closing ]"),
                Some(']') if !first => {
                    self.i += 1;
                    return Ok(class);
                }
                _ => {}
            }
            first = false;
            // POSIX [:name:] / [:^name:].
            if self.peek() == Some('[') && self.peek_at(1) == Some(':') {
                let end = self.next_colon_bracket[self.i + 2];
                if end < self.s.len() {
                    let full: String = self.s[self.i + 2..end].iter().collect();
                    let (negated, name) = match full.strip_prefix('^') {
                        Some(n) => (true, n),
                        None => (false, full.as_str()),
                    };
                    let Some(ranges) = posix_class(name) else {
                        return self.err("invalid character class range");
                    };
                    class.items.push(Item::Set(ranges, negated));
                    self.i = end + 2;
                    continue;
                }
            }
            if let Some(item) = self.parse_unicode_class()? {
                class.items.push(item);
                continue;
            }
            if self.peek() == Some('\\')
                && let Some(item) = self.peek_at(1).and_then(perl_class)
            {
                self.i += 2;
                class.items.push(item);
                continue;
            }
            let lo = self.class_char()?;
            let mut hi = lo;
            if self.peek() == Some('-') && self.peek_at(1).is_some_and(|c| c != ']') {
                self.i += 1;
                hi = self.class_char()?;
                if hi < lo {
                    return self.err("invalid character class range");
                }
            }
            class.items.push(Item::Range(lo, hi));
        }
    }

    fn class_char(&mut self) -> Result<char, Error> {
        match self.peek() {
            None => self.err("missing closing ]"),
            Some('\\') => self.parse_escape(),
            Some(c) => {
                self.i += 1;
                Ok(c)
            }
        }
    }
}

fn concat(mut items: Vec<Ast>) -> Ast {
    match items.len() {
        0 => Ast::Empty,
        1 => items.pop().unwrap_or(Ast::Empty),
        _ => Ast::Concat(items),
    }
}

fn alternate(mut alts: Vec<Ast>) -> Ast {
    if alts.len() == 1 {
        alts.pop().unwrap_or(Ast::Empty)
    } else {
        Ast::Alt(alts)
    }
}
