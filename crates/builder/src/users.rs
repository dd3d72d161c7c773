//! User and group names resolved through the image's own `/etc/passwd` and `/etc/group`, for
//! `USER` (who RUN steps run as) and `COPY/ADD --chown`.

use crate::fsview::LayerView;

/// A resolved RUN user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunUser {
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
}

struct Passwd {
    name: String,
    uid: u32,
    gid: u32,
}

struct Group {
    name: String,
    gid: u32,
    members: Vec<String>,
}

fn passwd(view: &LayerView) -> Vec<Passwd> {
    let data = view.read("/etc/passwd").unwrap_or_default();
    String::from_utf8_lossy(&data)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() >= 4).then_some(())?;
            Some(Passwd {
                name: f[0].to_string(),
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
            })
        })
        .collect()
}

fn groups(view: &LayerView) -> Vec<Group> {
    let data = view.read("/etc/group").unwrap_or_default();
    String::from_utf8_lossy(&data)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() >= 3).then_some(())?;
            Some(Group {
                name: f[0].to_string(),
                gid: f[2].parse().ok()?,
                members: f
                    .get(3)
                    .map(|m| {
                        m.split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// Resolves `USER user[:group]` as the runtime does: names through the image's files, numeric
/// ids as given (a uid without a passwd entry gets gid 0), supplementary groups from
/// `/etc/group`.
pub fn run_user(view: &LayerView, spec: &str) -> Result<RunUser, String> {
    if spec.is_empty() {
        return Ok(RunUser::default());
    }
    let (u, g) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let users = passwd(view);
    let entry = match u.parse::<u32>() {
        Ok(uid) => users.iter().find(|p| p.uid == uid),
        Err(_) => Some(users.iter().find(|p| p.name == u).ok_or_else(|| {
            format!("unable to find user {u}: no matching entries in passwd file")
        })?),
    };
    let uid = match u.parse::<u32>() {
        Ok(n) => n,
        Err(_) => entry.map(|p| p.uid).unwrap_or(0),
    };
    let grps = groups(view);
    let gid = match g {
        Some(g) => match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => grps
                .iter()
                .find(|x| x.name == g)
                .map(|x| x.gid)
                .ok_or_else(|| {
                    format!("unable to find group {g}: no matching entries in group file")
                })?,
        },
        None => entry.map(|p| p.gid).unwrap_or(0),
    };
    let name = entry.map(|p| p.name.as_str()).unwrap_or("");
    let additional_gids = if g.is_none() && !name.is_empty() {
        grps.iter()
            .filter(|x| x.gid != gid && x.members.iter().any(|m| m == name))
            .map(|x| x.gid)
            .collect()
    } else {
        Vec::new()
    };
    Ok(RunUser {
        uid,
        gid,
        additional_gids,
    })
}

/// Resolves `--chown=user[:group]` as dockerd's legacy builder: a missing group means the same
/// string as the user; names go through the image's files.
pub fn chown(view: &LayerView, spec: &str) -> Result<(u32, u32), String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (u, g) = match parts.as_slice() {
        [u] => (*u, *u),
        [u, g] => (*u, *g),
        _ => return Err(format!("invalid chown string format: {spec}")),
    };
    let uid = match u.parse::<u32>() {
        Ok(n) => n,
        Err(_) => passwd(view)
            .iter()
            .find(|p| p.name == u)
            .map(|p| p.uid)
            .ok_or_else(|| format!("unable to convert uid/gid chown string to host mapping: can't find uid for user {u}: no such user: {u}"))?,
    };
    let gid = match g.parse::<u32>() {
        Ok(n) => n,
        Err(_) => groups(view)
            .iter()
            .find(|x| x.name == g)
            .map(|x| x.gid)
            .ok_or_else(|| format!("unable to convert uid/gid chown string to host mapping: can't find gid for group {g}: no such group: {g}"))?,
    };
    Ok((uid, gid))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> (tempfile::TempDir, LayerView) {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("etc")).unwrap();
        std::fs::write(
            t.path().join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nwww:x:33:44::/var/www:/bin/false\n",
        )
        .unwrap();
        std::fs::write(
            t.path().join("etc/group"),
            "root:x:0:\nweb:x:44:\nextra:x:50:www\n",
        )
        .unwrap();
        let v = LayerView::new(vec![t.path().to_path_buf()]);
        (t, v)
    }

    #[test]
    fn run_users() {
        let (_t, v) = view();
        assert_eq!(run_user(&v, "").unwrap(), RunUser::default());
        let w = run_user(&v, "www").unwrap();
        assert_eq!((w.uid, w.gid, w.additional_gids), (33, 44, vec![50]));
        assert_eq!(run_user(&v, "1000").unwrap().gid, 0);
        assert_eq!(run_user(&v, "www:root").unwrap().gid, 0);
        assert!(
            run_user(&v, "nobody")
                .unwrap_err()
                .contains("unable to find user nobody")
        );
    }

    #[test]
    fn chown_specs() {
        let (_t, v) = view();
        assert_eq!(chown(&v, "10").unwrap(), (10, 10));
        assert_eq!(chown(&v, "www:web").unwrap(), (33, 44));
        assert_eq!(chown(&v, "5:web").unwrap(), (5, 44));
        assert!(chown(&v, "www").is_err());
        assert!(chown(&v, "a:b:c").is_err());
    }
}
