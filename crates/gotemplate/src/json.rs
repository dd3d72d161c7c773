//! Docker's `json` template function: Go's `encoding/json` encoder with HTML escaping turned
//! off and the trailing newline removed (`templates.formatJSON` in docker/cli).

use serde_json::{Map, Value};

use crate::fmt::format_float;
use crate::value::Val;

/// Encodes a value as Go's `json.Encoder{EscapeHTML: false}` would. Objects keep the order of
/// the `serde_json::Map` (sorted keys by default; docker's structs encode in field order, which
/// the map preserves when serde_json's `preserve_order` feature is on).
pub(crate) fn encode(v: &Val<'_>) -> Result<String, String> {
    let mut out = String::new();
    match v {
        Val::Missing | Val::Null => out.push_str("null"),
        _ if v.is_typed_nil() => out.push_str("null"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Int(i) => out.push_str(&i.to_string()),
        Val::Uint(u) => out.push_str(&u.to_string()),
        Val::Float(f) => push_float(&mut out, *f)?,
        Val::Complex(..) => return Err("json: unsupported type: complex128".into()),
        Val::Str(_) | Val::String(_) => push_string(&mut out, v.as_str().unwrap_or_default()),
        Val::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json(&mut out, e)?;
            }
            out.push(']');
        }
        Val::Strings(s) => {
            out.push('[');
            for (i, e) in s.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_string(&mut out, e);
            }
            out.push(']');
        }
        Val::Object(o) => push_object(&mut out, o)?,
    }
    Ok(out)
}

fn push_json(out: &mut String, v: &Value) -> Result<(), String> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(_) => match Val::from_json(v) {
            Val::Int(i) => out.push_str(&i.to_string()),
            Val::Uint(u) => out.push_str(&u.to_string()),
            Val::Float(f) => push_float(out, f)?,
            _ => out.push_str("null"),
        },
        Value::String(s) if s.as_str() == crate::NIL_SLICE || s.as_str() == crate::NIL_MAP => {
            out.push_str("null")
        }
        Value::String(s) => push_string(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json(out, e)?;
            }
            out.push(']');
        }
        Value::Object(o) => push_object(out, o)?,
    }
    Ok(())
}

fn push_object(out: &mut String, o: &Map<String, Value>) -> Result<(), String> {
    out.push('{');
    for (i, (k, e)) in o.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_string(out, k);
        out.push(':');
        push_json(out, e)?;
    }
    out.push('}');
    Ok(())
}

/// Go's float encoding: `%f`-style unless the magnitude is below 1e-6 or at least 1e21.
fn push_float(out: &mut String, f: f64) -> Result<(), String> {
    if !f.is_finite() {
        return Err(format!(
            "json: unsupported value: {}",
            format_float(f, b'g', -1)
        ));
    }
    let abs = f.abs();
    let exp_form = abs != 0.0 && !(1e-6..1e21).contains(&abs);
    let mut s = format_float(f, if exp_form { b'e' } else { b'f' }, -1);
    if exp_form {
        // Go shortens "e-07" to "e-7".
        let n = s.len();
        if n >= 4 && s.as_bytes()[n - 4] == b'e' && &s[n - 3..n - 1] == "-0" {
            s.remove(n - 2);
        }
    }
    out.push_str(&s);
    Ok(())
}

fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn enc(v: &Value) -> String {
        encode(&Val::from_json(v)).unwrap()
    }

    #[test]
    fn encodes_like_go_without_html_escaping() {
        assert_eq!(enc(&json!("<a&b>")), r#""<a&b>""#);
        assert_eq!(
            enc(&json!("tab\tnl\n\u{1}\u{2028}")),
            r#""tab\tnl\n\u0001\u2028""#
        );
        // Objects keep the order of the document (the workspace builds serde_json with
        // `preserve_order`), which is dockerd's struct field order for API objects.
        assert_eq!(
            enc(&json!({"b": [1, 2.5, null], "a": true})),
            r#"{"b":[1,2.5,null],"a":true}"#
        );
        assert_eq!(enc(&json!(1e21)), "1e+21");
        assert_eq!(enc(&json!(1e20)), "100000000000000000000");
        assert_eq!(enc(&json!(1e-7)), "1e-7");
        assert_eq!(enc(&json!(0.000001)), "0.000001");
        assert_eq!(enc(&json!(18446744073709551615u64)), "18446744073709551615");
        assert_eq!(encode(&Val::Missing).unwrap(), "null");
        assert_eq!(
            encode(&Val::Complex(1.0, 1.0)).unwrap_err(),
            "json: unsupported type: complex128"
        );
    }
}
