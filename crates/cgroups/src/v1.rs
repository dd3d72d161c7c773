//! cgroup v1: one directory per mounted hierarchy.

#[derive(Debug)]
pub(crate) struct V1Cgroup {}
