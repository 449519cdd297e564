//! A load generator for Sonde's tests and benchmarks: it makes exactly the
//! system calls its arguments ask for, in order, so that a test knows how
//! many events a probe must count.
//!
//! ```text
//! sonde-testprog [comm NAME] [wait] [getppid N] [getpid N] [write SIZE...] [open PATH] [exit CODE]
//! ```
//! `comm` renames the process (through /proc/self/comm, so no unsafe code is
//! needed); `wait` blocks until a line arrives on standard input, which lets
//! a test start tracing a known pid before the work begins.

use std::io::{BufRead, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("sonde-testprog: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<u8, String> {
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let mut value = |what: &str| {
            words
                .next()
                .ok_or_else(|| format!("{word} needs {what}"))
                .cloned()
        };
        match word.as_str() {
            "comm" => {
                let name = value("a name")?;
                std::fs::write("/proc/self/comm", name.as_bytes())
                    .map_err(|e| format!("cannot set comm: {e}"))?;
            }
            "wait" => {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| format!("cannot read stdin: {e}"))?;
            }
            "getppid" => {
                for _ in 0..count(&value("a count")?)? {
                    // glibc does not cache getppid: one call, one syscall.
                    std::hint::black_box(std::os::unix::process::parent_id());
                }
            }
            "getpid" => {
                for _ in 0..count(&value("a count")?)? {
                    std::hint::black_box(std::process::id());
                }
            }
            "write" => {
                let sizes = value("sizes such as 1,10,100")?;
                let mut null = std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/null")
                    .map_err(|e| e.to_string())?;
                let buffer = vec![b'x'; 1 << 16];
                for size in sizes.split(',') {
                    let n = count(size)? as usize;
                    null.write_all(&buffer[..n.min(buffer.len())])
                        .map_err(|e| e.to_string())?;
                }
            }
            "open" => {
                let path = value("a path")?;
                let _ = std::fs::File::open(&path);
            }
            "exit" => return count(&value("a code")?).map(|c| c as u8),
            other => return Err(format!("unknown action '{other}'")),
        }
    }
    Ok(0)
}

fn count(text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("'{text}' is not a number"))
}
