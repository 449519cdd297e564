//! Timers, breakpoints and iterators at the command line: profile samples
//! on every CPU in each unit, interval timers counted to an exact stop,
//! execution watchpoints counted exactly, the file and
//! memory-map iterators checked against /proc, hardware events listed, and
//! kernel stacks in perf and raw modes.

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use common::user_target::user_target;
use common::*;

/// The online CPUs, from /sys/devices/system/cpu/online (`0-1,4`).
fn online_cpus() -> BTreeSet<u32> {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/online").unwrap();
    let mut cpus = BTreeSet::new();
    for range in text.trim().split(',') {
        let (lo, hi) = range.split_once('-').unwrap_or((range, range));
        cpus.extend(lo.parse::<u32>().unwrap()..=hi.parse::<u32>().unwrap());
    }
    cpus
}

#[test]
fn profile_samples_every_cpu_in_each_unit() {
    let cpus: String = online_cpus()
        .iter()
        .map(|c| format!("@ps_cpus[{c}]: 1\n"))
        .collect();
    for (probe, wait) in [
        ("profile:hz:99", 300),
        ("profile:ms:10", 300),
        ("profile:us:20000", 300),
        ("profile:s:1", 1300),
    ] {
        let out = run(&[
            "-e",
            &format!("{probe} {{ @ps_cpus[cpu] = 1; }} interval:ms:{wait} {{ exit(); }}"),
        ]);
        assert_eq!(stdout(&out), format!("\n\n{cpus}"), "{probe}");
        assert_eq!(stderr(&out), "Attached 2 probes\n");
    }
    assert_released("@ps_cpus");
}

#[test]
fn interval_timers_in_each_unit_run_until_exit() {
    for probe in [
        "interval:ms:10",
        "interval:us:10000",
        "interval:hz:100",
        "i:ms:10",
    ] {
        let out = run(&[
            "-e",
            &format!("{probe} {{ @ps_ticks = count(); if (@ps_ticks == 5) {{ exit(); }} }}"),
        ]);
        assert_eq!(stdout(&out), "\n\n@ps_ticks: 5\n", "{probe}");
        assert!(out.status.success());
    }
    let out = run(&["-e", "interval:s:1 { printf(\"%s\\n\", probe); exit(); }"]);
    assert_eq!(stdout(&out), "interval:s:1\n\n\n");
    assert_released("@ps_ticks");
}

#[test]
fn execution_watchpoints_count_every_call() {
    // Not position-independent: the function's address is known before
    // the program runs.
    let bin = user_target(false);
    let negate = format!("{:#x}", symbol_address(&bin, "sonde_negate"));
    let out = run(&[
        "-e",
        &format!("watchpoint:{negate}:1:x {{ @ps_exec = count(); }}"),
        "-c",
        &format!("{bin} 4"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "\n\n@ps_exec: 4\n");
    assert_released("@ps_exec");
}

#[test]
fn file_and_memory_map_iterators_match_proc() {
    let mut victim = Command::new(testprog())
        .arg("wait")
        .stdin(Stdio::piped())
        .spawn()
        .expect("testprog starts");
    let pid = victim.id();
    // Once blocked reading its standard input (read, fd 0), the victim
    // opens and maps nothing more.
    let syscall = format!("/proc/{pid}/syscall");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_to_string(&syscall).is_ok_and(|s| s.starts_with("0 0x0 ")) {
        assert!(
            std::time::Instant::now() < deadline,
            "testprog never waited"
        );
        std::thread::yield_now();
    }
    let files = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count();
    // [vsyscall] is listed in maps but is no memory area of the process.
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .unwrap()
        .lines()
        .filter(|l| !l.ends_with("[vsyscall]"))
        .count();
    let out = run(&[
        "-e",
        &format!(
            "iter:task_file /ctx.task->tgid == {pid}/ {{ @ps_files = count(); }} \
             iter:task_vma /ctx.task->tgid == {pid}/ {{ @ps_vmas = count(); }}"
        ),
    ]);
    drop(victim.stdin.take());
    let _ = victim.wait();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("\n\n@ps_files: {files}\n@ps_vmas: {maps}\n")
    );
    assert_released("@ps_files");
}

#[test]
fn hardware_events_are_listed() {
    let out = run(&["-l", "hardware:*"]);
    assert_eq!(
        stdout(&out),
        "hardware:backend-stalls:\nhardware:branch-instructions:\nhardware:branch-misses:\n\
         hardware:branches:\nhardware:bus-cycles:\nhardware:cache-misses:\n\
         hardware:cache-references:\nhardware:cpu-cycles:\nhardware:cycles:\n\
         hardware:frontend-stalls:\nhardware:instructions:\nhardware:ref-cycles:\n"
    );
}

#[test]
fn kernel_stacks_in_perf_and_raw_modes() {
    let tp = testprog();
    let out = run(&[
        "-e",
        r#"tracepoint:syscalls:sys_enter_getppid /comm == "ps_kmodes"/ { printf("%s|%s", kstack(perf, 2), kstack(raw, 2)); }"#,
        "-c",
        &format!("{tp} comm ps_kmodes getppid 1"),
    ]);
    let text = stdout(&out);
    let (perf, raw) = text.split_once('|').expect("two stacks");
    let perf: Vec<&str> = perf.lines().collect();
    let raw: Vec<&str> = raw.lines().take(3).collect();
    // perf: a tab, the address in hex, the symbol and offset.
    assert_eq!(perf.len(), 3, "{text}");
    assert_eq!(perf[0], "");
    let mut addresses = Vec::new();
    for frame in &perf[1..] {
        let (addr, symbol) = frame
            .strip_prefix('\t')
            .and_then(|f| f.split_once(' '))
            .expect("\\tADDR SYMBOL+OFF");
        assert!(u64::from_str_radix(addr, 16).is_ok(), "{text}");
        let (name, offset) = symbol.rsplit_once('+').expect("symbol+offset");
        assert!(!name.is_empty() && offset.parse::<u64>().is_ok(), "{text}");
        addresses.push(addr);
    }
    // raw: the same addresses alone.
    assert_eq!(raw[0], "");
    assert_eq!(raw[1..], addresses[..], "{text}");
}

#[test]
fn every_iterator_of_the_kernel_is_listed_and_runs() {
    let out = run(&["-lv", "iter:task*"]);
    assert_eq!(
        stdout(&out),
        "iter:task\n    struct task_struct * task\n\
         iter:task_file\n    struct task_struct * task\n    uint32 fd\n    struct file * file\n\
         iter:task_vma\n    struct task_struct * task\n    struct vm_area_struct * vma\n"
    );
    // Beyond tasks: the BPF programs loaded, this one among them.
    let out = run(&[
        "-e",
        r#"iter:bpf_prog { @ps_progs[ctx.prog->aux->name] = count(); }"#,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("\n@ps_progs[s_bpf_prog]: 1\n"),
        "{}",
        stdout(&out)
    );
    let out = run(&["-e", "iter:cgroup { }"]);
    assert!(
        stderr(&out).contains(
            "ERROR: iter:cgroup walks a cgroup given when it is attached, and Sonde takes no iterator parameters"
        ),
        "{}",
        stderr(&out)
    );
    let out = run(&["-e", "iter:ps_nonsense { }"]);
    assert!(
        stderr(&out).contains(
            "ERROR: ps_nonsense is not an iterator of this kernel (sonde -l 'iter:*' lists them)"
        ),
        "{}",
        stderr(&out)
    );
    assert_released("@ps_progs");
}
