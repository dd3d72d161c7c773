//! Digest validation as go-digest v1.0.0 (`digest.Parse`) does it for Docker.
//!
//! Docker's binaries link `crypto/sha256` and `crypto/sha512`, so go-digest has sha256, sha384
//! and sha512 available: exactly the algorithms `wharf_digest::Digest` accepts.

use wharf_digest::Digest;

use crate::ReferenceError;

/// Validates a string that already matched the reference grammar's digest production, returning
/// go-digest's error for the first rule it breaks.
pub(crate) fn validate(s: &str) -> Result<Digest, ReferenceError> {
    let Some((algorithm, encoded)) = s
        .split_once(':')
        .filter(|(a, e)| !a.is_empty() && !e.is_empty())
    else {
        return Err(ReferenceError::ChecksumFormat);
    };
    let hex_len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ if matches_go_digest_regexp(s) => return Err(ReferenceError::UnsupportedAlgorithm),
        _ => return Err(ReferenceError::ChecksumFormat),
    };
    if encoded.len() != hex_len {
        return Err(ReferenceError::ChecksumLength);
    }
    if !encoded
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(ReferenceError::ChecksumFormat);
    }
    s.parse().map_err(|_| ReferenceError::ChecksumFormat)
}

/// go-digest's anchored `DigestRegexp`: `[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`.
fn matches_go_digest_regexp(s: &str) -> bool {
    let Some((algorithm, encoded)) = s.split_once(':') else {
        return false;
    };
    let component = |c: &[u8]| {
        !c.is_empty()
            && c.iter()
                .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    algorithm
        .as_bytes()
        .split(|&b| matches!(b, b'.' | b'+' | b'_' | b'-'))
        .all(component)
        && !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const F64: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

    #[test]
    fn go_digest_errors() {
        assert_eq!(
            validate(&format!("sha256:{}", &F64[..34])),
            Err(ReferenceError::ChecksumLength)
        );
        assert_eq!(
            validate(&format!("invaliddigest:{F64}")),
            Err(ReferenceError::UnsupportedAlgorithm)
        );
        assert_eq!(
            validate(&format!("SHA256:{F64}")),
            Err(ReferenceError::ChecksumFormat)
        );
        assert_eq!(
            validate(&format!("sha256:{}", F64.to_uppercase())),
            Err(ReferenceError::ChecksumFormat)
        );
        assert!(validate(&format!("sha512:{F64}{F64}")).is_ok());
        assert!(validate(&format!("sha384:{F64}{}", &F64[..32])).is_ok());
        assert_eq!(
            validate(&format!("sha256:{F64}")).unwrap().as_str(),
            format!("sha256:{F64}")
        );
    }
}
