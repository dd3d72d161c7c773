//! cgroup v1 and v2 managers: create, limit, account, freeze, kill, remove
