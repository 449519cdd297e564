//! CPU numbering: how many per-CPU slots a map value has (possible CPUs)
//! and where per-CPU timers go (online CPUs).

use std::sync::OnceLock;

use crate::{Error, Result};

const POSSIBLE: &str = "/sys/devices/system/cpu/possible";
const ONLINE: &str = "/sys/devices/system/cpu/online";

/// Parse a kernel CPU list such as `0-3,8,10-11`.
pub fn parse_cpu_list(text: &str) -> Option<Vec<u32>> {
    let mut cpus = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((lo, hi)) => {
                let (lo, hi): (u32, u32) = (lo.parse().ok()?, hi.parse().ok()?);
                if lo > hi || hi - lo > 1 << 16 {
                    return None;
                }
                cpus.extend(lo..=hi);
            }
            None => cpus.push(part.parse().ok()?),
        }
    }
    (!cpus.is_empty()).then_some(cpus)
}

fn read_cpu_list(path: &str) -> Result<Vec<u32>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::from_io(format!("read {path}"), &e))?;
    parse_cpu_list(&text).ok_or_else(|| {
        Error::invalid(
            format!("read {path}"),
            format!("cannot parse `{}`", text.trim()),
        )
    })
}

/// The number of per-CPU slots in a per-CPU map value: the highest possible
/// CPU plus one (never fewer than the kernel's count of possible CPUs, so a
/// buffer of this many slots is always large enough). Read once.
pub fn possible_cpus() -> Result<usize> {
    static SLOTS: OnceLock<std::result::Result<usize, Error>> = OnceLock::new();
    SLOTS
        .get_or_init(|| {
            read_cpu_list(POSSIBLE).map(|cpus| cpus.iter().max().map_or(1, |&m| m as usize + 1))
        })
        .clone()
}

/// The CPUs online now, in increasing order.
pub fn online_cpus() -> Result<Vec<u32>> {
    read_cpu_list(ONLINE)
}

/// Bytes of one CPU's slot in a per-CPU value: the value size rounded up to 8.
pub fn percpu_stride(value_size: u32) -> usize {
    (value_size as usize).next_multiple_of(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_and_singletons() {
        assert_eq!(
            parse_cpu_list("0-3,8,10-11\n"),
            Some(vec![0, 1, 2, 3, 8, 10, 11])
        );
        assert_eq!(parse_cpu_list("0"), Some(vec![0]));
        assert_eq!(parse_cpu_list(""), None);
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list("x"), None);
    }

    #[test]
    fn stride_rounds_to_eight() {
        assert_eq!(percpu_stride(1), 8);
        assert_eq!(percpu_stride(8), 8);
        assert_eq!(percpu_stride(12), 16);
    }

    #[test]
    fn this_machine_has_cpus() {
        let online = online_cpus().unwrap();
        assert!(possible_cpus().unwrap() >= online.len());
    }
}
