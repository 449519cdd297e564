//! The C program user-space probe tests trace (tests/progs/user_target.c),
//! compiled once per test binary with the system's C compiler.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The compiled target, `-pie` unless `pie` is false.
pub fn user_target(pie: bool) -> String {
    static PIE: OnceLock<PathBuf> = OnceLock::new();
    static FIXED: OnceLock<PathBuf> = OnceLock::new();
    let cell = if pie { &PIE } else { &FIXED };
    cell.get_or_init(|| compile(pie)).display().to_string()
}

/// The target compiled with `-gsplit-dwarf` and `flags` in `dir` (made
/// anew), as `dir/user_target`: its entries go to a `.dwo` file in `dir`.
pub fn user_target_split_dwarf(dir: &Path, flags: &[&str]) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .current_dir(dir)
        .args(["-O0", "-g", "-gsplit-dwarf", "-o", "user_target"])
        .args(flags)
        .arg(source())
        .status()
        .expect("a C compiler (cc) is installed: the user-space probe tests need one");
    assert!(status.success(), "compiling with -gsplit-dwarf failed");
    dir.join("user_target")
}

/// `tests/progs/NAME` compiled with `flags` (libraries included) into `out`.
pub fn compile_c(name: &str, out: &Path, flags: &[&str]) {
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/progs")
        .join(name);
    // Flags after the source, so that libraries (-l) come after what uses them.
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .arg("-o")
        .arg(out)
        .arg(&source)
        .args(flags)
        .status()
        .expect("a C compiler (cc) is installed: the user-space probe tests need one");
    assert!(status.success(), "compiling {} failed", source.display());
}

fn source() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/progs/user_target.c")
}

fn compile(pie: bool) -> PathBuf {
    let source = source();
    // One copy per test binary: binaries never race for the file.
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "user_target_{}_{}",
        env!("CARGO_CRATE_NAME"),
        if pie { "pie" } else { "fixed" }
    ));
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        // -O0 keeps frame pointers in every function, so user stacks unwind.
        .args(["-O0", "-g", if pie { "-pie" } else { "-no-pie" }])
        .arg("-o")
        .arg(&out)
        .arg(&source)
        .status()
        .expect("a C compiler (cc) is installed: the user-space probe tests need one");
    assert!(status.success(), "compiling {} failed", source.display());
    out
}

/// The library of USDT probes (tests/progs/usdt_lib.c) and a program
/// linked with it (lib_main.c), built once: their paths.
pub fn library() -> (String, String) {
    static BUILT: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("usdt_library");
            std::fs::create_dir_all(&dir).unwrap();
            let lib = dir.join("libsonde_usdt.so");
            compile_c("usdt_lib.c", &lib, &["-O0", "-g", "-shared", "-fPIC"]);
            let main = dir.join("lib_main");
            let link = format!("-L{}", dir.display());
            let rpath = format!("-Wl,-rpath,{}", dir.display());
            compile_c(
                "lib_main.c",
                &main,
                &["-O0", "-g", &link, &rpath, "-lsonde_usdt"],
            );
            (lib.display().to_string(), main.display().to_string())
        })
        .clone()
}
