//! Recursive-descent parser following Go's `text/template/parse/parse.go`: the same grammar,
//! three-token lookahead, variable scoping and error texts.

use std::borrow::Cow;
use std::collections::HashMap;

use super::ast::{Action, Arg, Branch, Command, List, Node, Pipe, TemplateCall, Variable};
use super::lex::{Item, ItemType, lex};
use super::literal::{NumberKind, parse_number, unquote};
use crate::error::TemplateError;

/// Nesting limit for parentheses and control structures together. Go allows 10000 nested
/// parentheses on its growable stacks; this keeps parsing and execution within a small native
/// stack.
pub(crate) const MAX_NESTING: usize = 100;

/// Parses `src` into its named templates; the top-level body is stored under `name`.
pub(crate) fn parse(
    name: &str,
    src: &str,
    is_function: &dyn Fn(&str) -> bool,
) -> std::result::Result<HashMap<String, List>, TemplateError> {
    let eof = Item {
        typ: ItemType::Eof,
        pos: 0,
        val: Cow::Borrowed(""),
        line: 0,
    };
    let mut p = Parser {
        name,
        items: lex(src).into_iter(),
        last: Item {
            typ: ItemType::Eof,
            pos: src.len(),
            val: Cow::Borrowed("EOF"),
            line: 0,
        },
        token: [eof.clone(), eof.clone(), eof],
        peek_count: 0,
        vars: vec!["$".to_string()],
        action_line: 0,
        range_depth: 0,
        depth: 0,
        trees: HashMap::new(),
        is_function,
    };
    let root = p.parse_top().map_err(|e| *e)?;
    p.add(name, root).map_err(|e| *e)?;
    Ok(p.trees)
}

/// What `textOrAction` can produce: a node, or the `{{end}}` / `{{else}}` that closes a list.
enum Item2 {
    Node(Node),
    End,
    Else,
}

impl Item2 {
    fn describe(&self) -> String {
        match self {
            Item2::Node(n) => n.to_string(),
            Item2::End => "{{end}}".into(),
            Item2::Else => "{{else}}".into(),
        }
    }
}

struct Parser<'a, 'f> {
    name: &'a str,
    items: std::vec::IntoIter<Item<'a>>,
    /// Returned once the lexer's items are exhausted.
    last: Item<'a>,
    token: [Item<'a>; 3],
    peek_count: usize,
    vars: Vec<String>,
    action_line: usize,
    range_depth: usize,
    depth: usize,
    trees: HashMap<String, List>,
    is_function: &'f dyn Fn(&str) -> bool,
}

/// Errors are boxed to keep the parser's stack frames small: nesting recurses through them.
type Result<T> = std::result::Result<T, Box<TemplateError>>;

impl<'a> Parser<'a, '_> {
    // ---- token stream -------------------------------------------------------------------

    fn lex_next(&mut self) -> Item<'a> {
        match self.items.next() {
            Some(item) => {
                if matches!(item.typ, ItemType::Eof | ItemType::Error) {
                    self.last.line = item.line;
                }
                item
            }
            None => self.last.clone(),
        }
    }

    fn next(&mut self) -> Item<'a> {
        if self.peek_count > 0 {
            self.peek_count -= 1;
        } else {
            self.token[0] = self.lex_next();
        }
        self.token[self.peek_count].clone()
    }

    fn backup(&mut self) {
        self.peek_count += 1;
    }

    fn backup2(&mut self, t1: Item<'a>) {
        self.token[1] = t1;
        self.peek_count = 2;
    }

    fn backup3(&mut self, t2: Item<'a>, t1: Item<'a>) {
        self.token[1] = t1;
        self.token[2] = t2;
        self.peek_count = 3;
    }

    fn peek(&mut self) -> Item<'a> {
        if self.peek_count > 0 {
            return self.token[self.peek_count - 1].clone();
        }
        self.peek_count = 1;
        self.token[0] = self.lex_next();
        self.token[0].clone()
    }

    fn next_non_space(&mut self) -> Item<'a> {
        loop {
            let t = self.next();
            if t.typ != ItemType::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item<'a> {
        let t = self.next_non_space();
        self.backup();
        t
    }

    // ---- errors ---------------------------------------------------------------------------

    fn error(&self, detail: impl Into<String>) -> Box<TemplateError> {
        self.error_at_line(self.token[0].line, detail)
    }

    fn error_at_line(&self, line: usize, detail: impl Into<String>) -> Box<TemplateError> {
        Box::new(TemplateError::Parse {
            template: self.name.to_string(),
            line,
            detail: detail.into(),
        })
    }

    fn unexpected(&self, token: &Item<'_>, context: &str) -> Box<TemplateError> {
        if token.typ == ItemType::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(" in action started at {}:{}", self.name, self.action_line);
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.error(format!("{token}{extra}"));
        }
        self.error(format!("unexpected {token} in {context}"))
    }

    fn expect(&mut self, expected: ItemType, context: &str) -> Result<Item<'a>> {
        let token = self.next_non_space();
        if token.typ != expected {
            return Err(self.unexpected(&token, context));
        }
        Ok(token)
    }

    fn enter(&mut self) -> Result<()> {
        if self.depth >= MAX_NESTING {
            return Err(self.error("max expression depth exceeded"));
        }
        self.depth += 1;
        Ok(())
    }

    // ---- templates ------------------------------------------------------------------------

    /// Registers a template body, refusing to replace a non-empty one with another.
    fn add(&mut self, name: &str, list: List) -> Result<()> {
        match self.trees.get(name) {
            Some(existing) if !existing.is_empty_tree() => {
                if !list.is_empty_tree() {
                    return Err(self.error(format!(
                        "template: multiple definition of template {}",
                        crate::fmt::quote(name)
                    )));
                }
            }
            _ => {
                self.trees.insert(name.to_string(), list);
            }
        }
        Ok(())
    }

    fn parse_top(&mut self) -> Result<List> {
        let mut root = List::default();
        while self.peek().typ != ItemType::Eof {
            if self.peek().typ == ItemType::LeftDelim {
                let delim = self.next();
                if self.next_non_space().typ == ItemType::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.backup2(delim);
            }
            match self.text_or_action()? {
                Item2::Node(n) => root.nodes.push(n),
                other => return Err(self.error(format!("unexpected {}", other.describe()))),
            }
        }
        Ok(root)
    }

    /// Runs `f` as Go runs a nested `Tree`: fresh variables and range depth.
    fn in_new_tree<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let range_depth = std::mem::replace(&mut self.range_depth, 0);
        let action_line = std::mem::replace(&mut self.action_line, 0);
        let result = f(self);
        self.vars = vars;
        self.range_depth = range_depth;
        self.action_line = action_line;
        result
    }

    fn parse_definition(&mut self) -> Result<()> {
        const CONTEXT: &str = "define clause";
        self.in_new_tree(|p| {
            let token = p.next_non_space();
            if !matches!(token.typ, ItemType::String | ItemType::RawString) {
                return Err(p.unexpected(&token, CONTEXT));
            }
            let name = unquote(&token.val).ok_or_else(|| p.error("invalid syntax"))?;
            p.expect(ItemType::RightDelim, CONTEXT)?;
            let (root, end) = p.item_list()?;
            if !matches!(end, Item2::End) {
                return Err(p.error(format!("unexpected {} in {CONTEXT}", end.describe())));
            }
            p.add(&name, root)
        })
    }

    fn item_list(&mut self) -> Result<(List, Item2)> {
        let mut list = List::default();
        while self.peek_non_space().typ != ItemType::Eof {
            match self.text_or_action()? {
                Item2::Node(n) => list.nodes.push(n),
                end => return Ok((list, end)),
            }
        }
        Err(self.error("unexpected EOF"))
    }

    fn text_or_action(&mut self) -> Result<Item2> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Text => Ok(Item2::Node(Node::Text(token.val.into_owned()))),
            ItemType::LeftDelim => {
                self.action_line = token.line;
                let result = self.action();
                self.action_line = 0;
                result
            }
            _ => Err(self.unexpected(&token, "input")),
        }
    }

    fn action(&mut self) -> Result<Item2> {
        let token = self.next_non_space();
        let node = match token.typ {
            ItemType::Block => self.block_control()?,
            ItemType::Break | ItemType::Continue => self.break_or_continue(&token)?,
            ItemType::Else => return self.else_control(),
            ItemType::End => {
                self.expect(ItemType::RightDelim, "end")?;
                return Ok(Item2::End);
            }
            ItemType::If => Node::If(self.parse_control("if")?),
            ItemType::Range => Node::Range(self.parse_control("range")?),
            ItemType::Template => self.template_control()?,
            ItemType::With => Node::With(self.parse_control("with")?),
            _ => {
                self.backup();
                let pos = self.peek().pos;
                Node::Action(Action {
                    pos,
                    pipe: self.pipeline("command", ItemType::RightDelim)?,
                })
            }
        };
        Ok(Item2::Node(node))
    }

    fn break_or_continue(&mut self, keyword: &Item<'a>) -> Result<Node> {
        let word = if keyword.typ == ItemType::Break {
            "break"
        } else {
            "continue"
        };
        let token = self.next_non_space();
        if token.typ != ItemType::RightDelim {
            return Err(self.unexpected(&token, &format!("{{{{{word}}}}}")));
        }
        if self.range_depth == 0 {
            return Err(self.error(format!("{{{{{word}}}}} outside {{{{range}}}}")));
        }
        Ok(if keyword.typ == ItemType::Break {
            Node::Break
        } else {
            Node::Continue
        })
    }

    fn else_control(&mut self) -> Result<Item2> {
        let peek = self.peek_non_space();
        if matches!(peek.typ, ItemType::If | ItemType::With) {
            // "{{else if ...": leave the keyword pending for parse_control.
            return Ok(Item2::Else);
        }
        self.expect(ItemType::RightDelim, "else")?;
        Ok(Item2::Else)
    }

    fn parse_control(&mut self, context: &str) -> Result<Box<Branch>> {
        self.enter()?;
        let mark = self.vars.len();
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let (list, next) = self.item_list()?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        if let Item2::Else = next {
            let peek = self.peek().typ;
            if context == "if" && peek == ItemType::If {
                self.next();
                else_list = Some(List {
                    nodes: vec![Node::If(self.parse_control("if")?)],
                });
            } else if context == "with" && peek == ItemType::With {
                self.next();
                else_list = Some(List {
                    nodes: vec![Node::With(self.parse_control("with")?)],
                });
            } else {
                let (list, next) = self.item_list()?;
                if !matches!(next, Item2::End) {
                    return Err(self.error(format!("expected end; found {}", next.describe())));
                }
                else_list = Some(list);
            }
        }
        self.vars.truncate(mark);
        self.depth -= 1;
        Ok(Box::new(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        }))
    }

    fn template_name(&self, token: &Item<'_>, context: &str) -> Result<String> {
        match token.typ {
            ItemType::String | ItemType::RawString => {
                unquote(&token.val).ok_or_else(|| self.error("invalid syntax"))
            }
            _ => Err(self.unexpected(token, context)),
        }
    }

    fn block_control(&mut self) -> Result<Node> {
        const CONTEXT: &str = "block clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, ItemType::RightDelim)?;
        // Go reports a bad block end against the outer tree's last token.
        let outer_line = self.token[0].line;
        self.enter()?;
        self.in_new_tree(|p| {
            let (root, end) = p.item_list()?;
            if !matches!(end, Item2::End) {
                let detail = format!("unexpected {} in {CONTEXT}", end.describe());
                return Err(p.error_at_line(outer_line, detail));
            }
            p.add(&name, root)
        })?;
        self.depth -= 1;
        Ok(Node::Template(Box::new(TemplateCall {
            pos: token.pos,
            name,
            pipe: Some(pipe),
        })))
    }

    fn template_control(&mut self) -> Result<Node> {
        const CONTEXT: &str = "template clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, CONTEXT)?;
        let mut pipe = None;
        if self.next_non_space().typ != ItemType::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(CONTEXT, ItemType::RightDelim)?);
        }
        Ok(Node::Template(Box::new(TemplateCall {
            pos: token.pos,
            name,
            pipe,
        })))
    }

    // ---- pipelines ------------------------------------------------------------------------

    fn pipeline(&mut self, context: &str, end: ItemType) -> Result<Pipe> {
        let token = self.peek_non_space();
        let mut pipe = Pipe {
            pos: token.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        loop {
            let v = self.peek_non_space();
            if v.typ != ItemType::Variable {
                break;
            }
            self.next();
            let after = self.peek();
            let next = self.peek_non_space();
            if matches!(next.typ, ItemType::Assign | ItemType::Declare) {
                pipe.is_assign = next.typ == ItemType::Assign;
                self.next_non_space();
                pipe.decl.push(Variable {
                    pos: v.pos,
                    idents: vec![v.val.to_string()],
                });
                self.vars.push(v.val.to_string());
            } else if next.typ == ItemType::Char && next.val == "," {
                self.next_non_space();
                pipe.decl.push(Variable {
                    pos: v.pos,
                    idents: vec![v.val.to_string()],
                });
                self.vars.push(v.val.to_string());
                if context == "range" && pipe.decl.len() < 2 {
                    match self.peek_non_space().typ {
                        ItemType::Variable | ItemType::RightDelim | ItemType::RightParen => {
                            continue;
                        }
                        _ => return Err(self.error("range can only initialize variables")),
                    }
                }
                return Err(self.error(format!("too many declarations in {context}")));
            } else if after.typ == ItemType::Space {
                self.backup3(v, after);
            } else {
                self.backup2(v);
            }
            break;
        }
        loop {
            let token = self.next_non_space();
            if token.typ == end {
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match token.typ {
                ItemType::Bool
                | ItemType::CharConstant
                | ItemType::Complex
                | ItemType::Dot
                | ItemType::Field
                | ItemType::Identifier
                | ItemType::Number
                | ItemType::Nil
                | ItemType::RawString
                | ItemType::String
                | ItemType::Variable
                | ItemType::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return Err(self.unexpected(&token, context)),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> Result<()> {
        if pipe.cmds.is_empty() {
            return Err(self.error(format!("missing value for {context}")));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if c.args[0].is_literal() {
                return Err(self.error(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> Result<Command> {
        let pos = self.peek_non_space().pos;
        let mut args = Vec::new();
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                args.push(operand);
            }
            let token = self.next();
            match token.typ {
                ItemType::Space => continue,
                ItemType::RightDelim | ItemType::RightParen => self.backup(),
                ItemType::Pipe => {}
                _ => return Err(self.unexpected(&token, "operand")),
            }
            break;
        }
        if args.is_empty() {
            return Err(self.error("empty command"));
        }
        Ok(Command { pos, args })
    }

    fn operand(&mut self) -> Result<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ != ItemType::Field {
            return Ok(Some(node));
        }
        let pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().typ == ItemType::Field {
            let f = self.next();
            fields.push(f.val[1..].to_string());
        }
        Ok(Some(match node {
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field { pos, idents }
            }
            Arg::Variable(mut v) => {
                v.idents.extend(fields);
                Arg::Variable(Variable {
                    pos,
                    idents: v.idents,
                })
            }
            Arg::Bool { .. }
            | Arg::String { .. }
            | Arg::Number { .. }
            | Arg::Nil { .. }
            | Arg::Dot { .. } => {
                let shown = crate::fmt::quote(&node.to_string());
                return Err(self.error(format!("unexpected . after term {shown}")));
            }
            other => Arg::Chain {
                pos,
                node: Box::new(other),
                fields,
            },
        }))
    }

    fn term(&mut self) -> Result<Option<Arg>> {
        let token = self.next_non_space();
        let pos = token.pos;
        let arg = match token.typ {
            ItemType::Identifier => {
                if !(self.is_function)(&token.val) {
                    let name = crate::fmt::quote(&token.val);
                    return Err(self.error(format!("function {name} not defined")));
                }
                Arg::Identifier {
                    pos,
                    name: token.val.into_owned(),
                }
            }
            ItemType::Dot => Arg::Dot { pos },
            ItemType::Nil => Arg::Nil { pos },
            ItemType::Variable => {
                let idents: Vec<String> = token.val.split('.').map(str::to_string).collect();
                if !self.vars.contains(&idents[0]) {
                    let name = crate::fmt::quote(&idents[0]);
                    return Err(self.error(format!("undefined variable {name}")));
                }
                Arg::Variable(Variable { pos, idents })
            }
            ItemType::Field => Arg::Field {
                pos,
                idents: token.val[1..].split('.').map(str::to_string).collect(),
            },
            ItemType::Bool => Arg::Bool {
                pos,
                value: token.val == "true",
            },
            ItemType::CharConstant | ItemType::Complex | ItemType::Number => {
                let kind = match token.typ {
                    ItemType::CharConstant => NumberKind::Char,
                    ItemType::Complex => NumberKind::Complex,
                    _ => NumberKind::Number,
                };
                let value = parse_number(&token.val, kind).map_err(|e| self.error(e))?;
                Arg::Number {
                    pos,
                    text: token.val.into_owned(),
                    value: Box::new(value),
                }
            }
            ItemType::LeftParen => {
                self.enter()?;
                let pipe = self.pipeline("parenthesized pipeline", ItemType::RightParen)?;
                self.depth -= 1;
                Arg::Pipe(Box::new(pipe))
            }
            ItemType::String | ItemType::RawString => {
                let text = unquote(&token.val).ok_or_else(|| self.error("invalid syntax"))?;
                Arg::String {
                    pos,
                    quoted: token.val.into_owned(),
                    text,
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        };
        Ok(Some(arg))
    }
}
