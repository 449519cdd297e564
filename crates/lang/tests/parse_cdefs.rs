//! C definitions at the top of a script, and the type syntax of casts,
//! `sizeof` and `offsetof`.

use sonde_lang::ast::{CBase, CDefKind, ExprKind, SizeofArg, StmtKind};
use sonde_lang::parse;

#[test]
fn structs_with_pointers_arrays_bitfields_and_nesting() {
    let p = parse(
        "struct Foo { int a, *b; char name[16]; unsigned long long f:3; \
         struct { int m[1] } y; struct task_struct *t } \
         __attribute__((packed)); BEGIN { }",
    )
    .unwrap();
    assert_eq!(p.probes.len(), 1);
    let CDefKind::Record(r) = &p.c_definitions[0].kind else {
        panic!("not a struct");
    };
    assert_eq!(r.name.as_deref(), Some("Foo"));
    assert!(r.packed && !r.union);
    let names: Vec<&str> = r.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "name", "f", "y", "t"]);
    assert_eq!(r.fields[1].ty.pointer_depth, 1);
    assert_eq!(r.fields[2].array_dims, [16]);
    assert_eq!(r.fields[3].bits, Some(3));
    assert_eq!(
        r.fields[3].ty.base,
        CBase::Named("unsigned long long".into())
    );
    assert!(matches!(r.fields[4].ty.base, CBase::Record(_)));
    assert_eq!(
        r.fields[5].ty.base,
        CBase::Named("struct task_struct".into())
    );
}

#[test]
fn enums_unions_and_comments() {
    let p = parse(
        "enum Foo { A, B = 5, C = -1, }; union N { int i; float f; }; \
         struct foo { int x; } /**/ __attribute__ /**/ ((packed)) /**/ begin { }",
    )
    .unwrap();
    assert_eq!(p.c_definitions.len(), 3);
    let CDefKind::Enum(e) = &p.c_definitions[0].kind else {
        panic!("not an enum");
    };
    assert_eq!(
        e.variants,
        [
            ("A".to_string(), None),
            ("B".to_string(), Some(5)),
            ("C".to_string(), Some(-1))
        ]
    );
    let CDefKind::Record(u) = &p.c_definitions[1].kind else {
        panic!("not a union");
    };
    assert!(u.union);
    let CDefKind::Record(s) = &p.c_definitions[2].kind else {
        panic!("not a struct");
    };
    assert!(s.packed);
}

#[test]
fn sizeof_offsetof_and_array_casts() {
    let p = parse(
        "BEGIN { $a = sizeof(struct Foo); $b = sizeof($x); $c = offsetof(struct Foo, a.b); \
         $d = (int8[8])1; $e = (uint8[])\"ab\"; }",
    )
    .unwrap();
    let value = |i: usize| match &p.probes[0].body.stmts[i].kind {
        StmtKind::Assign { value, .. } => value.kind.clone(),
        other => panic!("not an assignment: {other:?}"),
    };
    let ExprKind::Sizeof(arg) = value(0) else {
        panic!("not sizeof");
    };
    assert!(matches!(*arg, SizeofArg::Type(ref t) if t.name == "struct Foo"));
    let ExprKind::Sizeof(arg) = value(1) else {
        panic!("not sizeof");
    };
    assert!(matches!(*arg, SizeofArg::Expr(_)));
    let ExprKind::Offsetof { fields, .. } = value(2) else {
        panic!("not offsetof");
    };
    assert_eq!(fields, ["a", "b"]);
    let ExprKind::Cast { ty, .. } = value(3) else {
        panic!("not a cast");
    };
    assert_eq!(ty.array, Some(Some(8)));
    let ExprKind::Cast { ty, .. } = value(4) else {
        panic!("not a cast");
    };
    assert_eq!(ty.array, Some(None));
}

#[test]
fn broken_definitions_are_errors_with_places() {
    let err = parse("struct Foo { int a[; } BEGIN { }").unwrap_err();
    assert!(
        err.message.starts_with("syntax: expected"),
        "{}",
        err.message
    );
    let err = parse("struct Foo { int a; BEGIN { }").unwrap_err();
    assert!(
        err.message.starts_with("syntax: expected"),
        "{}",
        err.message
    );
}
