//! uid/gid remapping between a container's view and the host (user namespaces).

/// One contiguous range: container ids `container..container+size` are host ids
/// `host..host+size` (the format of `/proc/PID/uid_map`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdRange {
    pub container: u32,
    pub host: u32,
    pub size: u32,
}

/// uid and gid ranges. Applying a layer maps container ids to host ids; writing a layer maps
/// host ids back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdMap {
    pub uids: Vec<IdRange>,
    pub gids: Vec<IdRange>,
}

impl IdMap {
    pub fn uid_to_host(&self, id: u64) -> Option<u32> {
        map(&self.uids, id, |r| (r.container, r.host))
    }

    pub fn gid_to_host(&self, id: u64) -> Option<u32> {
        map(&self.gids, id, |r| (r.container, r.host))
    }

    pub fn uid_to_container(&self, id: u64) -> Option<u32> {
        map(&self.uids, id, |r| (r.host, r.container))
    }

    pub fn gid_to_container(&self, id: u64) -> Option<u32> {
        map(&self.gids, id, |r| (r.host, r.container))
    }
}

fn map(ranges: &[IdRange], id: u64, dir: impl Fn(&IdRange) -> (u32, u32)) -> Option<u32> {
    ranges.iter().find_map(|r| {
        let (from, to) = dir(r);
        let off = id.checked_sub(u64::from(from))?;
        if off < u64::from(r.size) {
            u32::try_from(u64::from(to) + off).ok()
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_both_ways_and_rejects_ids_outside_ranges() {
        let m = IdMap {
            uids: vec![IdRange {
                container: 0,
                host: 100_000,
                size: 65536,
            }],
            gids: vec![IdRange {
                container: 0,
                host: 200_000,
                size: 10,
            }],
        };
        assert_eq!(m.uid_to_host(0), Some(100_000));
        assert_eq!(m.uid_to_host(65535), Some(165_535));
        assert_eq!(m.uid_to_host(65536), None);
        assert_eq!(m.gid_to_host(9), Some(200_009));
        assert_eq!(m.gid_to_host(10), None);
        assert_eq!(m.uid_to_container(100_001), Some(1));
        assert_eq!(m.uid_to_container(99_999), None);
        assert_eq!(m.uid_to_host(u64::MAX), None);
    }
}
