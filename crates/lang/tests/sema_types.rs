//! The type system without a kernel: pointers and their pointees, casts,
//! pointer arithmetic.

use sonde_lang::sema::fake_env::FakeEnv;
use sonde_lang::sema::typed::{TExpr, TExprKind, TStmtKind, TypedProgram};
use sonde_lang::sema::types::{MapValue, Type};
use sonde_lang::sema::{analyse, Options};

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
