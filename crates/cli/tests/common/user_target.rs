//! The C program user-space probe tests trace (tests/progs/user_target.c),
//! compiled once per test binary with the system's C compiler.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The compiled target, `-pie` unless `pie` is false.
pub fn user_target(pie: bool) -> String {
    static PIE: OnceLock<PathBuf> = OnceLock::new();
    static FIXED: OnceLock<PathBuf> = OnceLock::new();
    let cell = if pie { &PIE } else { &FIXED };
    cell.get_or_init(|| compile(pie)).display().to_string()
}

fn compile(pie: bool) -> PathBuf {
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/progs/user_target.c");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(if pie {
        "user_target_pie"
    } else {
        "user_target_fixed"
    });
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-O1", "-g", if pie { "-pie" } else { "-no-pie" }])
        .arg("-o")
        .arg(&out)
        .arg(&source)
        .status()
        .expect("a C compiler (cc) is installed: the user-space probe tests need one");
    assert!(status.success(), "compiling {} failed", source.display());
    out
}
