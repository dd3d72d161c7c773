//! Manifest bodies with arbitrary content types: parsing never panics, and the media type
//! chosen for a body that parses is one of the four wharf knows.
//!
//! RUSTC_BOOTSTRAP=1 cargo fuzz run manifest

#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_registry::manifest::{media_type_of, parse};

const TYPES: [&str; 5] = [
    "",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let ct = TYPES[sel as usize % TYPES.len()];
    let parsed = parse(ct, body);
    let mt = media_type_of(ct, body);
    if parsed.is_ok() && mt.starts_with("application/vnd.") {
        assert!(mt.contains("manifest") || mt.contains("index"), "{mt}");
    }
    if let Ok(wharf_registry::manifest::Parsed::Index(i)) = parsed {
        let want = wharf_registry::PlatformSpec::host();
        let _ = wharf_registry::platform::select(&i.manifests, &want);
    }
});
