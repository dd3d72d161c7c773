//! Device cgroup rules: validation and the v1 `devices.allow` / `devices.deny` lines.

use crate::{CgroupError, LinuxDeviceCgroup};

/// A validated rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeviceRule {
    pub allow: bool,
    /// `a`, `c` or `b`.
    pub kind: char,
    pub major: Option<u32>,
    pub minor: Option<u32>,
    /// Subset of `rwm`, in that order.
    pub access: String,
}

impl DeviceRule {
    pub(crate) fn parse(d: &LinuxDeviceCgroup) -> Result<DeviceRule, CgroupError> {
        let invalid = |reason: String| CgroupError::InvalidResource {
            field: "devices",
            reason,
        };
        let kind = match d.kind.as_deref().unwrap_or("a") {
            "a" => 'a',
            "c" => 'c',
            "b" => 'b',
            other => return Err(invalid(format!("type {other:?} is not a, c or b"))),
        };
        let num = |v: Option<i64>, what: &str| match v {
            None | Some(-1) => Ok(None),
            Some(n) => u32::try_from(n)
                .map(Some)
                .map_err(|_| invalid(format!("{what} {n} out of range"))),
        };
        let access_in = d.access.as_deref().unwrap_or("rwm");
        if access_in.is_empty() || !access_in.chars().all(|c| "rwm".contains(c)) {
            return Err(invalid(format!(
                "access {access_in:?} is not a subset of rwm"
            )));
        }
        let access = "rwm".chars().filter(|c| access_in.contains(*c)).collect();
        Ok(DeviceRule {
            allow: d.allow,
            kind,
            major: num(d.major, "major")?,
            minor: num(d.minor, "minor")?,
            access,
        })
    }

    /// Whether this rule is "all devices, all access" (`a *:* rwm`).
    pub(crate) fn is_everything(&self) -> bool {
        self.kind == 'a' && self.major.is_none() && self.minor.is_none() && self.access == "rwm"
    }

    /// The v1 file to write (`devices.allow` / `devices.deny`) and the line.
    pub(crate) fn v1_line(&self) -> (&'static str, String) {
        let file = if self.allow {
            "devices.allow"
        } else {
            "devices.deny"
        };
        if self.kind == 'a' {
            // The kernel treats type `a` as every device whatever the numbers.
            return (file, "a".to_string());
        }
        let n = |v: Option<u32>| v.map_or("*".to_string(), |v| v.to_string());
        let line = format!(
            "{} {}:{} {}",
            self.kind,
            n(self.major),
            n(self.minor),
            self.access
        );
        (file, line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(
        allow: bool,
        kind: &str,
        major: Option<i64>,
        minor: Option<i64>,
        access: &str,
    ) -> LinuxDeviceCgroup {
        LinuxDeviceCgroup {
            allow,
            kind: Some(kind.into()),
            major,
            minor,
            access: Some(access.into()),
        }
    }

    #[test]
    fn lines() {
        let deny_all = DeviceRule::parse(&LinuxDeviceCgroup {
            allow: false,
            access: Some("rwm".into()),
            ..Default::default()
        })
        .unwrap();
        assert!(deny_all.is_everything());
        assert_eq!(deny_all.v1_line(), ("devices.deny", "a".into()));
        let null = DeviceRule::parse(&rule(true, "c", Some(1), Some(3), "wr")).unwrap();
        assert_eq!(null.v1_line(), ("devices.allow", "c 1:3 rw".into()));
        let pts = DeviceRule::parse(&rule(true, "c", Some(136), None, "rwm")).unwrap();
        assert_eq!(pts.v1_line(), ("devices.allow", "c 136:* rwm".into()));
    }

    #[test]
    fn rejects_bad_rules() {
        assert!(DeviceRule::parse(&rule(true, "x", None, None, "r")).is_err());
        assert!(DeviceRule::parse(&rule(true, "c", Some(1), Some(3), "rwx")).is_err());
        assert!(DeviceRule::parse(&rule(true, "c", Some(-5), Some(3), "r")).is_err());
        assert!(DeviceRule::parse(&rule(true, "c", Some(1), Some(3), "")).is_err());
    }
}
