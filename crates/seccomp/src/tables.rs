//! Syscall name → number tables, generated (see tools/gen_tables.py).
