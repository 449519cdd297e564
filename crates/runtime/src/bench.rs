//! `--mode bench`: how many times in a row a `bench:` probe is run before
//! its time is reported, and what its runs sent back.
//!
//! As bpftrace does it: start with one run and grow the repeat count
//! (by 1000, 100, 10, then 2 times) until the runs together take at least
//! a millisecond, so that the kernel's average per run means something.

/// What a benchmark's programs sent while it ran: their output is dropped,
/// but `exit(code)` and `errorf()` decide whether it failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BenchStatus {
    pub exit_code: i32,
    pub errors: u32,
}

/// The repeat count for the next run after `iters` runs took `average_ns`
/// each, or `None` when together they took long enough to report.
pub(crate) fn next_iters(average_ns: u64, iters: u64) -> Option<u64> {
    let total = average_ns.saturating_mul(iters);
    let factor = match total {
        t if t < 1_000 => 1000,
        t if t < 10_000 => 100,
        t if t < 100_000 => 10,
        t if t < 1_000_000 => 2,
        _ => return None,
    };
    // The kernel takes a 32-bit repeat count.
    let next = iters.saturating_mul(factor).min(u64::from(u32::MAX));
    (next > iters).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_grow_until_a_millisecond() {
        assert_eq!(next_iters(0, 1), Some(1000));
        assert_eq!(next_iters(5, 1000), Some(100_000));
        assert_eq!(next_iters(5, 100_000), Some(200_000));
        assert_eq!(next_iters(5, 200_000), None);
        assert_eq!(next_iters(50, 1000), Some(10_000));
        assert_eq!(next_iters(2_000_000, 1), None);
        // A program too fast to measure stops at the kernel's limit.
        assert_eq!(next_iters(0, u64::from(u32::MAX)), None);
    }
}
