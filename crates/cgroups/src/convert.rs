//! Docker's flag conversions and v1 ↔ v2 unit conversions.

/// Default CFS period (µs) Docker uses for `--cpus`.
pub const DEFAULT_CPU_PERIOD: u64 = 100_000;

/// `--cpus 1.5` arrives as NanoCpus 1_500_000_000 → (quota 150000, period 100000).
pub fn nano_cpus_to_quota(nano_cpus: i64) -> (i64, u64) {
    let _ = nano_cpus;
    todo!()
}

/// v1 `cpu.shares` (2..=262144) → v2 `cpu.weight` (1..=10000); 0 means "unset" → 0.
pub fn shares_to_weight(shares: u64) -> u64 {
    let _ = shares;
    todo!()
}

/// v1 blkio weight (10..=1000) → v2 `io.weight` (1..=10000); 0 means unset.
pub fn blkio_weight_to_io_weight(weight: u16) -> u64 {
    let _ = weight;
    todo!()
}

/// OCI memory.swap (memory+swap, v1 semantics) → v2 `memory.swap.max` (swap only).
/// `Ok(None)` means leave unset, `Ok(Some(-1))` means "max".
pub fn swap_to_v2(
    swap: Option<i64>,
    limit: Option<i64>,
) -> Result<Option<i64>, crate::CgroupError> {
    let _ = (swap, limit);
    todo!()
}

/// Docker's `--memory` / `--memory-swap` pair → OCI `memory.swap`.
/// Docker: swap unset with a memory limit → twice the limit; `-1` → unlimited.
pub fn docker_memory_swap(memory: i64, memory_swap: i64) -> Option<i64> {
    let _ = (memory, memory_swap);
    todo!()
}
