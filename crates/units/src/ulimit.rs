//! `--ulimit` values, as docker/go-units v0.5.0 parses them (`ulimit.go`).

use std::fmt;
use std::str::FromStr;

use crate::numparse::{NumError, parse_int};

/// A resource limit: `nofile=1024:2048` is soft 1024, hard 2048; `-1` is unlimited.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ulimit {
    pub name: String,
    pub hard: i64,
    pub soft: i64,
}

/// The raw `setrlimit` form of a [`Ulimit`] (`-1` becomes `u64::MAX`, RLIM_INFINITY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rlimit {
    /// The `RLIMIT_*` resource number on Linux.
    pub resource: u32,
    pub hard: u64,
    pub soft: u64,
}

/// Why a ulimit was refused. `Display` is go-units' message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UlimitError {
    #[error("invalid ulimit argument: {0}")]
    Argument(String),
    #[error("invalid ulimit type: {0}")]
    Type(String),
    #[error(transparent)]
    Number(#[from] NumError),
    #[error("too many limit value arguments - {0}, can only have up to two, `soft[:hard]`")]
    TooManyValues(String),
    #[error(
        "ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: {0}"
    )]
    UnlimitedSoft(i64),
    #[error("ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}")]
    SoftAboveHard { soft: i64, hard: i64 },
    /// `GetRlimit` on an unknown name.
    #[error("invalid ulimit name {0}")]
    Name(String),
}

/// The names `docker run --ulimit` accepts and their Linux `RLIMIT_*` numbers (`as` is
/// deliberately absent, as in go-units).
const RESOURCES: [(&str, u32); 15] = [
    ("core", 4),
    ("cpu", 0),
    ("data", 2),
    ("fsize", 1),
    ("locks", 10),
    ("memlock", 8),
    ("msgqueue", 12),
    ("nice", 13),
    ("nofile", 7),
    ("nproc", 6),
    ("rss", 5),
    ("rtprio", 14),
    ("rttime", 15),
    ("sigpending", 11),
    ("stack", 3),
];

fn resource(name: &str) -> Option<u32> {
    RESOURCES.iter().find(|(n, _)| *n == name).map(|&(_, r)| r)
}

impl Ulimit {
    /// go-units `ParseUlimit`: `name=soft[:hard]`; the hard limit defaults to the soft one.
    pub fn parse(val: &str) -> Result<Ulimit, UlimitError> {
        let Some((name, limits)) = val.split_once('=') else {
            return Err(UlimitError::Argument(val.to_string()));
        };
        if resource(name).is_none() {
            return Err(UlimitError::Type(name.to_string()));
        }
        let values: Vec<&str> = limits.split(':').collect();
        let (soft, hard) = match values[..] {
            // The hard limit is parsed (and reported) first.
            [soft, hard] => {
                let hard = parse_int(hard)?;
                (parse_int(soft)?, hard)
            }
            [soft] => {
                let soft = parse_int(soft)?;
                (soft, soft)
            }
            _ => return Err(UlimitError::TooManyValues(limits.to_string())),
        };
        if hard != -1 {
            if soft == -1 {
                return Err(UlimitError::UnlimitedSoft(hard));
            }
            if soft > hard {
                return Err(UlimitError::SoftAboveHard { soft, hard });
            }
        }
        Ok(Ulimit {
            name: name.to_string(),
            hard,
            soft,
        })
    }

    /// go-units `GetRlimit`.
    pub fn rlimit(&self) -> Result<Rlimit, UlimitError> {
        let resource = resource(&self.name).ok_or_else(|| UlimitError::Name(self.name.clone()))?;
        Ok(Rlimit {
            resource,
            hard: self.hard as u64,
            soft: self.soft as u64,
        })
    }
}

/// `name=soft:hard`
impl fmt::Display for Ulimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}:{}", self.name, self.soft, self.hard)
    }
}

impl FromStr for Ulimit {
    type Err = UlimitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ulimit::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(name: &str, soft: i64, hard: i64) -> Ulimit {
        Ulimit {
            name: name.to_string(),
            hard,
            soft,
        }
    }

    // go-units v0.5.0 ulimit_test.go.
    #[test]
    fn parse_valid() {
        assert_eq!(Ulimit::parse("nofile=512:1024"), Ok(u("nofile", 512, 1024)));
        assert_eq!(Ulimit::parse("nofile=1024"), Ok(u("nofile", 1024, 1024)));
        assert_eq!(Ulimit::parse("cpu=2:4"), Ok(u("cpu", 2, 4)));
        assert_eq!(Ulimit::parse("nofile=-1"), Ok(u("nofile", -1, -1)));
        assert_eq!(Ulimit::parse("nofile=1024:-1"), Ok(u("nofile", 1024, -1)));
        assert_eq!(Ulimit::parse("nofile=-1:-1"), Ok(u("nofile", -1, -1)));
    }

    #[test]
    fn parse_invalid() {
        let msg = |s: &str| Ulimit::parse(s).unwrap_err().to_string();
        assert_eq!(
            msg("notarealtype=1024:1024"),
            "invalid ulimit type: notarealtype"
        );
        assert_eq!(
            msg("nofile:1024:1024"),
            "invalid ulimit argument: nofile:1024:1024"
        );
        assert_eq!(msg("nofile"), "invalid ulimit argument: nofile");
        assert_eq!(
            msg("nofile="),
            r#"strconv.ParseInt: parsing "": invalid syntax"#
        );
        assert_eq!(
            msg("nofile=:"),
            r#"strconv.ParseInt: parsing "": invalid syntax"#
        );
        assert_eq!(
            msg("nofile=:1024"),
            r#"strconv.ParseInt: parsing "": invalid syntax"#
        );
        assert_eq!(
            msg("nofile=1024:1"),
            "ulimit soft limit must be less than or equal to hard limit: 1024 > 1"
        );
        assert_eq!(
            msg("nofile=-1:1024"),
            "ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 1024"
        );
        assert_eq!(
            msg("nofile=asdf"),
            r#"strconv.ParseInt: parsing "asdf": invalid syntax"#
        );
        assert_eq!(
            msg("nofile=1024:asdf"),
            r#"strconv.ParseInt: parsing "asdf": invalid syntax"#
        );
        assert_eq!(
            msg("nofile=x:y"),
            r#"strconv.ParseInt: parsing "y": invalid syntax"#
        );
        assert_eq!(
            msg("nofile=1024:1:50"),
            "too many limit value arguments - 1024:1:50, can only have up to two, `soft[:hard]`"
        );
        assert!(matches!(Ulimit::parse("as=1"), Err(UlimitError::Type(_))));
    }

    #[test]
    fn string_form() {
        assert_eq!(u("nofile", 512, 1024).to_string(), "nofile=512:1024");
    }

    #[test]
    fn rlimits() {
        let cases = [
            (u("core", 10, 12), 4),
            (u("cpu", 1, 10), 0),
            (u("data", 5, 0), 2),
            (u("fsize", 2, 2), 1),
            (u("locks", 0, 0), 10),
            (u("memlock", 10, 10), 8),
            (u("msgqueue", 9, 1), 12),
            (u("nice", 9, 9), 13),
            (u("nofile", 4, 100), 7),
            (u("nproc", 5, 5), 6),
            (u("rss", 0, 5), 5),
            (u("rtprio", 100, 65), 14),
            (u("rttime", 55, 102), 15),
            (u("sigpending", 14, 20), 11),
            (u("stack", 1, 1), 3),
        ];
        for (ulimit, resource) in cases {
            let r = ulimit.rlimit().unwrap();
            assert_eq!(
                (r.resource, r.soft, r.hard),
                (resource, ulimit.soft as u64, ulimit.hard as u64)
            );
        }
        let r = u("stack", -1, -1).rlimit().unwrap();
        assert_eq!((r.soft, r.hard), (u64::MAX, u64::MAX));
        assert_eq!(
            u("bla", 0, 0).rlimit().unwrap_err().to_string(),
            "invalid ulimit name bla"
        );
    }
}
