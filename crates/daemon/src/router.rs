//! Route table for the Engine API. Patterns follow moby's router: literal segments, `{name}`
//! for one segment, and `{name:.*}` for a run of segments that may contain slashes (image names
//! such as `docker.io/library/busybox:latest`), possibly followed by literal segments.

use std::collections::HashMap;

use http::Method;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Lit(&'static str),
    One(&'static str),
    Many(&'static str),
}

#[derive(Debug, Clone)]
pub struct Pattern {
    segs: Vec<Seg>,
}

impl Pattern {
    pub fn parse(p: &'static str) -> Pattern {
        let segs = p
            .trim_start_matches('/')
            .split('/')
            .map(|s| {
                if let Some(inner) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    match inner.strip_suffix(":.*") {
                        Some(name) => Seg::Many(name),
                        None => Seg::One(inner),
                    }
                } else {
                    Seg::Lit(s)
                }
            })
            .collect();
        Pattern { segs }
    }

    /// Matches a path split into segments; returns the decoded parameters.
    pub fn matches(&self, path: &[&str]) -> Option<HashMap<&'static str, String>> {
        let mut params = HashMap::new();
        let many = self.segs.iter().position(|s| matches!(s, Seg::Many(_)));
        let (head, tail) = match many {
            Some(i) => (&self.segs[..i], &self.segs[i + 1..]),
            None => (&self.segs[..], &[][..]),
        };
        match many {
            None if path.len() != head.len() => return None,
            Some(_) if path.len() < head.len() + tail.len() + 1 => return None,
            _ => {}
        }
        let bind = |seg: &Seg, part: &str, params: &mut HashMap<&'static str, String>| match seg {
            Seg::Lit(l) => *l == part,
            Seg::One(name) => {
                if part.is_empty() {
                    return false;
                }
                params.insert(*name, decode(part));
                true
            }
            Seg::Many(_) => false,
        };
        for (seg, part) in head.iter().zip(path) {
            if !bind(seg, part, &mut params) {
                return None;
            }
        }
        if let Some(i) = many {
            let rest = &path[head.len()..];
            let (mid, end) = rest.split_at(rest.len() - tail.len());
            for (seg, part) in tail.iter().zip(end) {
                if !bind(seg, part, &mut params) {
                    return None;
                }
            }
            let Seg::Many(name) = self.segs[i] else {
                unreachable!()
            };
            let joined = mid.join("/");
            if joined.is_empty() {
                return None;
            }
            params.insert(name, decode(&joined));
        }
        Some(params)
    }
}

fn decode(s: &str) -> String {
    urlencoding::decode(s)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| s.to_string())
}

pub struct Router<H> {
    routes: Vec<(Method, Pattern, H)>,
}

pub enum Found<'a, H> {
    Route(&'a H, HashMap<&'static str, String>),
    /// The path exists, but not for this method.
    MethodNotAllowed,
    NotFound,
}

impl<H> Default for Router<H> {
    fn default() -> Self {
        Router { routes: Vec::new() }
    }
}

impl<H> Router<H> {
    pub fn add(&mut self, method: Method, pattern: &'static str, handler: H) {
        self.routes.push((method, Pattern::parse(pattern), handler));
    }

    pub fn find(&self, method: &Method, path: &str) -> Found<'_, H> {
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut path_exists = false;
        for (m, pat, h) in &self.routes {
            if let Some(params) = pat.matches(&segs) {
                if m == method || (method == Method::HEAD && m == Method::GET) {
                    return Found::Route(h, params);
                }
                path_exists = true;
            }
        }
        if path_exists {
            Found::MethodNotAllowed
        } else {
            Found::NotFound
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router<&'static str> {
        let mut r = Router::default();
        r.add(Method::GET, "/images/json", "list");
        r.add(Method::GET, "/images/{name:.*}/json", "inspect");
        r.add(Method::DELETE, "/images/{name:.*}", "delete");
        r.add(Method::POST, "/images/{name:.*}/tag", "tag");
        r.add(Method::GET, "/containers/{id}/logs", "logs");
        r
    }

    fn hit(
        r: &Router<&'static str>,
        m: Method,
        p: &str,
    ) -> Option<(&'static str, Vec<(String, String)>)> {
        match r.find(&m, p) {
            Found::Route(h, params) => {
                let mut v: Vec<_> = params
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect();
                v.sort();
                Some((*h, v))
            }
            _ => None,
        }
    }

    #[test]
    fn image_names_with_slashes_and_tags_match() {
        let r = router();
        assert_eq!(hit(&r, Method::GET, "/images/json").unwrap().0, "list");
        let (h, p) = hit(
            &r,
            Method::GET,
            "/images/docker.io/library/busybox:latest/json",
        )
        .unwrap();
        assert_eq!(h, "inspect");
        assert_eq!(
            p,
            vec![("name".into(), "docker.io/library/busybox:latest".into())]
        );
        let (h, p) = hit(&r, Method::DELETE, "/images/localhost:5000/a/b:1").unwrap();
        assert_eq!(h, "delete");
        assert_eq!(p[0].1, "localhost:5000/a/b:1");
        assert_eq!(hit(&r, Method::POST, "/images/x/tag").unwrap().0, "tag");
    }

    #[test]
    fn single_segment_params_do_not_span_slashes() {
        let r = router();
        assert!(hit(&r, Method::GET, "/containers/abc/logs").is_some());
        assert!(hit(&r, Method::GET, "/containers/a/b/logs").is_none());
        assert!(matches!(
            r.find(&Method::POST, "/images/json"),
            Found::MethodNotAllowed
        ));
        assert!(matches!(r.find(&Method::GET, "/nope"), Found::NotFound));
    }

    #[test]
    fn head_is_served_by_get_routes_and_params_are_decoded() {
        let r = router();
        let (_, p) = hit(&r, Method::HEAD, "/images/a%2Fb/json").unwrap();
        assert_eq!(p[0].1, "a/b");
    }
}
