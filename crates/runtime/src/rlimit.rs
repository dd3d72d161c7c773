//! Rlimit names and clamping to the caller's hard limits.
//!
//! Without `CAP_SYS_RESOURCE` a process cannot raise a hard limit, so a limit above the current
//! hard limit is lowered to it and a warning is returned rather than failing the container.

use rustix::process::{Resource, getrlimit};

use crate::spec::Rlimit;

const NAMES: [(&str, Resource); 16] = [
    ("RLIMIT_CPU", Resource::Cpu),
    ("RLIMIT_FSIZE", Resource::Fsize),
    ("RLIMIT_DATA", Resource::Data),
    ("RLIMIT_STACK", Resource::Stack),
    ("RLIMIT_CORE", Resource::Core),
    ("RLIMIT_RSS", Resource::Rss),
    ("RLIMIT_NPROC", Resource::Nproc),
    ("RLIMIT_NOFILE", Resource::Nofile),
    ("RLIMIT_MEMLOCK", Resource::Memlock),
    ("RLIMIT_AS", Resource::As),
    ("RLIMIT_LOCKS", Resource::Locks),
    ("RLIMIT_SIGPENDING", Resource::Sigpending),
    ("RLIMIT_MSGQUEUE", Resource::Msgqueue),
    ("RLIMIT_NICE", Resource::Nice),
    ("RLIMIT_RTPRIO", Resource::Rtprio),
    ("RLIMIT_RTTIME", Resource::Rttime),
];

/// `nofile` / `RLIMIT_NOFILE` → `RLIMIT_NOFILE`.
pub fn normalize(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    let full = if upper.starts_with("RLIMIT_") {
        upper
    } else {
        format!("RLIMIT_{upper}")
    };
    NAMES.iter().find(|(n, _)| *n == full).map(|(n, _)| *n)
}

/// The rustix resource for a spec rlimit type.
pub fn resource(name: &str) -> Option<Resource> {
    let n = normalize(name)?;
    NAMES.iter().find(|(x, _)| *x == n).map(|(_, r)| *r)
}

/// One limit ready to apply.
#[derive(Debug, Clone, Copy)]
pub struct Planned {
    pub resource: Resource,
    pub soft: u64,
    pub hard: u64,
}

/// Clamp each limit to this process's current hard limit. Unknown names are errors.
/// Returns the limits to apply and a warning for each one that was lowered.
pub fn plan(limits: &[Rlimit]) -> Result<(Vec<Planned>, Vec<String>), String> {
    let mut out = Vec::with_capacity(limits.len());
    let mut warnings = Vec::new();
    for l in limits {
        let resource = resource(&l.typ).ok_or_else(|| l.typ.clone())?;
        let max = getrlimit(resource).maximum.unwrap_or(u64::MAX);
        let hard = l.hard.min(max);
        let soft = l.soft.min(hard);
        if hard != l.hard || soft != l.soft {
            warnings.push(format!(
                "{}: {}:{} exceeds the hard limit {max}; clamped to {soft}:{hard}",
                l.typ, l.soft, l.hard
            ));
        }
        out.push(Planned {
            resource,
            soft,
            hard,
        });
    }
    Ok((out, warnings))
}

/// Clamp the rlimits in place (used before handing a spec to an external runtime).
pub fn clamp_in_place(limits: &mut [Rlimit]) -> Result<Vec<String>, String> {
    let (planned, warnings) = plan(limits)?;
    for (l, p) in limits.iter_mut().zip(planned) {
        l.soft = p.soft;
        l.hard = p.hard;
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_to_hard_limit() {
        let hard = getrlimit(Resource::Nofile).maximum.unwrap_or(u64::MAX);
        let mut l = vec![Rlimit {
            typ: "RLIMIT_NOFILE".into(),
            soft: u64::MAX,
            hard: u64::MAX,
        }];
        let w = clamp_in_place(&mut l).unwrap();
        if hard != u64::MAX {
            assert_eq!(l[0].hard, hard);
            assert_eq!(l[0].soft, hard);
            assert_eq!(w.len(), 1);
        }
        assert_eq!(normalize("nofile"), Some("RLIMIT_NOFILE"));
        assert!(
            plan(&[Rlimit {
                typ: "RLIMIT_BOGUS".into(),
                soft: 1,
                hard: 1
            }])
            .is_err()
        );
    }
}
