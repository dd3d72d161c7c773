//! Template execution over JSON data, following Go's `text/template/exec.go`: the same
//! evaluation order, variable scoping, argument checking, current-node tracking for error
//! messages and error texts.

mod compare;
pub(crate) mod funcs;

use std::fmt::{self, Display};

use serde_json::Value;

use crate::error::TemplateError;
use crate::parse::ast::{Action, Arg, Branch, Command, List, Node, Pipe, TemplateCall, Variable};
use crate::template::{MissingKey, Template};
use crate::value::{Val, sorted_entries};
use funcs::{Func, Param};

/// Nested template invocations and control structures allowed at once. Go allows 100000
/// template invocations on growable stacks; this keeps execution within a native stack.
const MAX_DEPTH: usize = 500;

/// Why a walk stopped early.
pub(crate) enum Interrupt {
    Break,
    Continue,
    Error(Box<TemplateError>),
}

type R<T> = Result<T, Interrupt>;

/// The node execution is at, for error messages (Go's `state.node`).
#[derive(Clone, Copy)]
enum At<'a> {
    Start,
    Action(&'a Action),
    Range(&'a Branch),
    Template(&'a TemplateCall),
    Pipe(&'a Pipe),
    Cmd(&'a Command),
    Arg(&'a Arg),
}

impl At<'_> {
    fn pos(&self) -> usize {
        match self {
            At::Start => 0,
            At::Action(a) => a.pos,
            At::Range(b) => b.pos,
            At::Template(t) => t.pos,
            At::Pipe(p) => p.pos,
            At::Cmd(c) => c.pos,
            At::Arg(a) => a.pos(),
        }
    }
}

impl Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Start => Ok(()),
            At::Action(a) => a.fmt(f),
            At::Range(b) => b.write("range", f),
            At::Template(t) => t.fmt(f),
            At::Pipe(p) => p.fmt(f),
            At::Cmd(c) => c.fmt(f),
            At::Arg(a) => a.fmt(f),
        }
    }
}

pub(crate) struct Exec<'a, 'o> {
    tmpl: &'a Template,
    out: &'o mut String,
    node: At<'a>,
    vars: Vec<(&'a str, Val<'a>)>,
    /// Name of the template being executed.
    name: &'a str,
    depth: usize,
    /// Use docker's table-header variants of its functions.
    header: bool,
    steps_left: Option<u64>,
}

impl<'a, 'o> Exec<'a, 'o> {
    pub fn run(
        tmpl: &'a Template,
        data: &'a Value,
        out: &'o mut String,
        header: bool,
    ) -> Result<(), TemplateError> {
        let Some((name, root)) = tmpl.trees.get_key_value(&tmpl.name) else {
            return Ok(());
        };
        // Null data is Go's Execute(w, nil): no value at all.
        let dot = if data.is_null() {
            Val::Missing
        } else {
            Val::from_json(data)
        };
        let mut exec = Exec {
            tmpl,
            out,
            node: At::Start,
            vars: vec![("$", dot.clone())],
            name,
            depth: 0,
            header,
            steps_left: tmpl.step_limit,
        };
        match exec.walk_list(&dot, root) {
            Ok(()) | Err(Interrupt::Break | Interrupt::Continue) => Ok(()),
            Err(Interrupt::Error(e)) => Err(*e),
        }
    }

    fn at(&mut self, node: At<'a>) {
        self.node = node;
    }

    fn error(&self, detail: impl Into<String>) -> Interrupt {
        let pos = self.node.pos();
        let src = &self.tmpl.source[..pos.min(self.tmpl.source.len())];
        let line = 1 + src.matches('\n').count();
        let column = src.rfind('\n').map_or(pos, |nl| pos - nl - 1);
        Interrupt::Error(Box::new(TemplateError::Exec {
            template: self.tmpl.name.clone(),
            executing: self.name.to_string(),
            line,
            column,
            context: self.node.to_string(),
            detail: detail.into(),
        }))
    }

    fn step(&mut self) -> R<()> {
        if let Some(left) = &mut self.steps_left {
            if *left == 0 {
                return Err(self.error("execution step limit exceeded"));
            }
            *left -= 1;
        }
        Ok(())
    }

    // ---- walking ------------------------------------------------------------------------

    fn walk_list(&mut self, dot: &Val<'a>, list: &'a List) -> R<()> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(format!("exceeded maximum template depth ({MAX_DEPTH})")));
        }
        self.depth += 1;
        let result = list.nodes.iter().try_for_each(|n| self.walk(dot, n));
        self.depth -= 1;
        result
    }

    fn walk(&mut self, dot: &Val<'a>, node: &'a Node) -> R<()> {
        self.step()?;
        match node {
            Node::Text(t) => self.out.push_str(t),
            Node::Action(a) => {
                self.at(At::Action(a));
                let val = self.eval_pipeline(dot, &a.pipe)?;
                if a.pipe.decl.is_empty() {
                    self.at(At::Action(a));
                    match val {
                        Val::Missing => self.out.push_str("<no value>"),
                        Val::Str(s) => self.out.push_str(s),
                        Val::String(s) => self.out.push_str(&s),
                        other => self.out.push_str(&crate::fmt::value_string(&other)),
                    }
                }
            }
            Node::If(b) => self.walk_if_or_with(false, dot, b)?,
            Node::With(b) => self.walk_if_or_with(true, dot, b)?,
            Node::Range(b) => self.walk_range(dot, b)?,
            Node::Template(t) => self.walk_template(dot, t)?,
            Node::Break => return Err(Interrupt::Break),
            Node::Continue => return Err(Interrupt::Continue),
        }
        Ok(())
    }

    fn walk_if_or_with(&mut self, with: bool, dot: &Val<'a>, b: &'a Branch) -> R<()> {
        let mark = self.vars.len();
        let val = self.eval_pipeline(dot, &b.pipe)?;
        let result = if val.truth() {
            self.walk_list(if with { &val } else { dot }, &b.list)
        } else if let Some(else_list) = &b.else_list {
            self.walk_list(dot, else_list)
        } else {
            Ok(())
        };
        self.vars.truncate(mark);
        result
    }

    fn walk_range(&mut self, dot: &Val<'a>, r: &'a Branch) -> R<()> {
        self.at(At::Range(r));
        let mark = self.vars.len();
        let val = self.eval_pipeline(dot, &r.pipe)?;
        let body_mark = self.vars.len();
        let ran = match &val {
            Val::Array(_) | Val::Strings(_) => {
                let elems = val.elements().unwrap_or_default();
                for (i, e) in elems.into_iter().enumerate() {
                    if !self.range_iteration(r, body_mark, Val::Int(i as i64), e)? {
                        break;
                    }
                }
                val.array_len().unwrap_or(0) > 0
            }
            Val::Object(o) => {
                for (k, v) in sorted_entries(o) {
                    if !self.range_iteration(r, body_mark, Val::Str(k), Val::from_json(v))? {
                        break;
                    }
                }
                !o.is_empty()
            }
            Val::Int(_) | Val::Uint(_) => {
                if r.pipe.decl.len() > 1 {
                    let shown = crate::fmt::value_string(&val);
                    return Err(self.error(format!(
                        "can't use {shown} to iterate over more than one variable"
                    )));
                }
                let n = match val {
                    Val::Int(n) => u64::try_from(n).unwrap_or(0),
                    Val::Uint(n) => n,
                    _ => 0,
                };
                for i in 0..n {
                    let elem = if let Val::Int(_) = val {
                        Val::Int(i as i64)
                    } else {
                        Val::Uint(i)
                    };
                    if !self.range_iteration(r, body_mark, Val::Missing, elem)? {
                        break;
                    }
                }
                n > 0
            }
            Val::Missing | Val::Null => false,
            other => {
                let shown = crate::fmt::value_string(other);
                return Err(self.error(format!("range can't iterate over {shown}")));
            }
        };
        let result = match (&r.else_list, ran) {
            (Some(else_list), false) => self.walk_list(dot, else_list),
            _ => Ok(()),
        };
        self.vars.truncate(mark);
        result
    }

    /// Runs the range body once; returns false after `{{break}}`.
    fn range_iteration(
        &mut self,
        r: &'a Branch,
        mark: usize,
        index: Val<'a>,
        elem: Val<'a>,
    ) -> R<bool> {
        self.step()?;
        let decl = &r.pipe.decl;
        if let Some(first) = decl.first() {
            if r.pipe.is_assign {
                let v = if decl.len() > 1 {
                    index.clone()
                } else {
                    elem.clone()
                };
                self.set_var(&first.idents[0], v)?;
            } else {
                let top = self.vars.len() - 1;
                self.vars[top].1 = elem.clone();
            }
        }
        if let Some(second) = decl.get(1) {
            if r.pipe.is_assign {
                self.set_var(&second.idents[0], elem.clone())?;
            } else {
                let below = self.vars.len() - 2;
                self.vars[below].1 = index;
            }
        }
        let result = self.walk_list(&elem, &r.list);
        self.vars.truncate(mark);
        match result {
            Ok(()) | Err(Interrupt::Continue) => Ok(true),
            Err(Interrupt::Break) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn walk_template(&mut self, dot: &Val<'a>, t: &'a TemplateCall) -> R<()> {
        self.at(At::Template(t));
        let Some((name, body)) = self.tmpl.trees.get_key_value(&t.name) else {
            let name = crate::fmt::quote(&t.name);
            return Err(self.error(format!("template {name} not defined")));
        };
        let new_dot = match &t.pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Val::Missing,
        };
        let vars = std::mem::replace(&mut self.vars, vec![("$", new_dot.clone())]);
        let caller = std::mem::replace(&mut self.name, name);
        let result = self.walk_list(&new_dot, body);
        self.vars = vars;
        self.name = caller;
        result
    }

    // ---- variables ----------------------------------------------------------------------

    fn set_var(&mut self, name: &str, value: Val<'a>) -> R<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| *n == name) {
            Some(slot) => {
                slot.1 = value;
                Ok(())
            }
            None => Err(self.error(format!("undefined variable: {name}"))),
        }
    }

    fn var_value(&self, name: &str) -> R<Val<'a>> {
        match self.vars.iter().rev().find(|(n, _)| *n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(self.error(format!("undefined variable: {name}"))),
        }
    }

    // ---- evaluation ---------------------------------------------------------------------

    fn eval_pipeline(&mut self, dot: &Val<'a>, pipe: &'a Pipe) -> R<Val<'a>> {
        self.at(At::Pipe(pipe));
        let mut value = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value.take())?);
        }
        let value = value.unwrap_or(Val::Missing);
        for v in &pipe.decl {
            if pipe.is_assign {
                self.set_var(&v.idents[0], value.clone())?;
            } else {
                self.vars.push((&v.idents[0], value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], fin: &Option<Val<'a>>) -> R<()> {
        if args.len() > 1 || fin.is_some() {
            return Err(self.error(format!("can't give argument to non-function {}", args[0])));
        }
        Ok(())
    }

    fn eval_command(
        &mut self,
        dot: &Val<'a>,
        cmd: &'a Command,
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { idents, .. } => {
                return self.eval_field_node(dot, first, idents, &cmd.args, fin);
            }
            Arg::Chain { .. } => return self.eval_chain_node(dot, first, &cmd.args, fin),
            Arg::Identifier { name, .. } => {
                return self.eval_function(dot, first, name, At::Cmd(cmd), &cmd.args, fin);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &fin)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable(v) => return self.eval_variable_node(dot, first, v, &cmd.args, fin),
            _ => {}
        }
        self.at(At::Arg(first));
        self.not_a_function(&cmd.args, &fin)?;
        match first {
            Arg::Bool { value, .. } => Ok(Val::Bool(*value)),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Number { .. } => self.ideal_constant(first),
            Arg::String { text, .. } => Ok(Val::Str(text)),
            _ => Err(self.error("nil is not a command")),
        }
    }

    /// A number literal used without a typed context: its spelling picks int, float or
    /// complex, as in Go.
    fn ideal_constant(&mut self, node: &'a Arg) -> R<Val<'a>> {
        self.at(At::Arg(node));
        let Arg::Number { text, value: n, .. } = node else {
            return Ok(Val::Missing);
        };
        let hex_int = text.len() > 2
            && text.starts_with('0')
            && text[1..].starts_with(['x', 'X'])
            && !text.contains(['p', 'P']);
        if n.is_complex {
            Ok(Val::Complex(n.complex.0, n.complex.1))
        } else if n.is_float
            && !hex_int
            && !text.starts_with('\'')
            && text.contains(['.', 'e', 'E', 'p', 'P'])
        {
            Ok(Val::Float(n.float))
        } else if n.is_int {
            Ok(Val::Int(n.int))
        } else if n.is_uint {
            Err(self.error(format!("{text} overflows int")))
        } else {
            Ok(Val::Missing)
        }
    }

    fn eval_field_node(
        &mut self,
        dot: &Val<'a>,
        node: &'a Arg,
        idents: &'a [String],
        args: &'a [Arg],
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        self.at(At::Arg(node));
        self.eval_field_chain(dot.clone(), idents, args.len() > 1 || fin.is_some())
    }

    fn eval_chain_node(
        &mut self,
        dot: &Val<'a>,
        node: &'a Arg,
        args: &'a [Arg],
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        self.at(At::Arg(node));
        let Arg::Chain {
            node: inner,
            fields,
            ..
        } = node
        else {
            return Ok(Val::Missing);
        };
        if fields.is_empty() {
            return Err(self.error("internal error: no fields in evalChainNode"));
        }
        if let Arg::Nil { .. } = inner.as_ref() {
            return Err(self.error(format!("indirection through explicit nil in {node}")));
        }
        // Like Go, field errors after this point are reported at the operand's last node.
        let receiver = self.eval_arg(dot, Param::Untyped, inner)?;
        self.eval_field_chain(receiver, fields, args.len() > 1 || fin.is_some())
    }

    fn eval_variable_node(
        &mut self,
        _dot: &Val<'a>,
        node: &'a Arg,
        v: &'a Variable,
        args: &'a [Arg],
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        self.at(At::Arg(node));
        let value = self.var_value(&v.idents[0])?;
        if v.idents.len() == 1 {
            self.not_a_function(args, &fin)?;
            return Ok(value);
        }
        self.eval_field_chain(value, &v.idents[1..], args.len() > 1 || fin.is_some())
    }

    /// Walks `.A.B.C` from `receiver`; only the last field sees the command's arguments.
    fn eval_field_chain(
        &mut self,
        receiver: Val<'a>,
        idents: &'a [String],
        has_args: bool,
    ) -> R<Val<'a>> {
        let mut receiver = receiver;
        let last = idents.len().saturating_sub(1);
        for (i, name) in idents.iter().enumerate() {
            receiver = self.eval_field(name, i == last && has_args, receiver)?;
        }
        Ok(receiver)
    }

    fn eval_field(&mut self, name: &str, has_args: bool, receiver: Val<'a>) -> R<Val<'a>> {
        match receiver {
            Val::Missing => {
                if self.tmpl.missing_key == MissingKey::Error {
                    let key = crate::fmt::quote(name);
                    return Err(self.error(format!("nil data; no entry for key {key}")));
                }
                Ok(Val::Missing)
            }
            Val::Null => Err(self.error(format!("nil pointer evaluating interface {{}}.{name}"))),
            Val::Object(o) => {
                if has_args {
                    return Err(self.error(format!("{name} is not a method but has arguments")));
                }
                match o.get(name) {
                    Some(v) => Ok(Val::from_json(v)),
                    None if self.tmpl.missing_key == MissingKey::Error => {
                        let key = crate::fmt::quote(name);
                        Err(self.error(format!("map has no entry for key {key}")))
                    }
                    None => Ok(Val::Missing),
                }
            }
            other => Err(self.error(format!(
                "can't evaluate field {name} in type {}",
                other.type_name()
            ))),
        }
    }

    fn eval_function(
        &mut self,
        dot: &Val<'a>,
        node: &'a Arg,
        name: &'a str,
        call_node: At<'a>,
        args: &'a [Arg],
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        self.at(At::Arg(node));
        let Some(func) = funcs::lookup(name, self.header) else {
            let name = crate::fmt::quote(name);
            return Err(self.error(format!("{name} is not a defined function")));
        };
        self.eval_call(dot, &func, call_node, name, args, fin)
    }

    fn eval_call(
        &mut self,
        dot: &Val<'a>,
        func: &Func,
        call_node: At<'a>,
        name: &str,
        args: &'a [Arg],
        fin: Option<Val<'a>>,
    ) -> R<Val<'a>> {
        let args = args.get(1..).unwrap_or_default();
        let num_in = args.len() + usize::from(fin.is_some());
        let num_fixed = func.fixed.len();
        if func.variadic.is_some() {
            if num_in < num_fixed {
                return Err(self.error(format!(
                    "wrong number of args for {name}: want at least {num_fixed} got {}",
                    args.len()
                )));
            }
        } else if num_in != num_fixed {
            return Err(self.error(format!(
                "wrong number of args for {name}: want {num_fixed} got {num_in}"
            )));
        }
        let param = |i: usize| {
            func.fixed
                .get(i)
                .copied()
                .or(func.variadic)
                .unwrap_or(Param::Value)
        };

        if name == "and" || name == "or" {
            let want = name == "or";
            let mut v = Val::Missing;
            for arg in args {
                v = self.eval_arg(dot, Param::Value, arg)?;
                if v.truth() == want {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = f;
            }
            return Ok(v);
        }

        let mut argv = Vec::with_capacity(num_in);
        for (i, arg) in args.iter().enumerate() {
            argv.push(self.eval_arg(dot, param(i), arg)?);
        }
        if let Some(f) = fin {
            argv.push(self.validate_type(f, param(num_in - 1))?);
        }
        if name == "call" {
            let callee = args
                .first()
                .map_or_else(|| crate::fmt::value_string(&argv[0]), ToString::to_string);
            self.at(call_node);
            let detail = if argv[0].is_nil() {
                "call of nil".to_string()
            } else {
                format!("non-function {callee} of type {}", argv[0].type_name())
            };
            return Err(self.error(format!("error calling call: {detail}")));
        }
        match (func.body)(argv) {
            Ok(v) => Ok(v),
            Err(msg) => {
                self.at(call_node);
                Err(self.error(format!("error calling {name}: {msg}")))
            }
        }
    }

    /// Checks a computed value against a parameter kind (Go's `validateType`).
    fn validate_type(&self, v: Val<'a>, param: Param) -> R<Val<'a>> {
        let want = param.go_type();
        match (param, &v) {
            (Param::Value | Param::Any | Param::Untyped, _) => Ok(v),
            (Param::Str, Val::Str(_) | Val::String(_)) => Ok(v),
            (Param::Int, Val::Int(_)) => Ok(v),
            (Param::Int, Val::Uint(u)) if i64::try_from(*u).is_ok() => Ok(Val::Int(*u as i64)),
            (_, Val::Missing | Val::Null) => {
                Err(self.error(format!("invalid value; expected {want}")))
            }
            (_, other) => Err(self.error(format!(
                "wrong type for value; expected {want}; got {}",
                other.type_name()
            ))),
        }
    }

    /// Evaluates an argument for a parameter of the given kind (Go's `evalArg`).
    fn eval_arg(&mut self, dot: &Val<'a>, param: Param, n: &'a Arg) -> R<Val<'a>> {
        self.at(At::Arg(n));
        let v = match n {
            Arg::Dot { .. } => dot.clone(),
            Arg::Nil { .. } => {
                if param.can_be_nil() {
                    return Ok(Val::Missing);
                }
                return Err(self.error(format!("cannot assign nil to {}", param.go_type())));
            }
            Arg::Field { idents, .. } => {
                self.eval_field_node(dot, n, idents, std::slice::from_ref(n), None)?
            }
            Arg::Variable(v) => self.eval_variable_node(dot, n, v, &[], None)?,
            Arg::Pipe(p) => self.eval_pipeline(dot, p)?,
            Arg::Identifier { name, .. } => {
                self.eval_function(dot, n, name, At::Arg(n), &[], None)?
            }
            Arg::Chain { .. } => self.eval_chain_node(dot, n, &[], None)?,
            Arg::Bool { value, .. } => match param {
                Param::Str => return Err(self.error(format!("expected string; found {n}"))),
                Param::Int => return Err(self.error(format!("expected integer; found {n}"))),
                _ => Val::Bool(*value),
            },
            Arg::Number { value, .. } => match param {
                Param::Str => return Err(self.error(format!("expected string; found {n}"))),
                Param::Int if value.is_int => Val::Int(value.int),
                Param::Int => return Err(self.error(format!("expected integer; found {n}"))),
                _ => self.ideal_constant(n)?,
            },
            Arg::String { text, .. } => match param {
                Param::Int => return Err(self.error(format!("expected integer; found {n}"))),
                _ => Val::Str(text),
            },
        };
        self.validate_type(v, param)
    }
}
