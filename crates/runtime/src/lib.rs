//! OCI runtime: spec types, the built-in executor, and external runtimes (runc, crun)
