//! Go string helpers whose exact behaviour the parsers depend on.

/// Go's `strings.ToLower`: Unicode *simple* lowercase mapping, one char for one char.
///
/// It differs from `str::to_lowercase` for `İ` (U+0130), which Go maps to a plain `i`, and for
/// a word-final `Σ`, which Go always maps to `σ`. Both matter: Docker reports
/// "must be lowercase" instead of "invalid reference format" when lowering yields a valid name.
pub(crate) fn go_to_lower(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{130}' => 'i',
            c => c.to_lowercase().next().unwrap_or(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_case_mapping() {
        assert_eq!(go_to_lower("Debian"), "debian");
        assert_eq!(go_to_lower("\u{130}"), "i");
        assert_eq!(go_to_lower("\u{212A}"), "k");
        assert_eq!(go_to_lower("ΟΔΟΣ"), "οδοσ");
    }
}
