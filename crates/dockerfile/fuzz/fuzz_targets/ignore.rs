//! Ignore-file compilation and matching must never panic; the parent-aware
//! and walker entry points must agree with plain matching.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_dockerfile::ignore::{MatchInfo, Patterns};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // First line: a path to match; the rest: the ignore file.
    let (path, file) = text.split_once('\n').unwrap_or((text, ""));
    let Ok(pm) = Patterns::parse(file) else { return };
    let plain = pm.matches(path);
    let walked = pm.matches_using_parent_results(path, &MatchInfo::default()).map(|r| r.0);
    if let (Ok(a), Ok(b)) = (&plain, &walked) {
        assert_eq!(a, b, "path {path:?} file {file:?}");
    }
    let _ = pm.matches_legacy(path);
    let _ = pm.can_skip_dir(path);
});
