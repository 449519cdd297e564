//! Programs on kernel functions as the code generator emits them, checked
//! instruction by instruction: kprobes read `struct pt_regs` (x86-64
//! offsets), fentry/fexit read their context as an array of u64s, and a
//! tracing program is made once per function it attaches to. r6 holds the
//! context from the first instruction on.

use sonde_codegen::object::{AttachTarget, Object, ProgKind};
use sonde_lang::sema::{self, fake_env::FakeEnv};

fn compile(src: &str) -> Object {
    let ast = sonde_lang::parse(src).expect("parses");
    let typed = sema::analyse(&ast, &FakeEnv::with_btf(), &sema::Options::default())
        .unwrap_or_else(|d| panic!("{}", sonde_lang::render(&d, src, "stdin")));
    sonde_codegen::compile(&typed, &Default::default())
        .unwrap_or_else(|d| panic!("{}", sonde_lang::render(&d, src, "stdin")))
}

/// The instructions of program `n`, without their `N: ` prefixes.
fn disassembly(object: &Object, n: usize) -> Vec<String> {
    sonde_isa::disassemble(&object.programs[n].insns)
        .into_iter()
        .map(|l| l.split_once(": ").map_or(l.clone(), |(_, i)| i.to_string()))
        .collect()
}

/// The instructions that compute the value stored into the first map: from
/// after `r6 = r1` up to the store of r0 into the value slot.
fn value_of_first_store(lines: &[String]) -> Vec<String> {
    let end = lines
        .iter()
        .position(|l| l == "*(u64 *)(r10 -8) = r0")
        .unwrap_or_else(|| panic!("no store: {lines:#?}"));
    assert_eq!(lines[0], "r6 = r1");
    lines[1..end].to_vec()
}

fn value(src: &str) -> Vec<String> {
    let object = compile(src);
    assert_eq!(object.programs.len(), 1);
    value_of_first_store(&disassembly(&object, 0))
}

#[cfg(target_arch = "x86_64")]
#[test]
fn kprobe_arguments_are_read_from_pt_regs() {
    // di, si, dx, cx, r8, r9.
    for (arg, off) in [(0, 112), (1, 104), (2, 96), (3, 88), (4, 72), (5, 64)] {
        assert_eq!(
            value(&format!("kprobe:vfs_read {{ @x = arg{arg}; }}")),
            [format!("r0 = *(u64 *)(r6 +{off})")]
        );
    }
    // The seventh is on the stack, above the return address.
    assert_eq!(
        value("kprobe:vfs_read { @x = arg6; }"),
        [
            "*(u64 *)(r10 -16) = 0",
            "r3 = *(u64 *)(r6 +152)",
            "r1 = 8",
            "r3 += r1",
            "r1 = r10",
            "r1 += -16",
            "r2 = 8",
            "call bpf_probe_read_kernel#113",
            "r0 = *(u64 *)(r10 -16)",
        ]
    );
    assert_eq!(
        value("kretprobe:vfs_read { @x = retval; }"),
        ["r0 = *(u64 *)(r6 +80)"]
    );
    assert_eq!(
        value(r#"kprobe:vfs_read { @x = reg("ip"); }"#),
        ["r0 = *(u64 *)(r6 +128)"]
    );
    assert_eq!(
        value(r#"kprobe:vfs_read { @x = reg("sp"); }"#),
        ["r0 = *(u64 *)(r6 +152)"]
    );
}

#[cfg(target_arch = "x86_64")]
#[test]
fn kprobe_args_are_the_registers_of_their_slots() {
    // ksys_read(unsigned int fd, char __user *buf, size_t count).
    assert_eq!(
        value("kprobe:ksys_read { @x = args.count; }"),
        ["r0 = *(u64 *)(r6 +96)"]
    );
    assert_eq!(
        value("kprobe:ksys_read { @x = args.fd; }"),
        ["r0 = *(u64 *)(r6 +112)", "w0 = w0"]
    );
    // pair_sum(struct pair p, long scale): p takes di and si.
    assert_eq!(
        value("kprobe:pair_sum { @x = args.scale; }"),
        ["r0 = *(u64 *)(r6 +96)"]
    );
    // vfs_read(struct file *file, ...): file->f_pos is 8 bytes in.
    assert_eq!(
        value("kprobe:vfs_read { @x = args.file->f_pos; }"),
        [
            "r0 = *(u64 *)(r6 +112)",
            "r0 += 8",
            "r3 = r0",
            "r1 = r10",
            "r1 += -16",
            "r2 = 8",
            "call bpf_probe_read_kernel#113",
            "r0 = *(u64 *)(r10 -16)",
        ]
    );
}

#[test]
fn fentry_and_fexit_read_their_context_slots() {
    let object = compile(
        "fentry:vfs_read { @a = args.count; } fexit:vfs_read { @b = retval; } \
         fexit:do_nanosleep { @c = retval; } fexit:pair_sum { @d = retval; } \
         fentry:ksys_read { @e = args.fd; }",
    );
    let kinds: Vec<ProgKind> = object.programs.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            ProgKind::Fentry,
            ProgKind::Fexit,
            ProgKind::Fexit,
            ProgKind::Fexit,
            ProgKind::Fentry
        ]
    );
    let values: Vec<Vec<String>> = (0..5)
        .map(|n| value_of_first_store(&disassembly(&object, n)))
        .collect();
    assert_eq!(values[0], ["r0 = *(u64 *)(r6 +16)"]);
    // vfs_read has 4 arguments: retval is slot 4.
    assert_eq!(values[1], ["r0 = *(u64 *)(r6 +32)"]);
    // do_nanosleep returns int: slot 2, sign-extended.
    assert_eq!(
        values[2],
        ["r0 = *(u64 *)(r6 +16)", "r0 <<= 32", "r0 s>>= 32"]
    );
    // pair_sum's struct takes two slots and scale one.
    assert_eq!(values[3], ["r0 = *(u64 *)(r6 +24)"]);
    assert_eq!(values[4], ["r0 = *(u64 *)(r6 +0)", "w0 = w0"]);
}

#[test]
fn a_tracing_program_is_made_per_function() {
    let object = compile("fentry:vfs_read* { @[func] = count(); }");
    let targets: Vec<(ProgKind, &AttachTarget)> = object
        .programs
        .iter()
        .map(|p| {
            assert_eq!(p.attach.len(), 1);
            (p.kind, &p.attach[0].target)
        })
        .collect();
    let fentry = |function: &str| AttachTarget::Fentry {
        module: "vmlinux".into(),
        function: function.into(),
        ret: false,
    };
    assert_eq!(
        targets,
        [
            (ProgKind::Fentry, &fentry("vfs_read")),
            (ProgKind::Fentry, &fentry("vfs_readv"))
        ]
    );
    // func is each program's function, known when compiling.
    for (n, function) in ["vfs_read", "vfs_readv"].iter().enumerate() {
        let lines = disassembly(&object, n);
        let index = object
            .probe_names
            .iter()
            .position(|p| p == function)
            .expect("the function's name is among the names");
        assert_eq!(lines[2], format!("r0 = {index}"), "{lines:#?}");
    }
}

#[test]
fn kprobes_on_many_functions_share_one_program_and_tell_func_by_cookie() {
    let object = compile("kretprobe:vfs_rea* { @f = func; }");
    assert_eq!(object.programs.len(), 1);
    let program = &object.programs[0];
    assert_eq!(program.kind, ProgKind::Kprobe);
    assert_eq!(program.attach.len(), 2);
    assert_eq!(
        value_of_first_store(&disassembly(&object, 0)),
        ["r1 = r6", "call bpf_get_attach_cookie#174", "r0 >>= 32"]
    );
    // The cookie's high half names each function.
    for point in &program.attach {
        let AttachTarget::Kprobe { function, .. } = &point.target else {
            panic!("{:?}", point.target);
        };
        let func = (object.cookie(point.probe) >> 32) as usize;
        assert_eq!(&object.probe_names[func], function);
    }
}

#[test]
fn func_of_a_kprobe_at_an_address_is_the_symbol_there() {
    let object = compile("kprobe:0x1234 { @f = func; }");
    assert_eq!(
        value_of_first_store(&disassembly(&object, 0)),
        ["r0 = 4660"]
    );
    assert_eq!(object.maps[0].value_size, 8);
}

#[test]
fn tracing_programs_never_ask_for_a_cookie() {
    // Tracing links carry no cookie before Linux 6.0: what the cookie
    // tells a shared program is compiled into each tracing program.
    let object = compile("fexit:vfs_read*, fentry:ksys_read { @[probe, func, ustack] = count(); }");
    assert_eq!(object.programs.len(), 3);
    for (n, program) in object.programs.iter().enumerate() {
        assert_ne!(program.kind, ProgKind::Kprobe);
        let lines = disassembly(&object, n);
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.contains("bpf_get_attach_cookie"))
                .count(),
            0,
            "{lines:#?}"
        );
    }
}

#[test]
fn whole_args_strings_and_fields_compile() {
    for src in [
        "fentry:ksys_read { print(args); }",
        "kprobe:vfs_read { printf(\"%s %d\\n\", str(args.buf), args.file->f_flags); }",
        "fexit:do_sys_openat2 { @[str(args.filename)] = sum(retval); }",
        "fentry:vfs_read* { @[probe, func] = hist(args.pos == 0 ? 0 : *args.pos); }",
        "fentry:mix_sum { @b = args.m.b; print(args); }",
        "kprobe:pair_sum { printf(\"%d\\n\", args.p.b); }",
    ] {
        let object = compile(src);
        assert!(!object.programs.is_empty(), "{src}");
    }
}

#[test]
fn user_tagged_pointer_arguments_are_read_from_user_memory() {
    // `char __user *buf` and `const char __user *filename`.
    for src in [
        "kprobe:vfs_read { @s[str(args.buf)] = count(); }",
        "fexit:do_sys_openat2 { @s[str(args.filename)] = count(); }",
    ] {
        let lines = disassembly(&compile(src), 0);
        let calls = |helper: &str| lines.iter().filter(|l| l.contains(helper)).count();
        assert_eq!(
            calls("call bpf_probe_read_user_str#"),
            1,
            "{src}: {lines:#?}"
        );
        assert_eq!(
            calls("call bpf_probe_read_kernel_str#"),
            0,
            "{src}: {lines:#?}"
        );
    }
}

#[test]
fn a_struct_argument_is_assembled_from_its_slots() {
    // mix_sum(int n, struct mix { int a; short b; char c; long d; } m):
    // m is in slots 1 and 2; b is bytes 4..6 of slot 1.
    let object = compile("fentry:mix_sum { @m = args.m; }");
    let lines = disassembly(&object, 0);
    let reads: Vec<&String> = lines.iter().filter(|l| l.contains("(r6 +")).collect();
    assert_eq!(
        reads,
        [
            "r0 = *(u64 *)(r6 +8)",
            "r0 = *(u64 *)(r6 +8)",
            "r0 = *(u64 *)(r6 +8)",
            "r0 = *(u64 *)(r6 +16)"
        ],
        "{lines:#?}"
    );
    assert!(lines.iter().any(|l| l == "r0 >>= 32"), "{lines:#?}");
    assert!(lines.iter().any(|l| l == "r0 >>= 48"), "{lines:#?}");
    let map = &object.maps[object.user_maps[0].map];
    assert_eq!(map.value_size, 16);
}
