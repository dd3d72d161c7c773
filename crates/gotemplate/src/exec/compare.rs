//! `eq`, `lt` and friends with Go's rules: values compare only within a basic kind (bool,
//! integer, float, complex, string), signed and unsigned integers compare with each other, and
//! nil compares equal only to nil.

use crate::fmt::sprintf;
use crate::value::Val;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Uint,
    Float,
    Complex,
    String,
}

fn basic_kind(v: &Val<'_>) -> Option<Kind> {
    Some(match v {
        Val::Bool(_) => Kind::Bool,
        Val::Int(_) => Kind::Int,
        Val::Uint(_) => Kind::Uint,
        Val::Float(_) => Kind::Float,
        Val::Complex(..) => Kind::Complex,
        Val::Str(_) | Val::String(_) => Kind::String,
        _ => return None,
    })
}

/// `reflect.Kind` for the non-basic values, to tell slices from maps.
fn reflect_kind(v: &Val<'_>) -> u8 {
    match v {
        Val::Missing | Val::Null => 0,
        Val::Array(_) | Val::Strings(_) => 1,
        Val::Object(_) => 2,
        _ => 3,
    }
}

fn incompatible(a: &Val<'_>, b: &Val<'_>) -> String {
    format!(
        "incompatible types for comparison: {} and {}",
        a.type_name(),
        b.type_name()
    )
}

fn basic_eq(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Int(x), Val::Int(y)) => x == y,
        (Val::Uint(x), Val::Uint(y)) => x == y,
        (Val::Float(x), Val::Float(y)) => x == y,
        (Val::Complex(a1, b1), Val::Complex(a2, b2)) => a1 == a2 && b1 == b2,
        _ => a.as_str() == b.as_str(),
    }
}

/// `eq arg1 arg2...`: whether `arg1` equals any of the others.
pub(crate) fn eq(arg1: &Val<'_>, rest: &[Val<'_>]) -> Result<bool, String> {
    if rest.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let k1 = basic_kind(arg1);
    for arg in rest {
        let k2 = basic_kind(arg);
        let truth = if k1 != k2 {
            match (arg1, arg) {
                (Val::Int(i), Val::Uint(u)) | (Val::Uint(u), Val::Int(i)) => {
                    *i >= 0 && *i as u64 == *u
                }
                _ if !arg1.is_nil() && !arg.is_nil() => return Err(incompatible(arg1, arg)),
                _ => false,
            }
        } else if k1.is_some() {
            basic_eq(arg1, arg)
        } else {
            let (n1, n2) = (arg1.is_nil(), arg.is_nil());
            if !n1 && !n2 && reflect_kind(arg1) != reflect_kind(arg) {
                return Err(format!(
                    "non-comparable types {}: {}, {}: {}",
                    sprintf("%s", std::slice::from_ref(arg1)),
                    arg1.type_name(),
                    arg.type_name(),
                    sprintf("%v", std::slice::from_ref(arg)),
                ));
            }
            if n1 || n2 {
                n1 == n2
            } else {
                return Err(format!(
                    "non-comparable type {}: {}",
                    sprintf("%s", std::slice::from_ref(arg)),
                    arg.type_name()
                ));
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `lt a b`.
pub(crate) fn lt(a: &Val<'_>, b: &Val<'_>) -> Result<bool, String> {
    let bad = || "invalid type for comparison".to_string();
    let k1 = basic_kind(a).ok_or_else(bad)?;
    let k2 = basic_kind(b).ok_or_else(bad)?;
    if k1 != k2 {
        return match (a, b) {
            (Val::Int(i), Val::Uint(u)) => Ok(*i < 0 || (*i as u64) < *u),
            (Val::Uint(u), Val::Int(i)) => Ok(*i >= 0 && *u < *i as u64),
            _ => Err(incompatible(a, b)),
        };
    }
    Ok(match (a, b) {
        (Val::Int(x), Val::Int(y)) => x < y,
        (Val::Uint(x), Val::Uint(y)) => x < y,
        (Val::Float(x), Val::Float(y)) => x < y,
        _ if k1 == Kind::String => a.as_str() < b.as_str(),
        _ => return Err(bad()),
    })
}

/// `le a b`: `lt` or `eq`.
pub(crate) fn le(a: &Val<'_>, b: &Val<'_>) -> Result<bool, String> {
    if lt(a, b)? {
        return Ok(true);
    }
    eq(a, std::slice::from_ref(b))
}
