//! Values during execution: JSON data borrowed from the caller plus the few values templates
//! create themselves (literals, function results).
//!
//! Go types are emulated as the Go value docker's CLI would hold:
//! JSON integers are Go ints, other numbers float64, `null` a nil pointer/slice/map, arrays
//! `[]interface {}` and objects `map[string]interface {}`. `Missing` is Go's invalid
//! `reflect.Value` (a key absent from a map), which prints as `<no value>`.

use std::rc::Rc;
use std::sync::LazyLock;

use serde_json::{Map, Value};

/// Stands, as a JSON string, for a typed nil slice (Go's `[]string(nil)`): it prints as `[]`,
/// has no elements, and `json` encodes it as `null`, as docker's CLI does for its structs.
pub const NIL_SLICE: &str = "\u{0}nil-slice";
/// Stands for a typed nil map: prints as `map[]`, `json` encodes it as `null`.
pub const NIL_MAP: &str = "\u{0}nil-map";

// Typed nils are told apart from empty values by address: the empty slice is cut from a
// static array of its own, the empty map is a static of its own.
static NIL_SLICE_BACKING: [Value; 1] = [Value::Null];
static NIL_MAP_VALUE: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);

#[derive(Clone, Debug)]
pub(crate) enum Val<'a> {
    /// No value at all (a missing map key, an unset pipeline): Go's invalid `reflect.Value`.
    Missing,
    /// JSON `null`.
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Complex(f64, f64),
    Str(&'a str),
    String(Rc<str>),
    Array(&'a [Value]),
    Object(&'a Map<String, Value>),
    /// A `[]string` produced by `split`.
    Strings(Rc<[String]>),
}

impl<'a> Val<'a> {
    pub fn from_json(v: &'a Value) -> Val<'a> {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Val::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Val::Uint(u)
                } else {
                    Val::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) if s.as_str() == NIL_SLICE => Val::Array(&NIL_SLICE_BACKING[..0]),
            Value::String(s) if s.as_str() == NIL_MAP => Val::Object(&NIL_MAP_VALUE),
            Value::String(s) => Val::Str(s),
            Value::Array(a) => Val::Array(a),
            Value::Object(o) => Val::Object(o),
        }
    }

    pub fn string(s: impl Into<Rc<str>>) -> Val<'a> {
        Val::String(s.into())
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            Val::String(s) => Some(s),
            _ => None,
        }
    }

    /// A typed nil slice or map (see [`NIL_SLICE`]): `json` encodes it as `null`.
    pub fn is_typed_nil(&self) -> bool {
        match self {
            Val::Array(a) => std::ptr::eq(a.as_ptr(), NIL_SLICE_BACKING.as_ptr()),
            Val::Object(o) => std::ptr::eq(*o, &*NIL_MAP_VALUE),
            _ => false,
        }
    }

    /// Missing or null: what Go's comparison and indexing functions see as a nil interface.
    pub fn is_nil(&self) -> bool {
        matches!(self, Val::Missing | Val::Null)
    }

    /// Go's `isTrue`: the zero value of each type is false, nil is false.
    pub fn truth(&self) -> bool {
        match self {
            Val::Missing | Val::Null => false,
            Val::Bool(b) => *b,
            Val::Int(i) => *i != 0,
            Val::Uint(u) => *u != 0,
            Val::Float(f) => *f != 0.0,
            Val::Complex(r, i) => *r != 0.0 || *i != 0.0,
            Val::Str(s) => !s.is_empty(),
            Val::String(s) => !s.is_empty(),
            Val::Array(a) => !a.is_empty(),
            Val::Object(o) => !o.is_empty(),
            Val::Strings(s) => !s.is_empty(),
        }
    }

    /// The Go type docker's CLI would hold, as `%T` prints it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Missing | Val::Null => "<nil>",
            Val::Bool(_) => "bool",
            Val::Int(_) => "int",
            Val::Uint(_) => "uint64",
            Val::Float(_) => "float64",
            Val::Complex(..) => "complex128",
            Val::Str(_) | Val::String(_) => "string",
            Val::Array(_) => "[]interface {}",
            Val::Object(_) => "map[string]interface {}",
            Val::Strings(_) => "[]string",
        }
    }

    /// Elements of an array-like value.
    pub fn elements(&self) -> Option<Vec<Val<'a>>> {
        match self {
            Val::Array(a) => Some(a.iter().map(Val::from_json).collect()),
            Val::Strings(s) => Some(s.iter().map(|s| Val::string(s.as_str())).collect()),
            _ => None,
        }
    }

    /// Number of elements of an array-like value.
    pub fn array_len(&self) -> Option<usize> {
        match self {
            Val::Array(a) => Some(a.len()),
            Val::Strings(s) => Some(s.len()),
            _ => None,
        }
    }
}

/// Entries of a JSON object in Go's map order (sorted keys).
pub(crate) fn sorted_entries(o: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = o.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    entries
}
