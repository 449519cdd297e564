//! Semantic analysis against a fixed set of tracepoints: types, maps,
//! probe expansion, and every error a script can make, with its place.

use sonde_lang::sema::fake_env::FakeEnv;
use sonde_lang::sema::probes::Attach;
use sonde_lang::sema::typed::{ProbeKind, TypedProgram};
use sonde_lang::sema::types::{MapValue, Type};
use sonde_lang::sema::{analyse, Options};

fn check(src: &str) -> TypedProgram {
    check_with(src, &Options::default())
}

fn check_with(src: &str, opts: &Options) -> TypedProgram {
    let ast = sonde_lang::parse(src).expect("parses");
    analyse(&ast, &FakeEnv::default(), opts)
        .unwrap_or_else(|d| panic!("unexpected error: {} at {:?}", d.message, d.span))
}

/// The error's message and the source text its span covers.
fn error(src: &str) -> (String, String) {
    let ast = sonde_lang::parse(src).expect("parses");
    let d = analyse(&ast, &FakeEnv::default(), &Options::default()).expect_err("should fail");
    (d.message, src[d.span.start..d.span.end].to_string())
}

#[test]
fn counts_by_comm() {
    let p = check("tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }");
    assert_eq!(p.maps.len(), 1);
    assert_eq!(p.maps[0].name, "@");
    assert_eq!(p.maps[0].key, Some(Type::Str { size: 16 }));
    assert_eq!(p.maps[0].value, MapValue::Count);
    assert_eq!(p.probes[0].kind, ProbeKind::Tracepoint);
    assert_eq!(p.probe_names, ["tracepoint:syscalls:sys_enter_openat"]);
}

#[test]
fn maps_are_sorted_by_name_and_typed_from_every_probe() {
    let p = check(
        "END { print(@start); } \
         tracepoint:syscalls:sys_enter_read { @start[tid] = nsecs; @b = 1; } \
         tracepoint:syscalls:sys_exit_read { @a = hist(nsecs - @start[tid]); }",
    );
    let names: Vec<_> = p.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["@a", "@b", "@start"]);
    assert_eq!(p.maps[0].value, MapValue::Hist { bits: 0 });
    assert_eq!(p.maps[1].value, MapValue::Plain(Type::I64));
    assert_eq!(p.maps[2].value, MapValue::Plain(Type::U64));
    assert_eq!(p.maps[2].key, Some(Type::U64));
}

#[test]
fn string_maps_grow_to_the_longest_string() {
    let p = check("BEGIN { @s = \"ab\"; @s = comm; $v = \"x\"; $v = comm; }");
    assert_eq!(p.maps[0].value, MapValue::Plain(Type::Str { size: 16 }));
    assert_eq!(p.probes[0].vars, [Type::Str { size: 16 }]);
}

#[test]
fn multi_key_maps_are_tuples() {
    let p = check("tracepoint:sched:sched_switch { @[args.prev_comm, args.prev_pid] = count(); }");
    assert!(p.maps[0].multi_key);
    assert_eq!(
        p.maps[0].key,
        Some(Type::Tuple(vec![Type::Str { size: 16 }, Type::I64]))
    );
}

#[test]
fn wildcards_expand_and_share_one_instance_without_args() {
    let p = check("tracepoint:syscalls:sys_enter_* { @[probe] = count(); }");
    assert_eq!(p.probes.len(), 1);
    assert_eq!(p.probes[0].attach.len(), 4);
    assert_eq!(p.probe_names.len(), 4);
    assert!(p
        .probe_names
        .iter()
        .all(|n| n.starts_with("tracepoint:syscalls:sys_enter_")));
}

#[test]
fn wildcards_reading_args_get_one_instance_per_tracepoint() {
    let p = check("tracepoint:syscalls:sys_exit_* { @[probe] = sum(args.ret); }");
    assert_eq!(p.probes.len(), 4);
    assert!(p.probes.iter().all(|i| i.attach.len() == 1));
}

#[test]
fn short_provider_names_and_lower_case_begin() {
    let p = check("t:syscalls:sys_enter_read { } begin { } END { } rt:sched_switch { } i:s:1 { } p:hz:99 { } interval:100ms { }");
    let kinds: Vec<_> = p.probes.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            ProbeKind::Tracepoint,
            ProbeKind::Begin,
            ProbeKind::End,
            ProbeKind::RawTracepoint,
            ProbeKind::PerfEvent,
            ProbeKind::PerfEvent,
            ProbeKind::PerfEvent
        ]
    );
    assert_eq!(
        p.probes[4].attach[0].0,
        Attach::Interval {
            period_ns: 1_000_000_000
        }
    );
    assert_eq!(
        p.probes[6].attach[0].0,
        Attach::Interval {
            period_ns: 100_000_000
        }
    );
    assert_eq!(p.probe_names[1], "begin");
    assert_eq!(p.probe_names[4], "interval:s:1");
}

#[test]
fn positional_parameters() {
    let opts = Options {
        positional: vec!["42".into(), "hello".into(), "0x10".into()],
        ..Options::default()
    };
    let p = check_with(
        "BEGIN { @a = $1; @b = str($2); @c = $3 + $#; @d = $9; }",
        &opts,
    );
    assert_eq!(p.maps[1].value, MapValue::Plain(Type::Str { size: 6 }));
    let p = check_with("interval:ms:$1 { exit(); }", &opts);
    assert_eq!(p.probe_names, ["interval:ms:42"]);
}

#[test]
fn errors_name_their_cause_and_place() {
    let cases: &[(&str, &str, &str)] = &[
        ("BEGIN { foo(); }", "Unknown function: 'foo'", "foo()"),
        ("BEGIN { @x = bar; }", "Unknown identifier: 'bar'", "bar"),
        ("BEGIN { print($x); }", "Undefined or undeclared variable: $x", "$x"),
        ("BEGIN { print(@nope); }", "Undefined map: @nope", "@nope"),
        ("BEGIN { @x = 1; @x = \"s\"; }", "Type mismatch for @x: trying to assign value of type 'string[2]' when map already has a type 'int64'", "@x"),
        ("BEGIN { @x = count(); @x = 1; }", "Type mismatch for @x: trying to assign value of type 'int64' when map already has a type 'count_t'", "@x"),
        ("BEGIN { $x = 1; $x = comm; }", "Type mismatch for $x: trying to assign value of type 'string[16]' when variable already has a type 'int64'", "$x = comm"),
        ("BEGIN { @x = count(1); }", "count() requires no arguments (1 provided)", "count(1)"),
        ("BEGIN { @x = lhist(1, 0, 10); }", "lhist() requires 4 arguments (3 provided)", "lhist(1, 0, 10)"),
        ("BEGIN { printf(\"%d %d\\n\", 1); }", "printf: not enough arguments for format string (1 supplied, 2 expected)", "printf(\"%d %d\\n\", 1)"),
        ("BEGIN { printf(\"%d\\n\", comm); }", "printf: %-specifier expects an integer, but this argument has type 'string[16]'", "comm"),
        ("BEGIN { if (comm == 1) { } }", "Type mismatch for '==': comparing 'string[16]' with 'int64'", "comm == 1"),
        ("tracepoint:syscalls:sys_enter_openat { print(args.nope); }", "Can't find a field nope in tracepoint syscalls:sys_enter_openat", "args.nope"),
        ("tracepoint:syscalls:sys_enter_nope { }", "No matches for tracepoint syscalls:sys_enter_nope.", "tracepoint:syscalls:sys_enter_nope"),
        ("tracepoint:nope:* { }", "No matches for tracepoint nope:*.", "tracepoint:nope:*"),
        ("bogus:x { }", "Invalid probe type: bogus", "bogus:x"),
        ("BEGIN { print(args.x); }", "The args builtin can only be used with tracepoint, rawtracepoint, fentry/fexit, kprobe and uprobe probes (special used here)", "args"),
        ("BEGIN { count(); }", "count() must be assigned directly to a map", "count()"),
        ("BEGIN { @a[1] = 1; @a = 2; }", "@a used as a map without an explicit key (scalar map), previously used with an explicit key (non-scalar map)", "@a"),
        ("BEGIN { @a[1] = 1; @a[\"x\"] = 2; }", "Argument mismatch for @a: trying to access with arguments: 'string[2]' when map expects arguments: 'int64'", "@a[\"x\"]"),
        ("BEGIN { break; }", "break used outside of a loop", "break"),
        ("BEGIN { unroll(101) { } }", "unroll maximum value is 100", "101"),
        ("BEGIN { print(cpid); }", "cpid cannot be used without a child command", "cpid"),
        ("BEGIN { @x = (1, 2); print(@x.2); }", "Invalid tuple index: 2. Found 2 elements in tuple.", "@x.2"),
        ("interval:s:0 { }", "the rate must be greater than zero", "interval:s:0"),
    ];
    for (src, message, place) in cases {
        let (got, span) = error(src);
        assert_eq!(got, *message, "for {src}");
        assert_eq!(span, *place, "span for {src}");
    }
}

#[test]
fn stacks_take_a_mode_and_a_limit() {
    use sonde_lang::sema::types::{StackMode, StackType};
    let p = check("tracepoint:sched:sched_switch { @a[kstack] = count(); @b[ustack(perf, 5)] = count(); @c[kstack(3)] = count(); }");
    let key = |i: usize| p.maps[i].key.clone();
    assert_eq!(
        key(0),
        Some(Type::Stack(StackType {
            user: false,
            mode: StackMode::Bpftrace,
            limit: 127
        }))
    );
    assert_eq!(
        key(1),
        Some(Type::Stack(StackType {
            user: true,
            mode: StackMode::Perf,
            limit: 5
        }))
    );
    assert_eq!(
        key(2),
        Some(Type::Stack(StackType {
            user: false,
            mode: StackMode::Bpftrace,
            limit: 3
        }))
    );
    assert_eq!(
        error("tracepoint:sched:sched_switch { print(kstack(fast)); }"),
        ("fast is not a valid stack mode".into(), "fast".into())
    );
    assert_eq!(
        error("tracepoint:sched:sched_switch { print(ustack(0)); }"),
        (
            "ustack() limit must be between 1 and 127".into(),
            "0".into()
        )
    );
    assert_eq!(
        error("tracepoint:sched:sched_switch { print(kaddr(\"no_such_symbol\")); }").0,
        "Failed to resolve kernel symbol: no_such_symbol"
    );
}

#[test]
fn builtins_have_call_forms_and_builtin_spellings() {
    use sonde_lang::sema::typed::{Builtin, Clock, PidNs, TExprKind, TStmtKind};
    let p = check(
        "BEGIN { $a = nsecs; $b = nsecs(monotonic); $c = __builtin_nsecs(sw_tai); \
                 $d = pid(init); $e = tid(curr_ns); $f = __builtin_ncpus; $g = username(); \
                 $h = probetype; }",
    );
    let builtins: Vec<_> = p.probes[0]
        .body
        .iter()
        .map(|s| match &s.kind {
            TStmtKind::AssignVar { value, .. } => match &value.kind {
                TExprKind::Builtin(b) => Some(*b),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(
        builtins,
        [
            Some(Builtin::Nsecs(Clock::Boot)),
            Some(Builtin::Nsecs(Clock::Monotonic)),
            Some(Builtin::Nsecs(Clock::SwTai)),
            Some(Builtin::Pid(PidNs::Init)),
            Some(Builtin::Tid(PidNs::Current)),
            Some(Builtin::Ncpus),
            Some(Builtin::Username),
            // probetype is known at compile time: a string literal.
            None,
        ]
    );
    assert_eq!(p.probes[0].vars[6], Type::Username);
    assert_eq!(p.probes[0].vars[7], Type::Str { size: 8 });
}

#[test]
fn builtin_call_forms_reject_bad_arguments() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "BEGIN { print(nsecs(wall)); }",
            "Invalid timestamp mode: wall",
            "wall",
        ),
        (
            "BEGIN { print(pid(other)); }",
            "Invalid PID namespace mode: other",
            "other",
        ),
        (
            "BEGIN { print(tid(1)); }",
            "tid() takes one of curr_ns or init as its argument",
            "1",
        ),
        (
            "BEGIN { print(uid(1)); }",
            "uid() requires no arguments (1 provided)",
            "uid(1)",
        ),
    ];
    for (src, message, place) in cases {
        let (got, span) = error(src);
        assert_eq!(got, *message, "for {src}");
        assert_eq!(span, *place, "span for {src}");
    }
}
