use sonde_lang::sema::{self, fake_env::FakeEnv};

fn compile(src: &str) -> sonde_codegen::object::Object {
    let ast = sonde_lang::parse(src)
        .unwrap_or_else(|d| panic!("{}", sonde_lang::render(&d, src, "stdin")));
    let typed = sema::analyse(&ast, &FakeEnv::default(), &sema::Options::default())
        .unwrap_or_else(|d| panic!("{}", sonde_lang::render(&d, src, "stdin")));
    sonde_codegen::compile(&typed, &Default::default())
        .unwrap_or_else(|d| panic!("{}", sonde_lang::render(&d, src, "stdin")))
}

#[test]
fn smoke() {
    for src in [
        "tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }",
        "tracepoint:syscalls:sys_enter_read { @start[tid] = nsecs; } tracepoint:syscalls:sys_exit_read /@start[tid]/ { @times = hist(nsecs - @start[tid]); delete(@start[tid]); }",
        "BEGIN { printf(\"hello %s %d\\n\", comm, pid); exit(); }",
        "tracepoint:syscalls:sys_enter_* { @[probe] = count(); }",
        "tracepoint:syscalls:sys_enter_openat { printf(\"%s %s\\n\", comm, str(args.filename)); }",
        "tracepoint:sched:sched_switch /args.prev_comm == \"swapper/0\"/ { @[args.next_comm, args.next_pid] = sum(args.prev_state); @m = max(args.prev_prio); @l = lhist(args.next_prio, 0, 140, 10); $x = 1; while ($x < 10) { $x++; } }",
    ] {
        let o = compile(src);
        for p in &o.programs {
            eprintln!("{} {:?} {} insns, {} attach", p.name, p.kind, p.insns.len(), p.attach.len());
            for l in sonde_isa::disassemble(&p.insns) { eprintln!("  {l}"); }
        }
    }
}
