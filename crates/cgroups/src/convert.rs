//! Docker's flag conversions and v1 ↔ v2 unit conversions.

use crate::CgroupError;

/// Default CFS period (µs) Docker uses for `--cpus`.
pub const DEFAULT_CPU_PERIOD: u64 = 100_000;

/// `--cpus 1.5` arrives as NanoCpus 1_500_000_000 → (quota 150000, period 100000),
/// as dockerd computes it: quota = nano_cpus * period / 1e9.
pub fn nano_cpus_to_quota(nano_cpus: i64) -> (i64, u64) {
    let period = DEFAULT_CPU_PERIOD;
    let quota = (i128::from(nano_cpus) * i128::from(period) / 1_000_000_000) as i64;
    (quota, period)
}

/// v1 `cpu.shares` (2..=262144) → v2 `cpu.weight` (1..=10000); 0 means "unset" → 0.
///
/// This is the mapping current runc (opencontainers/cgroups) and crun use: a
/// quadratic in log2(shares) that maps 2 → 1, 1024 (the default) → 100 (the v2
/// default) and 262144 → 10000. The older linear `1 + (shares - 2) * 9999 / 262142`
/// mapped the default 1024 to 39, giving containers less than their fair share;
/// [`shares_to_weight_linear`] keeps it for comparison.
pub fn shares_to_weight(shares: u64) -> u64 {
    match shares {
        0 => 0,
        1..=2 => 1,
        262_144.. => 10_000,
        s => {
            let l = (s as f64).log2();
            let exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
            10f64.powf(exponent).ceil() as u64
        }
    }
}

/// The pre-2025 linear runc/crun mapping (`1 + (shares - 2) * 9999 / 262142`).
pub fn shares_to_weight_linear(shares: u64) -> u64 {
    match shares {
        0 => 0,
        s => 1 + (s.clamp(2, 262_144) - 2) * 9999 / 262_142,
    }
}

/// v1 blkio weight (10..=1000) → v2 `io.weight` (1..=10000); 0 means unset.
pub fn blkio_weight_to_io_weight(weight: u16) -> u64 {
    match weight {
        0 => 0,
        w => 1 + (u64::from(w.max(10)) - 10) * 9999 / 990,
    }
}

/// OCI memory.swap (memory+swap, v1 semantics) → v2 `memory.swap.max` (swap only).
/// `Ok(None)` means leave unset, `Ok(Some(-1))` means "max". Same rules as runc.
pub fn swap_to_v2(swap: Option<i64>, limit: Option<i64>) -> Result<Option<i64>, CgroupError> {
    let invalid = |reason: &str| CgroupError::InvalidResource {
        field: "memory.swap",
        reason: reason.to_string(),
    };
    let memory = limit.unwrap_or(0);
    match swap.unwrap_or(0) {
        // Unlimited memory and no swap setting: unlimited swap too.
        0 if memory == -1 => Ok(Some(-1)),
        0 => Ok(None),
        -1 => Ok(Some(-1)),
        s if s < -1 => Err(invalid("must be -1 or positive")),
        s if memory == -1 => Ok(Some(s)),
        _ if memory == 0 => Err(invalid("cannot set a swap limit without a memory limit")),
        _ if memory < 0 => Err(invalid("memory limit must be -1 or positive")),
        s if s < memory => Err(invalid("memory+swap limit must be >= the memory limit")),
        s => Ok(Some(s - memory)),
    }
}

/// Docker's `--memory` / `--memory-swap` pair → OCI `memory.swap`, as dockerd does:
/// `--memory-swap` unset (0) with a memory limit → twice the limit; `-1` → unlimited;
/// no memory limit → unset.
pub fn docker_memory_swap(memory: i64, memory_swap: i64) -> Option<i64> {
    match (memory, memory_swap) {
        (m, 0) if m > 0 => Some(2 * m),
        (_, -1) => Some(-1),
        (_, 0) => None,
        (_, s) => Some(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpus() {
        assert_eq!(nano_cpus_to_quota(1_500_000_000), (150_000, 100_000));
        assert_eq!(nano_cpus_to_quota(10_000_000), (1_000, 100_000));
    }

    #[test]
    fn shares() {
        assert_eq!(shares_to_weight(0), 0);
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(1024), 100);
        assert_eq!(shares_to_weight(262_144), 10_000);
        assert!(shares_to_weight(512) < 100 && shares_to_weight(2048) > 100);
        // The linear formula from the brief, for the record.
        assert_eq!(shares_to_weight_linear(2), 1);
        assert_eq!(shares_to_weight_linear(1024), 39);
        assert_eq!(shares_to_weight_linear(262_144), 10_000);
    }

    #[test]
    fn blkio() {
        assert_eq!(blkio_weight_to_io_weight(0), 0);
        assert_eq!(blkio_weight_to_io_weight(10), 1);
        assert_eq!(blkio_weight_to_io_weight(500), 4950);
        assert_eq!(blkio_weight_to_io_weight(1000), 10_000);
    }

    #[test]
    fn swap() {
        let m = 100 << 20;
        assert_eq!(swap_to_v2(None, None).unwrap(), None);
        assert_eq!(swap_to_v2(None, Some(-1)).unwrap(), Some(-1));
        assert_eq!(swap_to_v2(Some(-1), Some(m)).unwrap(), Some(-1));
        assert_eq!(swap_to_v2(Some(2 * m), Some(m)).unwrap(), Some(m));
        assert_eq!(swap_to_v2(Some(m), Some(m)).unwrap(), Some(0));
        assert!(swap_to_v2(Some(m), None).is_err());
        assert!(swap_to_v2(Some(m / 2), Some(m)).is_err());
        assert_eq!(docker_memory_swap(m, 0), Some(2 * m));
        assert_eq!(docker_memory_swap(m, -1), Some(-1));
        assert_eq!(docker_memory_swap(0, 0), None);
        assert_eq!(docker_memory_swap(m, 3 * m), Some(3 * m));
    }
}
