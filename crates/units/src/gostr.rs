//! Go's `strings.ToLower`.

/// Go's `strings.ToLower`: Unicode simple lowercase mapping, one char for one char (`İ` → `i`).
pub(crate) fn go_to_lower(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{130}' => 'i',
            c => c.to_lowercase().next().unwrap_or(c),
        })
        .collect()
}
