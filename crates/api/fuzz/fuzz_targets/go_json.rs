//! Feeds arbitrary bytes to the Go-style request decoder as the bodies the engine decodes with
//! it: none may panic, and what decodes must encode and decode again to the same value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_api::container::CreateRequest;
use wharf_api::exec::ExecCreateRequest;
use wharf_api::go_json::from_slice;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = from_slice::<CreateRequest>(data) {
        let again = serde_json::to_vec(&req).unwrap();
        assert_eq!(from_slice::<CreateRequest>(&again).unwrap(), req);
    }
    let _ = from_slice::<ExecCreateRequest>(data);
    let _ = from_slice::<serde_json::Value>(data);
});
