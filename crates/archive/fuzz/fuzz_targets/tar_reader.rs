//! The tar reader never panics, and every header it produces survives a write → read round trip
//! through our writer unchanged.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use wharf_archive::tar::{EntryKind, Header, Reader, Writer};

fn normalized(mut h: Header) -> Header {
    if h.kind == EntryKind::Directory {
        while h.path.ends_with(b"/") {
            h.path.pop();
        }
    }
    h
}

fuzz_target!(|data: &[u8]| {
    let mut reader = Reader::new(data);
    let mut entries = Vec::new();
    while let Ok(Some(mut entry)) = reader.next_entry() {
        let mut body = Vec::new();
        if entry.read_to_end(&mut body).is_err() {
            break;
        }
        entries.push((entry.header().clone(), body));
    }
    let mut writer = Writer::new(Vec::new());
    for (h, body) in &entries {
        writer
            .append(h, &body[..])
            .expect("writing a header the reader produced");
    }
    let written = writer.finish().expect("finishing");
    let mut again = Reader::new(&written[..]);
    for (h, body) in entries {
        let mut e = again
            .next_entry()
            .expect("re-reading our own output")
            .expect("entry");
        let mut b = Vec::new();
        e.read_to_end(&mut b).expect("data");
        assert_eq!(normalized(e.header().clone()), normalized(h));
        assert_eq!(b, body);
    }
    assert!(again.next_entry().expect("end").is_none());
});
