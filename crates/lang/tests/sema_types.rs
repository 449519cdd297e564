//! The type system without a kernel: pointers and their pointees, casts,
//! pointer arithmetic.

use std::sync::Arc;

use sonde_lang::sema::fake_env::FakeEnv;
use sonde_lang::sema::typed::{Builtin, TExpr, TExprKind, TStmtKind, TypedProgram};
use sonde_lang::sema::types::{EnumDef, Field, MapValue, Record, Type};
use sonde_lang::sema::{analyse, KernelTypes, Options, ProbeEnv};

fn check(src: &str) -> TypedProgram {
    let ast = sonde_lang::parse(src).expect("parses");
    analyse(&ast, &FakeEnv::default(), &Options::default())
        .unwrap_or_else(|d| panic!("unexpected error: {} at {:?}", d.message, d.span))
}

/// The error's message and the source text its span covers.
fn error(src: &str) -> (String, String) {
    let ast = sonde_lang::parse(src).expect("parses");
    let d = analyse(&ast, &FakeEnv::default(), &Options::default()).expect_err("should fail");
    (d.message, src[d.span.start..d.span.end].to_string())
}

fn int(bytes: u8, signed: bool) -> Type {
    Type::Int { bytes, signed }
}

/// The value assigned by the probe's `n`th statement.
fn assigned(p: &TypedProgram, n: usize) -> &TExpr {
    match &p.probes[0].body[n].kind {
        TStmtKind::AssignVar { value, .. } | TStmtKind::AssignMap { value, .. } => value,
        other => panic!("statement {n} is not an assignment: {other:?}"),
    }
}

#[test]
fn pointer_casts_keep_their_pointee() {
    let p = check("BEGIN { @a = (int16 *)0x32; @b = (uint8 **)0; @c = (void *)1; }");
    let value = |i: usize| p.maps[i].value.clone();
    assert_eq!(value(0), MapValue::Plain(Type::ptr(int(2, true), false)));
    assert_eq!(
        value(1),
        MapValue::Plain(Type::ptr(Type::ptr(int(1, false), false), false))
    );
    assert_eq!(value(2), MapValue::Plain(Type::void_ptr(false)));
    assert_eq!(Type::ptr(int(2, true), false).to_string(), "int16 *");
    assert_eq!(
        Type::ptr(Type::ptr(int(1, false), false), false).to_string(),
        "uint8 **"
    );
    assert_eq!(Type::void_ptr(true).to_string(), "void *");
}

#[test]
fn pointer_arithmetic_steps_by_the_pointee_size() {
    let p = check("BEGIN { $p = (int32 *)0x32; $q = $p + 6; $r = 2 + $p; $s = $p - $1; }");
    // A literal offset is scaled at compile time.
    let TExprKind::Binary { rhs, .. } = &assigned(&p, 1).kind else {
        panic!("not a binary expression");
    };
    assert!(matches!(rhs.kind, TExprKind::Int(24)));
    assert_eq!(assigned(&p, 1).ty, Type::ptr(int(4, true), false));
    let TExprKind::Binary { lhs, .. } = &assigned(&p, 2).kind else {
        panic!("not a binary expression");
    };
    assert!(matches!(lhs.kind, TExprKind::Int(8)));
    // Increments of pointer maps step by the pointee too.
    let p = check("BEGIN { @ = (int64 *)0x32; @++; }");
    let TExprKind::Binary { rhs, .. } = &assigned(&p, 1).kind else {
        panic!("not a binary expression");
    };
    assert!(matches!(rhs.kind, TExprKind::Int(8)));
}

#[test]
fn void_pointers_step_by_bytes() {
    let p = check("BEGIN { $p = (void *)0x32; $q = $p + 3; }");
    let TExprKind::Binary { rhs, .. } = &assigned(&p, 1).kind else {
        panic!("not a binary expression");
    };
    assert!(matches!(rhs.kind, TExprKind::Int(3)));
}

#[test]
fn syscall_tracepoint_pointers_are_user_char_pointers() {
    let p = check("tracepoint:syscalls:sys_enter_openat { $f = args.filename; }");
    assert_eq!(p.probes[0].vars, [Type::ptr(int(1, true), true)]);
}

#[test]
fn unknown_cast_types_are_named() {
    assert_eq!(
        error("BEGIN { $x = (footype *)0; }"),
        (
            "Unknown type: 'footype'".to_string(),
            "footype *".to_string()
        )
    );
    assert_eq!(
        error("BEGIN { $x = (void)0; }"),
        ("Unknown type: 'void'".to_string(), "void".to_string())
    );
}

/// A kernel with a tiny BTF: `struct task_struct { int pid; char comm[16];
/// struct task_struct *parent; }`, `enum state { RUNNING = 0, DEAD = 16 }`,
/// and rawtracepoint `sched_switch(bool preempt, struct task_struct *prev)`.
struct FakeKernel {
    tracepoints: FakeEnv,
    types: FakeTypes,
}

struct FakeTypes;

fn task_struct() -> Arc<Record> {
    let field = |name: &str, offset: u32, ty: Type| Field {
        name: name.into(),
        offset,
        ty,
        bitfield: None,
    };
    Arc::new(Record {
        name: "struct task_struct".into(),
        size: 32,
        fields: vec![
            field("pid", 0, int(4, true)),
            field("comm", 8, Type::Str { size: 16 }),
            field(
                "parent",
                24,
                Type::ptr(
                    Type::Record(Arc::new(Record::stub("struct task_struct", 32))),
                    false,
                ),
            ),
        ],
        complete: true,
    })
}

fn state_enum() -> Arc<EnumDef> {
    Arc::new(EnumDef {
        name: "enum state".into(),
        bytes: 4,
        variants: vec![("RUNNING".into(), 0), ("DEAD".into(), 16)],
    })
}

impl KernelTypes for FakeTypes {
    fn record(&self, name: &str) -> Option<Arc<Record>> {
        (name == "struct task_struct").then(task_struct)
    }
    fn enum_def(&self, name: &str) -> Option<Arc<EnumDef>> {
        (name == "enum state").then(state_enum)
    }
    fn enum_variant(&self, name: &str) -> Option<(Arc<EnumDef>, u64)> {
        let def = state_enum();
        let value = def.variants.iter().find(|(n, _)| n == name)?.1;
        Some((def, value))
    }
    fn type_named(&self, name: &str) -> Option<Type> {
        (name == "pid_t").then(|| int(4, true))
    }
    fn c_definition(&self, _name: &str) -> Option<String> {
        None
    }
    fn raw_tracepoints(&self) -> Vec<(String, String)> {
        [
            ("vmlinux", "sched_switch"),
            ("vmlinux", "sys_enter"),
            ("vmlinux", "sys_exit"),
            ("kvm", "kvm_exit"),
        ]
        .map(|(m, n)| (m.to_string(), n.to_string()))
        .to_vec()
    }
    fn raw_tracepoint_args(&self, name: &str) -> Option<Vec<(String, Type)>> {
        (name == "sched_switch").then(|| {
            vec![
                ("preempt".into(), Type::Bool),
                ("prev".into(), Type::ptr(Type::Record(task_struct()), false)),
            ]
        })
    }
}

impl ProbeEnv for FakeKernel {
    fn tracepoints(&self) -> Result<Vec<(String, String)>, String> {
        self.tracepoints.tracepoints()
    }
    fn tracepoint_format(&self, category: &str, name: &str) -> Option<String> {
        self.tracepoints.tracepoint_format(category, name)
    }
    fn kernel_types(&self) -> Option<&dyn KernelTypes> {
        Some(&self.types)
    }
}

fn check_kernel(src: &str) -> Result<TypedProgram, String> {
    let ast = sonde_lang::parse(src).expect("parses");
    let mut tracepoints = FakeEnv::default();
    tracepoints.tracepoints.push((
        "sched".into(),
        "fake_state".into(),
        "format:\n\tfield:enum state st;\toffset:8;\tsize:4;\tsigned:0;\n".into(),
    ));
    let env = FakeKernel {
        tracepoints,
        types: FakeTypes,
    };
    analyse(&ast, &env, &Options::default()).map_err(|d| d.message)
}

/// The first statement's expression (`$x = e` or `e;`).
fn first_value(p: &TypedProgram) -> &TExpr {
    match &p.probes[0].body[0].kind {
        TStmtKind::AssignVar { value, .. } | TStmtKind::AssignMap { value, .. } => value,
        TStmtKind::Expr(e) => e,
        other => panic!("unexpected statement {other:?}"),
    }
}

#[test]
fn script_structs_are_laid_out_as_c_does() {
    let p = check(
        "struct A { char c; int i; char s[3]; long l; } \
         struct B { int x; char y; int z; } __attribute__((packed)) \
         union U { char c; long l; } \
         BEGIN { @a = sizeof(struct A); @b = sizeof(struct B); @u = sizeof(union U); \
         @o = offsetof(struct A, l); }",
    );
    let consts: Vec<u64> = (0..4)
        .map(|i| match assigned(&p, i).kind {
            TExprKind::Int(v) => v,
            ref other => panic!("not a constant: {other:?}"),
        })
        .collect();
    assert_eq!(consts, [24, 9, 8, 16]);
}

#[test]
fn field_reads_through_pointers_are_one_read_at_the_final_offset() {
    let p = check(
        "struct In { int a; int b[4]; } struct Out { long x; struct In in; } \
         BEGIN { $p = (struct Out *)1000; $v = $p->in.b[2]; }",
    );
    let value = assigned(&p, 1);
    assert_eq!(value.ty, int(4, true));
    let TExprKind::Deref { addr, user: false } = &value.kind else {
        panic!("not a read: {:?}", value.kind);
    };
    // 8 (in) + 4 (b) + 2 * 4.
    let TExprKind::Binary { rhs, .. } = &addr.kind else {
        panic!("no offset: {:?}", addr.kind);
    };
    assert!(matches!(rhs.kind, TExprKind::Int(20)));
}

#[test]
fn bitfields_are_shifted_and_masked() {
    let p = check(
        "struct F { unsigned int a:3; unsigned int b:5; } \
         BEGIN { $p = (struct F *)8; $b = $p->b; }",
    );
    let value = assigned(&p, 1);
    let TExprKind::Binary { rhs: mask, lhs, .. } = &value.kind else {
        panic!("no mask");
    };
    assert!(matches!(mask.kind, TExprKind::Int(31)));
    let TExprKind::Binary { rhs: shift, .. } = &lhs.kind else {
        panic!("no shift");
    };
    assert!(matches!(shift.kind, TExprKind::Int(3)));
}

#[test]
fn enums_are_constants_of_their_enum_type() {
    let p = check("enum E { A, B = 7, C } BEGIN { $c = C; $x = (enum E)1; }");
    let value = assigned(&p, 0);
    assert!(matches!(value.kind, TExprKind::Int(8)));
    let Type::Enum(def) = &value.ty else {
        panic!("not an enum: {}", value.ty);
    };
    assert_eq!(def.name, "enum E");
    assert_eq!(def.name_of(7), Some("B"));
    assert_eq!(def.name_of(9), None);
}

#[test]
fn arrays_are_bounds_checked_at_compile_time() {
    let (message, text) =
        error("struct A { int x[4]; } BEGIN { $a = (struct A *)0; $x = $a.x[5]; }");
    assert_eq!(message, "the index 5 is out of bounds for array of size 4");
    assert_eq!(text, "5");
}

#[test]
fn errors_name_the_missing_field_and_the_bad_operand() {
    let (message, _) = error("struct A { int x; } BEGIN { $a = (struct A *)0; $y = $a->y; }");
    assert_eq!(message, "'struct A' has no field named 'y'");
    let (message, _) = error("BEGIN { $y = *5; }");
    assert_eq!(message, "Can not dereference type 'int64'");
    let (message, _) = error("BEGIN { $p = (void *)0; $y = *$p; }");
    assert_eq!(message, "Can not dereference a void pointer");
}

#[test]
fn curtask_and_kernel_types_come_from_btf() {
    let p = check_kernel("BEGIN { $x = curtask->parent->comm; }").unwrap();
    let value = first_value(&p);
    assert_eq!(value.ty, Type::Str { size: 16 });
    assert!(matches!(value.kind, TExprKind::Deref { .. }));
    let p = check_kernel("BEGIN { $t = curtask; }").unwrap();
    let value = first_value(&p);
    assert!(matches!(value.kind, TExprKind::Builtin(Builtin::CurTask)));
    assert_eq!(value.ty.to_string(), "struct task_struct *");
    let p = check_kernel("BEGIN { $s = DEAD; $z = sizeof(pid_t); }").unwrap();
    assert!(matches!(first_value(&p).kind, TExprKind::Int(16)));
    // Without BTF curtask is a plain integer.
    let p = check("BEGIN { $t = curtask; }");
    assert_eq!(assigned(&p, 0).ty, Type::U64);
}

#[test]
fn rawtracepoint_args_are_typed_from_btf() {
    let p = check_kernel("rawtracepoint:sched_switch { $p = args.prev->pid; }").unwrap();
    let value = first_value(&p);
    assert_eq!(value.ty, int(4, true));
    let TExprKind::Deref { addr, .. } = &value.kind else {
        panic!("not a read");
    };
    assert!(matches!(addr.kind, TExprKind::Arg(1)));
    let err = check_kernel("rawtracepoint:sched_switch { $p = args.next; }").unwrap_err();
    assert_eq!(err, "Can't find a field next in rawtracepoint sched_switch");
}

#[test]
fn address_of_a_variable_is_a_pointer_to_it() {
    let p = check("BEGIN { $v = (uint64)5; $p = &$v; }");
    let value = assigned(&p, 1);
    assert!(matches!(value.kind, TExprKind::AddrOfVar(0)));
    assert_eq!(value.ty, Type::ptr(int(8, false), false));
}

#[test]
fn char_arrays_are_strings_and_byte_arrays_compare_whole() {
    let p = check(
        "struct A { char name[4]; unsigned char raw[4]; int x[2]; } \
         BEGIN { $a = (struct A *)0; $n = $a->name; $r = $a->raw; $e = $a->x == $a->x; }",
    );
    // One byte longer than the array, as bpftrace types a script's char
    // array: its text may fill it.
    assert_eq!(assigned(&p, 1).ty, Type::Str { size: 5 });
    assert_eq!(assigned(&p, 2).ty, Type::array(int(1, false), 4));
    assert_eq!(assigned(&p, 3).ty, Type::Bool);
    let (message, _) = error(
        "struct A { int x[2]; int y[3]; } BEGIN { $a = (struct A *)0; $e = $a->x == $a->y; }",
    );
    assert_eq!(
        message,
        "Type mismatch for '==': comparing 'int32[2]' with 'int32[3]'"
    );
}

#[test]
fn typeof_names_types_with_pointers() {
    let p = check_kernel("BEGIN { let $a: typeof(pid_t) = 1; let $b: typeof(pid_t *) = &$a; }")
        .unwrap();
    // Variables hold integers in 64 bits; the pointer keeps its pointee.
    assert_eq!(p.probes[0].vars[0], Type::I64);
    assert_eq!(p.probes[0].vars[1], Type::ptr(int(4, true), false));
}

#[test]
fn tracepoint_enum_fields_are_enums_when_btf_knows_them() {
    let p = check_kernel("tracepoint:sched:fake_state { $s = args.st; }").unwrap();
    let Type::Enum(def) = &first_value(&p).ty else {
        panic!("not an enum: {}", first_value(&p).ty);
    };
    assert_eq!(def.name_of(16), Some("DEAD"));
}

#[test]
fn address_of_a_map_is_a_kernel_pointer_to_its_value() {
    let p = check("BEGIN { @x = (uint8)5; $p = &@x; }");
    let value = assigned(&p, 1);
    assert!(matches!(
        value.kind,
        TExprKind::AddrOfMap { map: 0, key: None }
    ));
    // Map values are stored in 64 bits.
    assert_eq!(value.ty, Type::ptr(int(8, false), false));
    let (message, _) = error("BEGIN { @c = count(); $p = &@c; }");
    assert_eq!(message, "cannot take the address of a count_t map's value");
}

#[test]
fn variable_indexes_into_arrays_behind_pointers_are_checked_at_run_time() {
    let p = check("struct A { int x[4]; int y[0]; } BEGIN { $a = (struct A *)0; $i = 2; $v = $a->x[$i]; $w = $a->y[$i]; }");
    let TExprKind::Deref { addr, .. } = &assigned(&p, 2).kind else {
        panic!("not a read");
    };
    let TExprKind::Binary { rhs, .. } = &addr.kind else {
        panic!("no offset");
    };
    let TExprKind::Binary { lhs: index, .. } = &rhs.kind else {
        panic!("no scaling");
    };
    assert!(matches!(index.kind, TExprKind::CheckedIndex { len: 4, .. }));
    // A flexible array member has no length to check against.
    let TExprKind::Deref { addr, .. } = &assigned(&p, 3).kind else {
        panic!("not a read");
    };
    let text = format!("{addr:?}");
    assert!(!text.contains("CheckedIndex"), "{text}");
}

#[test]
fn declarations_take_array_types() {
    let p = check(
        "struct W { int a; } struct V { struct W w[3]; } \
         BEGIN { let $w: struct W[3]; let $b: uint8[4]; $w = ((struct V *)0)->w; }",
    );
    let Type::Array { elem, len: 3 } = &p.probes[0].vars[0] else {
        panic!("not an array: {}", p.probes[0].vars[0]);
    };
    assert_eq!(elem.to_string(), "struct W");
    assert_eq!(p.probes[0].vars[1], Type::array(int(1, false), 4));
    let (message, _) = error("BEGIN { let $w: uint8[]; }");
    assert_eq!(message, "an array in a declaration needs its length: [N]");
}

#[test]
fn positional_text_from_an_offset() {
    let ast = sonde_lang::parse("BEGIN { @s = str($1 + 1); }").unwrap();
    let opts = Options {
        positional: vec!["hello".into()],
        ..Options::default()
    };
    let p = analyse(&ast, &FakeEnv::default(), &opts).unwrap();
    assert!(matches!(&assigned(&p, 0).kind, TExprKind::Str(s) if s == b"ello"));
}

/// A BTF blob whose struct contains itself: `struct loop { struct loop l; }`.
fn self_containing_btf() -> Vec<u8> {
    let strings = b"\0loop\0l\0".to_vec();
    let mut types = Vec::new();
    for w in [1u32, (4 << 24) | 1, 8, 6, 1, 0] {
        types.extend_from_slice(&w.to_le_bytes());
    }
    let mut out = Vec::new();
    out.extend_from_slice(&0xeb9fu16.to_le_bytes());
    out.extend_from_slice(&[1, 0]);
    for w in [
        24u32,
        0,
        types.len() as u32,
        types.len() as u32,
        strings.len() as u32,
    ] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.extend(types);
    out.extend(strings);
    out
}

#[test]
fn malformed_btf_does_not_recurse_without_end() {
    let btf = sonde_btf::Btf::from_bytes(self_containing_btf()).unwrap();
    let types = sonde_lang::sema::btf_types::BtfTypes::new(btf);
    let record = types.record("struct loop").expect("struct loop");
    assert_eq!(record.fields[0].name, "l");
}

#[test]
fn raw_tracepoints_come_from_btf_with_their_modules() {
    let names = |src: &str| -> Vec<String> {
        check_kernel(src)
            .unwrap_or_else(|e| panic!("{e}"))
            .probes
            .iter()
            .flat_map(|p| p.attach.iter())
            .map(|(attach, _)| match attach {
                sonde_lang::sema::probes::Attach::RawTracepoint { name } => name.clone(),
                other => panic!("not a raw tracepoint: {other:?}"),
            })
            .collect()
    };
    assert_eq!(names("rawtracepoint:sys_* { }"), ["sys_enter", "sys_exit"]);
    assert_eq!(names("rawtracepoint:kvm:* { }"), ["kvm_exit"]);
    assert_eq!(names("rawtracepoint:vmlinu*:sys_exit { }"), ["sys_exit"]);
    // No tracefs event is called sys_enter: BTF alone knows it.
    assert_eq!(names("rawtracepoint:sys_enter { }"), ["sys_enter"]);
    assert_eq!(
        check_kernel("rawtracepoint:kvm:sys_exit { }").unwrap_err(),
        "No matches for rawtracepoint kvm:sys_exit."
    );
}
