//! Running the real `sonde` binary against the real kernel: start it, wait
//! until its probes are attached (bpftrace's notify line), make events
//! happen, stop it, and check exactly what it printed and that it left
//! nothing loaded.
#![allow(dead_code)]

pub mod user_target;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const NOTIFY: &str = "__BPFTRACE_NOTIFY_PROBES_ATTACHED";

/// No test waits longer than this for sonde; a hang fails instead of stalling.
const PATIENCE: Duration = Duration::from_secs(60);

pub fn sonde_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sonde"))
}

/// The load generator, built alongside sonde by `cargo test --workspace`.
pub fn testprog() -> String {
    let path = sonde_path().with_file_name("sonde-testprog");
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test --workspace`",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

pub fn sonde(args: &[&str]) -> Command {
    let mut cmd = Command::new(sonde_path());
    cmd.args(args);
    cmd.env_remove("__BPFTRACE_NOTIFY_PROBES_ATTACHED");
    cmd
}

/// Run sonde to completion (it must stop by itself) and collect its output.
pub fn run(args: &[&str]) -> Output {
    let child = sonde(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sonde starts");
    wait_with_patience(child)
}

/// Run sonde to completion with extra environment variables.
pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let child = sonde(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sonde starts");
    wait_with_patience(child)
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A sonde session whose probes are attached.
pub struct Traced {
    child: Child,
    stdout_lines: mpsc::Receiver<String>,
}

/// Start sonde and return once it says its probes are attached.
pub fn start(args: &[&str]) -> Traced {
    let mut child = sonde(args)
        .env("__BPFTRACE_NOTIFY_PROBES_ATTACHED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sonde starts");
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().expect("piped");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let traced = Traced {
        child,
        stdout_lines: rx,
    };
    match traced.stdout_lines.recv_timeout(PATIENCE) {
        Ok(line) if line == NOTIFY => traced,
        other => {
            let mut child = traced.child;
            let _ = child.kill();
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("sonde did not attach: first line {other:?}, stderr: {err}");
        }
    }
}

impl Traced {
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Send `signal` and collect everything printed after attaching.
    pub fn stop(self, signal: i32) -> (String, String, Option<i32>) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
        self.finish()
    }

    /// Wait for sonde to end by itself.
    pub fn finish(mut self) -> (String, String, Option<i32>) {
        let mut err = String::new();
        let mut stderr = self.child.stderr.take().expect("piped");
        let reader = std::thread::spawn(move || {
            let _ = stderr.read_to_string(&mut err);
            err
        });
        let output = wait_with_patience_status(&mut self.child);
        let mut out = String::new();
        while let Ok(line) = self.stdout_lines.recv_timeout(Duration::from_secs(5)) {
            out.push_str(&line);
            out.push('\n');
        }
        let err = reader.join().expect("stderr reader");
        (out, err, output)
    }
}

fn wait_with_patience_status(child: &mut Child) -> Option<i32> {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            return status.code();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("sonde did not finish within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn wait_with_patience(mut child: Child) -> Output {
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let code = wait_with_patience_status(&mut child);
    let status = child.wait().expect("reaped");
    let _ = code;
    Output {
        status,
        stdout: out_reader.join().expect("stdout reader"),
        stderr: err_reader.join().expect("stderr reader"),
    }
}

/// Run the load generator to completion.
pub fn generate(args: &[&str]) {
    let status = Command::new(testprog())
        .args(args)
        .status()
        .expect("testprog runs");
    assert!(status.success(), "testprog {args:?} failed");
}

/// Serialise this test with runs of the same test in other processes
/// (see `sonde_runtime::testing::claim`).
pub fn claim(map_name: &str) -> std::fs::File {
    sonde_runtime::testing::claim(map_name)
}

/// Nothing named with this map prefix (`AT_...`) may outlive a run: maps
/// are held by programs, programs by links, so this covers all three.
pub fn assert_released(map_name: &str) {
    let kernel_name: String = format!("AT_{}", map_name.trim_start_matches('@'))
        .chars()
        .take(15)
        .collect();
    sonde_runtime::testing::assert_nothing_loaded(&kernel_name);
}

/// The address `nm` gives `symbol` in the file at `path`: in files the GNU
/// linker lays out, a function's address in a position-independent file is
/// also its file offset.
pub fn symbol_address(path: impl AsRef<std::path::Path>, symbol: &str) -> u64 {
    let out = Command::new("nm")
        .arg(path.as_ref())
        .output()
        .expect("nm (binutils) is installed with the C compiler");
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.ends_with(&format!(" {symbol}")))
        .expect("the symbol in nm's output");
    u64::from_str_radix(line.split(' ').next().unwrap(), 16).unwrap()
}
