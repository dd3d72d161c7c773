//! Docker's human units: sizes, durations, "x minutes ago", timestamps for --since/--until
