//! User-space probes beyond one binary run by `-c`: scoped to a running
//! process with `-p` (another process running the same code is not
//! counted), found in the files that process maps, and USDT probes of a
//! shared library with their semaphore.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::user_target::{library, user_target};
use common::*;

#[test]
fn a_pid_scopes_uprobes_and_usdt_to_its_process() {
    let bin = user_target(true);
    let mut victim = Command::new(&bin)
        .args(["3", "wait"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("the target starts");
    let pid = victim.id().to_string();
    // `uprobe:FUNC` with -p: the function in any file the process maps.
    let traced = start(&[
        "-p",
        &pid,
        "-e",
        &format!(
            "uprobe:{bin}:sonde_add {{ @us_add = count(); }} uprobe:sonde_negate {{ @us_bare = count(); }} \
             usdt:{bin}:sonde:tick {{ @us_tick = sum(arg0); }}"
        ),
    ]);
    // The same code in another process, while attached: not counted.
    let other = Command::new(&bin).arg("5").status().expect("runs");
    assert!(other.success());
    victim
        .stdin
        .take()
        .expect("piped")
        .write_all(b"go\n")
        .expect("the target reads");
    assert!(victim.wait().expect("the target ends").success());
    // The process is gone: sonde ends by itself, as bpftrace does.
    let (out, err, code) = traced.finish();
    // tick's arg0 is -1000i for i = 0, 1, 2.
    assert_eq!(
        out, "\n\n@us_add: 3\n@us_bare: 3\n@us_tick: -3000\n",
        "{err}"
    );
    assert_eq!(code, Some(0));
    assert_released("@us_add");
}

#[test]
fn listing_with_a_pid_shows_what_its_files_have() {
    let bin = user_target(true);
    let mut victim = Command::new(&bin)
        .args(["1", "wait"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("the target starts");
    let pid = victim.id().to_string();
    let listed = |pattern: &str| stdout(&run(&["-l", "-p", &pid, pattern]));
    assert_eq!(
        listed("uprobe:sonde_a*"),
        format!("uprobe:{bin}:sonde_add\n")
    );
    assert_eq!(listed("usdt:tick"), format!("usdt:{bin}:sonde:tick\n"));
    assert_eq!(
        listed("usdt:*:sonde:o*"),
        format!("usdt:{bin}:sonde:odd\nusdt:{bin}:sonde:operands\n")
    );
    drop(victim.stdin.take());
    let _ = victim.wait();
}

#[test]
fn usdt_probes_of_a_shared_library_and_its_semaphore() {
    let (lib, main) = library();
    let out = run(&[
        "-e",
        &format!(
            "usdt:{lib}:sonde_lib:guarded {{ @us_sem[arg1] = count(); }} \
             usdt:{lib}:sonde_lib:always {{ @us_lib = sum(arg1); }}"
        ),
        "-c",
        &format!("{main} 4"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The guarded site runs only while its semaphore counts an attached
    // probe (1); always's arg1 is 2i for i = 0..3.
    assert_eq!(stdout(&out), "\n\n@us_lib: 12\n@us_sem[1]: 4\n");
    let out = run(&["-l", &format!("usdt:{lib}:*")]);
    assert_eq!(
        stdout(&out),
        format!("usdt:{lib}:sonde_lib:always\nusdt:{lib}:sonde_lib:guarded\n")
    );
    // By short name, as the dynamic linker finds it: in LD_LIBRARY_PATH.
    let dir = std::path::Path::new(&lib)
        .parent()
        .unwrap()
        .display()
        .to_string();
    let script = "usdt:libsonde_usdt:sonde_lib:always { @us_short = count(); }";
    let command = format!("{main} 2");
    let out = run_env(
        &["-e", script, "-c", &command],
        &[("LD_LIBRARY_PATH", &dir)],
    );
    assert_eq!(stdout(&out), "\n\n@us_short: 2\n", "{}", stderr(&out));
    let out = run(&["-e", script, "-c", &command]);
    assert!(
        stderr(&out).contains("could not find 'libsonde_usdt'"),
        "{}",
        stderr(&out)
    );
    assert_released("@us_lib");
}
