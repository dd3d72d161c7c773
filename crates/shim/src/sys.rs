//! The few raw calls the shim makes that have no safe wrapper: giving back the memory that
//! only the start-up (or a request) needed. The only module with `unsafe`.
#![allow(unsafe_code)]

/// A read-only file mapping whose resident pages are all the file's own (no copy-on-write
/// page, such as relocated `.data.rel.ro`, in it).
struct Mapping {
    start: usize,
    end: usize,
    droppable: bool,
}

fn mappings() -> Vec<Mapping> {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return Vec::new();
    };
    let mut out: Vec<Mapping> = Vec::new();
    for line in smaps.lines() {
        let mut f = line.split_whitespace();
        let Some(first) = f.next() else { continue };
        if let Some((a, b)) = first.split_once('-')
            && let (Ok(start), Ok(end)) =
                (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
        {
            let perms = f.next().unwrap_or("");
            let path = f.nth(3).unwrap_or("");
            out.push(Mapping {
                start,
                end,
                droppable: perms.starts_with('r')
                    && perms.as_bytes().get(1) == Some(&b'-')
                    && perms.ends_with('p')
                    && path.starts_with('/'),
            });
        } else if first == "Anonymous:"
            && f.next() != Some("0")
            && let Some(m) = out.last_mut()
        {
            m.droppable = false;
        }
    }
    out
}

/// The shim lives as long as its container but needs little code once set up: drops this
/// process's page table entries for read-only file mappings holding only file pages (they stay
/// in the page cache, shared with the daemon and the other shims, and fault back in when
/// used), and returns freed heap to the kernel.
pub fn shed_pages() {
    for m in mappings().into_iter().filter(|m| m.droppable) {
        // SAFETY: the range is a whole, page-aligned, read-only private file mapping of this
        // process with no anonymous (copy-on-write) page in it, per /proc/self/smaps. Nothing
        // maps into it between the read and now (the shim is single-threaded). MADV_DONTNEED
        // on it only drops page table entries; later accesses (including returning into this
        // function's code) fault the same file bytes back in.
        unsafe {
            libc::madvise(
                m.start as *mut libc::c_void,
                m.end - m.start,
                libc::MADV_DONTNEED,
            );
        }
    }
    // SAFETY: malloc_trim has no preconditions; it only releases free heap pages.
    unsafe {
        libc::malloc_trim(0);
    }
}
