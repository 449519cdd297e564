//! How long closing tracepoint perf events takes, serially and from
//! several threads. Ignored by default (it takes seconds); run with
//! `cargo test -p sonde-sys --test detach_cost -- --ignored --nocapture`.

use std::time::Instant;

use sonde_isa::{Insn, R0};
use sonde_sys::{PerfAttachment, PerfEvent, ProgSpec, ProgType, Program, Target, Tracefs};

fn attach_many(prog: &Program, n: usize) -> Vec<PerfAttachment> {
    let tracefs = Tracefs::get().unwrap();
    tracefs
        .tracepoints()
        .unwrap()
        .into_iter()
        .filter(|(c, n)| c == "syscalls" && n.starts_with("sys_enter_"))
        .take(n)
        .map(|(c, n)| {
            let id = tracefs.event_id(&c, &n).unwrap();
            PerfAttachment::attach(prog, PerfEvent::tracepoint(id, Target::cpu(0)).unwrap(), 0)
                .unwrap()
        })
        .collect()
}

#[test]
#[ignore]
fn close_cost_serial_vs_parallel() {
    let insns = sonde_isa::encode_all(&[Insn::mov64_imm(R0, 0), Insn::exit()]);
    let prog = Program::load(&ProgSpec::new("t_closecost", ProgType::Tracepoint, &insns)).unwrap();
    let n = 300;

    let attached = attach_many(&prog, n);
    assert_eq!(attached.len(), n);
    let start = Instant::now();
    drop(attached);
    eprintln!("serial: {n} closes in {:?}", start.elapsed());

    for threads in [4usize, 16, 64] {
        let mut attached = attach_many(&prog, n);
        let start = Instant::now();
        for a in attached.iter_mut() {
            a.detach_program();
        }
        let links_done = start.elapsed();
        let chunk = n.div_ceil(threads);
        std::thread::scope(|s| {
            let mut rest = attached;
            while !rest.is_empty() {
                let tail = rest.split_off(rest.len().saturating_sub(chunk));
                s.spawn(move || drop(tail));
            }
        });
        eprintln!(
            "{threads} threads: links closed in {links_done:?}, all closed in {:?}",
            start.elapsed()
        );
    }
}

#[test]
#[ignore]
fn raw_tracepoint_close_cost() {
    let insns = sonde_isa::encode_all(&[Insn::mov64_imm(R0, 0), Insn::exit()]);
    let prog = Program::load(&ProgSpec::new("t_rawcost", ProgType::RawTracepoint, &insns)).unwrap();
    let links: Vec<_> = Tracefs::get()
        .unwrap()
        .tracepoints()
        .unwrap()
        .into_iter()
        .filter(|(c, _)| c != "syscalls")
        .filter_map(|(_, n)| sonde_sys::Link::raw_tracepoint(&prog, &n, 1).ok())
        .take(300)
        .collect();
    let n = links.len();
    let start = Instant::now();
    drop(links);
    eprintln!("raw tracepoints: {n} link closes in {:?}", start.elapsed());
}
