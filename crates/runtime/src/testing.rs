//! Leak checks for tests of any crate: which of our programs and maps are
//! still loaded in the kernel.

use std::time::{Duration, Instant};

use sonde_sys::{loaded_maps, loaded_programs, MapInfo, ProgInfo};

/// Loaded programs whose name starts with `prefix`.
pub fn our_loaded_programs(prefix: &str) -> Vec<ProgInfo> {
    loaded_programs()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.name.starts_with(prefix))
        .collect()
}

/// Maps whose name starts with `prefix`.
pub fn our_loaded_maps(prefix: &str) -> Vec<MapInfo> {
    loaded_maps()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.name.starts_with(prefix))
        .collect()
}

/// Panic unless, within ten seconds (the kernel frees maps after an RCU
/// grace period), no program or map named with `prefix` remains.
pub fn assert_nothing_loaded(prefix: &str) {
    // Under load (other sessions closing perf events, which the kernel
    // serialises) the release can take seconds; a leak never ends.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let progs = our_loaded_programs(prefix);
        let maps = our_loaded_maps(prefix);
        if progs.is_empty() && maps.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still loaded: programs {progs:?}, maps {maps:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Tests on the real kernel find their objects by name, so two runs of the
/// same test at once (two checkouts testing side by side) would see each
/// other's maps. Holding this claim for the test's duration serialises the
/// runs of one name across processes; it is released when dropped.
pub fn claim(name: &str) -> std::fs::File {
    let safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let path = std::env::temp_dir().join(format!("sonde-test-{safe}.lock"));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    file.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
    file
}
