//! String literals. The escapes are bpftrace v0.26.1's: `\n \t \r \" \\`,
//! up to three octal digits `\NNN` (at most `\377`) and up to two hex digits
//! `\xNN`. Anything else after a backslash is an error, as in bpftrace. A
//! string may not span lines.

use crate::diag::Diagnostic;
use crate::span::Span;

const ESCAPES_HELP: &str = "valid escapes are \\n \\t \\r \\\" \\\\, octal \\NNN and hex \\xNN";

/// Reads the literal whose opening quote is at `open`. Returns where it ends
/// and its decoded bytes.
pub(super) fn scan_string(src: &str, open: usize) -> (usize, Result<Vec<u8>, Diagnostic>) {
    let bytes = src.as_bytes();
    let at = |pos: usize| bytes.get(pos).copied();
    let mut out = Vec::new();
    let mut pos = open + 1;
    loop {
        match at(pos) {
            None | Some(b'\n') => return (pos, Err(unterminated(src, open))),
            Some(b'"') => return (pos + 1, Ok(out)),
            Some(b'\\') => {
                let esc_start = pos;
                pos += 1;
                let Some(esc) = at(pos) else {
                    return (pos, Err(unterminated(src, open)));
                };
                pos += 1;
                match esc {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'"' => out.push(b'"'),
                    b'\\' => out.push(b'\\'),
                    b'0'..=b'7' => {
                        let mut value = u32::from(esc - b'0');
                        for _ in 0..2 {
                            match at(pos) {
                                Some(d @ b'0'..=b'7') => {
                                    value = value * 8 + u32::from(d - b'0');
                                    pos += 1;
                                }
                                _ => break,
                            }
                        }
                        let Ok(byte) = u8::try_from(value) else {
                            let text = &src[esc_start..pos];
                            let diag = Diagnostic::error(
                                Span::new(esc_start, pos),
                                format!("syntax: octal escape sequence out of range '{text}'"),
                            )
                            .with_help("octal escapes go up to \\377");
                            return (pos, Err(diag));
                        };
                        out.push(byte);
                    }
                    b'x' | b'X' => {
                        let digits = bytes[pos..]
                            .iter()
                            .take(2)
                            .take_while(|b| b.is_ascii_hexdigit())
                            .count();
                        if digits == 0 {
                            let diag = Diagnostic::error(
                                Span::new(esc_start, pos),
                                "syntax: invalid hex escape sequence",
                            )
                            .with_help("write one or two hex digits after \\x, e.g. \\x41");
                            return (pos, Err(diag));
                        }
                        let hex = &src[pos..pos + digits];
                        out.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                        pos += digits;
                    }
                    _ => {
                        // Report the whole character, which may be multi-byte.
                        let c = src[pos - 1..].chars().next().unwrap_or('?');
                        let end = pos - 1 + c.len_utf8();
                        let diag = Diagnostic::error(
                            Span::new(esc_start, end),
                            format!("syntax: invalid escape character '\\{c}'"),
                        )
                        .with_help(ESCAPES_HELP);
                        return (end, Err(diag));
                    }
                }
            }
            Some(b) => {
                out.push(b);
                pos += 1;
            }
        }
    }
}

/// The whole rest of the line is underlined: that is the text the missing
/// quote swallowed.
fn unterminated(src: &str, open: usize) -> Diagnostic {
    let end = src[open..].find('\n').map_or(src.len(), |off| open + off);
    Diagnostic::error(Span::new(open, end), "syntax: unterminated string")
        .with_help("close the string with '\"' on the same line; write a newline inside it as \\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(src: &str) -> Result<Vec<u8>, Diagnostic> {
        scan_string(src, 0).1
    }

    #[test]
    fn escapes_decode_to_bytes() {
        assert_eq!(decode(r#""a\n\t\r\"\\b""#), Ok(b"a\n\t\r\"\\b".to_vec()));
        assert_eq!(decode(r#""\0\101\1009\7""#), Ok(b"\0A@9\x07".to_vec()));
        assert_eq!(decode(r#""\x41\x4a\X7""#), Ok(b"AJ\x07".to_vec()));
        assert_eq!(decode(r#""\x414""#), Ok(b"A4".to_vec()));
        assert_eq!(decode(r#""\377""#), Ok(vec![0xff]));
        assert_eq!(decode("\"é\""), Ok("é".as_bytes().to_vec()));
    }

    #[test]
    fn end_position_is_after_the_closing_quote() {
        assert_eq!(scan_string(r#""ab" x"#, 0).0, 4);
    }

    #[test]
    fn errors() {
        let d = decode(r#""\777""#).unwrap_err();
        assert_eq!(
            d.message,
            "syntax: octal escape sequence out of range '\\777'"
        );
        assert_eq!(d.span, Span::new(1, 5));

        let d = decode(r#""a\q""#).unwrap_err();
        assert_eq!(d.message, "syntax: invalid escape character '\\q'");
        assert_eq!(d.span, Span::new(2, 4));

        let d = decode(r#""\'""#).unwrap_err();
        assert_eq!(d.message, "syntax: invalid escape character '\\''");

        let d = decode(r#""\xg""#).unwrap_err();
        assert_eq!(d.message, "syntax: invalid hex escape sequence");
        assert_eq!(d.span, Span::new(1, 3));

        let d = decode("\"abc\nd\"").unwrap_err();
        assert_eq!(d.message, "syntax: unterminated string");
        assert_eq!(d.span, Span::new(0, 4));

        let d = decode("\"ab\\").unwrap_err();
        assert_eq!(d.span, Span::new(0, 4));
    }
}
