//! The `sonde` file itself, as it is copied onto a machine to trace it: it
//! needs no shared library but libc, and a release build stays small.

mod common;

use object::elf;
use object::read::elf::{Dyn, FileHeader};

/// The libraries the dynamic linker must load for the binary (DT_NEEDED).
fn needed_libraries(data: &[u8]) -> Vec<String> {
    let header = elf::FileHeader64::<object::Endianness>::parse(data).expect("an ELF64 file");
    let endian = header.endian().expect("a known byte order");
    let sections = header.sections(endian, data).expect("a section table");
    let Some((dynamic, strings_index)) = sections.dynamic(endian, data).expect("readable") else {
        return Vec::new();
    };
    let strings = sections
        .strings(endian, data, strings_index)
        .expect("the dynamic string table");
    dynamic
        .iter()
        .filter(|entry| entry.tag(endian) == elf::DT_NEEDED)
        .map(|entry| {
            let name = entry.string(endian, strings).expect("a library name");
            String::from_utf8_lossy(name).into_owned()
        })
        .collect()
}

#[test]
fn needs_no_shared_library_but_libc() {
    let data = std::fs::read(common::sonde_path()).expect("the sonde binary is readable");
    assert_eq!(needed_libraries(&data), ["libc.so.6"]);
}

// A debug build (about 60 MB of unoptimised code) is not what is shipped;
// the gate runs `cargo test --release`, which measures the release binary.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "measures the release binary: run with --release"
)]
fn a_release_binary_is_under_15_mb() {
    let size = std::fs::metadata(common::sonde_path())
        .expect("the sonde binary exists")
        .len();
    assert!(size < 15 * 1024 * 1024, "sonde is {size} bytes");
}
