//! "Verifier-safe by construction", checked: scripts generated from the
//! grammar are compiled, and every program of every script that type-checks
//! must be accepted by the running kernel's verifier. Scripts the checker
//! rejects must be rejected with an error, never a panic.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sonde_lang::sema::{self, ProbeEnv};
use sonde_runtime::KernelEnv;

/// Integer expressions of every shape the language has.
fn int_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0u64..5000).prop_map(|n| n.to_string()),
        Just("0xffffffffffffffff".to_string()),
        Just("-7".to_string()),
        prop::sample::select(vec![
            "pid",
            "tid",
            "uid",
            "gid",
            "nsecs",
            "elapsed",
            "cpu",
            "rand",
            "cgroup",
            "jiffies",
            "ncpus",
            "numaid",
            "nsecs(monotonic)",
            "nsecs(sw_tai)",
            "pid(init)",
            "tid(curr_ns)",
            "__builtin_uid",
            "@sum",
            "strlen($s)",
            "strncmp($s, \"so\", 2)",
            "strstr($s, comm)",
            "strstr(comm, \"on\")",
            "(int64)strcontains($s, $s)",
            "memcmp(comm, comm, 8)",
            "bswap((uint32)$i)",
            "len(@k)",
            "has_key(@k, 1)",
            "$i",
            "@i",
            "@k[pid]",
            "@k[tid % 3]",
            "$t.0",
            // Reads through pointers: fields, bitfields, arrays, chains.
            "$p->a",
            "$p->b",
            "$p->c",
            "$p->arr[1]",
            "$p->arr[$i % 3]",
            "$p->next->a",
            "(*$p).a",
            "*(int32 *)$p",
            "curtask->pid",
            "$v.c",
            "$v.arr[2]",
            "$arr[$i]",
            "FZ_TWO",
            "sizeof(struct fz)",
            "offsetof(struct fz, arr)",
            "(int64)($p + 1)",
        ])
        .prop_map(str::to_string),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (
                inner.clone(),
                prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">=", "&&", "||"]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (prop::sample::select(vec!["-", "!", "~"]), inner.clone())
                .prop_map(|(op, a)| format!("{op}({a})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("({c} ? {a} : {b})")),
            (
                prop::sample::select(vec![
                    "uint8", "int8", "uint16", "int32", "uint32", "int64", "bool"
                ]),
                inner.clone()
            )
                .prop_map(|(t, a)| format!("(({t}){a})")),
            (str_expr_leaf(), str_expr_leaf()).prop_map(|(a, b)| format!("({a} == {b})")),
        ]
    })
}

fn str_expr_leaf() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "comm",
        "\"\"",
        "\"sonde\"",
        "\"a longer string literal\"",
        "$s",
        "@s",
        "$t.1",
        "str(0)",
        "str($i, 5)",
        "$p->s",
        "$v.s",
        "curtask->comm",
        "probetype",
        "str($i, 3000)",
    ])
    .prop_map(str::to_string)
}

fn statement() -> impl Strategy<Value = String> {
    let simple = prop_oneof![
        int_expr().prop_map(|e| format!("@i = (int64)({e});")),
        int_expr().prop_map(|e| format!("$i = (int64)({e});")),
        str_expr_leaf().prop_map(|e| format!("$s = {e};")),
        str_expr_leaf().prop_map(|e| format!("@s = {e};")),
        (int_expr(), str_expr_leaf()).prop_map(|(a, b)| format!("$t = ((int64)({a}), {b});")),
        int_expr().prop_map(|e| format!("@k[pid] = (int64)({e});")),
        int_expr().prop_map(|e| format!("@c[comm, cpu] = count(); @sum = sum({e});")),
        int_expr().prop_map(|e| format!(
            "@mn = min({e}); @mx = max({e}); @av = avg({e}); @st = stats({e});"
        )),
        int_expr().prop_map(|e| format!("@h = hist({e}); @l = lhist({e}, 0, 1000, 100);")),
        int_expr().prop_map(|e| format!("@hb = hist({e}, 3); $p = ppid + leader_tid;")),
        int_expr().prop_map(|e| format!(
            "@ts[comm] = tseries((int64)({e}), 10ms, 5); @tm = tseries((int64)({e}), 1s, 3, \"min\"); \
             @ta = tseries((uint32)({e}), 1us, 1000, \"avg\");"
        )),
        (int_expr(), str_expr_leaf())
            .prop_map(|(a, b)| format!("printf(\"%d %s %x\\n\", {a}, {b}, {a});")),
        int_expr().prop_map(|e| format!("print({e});")),
        str_expr_leaf().prop_map(|e| format!("print(({e}, 1));")),
        Just("delete(@k[pid]);".to_string()),
        Just("print(@c); clear(@h); zero(@sum);".to_string()),
        Just("$w = 0; while ($w < 5) { $w++; @i += $w; }".to_string()),
        Just("unroll(3) { @i++; }".to_string()),
        Just("@p[probe] = count();".to_string()),
        Just("printf(\"%r %s\\n\", buf($s, 4), ntop(2, (uint32)$i)); @b = buf(comm, 8);".to_string()),
        Just("print((strerror($i), signal_name($i), syscall_name($i), strftime(\"%H\", nsecs)));".to_string()),
        Just("time(); cat(\"/proc/%d/stat\", pid); errorf(\"e %d\", $i); warnf(\"w %s\", $s);".to_string()),
        Just("debugf(\"d %d %s %x\", $i, comm, $i); debugf(\"%d %d %d %d\", 1, 2, 3, $i);".to_string()),
        int_expr().prop_map(|e| format!("assert({e} >= 0, \"neg\");")),
        int_expr().prop_map(|e| format!("@i = {{ let $b = (int64)({e}); $b * 2 }};")),
        (int_expr(), int_expr(), str_expr_leaf()).prop_map(|(c, a, s)| format!(
            "@i = if ({c}) {{ (int64)({a}) }} else {{ 3 }}; @s = if !!({c}) {{ {s} }} else {{ \"z\" }};"
        )),
        int_expr().prop_map(|e| format!("@i = add1((int64)({e})); $i = bump($i); put(@k, pid);")),
        int_expr().prop_map(|e| format!("_ = twice({{ @i += 1; (int64)({e}) }});")),
        Just("print(*$p); @fz = *$p; @fz_k[*$p] = 1;".to_string()),
        Just("$wa = $p->arr; @ar = $wa; print(($i, $p->arr));".to_string()),
        Just("@e = (enum fz_e)$i; printf(\"%s %d\\n\", FZ_ONE, FZ_TWO);".to_string()),
        Just("$q = &$i; @deref = *$q; @bytes = (int8[8])$i;".to_string()),
        int_expr().prop_map(|e| format!(
            "for ($r : (-2)..((int64)({e}) % 9)) {{ @i += $r; if ($r == 3) {{ continue; }} $i = $r; }}"
        )),
        int_expr().prop_map(|e| format!(
            "for ($kv : @k) {{ @i += $kv.1; if ($kv.0 == (int64)({e})) {{ break; }} $s = comm; }}"
        )),
        Just("for ($kv : @c) { @i = $kv.1 + $kv.0.1; for ($n : 0..($kv.1)) { $t = ($n, $s); } }".to_string()),
        Just("for ($kv : @c) { if ($kv.1 > 100) { return; } print($kv); }".to_string()),
        (int_expr(), str_expr_leaf()).prop_map(|(e, s)| format!(
            "$rec = (a = (int64)({e}), b = {s}); $rec = (b = \"z\", a = 1); @ra = $rec.a; print($rec); @i = $i++ + ++@i;"
        )),
        str_expr_leaf().prop_map(|s| format!(
            "$tu = (1, {s}); @tb = ($tu == (2, \"q\")); @tc = $tu[1][0]; print((1,));"
        )),
    ];
    simple.prop_recursive(2, 8, 3, |inner| {
        // Loops copy the variables they use into a frame of their own, so
        // many nested loops soon need more stack than the kernel allows:
        // they are generated less often than `if`s.
        prop_oneof![
            5 => (
                int_expr(),
                prop::collection::vec(inner.clone(), 1..3),
                prop::collection::vec(inner.clone(), 0..2),
            )
                .prop_map(|(c, then, otherwise)| {
                    format!(
                        "if ({c}) {{ {} }} else {{ {} }}",
                        then.join(" "),
                        otherwise.join(" ")
                    )
                }),
            // `&$x` is refused in loop bodies (they work on copies).
            1 => (0u32..1000, prop::collection::vec(inner, 1..3))
                .prop_filter("no &$x in a loop body", |(_, body)| {
                    !body.iter().any(|s| s.contains("&$"))
                })
                .prop_map(|(n, body)| format!("for ($f{n} : 0..3) {{ {} }}", body.join(" "))),
        ]
    })
}

/// A probe and a statement that fits it (reads its arguments).
fn probe() -> impl Strategy<Value = (&'static str, &'static str)> {
    prop::sample::select(vec![
        ("BEGIN", ""),
        ("END", ""),
        (
            "tracepoint:syscalls:sys_enter_write",
            "$x = args.count; printf(\"%d\\n\", args.fd);",
        ),
        ("tracepoint:syscalls:sys_exit_read", "@ret = args.ret;"),
        (
            "tracepoint:sched:sched_switch",
            "$s = args.prev_comm; @sw[args.next_comm] = count();",
        ),
        ("rawtracepoint:sys_enter", "@r = arg1;"),
        (
            "rawtracepoint:sched_switch",
            "@r = args.prev->pid; $n = args.next->comm; @rk[args.next->real_parent->comm] = 1;",
        ),
        (
            "tracepoint:syscalls:sys_enter_clock_nanosleep",
            "@ns = args.rqtp->tv_nsec; @sec = args.rqtp.tv_sec;",
        ),
        ("interval:s:1", ""),
        ("profile:hz:99", ""),
    ])
}

/// Every map read somewhere is assigned here first, so reads type-check;
/// the macros are the ones statements call, the C types the ones they read.
const PRELUDE: &str = "struct fz { int a; char s[8]; unsigned int b:3; unsigned int c:5; \
     long arr[3]; struct fz *next; }\n\
     enum fz_e { FZ_ONE = 1, FZ_TWO }\n\
     macro add1(x) { x + 1 } macro bump($v) { $v += 1; $v } \
     macro put(@m, k) { @m[k] = k; } macro twice(x) { x + x }\n\
     BEGIN { @i = 0; @s = \"\"; @k[0] = 0; @c[comm, 0] = count(); @sum = sum(0); @h = hist(0); }\n";

fn script() -> impl Strategy<Value = String> {
    prop::collection::vec((probe(), prop::collection::vec(statement(), 1..5)), 1..4).prop_map(
        |probes| {
            let mut text = PRELUDE.to_string();
            for ((p, extra), body) in probes {
                text.push_str(&format!(
                    "{p} {{ $i = 1; $s = \"x\"; $t = (1, \"y\"); \
                     $p = (struct fz *)curtask; $v = *$p; $arr = $p->arr; {extra} {} }}\n",
                    body.join(" ")
                ));
            }
            text
        },
    )
}

#[test]
fn every_script_that_checks_passes_the_verifier() {
    if !sonde_sys::is_root() {
        panic!("this test loads programs: run it as root");
    }
    let env = KernelEnv::new();
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
    let compiled = std::cell::Cell::new(0);
    let result = runner.run(&script(), |src| {
        let ast = sonde_lang::parse(&src).map_err(|d| {
            TestCaseError::fail(format!(
                "generated script does not parse: {}\n{src}",
                d.message
            ))
        })?;
        let typed = match sema::analyse(&ast, &env as &dyn ProbeEnv, &sema::Options::default()) {
            Ok(t) => t,
            // Type errors are fine (e.g. `args` in a probe without them).
            Err(d) => {
                if std::env::var_os("SHOW_REJECTED").is_some() {
                    eprintln!("rejected: {}\n{src}", d.message);
                }
                prop_assert!(d.span.end <= src.len());
                return Ok(());
            }
        };
        let object = match sonde_codegen::compile(&typed, &Default::default()) {
            Ok(o) => o,
            Err(d) if d.message.contains("bytes of BPF stack") => {
                if std::env::var_os("SHOW_REJECTED").is_some() {
                    eprintln!("rejected: {}", d.message);
                }
                return Ok(());
            }
            Err(d) => {
                return Err(TestCaseError::fail(format!(
                    "codegen error {}\n{src}",
                    d.message
                )))
            }
        };
        sonde_runtime::verify(&object)
            .map_err(|e| TestCaseError::fail(format!("{e:#}\n--- script:\n{src}")))?;
        compiled.set(compiled.get() + 1);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The generator must mostly produce scripts that compile, or the test
    // proves little.
    let compiled = compiled.get();
    assert!(
        compiled >= 100,
        "only {compiled} of 128 generated scripts compiled"
    );
}
