//! Lexer for Go's text/template language, following `text/template/parse/lex.go`: the same
//! token kinds, trim-marker handling, line counting and error texts.

use std::borrow::Cow;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ItemType {
    Error,
    Bool,
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords.
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl ItemType {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            ItemType::Block
                | ItemType::Break
                | ItemType::Continue
                | ItemType::Dot
                | ItemType::Define
                | ItemType::Else
                | ItemType::End
                | ItemType::If
                | ItemType::Nil
                | ItemType::Range
                | ItemType::Template
                | ItemType::With
        )
    }
}

fn keyword(word: &str) -> Option<ItemType> {
    Some(match word {
        "." => ItemType::Dot,
        "block" => ItemType::Block,
        "break" => ItemType::Break,
        "continue" => ItemType::Continue,
        "define" => ItemType::Define,
        "else" => ItemType::Else,
        "end" => ItemType::End,
        "if" => ItemType::If,
        "range" => ItemType::Range,
        "nil" => ItemType::Nil,
        "template" => ItemType::Template,
        "with" => ItemType::With,
        _ => return None,
    })
}

/// A token. `val` borrows the source except for error messages.
#[derive(Clone, Debug)]
pub(crate) struct Item<'a> {
    pub typ: ItemType,
    pub pos: usize,
    pub val: Cow<'a, str>,
    pub line: usize,
}

impl std::fmt::Display for Item<'_> {
    /// Go's `item.String`, used in "unexpected ..." parse errors.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.typ {
            ItemType::Eof => f.write_str("EOF"),
            ItemType::Error => f.write_str(&self.val),
            t if t.is_keyword() => write!(f, "<{}>", self.val),
            _ if self.val.chars().count() > 10 => {
                let head: String = self.val.chars().take(10).collect();
                write!(f, "{}...", crate::fmt::quote(&head))
            }
            _ => f.write_str(&crate::fmt::quote(&self.val)),
        }
    }
}

const LEFT_DELIM: &str = "{{";
const RIGHT_DELIM: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";
const TRIM_MARKER_LEN: usize = 2;

/// Scans the whole input. The result ends with an `Eof` or an `Error` item.
pub(crate) fn lex(input: &str) -> Vec<Item<'_>> {
    let mut lexer = Lexer {
        input,
        pos: 0,
        start: 0,
        at_eof: false,
        paren_depth: 0,
        line: 1,
        start_line: 1,
        inside_action: false,
        items: Vec::new(),
    };
    lexer.run();
    lexer.items
}

#[derive(Clone, Copy)]
enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    InsideAction,
    Space,
    Identifier,
    Field,
    Variable,
    Char,
    Number,
    Quote,
    RawQuote,
    Done,
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    at_eof: bool,
    paren_depth: i32,
    line: usize,
    start_line: usize,
    inside_action: bool,
    items: Vec<Item<'a>>,
}

const EOF: Option<char> = None;

impl<'a> Lexer<'a> {
    fn run(&mut self) {
        let mut state = State::Text;
        loop {
            state = match state {
                State::Text => self.lex_text(),
                State::LeftDelim => self.lex_left_delim(),
                State::Comment => self.lex_comment(),
                State::RightDelim => self.lex_right_delim(),
                State::InsideAction => self.lex_inside_action(),
                State::Space => self.lex_space(),
                State::Identifier => self.lex_identifier(),
                State::Field => self.lex_field_or_variable(ItemType::Field),
                State::Variable => self.lex_variable(),
                State::Char => self.lex_quoted('\'', "unterminated character constant"),
                State::Number => self.lex_number(),
                State::Quote => self.lex_quoted('"', "unterminated quoted string"),
                State::RawQuote => self.lex_raw_quote(),
                State::Done => return,
            }
        }
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    fn next(&mut self) -> Option<char> {
        match self.rest().chars().next() {
            None => {
                self.at_eof = true;
                EOF
            }
            Some(c) => {
                self.pos += c.len_utf8();
                if c == '\n' {
                    self.line += 1;
                }
                Some(c)
            }
        }
    }

    fn backup(&mut self) {
        if !self.at_eof
            && let Some(c) = self.input[..self.pos].chars().next_back()
        {
            self.pos -= c.len_utf8();
            if c == '\n' {
                self.line -= 1;
            }
        }
    }

    fn peek(&mut self) -> Option<char> {
        let c = self.next();
        self.backup();
        c
    }

    fn this_item(&mut self, typ: ItemType) -> Item<'a> {
        let item = Item {
            typ,
            pos: self.start,
            val: Cow::Borrowed(&self.input[self.start..self.pos]),
            line: self.start_line,
        };
        self.start = self.pos;
        self.start_line = self.line;
        item
    }

    fn emit(&mut self, typ: ItemType) {
        let item = self.this_item(typ);
        self.items.push(item);
    }

    fn ignore(&mut self) {
        self.line += self.input[self.start..self.pos].matches('\n').count();
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.next() {
            Some(c) if valid.contains(c) => true,
            _ => {
                self.backup();
                false
            }
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while let Some(c) = self.next() {
            if !valid.contains(c) {
                break;
            }
        }
        self.backup();
    }

    fn errorf(&mut self, message: String) -> State {
        self.items.push(Item {
            typ: ItemType::Error,
            pos: self.start,
            val: Cow::Owned(message),
            line: self.start_line,
        });
        State::Done
    }

    fn lex_text(&mut self) -> State {
        if let Some(x) = self.rest().find(LEFT_DELIM) {
            if x > 0 {
                self.pos += x;
                let delim_end = self.pos + LEFT_DELIM.len();
                let trim = if has_left_trim_marker(&self.input[delim_end..]) {
                    right_trim_length(&self.input[self.start..self.pos])
                } else {
                    0
                };
                self.pos -= trim;
                self.line += self.input[self.start..self.pos].matches('\n').count();
                let item = self.this_item(ItemType::Text);
                self.pos += trim;
                self.ignore();
                if !item.val.is_empty() {
                    self.items.push(item);
                }
            }
            return State::LeftDelim;
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.line += self.input[self.start..self.pos].matches('\n').count();
            self.emit(ItemType::Text);
        }
        self.emit(ItemType::Eof);
        State::Done
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim_marker(rest) && rest[TRIM_MARKER_LEN..].starts_with(RIGHT_DELIM) {
            return (true, true);
        }
        (rest.starts_with(RIGHT_DELIM), false)
    }

    fn lex_left_delim(&mut self) -> State {
        self.pos += LEFT_DELIM.len();
        let trim = has_left_trim_marker(self.rest());
        let after_marker = if trim { TRIM_MARKER_LEN } else { 0 };
        if self.input[self.pos + after_marker..].starts_with(LEFT_COMMENT) {
            self.pos += after_marker;
            self.ignore();
            return State::Comment;
        }
        let item = self.this_item(ItemType::LeftDelim);
        self.inside_action = true;
        self.pos += after_marker;
        self.ignore();
        self.paren_depth = 0;
        self.items.push(item);
        State::InsideAction
    }

    fn lex_comment(&mut self) -> State {
        self.pos += LEFT_COMMENT.len();
        let Some(x) = self.rest().find(RIGHT_COMMENT) else {
            return self.errorf("unclosed comment".into());
        };
        self.pos += x + RIGHT_COMMENT.len();
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.errorf("comment ends before closing delimiter".into());
        }
        // Comments are not passed to the parser (Go's default mode); just count their lines.
        self.line += self.input[self.start..self.pos].matches('\n').count();
        self.start = self.pos;
        self.start_line = self.line;
        if trim {
            self.pos += TRIM_MARKER_LEN;
        }
        self.pos += RIGHT_DELIM.len();
        if trim {
            self.pos += left_trim_length(self.rest());
        }
        self.ignore();
        State::Text
    }

    fn lex_right_delim(&mut self) -> State {
        let (_, trim) = self.at_right_delim();
        if trim {
            self.pos += TRIM_MARKER_LEN;
            self.ignore();
        }
        self.pos += RIGHT_DELIM.len();
        let item = self.this_item(ItemType::RightDelim);
        if trim {
            self.pos += left_trim_length(self.rest());
            self.ignore();
        }
        self.inside_action = false;
        self.items.push(item);
        State::Text
    }

    fn lex_inside_action(&mut self) -> State {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return State::RightDelim;
            }
            return self.errorf("unclosed left paren".into());
        }
        let Some(r) = self.next() else {
            return self.errorf("unclosed action".into());
        };
        match r {
            _ if is_space(r) => {
                self.backup();
                return State::Space;
            }
            '=' => self.emit(ItemType::Assign),
            ':' => {
                if self.next() != Some('=') {
                    return self.errorf("expected :=".into());
                }
                self.emit(ItemType::Declare);
            }
            '|' => self.emit(ItemType::Pipe),
            '"' => return State::Quote,
            '`' => return State::RawQuote,
            '$' => return State::Variable,
            '\'' => return State::Char,
            '.' if self.rest().starts_with(|c: char| !c.is_ascii_digit()) => {
                return State::Field;
            }
            '.' | '+' | '-' | '0'..='9' => {
                self.backup();
                return State::Number;
            }
            _ if is_alphanumeric(r) => {
                self.backup();
                return State::Identifier;
            }
            '(' => {
                self.paren_depth += 1;
                self.emit(ItemType::LeftParen);
            }
            ')' => {
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return self.errorf("unexpected right paren".into());
                }
                self.emit(ItemType::RightParen);
            }
            _ if r.is_ascii() && !r.is_ascii_control() => self.emit(ItemType::Char),
            _ => {
                return self.errorf(format!(
                    "unrecognized character in action: {}",
                    go_unicode(r)
                ));
            }
        }
        State::InsideAction
    }

    fn lex_space(&mut self) -> State {
        let mut spaces = 0;
        while self.peek().is_some_and(is_space) {
            self.next();
            spaces += 1;
        }
        // A trim-marked right delimiter starts with a space: leave that space to it.
        let from = self.pos - 1;
        if has_right_trim_marker(&self.input[from..])
            && self.input[from + TRIM_MARKER_LEN..].starts_with(RIGHT_DELIM)
        {
            self.backup();
            if spaces == 1 {
                return State::RightDelim;
            }
        }
        self.emit(ItemType::Space);
        State::InsideAction
    }

    fn lex_identifier(&mut self) -> State {
        loop {
            let r = self.next();
            if r.is_some_and(is_alphanumeric) {
                continue;
            }
            self.backup();
            let word = &self.input[self.start..self.pos];
            if !self.at_terminator() {
                return self.bad_character(r);
            }
            let typ = match keyword(word) {
                Some(k) => k,
                None if word.starts_with('.') => ItemType::Field,
                None if word == "true" || word == "false" => ItemType::Bool,
                None => ItemType::Identifier,
            };
            self.emit(typ);
            return State::InsideAction;
        }
    }

    fn lex_variable(&mut self) -> State {
        if self.at_terminator() {
            self.emit(ItemType::Variable);
            return State::InsideAction;
        }
        self.lex_field_or_variable(ItemType::Variable)
    }

    fn lex_field_or_variable(&mut self, typ: ItemType) -> State {
        if self.at_terminator() {
            self.emit(if typ == ItemType::Variable {
                ItemType::Variable
            } else {
                ItemType::Dot
            });
            return State::InsideAction;
        }
        let mut r;
        loop {
            r = self.next();
            if !r.is_some_and(is_alphanumeric) {
                self.backup();
                break;
            }
        }
        if !self.at_terminator() {
            return self.bad_character(r);
        }
        self.emit(typ);
        State::InsideAction
    }

    fn bad_character(&mut self, r: Option<char>) -> State {
        let shown = match r {
            Some(c) => go_unicode(c),
            None => "U+FFFFFFFFFFFFFFFF".to_string(),
        };
        self.errorf(format!("bad character {shown}"))
    }

    fn at_terminator(&mut self) -> bool {
        match self.peek() {
            None => true,
            Some(r) if is_space(r) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            Some(_) => self.rest().starts_with(RIGHT_DELIM),
        }
    }

    /// Scans a quoted string or character constant; the opening quote has been read.
    fn lex_quoted(&mut self, quote: char, unterminated: &str) -> State {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    None | Some('\n') => return self.errorf(unterminated.into()),
                    Some(_) => {}
                },
                None | Some('\n') => return self.errorf(unterminated.into()),
                Some(c) if c == quote => break,
                Some(_) => {}
            }
        }
        self.emit(if quote == '"' {
            ItemType::String
        } else {
            ItemType::CharConstant
        });
        State::InsideAction
    }

    fn lex_raw_quote(&mut self) -> State {
        loop {
            match self.next() {
                None => return self.errorf("unterminated raw quoted string".into()),
                Some('`') => break,
                Some(_) => {}
            }
        }
        self.emit(ItemType::RawString);
        State::InsideAction
    }

    fn lex_number(&mut self) -> State {
        if !self.scan_number() {
            let text = &self.input[self.start..self.pos];
            return self.errorf(format!("bad number syntax: {}", crate::fmt::quote(text)));
        }
        if matches!(self.peek(), Some('+' | '-')) {
            // Complex: 1+2i. No spaces, must end in 'i'.
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let text = &self.input[self.start..self.pos];
                return self.errorf(format!("bad number syntax: {}", crate::fmt::quote(text)));
            }
            self.emit(ItemType::Complex);
        } else {
            self.emit(ItemType::Number);
        }
        State::InsideAction
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alphanumeric) {
            self.next();
            return false;
        }
        true
    }
}

fn is_space(r: char) -> bool {
    matches!(r, ' ' | '\t' | '\r' | '\n')
}

pub(crate) fn is_alphanumeric(r: char) -> bool {
    r == '_' || r.is_alphabetic() || r.is_numeric()
}

fn has_left_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(char::from(b[1]))
}

fn has_right_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(char::from(b[0])) && b[1] == b'-'
}

fn right_trim_length(s: &str) -> usize {
    s.len() - s.trim_end_matches(is_space).len()
}

fn left_trim_length(s: &str) -> usize {
    s.len() - s.trim_start_matches(is_space).len()
}

/// Go's `%#U`: `U+0023 '#'`, or `U+0001` for non-printable runes.
fn go_unicode(c: char) -> String {
    if crate::fmt::is_print(c) {
        format!("U+{:04X} '{c}'", u32::from(c))
    } else {
        format!("U+{:04X}", u32::from(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(ItemType, String)> {
        lex(src)
            .into_iter()
            .map(|i| (i.typ, i.val.into_owned()))
            .collect()
    }

    #[test]
    fn splits_text_and_actions() {
        use ItemType::*;
        assert_eq!(
            kinds("intro {{echo hi 1.2 |noargs|args 1 \"hi\"}} outro"),
            vec![
                (Text, "intro ".into()),
                (LeftDelim, "{{".into()),
                (Identifier, "echo".into()),
                (Space, " ".into()),
                (Identifier, "hi".into()),
                (Space, " ".into()),
                (Number, "1.2".into()),
                (Space, " ".into()),
                (Pipe, "|".into()),
                (Identifier, "noargs".into()),
                (Pipe, "|".into()),
                (Identifier, "args".into()),
                (Space, " ".into()),
                (Number, "1".into()),
                (Space, " ".into()),
                (String, "\"hi\"".into()),
                (RightDelim, "}}".into()),
                (Text, " outro".into()),
                (Eof, "".into()),
            ]
        );
    }

    #[test]
    fn numbers_fields_and_variables() {
        use ItemType::*;
        let items = kinds("{{1 02 0x14 -7.2i 1e3 +1.2e-4 1+2i 1_2 0x1.e_fp4 .x . .2 .x.y $ $v.F}}");
        let got: Vec<_> = items.iter().filter(|(t, _)| *t != Space).cloned().collect();
        assert_eq!(
            got,
            vec![
                (LeftDelim, "{{".into()),
                (Number, "1".into()),
                (Number, "02".into()),
                (Number, "0x14".into()),
                (Number, "-7.2i".into()),
                (Number, "1e3".into()),
                (Number, "+1.2e-4".into()),
                (Complex, "1+2i".into()),
                (Number, "1_2".into()),
                (Number, "0x1.e_fp4".into()),
                (Field, ".x".into()),
                (Dot, ".".into()),
                (Number, ".2".into()),
                (Field, ".x".into()),
                (Field, ".y".into()),
                (Variable, "$".into()),
                (Variable, "$v".into()),
                (Field, ".F".into()),
                (RightDelim, "}}".into()),
                (Eof, "".into()),
            ]
        );
    }

    #[test]
    fn trim_markers_remove_surrounding_space() {
        use ItemType::*;
        assert_eq!(
            kinds("hello- {{- 3 -}} -world"),
            vec![
                (Text, "hello-".into()),
                (LeftDelim, "{{".into()),
                (Number, "3".into()),
                (RightDelim, "}}".into()),
                (Text, "-world".into()),
                (Eof, "".into()),
            ]
        );
        assert_eq!(
            kinds("hello- {{- /* c */ -}} -world"),
            vec![
                (Text, "hello-".into()),
                (Text, "-world".into()),
                (Eof, "".into())
            ]
        );
    }

    #[test]
    fn errors_match_go() {
        let last = |src: &str| {
            lex(src)
                .pop()
                .map(|i| i.val.into_owned())
                .unwrap_or_default()
        };
        assert_eq!(
            last("#{{\x01}}"),
            "unrecognized character in action: U+0001"
        );
        assert_eq!(last("{{"), "unclosed action");
        assert_eq!(last("{{range"), "unclosed action");
        assert_eq!(last("{{\"\n\"}}"), "unterminated quoted string");
        assert_eq!(last("{{`xx}}"), "unterminated raw quoted string");
        assert_eq!(last("{{'\n}}"), "unterminated character constant");
        assert_eq!(last("{{3k}}"), "bad number syntax: \"3k\"");
        assert_eq!(last("{{(3}}"), "unclosed left paren");
        assert_eq!(last("{{3)}}"), "unexpected right paren");
        assert_eq!(last("hello-{{/*/}}-world"), "unclosed comment");
        assert_eq!(
            last("hello-{{/* */ }}-world"),
            "comment ends before closing delimiter"
        );
        assert_eq!(last("{{a#}}"), "bad character U+0023 '#'");
    }

    #[test]
    fn unmatched_right_delimiter_is_text() {
        assert_eq!(kinds("hello-{.}}-world")[0].1, "hello-{.}}-world");
    }

    #[test]
    fn lines_are_counted_across_trimmed_text_and_comments() {
        let items = lex("{{/*\n*/}}\n{{undefinedFunction \"test\"}}");
        let lines: Vec<_> = items.iter().map(|i| (i.pos, i.line)).collect();
        assert_eq!(
            lines,
            vec![(9, 2), (10, 3), (12, 3), (29, 3), (30, 3), (36, 3), (38, 3)]
        );
        let items = lex("{{x -}}\n{{y}}");
        let lines: Vec<_> = items.iter().map(|i| (i.pos, i.line)).collect();
        assert_eq!(
            lines,
            vec![(0, 1), (2, 1), (5, 1), (8, 2), (10, 2), (11, 2), (13, 2)]
        );
    }
}
