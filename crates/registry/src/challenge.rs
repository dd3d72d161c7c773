//! `WWW-Authenticate` challenges (RFC 7235): `Bearer realm="…",service="…",scope="…"` and
//! `Basic realm="…"`. A header may carry several challenges; parameters are tokens or quoted
//! strings with backslash escapes. Malformed input never panics: what can be read is returned.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Lower-cased scheme (`bearer`, `basic`).
    pub scheme: String,
    /// Parameters with lower-cased names.
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub fn is_bearer(&self) -> bool {
        self.scheme == "bearer"
    }

    pub fn is_basic(&self) -> bool {
        self.scheme == "basic"
    }
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn token(&mut self) -> String {
        let start = self.i;
        while self.i < self.s.len() && is_tchar(self.s[self.i]) {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn quoted(&mut self) -> String {
        // At the opening quote.
        self.i += 1;
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    if let Some(n) = self.peek() {
                        out.push(n);
                        self.i += 1;
                    }
                }
                _ => out.push(c),
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Parses every challenge of one header value.
pub fn parse(header: &str) -> Vec<Challenge> {
    let mut c = Cursor {
        s: header.as_bytes(),
        i: 0,
    };
    let mut out: Vec<Challenge> = Vec::new();
    // Right after a scheme, before any comma or parameter: a lone word there is a token68.
    let mut after_scheme = false;
    loop {
        c.skip_ws();
        while c.peek() == Some(b',') {
            c.i += 1;
            after_scheme = false;
            c.skip_ws();
        }
        if c.peek().is_none() {
            break;
        }
        let word = c.token();
        if word.is_empty() {
            // Not a token (token68 characters such as `/`, stray quotes): skip a byte.
            c.i += 1;
            continue;
        }
        c.skip_ws();
        if c.peek() == Some(b'=') && !out.is_empty() {
            c.i += 1;
            c.skip_ws();
            match c.peek() {
                None | Some(b',') | Some(b'=') => {
                    // token68 padding (`dXNlcjpwYXNz==`), not a parameter.
                    while c.peek() == Some(b'=') {
                        c.i += 1;
                    }
                }
                Some(b'"') => {
                    let v = c.quoted();
                    add_param(&mut out, word, v);
                }
                Some(_) => {
                    let v = c.token();
                    add_param(&mut out, word, v);
                }
            }
            after_scheme = false;
            continue;
        }
        if after_scheme {
            continue; // token68 without padding
        }
        out.push(Challenge {
            scheme: word.to_ascii_lowercase(),
            params: BTreeMap::new(),
        });
        after_scheme = true;
    }
    out
}

fn add_param(out: &mut [Challenge], name: String, value: String) {
    if let Some(last) = out.last_mut() {
        last.params
            .entry(name.to_ascii_lowercase())
            .or_insert(value);
    }
}

/// Every challenge of every `WWW-Authenticate` header of a response.
pub fn from_headers(headers: &http::HeaderMap) -> Vec<Challenge> {
    headers
        .get_all(http::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<(String, Vec<(String, String)>)> {
        parse(s)
            .into_iter()
            .map(|c| (c.scheme, c.params.into_iter().collect()))
            .collect()
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn docker_hub_bearer_challenge() {
        assert_eq!(
            p(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#
            ),
            vec![(
                "bearer".into(),
                kv(&[
                    ("realm", "https://auth.docker.io/token"),
                    ("scope", "repository:library/busybox:pull"),
                    ("service", "registry.docker.io")
                ])
            )]
        );
    }

    #[test]
    fn distribution_basic_and_insufficient_scope() {
        assert_eq!(
            p(r#"Basic realm="Registry Realm""#),
            vec![("basic".into(), kv(&[("realm", "Registry Realm")]))]
        );
        let c = parse(
            r#"Bearer realm="http://127.0.0.1:1/token",service="r",scope="repository:a/b:pull,push",error="insufficient_scope""#,
        );
        assert_eq!(c[0].param("scope"), Some("repository:a/b:pull,push"));
        assert_eq!(c[0].param("error"), Some("insufficient_scope"));
    }

    #[test]
    fn several_challenges_tokens_escapes_and_case() {
        assert_eq!(
            p(r#"Newauth realm="apps", type=1, title="Login to \"apps\"", BASIC realm=simple"#),
            vec![
                (
                    "newauth".into(),
                    kv(&[
                        ("realm", "apps"),
                        ("title", "Login to \"apps\""),
                        ("type", "1")
                    ])
                ),
                ("basic".into(), kv(&[("realm", "simple")])),
            ]
        );
        assert_eq!(
            p("Bearer REALM = \"x\" , Service=y"),
            vec![("bearer".into(), kv(&[("realm", "x"), ("service", "y")]))]
        );
    }

    #[test]
    fn token68_and_garbage_do_not_break_parsing() {
        assert_eq!(
            p("Basic dXNlcjpwYXNz==, Bearer realm=\"r\""),
            vec![
                ("basic".into(), vec![]),
                ("bearer".into(), kv(&[("realm", "r")]))
            ]
        );
        assert_eq!(p(""), vec![]);
        assert_eq!(p(" , ,"), vec![]);
        assert_eq!(
            p("Bearer realm=\"unterminated"),
            vec![("bearer".into(), kv(&[("realm", "unterminated")]))]
        );
        let _ = parse("\"=,=\\\"\u{1F600}=");
        let _ = parse("=a=b=c");
    }
}
