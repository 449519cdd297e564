//! Integer literals, with bpftrace v0.26.1's forms and error messages:
//! decimal, `0x` hex, leading-`0` octal, `_` separators, a one-digit
//! coefficient with a decimal exponent (`1e6`), the C suffixes `u ul ull l ll`
//! and the duration suffixes `ns us ms s m h d` (scaled to nanoseconds).
//! There are no binary literals: `0b1` is an invalid suffix, as in bpftrace.

use super::{is_ident_body, is_ident_start};
use crate::diag::Diagnostic;
use crate::span::Span;

/// Reads the literal starting at `start` (an ASCII digit). Returns where it
/// ends and its value.
pub(super) fn scan_integer(src: &str, start: usize) -> (usize, Result<u64, Diagnostic>) {
    let bytes = src.as_bytes();
    let at = |pos: usize| bytes.get(pos).copied().unwrap_or(0);
    let run = |mut pos: usize, keep: fn(u8) -> bool| {
        while keep(at(pos)) {
            pos += 1;
        }
        pos
    };
    let trailing_underscore = |end: usize| {
        Diagnostic::error(
            Span::new(end - 1, end),
            "syntax: trailing underscore in integer literal",
        )
        .with_help("remove the '_' or put digits after it")
    };

    let mut pos = start;
    if at(pos) == b'0' && matches!(at(pos + 1), b'x' | b'X') {
        pos = run(pos + 2, |b| b.is_ascii_hexdigit() || b == b'_');
        if at(pos - 1) == b'_' {
            return (pos, Err(trailing_underscore(pos)));
        }
        let text = &src[start..pos];
        if pos == start + 2 {
            // bpftrace reports the empty digit string here; show the literal.
            return (
                pos,
                Err(literal_error(
                    start,
                    pos,
                    format!("invalid integer: {text}"),
                )),
            );
        }
        return (
            pos,
            to_uint(text, 0).map_err(|m| literal_error(start, pos, m)),
        );
    }

    pos = run(pos, |b| b.is_ascii_digit() || b == b'_');
    if at(pos - 1) == b'_' {
        return (pos, Err(trailing_underscore(pos)));
    }
    if matches!(at(pos), b'e' | b'E') {
        pos = run(pos + 1, |b| b.is_ascii_digit() || b == b'_');
        if at(pos - 1) == b'_' {
            return (pos, Err(trailing_underscore(pos)));
        }
    }
    pos += suffix_len(at(pos), at(pos + 1), at(pos + 2));
    if is_ident_start(at(pos)) {
        let bad_start = pos;
        pos = run(pos, is_ident_body);
        let bad = &src[bad_start..pos];
        let diag = Diagnostic::error(
            Span::new(bad_start, pos),
            format!("syntax: invalid integer suffix '{bad}'"),
        )
        .with_help(
            "integer suffixes are u, ul, ull, l, ll and the durations ns, us, ms, s, m, h, d",
        );
        return (pos, Err(diag));
    }
    let text = &src[start..pos];
    (
        pos,
        to_uint(text, 0).map_err(|m| literal_error(start, pos, m)),
    )
}

fn literal_error(start: usize, end: usize, message: String) -> Diagnostic {
    Diagnostic::error(Span::new(start, end), format!("syntax: {message}"))
}

/// Length of the suffix starting with bytes `a b c`, as bpftrace's scanner
/// takes it; whether the suffix is valid is decided later by [`to_uint`].
fn suffix_len(a: u8, b: u8, c: u8) -> usize {
    let is_l = |x: u8| x == b'l' || x == b'L';
    match a {
        b'n' | b'u' | b'm' if b == b's' => 2,
        b's' | b'm' | b'h' | b'd' => 1,
        b'u' | b'U' if is_l(b) && is_l(c) => 3,
        b'u' | b'U' if is_l(b) => 2,
        b'u' | b'U' => 1,
        b'l' | b'L' if is_l(b) => 2,
        b'l' | b'L' => 1,
        _ => 0,
    }
}

/// bpftrace's `util::to_uint`: the value of `num` (which may carry `_`, a
/// `0x` or octal `0` prefix, an exponent and a suffix) or the error message.
/// `base` 0 means "decide from the prefix", as C's `strtoull` does.
fn to_uint(num: &str, base: u32) -> Result<u64, String> {
    let n: String = num.chars().filter(|&c| c != '_').collect();
    let nb = n.as_bytes();
    if base == 0 && nb.len() >= 2 {
        if n.starts_with("0x") || n.starts_with("0X") {
            return to_uint(&n[2..], 16);
        }
        if nb[0] == b'0' && (b'0'..=b'7').contains(&nb[1]) {
            return to_uint(&n[1..], 8);
        }
    }
    let base = match base {
        // What strtoull picks when told to detect the base; hex was handled above.
        0 if nb.first() == Some(&b'0') => 8,
        0 => 10,
        b => b,
    };

    let digits_end = nb
        .iter()
        .position(|b| !(*b as char).is_digit(base))
        .unwrap_or(nb.len());
    if digits_end == 0 {
        return Err(format!("invalid integer: {num}"));
    }
    let mut value = u64::from_str_radix(&n[..digits_end], base)
        .map_err(|_| format!("overflow error, maximum value is {}: {num}", u64::MAX))?;
    let mut rest = &n[digits_end..];

    let rb = rest.as_bytes();
    if rb.len() >= 2 && matches!(rb[0], b'e' | b'E') && (b'1'..=b'9').contains(&rb[1]) {
        if value == 0 || value >= 10 {
            return Err(format!(
                "coefficient part of scientific literal must be 1-9: {num}"
            ));
        }
        let exp_end = 1 + rb[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        // An exponent too large for u64 overflows the value just the same.
        let exp: u64 = rest[1..exp_end].parse().unwrap_or(u64::MAX);
        for _ in 0..exp {
            value = value
                .checked_mul(10)
                .ok_or_else(|| format!("overflow error, maximum value is {}: {num}", u64::MAX))?;
        }
        rest = &rest[exp_end..];
    }

    let (max, scale): (u64, u64) = match rest {
        "" | "ns" | "ul" | "ull" => (u64::MAX, 1),
        "u" => (u64::from(u32::MAX), 1),
        "l" | "ll" => (i64::MAX as u64, 1),
        "us" => (u64::MAX, 1_000),
        "ms" => (u64::MAX, 1_000_000),
        "s" => (u64::MAX, 1_000_000_000),
        "m" => (u64::MAX, 60_000_000_000),
        "h" => (u64::MAX, 3_600_000_000_000),
        "d" => (u64::MAX, 86_400_000_000_000),
        _ => return Err(format!("invalid trailing bytes: {num}")),
    };
    if value > max / scale {
        return Err(format!("overflow error, maximum value is {max}: {num}"));
    }
    Ok(value * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(src: &str) -> Result<u64, String> {
        let (end, v) = scan_integer(src, 0);
        assert_eq!(end, src.len(), "{src} not read whole");
        v.map_err(|d| d.message)
    }

    #[test]
    fn bases() {
        assert_eq!(value("0"), Ok(0));
        assert_eq!(value("42"), Ok(42));
        assert_eq!(value("0x1F"), Ok(31));
        assert_eq!(value("0XfF"), Ok(255));
        assert_eq!(value("0755"), Ok(0o755));
        assert_eq!(value("00"), Ok(0));
        assert_eq!(value("1_000_000"), Ok(1_000_000));
        assert_eq!(value("0xdead_beef"), Ok(0xdead_beef));
        assert_eq!(value("18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn exponents_and_suffixes() {
        assert_eq!(value("1e6"), Ok(1_000_000));
        assert_eq!(value("5E3"), Ok(5_000));
        assert_eq!(value("1e19"), Ok(10_000_000_000_000_000_000));
        assert_eq!(value("10u"), Ok(10));
        assert_eq!(value("10ul"), Ok(10));
        assert_eq!(value("10ull"), Ok(10));
        assert_eq!(value("10l"), Ok(10));
        assert_eq!(value("10ll"), Ok(10));
        assert_eq!(value("1e3ms"), Ok(1_000_000_000));
    }

    #[test]
    fn durations_in_nanoseconds() {
        assert_eq!(value("100ns"), Ok(100));
        assert_eq!(value("5us"), Ok(5_000));
        assert_eq!(value("10ms"), Ok(10_000_000));
        assert_eq!(value("1s"), Ok(1_000_000_000));
        assert_eq!(value("2m"), Ok(120_000_000_000));
        assert_eq!(value("1h"), Ok(3_600_000_000_000));
        assert_eq!(value("1d"), Ok(86_400_000_000_000));
    }

    #[test]
    fn bpftrace_error_messages() {
        let max = "18446744073709551615";
        assert_eq!(
            value("5e"),
            Err("syntax: invalid trailing bytes: 5e".into())
        );
        assert_eq!(
            value("1e21"),
            Err(format!(
                "syntax: overflow error, maximum value is {max}: 1e21"
            ))
        );
        assert_eq!(
            value("10000000000m"),
            Err(format!(
                "syntax: overflow error, maximum value is {max}: 10000000000m"
            ))
        );
        assert_eq!(
            value("12e4"),
            Err("syntax: coefficient part of scientific literal must be 1-9: 12e4".into())
        );
        assert_eq!(
            value("1_1e100"),
            Err("syntax: coefficient part of scientific literal must be 1-9: 1_1e100".into())
        );
        assert_eq!(
            value("99999999999999999999"),
            Err(format!(
                "syntax: overflow error, maximum value is {max}: 99999999999999999999"
            ))
        );
        assert_eq!(
            value("4294967296u"),
            Err("syntax: overflow error, maximum value is 4294967295: 4294967296u".into())
        );
        assert_eq!(
            value("10U"),
            Err("syntax: invalid trailing bytes: 10U".into())
        );
        assert_eq!(
            value("08"),
            Err("syntax: invalid trailing bytes: 08".into())
        );
        assert_eq!(value("0x"), Err("syntax: invalid integer: 0x".into()));
        assert_eq!(
            value("1e0"),
            Err("syntax: invalid trailing bytes: 1e0".into())
        );
        assert_eq!(
            value("0e5"),
            Err("syntax: coefficient part of scientific literal must be 1-9: 0e5".into())
        );
    }

    #[test]
    fn bad_suffixes_and_underscores() {
        let (end, v) = scan_integer("0b101;", 0);
        assert_eq!(end, 5);
        let d = v.unwrap_err();
        assert_eq!(d.message, "syntax: invalid integer suffix 'b101'");
        assert_eq!(d.span, Span::new(1, 5));

        let (_, v) = scan_integer("100lu", 0);
        let d = v.unwrap_err();
        assert_eq!(d.message, "syntax: invalid integer suffix 'u'");
        assert_eq!(d.span, Span::new(4, 5));

        let (end, v) = scan_integer("1_000_ ", 0);
        assert_eq!(end, 6);
        let d = v.unwrap_err();
        assert_eq!(d.message, "syntax: trailing underscore in integer literal");
        assert_eq!(d.span, Span::new(5, 6));
    }
}
