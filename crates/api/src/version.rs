//! API versions: what wharf serves and how a request's version is negotiated.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

static GIT_COMMIT: OnceLock<&'static str> = OnceLock::new();

/// Records the commit the running binary was built from (set once by `main`).
pub fn set_git_commit(commit: &'static str) {
    let _ = GIT_COMMIT.set(commit);
}

/// The commit the running binary was built from; empty when unknown.
pub fn git_commit() -> &'static str {
    GIT_COMMIT.get().copied().unwrap_or("")
}

/// An API version `major.minor` (Docker only ever uses major 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    pub major: u16,
    pub minor: u16,
}

impl ApiVersion {
    pub const fn new(major: u16, minor: u16) -> Self {
        ApiVersion { major, minor }
    }

    /// The newest version wharf serves (what docker 28's CLI speaks).
    pub const MAX: ApiVersion = ApiVersion::new(1, 50);
    /// The oldest version wharf accepts, as the daemon's default minimum in Docker 25+.
    pub const MIN: ApiVersion = ApiVersion::new(1, 24);

    pub fn at_least(self, major: u16, minor: u16) -> bool {
        self >= ApiVersion::new(major, minor)
    }

    pub fn below(self, major: u16, minor: u16) -> bool {
        self < ApiVersion::new(major, minor)
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for ApiVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, b) = s
            .split_once('.')
            .ok_or_else(|| format!("invalid API version {s:?}"))?;
        let major = a
            .parse()
            .map_err(|_| format!("invalid API version {s:?}"))?;
        let minor = b
            .parse()
            .map_err(|_| format!("invalid API version {s:?}"))?;
        Ok(ApiVersion { major, minor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders_numerically() {
        let a: ApiVersion = "1.9".parse().unwrap();
        let b: ApiVersion = "1.41".parse().unwrap();
        assert!(a < b);
        assert_eq!(b.to_string(), "1.41");
        assert!("1".parse::<ApiVersion>().is_err());
        assert!("1.x".parse::<ApiVersion>().is_err());
    }
}
