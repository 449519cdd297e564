//! Expressions: precedence and associativity, prefix and postfix
//! operators, casts, tuples, calls, maps, variables and their spans.

mod common;

use common::{expr, expr_tree};
use sonde_lang::ast::{ExprKind, TypeName};
use sonde_lang::Span;

#[test]
fn binary_precedence_from_loosest_to_tightest() {
    // Each level binds tighter than the one before it.
    let levels = ["||", "&&", "|", "^", "&", "==", "<", "<<", "+", "*"];
    for (i, loose) in levels.iter().enumerate() {
        for tight in &levels[i + 1..] {
            assert_eq!(
                expr(&format!("a {loose} b {tight} c")),
                format!("(a {loose} (b {tight} c))")
            );
            assert_eq!(
                expr(&format!("a {tight} b {loose} c")),
                format!("((a {tight} b) {loose} c)")
            );
        }
    }
}

#[test]
fn operators_sharing_a_level_associate_left() {
    let groups: [&[&str]; 6] = [
        &["==", "!="],
        &["<", "<=", ">", ">="],
        &["<<", ">>"],
        &["+", "-"],
        &["*", "/", "%"],
        &["||"],
    ];
    for group in groups {
        for a in group {
            for b in group {
                assert_eq!(
                    expr(&format!("x {a} y {b} z")),
                    format!("((x {a} y) {b} z)")
                );
            }
        }
    }
    assert_eq!(expr("1 - 2 - 3 - 4"), "(((1 - 2) - 3) - 4)");
    assert_eq!(expr("a && b && c"), "((a && b) && c)");
}

#[test]
fn c_style_examples() {
    assert_eq!(expr("2 + 3 * 4"), "(2 + (3 * 4))");
    assert_eq!(expr("10 - 8 / 2"), "(10 - (8 / 2))");
    assert_eq!(expr("2 * 3 % 4"), "((2 * 3) % 4)");
    assert_eq!(expr("1 + 2 << 3"), "((1 + 2) << 3)");
    assert_eq!(expr("1 << 2 < 3"), "((1 << 2) < 3)");
    assert_eq!(expr("$a & 0xff == 1"), "($a & (255 == 1))");
    assert_eq!(expr("a == b < c"), "(a == (b < c))");
    assert_eq!(expr("!a && b"), "((!a) && b)");
    assert_eq!(expr("(2 + 3) * 4"), "((2 + 3) * 4)");
}

#[test]
fn ternary_is_right_associative_and_loosest() {
    assert_eq!(expr("a ? b : c"), "(a ? b : c)");
    assert_eq!(expr("1 ? 2 ? 3 : 4 : 5"), "(1 ? (2 ? 3 : 4) : 5)");
    assert_eq!(expr("a ? b : c ? d : e"), "(a ? b : (c ? d : e))");
    assert_eq!(expr("a || b ? c + 1 : d"), "((a || b) ? (c + 1) : d)");
    assert_eq!(
        expr("pid > 1 ? \"big\" : \"small\""),
        "((pid > 1) ? \"big\" : \"small\")"
    );
    // The short form repeats the condition, as bpftrace does.
    assert_eq!(expr("$x ?: 5"), "($x ? $x : 5)");
}

#[test]
fn prefix_operators() {
    assert_eq!(expr("-1"), "(-1)");
    assert_eq!(expr("- -1"), "(-(-1))");
    assert_eq!(expr("!a"), "(!a)");
    assert_eq!(expr("!!a"), "(!(!a))");
    assert_eq!(expr("~a"), "(~a)");
    assert_eq!(expr("*arg0"), "(*arg0)");
    assert_eq!(expr("**p"), "(*(*p))");
    assert_eq!(expr("&$x"), "(&$x)");
    assert_eq!(expr("&@m"), "(&@m)");
    assert_eq!(expr("-a * b"), "((-a) * b)");
    assert_eq!(expr("*@x+1"), "((*@x) + 1)");
    assert_eq!(expr("*@x**@y"), "((*@x) * (*@y))");
    assert_eq!(expr("*@x.myfield"), "(*@x.myfield)");
    assert_eq!(expr("-$x->y"), "(-$x->y)");
    // The longest operator is read first, as bpftrace does.
    assert_eq!(expr("$a---$b"), "(($a--) - $b)");
    assert_eq!(expr("$a- --$b"), "($a - (--$b))");
}

#[test]
fn postfix_operators() {
    assert_eq!(expr("$x.field"), "$x.field");
    assert_eq!(expr("$x->field"), "$x->field");
    assert_eq!(expr("args.filename"), "args.filename");
    assert_eq!(expr("args->filename"), "args->filename");
    assert_eq!(expr("$t.0"), "$t.0");
    assert_eq!(expr("$t.1.0"), "$t.1.0");
    assert_eq!(expr("$x->a.b[1]->c"), "$x->a.b[1]->c");
    assert_eq!(expr("x[index]"), "x[index]");
    assert_eq!(expr("$s[0][1]"), "$s[0][1]");
    assert_eq!(expr("@m[1][2]"), "@m[1][2]");
    assert_eq!(expr("curtask->mm->arg_start"), "curtask->mm->arg_start");
    assert_eq!(expr("$x . y"), "$x.y");
    assert_eq!(expr("$x++ + 1"), "(($x++) + 1)");
    assert_eq!(expr("@x[1]-- - 1"), "((@x[1]--) - 1)");
}

#[test]
fn field_and_arrow_are_told_apart() {
    let tree = expr_tree("$x->y");
    assert!(matches!(tree.kind, ExprKind::Field { arrow: true, .. }));
    let tree = expr_tree("$x.y");
    assert!(matches!(tree.kind, ExprKind::Field { arrow: false, .. }));
}

#[test]
fn calls() {
    assert_eq!(expr("count()"), "count()");
    assert_eq!(expr("f(1)"), "f(1)");
    assert_eq!(
        expr("printf(\"%d %s\", pid, comm)"),
        "printf(\"%d %s\", pid, comm)"
    );
    assert_eq!(
        expr("hist((nsecs - @s[tid]) / 1000)"),
        "hist(((nsecs - @s[tid]) / 1000))"
    );
    assert_eq!(expr("lhist(x, 0, 100, 10)"), "lhist(x, 0, 100, 10)");
    assert_eq!(expr("str(args->filename, 16)"), "str(args->filename, 16)");
    assert_eq!(expr("f(g(h(1)), 2)"), "f(g(h(1)), 2)");
    assert_eq!(expr("f (1)"), "f(1)");
    assert_eq!(expr("ksym(reg(\"ip\"))"), "ksym(reg(\"ip\"))");
}

#[test]
fn names_variables_maps_and_positionals() {
    assert_eq!(expr("pid"), "pid");
    assert_eq!(expr("__builtin_comm"), "__builtin_comm");
    assert_eq!(expr("arg0 + retval"), "(arg0 + retval)");
    assert_eq!(expr("$name"), "$name");
    assert_eq!(expr("$_a1"), "$_a1");
    assert_eq!(expr("$1"), "$1");
    assert_eq!(expr("$12 + $#"), "($12 + $#)");
    assert_eq!(expr("@"), "@");
    assert_eq!(expr("@m"), "@m");
    assert_eq!(expr("@m[k]"), "@m[k]");
    assert_eq!(expr("@m[a, b, c]"), "@m[a, b, c]");
    assert_eq!(expr("@[1]"), "@[1]");
    assert_eq!(expr("true"), "true");
    assert_eq!(expr("false || true"), "(false || true)");
    assert!(matches!(expr_tree("$7").kind, ExprKind::Positional(7)));
    assert!(matches!(expr_tree("$#").kind, ExprKind::PositionalCount));
    assert_eq!(
        expr_tree("@").kind,
        ExprKind::Map {
            name: String::new(),
            keys: vec![]
        }
    );
}

#[test]
fn tuples_and_groupings() {
    assert_eq!(expr("(1)"), "1");
    assert_eq!(expr("((((1))))"), "1");
    assert_eq!(expr("(1, 2)"), "(tuple 1, 2)");
    assert_eq!(expr("(1, \"a\", (2, 3))"), "(tuple 1, \"a\", (tuple 2, 3))");
    assert_eq!(expr("(1, 2,)"), "(tuple 1, 2)");
    assert_eq!(expr("(1 + 2, f(3))"), "(tuple (1 + 2), f(3))");
    assert_eq!(expr("(1, 2).1"), "(tuple 1, 2).1");
}

#[test]
fn casts() {
    assert_eq!(expr("(uint8)$x"), "(cast uint8 $x)");
    assert_eq!(expr("(int64)x"), "(cast int64 x)");
    assert_eq!(
        expr("(struct task_struct *)curtask"),
        "(cast struct task_struct* curtask)"
    );
    assert_eq!(
        expr("(struct  task_struct**) p"),
        "(cast struct task_struct** p)"
    );
    assert_eq!(expr("(union u *)p"), "(cast union u* p)");
    assert_eq!(expr("(enum e)1"), "(cast enum e 1)");
    assert_eq!(expr("(uint64 ****)arg0"), "(cast uint64**** arg0)");
    // An unknown name before `*` is a parenthesised value being multiplied;
    // a known type name makes it a cast of a dereference.
    assert_eq!(expr("(mytype)*arg0"), "(mytype * arg0)");
    assert_eq!(expr("(uint64)*arg0"), "(cast uint64 (*arg0))");
    assert_eq!(expr("(pid) != 1"), "(pid != 1)");
    assert_eq!(expr("(cpu) - 1"), "(cpu - 1)");
    assert_eq!(
        expr("(struct mytype)arg0.field"),
        "(cast struct mytype arg0.field)"
    );
    assert_eq!(
        expr("(struct mytype*)arg0->field"),
        "(cast struct mytype* arg0->field)"
    );
    assert_eq!(
        expr("(struct mytype)arg0+123"),
        "((cast struct mytype arg0) + 123)"
    );
    assert_eq!(expr("(uint8)-1"), "(cast uint8 (-1))");
    assert_eq!(expr("(int8)(uint8)$x"), "(cast int8 (cast uint8 $x))");
    assert_eq!(expr("((struct A *) arg0).x"), "(cast struct A* arg0).x");
}

#[test]
fn parentheses_that_are_not_casts() {
    // Builtins are never type names.
    assert_eq!(expr("(arg1)*arg0"), "(arg1 * arg0)");
    assert_eq!(expr("(pid) - 1"), "(pid - 1)");
    // Nothing that can start an operand follows the ')'.
    assert_eq!(expr("(x) + 1"), "(x + 1)");
    assert_eq!(expr("(x) == 1"), "(x == 1)");
    assert_eq!(expr("(x)[1]"), "x[1]");
    assert_eq!(expr("($x) - 1"), "($x - 1)");
}

#[test]
fn cast_type_names() {
    let ExprKind::Cast { ty, .. } = expr_tree("(struct task_struct *)curtask").kind else {
        panic!("not a cast");
    };
    assert_eq!(
        ty,
        TypeName {
            name: "struct task_struct".into(),
            pointer_depth: 1,
            array: None,
            span: Span::new(14, 34),
        }
    );
}

#[test]
fn expression_spans() {
    // In `BEGIN { $v = ... }` the expression starts at byte 13.
    let at = |s: usize, e: usize| Span::new(13 + s, 13 + e);
    let tree = expr_tree("a + b * c");
    assert_eq!(tree.span, at(0, 9));
    let ExprKind::Binary { rhs, .. } = &tree.kind else {
        panic!()
    };
    assert_eq!(rhs.span, at(4, 9));

    assert_eq!(expr_tree("f(1, 2)").span, at(0, 7));
    assert_eq!(expr_tree("@m[1, 2]").span, at(0, 8));
    assert_eq!(expr_tree("@m").span, at(0, 2));
    assert_eq!(expr_tree("$x->y.z").span, at(0, 7));
    assert_eq!(expr_tree("$x[1]").span, at(0, 5));
    assert_eq!(expr_tree("$x++").span, at(0, 4));
    assert_eq!(expr_tree("--$x").span, at(0, 4));
    assert_eq!(expr_tree("-5").span, at(0, 2));
    assert_eq!(expr_tree("(1, 2)").span, at(0, 6));
    assert_eq!(expr_tree("(uint8)$x").span, at(0, 9));
    assert_eq!(expr_tree("a ? b : c").span, at(0, 9));
    assert_eq!(expr_tree("\"a\\n\"").span, at(0, 5));
    // A grouping keeps the span of what it groups, as in bpftrace.
    assert_eq!(expr_tree("(a)").span, at(1, 2));
    assert_eq!(expr_tree("(a + b) * c").span, at(1, 11));
}
