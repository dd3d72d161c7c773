//! Entry names to safe relative paths.

/// Cleans a tar entry name (or hard link target) into a relative `/`-separated path with no
/// `.`, `..` or empty components; the empty result is the destination root itself.
///
/// As in Docker, an absolute name is taken relative to the destination, and `..` at the top of
/// an absolute name stays at the top (`/../etc` is `etc`). A relative name that climbs above
/// the root (`../etc`, `a/../../etc`) is refused.
pub(crate) fn clean(name: &[u8]) -> Result<Vec<u8>, &'static str> {
    let absolute = name.starts_with(b"/");
    let mut parts: Vec<&[u8]> = Vec::new();
    for comp in name.split(|&c| c == b'/') {
        match comp {
            b"" | b"." => {}
            b".." => {
                if parts.pop().is_none() && !absolute {
                    return Err("path escapes the destination root (\"..\")");
                }
            }
            c => parts.push(c),
        }
    }
    Ok(parts.join(&b'/'))
}

/// The aufs-style whiteout prefix used in layer tars.
pub(crate) const WHITEOUT_PREFIX: &[u8] = b".wh.";
/// Names starting with this are aufs metadata (`.wh..wh.plnk`, `.wh..wh.aufs`, ...).
pub(crate) const WHITEOUT_META_PREFIX: &[u8] = b".wh..wh.";
/// Marks its directory as opaque: nothing below it in lower layers is visible.
pub(crate) const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn cleans_like_docker() {
        let ok = |n: &str| String::from_utf8(clean(n.as_bytes()).unwrap()).unwrap();
        assert_eq!(ok("./usr/bin/ls"), "usr/bin/ls");
        assert_eq!(ok("usr//bin/./ls/"), "usr/bin/ls");
        assert_eq!(ok("/etc/passwd"), "etc/passwd");
        assert_eq!(ok("/../../etc/passwd"), "etc/passwd");
        assert_eq!(ok("a/b/../c"), "a/c");
        assert_eq!(ok("./"), "");
        assert_eq!(ok("."), "");
        assert!(clean(b"../etc/passwd").is_err());
        assert!(clean(b"a/../../etc").is_err());
        assert!(clean(b"./..").is_err());
    }
}
