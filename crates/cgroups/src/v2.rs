//! cgroup v2: one directory in the unified tree.

#[derive(Debug)]
pub(crate) struct V2Cgroup {}
