//! buildkit's "did you mean" helper (`util/suggest`): the closest option
//! within a Levenshtein distance of 2.

/// The option closest to `val` (distance below 3), or `None` when there is
/// none or when `val` itself is an option. `options` are scanned in order and
/// the first of equally close options wins (Go scans a map, so ties are
/// unspecified there).
pub(crate) fn search(val: &str, options: &[&str], case_sensitive: bool) -> Option<String> {
    let needle = if case_sensitive {
        val.to_string()
    } else {
        val.to_lowercase()
    };
    let mut best: Option<String> = None;
    let mut min = 3;
    for opt in options {
        let opt = if case_sensitive {
            opt.to_string()
        } else {
            opt.to_lowercase()
        };
        if needle == opt {
            return None;
        }
        let d = levenshtein(&needle, &opt);
        if d < min {
            min = d;
            best = Some(if case_sensitive {
                opt
            } else {
                match_case(&opt, val)
            });
        }
    }
    best
}

/// `"<msg> (did you mean <x>?)"` when a suggestion exists.
pub(crate) fn wrap(msg: String, val: &str, options: &[&str], case_sensitive: bool) -> String {
    match search(val, options, case_sensitive) {
        Some(m) => format!("{msg} (did you mean {m}?)"),
        None => msg,
    }
}

fn match_case(val: &str, orig: &str) -> String {
    if orig == orig.to_lowercase() {
        val.to_lowercase()
    } else if orig == orig.to_uppercase() {
        val.to_uppercase()
    } else {
        val.to_string()
    }
}

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_options_in_callers_case() {
        let opts = ["ADD", "RUN", "FROM"];
        assert_eq!(search("RUNN", &opts, false).as_deref(), Some("RUN"));
        assert_eq!(search("runn", &opts, false).as_deref(), Some("run"));
        assert_eq!(search("foo", &opts, false).as_deref(), Some("from"));
        assert_eq!(search("BADCMD", &opts, false), None);
        assert_eq!(search("run", &opts, false), None);
    }
}
