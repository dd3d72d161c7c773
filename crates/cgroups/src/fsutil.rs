//! Reading and writing cgroup control files with errors that name the file.
