//! `printf` formatting in user space with bpftrace's conversion specifiers.
//!
//! bpftrace v0.26.1 formats with C++ streams, not C `printf`, and this
//! module reproduces what that prints:
//! - A conversion is `%`, then the flags in the fixed order `-`, `+`,
//!   space, `#`, `0` (each at most once), a width (digits or `*`), a
//!   precision (`.` and digits or `*`), length modifiers from `hlLjzt`, and
//!   one of `d i o u x X c s p %`, `r rx rh` (buffers), `gr` (GFP flags) or
//!   the unsupported `e E f F g G a A n`. A `%` that does not start such a
//!   sequence is printed as it is.
//! - `*` widths and precisions take no argument and are ignored; the
//!   precision and the space flag are ignored for every supported
//!   conversion, so `%.2s` prints the whole string.
//! - Padding goes before the value, or after it with `-`, using `0` as the
//!   fill with the `0` flag, even for strings and after a minus sign:
//!   `%05d` of -5 is `000-5`, `%-05d` of 5 is `50000`.
//! - Integers are first converted as C converts them to the type the length
//!   modifier names: no modifier means 32 bits (`%d` of 2^32+5 is `5`, `%x`
//!   of -1 is `ffffffff`), `hh` 8 bits, `h` 16 bits, `l ll j z t` 64 bits.
//! - `+` only signs `%d`/`%i` (and integers printed by `%s`); `#` prefixes
//!   non-zero `%o` with `0` and `%x`/`%X` with `0x`/`0X`.
//! - `%p` prints `0x` and lowercase hex, but `0` for a null pointer.
//! - `%s` prints any value in its text form; a width pads only the first
//!   piece written, so `%5s` of a tuple pads its `(`.
//! - A value that cannot be converted prints `!{message}` in its place.
use std::io::Write;

use crate::text::{self, BufferStyle};
use crate::{gfp, Value};

/// A problem with a format string, found at compile time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    pub message: String,
}

impl FormatError {
    fn new(message: String) -> FormatError {
        FormatError { message }
    }
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FormatError {}

/// What one conversion expects, so the compiler can check argument types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// `%d %i %u %x %X %o %c %p %gr` and their length modifiers: an
    /// integer, boolean or pointer.
    Integer,
    /// `%s`: a value of any type, printed in its text form.
    String,
    /// `%r %rx %rh`
    Buffer,
}

/// What the type checker knows about one `printf` argument, for
/// [`check`]'s messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgType<'a> {
    pub class: ArgClass,
    /// The type as bpftrace spells it in messages (`string[16]`, `uint64`).
    pub name: &'a str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgClass {
    /// Integers, booleans and pointers.
    Integer,
    Buffer,
    /// The none or void type (the result of a call that returns nothing).
    None,
    /// Any other type: only `%s` takes it.
    Other,
}

/// Check a format string and list the kind of each argument it consumes.
/// Fails on a conversion bpftrace does not support (`%f`) or a width or
/// precision too large to represent.
pub fn parse_format(fmt: &[u8]) -> Result<Vec<ArgKind>, FormatError> {
    FormatString::parse(fmt).arg_kinds()
}

/// bpftrace's whole check of a `printf` call, with its messages: the
/// argument count first, then each argument against its conversion.
pub fn check(fmt: &[u8], args: &[ArgType<'_>]) -> Result<(), FormatError> {
    FormatString::parse(fmt).check(args)
}

/// Format `fmt` with `args` (already checked by [`parse_format`]). This
/// parses `fmt` on every call; code that prints the same format repeatedly
/// should keep a [`FormatString`].
pub fn format(fmt: &[u8], args: &[Value]) -> String {
    FormatString::parse(fmt).format(args)
}

/// A parsed format string, to parse once and format every event with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatString {
    /// The text around the conversions, `%%` already collapsed: one more
    /// than there are conversions.
    fragments: Vec<Vec<u8>>,
    specs: Vec<Spec>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Spec {
    left: bool,
    plus: bool,
    alternate: bool,
    zero: bool,
    width: usize,
    /// The width or precision does not fit in an `int`.
    oversized: bool,
    length: Length,
    conversion: Conversion,
    /// The conversion as written (`d`, `rx`), for messages.
    name: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Length {
    /// No modifier, or a combination C has no type for: `int`.
    Int,
    Char,
    Short,
    /// `l ll j z t`
    Long,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conversion {
    Signed,
    Unsigned(Radix),
    Char,
    Text,
    Pointer,
    Buffer(BufferStyle),
    Gfp,
    Percent,
    /// Floating point and `%n`: parsed, then rejected.
    Unsupported,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Radix {
    Decimal,
    Octal,
    Hex,
    UpperHex,
}

impl FormatString {
    /// Split `fmt` into text and conversions. This never fails: problems
    /// are reported by [`FormatString::arg_kinds`] and
    /// [`FormatString::check`].
    pub fn parse(fmt: &[u8]) -> FormatString {
        let mut fragments = Vec::new();
        let mut specs = Vec::new();
        let mut fragment = Vec::new();
        let mut pos = 0;
        while pos < fmt.len() {
            let matched = if fmt[pos] == b'%' {
                match_spec(fmt, pos)
            } else {
                None
            };
            match matched {
                Some((spec, end)) if spec.conversion == Conversion::Percent => {
                    fragment.push(b'%');
                    pos = end;
                }
                Some((spec, end)) => {
                    fragments.push(std::mem::take(&mut fragment));
                    specs.push(spec);
                    pos = end;
                }
                None => {
                    fragment.push(fmt[pos]);
                    pos += 1;
                }
            }
        }
        fragments.push(fragment);
        FormatString { fragments, specs }
    }

    /// The kind of argument each conversion takes, in order.
    pub fn arg_kinds(&self) -> Result<Vec<ArgKind>, FormatError> {
        self.specs.iter().map(Spec::arg_kind).collect()
    }

    /// bpftrace's check of a call's arguments against this format.
    pub fn check(&self, args: &[ArgType<'_>]) -> Result<(), FormatError> {
        let (supplied, expected) = (args.len(), self.specs.len());
        if supplied < expected {
            return Err(FormatError::new(format!(
                "not enough arguments for format string ({supplied} supplied, {expected} expected)"
            )));
        }
        if supplied > expected {
            return Err(FormatError::new(format!(
                "too many arguments for format string ({supplied} supplied, {expected} expected)"
            )));
        }
        for (spec, arg) in self.specs.iter().zip(args) {
            if arg.class == ArgClass::None {
                return Err(FormatError::new(format!(
                    "unable to print none type for specifier: {}",
                    spec.name
                )));
            }
            let wanted = match spec.arg_kind()? {
                ArgKind::Integer => ArgClass::Integer,
                ArgKind::Buffer => ArgClass::Buffer,
                ArgKind::String => continue,
            };
            if arg.class != wanted {
                return Err(FormatError::new(format!(
                    "unsupported format specifier for type '{}': {}",
                    arg.name, spec.name
                )));
            }
        }
        Ok(())
    }

    /// The formatted text. With fewer arguments than conversions, the text
    /// after the last argument's conversion is cut back to the final
    /// fragment, as bpftrace does; extra arguments are ignored.
    pub fn format(&self, args: &[Value]) -> String {
        let mut out = Vec::new();
        for ((fragment, spec), arg) in self.fragments.iter().zip(&self.specs).zip(args) {
            out.extend_from_slice(fragment);
            spec.apply(arg, &mut out);
        }
        if let Some(last) = self.fragments.last() {
            out.extend_from_slice(last);
        }
        match String::from_utf8(out) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    }
}

/// Match one conversion starting at the `%` at `start`, returning it and
/// the index just past it.
fn match_spec(fmt: &[u8], start: usize) -> Option<(Spec, usize)> {
    let at = |i: usize| fmt.get(i).copied();
    let mut pos = start + 1;
    let mut flag = |c: u8| {
        let present = at(pos) == Some(c);
        if present {
            pos += 1;
        }
        present
    };
    let left = flag(b'-');
    let plus = flag(b'+');
    flag(b' ');
    let alternate = flag(b'#');
    let zero = flag(b'0');

    let mut oversized = false;
    let mut width = 0;
    if at(pos) == Some(b'*') {
        pos += 1;
    } else if let Some((value, end)) = digits(fmt, pos) {
        width = value.unwrap_or(0);
        oversized |= value.is_none();
        pos = end;
    }
    if at(pos) == Some(b'.') {
        if at(pos + 1) == Some(b'*') {
            pos += 2;
        } else if let Some((value, end)) = digits(fmt, pos + 1) {
            oversized |= value.is_none();
            pos = end;
        }
    }

    let length_start = pos;
    while at(pos).is_some_and(|c| b"hlLjzt".contains(&c)) {
        pos += 1;
    }
    let length = match &fmt[length_start..pos] {
        b"hh" => Length::Char,
        b"h" => Length::Short,
        b"l" | b"ll" | b"j" | b"z" | b"t" => Length::Long,
        _ => Length::Int,
    };

    let (conversion, name): (Conversion, &'static str) = match (at(pos)?, at(pos + 1)) {
        (b'd', _) => (Conversion::Signed, "d"),
        (b'i', _) => (Conversion::Signed, "i"),
        (b'u', _) => (Conversion::Unsigned(Radix::Decimal), "u"),
        (b'o', _) => (Conversion::Unsigned(Radix::Octal), "o"),
        (b'x', _) => (Conversion::Unsigned(Radix::Hex), "x"),
        (b'X', _) => (Conversion::Unsigned(Radix::UpperHex), "X"),
        (b'c', _) => (Conversion::Char, "c"),
        (b's', _) => (Conversion::Text, "s"),
        (b'p', _) => (Conversion::Pointer, "p"),
        (b'%', _) => (Conversion::Percent, "%"),
        (b'e', _) => (Conversion::Unsupported, "e"),
        (b'E', _) => (Conversion::Unsupported, "E"),
        (b'f', _) => (Conversion::Unsupported, "f"),
        (b'F', _) => (Conversion::Unsupported, "F"),
        (b'G', _) => (Conversion::Unsupported, "G"),
        (b'a', _) => (Conversion::Unsupported, "a"),
        (b'A', _) => (Conversion::Unsupported, "A"),
        (b'n', _) => (Conversion::Unsupported, "n"),
        (b'g', Some(b'r')) => (Conversion::Gfp, "gr"),
        (b'g', _) => (Conversion::Unsupported, "g"),
        (b'r', Some(b'h')) => (Conversion::Buffer(BufferStyle::Hex), "rh"),
        (b'r', Some(b'x')) => (Conversion::Buffer(BufferStyle::Escaped), "rx"),
        (b'r', _) => (Conversion::Buffer(BufferStyle::Printable), "r"),
        _ => return None,
    };
    let end = pos + name.len();
    let spec = Spec {
        left,
        plus,
        alternate,
        zero,
        width,
        oversized,
        length,
        conversion,
        name,
    };
    Some((spec, end))
}

/// A run of decimal digits at `pos`: its value (`None` if it does not fit
/// in an `int`) and the index after it. `None` without digits.
fn digits(fmt: &[u8], pos: usize) -> Option<(Option<usize>, usize)> {
    let len = fmt
        .get(pos..)?
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if len == 0 {
        return None;
    }
    let text = std::str::from_utf8(&fmt[pos..pos + len]).ok()?;
    let value = text.parse::<i32>().ok().map(|v| v as usize);
    Some((value, pos + len))
}

impl Spec {
    fn arg_kind(&self) -> Result<ArgKind, FormatError> {
        if self.oversized {
            return Err(FormatError::new(format!(
                "width or precision too large for format specifier: {}",
                self.name
            )));
        }
        match self.conversion {
            Conversion::Signed
            | Conversion::Unsigned(_)
            | Conversion::Char
            | Conversion::Pointer
            | Conversion::Gfp => Ok(ArgKind::Integer),
            Conversion::Buffer(_) => Ok(ArgKind::Buffer),
            Conversion::Text | Conversion::Percent => Ok(ArgKind::String),
            Conversion::Unsupported => Err(FormatError::new(format!(
                "unsupported format specifier: {}",
                self.name
            ))),
        }
    }

    fn apply(&self, arg: &Value, out: &mut Vec<u8>) {
        let mut stream = Stream {
            out,
            width: self.width,
            fill: if self.zero { b'0' } else { b' ' },
            left: self.left,
            show_sign: self.plus,
        };
        let raw = match *arg {
            Value::Int(i) => Some(i as u64),
            Value::UInt(u) => Some(u),
            Value::Bool(b) => Some(b as u64),
            Value::Symbolic { numeric, .. } => Some(numeric),
            _ => None,
        };
        match (self.conversion, raw) {
            (Conversion::Signed, Some(raw)) => {
                let value = match self.length {
                    Length::Int => i64::from(raw as u32 as i32),
                    Length::Char => i64::from(raw as u8 as i8),
                    Length::Short => i64::from(raw as u16 as i16),
                    Length::Long => raw as i64,
                };
                stream.put_signed(value);
            }
            (Conversion::Unsigned(radix), Some(raw)) => {
                let value = match self.length {
                    Length::Int => u64::from(raw as u32),
                    Length::Char => u64::from(raw as u8),
                    Length::Short => u64::from(raw as u16),
                    Length::Long => raw,
                };
                let prefix = match radix {
                    _ if !self.alternate || value == 0 => "",
                    Radix::Decimal => "",
                    Radix::Octal => "0",
                    Radix::Hex => "0x",
                    Radix::UpperHex => "0X",
                };
                stream.put_with(|out| match radix {
                    Radix::Decimal => write!(out, "{value}"),
                    Radix::Octal => write!(out, "{prefix}{value:o}"),
                    Radix::Hex => write!(out, "{prefix}{value:x}"),
                    Radix::UpperHex => write!(out, "{prefix}{value:X}"),
                });
            }
            (Conversion::Char, Some(raw)) => stream.put(&[raw as u8]),
            (Conversion::Pointer, Some(0)) => stream.put(b"0"),
            (Conversion::Pointer, Some(raw)) => stream.put_with(|out| write!(out, "{raw:#x}")),
            (Conversion::Gfp, Some(raw)) => stream.put(gfp::describe(raw).as_bytes()),
            (Conversion::Gfp, None) => stream.error("invalid GFP flags conversion: ", arg),
            (Conversion::Buffer(style), _) => match arg {
                Value::Buffer(bytes) => {
                    let mut escaped = String::new();
                    text::write_buffer(&mut escaped, bytes, style);
                    stream.put(escaped.as_bytes());
                }
                _ => stream.put_text(arg),
            },
            (Conversion::Signed | Conversion::Unsigned(_) | Conversion::Char, None)
            | (Conversion::Pointer, None) => stream.error("invalid integer conversion: ", arg),
            (Conversion::Text | Conversion::Percent | Conversion::Unsupported, _) => {
                stream.put_text(arg)
            }
        }
    }
}

/// The state of bpftrace's output stream while it prints one conversion:
/// the width applies to the first thing written and is then used up.
struct Stream<'a> {
    out: &'a mut Vec<u8>,
    width: usize,
    fill: u8,
    left: bool,
    show_sign: bool,
}

impl Stream<'_> {
    fn put(&mut self, body: &[u8]) {
        self.put_with(|out| out.write_all(body));
    }

    /// Write a piece in place, then pad it to the pending width.
    fn put_with(&mut self, write_body: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) {
        let start = self.out.len();
        // Writing to a Vec cannot fail.
        let _ = write_body(self.out);
        let padding = self.width.saturating_sub(self.out.len() - start);
        self.width = 0;
        if padding == 0 {
            return;
        }
        self.out.resize(self.out.len() + padding, self.fill);
        if !self.left {
            self.out[start..].rotate_right(padding);
        }
    }

    fn put_signed(&mut self, value: i64) {
        let sign = if self.show_sign && value >= 0 {
            "+"
        } else {
            ""
        };
        self.put_with(|out| write!(out, "{sign}{value}"));
    }

    /// `%s`: the value's text form, integers signed with `+` if asked.
    fn put_text(&mut self, value: &Value) {
        match value {
            Value::Int(i) => self.put_signed(*i),
            Value::UInt(u) => self.put_with(|out| write!(out, "{u}")),
            Value::Str(bytes) => self.put(bytes),
            Value::Bool(b) => self.put(if *b { b"true" } else { b"false" }),
            Value::Tuple(fields) => {
                self.put(b"(");
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        self.put(b", ");
                    }
                    self.put_text(field);
                }
                self.put(b")");
            }
            Value::Symbolic { text, .. } => self.put(text.as_bytes()),
            Value::Buffer(_) | Value::Record(_) | Value::Array(_) | Value::None => {
                self.put(text::format_value(value).as_bytes())
            }
        }
    }

    fn error(&mut self, message: &str, value: &Value) {
        self.out.extend_from_slice(b"!{");
        self.out.extend_from_slice(message.as_bytes());
        self.out
            .extend_from_slice(text::format_value(value).as_bytes());
        self.out.push(b'}');
    }
}
