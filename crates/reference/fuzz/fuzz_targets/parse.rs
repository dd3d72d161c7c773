//! Feeds arbitrary strings to every parser of wharf-reference: none may panic, and what parses
//! must print back to a string that parses to the same reference.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_reference::{AnyReference, ImageLookup, Reference, path_match, registry};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = Reference::parse(s) {
        assert_eq!(r.to_string(), s, "Parse must be lossless");
    }
    if let Ok(r) = Reference::parse_normalized(s) {
        let full = r.to_string();
        assert_eq!(Reference::parse(&full).as_ref(), Ok(&r), "{s:?}");
        assert_eq!(Reference::parse_normalized(&full).as_ref(), Ok(&r), "{s:?}");
        assert_eq!(Reference::parse_named(&full).as_ref(), Ok(&r), "{s:?}");
        let _ = Reference::parse_normalized(&r.familiar_string());
        let _ = r.index_info();
        let _ = r.familiar_match(s);
    }
    let _ = Reference::parse_docker_ref(s);
    let _ = Reference::with_name(s);
    if let Ok(any) = AnyReference::parse(s) {
        let _ = wharf_reference::no_such_image(&any);
    }
    let _ = ImageLookup::parse(s);
    let _ = registry::split_search_term(s);
    let _ = registry::is_loopback_host(s);
    if let Some((pattern, name)) = s.split_once('\n') {
        let _ = path_match(pattern, name);
    }
});
