//! A load generator for Sonde's tests and benchmarks: it makes exactly the
//! system calls its arguments ask for, in order, so that a test knows how
//! many events a probe must count.
//!
//! ```text
//! sonde-testprog [comm NAME] [wait] [getppid N] [getpid N] [write SIZE...] [open PATH]
//!                [faults N] [watch N] [exit CODE]
//! ```
//! `faults N` makes exactly N page faults between two `getppid` calls that
//! mark where they start and end. `watch N` prints the address of a u64,
//! waits for a line on standard input, then writes the u64 N times between
//! two `getppid` calls.
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
            "faults" => faults(count(&value("a count")?)? as usize),
            "watch" => watch(count(&value("a count")?)?)?,
            "exit" => return count(&value("a code")?).map(|c| c as u8),
            other => return Err(format!("unknown action '{other}'")),
        }
    }
    Ok(0)
}

/// Touch one byte in each of `n` fresh 2 MiB regions: one page fault each,
/// whether the kernel backs them with small or transparent huge pages. The
/// first region is touched before the marker so that the code doing it is
/// already mapped when counting starts.
fn faults(n: usize) {
    const STRIDE: usize = 2 << 20;
    // Zeroed allocations this large come from mmap, untouched.
    let mut memory = vec![0u8; (n + 2) * STRIDE];
    let start = memory.as_ptr().align_offset(STRIDE);
    let mut touch = |range: std::ops::Range<usize>| {
        for i in range {
            memory[start + i * STRIDE] = 1;
            std::hint::black_box(&memory);
        }
    };
    touch(0..1);
    std::hint::black_box(std::os::unix::process::parent_id());
    touch(1..n + 1);
    std::hint::black_box(std::os::unix::process::parent_id());
}

/// Print the address of a u64, wait for a line, then store to it `n` times.
fn watch(n: u64) -> Result<(), String> {
    // A static: no allocator ever writes to it behind our back.
    static CELL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let cell = &CELL;
    println!("{:#x}", std::ptr::from_ref(cell) as usize);
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    std::hint::black_box(std::os::unix::process::parent_id());
    for i in 0..n {
        cell.store(i + 1, std::sync::atomic::Ordering::SeqCst);
    }
    std::hint::black_box(std::os::unix::process::parent_id());
    Ok(())
}

fn count(text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("'{text}' is not a number"))
}
