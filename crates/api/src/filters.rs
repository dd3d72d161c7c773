//! Docker's `filters` query parameter: a JSON object mapping a filter name to values, in the
//! current form (`{"dangling":["true"]}`) or the legacy one (`{"dangling":{"true":true}}`).

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters(BTreeMap<String, Vec<String>>);

impl Filters {
    pub fn parse(s: &str) -> Result<Filters, String> {
        if s.trim().is_empty() {
            return Ok(Filters::default());
        }
        let v: serde_json::Value =
            serde_json::from_str(s).map_err(|e| format!("invalid filter: {e}"))?;
        let obj = v
            .as_object()
            .ok_or_else(|| format!("invalid filter: {s}"))?;
        let mut out = BTreeMap::new();
        for (k, v) in obj {
            let vals: Vec<String> = match v {
                serde_json::Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                serde_json::Value::Object(m) => m
                    .iter()
                    .filter(|(_, on)| on.as_bool().unwrap_or(false))
                    .map(|(k, _)| k.clone())
                    .collect(),
                _ => return Err(format!("invalid filter: {s}")),
            };
            out.insert(k.clone(), vals);
        }
        Ok(Filters(out))
    }

    pub fn add(&mut self, key: &str, value: &str) {
        self.0
            .entry(key.to_string())
            .or_default()
            .push(value.to_string());
    }

    pub fn get(&self, key: &str) -> &[String] {
        self.0.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Refuses filter names outside `allowed`, with dockerd's message.
    pub fn validate(&self, allowed: &[&str]) -> Result<(), String> {
        match self.keys().find(|k| !allowed.contains(k)) {
            Some(k) => Err(format!("invalid filter '{k}'")),
            None => Ok(()),
        }
    }

    /// A boolean filter such as `dangling=true`; an unparsable value is an error like
    /// dockerd's.
    pub fn bool_value(&self, key: &str) -> Result<Option<bool>, String> {
        let vals = self.get(key);
        let Some(v) = vals.last() else {
            return Ok(None);
        };
        match v.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(format!("invalid filter '{key}={v}'")),
        }
    }

    /// The JSON form sent as the `filters` query parameter.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_encodings_parse() {
        let a = Filters::parse(r#"{"dangling":["true"],"label":["a=b","c"]}"#).unwrap();
        assert_eq!(a.get("label"), ["a=b", "c"]);
        let b = Filters::parse(r#"{"dangling":{"true":true}}"#).unwrap();
        assert_eq!(b.bool_value("dangling").unwrap(), Some(true));
        assert!(Filters::parse("[1]").is_err());
        assert_eq!(
            a.validate(&["dangling"]).unwrap_err(),
            "invalid filter 'label'"
        );
    }
}
