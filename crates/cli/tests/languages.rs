//! uprobes on C++ and Rust programs (tests/progs/cpp_target.cpp,
//! rust_target.rs), whose symbols are mangled: `cpp:` matches them by
//! their demangled names, names each probe by its symbol as bpftrace does,
//! and reads typed `args` from their debug info.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use common::*;

/// The program `source` compiled by `compiler` with debug info, once.
fn build(cell: &'static OnceLock<String>, compiler: &str, source: &str, flags: &[&str]) -> String {
    cell.get_or_init(|| {
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/progs")
            .join(source);
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(source.split('.').next().expect("a file name"));
        let status = Command::new(compiler)
            .args(flags)
            .arg("-o")
            .arg(&out)
            .arg(&src)
            .status()
            .unwrap_or_else(|e| panic!("{compiler} runs: {e}"));
        assert!(status.success(), "compiling {source} failed");
        out.display().to_string()
    })
    .clone()
}

fn cpp_target() -> String {
    static CELL: OnceLock<String> = OnceLock::new();
    build(&CELL, "c++", "cpp_target.cpp", &["-O0", "-g"])
}

fn rust_target() -> String {
    static CELL: OnceLock<String> = OnceLock::new();
    build(
        &CELL,
        "rustc",
        "rust_target.rs",
        &["-g", "-C", "opt-level=0"],
    )
}

fn trace(script: &str, command: &str) -> String {
    let out = run(&["-e", script, "-c", command]);
    assert!(out.status.success(), "sonde failed: {}", stderr(&out));
    stdout(&out)
}

/// The mangled symbols `nm` shows for functions whose name contains `part`.
fn symbols(bin: &str, part: &str) -> Vec<String> {
    let out = Command::new("nm").arg(bin).output().unwrap();
    let mut found: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.rsplit(' ').next())
        .filter(|s| s.contains(part))
        .map(String::from)
        .collect();
    found.sort();
    found
}

#[test]
fn cpp_overloads_by_name_and_by_signature() {
    let bin = cpp_target();
    let [twice_double, twice_int] = &symbols(&bin, "5twice")[..] else {
        panic!("two overloads of geo::twice");
    };
    let out = trace(
        &format!(r#"uprobe:{bin}:cpp:geo::twice {{ @lang_calls[probe, func] = count(); }}"#),
        &format!("{bin} 3"),
    );
    assert_eq!(
        out,
        format!(
            "\n\n@lang_calls[uprobe:{bin}:cpp:{twice_double}, geo::twice(double)]: 3\n\
             @lang_calls[uprobe:{bin}:cpp:{twice_int}, geo::twice(int)]: 3\n"
        )
    );
    // One overload by its parameters; typed args from DWARF.
    let out = trace(
        &format!(
            r#"uprobe:{bin}:cpp:"geo::twice(int)" {{ @lang_sum = sum(args.v); }}
               uprobe:{bin}:cpp:geo::Point::scaled {{ @lang_by = sum(args.by); @lang_x = max(args.this->x); }}"#
        ),
        &format!("{bin} 4"),
    );
    assert_eq!(out, "\n\n@lang_by: 6\n@lang_sum: 6\n@lang_x: 7\n");
    assert_released("@lang_calls");
}

#[test]
fn cpp_functions_are_listed_demangled_with_their_arguments() {
    let bin = cpp_target();
    let out = run(&["-lv", &format!("uprobe:{bin}:cpp:geo::*")]);
    assert_eq!(
        stdout(&out),
        format!(
            "uprobe:{bin}:cpp:geo::Point::scaled(long)\n    struct Point* const this\n    long int by\n\
             uprobe:{bin}:cpp:geo::twice(double)\n    double v\n\
             uprobe:{bin}:cpp:geo::twice(int)\n    int v\n"
        )
    );
    // Without cpp:, names are the symbols as stored.
    let out = run(&["-l", &format!("uprobe:{bin}:*5twice*")]);
    let listed: Vec<String> = symbols(&bin, "5twice")
        .iter()
        .map(|s| format!("uprobe:{bin}:{s}\n"))
        .collect();
    assert_eq!(stdout(&out), listed.concat());
}

#[test]
fn rust_functions_by_demangled_path() {
    let bin = rust_target();
    let [area] = &symbols(&bin, "6shapes4area")[..] else {
        panic!("one rust_target::shapes::area");
    };
    let out = trace(
        &format!(
            r#"uprobe:{bin}:cpp:rust_target::shapes::area {{ @lang_area[probe, func] = sum(args.width * args.height); }}
               uretprobe:{bin}:cpp:rust_target::scale {{ @lang_scale = sum(retval); }}"#
        ),
        &format!("{bin} 3"),
    );
    // area(i, 2) for i = 0, 1, 2; scale(i) = 3i.
    assert_eq!(
        out,
        format!(
            "\n\n@lang_area[uprobe:{bin}:cpp:{area}, rust_target::shapes::area]: 6\n\
             @lang_scale: 9\n"
        )
    );
    let out = run(&["-lv", &format!("uprobe:{bin}:cpp:rust_target::s*")]);
    assert_eq!(
        stdout(&out),
        format!(
            "uprobe:{bin}:cpp:rust_target::scale\n    u64 value\n\
             uprobe:{bin}:cpp:rust_target::shapes::area\n    u64 width\n    u64 height\n"
        )
    );
    assert_released("@lang_area");
}
