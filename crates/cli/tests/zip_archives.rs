//! uprobes on a library stored in a zip archive (`app.zip!/lib/libx.so`),
//! mapped straight from the archive as Android maps an APK's libraries:
//! the probe goes on the archive at the entry's offset.

mod common;

use std::path::PathBuf;

use common::user_target::compile_c;
use common::*;

/// CRC-32 (IEEE), which every zip entry carries.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip archive of `entries` (name, method, bytes) and where each
/// entry's bytes start. Method 0 stores; any other is only declared.
fn zip(entries: &[(&str, u16, &[u8])]) -> (Vec<u8>, Vec<u64>) {
    let (mut out, mut directory, mut starts) = (Vec::new(), Vec::new(), Vec::new());
    for (name, method, bytes) in entries {
        let header = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend(method.to_le_bytes());
            v.extend([0; 4]); // time, date
            v.extend(crc32(bytes).to_le_bytes());
            v.extend((bytes.len() as u32).to_le_bytes());
            v.extend((bytes.len() as u32).to_le_bytes());
            v.extend((name.len() as u16).to_le_bytes());
        };
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend([20, 0, 0, 0]);
        common(&mut out);
        out.extend(0u16.to_le_bytes());
        out.extend(name.as_bytes());
        starts.push(out.len() as u64);
        out.extend(*bytes);
        directory.extend(0x0201_4b50u32.to_le_bytes());
        directory.extend([20, 3, 20, 0, 0, 0]);
        common(&mut directory);
        directory.extend([0; 12]);
        directory.extend(header.to_le_bytes());
        directory.extend(name.as_bytes());
    }
    let (start, size) = (out.len() as u32, directory.len() as u32);
    out.extend(directory);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0; 4]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend(size.to_le_bytes());
    out.extend(start.to_le_bytes());
    out.extend([0; 2]);
    (out, starts)
}

struct Fixture {
    archive: PathBuf,
    runner: PathBuf,
    /// Where zipped_add is in the archive.
    function: u64,
}

/// Built once per run: the tests share it.
fn fixture() -> &'static Fixture {
    static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(build)
}

fn build() -> Fixture {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zip_archives");
    std::fs::create_dir_all(&dir).unwrap();
    let lib = dir.join("libzipped.so");
    compile_c("zipped.c", &lib, &["-O2", "-fPIC", "-shared", "-nostdlib"]);
    let runner = dir.join("zip_runner");
    compile_c("zip_runner.c", &runner, &["-O0"]);
    let bytes = std::fs::read(&lib).unwrap();
    // Another entry first, so the library does not start the archive.
    let (archive_bytes, starts) = zip(&[
        ("README", 0, b"not a library\n"),
        ("lib/x86_64/libzipped.so", 0, &bytes),
        ("lib/deflated.so", 8, &bytes),
    ]);
    let archive = dir.join("app.zip");
    std::fs::write(&archive, archive_bytes).unwrap();
    Fixture {
        function: starts[1] + symbol_address(&lib, "zipped_add"),
        archive,
        runner,
    }
}

#[test]
fn uprobes_on_a_library_stored_in_an_archive() {
    let f = fixture();
    let lib = format!("{}!/lib/x86_64/libzipped.so", f.archive.display());
    let command = format!(
        "{} {} {} 5",
        f.runner.display(),
        f.archive.display(),
        f.function
    );
    let out = run(&[
        "-e",
        &format!(
            r#"uprobe:"{lib}":zipped_add {{ @zip_calls = count(); @zip_args = sum(arg0 + arg1); }}
               uretprobe:"{lib}":zipped_add {{ @zip_ret = sum(retval); }}"#
        ),
        "-c",
        &command,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // zipped_add(i, 2i) for i in 0..5 returns 3i: 0 + 3 + 6 + 9 + 12.
    assert_eq!(
        stdout(&out),
        "30\n\n\n@zip_args: 30\n@zip_calls: 5\n@zip_ret: 30\n"
    );
    assert_eq!(stderr(&out), "Attached 2 probes\n");
    assert_released("@zip_calls");

    let listed = run(&["-l", &format!(r#"uprobe:"{lib}":zipped_*"#)]);
    assert_eq!(stdout(&listed), format!("uprobe:{lib}:zipped_add\n"));
}

#[test]
fn a_compressed_or_missing_entry_is_an_error() {
    let f = fixture();
    let archive = f.archive.display().to_string();
    let out = run(&[
        "-e",
        &format!(r#"uprobe:"{archive}!/lib/deflated.so":zipped_add {{ exit(); }}"#),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!(
            "ERROR: {archive}: lib/deflated.so is compressed: only an entry stored uncompressed (zip -0) can be mapped and probed\n"
        )),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "-e",
        &format!(r#"uprobe:"{archive}!/lib/none.so":zipped_add {{ exit(); }}"#),
    ]);
    assert!(
        stderr(&out).contains(&format!(
            "ERROR: {archive}: no entry lib/none.so in the archive\n"
        )),
        "{}",
        stderr(&out)
    );
}
