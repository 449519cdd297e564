use sonde_output::printf::{check, format, parse_format, ArgClass, ArgKind, ArgType, FormatString};
use sonde_output::Value;

fn s(text: &str) -> Value {
    Value::Str(text.as_bytes().to_vec())
}

fn int(v: i64) -> Value {
    Value::Int(v)
}

fn uint(v: u64) -> Value {
    Value::UInt(v)
}

fn fmt(f: &str, args: &[Value]) -> String {
    format(f.as_bytes(), args)
}

// tests/runtime/call printf_length_modifiers (and errorf/warnf)
#[test]
fn length_modifiers_truncate_like_c() {
    let x = int(0x12345678abcdef);
    assert_eq!(
        fmt("%hhx %hx %x %jx\n", &[x.clone(), x.clone(), x.clone(), x]),
        "ef cdef 78abcdef 12345678abcdef\n"
    );
    assert_eq!(fmt("%d", &[uint((1 << 32) + 5)]), "5");
    assert_eq!(fmt("%d", &[uint(0xffff_ffff)]), "-1");
    assert_eq!(fmt("%d", &[uint(u64::MAX)]), "-1");
    assert_eq!(fmt("%ld", &[uint(u64::MAX)]), "-1");
    assert_eq!(
        fmt("%lld %jd %zd %td", &[int(-3), int(-3), int(-3), int(-3)]),
        "-3 -3 -3 -3"
    );
    assert_eq!(fmt("%hhd", &[int(255)]), "-1");
    assert_eq!(fmt("%hd", &[int(0x18000)]), "-32768");
    assert_eq!(fmt("%i", &[int(-7)]), "-7");
    // A modifier combination C has no type for acts like none.
    assert_eq!(fmt("%Ld %hld", &[uint(u64::MAX), int(1 << 32)]), "-1 0");
}

// tests/runtime/signed_ints "cast negative to unsigned" and friends
#[test]
fn unsigned_conversions_reinterpret_negative_numbers() {
    assert_eq!(fmt("%lu\n", &[int(-4095)]), "18446744073709547521\n");
    assert_eq!(fmt("%u", &[int(-1)]), "4294967295");
    assert_eq!(fmt("%hu", &[int(-1)]), "65535");
    assert_eq!(fmt("%hhu", &[int(-1)]), "255");
    assert_eq!(fmt("%x", &[int(-1)]), "ffffffff");
    assert_eq!(fmt("%lx", &[int(-1)]), "ffffffffffffffff");
    assert_eq!(fmt("%llX", &[int(-2)]), "FFFFFFFFFFFFFFFE");
    assert_eq!(
        fmt("%o %lo", &[int(8), int(-1)]),
        "10 1777777777777777777777"
    );
    assert_eq!(
        fmt("%zu %tu", &[int(-1), int(-1)]),
        "18446744073709551615 18446744073709551615"
    );
}

// tests/runtime/call printf_char, regression, strcontains
#[test]
fn characters() {
    assert_eq!(
        fmt("%c%c%c%c\n", &[int(0x41), int(0x42), int(0x43), int(0x44)]),
        "ABCD\n"
    );
    assert_eq!(
        fmt("%c is the first letter", &[int(b'f' as i64)]),
        "f is the first letter"
    );
    assert_eq!(
        fmt("%3c|%-3c|", &[int(0x141), int(b'y' as i64)]),
        "  A|y  |"
    );
    // Bytes of a UTF-8 sequence printed one by one join up.
    assert_eq!(fmt("%c%c", &[int(0xc3), int(0xa9)]), "é");
}

// tests/runtime/call printf_enum_symbolize, printf_width
#[test]
fn widths_pad_strings_and_numbers() {
    assert_eq!(
        fmt("%-5s %5s %s\n", &[s("A"), s("B"), s("C")]),
        "A         B C\n"
    );
    assert_eq!(fmt("%5s %04x", &[s("ba"), int(2)]), "   ba 0002");
    assert_eq!(fmt("%-5d|%5d|", &[int(5), int(-5)]), "5    |   -5|");
    assert_eq!(fmt("%2d", &[int(12345)]), "12345");
    assert_eq!(fmt("%2s", &[s("long")]), "long");
}

#[test]
fn fill_and_sign_follow_cpp_streams() {
    assert_eq!(fmt("%05d", &[int(-5)]), "000-5");
    assert_eq!(fmt("%-05d", &[int(5)]), "50000");
    assert_eq!(fmt("%05s", &[s("ab")]), "000ab");
    assert_eq!(fmt("%+d %+d %+i", &[int(5), int(0), int(-5)]), "+5 +0 -5");
    assert_eq!(fmt("%+u %+x", &[int(5), int(5)]), "5 5");
    assert_eq!(fmt("% d", &[int(5)]), "5");
    assert_eq!(fmt("%-+ #05d|", &[int(5)]), "+5000|");
}

#[test]
fn alternate_forms() {
    assert_eq!(
        fmt("%#x %#X %#o", &[int(255), int(255), int(8)]),
        "0xff 0XFF 010"
    );
    assert_eq!(fmt("%#x %#o", &[int(0), int(0)]), "0 0");
    assert_eq!(fmt("%#010x", &[int(255)]), "0000000xff");
    assert_eq!(fmt("%#d", &[int(255)]), "255");
}

#[test]
fn precision_and_star_are_ignored() {
    assert_eq!(fmt("%.3d", &[int(5)]), "5");
    assert_eq!(fmt("%.2s", &[s("hello")]), "hello");
    assert_eq!(fmt("%8.2s|", &[s("hello")]), "   hello|");
    assert_eq!(fmt("%*d|%.*s", &[int(5), s("x")]), "5|x");
}

#[test]
fn pointers() {
    assert_eq!(fmt("%p", &[int(0)]), "0");
    assert_eq!(fmt("%p", &[uint(0x1000)]), "0x1000");
    assert_eq!(fmt("%p", &[int(-1)]), "0xffffffffffffffff");
    assert_eq!(
        fmt("%10p|%-8p|", &[uint(0xbeef), uint(0xab)]),
        "    0xbeef|0xab    |"
    );
    assert_eq!(fmt("ptr: %hhp", &[uint(0x1234)]), "ptr: 0x1234");
}

// tests/runtime/call buf_*, variable local_buf
#[test]
fn buffers() {
    let hello = Value::Buffer(b"Hello\0".to_vec());
    assert_eq!(
        fmt("%rx", std::slice::from_ref(&hello)),
        "\\x48\\x65\\x6c\\x6c\\x6f\\x00"
    );
    assert_eq!(
        fmt("%rh", std::slice::from_ref(&hello)),
        "48 65 6c 6c 6f 00"
    );
    assert_eq!(fmt("%r", &[hello]), "Hello\\x00");
    assert_eq!(fmt("a=%r\n", &[Value::Buffer(b"hi".to_vec())]), "a=hi\n");
    assert_eq!(
        fmt(
            "P: %r-%r\n",
            &[
                Value::Buffer(vec![9, 8, 7, 6]),
                Value::Buffer(vec![1, 0x7e, 0x7f])
            ]
        ),
        "P: \\x09\\x08\\x07\\x06-\\x01~\\x7f\n"
    );
    assert_eq!(fmt("%6r|", &[Value::Buffer(b"ab".to_vec())]), "    ab|");
    assert_eq!(fmt("[%rh]", &[Value::Buffer(vec![])]), "[]");
    // A non-buffer prints in its text form.
    assert_eq!(fmt("%r", &[s("str")]), "str");
}

#[test]
fn strings_print_any_value() {
    assert_eq!(fmt("%s %s", &[int(-5), uint(7)]), "-5 7");
    let t = Value::Tuple(vec![int(1), int(-2), s("x")]);
    assert_eq!(fmt("%s", std::slice::from_ref(&t)), "(1, -2, x)");
    // The width pads only the first piece the tuple writes, its `(`.
    assert_eq!(fmt("%3s", std::slice::from_ref(&t)), "  (1, -2, x)");
    assert_eq!(fmt("%+s", &[t]), "(+1, -2, x)");
    assert_eq!(fmt("%s", &[Value::Buffer(b"a\n".to_vec())]), "a\\x0a");
    assert_eq!(fmt("%s|%s", &[s(""), Value::Tuple(vec![])]), "|()");
    assert_eq!(fmt("%s", &[Value::Str(b"\xff".to_vec())]), "\u{fffd}");
}

#[test]
fn gfp_flags() {
    assert_eq!(fmt("%gr", &[int(0)]), "0");
    assert_eq!(fmt("%gr", &[uint(0xcc0)]), "GFP_KERNEL");
    assert_eq!(fmt("%gr", &[uint(0xcc0 | 0x100)]), "GFP_KERNEL|__GFP_ZERO");
    assert_eq!(fmt("%gr", &[uint(0x400cc0)]), "GFP_KERNEL_ACCOUNT");
    assert_eq!(fmt("%gr", &[uint(0x820)]), "GFP_ATOMIC");
    assert_eq!(fmt("%gr", &[uint(0x8)]), "0x8");
    assert_eq!(
        fmt("%gr", &[uint(0xcc0 | (1 << 30))]),
        "GFP_KERNEL|0x40000000"
    );
    assert_eq!(
        fmt("%gr", &[uint(0x2140cca)]),
        "GFP_HIGHUSER_MOVABLE|__GFP_COMP"
    );
    // Without __GFP_SKIP_KASAN the movable mask does not match whole.
    assert_eq!(fmt("%gr", &[uint(0x140cca)]), "GFP_HIGHUSER|__GFP_COMP|0x8");
    assert_eq!(fmt("%12gr|", &[uint(0x1)]), "     GFP_DMA|");
}

#[test]
fn literal_percent_signs() {
    assert_eq!(fmt("100%% sure", &[]), "100% sure");
    assert_eq!(fmt("%5%|%-%", &[]), "%|%");
    // A `%` that starts no conversion prints as is.
    assert_eq!(fmt("100%", &[]), "100%");
    assert_eq!(fmt("%y %0-5d %.d %", &[]), "%y %0-5d %.d %");
    assert_eq!(fmt("%%d", &[int(1)]), "%d");
}

#[test]
fn mismatched_arguments() {
    assert_eq!(fmt("%d", &[s("abc")]), "!{invalid integer conversion: abc}");
    assert_eq!(
        fmt("[%5x]", &[Value::Tuple(vec![int(1), s("a")])]),
        "[!{invalid integer conversion: (1, a)}]"
    );
    assert_eq!(fmt("%gr", &[s("x")]), "!{invalid GFP flags conversion: x}");
    // Too few arguments: the text up to the next conversion is dropped and
    // the final piece is kept, as bpftrace does.
    assert_eq!(fmt("a %d b %d c", &[int(1)]), "a 1 c");
    assert_eq!(fmt("a %d b", &[]), " b");
    // Extra arguments are ignored.
    assert_eq!(fmt("a %d b", &[int(1), int(2)]), "a 1 b");
}

#[test]
fn unsupported_conversions_print_the_text_form() {
    assert_eq!(fmt("%f|%n", &[int(3), int(4)]), "3|4");
}

#[test]
fn parse_lists_argument_kinds() {
    assert_eq!(
        parse_format(b"%d %s %r %lx %c %p %gr %rx %rh %% %i %u %o %X %hhd"),
        Ok(vec![
            ArgKind::Integer,
            ArgKind::String,
            ArgKind::Buffer,
            ArgKind::Integer,
            ArgKind::Integer,
            ArgKind::Integer,
            ArgKind::Integer,
            ArgKind::Buffer,
            ArgKind::Buffer,
            ArgKind::Integer,
            ArgKind::Integer,
            ArgKind::Integer,
            ArgKind::Integer,
            ArgKind::Integer,
        ])
    );
    assert_eq!(parse_format(b"no conversions, 100%"), Ok(vec![]));
    assert_eq!(parse_format(b""), Ok(vec![]));
    assert_eq!(parse_format(b"%*d"), Ok(vec![ArgKind::Integer]));
}

#[test]
fn parse_rejects_unsupported_conversions() {
    for (f, name) in [
        ("%f", "f"),
        ("x %5.2f", "f"),
        ("%Lf", "f"),
        ("%e", "e"),
        ("%E", "E"),
        ("%F", "F"),
        ("%g", "g"),
        ("%G", "G"),
        ("%a", "a"),
        ("%A", "A"),
        ("%n", "n"),
        ("%d %f", "f"),
    ] {
        assert_eq!(
            parse_format(f.as_bytes()).map_err(|e| e.message),
            Err(format!("unsupported format specifier: {name}")),
            "{f}"
        );
    }
    assert_eq!(
        parse_format(b"%99999999999d").map_err(|e| e.message),
        Err("width or precision too large for format specifier: d".to_owned())
    );
    assert_eq!(
        parse_format(b"%.3000000000s").map_err(|e| e.message),
        Err("width or precision too large for format specifier: s".to_owned())
    );
}

fn arg(class: ArgClass, name: &str) -> ArgType<'_> {
    ArgType { class, name }
}

#[test]
fn check_reports_bpftrace_messages() {
    let integer = arg(ArgClass::Integer, "uint64");
    let string = arg(ArgClass::Other, "string[16]");
    let buffer = arg(ArgClass::Buffer, "buffer[4]");
    let none = arg(ArgClass::None, "none");
    let err = |f: &str, args: &[ArgType<'_>]| check(f.as_bytes(), args).map_err(|e| e.message);

    assert_eq!(err("%d %s %r", &[integer, string, buffer]), Ok(()));
    assert_eq!(err("%s %s", &[integer, buffer]), Ok(()));
    assert_eq!(
        err("%d %d", &[integer]),
        Err("not enough arguments for format string (1 supplied, 2 expected)".to_owned())
    );
    assert_eq!(
        err("%d", &[integer, integer]),
        Err("too many arguments for format string (2 supplied, 1 expected)".to_owned())
    );
    // The count is checked before the conversions.
    assert_eq!(
        err("%f", &[]),
        Err("not enough arguments for format string (0 supplied, 1 expected)".to_owned())
    );
    assert_eq!(
        err("%f", &[integer]),
        Err("unsupported format specifier: f".to_owned())
    );
    assert_eq!(
        err("%s", &[none]),
        Err("unable to print none type for specifier: s".to_owned())
    );
    assert_eq!(
        err("%d", &[string]),
        Err("unsupported format specifier for type 'string[16]': d".to_owned())
    );
    assert_eq!(
        err("%rx", &[integer]),
        Err("unsupported format specifier for type 'uint64': rx".to_owned())
    );
    assert_eq!(
        err("%lx", &[buffer]),
        Err("unsupported format specifier for type 'buffer[4]': x".to_owned())
    );
}

#[test]
fn a_parsed_format_string_is_reusable() {
    let parsed = FormatString::parse(b"%s=%d\n");
    assert_eq!(
        parsed.arg_kinds(),
        Ok(vec![ArgKind::String, ArgKind::Integer])
    );
    assert_eq!(parsed.format(&[s("a"), int(1)]), "a=1\n");
    assert_eq!(parsed.format(&[s("b"), int(-2)]), "b=-2\n");
}

#[test]
fn odd_input_never_panics() {
    let formats: [&[u8]; 6] = [b"%", b"%-", b"%0", b"%5.", b"%hh", b"\xff%\xffd%r"];
    for f in formats {
        let _ = parse_format(f);
        let _ = format(f, &[int(1), s("x")]);
    }
    assert_eq!(format(b"\xff%d", &[int(1)]), "\u{fffd}1");
}
