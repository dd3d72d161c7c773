//! `--env-file` and `--label-file`: docker's `kvfile.Parse` (one `KEY=value` a line, `#`
//! comments, a UTF-8 BOM skipped, bare `KEY` taking the CLI's environment for env files).

/// Reads `path`; `lookup` resolves bare names (env files) or drops them (label files: `None`).
pub fn parse_file(
    path: &str,
    lookup: Option<fn(&str) -> Option<String>>,
) -> Result<Vec<String>, String> {
    let data = std::fs::read(path).map_err(|e| format!("open {path}: {}", go_io_error(&e)))?;
    parse(&data, lookup).map_err(|e| format!("invalid env file ({path}): {e}"))
}

/// Go's wording for the usual open errors.
pub fn go_io_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_lowercase()
        }
    }
}

pub fn parse(
    data: &[u8],
    lookup: Option<fn(&str) -> Option<String>>,
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (i, raw) in data.split(|&b| b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let mut line = std::str::from_utf8(raw)
            .map_err(|_| format!("invalid utf8 bytes at line {}: {raw:?}", i + 1))?;
        if i == 0 {
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, has_value) = match line.split_once('=') {
            Some((k, _)) => (k, true),
            None => (line, false),
        };
        if key.is_empty() {
            return Err(format!("no variable name on line '{line}'"));
        }
        if key.contains([' ', '\t']) {
            return Err(format!("variable '{key}' contains whitespaces"));
        }
        if has_value {
            out.push(line.to_string());
        } else if let Some(f) = lookup
            && let Some(v) = f(line)
        {
            out.push(format!("{key}={v}"));
        }
    }
    Ok(out)
}

/// Looks a name up in the CLI's environment.
pub fn from_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_parse_like_docker() {
        let data = "\u{feff}# comment\n  A=1\nB=two words\r\n\nWHARF_SURELY_UNSET\nPATH\nC=\n";
        let got = parse(data.as_bytes(), Some(from_env)).unwrap();
        assert_eq!(
            got[..3],
            [
                "A=1",
                "B=two words",
                &format!("PATH={}", std::env::var("PATH").unwrap())
            ]
        );
        assert_eq!(got[3], "C=");
        assert_eq!(
            parse(b"=x", None).unwrap_err(),
            "no variable name on line '=x'"
        );
        assert_eq!(
            parse(b"A B=1", None).unwrap_err(),
            "variable 'A B' contains whitespaces"
        );
        assert_eq!(parse(b"PATH\n", None).unwrap(), Vec::<String>::new());
        assert_eq!(
            parse_file("/nonexistent/env", None).unwrap_err(),
            "open /nonexistent/env: no such file or directory"
        );
    }
}
