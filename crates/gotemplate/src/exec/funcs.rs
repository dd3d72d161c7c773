//! Template functions: Go's builtins and the extra functions docker's CLI installs
//! (`templates.basicFunctions` and, for table headers, `templates.HeaderFunctions`).
//!
//! Each function declares Go's parameter kinds, which decide how arguments are evaluated and
//! type-checked before the call; an `Err` from the body becomes
//! `error calling <name>: <message>`.

use std::rc::Rc;

use super::compare;
use crate::escape;
use crate::fmt::{sprint, sprintf, sprintln};
use crate::value::{Val, sorted_entries};

/// How an argument is passed, after Go's parameter types.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Param {
    /// `reflect.Value`: the value as is, missing values stay missing.
    Value,
    /// `interface{}` / `any`.
    Any,
    /// `string`.
    Str,
    /// `int`.
    Int,
    /// No static type (the operand of a chain such as `(pipeline).Field`).
    Untyped,
}

impl Param {
    pub fn can_be_nil(self) -> bool {
        matches!(self, Param::Value | Param::Any | Param::Untyped)
    }

    pub fn go_type(self) -> &'static str {
        match self {
            Param::Value => "reflect.Value",
            Param::Any | Param::Untyped => "interface {}",
            Param::Str => "string",
            Param::Int => "int",
        }
    }
}

type Body = for<'a> fn(Vec<Val<'a>>) -> Result<Val<'a>, String>;

pub(crate) struct Func {
    pub fixed: &'static [Param],
    pub variadic: Option<Param>,
    pub body: Body,
}

const fn func(fixed: &'static [Param], variadic: Option<Param>, body: Body) -> Func {
    Func {
        fixed,
        variadic,
        body,
    }
}

use Param::{Any, Int, Str, Value};

/// Names a template may call; the parser rejects any other identifier.
pub(crate) fn is_defined(name: &str) -> bool {
    lookup(name, false).is_some()
}

/// The function called `name`; `header` selects docker's header variants.
pub(crate) fn lookup(name: &str, header: bool) -> Option<Func> {
    if header {
        let f = match name {
            "json" | "title" | "lower" | "upper" => func(&[Str], None, first),
            "split" | "join" => func(&[Str, Str], None, first),
            "truncate" => func(&[Str, Int], None, first),
            _ => return lookup(name, false),
        };
        return Some(f);
    }
    Some(match name {
        // Go builtins. `and`, `or` and `call` are special-cased by the executor.
        "and" | "or" => func(&[Value], Some(Value), first),
        "call" => func(&[Value], Some(Value), first),
        "not" => func(&[Value], None, |a| Ok(Val::Bool(!a[0].truth()))),
        "html" => func(&[], Some(Any), |a| {
            Ok(Val::string(escape::html(&eval_args(a))))
        }),
        "js" => func(&[], Some(Any), |a| {
            Ok(Val::string(escape::js(&eval_args(a))))
        }),
        "urlquery" => func(&[], Some(Any), |a| {
            Ok(Val::string(escape::urlquery(&eval_args(a))))
        }),
        "print" => func(&[], Some(Any), |a| Ok(Val::string(sprint(&a)))),
        "println" => func(&[], Some(Any), |a| Ok(Val::string(sprintln(&a)))),
        "printf" => func(&[Str], Some(Any), |a| {
            Ok(Val::string(sprintf(
                a[0].as_str().unwrap_or_default(),
                &a[1..],
            )))
        }),
        "len" => func(&[Value], None, length),
        "index" => func(&[Value], Some(Value), index),
        "slice" => func(&[Value], Some(Value), slice),
        "eq" => func(&[Value], Some(Value), |a| {
            compare::eq(&a[0], &a[1..]).map(Val::Bool)
        }),
        "ne" => func(&[Value, Value], None, |a| {
            compare::eq(&a[0], &a[1..]).map(|t| Val::Bool(!t))
        }),
        "lt" => func(&[Value, Value], None, |a| {
            compare::lt(&a[0], &a[1]).map(Val::Bool)
        }),
        "le" => func(&[Value, Value], None, |a| {
            compare::le(&a[0], &a[1]).map(Val::Bool)
        }),
        "gt" => func(&[Value, Value], None, |a| {
            compare::le(&a[0], &a[1]).map(|t| Val::Bool(!t))
        }),
        "ge" => func(&[Value, Value], None, |a| {
            compare::lt(&a[0], &a[1]).map(|t| Val::Bool(!t))
        }),
        // docker/cli templates.basicFunctions.
        "json" => func(&[Any], None, |a| {
            crate::json::encode(&a[0]).map(Val::string)
        }),
        "split" => func(&[Str, Str], None, split),
        "join" => func(&[Any, Str], None, join),
        "title" => func(&[Str], None, |a| Ok(Val::string(title(str_arg(&a[0]))))),
        "lower" => func(&[Str], None, |a| {
            Ok(Val::string(map_case(str_arg(&a[0]), Case::Lower)))
        }),
        "upper" => func(&[Str], None, |a| {
            Ok(Val::string(map_case(str_arg(&a[0]), Case::Upper)))
        }),
        "pad" => func(&[Str, Int, Int], None, pad),
        "truncate" => func(&[Str, Int], None, truncate),
        _ => return None,
    })
}

fn first(mut a: Vec<Val<'_>>) -> Result<Val<'_>, String> {
    Ok(if a.is_empty() {
        Val::Missing
    } else {
        a.swap_remove(0)
    })
}

fn str_arg<'v>(v: &'v Val<'_>) -> &'v str {
    v.as_str().unwrap_or_default()
}

fn int_arg(v: &Val<'_>) -> i64 {
    match v {
        Val::Int(i) => *i,
        _ => 0,
    }
}

/// Go's `evalArgs` for the escapers: `fmt.Sprint` with missing values shown as `<no value>`.
fn eval_args(a: Vec<Val<'_>>) -> String {
    if let [only] = a.as_slice()
        && let Some(s) = only.as_str()
    {
        return s.to_string();
    }
    let a: Vec<Val<'_>> = a
        .into_iter()
        .map(|v| {
            if let Val::Missing = v {
                Val::Str("<no value>")
            } else {
                v
            }
        })
        .collect();
    sprint(&a)
}

fn length(a: Vec<Val<'_>>) -> Result<Val<'_>, String> {
    let n = match &a[0] {
        Val::Str(_) | Val::String(_) => str_arg(&a[0]).len(),
        Val::Array(x) => x.len(),
        Val::Strings(x) => x.len(),
        Val::Object(o) => o.len(),
        // A JSON null stands for a nil slice or map.
        Val::Null => 0,
        Val::Missing => return Err("reflect: call of reflect.Value.Type on zero Value".into()),
        other => return Err(format!("len of type {}", other.type_name())),
    };
    Ok(Val::Int(n as i64))
}

/// Go's `indexArg`: an integer index in `0..=cap`.
fn index_arg(index: &Val<'_>, cap: usize) -> Result<usize, String> {
    let x: i128 = match index {
        Val::Int(i) => i128::from(*i),
        Val::Uint(u) => i128::from(*u as i64),
        Val::Missing | Val::Null => return Err("cannot index slice/array with nil".into()),
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    if x < 0 || x > cap as i128 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index(a: Vec<Val<'_>>) -> Result<Val<'_>, String> {
    let mut it = a.into_iter();
    let mut item = it.next().unwrap_or(Val::Missing);
    if let Val::Missing = item {
        return Err("index of untyped nil".into());
    }
    for idx in it {
        item = match &item {
            Val::Array(x) => {
                let i = index_arg(&idx, x.len())?;
                Val::from_json(x.get(i).ok_or("reflect: slice index out of range")?)
            }
            Val::Strings(x) => {
                let i = index_arg(&idx, x.len())?;
                Val::string(
                    x.get(i)
                        .ok_or("reflect: slice index out of range")?
                        .as_str(),
                )
            }
            Val::Str(_) | Val::String(_) => {
                let s = str_arg(&item).as_bytes();
                let i = index_arg(&idx, s.len())?;
                Val::Uint(u64::from(
                    *s.get(i).ok_or("reflect: string index out of range")?,
                ))
            }
            Val::Object(o) => match &idx {
                // Docker's maps hold strings: a missing key reads as the zero value "".
                Val::Str(_) | Val::String(_) => match o.get(str_arg(&idx)) {
                    Some(v) => Val::from_json(v),
                    None => Val::Str(""),
                },
                Val::Missing | Val::Null => {
                    return Err("value is nil; should be of type string".into());
                }
                other => {
                    return Err(format!(
                        "value has type {}; should be string",
                        other.type_name()
                    ));
                }
            },
            // A JSON null stands for a nil map or slice.
            Val::Null => match &idx {
                Val::Str(_) | Val::String(_) => Val::Str(""),
                other => {
                    index_arg(other, 0)?;
                    return Err("reflect: slice index out of range".into());
                }
            },
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn slice(a: Vec<Val<'_>>) -> Result<Val<'_>, String> {
    let item = &a[0];
    let indexes = &a[1..];
    if item.is_nil() {
        return Err("slice of untyped nil".into());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let len = match item {
        Val::Str(_) | Val::String(_) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            str_arg(item).len()
        }
        Val::Array(_) | Val::Strings(_) => item.array_len().unwrap_or(0),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let mut idx = [0, len, 0];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(index, len)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    let (i, j) = (idx[0], idx[1]);
    Ok(match item {
        Val::Array(x) => Val::Array(&x[i..j]),
        Val::Strings(x) => Val::Strings(Rc::from(&x[i..j])),
        _ => match item {
            Val::Str(s) if s.is_char_boundary(i) && s.is_char_boundary(j) => Val::Str(&s[i..j]),
            _ => Val::string(String::from_utf8_lossy(&str_arg(item).as_bytes()[i..j]).as_ref()),
        },
    })
}

/// `strings.Split`.
fn split(a: Vec<Val<'_>>) -> Result<Val<'_>, String> {
    let (s, sep) = (str_arg(&a[0]), str_arg(&a[1]));
    let parts: Vec<String> = if sep.is_empty() {
        s.chars().map(String::from).collect()
    } else {
        s.split(sep).map(str::to_string).collect()
    };
    Ok(Val::Strings(parts.into()))
}

/// docker's `joinElements`.
fn join(a: Vec<Val<'_>>) -> Result<Val<'_>, String> {
    let sep = str_arg(&a[1]);
    let joined = match &a[0] {
        Val::Missing | Val::Null => String::new(),
        Val::Strings(s) => s.join(sep),
        Val::Array(x) => x
            .iter()
            .map(|e| sprint(&[Val::from_json(e)]))
            .collect::<Vec<_>>()
            .join(sep),
        Val::Object(o) => {
            let mut out: Vec<String> = sorted_entries(o)
                .into_iter()
                .map(|(_, v)| sprint(&[Val::from_json(v)]))
                .collect();
            out.sort();
            out.join(sep)
        }
        other => return Err(format!("expected slice, got {}", other.type_name())),
    };
    Ok(Val::string(joined))
}

/// Largest string `pad` will build; Go would try to allocate whatever is asked.
const MAX_PAD: i64 = 1 << 24;

/// docker's `padWithSpace`.
fn pad(a: Vec<Val<'_>>) -> Result<Val<'_>, String> {
    let s = str_arg(&a[0]);
    if s.is_empty() {
        return Ok(a[0].clone());
    }
    let (prefix, suffix) = (int_arg(&a[1]), int_arg(&a[2]));
    if prefix < 0 || suffix < 0 {
        return Err("strings: negative Repeat count".into());
    }
    if prefix > MAX_PAD || suffix > MAX_PAD {
        return Err("strings: Repeat output length overflow".into());
    }
    Ok(Val::string(format!(
        "{}{s}{}",
        " ".repeat(prefix as usize),
        " ".repeat(suffix as usize)
    )))
}

/// docker's `truncateWithLength`: the first `length` bytes.
fn truncate(a: Vec<Val<'_>>) -> Result<Val<'_>, String> {
    let s = str_arg(&a[0]);
    let length = int_arg(&a[1]);
    if (s.len() as i64) < length {
        return Ok(a[0].clone());
    }
    if length < 0 {
        return Err(format!(
            "runtime error: slice bounds out of range [:{length}]"
        ));
    }
    let n = length as usize;
    Ok(if s.is_char_boundary(n) {
        Val::string(&s[..n])
    } else {
        Val::string(String::from_utf8_lossy(&s.as_bytes()[..n]).as_ref())
    })
}

#[derive(Clone, Copy)]
enum Case {
    Lower,
    Upper,
}

/// `strings.ToLower` / `strings.ToUpper`: Unicode simple case mapping, rune by rune.
fn map_case(s: &str, case: Case) -> String {
    s.chars()
        .map(|c| match case {
            Case::Lower if c == '\u{130}' => 'i',
            Case::Lower => single(c.to_lowercase()).unwrap_or(c),
            Case::Upper => single(c.to_uppercase()).unwrap_or(c),
        })
        .collect()
}

fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
    let c = it.next()?;
    if it.next().is_some() { None } else { Some(c) }
}

/// `strings.Title`: upper-cases (title-cases) the first letter of each word.
fn title(s: &str) -> String {
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_separator(prev) { to_title(c) } else { c };
            prev = c;
            out
        })
        .collect()
}

fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    c.is_whitespace()
}

fn to_title(c: char) -> char {
    match c {
        '\u{1C4}'..='\u{1C6}' => '\u{1C5}',
        '\u{1C7}'..='\u{1C9}' => '\u{1C8}',
        '\u{1CA}'..='\u{1CC}' => '\u{1CB}',
        '\u{1F1}'..='\u{1F3}' => '\u{1F2}',
        _ => single(c.to_uppercase()).unwrap_or(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_functions_follow_go() {
        assert_eq!(title("hello wORLD foo_bar x-y"), "Hello WORLD Foo_bar X-Y");
        assert_eq!(title("ǆemal"), "ǅemal");
        assert_eq!(map_case("Straße İ", Case::Upper), "STRAßE İ");
        assert_eq!(map_case("ΣΑΣ İ", Case::Lower), "σασ i");
    }
}
