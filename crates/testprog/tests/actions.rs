//! The load generator's contract with the tests that drive it. Having an
//! integration test here also makes `cargo test --workspace` build the
//! `sonde-testprog` binary itself (a package's binaries are only built for
//! its own integration tests), which sonde's end-to-end tests run.

use std::process::Command;

fn testprog(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sonde-testprog"))
        .args(args)
        .output()
        .expect("sonde-testprog starts")
}

#[test]
fn renames_itself_and_exits_with_the_code_asked_for() {
    let out = testprog(&["comm", "tp_actions", "getppid", "3", "exit", "7"]);
    assert_eq!(out.status.code(), Some(7));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn writes_of_any_size_succeed() {
    let out = testprog(&["write", "1,10,100,100000"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn bad_arguments_are_refused_with_a_reason() {
    let out = testprog(&["getppid", "many"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "sonde-testprog: 'many' is not a number\n"
    );
    let out = testprog(&["jump"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "sonde-testprog: unknown action 'jump'\n"
    );
}
