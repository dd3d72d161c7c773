//! Decoding request bodies as dockerd's Go decoder does, which clients rely on: an object key
//! matches a struct field whatever its case (docker-py sends `detachKeys`), and `null` for a
//! field leaves it at its default (docker-py sends `"StartPeriod": null`). Maps keep their
//! keys as sent.
//!
//! Structs that `#[serde(flatten)]` others decode those from a buffered copy this decoder
//! never sees; so that their fields also take `null`, members named like API fields
//! (`PascalCase`) whose value is `null` are dropped before decoding.

use serde::de::value::StringDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Error, Map, Value};

/// Parses `data` (syntax errors keep their position) and decodes it leniently into `T`.
pub fn from_slice<T: DeserializeOwned>(data: &[u8]) -> Result<T, Error> {
    let mut v: Value = serde_json::from_slice(data)?;
    drop_null_fields(&mut v);
    T::deserialize(Lenient(v))
}

fn drop_null_fields(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, v| !(v.is_null() && k.starts_with(|c: char| c.is_ascii_uppercase())));
            m.values_mut().for_each(drop_null_fields);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_null_fields),
        _ => {}
    }
}

struct Lenient(Value);

impl<'de> de::Deserializer<'de> for Lenient {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(a) => v.visit_seq(Elements(a.into_iter())),
            Value::Object(m) => v.visit_map(Entries::new(m.into_iter().collect())),
            other => de::Deserializer::deserialize_any(other, v),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(m) => v.visit_map(Entries::new(struct_entries(m, fields))),
            // Go leaves a struct decoded from `null` as it was.
            Value::Null => v.visit_map(Entries::new(Vec::new())),
            other => de::Deserializer::deserialize_any(other, v),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_enum(self.0, name, variants, v)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_unit()
    }

    // Go decodes `null` into a string, number or bool as its zero value (inside maps and
    // arrays too, where no field default applies).
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => v.visit_str(""),
            other => de::Deserializer::deserialize_any(other, v),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => v.visit_bool(false),
            other => de::Deserializer::deserialize_any(other, v),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => v.visit_i64(0),
            other => de::Deserializer::deserialize_any(other, v),
        }
    }

    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => v.visit_u64(0),
            other => de::Deserializer::deserialize_any(other, v),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => v.visit_f64(0.0),
            other => de::Deserializer::deserialize_any(other, v),
        }
    }

    // Narrower numbers: the visitors take an i64/u64/f64 and check the range.
    fn deserialize_i8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_i64(v)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_i64(v)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_i64(v)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_u64(v)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_u64(v)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_u64(v)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_f64(v)
    }

    forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
    }
}

/// A struct's entries: `null` values dropped, keys renamed to the field they match when only
/// their case differs.
fn struct_entries(m: Map<String, Value>, fields: &[&str]) -> Vec<(String, Value)> {
    m.into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            if fields.contains(&k.as_str()) {
                return (k, v);
            }
            match fields.iter().find(|f| f.eq_ignore_ascii_case(&k)) {
                Some(f) => (f.to_string(), v),
                None => (k, v),
            }
        })
        .collect()
}

struct Entries {
    items: std::vec::IntoIter<(String, Value)>,
    value: Option<Value>,
}

impl Entries {
    fn new(items: Vec<(String, Value)>) -> Entries {
        Entries {
            items: items.into_iter(),
            value: None,
        }
    }
}

impl<'de> MapAccess<'de> for Entries {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((k, v)) = self.items.next() else {
            return Ok(None);
        };
        self.value = Some(v);
        seed.deserialize(StringDeserializer::<Error>::new(k))
            .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        let v = self
            .value
            .take()
            .ok_or_else(|| <Error as de::Error>::custom("value asked before its key"))?;
        seed.deserialize(Lenient(v))
    }
}

struct Elements(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Elements {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Lenient(v)))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(rename_all = "PascalCase")]
    struct Health {
        #[serde(default)]
        test: Vec<String>,
        #[serde(default)]
        interval: i64,
        #[serde(default)]
        start_period: i64,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Body {
        #[serde(default)]
        detach_keys: String,
        #[serde(default)]
        healthcheck: Option<Health>,
        #[serde(default)]
        labels: BTreeMap<String, String>,
        #[serde(default)]
        cmd: Vec<String>,
        #[serde(default)]
        tty: bool,
    }

    #[test]
    fn keys_match_fields_whatever_their_case_and_null_fields_keep_defaults() {
        let b: Body = from_slice(
            br#"{"detachKeys":"ctrl-p","HEALTHCHECK":{"Test":["CMD","true"],"interval":5,"StartPeriod":null},
                "Labels":{"detachKeys":"kept as sent"},"Cmd":null,"Tty":true}"#,
        )
        .unwrap();
        assert_eq!(b.detach_keys, "ctrl-p");
        assert_eq!(
            b.healthcheck,
            Some(Health {
                test: vec!["CMD".into(), "true".into()],
                interval: 5,
                start_period: 0
            })
        );
        assert_eq!(b.labels["detachKeys"], "kept as sent");
        assert!(b.cmd.is_empty());
        assert!(b.tty);
    }

    #[test]
    fn null_in_maps_and_arrays_is_the_zero_value() {
        let m: BTreeMap<String, String> = from_slice(br#"{"a":null,"b":"x"}"#).unwrap();
        assert_eq!(m["a"], "");
        let v: Vec<String> = from_slice(br#"["x",null]"#).unwrap();
        assert_eq!(v, ["x", ""]);
        let n: BTreeMap<String, i64> = from_slice(br#"{"n":null}"#).unwrap();
        assert_eq!(n["n"], 0);
        let n: Vec<u16> = from_slice(br#"[null,7]"#).unwrap();
        assert_eq!(n, [0, 7]);
        assert!(
            from_slice::<Vec<u8>>(br#"[300]"#).is_err(),
            "ranges still checked"
        );
        let o: BTreeMap<String, Option<String>> = from_slice(br#"{"o":null}"#).unwrap();
        assert_eq!(o["o"], None);
    }

    #[test]
    fn flattened_structs_take_null_fields_too() {
        #[derive(Debug, Deserialize)]
        struct Outer {
            #[serde(flatten)]
            inner: Body,
            #[serde(rename = "Extra", default)]
            extra: u32,
        }
        let o: Outer = from_slice(
            br#"{"Healthcheck":{"Test":["CMD"],"StartPeriod":null},"Cmd":null,"Extra":null,
                "Labels":{"lower":"x"}}"#,
        )
        .unwrap();
        assert_eq!(o.inner.healthcheck.unwrap().start_period, 0);
        assert_eq!(o.extra, 0);
        assert_eq!(o.inner.labels["lower"], "x");
    }

    #[test]
    fn an_exact_name_wins_over_a_case_insensitive_one_and_errors_still_name_the_problem() {
        #[derive(Deserialize)]
        struct Two {
            #[serde(rename = "Name", default)]
            name: String,
        }
        let t: Two = from_slice(br#"{"Name":"exact"}"#).unwrap();
        assert_eq!(t.name, "exact");
        let err = from_slice::<Body>(br#"{"Tty":"yes"}"#)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("invalid type: string \"yes\", expected a boolean"),
            "{err}"
        );
        let err = from_slice::<Body>(br#"{"Tty":tru"#)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("line 1 column"), "{err}");
        assert_eq!(from_slice::<Body>(b"null").unwrap().detach_keys, "");
    }
}
