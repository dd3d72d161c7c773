//! `WWW-Authenticate` values, `X-Registry-Auth` headers and platform strings from anywhere:
//! no parser may panic, and parsed challenges have lower-case schemes and parameter names.
//!
//! RUSTC_BOOTSTRAP=1 cargo fuzz run challenge

#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_registry::challenge;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    for c in challenge::parse(s) {
        assert!(!c.scheme.is_empty());
        assert_eq!(c.scheme, c.scheme.to_ascii_lowercase());
        assert!(c.params.keys().all(|k| *k == k.to_ascii_lowercase() && !k.is_empty()));
    }
    if let Ok(v) = http::HeaderValue::from_str(s) {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::WWW_AUTHENTICATE, v);
        let _ = challenge::from_headers(&h);
    }
    if let Ok(a) = wharf_registry::AuthConfig::from_header(s) {
        let _ = a.credentials();
        assert_eq!(wharf_registry::AuthConfig::from_header(&a.to_header()).ok(), Some(a));
    }
    let _ = wharf_registry::PlatformSpec::parse(s);
});
