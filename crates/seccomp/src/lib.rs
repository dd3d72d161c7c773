//! Seccomp: Docker's default profile compiled to BPF and loaded into a process
