//! USDT probes: the `.note.stapsdt` notes that SystemTap's `sys/sdt.h` (and
//! anything imitating it) leaves in a binary, and their argument specs.
//!
//! A note's descriptor is three addresses (the probe site, the link-time
//! address of `.stapsdt.base`, the semaphore or 0) followed by three
//! NUL-terminated strings: provider, name and argument spec. When the file
//! was prelinked or otherwise moved, the `.stapsdt.base` section's real
//! address tells how far the other two addresses moved.

use object::Endian;

use crate::file::ElfFile;

const NOTE_OWNER: &[u8] = b"stapsdt";
const NOTE_TYPE: u32 = 3;

/// One probe site of one USDT probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsdtNote {
    pub provider: String,
    pub name: String,
    /// Virtual address of the probe site (a `nop`), in the file's layout.
    pub addr: u64,
    /// Virtual address of the probe's semaphore (a u16 counter that the
    /// program checks before computing the arguments), 0 if it has none.
    pub semaphore: u64,
    /// The argument spec as written, e.g. `-4@%edi 8@-16(%rbp) 4@$5`.
    pub args: String,
}

/// Where one argument's value is at the probe site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgLocation {
    /// An immediate value.
    Const(i64),
    /// A register, named as the kernel's `pt_regs` field (`di`, `r8`, `ax`;
    /// `x0`..`x30`, `sp` on arm64).
    Reg(String),
    /// Memory at `base + offset`.
    Mem { base: String, offset: i64 },
}

/// One argument: its location, size in bytes and signedness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsdtArg {
    pub size: u8,
    pub signed: bool,
    pub location: ArgLocation,
}

impl ElfFile {
    /// Every USDT probe site of this file, in note order.
    pub fn usdt_notes(&self) -> Vec<UsdtNote> {
        let endian = self.endian();
        let base_section = self.section(".stapsdt.base").map(|(_, addr)| addr);
        let mut out = Vec::new();
        for section in self.note_sections(".note.stapsdt") {
            parse_notes(section, endian.is_little_endian(), base_section, &mut out);
        }
        out
    }
}

fn parse_notes(data: &[u8], little: bool, base_section: Option<u64>, out: &mut Vec<UsdtNote>) {
    let u32_at = |off: usize| -> Option<u32> {
        let b: [u8; 4] = data.get(off..off + 4)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let u64_at = |off: usize| -> Option<u64> {
        let b: [u8; 8] = data.get(off..off + 8)?.try_into().ok()?;
        Some(if little {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    };
    let mut at = 0usize;
    while at + 12 <= data.len() {
        let (Some(namesz), Some(descsz), Some(kind)) = (u32_at(at), u32_at(at + 4), u32_at(at + 8))
        else {
            return;
        };
        let (namesz, descsz) = (namesz as usize, descsz as usize);
        let name_at = at + 12;
        let desc_at = name_at + namesz.next_multiple_of(4);
        let next = desc_at + descsz.next_multiple_of(4);
        let Some(owner) = data.get(name_at..name_at + namesz) else {
            return;
        };
        let owner = owner.strip_suffix(&[0]).unwrap_or(owner);
        if owner == NOTE_OWNER && kind == NOTE_TYPE {
            if let Some(desc) = data.get(desc_at..desc_at + descsz) {
                if let (Some(pc), Some(base), Some(sem)) =
                    (u64_at(desc_at), u64_at(desc_at + 8), u64_at(desc_at + 16))
                {
                    let mut strings = desc.get(24..).unwrap_or(&[]).split(|&b| b == 0);
                    let mut text =
                        || String::from_utf8_lossy(strings.next().unwrap_or(&[])).into_owned();
                    let (provider, name, args) = (text(), text(), text());
                    // Addresses are relative to the link-time base; move
                    // them with the section if it moved.
                    let shift = match base_section {
                        Some(actual) if base != 0 => actual.wrapping_sub(base),
                        _ => 0,
                    };
                    out.push(UsdtNote {
                        provider,
                        name,
                        addr: pc.wrapping_add(shift),
                        semaphore: if sem == 0 { 0 } else { sem.wrapping_add(shift) },
                        args,
                    });
                }
            }
        }
        if next <= at {
            return;
        }
        at = next;
    }
}

/// Parse an argument spec (`-4@%edi 8@-16(%rbp) 4@$5`) as written for
/// the architecture this crate is built for.
pub fn parse_args(spec: &str) -> Result<Vec<UsdtArg>, String> {
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
            (n.unsigned_abs() as u8, n < 0, operand)
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
            base: arm64_reg(base)?,
            offset,
        });
    }
    if let Ok(v) = parse_int(op.trim_start_matches('#')).ok_or(()) {
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

#[cfg(not(target_arch = "aarch64"))]
fn parse_operand(op: &str) -> Option<ArgLocation> {
    if let Some(imm) = op.strip_prefix('$') {
        return parse_int(imm).map(ArgLocation::Const);
    }
    if let Some(reg) = op.strip_prefix('%') {
        return x86_reg(reg).map(|r| ArgLocation::Reg(r.to_string()));
    }
    // `offset(%base)`; the indexed form `offset(%base,%index,scale)` is not
    // supported (nor by libbpf).
    let open = op.find('(')?;
    let inner = op[open + 1..].strip_suffix(')')?;
    if inner.contains(',') {
        return None;
    }
    let offset = if open == 0 {
        0
    } else {
        parse_int(&op[..open])?
    };
    let base = x86_reg(inner.strip_prefix('%')?)?;
    Some(ArgLocation::Mem {
        base: base.to_string(),
        offset,
    })
}

/// The `pt_regs` field holding an x86-64 register of any width.
#[cfg(not(target_arch = "aarch64"))]
fn x86_reg(name: &str) -> Option<&'static str> {
    Some(match name {
        "rax" | "eax" | "ax" | "al" | "ah" => "ax",
        "rbx" | "ebx" | "bx" | "bl" | "bh" => "bx",
        "rcx" | "ecx" | "cx" | "cl" | "ch" => "cx",
        "rdx" | "edx" | "dx" | "dl" | "dh" => "dx",
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

    fn arg(size: u8, signed: bool, location: ArgLocation) -> UsdtArg {
        UsdtArg {
            size,
            signed,
            location,
        }
    }

    #[test]
    fn x86_specs() {
        assert_eq!(
            parse_args("-4@%edi 8@-16(%rbp) 4@$5 -2@$-3 8@(%rax) %rsi").unwrap(),
            vec![
                arg(4, true, ArgLocation::Reg("di".into())),
                arg(
                    8,
                    false,
                    ArgLocation::Mem {
                        base: "bp".into(),
                        offset: -16
                    }
                ),
                arg(4, false, ArgLocation::Const(5)),
                arg(2, true, ArgLocation::Const(-3)),
                arg(
                    8,
                    false,
                    ArgLocation::Mem {
                        base: "ax".into(),
                        offset: 0
                    }
                ),
                arg(8, false, ArgLocation::Reg("si".into())),
            ]
        );
        assert_eq!(parse_args("").unwrap(), vec![]);
        assert!(parse_args("8@4(%rax,%rbx,2)").is_err());
        assert!(parse_args("3@%eax").is_err());
        assert!(parse_args("8@%xmm0").is_err());
    }

    #[test]
    fn notes_are_decoded_and_moved_with_their_base() {
        let mut desc = Vec::new();
        desc.extend_from_slice(&0x1000u64.to_le_bytes());
        desc.extend_from_slice(&0x2000u64.to_le_bytes());
        desc.extend_from_slice(&0x3000u64.to_le_bytes());
        desc.extend_from_slice(b"prov\0name\0-4@%edi\0");
        let mut note = Vec::new();
        note.extend_from_slice(&8u32.to_le_bytes());
        note.extend_from_slice(&(desc.len() as u32).to_le_bytes());
        note.extend_from_slice(&3u32.to_le_bytes());
        note.extend_from_slice(b"stapsdt\0");
        note.extend_from_slice(&desc);
        note.resize(note.len().next_multiple_of(4), 0);
        let twice = [note.clone(), note].concat();
        let mut out = Vec::new();
        parse_notes(&twice, true, Some(0x2100), &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0],
            UsdtNote {
                provider: "prov".into(),
                name: "name".into(),
                addr: 0x1100,
                semaphore: 0x3100,
                args: "-4@%edi".into(),
            }
        );
        let mut none = Vec::new();
        parse_notes(&twice[..20], true, None, &mut none);
        assert!(none.is_empty());
    }
}
