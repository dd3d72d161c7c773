//! Detach keys: parsing `--detach-keys` (`ctrl-p,ctrl-q`, `a`, `DEL`) and spotting the sequence
//! in the input stream, with the exact semantics of moby's `term.NewEscapeProxy`.

/// ctrl-p ctrl-q.
pub const DEFAULT_KEYS: [u8; 2] = [16, 17];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetachKeysError {
    #[error("Unknown character: '{0}'")]
    Unknown(String),
}

/// moby's `term.ToBytes`: comma-separated keys, each a single character, `ctrl-@` … `ctrl-_`
/// (`ctrl-a` is 1) or `DEL`.
pub fn parse_keys(keys: &str) -> Result<Vec<u8>, DetachKeysError> {
    const CTRL: &[u8] = b"@abcdefghijklmnopqrstuvwxyz[\\]^_";
    let mut out = Vec::new();
    for key in keys.split(',') {
        if key.len() == 1 {
            out.push(key.as_bytes()[0]);
            continue;
        }
        if key == "DEL" {
            out.push(127);
            continue;
        }
        let code = key
            .strip_prefix("ctrl-")
            .filter(|c| c.len() == 1)
            .and_then(|c| CTRL.iter().position(|&b| b == c.as_bytes()[0]));
        match code {
            Some(c) => out.push(c as u8),
            None => return Err(DetachKeysError::Unknown(key.to_string())),
        }
    }
    Ok(out)
}

/// Watches input for the detach sequence. Bytes that may start the sequence are held back
/// until it is clear they do not; on a mismatch they are passed on (the mismatching byte is not
/// itself re-examined, as in moby).
#[derive(Debug, Clone)]
pub struct DetachMatcher {
    keys: Vec<u8>,
    pos: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Scan {
    /// Forward these bytes.
    Forward(Vec<u8>),
    /// The sequence was typed: forward these bytes (typed before it), then detach.
    Detach(Vec<u8>),
}

impl DetachMatcher {
    pub fn new(keys: Vec<u8>) -> DetachMatcher {
        DetachMatcher { keys, pos: 0 }
    }

    pub fn scan(&mut self, input: &[u8]) -> Scan {
        let mut out = Vec::with_capacity(input.len());
        if self.keys.is_empty() {
            out.extend_from_slice(input);
            return Scan::Forward(out);
        }
        for &b in input {
            if b == self.keys[self.pos] {
                self.pos += 1;
                if self.pos == self.keys.len() {
                    self.pos = 0;
                    return Scan::Detach(out);
                }
                continue;
            }
            out.extend_from_slice(&self.keys[..self.pos]);
            self.pos = 0;
            out.push(b);
        }
        Scan::Forward(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_like_moby() {
        assert_eq!(parse_keys("ctrl-p,ctrl-q").unwrap(), DEFAULT_KEYS);
        assert_eq!(
            parse_keys("ctrl-@,a,DEL,ctrl-_").unwrap(),
            vec![0, b'a', 127, 31]
        );
        assert_eq!(
            parse_keys("ctrl-P").unwrap_err().to_string(),
            "Unknown character: 'ctrl-P'"
        );
        assert_eq!(
            parse_keys("ctrl-a,").unwrap_err().to_string(),
            "Unknown character: ''"
        );
    }

    #[test]
    fn the_sequence_detaches_even_across_reads() {
        let mut m = DetachMatcher::new(DEFAULT_KEYS.to_vec());
        assert_eq!(m.scan(b"ls\x10"), Scan::Forward(b"ls".to_vec()));
        assert_eq!(m.scan(b"\x11rest"), Scan::Detach(vec![]));
        let mut m = DetachMatcher::new(DEFAULT_KEYS.to_vec());
        assert_eq!(m.scan(b"echo\x10\x11"), Scan::Detach(b"echo".to_vec()));
    }

    #[test]
    fn held_bytes_are_released_on_a_mismatch() {
        let mut m = DetachMatcher::new(DEFAULT_KEYS.to_vec());
        assert_eq!(m.scan(b"\x10"), Scan::Forward(vec![]));
        assert_eq!(m.scan(b"x"), Scan::Forward(b"\x10x".to_vec()));
        // As in moby, the byte that broke a partial match is not re-examined: ^P^P^Q does not
        // detach.
        let mut m = DetachMatcher::new(DEFAULT_KEYS.to_vec());
        assert_eq!(
            m.scan(b"\x10\x10\x11"),
            Scan::Forward(b"\x10\x10\x11".to_vec())
        );
    }

    #[test]
    fn empty_keys_forward_everything() {
        let mut m = DetachMatcher::new(vec![]);
        assert_eq!(m.scan(b"\x10\x11"), Scan::Forward(b"\x10\x11".to_vec()));
    }
}
