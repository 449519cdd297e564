//! The checker on bpftrace 0.26's newer grammar: macro and define
//! expansion, `let` and scopes, block and `if` expressions, with every error
//! and the text it points at.

use sonde_lang::sema::fake_env::FakeEnv;
use sonde_lang::sema::typed::TypedProgram;
use sonde_lang::sema::types::{MapValue, StackMode, StackType, Type};
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

fn err(message: &str, at: &str) -> (String, String) {
    (message.to_string(), at.to_string())
}

#[test]
fn macros_expand_with_their_own_variables() {
    // The macro's $y is not the caller's: two variables.
    let p = check("macro inc(x) { $y = x + 1; $y } BEGIN { $y = \"s\"; $z = inc(5); }");
    assert_eq!(
        p.probes[0].vars,
        [Type::Str { size: 2 }, Type::I64, Type::I64]
    );
    // A $param is the caller's variable.
    let p = check("macro set($x) { $x = \"abc\"; } BEGIN { $a = \"\"; set($a); }");
    assert_eq!(p.probes[0].vars, [Type::Str { size: 4 }]);
    // An @param is the caller's map.
    let p = check("macro set(@m) { @m[1] = 2; } BEGIN { set(@a); }");
    assert_eq!(p.maps[0].name, "@a");
    assert_eq!(p.maps[0].value, MapValue::Plain(Type::I64));
    // Bare names expand macros without parameters.
    check("macro one() { 1 } BEGIN { @x = one + one(); }");
}

#[test]
fn macro_errors() {
    assert_eq!(
        error("macro f() { @x = 1; } BEGIN { f(); }"),
        err(
            "Unhygienic access to map: @x. Maps must be passed into the macro as arguments.",
            "@x"
        )
    );
    assert_eq!(
        error("macro f($x) { $x } BEGIN { f(1); }"),
        err(
            "Mismatched arg. f() expects a variable for arg $x but got an expression.",
            "1"
        )
    );
    assert_eq!(
        error("macro f(@m) { 1 } BEGIN { $a = 1; f($a); }"),
        err(
            "Mismatched arg. f() expects a map for arg @m but got a variable.",
            "$a"
        )
    );
    assert_eq!(
        error("macro f(a) { a } BEGIN { f(1, 2); }"),
        err(
            "Call to f() has arguments that do not match any definition.",
            "f(1, 2)"
        )
    );
    assert_eq!(
        error("macro f(a) { g(a) } macro g(b) { f(b) } BEGIN { f(1); }"),
        err(
            "Recursive macro call detected. Call chain: f > g > f",
            "f(b)"
        )
    );
    assert_eq!(
        error("macro f(a) { 1 } macro f(b) { 2 } BEGIN { }"),
        err("Redefinition of macro: f", "macro f")
    );
    assert_eq!(
        error("macro f($a, $a) { 1 } BEGIN { }"),
        err(
            "Variable for macro argument has already been used: $a",
            "$a"
        )
    );
    assert_eq!(
        error("macro f($a) { let $a = 1; } BEGIN { $b = 1; f($b); }"),
        err("Variable declaration shadows macro arg $a", "$a")
    );
    // A standard library name with other arguments is left to the checker.
    check("macro cpu(x) { x } BEGIN { @a = cpu(\"hi\"); @b = cpu(); }");
}

/// The error, where it points, and where each note points.
fn error_with_notes(src: &str) -> (String, String, Vec<(String, String)>) {
    let ast = sonde_lang::parse(src).expect("parses");
    let d = analyse(&ast, &FakeEnv::default(), &Options::default()).expect_err("should fail");
    let text = |s: sonde_lang::Span| src[s.start..s.end].to_string();
    let notes = d.notes.iter().map(|(s, m)| (m.clone(), text(*s))).collect();
    (d.message, text(d.span), notes)
}

#[test]
fn errors_in_macro_bodies_point_at_the_macro_and_its_calls() {
    let src = "macro bad() { $x = \"a\" + 1; } BEGIN { bad(); }";
    let (message, at, notes) = error_with_notes(src);
    assert_eq!(
        message,
        "Type mismatch for '+': comparing 'string[2]' with 'int64'"
    );
    assert_eq!(at, "\"a\" + 1");
    assert_eq!(
        notes,
        vec![("expanded from".to_string(), "bad()".to_string())]
    );
    // A macro called from a macro: both calls, innermost first.
    let src = "macro inner(a) { $x = a + 1; } macro outer() { inner(\"s\") } BEGIN { outer(); }";
    let (_, at, notes) = error_with_notes(src);
    assert_eq!(at, "a + 1");
    assert_eq!(
        notes,
        vec![
            ("expanded from".to_string(), "inner(\"s\")".to_string()),
            ("expanded from".to_string(), "outer()".to_string()),
        ]
    );
    // Errors in arguments point at the argument, with no note.
    let src = "macro id(a) { a } BEGIN { $s = id(\"a\" + 1); }";
    let (_, at, notes) = error_with_notes(src);
    assert_eq!(at, "\"a\" + 1");
    assert!(notes.is_empty());
}

#[test]
fn defines_expand_as_expressions() {
    let p = check("#define N 314\n#define M (N + 1)\nBEGIN { @x = M; }");
    assert_eq!(p.maps[0].value, MapValue::Plain(Type::I64));
    assert_eq!(
        error("#define M M+1\nBEGIN { @x = M; }"),
        err("Macro recursion: M", "M")
    );
    assert_eq!(
        error("#define M {\nBEGIN { @x = M; }"),
        err("unable to expand macro as an expression: {", "M")
    );
}

#[test]
fn declarations_fix_types() {
    let p = check("BEGIN { let $a: uint8 = 1; let $s: string; $s = \"x\"; let $t: typeof($a); }");
    assert_eq!(
        p.probes[0].vars,
        [
            Type::Int {
                bytes: 8,
                signed: false
            },
            Type::Str { size: 1024 },
            Type::Int {
                bytes: 8,
                signed: false
            }
        ]
    );
    assert_eq!(
        error("BEGIN { let $a: uint8; $a = \"s\"; }"),
        err(
            "Type mismatch for $a: trying to assign value of type 'string[2]' when variable already has a type 'uint64'",
            "$a = \"s\""
        )
    );
    // A declared variable nothing assigns is a zero integer.
    let p = check("BEGIN { let $a; @x = $a; }");
    assert_eq!(p.probes[0].vars, [Type::I64]);
}

#[test]
fn scope_errors_point_at_the_variable() {
    assert_eq!(
        error("BEGIN { if 1 { $x = 1; } @a = $x; }"),
        err("Undefined or undeclared variable: $x", "$x")
    );
    assert_eq!(
        error("BEGIN { $x = 1; { let $x = 2; } }"),
        err(
            "Variable $x was already declared. Variable shadowing is not allowed.",
            "$x"
        )
    );
    // The same name in separate blocks is two variables of their own types.
    let p = check("BEGIN { if 1 { $x = 1; } if 1 { $x = \"s\"; } }");
    assert_eq!(p.probes[0].vars, [Type::I64, Type::Str { size: 2 }]);
}

#[test]
fn block_and_if_values() {
    let p = check("BEGIN { @a = if 1 { \"a\" } else { \"bcd\" }; @b = { $x = 1; $x > 0 }; }");
    assert_eq!(p.maps[0].value, MapValue::Plain(Type::Str { size: 4 }));
    assert_eq!(p.maps[1].value, MapValue::Plain(Type::Bool));
    assert_eq!(
        error("BEGIN { @a = { $x = 1; }; }"),
        err("this block has no value", "{ $x = 1; }")
    );
    assert_eq!(
        error("BEGIN { @a = if 1 { 2 }; }"),
        err("this if expression has no value", "if 1 { 2 }")
    );
    assert_eq!(
        error("BEGIN { @a = if 1 { 2 } else { \"s\" }; }"),
        err(
            "Ternary operator must return the same type: have 'int64' and 'string[2]'",
            "if 1 { 2 } else { \"s\" }"
        )
    );
}

#[test]
fn loop_variables_are_typed_by_what_they_walk() {
    let p = check(
        "BEGIN { @m[1, \"ab\"] = (2, \"c\"); for ($kv : @m) { @a = $kv.0.1; @b = $kv.1.0; } \
         for ($i : 0..10) { @c = $i; } @n[1] = count(); for ($e : @n) { @d = $e.1; } }",
    );
    assert_eq!(
        p.probes[0].vars,
        [
            Type::Tuple(vec![
                Type::Tuple(vec![Type::I64, Type::Str { size: 3 }]),
                Type::Tuple(vec![Type::I64, Type::Str { size: 2 }]),
            ]),
            Type::I64,
            Type::Tuple(vec![Type::I64, Type::U64]),
        ]
    );
    // A map filled in a later probe is known to an earlier one's loop.
    check("BEGIN { for ($kv : @later) { print($kv.1); } } END { @later[\"k\"] = 1; }");
}

#[test]
fn loop_errors() {
    assert_eq!(
        error("BEGIN { @s = 1; for ($kv : @s) { } }"),
        err(
            "@s has no keys: only maps with keys can be iterated over",
            "@s"
        )
    );
    assert_eq!(
        error("BEGIN { for ($kv : @nothing) { } }"),
        err("Undefined map: @nothing", "@nothing")
    );
    assert_eq!(
        error("BEGIN { for ($i : 0..\"ten\") { } }"),
        err("Loop range requires an integer, got 'string[4]'", "\"ten\"")
    );
    assert_eq!(
        error("BEGIN { @h[1] = hist(1); for ($kv : @h) { } }"),
        err("iterating over a hist_t map is not supported yet", "@h")
    );
    assert_eq!(
        error("BEGIN { $x = 1; for ($i : 0..2) { $p = &$x; } }"),
        err(
            "the address of a variable cannot be taken inside a for loop",
            "&$x"
        )
    );
    assert_eq!(
        error("BEGIN { for ($i : 0..2) { } print($i); }"),
        err("Undefined or undeclared variable: $i", "$i")
    );
}

#[test]
fn records_tuples_and_increments() {
    let p = check("BEGIN { $r = (a = 1, b = \"x\"); $r = (b = \"yyy\", a = 2); @v = $r.b; }");
    assert_eq!(
        p.probes[0].vars[0],
        Type::NamedTuple {
            names: vec!["a".into(), "b".into()],
            fields: vec![Type::I64, Type::Str { size: 4 }],
        }
    );
    assert_eq!(p.maps[0].value, MapValue::Plain(Type::Str { size: 4 }));
    assert_eq!(
        error("BEGIN { $r = (a = 1); @x = $r.z; }"),
        err("Record does not contain a field named 'z'", "$r.z")
    );
    assert_eq!(
        error("BEGIN { $r = (a = 1); $r = (b = 1); }"),
        err(
            "Type mismatch for $r: trying to assign value of type '(b=int64)' when variable already has a type '(a=int64)'",
            "$r = (b = 1)"
        )
    );
    assert_eq!(
        error("BEGIN { $t = (1, 2); $i = 1; @x = $t[$i]; }"),
        err(
            "The index of a tuple must be an integer known when the script is compiled",
            "$i"
        )
    );
    assert_eq!(
        error("BEGIN { $t = (1, 2); @x = $t[2]; }"),
        err(
            "Invalid tuple index: 2. Found 2 elements in tuple.",
            "$t[2]"
        )
    );
    assert_eq!(
        error("BEGIN { @x = (1, 2) == (1, \"a\"); }"),
        err(
            "Type mismatch for '==': comparing '(int64,int64)' with '(int64,string[2])'",
            "(1, 2) == (1, \"a\")"
        )
    );
    let p = check("BEGIN { $x = 1; @y = $x++ + ++$x; }");
    assert_eq!(p.maps[0].value, MapValue::Plain(Type::I64));
}

#[test]
fn map_declaration_errors() {
    assert_eq!(
        error("let @a = blah(2); BEGIN { @a[1] = 1; }"),
        err("Invalid bpf map type: blah", "blah")
    );
    assert_eq!(
        error("let @a = percpuhash(2); BEGIN { @a[1] = 1; }"),
        err(
            "Incompatible map types. Type from declaration: percpuhash. Type from value/key type: hash",
            "let @a = percpuhash(2)"
        )
    );
    assert_eq!(
        error("let @a = lruhash(2); BEGIN { @a[1] = count(); }"),
        err(
            "Incompatible map types. Type from declaration: lruhash. Type from value/key type: percpuhash",
            "let @a = lruhash(2)"
        )
    );
    assert_eq!(
        error("let @a = hash(0); BEGIN { @a[1] = 1; }"),
        err(
            "@a: max entries must be between 1 and 4294967295",
            "let @a = hash(0)"
        )
    );
    let ast = sonde_lang::parse("let @unused = hash(2); BEGIN { }").unwrap();
    let p = analyse(&ast, &FakeEnv::default(), &Options::default()).unwrap();
    assert_eq!(p.warnings[0].message, "Unused map: @unused");
}

#[test]
fn named_probes_are_called_by_their_name() {
    let p = check("first=BEGIN { @a[probe] = 1; } ticks=interval:ms:10 { @b[probe] = 1; } END { }");
    assert_eq!(p.probe_names, ["first", "ticks", "end"]);
}

#[test]
fn build_id_stacks_are_user_stacks() {
    let p = check("BEGIN { @a[ustack(build_id, 3)] = 1; }");
    let stack = StackType {
        user: true,
        mode: StackMode::BuildId,
        limit: 3,
    };
    assert_eq!(p.maps[0].key, Some(Type::Stack(stack)));
    // The configured mode does not apply to kernel stacks: raw, with a
    // warning at each.
    let p = check("config = { stack_mode = build_id } BEGIN { @k[kstack] = 1; }");
    let stack = StackType {
        user: false,
        mode: StackMode::Raw,
        limit: 127,
    };
    assert_eq!(p.maps[0].key, Some(Type::Stack(stack)));
    let messages: Vec<&str> = p.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        messages,
        ["'build_id' stack mode can only be used for ustack. Falling back to 'raw' mode."]
    );
    assert_eq!(
        error("BEGIN { print(kstack(build_id)); }"),
        err(
            "'build_id' stack mode can only be used for ustack",
            "kstack(build_id)"
        )
    );
}
