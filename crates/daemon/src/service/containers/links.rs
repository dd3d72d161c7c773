//! Legacy links as names: a link `/target:/parent/alias` also names its target
//! `/parent/alias` (in `ps`), and `DELETE /containers/parent/alias?link=1` removes it.

use std::collections::HashMap;
use std::sync::Arc;

use super::lifecycle::persist;
use super::record::ContainerRecord;
use crate::engine::Engine;
use crate::error::ApiError;

/// Per target container name, the link names other containers gave it.
pub fn names_by_target(recs: &[ContainerRecord]) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for rec in recs {
        for l in rec.host_config.links.iter().flatten() {
            if let Some((target, name)) = l.split_once(':') {
                out.entry(target.to_string())
                    .or_default()
                    .push(name.to_string());
            }
        }
    }
    out
}

/// Removes the link `parent/alias` from `parent`'s record and, when it runs, from the
/// names its DNS answers. The linked container itself stays.
pub async fn remove(e: &Arc<Engine>, parent: &str, alias: &str) -> Result<(), ApiError> {
    let no_such = || ApiError::not_found(format!("No such container: {parent}/{alias}"));
    let c = e.containers.get(parent).map_err(|_| no_such())?;
    let link_name = format!("{}/{alias}", c.lock().name);
    let removed = {
        let mut r = c.lock();
        let links = r.host_config.links.get_or_insert_default();
        let before = links.len();
        links.retain(|l| l.split_once(':').map(|(_, n)| n) != Some(link_name.as_str()));
        before != links.len()
    };
    if !removed {
        return Err(no_such());
    }
    if let Some(sb) = e.networks.state().sandboxes.get_mut(&c.id) {
        sb.links.retain(|(a, _)| a != alias);
    }
    persist(e, &c).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_names_are_grouped_by_target() {
        let rec = |name: &str, links: &[&str]| -> ContainerRecord {
            serde_json::from_value(serde_json::json!({
                "id": name, "name": name, "created": "", "path": "sh", "args": [],
                "config": {}, "host_config": {"Links": links}, "image": "",
                "snapshot": "", "driver": "", "mounts": [], "runtime": "",
                "state": {"status": "created", "pid": 0, "exit_code": 0, "error": "",
                          "started_at": "", "finished_at": ""},
                "restart_count": 0
            }))
            .unwrap()
        };
        let m = names_by_target(&[
            rec("/a", &["/db:/a/database"]),
            rec("/b", &["/db:/b/db", "/web:/b/w"]),
        ]);
        assert_eq!(m["/db"], vec!["/a/database", "/b/db"]);
        assert_eq!(m["/web"], vec!["/b/w"]);
    }
}
