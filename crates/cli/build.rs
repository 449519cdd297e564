//! Links the unwinder into the `sonde` binary, so that it needs no shared
//! library besides libc (a single file to copy onto a machine to trace it).
//!
//! On `*-linux-gnu`, Rust's std asks the linker for `libgcc_s.so.1`, the
//! shared copy of GCC's unwinder (`-lgcc_s`). `libgcc_eh.a` is the static
//! copy of the same unwinder, shipped with gcc next to the crt files every
//! link already needs. A native library of the crate being linked comes on
//! the linker's command line before the libraries of std, so the `_Unwind_*`
//! symbols are taken from `libgcc_eh.a` and `--as-needed` then leaves
//! `libgcc_s` out: the same result as gcc's `-static-libgcc`.
//!
//! libc stays shared. A static glibc takes `-C target-feature=+crt-static`,
//! which plain `cargo build` would also apply to proc-macro crates (they
//! cannot be static) unless every build named its target, and that moves the
//! binary out of `target/release/`.
//!
//! Only the link changes: no C is compiled, no file is generated.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    // A `+crt-static` build already links libgcc_eh (with a static libc);
    // musl and other targets have their own unwinder arrangements.
    let crt_static = features.split(',').any(|f| f == "crt-static");
    if os == "linux" && env == "gnu" && !crt_static {
        println!("cargo:rustc-link-lib=static=gcc_eh");
    }
}
