//! The value-computing functions as the checker types them, and the
//! errors their misuse gets.

use sonde_lang::sema::fake_env::FakeEnv;
use sonde_lang::sema::typed::{StrFunc, TExprKind, TStmtKind, TypedProgram};
use sonde_lang::sema::types::Type;
use sonde_lang::sema::{analyse, Options};

fn check(src: &str) -> TypedProgram {
    let ast = sonde_lang::parse(src).expect("parses");
    analyse(&ast, &FakeEnv::default(), &Options::default())
        .unwrap_or_else(|d| panic!("unexpected error: {} at {:?}", d.message, d.span))
}

fn error(src: &str) -> (String, String) {
    let ast = sonde_lang::parse(src).expect("parses");
    let d = analyse(&ast, &FakeEnv::default(), &Options::default()).expect_err("should fail");
    (d.message, src[d.span.start..d.span.end].to_string())
}

/// The typed value of each `$v = ...` of the first probe.
fn assigned(p: &TypedProgram) -> Vec<(TExprKind, Type)> {
    p.probes[0]
        .body
        .iter()
        .filter_map(|s| match &s.kind {
            TStmtKind::AssignVar { value, .. } => Some((value.kind.clone(), value.ty.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn string_functions_have_bpftraces_types() {
    let p = check(
        "BEGIN { $a = strncmp(\"ab\", comm, 2); $b = strcontains(comm, \"x\"); \
         $c = strstr(comm, \"x\"); $d = strlen(comm); $e = memcmp(comm, comm, 16); }",
    );
    let funcs: Vec<_> = assigned(&p)
        .into_iter()
        .map(|(kind, ty)| match kind {
            TExprKind::StrFunc { func, .. } => (func, ty),
            other => panic!("not a string function: {other:?}"),
        })
        .collect();
    assert_eq!(
        funcs,
        [
            (StrFunc::Ncmp(2), Type::U64),
            (StrFunc::Contains, Type::Bool),
            (StrFunc::Find, Type::I64),
            (StrFunc::Len, Type::U64),
            (StrFunc::Memcmp(16), Type::I64),
        ]
    );
}

#[test]
fn addresses_are_read_as_strings() {
    let p = check("tracepoint:syscalls:sys_enter_openat { $n = strlen(args.filename); }");
    let (kind, _) = &assigned(&p)[0];
    let TExprKind::StrFunc { args, .. } = kind else {
        panic!("{kind:?}")
    };
    assert!(matches!(args[0].kind, TExprKind::ReadStr { .. }));
}

#[test]
fn bswap_keeps_the_width_and_aggregations_read_as_integers() {
    let p = check(
        "BEGIN { @c = count(); @s = sum(1); @a = avg(1); \
         $b = bswap((int16)1); $c = @c; $s = @s; $a = @a; }",
    );
    let types: Vec<_> = assigned(&p).into_iter().map(|(_, ty)| ty).collect();
    assert_eq!(
        types,
        [
            Type::Int {
                bytes: 2,
                signed: false
            },
            Type::U64,
            Type::I64,
            Type::I64
        ]
    );
}

#[test]
fn map_functions_type_as_bool_and_int() {
    let p = check(
        "BEGIN { @m[1] = 1; $a = delete(@m, 1); $b = has_key(@m, 2); $c = len(@m); \
         $d = delete(@m[1]); }",
    );
    let got: Vec<_> = assigned(&p)
        .into_iter()
        .map(|(kind, ty)| {
            let name = match kind {
                TExprKind::Delete { .. } => "delete",
                TExprKind::HasKey { .. } => "has_key",
                TExprKind::MapLen(_) => "len",
                _ => "other",
            };
            (name, ty)
        })
        .collect();
    assert_eq!(
        got,
        [
            ("delete", Type::Bool),
            ("has_key", Type::Bool),
            ("len", Type::I64),
            ("delete", Type::Bool)
        ]
    );
}

#[test]
fn misuses_are_errors_at_the_argument() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "BEGIN { strcontains(\"foo\", 1) }",
            "strcontains() expects string arguments (int64 provided)",
            "1",
        ),
        (
            "BEGIN { print(strncmp(comm, \"a\")); }",
            "strncmp() requires 3 arguments (2 provided)",
            "strncmp(comm, \"a\")",
        ),
        (
            "BEGIN { $n = 2; print(strncmp(comm, \"a\", $n)); }",
            "strncmp(): expected a constant integer here",
            "$n",
        ),
        (
            "BEGIN { print(memcmp(comm, \"ab\", 8)); }",
            "memcmp(): 8 is more than the 3 bytes the values have",
            "8",
        ),
        (
            "BEGIN { print(memcmp(1, 2, 1)); }",
            "memcmp() compares values held in memory, not 'int64'",
            "1",
        ),
        (
            "BEGIN { print(bswap(comm)); }",
            "bswap() only supports integer arguments (string[16] provided)",
            "comm",
        ),
        (
            "BEGIN { @x = 1; print(len(@x)); }",
            "call to len() expects a map with explicit keys (non-scalar map)",
            "@x",
        ),
        (
            "BEGIN { @x = 1; print(has_key(@x, 1)); }",
            "call to has_key() expects a map with explicit keys (non-scalar map)",
            "@x",
        ),
        (
            "BEGIN { @x[1] = 1; print(len(@x[1])); }",
            "len() expects a map, not a map element",
            "@x[1]",
        ),
        (
            "BEGIN { @h = hist(1); print(@h > 1); }",
            "a hist_t map cannot be read inside a probe, only printed",
            "@h",
        ),
    ];
    for (src, message, place) in cases {
        let (got, span) = error(src);
        assert_eq!(got, *message, "for {src}");
        assert_eq!(span, *place, "span for {src}");
    }
}

#[test]
fn actions_and_conversions_refuse_what_bpftrace_refuses() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "BEGIN { system(\"ls\"); }",
            "system() is unsafe. To use you need the --unsafe flag",
            "system(\"ls\")",
        ),
        (
            "BEGIN { fail(\"no %s here, %d\", \"go\", 7); }",
            "no go here, 7",
            "fail(\"no %s here, %d\", \"go\", 7)",
        ),
        (
            "BEGIN { static_assert(1 == 2, \"math\"); }",
            "math",
            "static_assert(1 == 2, \"math\")",
        ),
        (
            "BEGIN { signal(\"KILL\"); }",
            "signal() can not be used for this probetype special",
            "signal(\"KILL\")",
        ),
        (
            "tracepoint:syscalls:sys_enter_openat { override(1); }",
            "override() can only be used in kprobes",
            "override(1)",
        ),
        (
            "BEGIN { $f = \"%H\"; time($f); }",
            "time() expects a string literal as its format",
            "$f",
        ),
        (
            "BEGIN { print(buf(1)); }",
            "buf() needs a length unless its argument is an array",
            "buf(1)",
        ),
        (
            "BEGIN { print(pton(\"1.2.3\")); }",
            "pton() expects an IPv4 or IPv6 address, not '1.2.3'",
            "\"1.2.3\"",
        ),
        (
            "BEGIN { $f = \"%H\"; print(strftime($f, 1)); }",
            "strftime() expects a string literal as its format",
            "$f",
        ),
        (
            "BEGIN { printf(\"%r\", comm); }",
            "printf: %-specifier expects a buffer, but this argument has type 'string[16]'",
            "comm",
        ),
        (
            "BEGIN { print(macaddr(1)); }",
            "macaddr() expects an array of at least 6 bytes (int64 provided)",
            "1",
        ),
    ];
    for (src, message, place) in cases {
        let (got, span) = error(src);
        assert_eq!(got, *message, "for {src}");
        assert_eq!(span, *place, "span for {src}");
    }
}

#[test]
fn conversions_type_their_values() {
    use sonde_lang::sema::types::TextKind;
    let p = check(
        "BEGIN { $a = buf(comm, 4); $b = strerror(1); $c = ntop(1); $d = pton(\"::1\"); \
         $e = strftime(\"%H\", 1); $f = signal_name(2); }",
    );
    let types: Vec<_> = assigned(&p).into_iter().map(|(_, ty)| ty).collect();
    assert_eq!(types[0], Type::Buffer { size: 4 });
    assert_eq!(types[1], Type::Text(TextKind::Strerror));
    assert_eq!(types[2], Type::Inet);
    assert_eq!(types[3].size(), 16);
    assert_eq!(
        types[4],
        Type::Text(TextKind::Timestamp {
            format: "%H".into()
        })
    );
    assert_eq!(types[5], Type::Text(TextKind::SignalName));
}

#[test]
fn getopt_values_come_from_the_named_parameters() {
    let opts = Options {
        named_params: vec!["aa=7".into(), "flag".into(), "name=x".into()],
        positional: vec!["text".into(), "12".into()],
        ..Options::default()
    };
    let src =
        "BEGIN { $a = getopt(\"aa\", 1); $b = getopt(\"flag\"); $c = getopt(\"name\", \"d\"); \
               $d = getopt(\"missing\", -3); $e = $1; $f = $2; }";
    let ast = sonde_lang::parse(src).expect("parses");
    let p = analyse(&ast, &FakeEnv::default(), &opts).expect("checks");
    let values: Vec<_> = assigned(&p).into_iter().map(|(kind, _)| kind).collect();
    assert!(matches!(values[0], TExprKind::Int(7)));
    assert!(matches!(values[1], TExprKind::Bool(true)));
    assert!(matches!(&values[2], TExprKind::Str(s) if s == b"x"));
    assert!(matches!(values[3], TExprKind::Int(v) if v as i64 == -3));
    // A positional parameter that is not a number is its text.
    assert!(matches!(&values[4], TExprKind::Str(s) if s == b"text"));
    assert!(matches!(values[5], TExprKind::Int(12)));
    let opts = Options {
        named_params: vec!["other".into()],
        ..Options::default()
    };
    let ast = sonde_lang::parse("BEGIN { print(getopt(\"aa\", 1)); }").expect("parses");
    let d = analyse(&ast, &FakeEnv::default(), &opts).expect_err("unknown parameter");
    assert_eq!(
        d.message,
        "unexpected program command line options: --other"
    );
    assert_eq!(d.help.as_deref(), Some("expected program options: --aa"));
}

#[test]
fn tseries_maps_keep_their_spec_and_clock() {
    use sonde_lang::sema::typed::{AggFunc, Builtin, Clock, TSeriesAgg, TSeriesSpec};
    use sonde_lang::sema::types::MapValue;
    let p =
        check("BEGIN { @t[comm] = tseries(-3, 100ms, 20, \"max\"); @u = tseries(pid, 1s, 2); }");
    let spec = |agg, signed, interval_ns, intervals| TSeriesSpec {
        interval_ns,
        intervals,
        agg,
        signed,
    };
    let max = spec(TSeriesAgg::Max, true, 100_000_000, 20);
    assert_eq!(p.maps[0].value, MapValue::TSeries(max));
    assert_eq!(
        p.maps[1].value,
        MapValue::TSeries(spec(TSeriesAgg::Last, false, 1_000_000_000, 2))
    );
    match &p.probes[0].body[0].kind {
        TStmtKind::Aggregate {
            func: AggFunc::TSeries(s),
            clock: Some(clock),
            ..
        } => {
            assert_eq!(*s, max);
            assert!(matches!(
                clock.kind,
                TExprKind::Builtin(Builtin::Nsecs(Clock::SwTai))
            ));
        }
        other => panic!("{other:?}"),
    }
    assert!(p.warnings[0]
        .message
        .starts_with("Script is using an unstable feature: tseries."));
    // BPFTRACE_DUMMY_TS_MAP: the time comes from a map, for tests.
    let ast = sonde_lang::parse("BEGIN { @ts = (uint64)5; @t = tseries(1, 1ns, 1); }").unwrap();
    let opts = Options {
        config_env: vec![("BPFTRACE_DUMMY_TS_MAP".into(), "@ts".into())],
        ..Options::default()
    };
    let p = analyse(&ast, &FakeEnv::default(), &opts).unwrap();
    match &p.probes[0].body[1].kind {
        TStmtKind::Aggregate {
            clock: Some(clock), ..
        } => assert!(matches!(clock.kind, TExprKind::MapRead { .. })),
        other => panic!("{other:?}"),
    }
    let p = check("config = { unstable_tseries = enable } BEGIN { @t = tseries(1, 1ns, 1); }");
    assert!(p.warnings.is_empty());
}

#[test]
fn tseries_misuses_are_bpftraces_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "BEGIN { @t = tseries(1, 0, 5); }",
            "tseries() interval_ns must be >= 1 (0 provided)",
            "tseries(1, 0, 5)",
        ),
        (
            "BEGIN { @t = tseries(1, 1s, 0); }",
            "tseries() num_intervals must be >= 1 (0 provided)",
            "tseries(1, 1s, 0)",
        ),
        (
            "BEGIN { @t = tseries(1, 1s, 1000001); }",
            "tseries() num_intervals must be < 1000000 (1000001 provided)",
            "tseries(1, 1s, 1000001)",
        ),
        (
            "BEGIN { @t = tseries(1, pid, 5); }",
            "tseries: invalid interval_ns value (must be non-negative literal)",
            "tseries(1, pid, 5)",
        ),
        (
            "BEGIN { @t = tseries(1, 1s, 5, \"median\"); }",
            "tseries() expects one of the following aggregation functions: avg, max, min, sum (\"median\" provided)",
            "tseries(1, 1s, 5, \"median\")",
        ),
        (
            "BEGIN { @t = tseries(comm, 1s, 5); }",
            "tseries() only supports integer arguments (string[16] provided)",
            "comm",
        ),
        (
            "BEGIN { @t = tseries(1, 1s); }",
            "tseries() requires at least 3 arguments (2 provided)",
            "tseries(1, 1s)",
        ),
        (
            "BEGIN { @t = tseries(1, 1s, 5); if (@t > 0) { } }",
            "a tseries_t map cannot be read inside a probe, only printed",
            "@t",
        ),
        (
            "BEGIN { @t = tseries(1, 1s, 5); @t = tseries(1, 1s, 6); }",
            "Type mismatch for @t: trying to assign value of type 'tseries_t' when map already has a type 'tseries_t'",
            "@t",
        ),
        (
            "config = { unstable_tseries = error } BEGIN { @t = tseries(1, 1s, 5); }",
            "tseries feature is not enabled by default. To enable this unstable feature, set the config flag to enable. unstable_tseries=enable",
            "tseries(1, 1s, 5)",
        ),
    ];
    for (src, message, place) in cases {
        assert_eq!(
            error(src),
            (message.to_string(), place.to_string()),
            "for {src}"
        );
    }
}
