//! `args`, `retval` and `func` of probes on kernel functions, typed from a
//! fake kernel's BTF (crates/lang/src/sema/fake_btf.rs): which argument
//! slot each parameter is read from, with which type, and the errors where
//! a type cannot be known.

use sonde_lang::sema::fake_env::FakeEnv;
use sonde_lang::sema::typed::{TExpr, TExprKind, TStmtKind, TypedProgram};
use sonde_lang::sema::types::Type;
use sonde_lang::sema::{analyse, Options};

fn check_in(src: &str, env: &FakeEnv) -> Result<TypedProgram, String> {
    let ast = sonde_lang::parse(src).expect("parses");
    analyse(&ast, env, &Options::default()).map_err(|d| sonde_lang::render(&d, src, "stdin"))
}

fn check(src: &str) -> TypedProgram {
    check_in(src, &FakeEnv::with_btf()).unwrap_or_else(|e| panic!("{e}"))
}

fn error(src: &str) -> String {
    check_in(src, &FakeEnv::with_btf()).expect_err("should fail")
}

/// The value the `n`th statement of probe instance `probe` assigns.
fn assigned(p: &TypedProgram, probe: usize, n: usize) -> &TExpr {
    match &p.probes[probe].body[n].kind {
        TStmtKind::AssignVar { value, .. } | TStmtKind::AssignMap { value, .. } => value,
        other => panic!("statement {n} is not an assignment: {other:?}"),
    }
}

/// What the value reads and its type, with casts shown as `cast(...)`.
fn read(e: &TExpr) -> String {
    let what = match &e.kind {
        TExprKind::Arg(n) => format!("ctx[{n}]"),
        TExprKind::RegArg(n) => format!("reg arg{n}"),
        TExprKind::Retval => "reg retval".to_string(),
        TExprKind::Cast(inner) => format!("cast({})", read(inner)),
        TExprKind::Binary {
            op: sonde_lang::ast::BinOp::Shr,
            lhs,
            rhs,
        } => match rhs.kind {
            TExprKind::Int(n) => format!("({} >> {n})", read(lhs)),
            _ => format!("{:?}", e.kind),
        },
        other => format!("{other:?}"),
    };
    format!("{what}: {}", e.ty)
}

#[test]
fn fentry_args_are_context_slots_typed_from_btf() {
    let p =
        check("fentry:vfs_read { $f = args.file; $b = args.buf; $c = args.count; $p = args.pos; }");
    assert_eq!(read(assigned(&p, 0, 0)), "ctx[0]: struct file *");
    assert_eq!(read(assigned(&p, 0, 1)), "ctx[1]: int8 *");
    assert_eq!(read(assigned(&p, 0, 2)), "ctx[2]: uint64");
    assert_eq!(read(assigned(&p, 0, 3)), "ctx[3]: int64 *");
    // `char __user *buf`: the user tag makes it a user address.
    assert!(matches!(
        assigned(&p, 0, 1).ty,
        Type::Ptr { user: true, .. }
    ));
    assert!(matches!(
        assigned(&p, 0, 0).ty,
        Type::Ptr { user: false, .. }
    ));
}

#[test]
fn args_as_a_pointer_is_the_same_as_args() {
    let p = check("fentry:vfs_read { $c = args->count; } kprobe:vfs_read { $c = args->count; }");
    assert_eq!(read(assigned(&p, 0, 0)), "ctx[2]: uint64");
    assert_eq!(read(assigned(&p, 1, 0)), "reg arg2: uint64");
}

#[test]
fn narrow_arguments_are_cast_to_their_width() {
    let p = check("fentry:ksys_read { $fd = args.fd; } fentry:vfs_readv { $f = args.flags; }");
    assert_eq!(read(assigned(&p, 0, 0)), "cast(ctx[0]: uint64): uint32");
    assert_eq!(read(assigned(&p, 1, 0)), "cast(ctx[4]: uint64): int32");
}

#[test]
fn fexit_has_the_arguments_and_a_typed_retval_after_them() {
    let p = check("fexit:vfs_read { $c = args.count; $r = retval; }");
    assert_eq!(read(assigned(&p, 0, 0)), "ctx[2]: uint64");
    assert_eq!(read(assigned(&p, 0, 1)), "ctx[4]: int64");
    let p = check("fexit:do_nanosleep { $r = retval; }");
    assert_eq!(read(assigned(&p, 0, 0)), "cast(ctx[2]: uint64): int32");
}

#[test]
fn a_struct_passed_by_value_takes_as_many_slots_as_it_spans() {
    // pair_sum(struct pair p, long scale): p is 16 bytes, two slots.
    let p = check("fentry:pair_sum { $s = args.scale; } fexit:pair_sum { $r = retval; }");
    assert_eq!(read(assigned(&p, 0, 0)), "ctx[2]: int64");
    assert_eq!(read(assigned(&p, 1, 0)), "ctx[3]: int64");
    let p = check("kprobe:pair_sum { $s = args.scale; }");
    assert_eq!(read(assigned(&p, 0, 0)), "reg arg2: int64");
    // The struct itself is each member read from its slot's bytes.
    let p = check("fentry:pair_sum { $p = args.p; } kprobe:mix_sum { $m = args.m; }");
    assert_eq!(
        members(assigned(&p, 0, 0)),
        ["0: ctx[0]: int64", "8: ctx[1]: int64"]
    );
    assert_eq!(
        members(assigned(&p, 1, 0)),
        [
            "0: cast(reg arg1: uint64): int32",
            "4: cast((reg arg1: uint64 >> 32): uint64): int16",
            "6: cast((reg arg1: uint64 >> 48): uint64): int8",
            "8: reg arg2: int64",
        ]
    );
    assert_eq!(assigned(&p, 1, 0).ty.to_string(), "struct mix");
}

/// The members an `ArgsRecord` places: offset, then what it reads.
fn members(e: &TExpr) -> Vec<String> {
    let TExprKind::ArgsRecord(values) = &e.kind else {
        panic!("not a record of arguments: {:?}", e.kind);
    };
    values
        .iter()
        .map(|(offset, v)| format!("{offset}: {}", read(v)))
        .collect()
}

#[test]
fn a_struct_passed_in_memory_hides_the_arguments_after_it() {
    // triple_sum(long scale, struct triple t, long bias): t is 24 bytes.
    let p = check("kprobe:triple_sum { $s = args.scale; }");
    assert_eq!(read(assigned(&p, 0, 0)), "reg arg0: int64");
    assert_eq!(
        error("kprobe:triple_sum { $b = args.bias; }"),
        "stdin:1:26-35: ERROR: triple_sum takes 't' (struct triple, 24 bytes) by value, which is passed in memory: the arguments after it cannot be located\n\
         kprobe:triple_sum { $b = args.bias; }\n\
         \x20                        ~~~~~~~~~\n\
         HINT: read them through a pointer the caller passed, or in a function it calls\n"
    );
    // Trampolines refuse the whole function.
    for (src, span) in [
        ("fexit:triple_sum { $r = retval; }", "1:25-31"),
        ("fentry:triple_sum { $r = args.scale; }", "1:26-36"),
    ] {
        let err = error(src);
        assert!(
            err.starts_with(&format!(
                "stdin:{span}: ERROR: triple_sum takes 't' (struct triple, 24 bytes) by value: \
                 BPF trampolines cannot trace it, so neither can fentry and fexit\n"
            )),
            "{err}"
        );
        assert!(
            err.ends_with("HINT: trace it with a kprobe or kretprobe\n"),
            "{err}"
        );
    }
}

#[test]
fn kprobe_args_are_registers_typed_from_btf() {
    let p = check("kprobe:vfs_readv { $f = args.file; $n = args.flags; $a = arg0; $s = arg6; }");
    assert_eq!(read(assigned(&p, 0, 0)), "reg arg0: struct file *");
    assert_eq!(read(assigned(&p, 0, 1)), "cast(reg arg4: uint64): int32");
    assert_eq!(read(assigned(&p, 0, 2)), "reg arg0: uint64");
    assert_eq!(read(assigned(&p, 0, 3)), "reg arg6: uint64");
    let p = check("kretprobe:vfs_read { $r = retval; }");
    assert_eq!(read(assigned(&p, 0, 0)), "reg retval: uint64");
}

#[test]
fn pointer_arguments_are_followed_with_their_btf_type() {
    let p = check("fentry:vfs_read { @flags = args.file->f_flags; @pos = args.file->f_pos; }");
    assert_eq!(
        assigned(&p, 0, 0).ty,
        Type::Int {
            bytes: 4,
            signed: false
        }
    );
    assert_eq!(
        assigned(&p, 0, 1).ty,
        Type::Int {
            bytes: 8,
            signed: true
        }
    );
}

#[test]
fn each_function_of_a_wildcard_is_typed_on_its_own() {
    // vfs_read and vfs_readv both name `file` first but differ after it.
    let p = check("fentry:vfs_read* { @[probe] = count(); $p = args.pos; }");
    assert_eq!(p.probes.len(), 2);
    assert_eq!(read(assigned(&p, 0, 1)), "ctx[3]: int64 *");
    assert_eq!(read(assigned(&p, 1, 1)), "ctx[3]: int64 *");
    // Without args, one program serves both.
    let p = check("kprobe:vfs_read* { @[func] = count(); }");
    assert_eq!(p.probes.len(), 1);
    assert_eq!(p.probes[0].attach.len(), 2);
    // fexit's retval follows the arguments: one instance per function.
    let p = check("fexit:vfs_read* { $r = retval; }");
    assert_eq!(p.probes.len(), 2);
    assert_eq!(read(assigned(&p, 0, 0)), "ctx[4]: int64");
    assert_eq!(read(assigned(&p, 1, 0)), "ctx[5]: int64");
}

#[test]
fn args_as_a_whole_is_a_record_of_the_parameters() {
    let p = check("fentry:ksys_read { @a = args; }");
    let ty = &assigned(&p, 0, 0).ty;
    let Type::Record(r) = ty else {
        panic!("not a record: {ty}");
    };
    let fields: Vec<(&str, u32)> = r
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.offset))
        .collect();
    assert_eq!(fields, [("fd", 0), ("buf", 8), ("count", 16)]);
    // A struct parameter is a member as wide as the struct.
    let p = check("fentry:mix_sum { @a = args; }");
    let Type::Record(r) = &assigned(&p, 0, 0).ty else {
        panic!("not a record");
    };
    let fields: Vec<(&str, u32)> = r
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.offset))
        .collect();
    assert_eq!(fields, [("n", 0), ("m", 8)]);
    assert_eq!(r.size, 24);
}

#[test]
fn errors_name_the_function_and_its_arguments() {
    assert_eq!(
        error("fentry:vfs_read { $x = args.nonsense; }"),
        "stdin:1:24-37: ERROR: Can't find a field nonsense in args of vfs_read\n\
         fentry:vfs_read { $x = args.nonsense; }\n\
         \x20                      ~~~~~~~~~~~~~\n\
         HINT: its arguments are: file, buf, count, pos\n"
    );
    assert_eq!(
        error("kretprobe:vfs_read { $x = args.count; }"),
        "stdin:1:27-31: ERROR: The args builtin can not be used with return probes\n\
         kretprobe:vfs_read { $x = args.count; }\n\
         \x20                         ~~~~\n\
         HINT: read the arguments in the entry probe and keep them in a map keyed by tid, or use fexit, which has args\n"
    );
    assert_eq!(
        error("fexit:nf_tables_newtable { $x = retval; }"),
        "stdin:1:33-39: ERROR: nf_tables_newtable returns void: there is no retval\n\
         fexit:nf_tables_newtable { $x = retval; }\n\
         \x20                               ~~~~~~\n"
    );
    assert_eq!(
        error("kprobe:vfs_read+4 { $x = args.count; }"),
        "stdin:1:26-36: ERROR: args are the arguments at vfs_read's entry; at vfs_read+4 the registers may hold anything\n\
         kprobe:vfs_read+4 { $x = args.count; }\n\
         \x20                        ~~~~~~~~~~\n\
         HINT: probe the function's entry, or read registers with reg()\n"
    );
    assert_eq!(
        error("fentry:vfs_read { $x = arg0; }"),
        "stdin:1:24-28: ERROR: The arg0 builtin can only be used with rawtracepoint, kprobe, uprobe and usdt probes\n\
         fentry:vfs_read { $x = arg0; }\n\
         \x20                      ~~~~\n\
         HINT: tracepoints name their arguments: use args.NAME\n"
    );
}

#[test]
fn a_kprobe_at_an_address_has_no_args_but_its_registers() {
    assert_eq!(
        error("kprobe:0x1234 { $a = args.x; }"),
        "stdin:1:22-28: ERROR: args needs a probe on a named function, not an address\n\
         kprobe:0x1234 { $a = args.x; }\n\
         \x20                    ~~~~~~\n\
         HINT: use arg0, arg1, ... instead\n"
    );
    let p = check("kprobe:0x1234 { $a = arg1; }");
    assert_eq!(read(assigned(&p, 0, 0)), "reg arg1: uint64");
}

#[test]
fn without_btf_args_of_kernel_functions_cannot_be_typed() {
    let err =
        check_in("fentry:vfs_read { $x = args.count; }", &FakeEnv::default()).expect_err("no BTF");
    assert_eq!(
        err,
        "stdin:1:24-34: ERROR: the arguments of kernel functions are typed from the kernel's BTF (/sys/kernel/btf/vmlinux), which this kernel lacks\n\
         fentry:vfs_read { $x = args.count; }\n\
         \x20                      ~~~~~~~~~~\n\
         HINT: trace the function with a kprobe and read arg0, arg1, ... instead\n"
    );
    // A function the BTF does not describe.
    assert_eq!(
        error("kprobe:sched_switch.part.0 { $x = args.prev; }"),
        "stdin:1:35-44: ERROR: the kernel's BTF does not describe the function sched_switch.part.0\n\
         kprobe:sched_switch.part.0 { $x = args.prev; }\n\
         \x20                                 ~~~~~~~~~\n\
         HINT: use arg0, arg1, ... instead\n"
    );
}

#[test]
fn func_is_the_probed_function_and_a_symbol_at_an_address() {
    let p = check("fentry:vfs_read { @f = func; } kprobe:0x1234 { @g = func; }");
    assert!(matches!(assigned(&p, 0, 0).kind, TExprKind::Builtin(_)));
    let TExprKind::Sym { user: false, addr } = &assigned(&p, 1, 0).kind else {
        panic!("{:?}", assigned(&p, 1, 0).kind);
    };
    assert!(matches!(addr.kind, TExprKind::Int(0x1234)));
}

#[test]
fn usermode_of_fentry_is_known_to_be_kernel() {
    let p = check("fentry:vfs_read { $u = usermode; } kprobe:vfs_read { $u = usermode; }");
    assert!(matches!(assigned(&p, 0, 0).kind, TExprKind::Int(0)));
    assert!(matches!(assigned(&p, 1, 0).kind, TExprKind::UserMode));
}

#[test]
fn fentry_on_more_functions_than_max_bpf_progs_is_an_error() {
    // vfs_read, vfs_readv, vfs_write: three programs.
    let src = "config = { max_bpf_progs = 2 } fentry:vfs_* { }";
    assert_eq!(
        error(src),
        "stdin:1:32-44: ERROR: Your program is trying to generate more than 3 BPF programs, which exceeds the current limit of 2\n\
         config = { max_bpf_progs = 2 } fentry:vfs_* { }\n\
         \x20                              ~~~~~~~~~~~~\n\
         HINT: You can increase the limit through the BPFTRACE_MAX_BPF_PROGS environment variable.\n"
    );
    check("config = { max_bpf_progs = 3 } fentry:vfs_* { }");
    // Kprobes share one program however many functions they are on.
    check("config = { max_bpf_progs = 2 } kprobe:vfs_* { }");
}
