//! Feeds arbitrary text to `Template::parse` and executes what parses on a fixed document
//! shaped like docker's inspect output, in both missing-key modes, as a plain template and as
//! a docker `table` format. Nothing may panic or overflow the stack; errors must render.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use wharf_gotemplate::docker::Format;
use wharf_gotemplate::tabwriter::{Flags, TabWriter};
use wharf_gotemplate::{MissingKey, Template};

fn data() -> &'static Value {
    static DATA: OnceLock<Value> = OnceLock::new();
    DATA.get_or_init(|| {
        json!({
            "ID": "4f66ad9a0b2e", "Name": "/web", "Size": 123456789012i64, "Ratio": 1.5,
            "Neg": -3, "Big": 18446744073709551615u64, "Tiny": 1e-9, "Null": null,
            "State": {"Status": "running", "Running": true, "Pid": 42, "Health": null},
            "Config": {"Env": ["PATH=/bin", "A=b\tc"], "Labels": {"a": "1", "日本": "語"}, "Cmd": null},
            "Mounts": [{"Source": "/a", "RW": true}, {"Source": "/b", "RW": false}],
            "Nested": [[1, 2], [], {"k": [null, "x"]}],
        })
    })
}

/// Number literals of five or more characters could ask for gigabytes of padding or billions
/// of iterations; Go would attempt those too, so they are out of scope here.
fn has_long_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            if i - start >= 5 {
                return true;
            }
        } else {
            i += 1;
        }
    }
    false
}

fuzz_target!(|bytes: &[u8]| {
    let Ok(src) = std::str::from_utf8(bytes) else {
        return;
    };
    if src.len() > 4096 || has_long_number(src) {
        return;
    }
    match Template::parse(src) {
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("template: :"), "{msg}");
        }
        Ok(t) => {
            for mode in [MissingKey::Default, MissingKey::Error] {
                let t = t.clone().with_missing_key(mode).with_step_limit(2_000);
                let mut out = String::new();
                if let Err(e) = t.execute_into(data(), &mut out) {
                    let msg = e.to_string();
                    assert!(msg.starts_with("template: :"), "{msg}");
                }
                let mut tw = TabWriter::new(10, 1, 3, ' ', Flags::NONE);
                tw.write_str(&out);
                let _ = tw.flush();
                let mut tw = TabWriter::new(4, 8, 1, '\t', Flags::DISCARD_EMPTY_COLUMNS | Flags::DEBUG);
                tw.write_str(&out);
                let _ = tw.flush();
            }
        }
    }
    let format = format!("table {src}");
    if let Ok(f) = Format::parse(&format) {
        let f_limited = f.template().clone().with_step_limit(2_000);
        let mut head = String::new();
        let _ = f_limited.execute_header_into(&json!({"ID": "CONTAINER ID", "Name": "NAMES"}), &mut head);
    }
});
