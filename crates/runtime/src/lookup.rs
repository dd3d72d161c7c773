//! Finding the command inside the container (`exec.LookPath` semantics), run after
//! `pivot_root` so only the container's files are considered.

use std::os::unix::fs::PermissionsExt;

use crate::error::{ChildError, ChildErrorKind};

fn executable(path: &str) -> Option<bool> {
    let md = std::fs::metadata(path).ok()?;
    Some(!md.is_dir() && md.permissions().mode() & 0o111 != 0)
}

/// Resolve `cmd` against `path_env`. A name with a `/` is used as is (checked to exist).
pub fn look_path(cmd: &str, path_env: &str) -> Result<String, ChildError> {
    if cmd.contains('/') {
        return match std::fs::metadata(cmd) {
            Ok(md) if md.is_dir() => Err(ChildError {
                kind: ChildErrorKind::NotExecutable,
                step: format!("exec: \"{cmd}\": is a directory"),
                errno: 0,
            }),
            Ok(_) => Ok(cmd.to_string()),
            Err(e) => Err(ChildError {
                kind: ChildErrorKind::NotFound,
                step: format!("exec: \"{cmd}\": stat {cmd}: no such file or directory"),
                errno: {
                    let _ = e;
                    0
                },
            }),
        };
    }
    for dir in path_env.split(':') {
        let dir = if dir.is_empty() { "." } else { dir };
        let candidate = format!("{}/{cmd}", dir.trim_end_matches('/'));
        if executable(&candidate) == Some(true) {
            return Ok(candidate);
        }
    }
    Err(ChildError {
        kind: ChildErrorKind::NotFound,
        step: format!("exec: \"{cmd}\": executable file not found in $PATH"),
        errno: 0,
    })
}

/// Classify a failed `execve`.
pub fn exec_error(cmd: &str, errno: rustix::io::Errno) -> ChildError {
    use rustix::io::Errno;
    let (kind, what) = match errno {
        Errno::NOENT => (ChildErrorKind::NotFound, "no such file or directory"),
        Errno::ACCESS | Errno::PERM => (ChildErrorKind::NotExecutable, "permission denied"),
        Errno::NOEXEC => (ChildErrorKind::NotExecutable, "exec format error"),
        Errno::ISDIR => (ChildErrorKind::NotExecutable, "is a directory"),
        _ => (ChildErrorKind::Setup, ""),
    };
    if what.is_empty() {
        ChildError {
            kind,
            step: format!("exec {cmd}"),
            errno: errno.raw_os_error(),
        }
    } else {
        ChildError {
            kind,
            step: format!("exec: \"{cmd}\": {what}"),
            errno: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_lookup() {
        assert!(
            look_path("sh", "/nonexistent:/bin:/usr/bin")
                .unwrap()
                .ends_with("/sh")
        );
        let e = look_path("definitely-not-here", "/bin").unwrap_err();
        assert_eq!(e.kind, ChildErrorKind::NotFound);
        assert_eq!(
            e.to_string(),
            "exec: \"definitely-not-here\": executable file not found in $PATH"
        );
        assert_eq!(
            look_path("/", "").unwrap_err().kind,
            ChildErrorKind::NotExecutable
        );
    }
}
