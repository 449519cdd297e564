//! USDT argument specs: `SIZE@OPERAND` words, where the operand is written
//! in the assembler syntax of the architecture the probe was compiled for
//! (`-4@%edi 8@-16(%rbp) 4@$5 8@8(%rax,%rdx,8) -4@counter(%rip)` on x86-64,
//! `-4@x0 8@[sp, 16]` on arm64).
//!
//! Each word is parsed on its own: one the parser does not understand makes
//! that argument unreadable, not the probe, nor the other probes of its file.

/// Where one argument's value is at the probe site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsdtArg {
    pub size: u8,
    pub signed: bool,
    pub location: ArgLocation,
}

/// Where an argument is. Registers are named as the kernel's `pt_regs`
/// fields (`di`, `r8`, `ax`; `x0`..`x30`, `sp` on arm64).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgLocation {
    /// An immediate value.
    Const(i64),
    Reg(String),
    /// Bits 8 to 15 of a register: x86's `%ah`, `%bh`, `%ch`, `%dh`.
    RegHigh(String),
    /// Memory at `base + index * scale + offset`; either register may be
    /// absent (`8@16(,%rdx,8)`, or an absolute address).
    Mem {
        base: Option<String>,
        index: Option<(String, u8)>,
        offset: i64,
    },
    /// Memory at a symbol of the file plus `offset` (`counter(%rip)`,
    /// `counter+8(%rip)`): where the file is loaded decides the address.
    Symbol {
        name: String,
        offset: i64,
    },
}

/// Parse an argument spec as written for the architecture this crate is
/// built for: one result per argument, an error naming the word that could
/// not be read.
pub fn parse_args(spec: &str) -> Vec<Result<UsdtArg, String>> {
    split_args(spec).into_iter().map(parse_arg).collect()
}

/// Arguments are separated by spaces, except inside arm64's `[base, off]`.
fn split_args(spec: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = None;
    for (i, c) in spec.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ => {}
        }
        if c.is_whitespace() && depth == 0 {
            if let Some(s) = start.take() {
                out.push(&spec[s..i]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(&spec[s..]);
    }
    out
}

fn parse_arg(text: &str) -> Result<UsdtArg, String> {
    let bad = || format!("unsupported USDT argument '{text}'");
    let (size, signed, operand) = match text.split_once('@') {
        Some((size, operand))
            if !size.is_empty()
                && size
                    .trim_start_matches('-')
                    .bytes()
                    .all(|b| b.is_ascii_digit()) =>
        {
            let n: i32 = size.parse().map_err(|_| bad())?;
            let bytes = u8::try_from(n.unsigned_abs()).map_err(|_| bad())?;
            (bytes, n < 0, operand)
        }
        _ => (8, false, text),
    };
    if !matches!(size, 1 | 2 | 4 | 8) {
        return Err(bad());
    }
    let location = parse_operand(operand).ok_or_else(bad)?;
    Ok(UsdtArg {
        size,
        signed,
        location,
    })
}

#[cfg(target_arch = "aarch64")]
fn parse_operand(op: &str) -> Option<ArgLocation> {
    if let Some(inner) = op.strip_prefix('[').and_then(|o| o.strip_suffix(']')) {
        let (base, offset) = match inner.split_once(',') {
            Some((b, o)) => (b.trim(), parse_int(o.trim().trim_start_matches('#'))?),
            None => (inner.trim(), 0),
        };
        return Some(ArgLocation::Mem {
            base: Some(arm64_reg(base)?),
            index: None,
            offset,
        });
    }
    if let Some(v) = parse_int(op.trim_start_matches('#')) {
        return Some(ArgLocation::Const(v));
    }
    arm64_reg(op).map(ArgLocation::Reg)
}

#[cfg(target_arch = "aarch64")]
fn arm64_reg(name: &str) -> Option<String> {
    if name == "sp" {
        return Some("sp".into());
    }
    let n: u8 = name.strip_prefix(['x', 'w'])?.parse().ok()?;
    (n <= 30).then(|| format!("x{n}"))
}

/// AT&T syntax: `$imm`, `%reg`, and memory as
/// `disp(%base,%index,scale)` with every part optional but one.
#[cfg(not(target_arch = "aarch64"))]
fn parse_operand(op: &str) -> Option<ArgLocation> {
    if let Some(imm) = op.strip_prefix('$') {
        return parse_int(imm).map(ArgLocation::Const);
    }
    if let Some(reg) = op.strip_prefix('%') {
        if let Some(high) = x86_high_byte(reg) {
            return Some(ArgLocation::RegHigh(high.to_string()));
        }
        return x86_reg(reg).map(|r| ArgLocation::Reg(r.to_string()));
    }
    let (disp, inner) = match op.find('(') {
        Some(open) => (&op[..open], Some(op[open + 1..].strip_suffix(')')?)),
        None => (op, None),
    };
    let mut parts = inner
        .map(|i| i.split(',').map(str::trim))
        .into_iter()
        .flatten();
    let base = parts.next().filter(|b| !b.is_empty());
    let index = parts.next();
    let scale = parts.next();
    if parts.next().is_some() {
        return None;
    }
    if base == Some("%rip") {
        // A symbol's address, computed relative to the instruction: in a
        // note there is no instruction, only the symbol.
        if index.is_some() {
            return None;
        }
        let (name, offset) = symbol_and_offset(disp)?;
        return Some(ArgLocation::Symbol { name, offset });
    }
    let base = match base {
        Some(b) => Some(x86_reg(b.strip_prefix('%')?)?.to_string()),
        None => None,
    };
    let index = match index {
        Some(i) => {
            let scale = match scale {
                Some(s) => s.parse().ok().filter(|s| matches!(s, 1 | 2 | 4 | 8))?,
                None => 1,
            };
            Some((x86_reg(i.strip_prefix('%')?)?.to_string(), scale))
        }
        None => None,
    };
    if disp.is_empty() {
        return (base.is_some() || index.is_some()).then_some(ArgLocation::Mem {
            base,
            index,
            offset: 0,
        });
    }
    if let Some(offset) = parse_int(disp) {
        return Some(ArgLocation::Mem {
            base,
            index,
            offset,
        });
    }
    // An absolute symbol (code that is not position-independent).
    if base.is_none() && index.is_none() {
        let (name, offset) = symbol_and_offset(disp)?;
        return Some(ArgLocation::Symbol { name, offset });
    }
    None
}

/// `counter`, `counter+8`, `counter-4`.
#[cfg(not(target_arch = "aarch64"))]
fn symbol_and_offset(text: &str) -> Option<(String, i64)> {
    let split = text.find(['+', '-']).unwrap_or(text.len());
    let (name, rest) = text.split_at(split);
    let is_symbol = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$');
    if name.is_empty()
        || name.starts_with(|c: char| c.is_ascii_digit())
        || !name.chars().all(is_symbol)
    {
        return None;
    }
    let offset = match rest.strip_prefix('+') {
        Some(n) => parse_int(n)?,
        None if rest.is_empty() => 0,
        None => parse_int(rest)?,
    };
    Some((name.to_string(), offset))
}

/// The `pt_regs` field whose bits 8 to 15 are `name`.
#[cfg(not(target_arch = "aarch64"))]
fn x86_high_byte(name: &str) -> Option<&'static str> {
    Some(match name {
        "ah" => "ax",
        "bh" => "bx",
        "ch" => "cx",
        "dh" => "dx",
        _ => return None,
    })
}

/// The `pt_regs` field holding an x86-64 register of any width (from its
/// lowest byte up).
#[cfg(not(target_arch = "aarch64"))]
fn x86_reg(name: &str) -> Option<&'static str> {
    Some(match name {
        "rax" | "eax" | "ax" | "al" => "ax",
        "rbx" | "ebx" | "bx" | "bl" => "bx",
        "rcx" | "ecx" | "cx" | "cl" => "cx",
        "rdx" | "edx" | "dx" | "dl" => "dx",
        "rsi" | "esi" | "si" | "sil" => "si",
        "rdi" | "edi" | "di" | "dil" => "di",
        "rbp" | "ebp" | "bp" | "bpl" => "bp",
        "rsp" | "esp" | "sp" | "spl" => "sp",
        "rip" | "eip" | "ip" => "ip",
        "r8" | "r8d" | "r8w" | "r8b" => "r8",
        "r9" | "r9d" | "r9w" | "r9b" => "r9",
        "r10" | "r10d" | "r10w" | "r10b" => "r10",
        "r11" | "r11d" | "r11w" | "r11b" => "r11",
        "r12" | "r12d" | "r12w" | "r12b" => "r12",
        "r13" | "r13d" | "r13w" | "r13b" => "r13",
        "r14" | "r14d" | "r14w" | "r14b" => "r14",
        "r15" | "r15d" | "r15w" | "r15b" => "r15",
        _ => return None,
    })
}

fn parse_int(text: &str) -> Option<i64> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let value = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => u64::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<u64>().ok()?,
    } as i64;
    Some(if neg { value.wrapping_neg() } else { value })
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    fn one(spec: &str) -> Result<UsdtArg, String> {
        let mut all = parse_args(spec);
        assert_eq!(all.len(), 1, "{spec}");
        all.pop().unwrap()
    }

    fn at(spec: &str) -> ArgLocation {
        one(spec).unwrap().location
    }

    fn mem(base: Option<&str>, index: Option<(&str, u8)>, offset: i64) -> ArgLocation {
        ArgLocation::Mem {
            base: base.map(Into::into),
            index: index.map(|(r, s)| (r.into(), s)),
            offset,
        }
    }

    #[test]
    fn sizes_signedness_registers_and_immediates() {
        let arg = one("-4@%edi").unwrap();
        assert_eq!((arg.size, arg.signed), (4, true));
        assert_eq!(arg.location, ArgLocation::Reg("di".into()));
        assert_eq!(at("%rsi"), ArgLocation::Reg("si".into()));
        assert_eq!(one("%rsi").unwrap().size, 8);
        assert_eq!(at("4@$5"), ArgLocation::Const(5));
        assert_eq!(at("-2@$-3"), ArgLocation::Const(-3));
        assert_eq!(at("1@%r9b"), ArgLocation::Reg("r9".into()));
        assert_eq!(at("1@%al"), ArgLocation::Reg("ax".into()));
        assert_eq!(at("-1@%ah"), ArgLocation::RegHigh("ax".into()));
        assert_eq!(at("1@%dh"), ArgLocation::RegHigh("dx".into()));
        assert!(parse_args("").is_empty());
    }

    #[test]
    fn memory_operands_with_base_index_and_scale() {
        assert_eq!(at("8@-16(%rbp)"), mem(Some("bp"), None, -16));
        assert_eq!(at("8@(%rax)"), mem(Some("ax"), None, 0));
        assert_eq!(at("8@8(%rax,%rdx,8)"), mem(Some("ax"), Some(("dx", 8)), 8));
        assert_eq!(at("4@(%rax,%rcx)"), mem(Some("ax"), Some(("cx", 1)), 0));
        assert_eq!(at("4@0x10(,%rcx,4)"), mem(None, Some(("cx", 4)), 16));
        assert_eq!(at("4@4096"), mem(None, None, 4096));
    }

    #[test]
    fn symbols_relative_to_rip_or_absolute() {
        let symbol = |name: &str, offset| ArgLocation::Symbol {
            name: name.into(),
            offset,
        };
        assert_eq!(at("-4@counter(%rip)"), symbol("counter", 0));
        assert_eq!(at("8@table+16(%rip)"), symbol("table", 16));
        assert_eq!(at("8@table-8(%rip)"), symbol("table", -8));
        assert_eq!(at("4@_ZN3foo3barE.lto.0"), symbol("_ZN3foo3barE.lto.0", 0));
    }

    #[test]
    fn one_unreadable_word_spoils_only_itself() {
        let args = parse_args("-4@%edi 8@%xmm0 3@%eax 8@4(%rax,%rbx,3) 8@(%rip,%rax) 4@$1");
        assert_eq!(args.len(), 6);
        assert!(args[0].is_ok() && args[5].is_ok());
        assert_eq!(
            args[1].as_ref().unwrap_err(),
            "unsupported USDT argument '8@%xmm0'"
        );
        assert!(args[2..5].iter().all(Result::is_err));
        // A size that is 8 modulo 256 is still no size.
        assert!(one("264@%rax").is_err());
    }
}
