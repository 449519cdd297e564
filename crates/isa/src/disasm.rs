//! Disassembly in the kernel verifier's syntax (`kernel/bpf/disasm.c`),
//! without the verifier's `(code)` column so lines read like the source the
//! code generator meant.
//!
//! Encodings the kernel would print as `BUG_...` or with a missing operator
//! print as `(bad opcode 0xNN)` instead: a dump of a broken program must
//! still come out whole.
use std::fmt::{self, Display, Formatter};

use crate::{helper, op, Insn, PSEUDO_BTF_ID, PSEUDO_FUNC, PSEUDO_MAP_FD, PSEUDO_MAP_VALUE};

/// `src_reg` values of `ld_imm64` beyond the two the crate root names; the
/// kernel's `BPF_PSEUDO_*` constants.
const PSEUDO_MAP_IDX: u8 = 5;
const PSEUDO_MAP_IDX_VALUE: u8 = 6;

/// `src_reg` values of `call`.
const PSEUDO_CALL: u8 = 1;
const PSEUDO_KFUNC_CALL: u8 = 2;

/// `off` values that turn a 64-bit `mul` into a high-half multiply.
const MUL_UNSIGNED_HIGH: i16 = 1;
const MUL_SIGNED_HIGH: i16 = 2;
/// `off` of a register move that is really an arena address-space cast.
const ADDR_SPACE_CAST: i16 = 1;
/// The jump operation of `may_goto`, and its `src_reg`.
const JCOND: u8 = 0xe0;
const MAY_GOTO: u8 = 0;
/// Atomic operations without an ALU counterpart.
const LOAD_ACQUIRE: i32 = 0x100;
const STORE_RELEASE: i32 = 0x110;
/// The kernel-internal speculation barrier's mode in class `ST`.
const NOSPEC: u8 = 0xc0;

/// One line per instruction slot, prefixed with its index (`0: r1 = 1`).
/// The second slot of a `ld_imm64` gets no line of its own, but still
/// counts, as in the verifier's log.
pub fn disassemble(insns: &[Insn]) -> Vec<String> {
    let mut lines = Vec::with_capacity(insns.len());
    let mut pc = 0;
    while let Some(insn) = insns.get(pc) {
        let next = insns.get(pc + 1);
        lines.push(format!("{pc}: {}", Disasm { insn, next }));
        pc += if insn.is_ld_imm64() { 2 } else { 1 };
    }
    lines
}

/// The text of one instruction; `next` is the following slot for `ld_imm64`.
pub fn disassemble_one(insn: &Insn, next: Option<&Insn>) -> String {
    Disasm { insn, next }.to_string()
}

struct Disasm<'a> {
    insn: &'a Insn,
    next: Option<&'a Insn>,
}

impl Display for Disasm<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let insn = self.insn;
        match insn.class() {
            op::ALU | op::ALU64 => alu(f, insn),
            op::STX => stx(f, insn),
            op::ST => st(f, insn),
            op::LDX => ldx(f, insn),
            op::LD => ld(f, insn, self.next),
            _ => jmp(f, insn),
        }
    }
}

fn bad(f: &mut Formatter<'_>, insn: &Insn) -> fmt::Result {
    write!(f, "(bad opcode {:#04x})", insn.code)
}

fn mode(insn: &Insn) -> u8 {
    insn.code & 0xe0
}

fn size_bits(insn: &Insn) -> u8 {
    insn.code & 0x18
}

fn source_is_reg(insn: &Insn) -> bool {
    insn.code & op::X != 0
}

fn operation(insn: &Insn) -> u8 {
    insn.code & 0xf0
}

fn unsigned_type(insn: &Insn) -> &'static str {
    match size_bits(insn) {
        op::W => "u32",
        op::H => "u16",
        op::B => "u8",
        _ => "u64",
    }
}

fn alu_operator(alu: u8) -> Option<&'static str> {
    Some(match alu {
        op::ADD => "+=",
        op::SUB => "-=",
        op::MUL => "*=",
        op::DIV => "/=",
        op::OR => "|=",
        op::AND => "&=",
        op::LSH => "<<=",
        op::RSH => ">>=",
        op::MOD => "%=",
        op::XOR => "^=",
        op::MOV => "=",
        op::ARSH => "s>>=",
        _ => return None,
    })
}

fn alu(f: &mut Formatter<'_>, insn: &Insn) -> fmt::Result {
    let is64 = insn.class() == op::ALU64;
    let reg = if is64 { 'r' } else { 'w' };
    let dst = insn.dst;
    let alu = operation(insn);
    match alu {
        op::END if is64 => return write!(f, "r{dst} = bswap{} r{dst}", insn.imm),
        op::END => {
            let order = if source_is_reg(insn) { "be" } else { "le" };
            return write!(f, "r{dst} = {order}{} r{dst}", insn.imm);
        }
        op::NEG => return write!(f, "{reg}{dst} = -{reg}{dst}"),
        _ => {}
    }
    let reg_move = insn.code == op::ALU64 | op::MOV | op::X;
    if reg_move && insn.off == ADDR_SPACE_CAST {
        let (to, from) = ((insn.imm as u32) >> 16, insn.imm as u32 & 0xffff);
        return write!(f, "r{dst} = addr_space_cast(r{}, {to}, {from})", insn.src);
    }
    if reg_move && insn.off == -1 {
        return write!(f, "r{dst} = &(void __percpu *)(r{})", insn.src);
    }
    let operator = match (alu, insn.off) {
        (op::MUL, MUL_UNSIGNED_HIGH) if is64 => "uh*=",
        (op::MUL, MUL_SIGNED_HIGH) if is64 => "sh*=",
        (op::DIV, 1) => "s/=",
        (op::MOD, 1) => "s%=",
        _ => match alu_operator(alu) {
            Some(operator) => operator,
            None => return bad(f, insn),
        },
    };
    if !source_is_reg(insn) {
        return write!(f, "{reg}{dst} {operator} {}", insn.imm);
    }
    let sign_extension = match (alu, insn.off) {
        (op::MOV, 8) => "(s8)",
        (op::MOV, 16) => "(s16)",
        (op::MOV, 32) => "(s32)",
        _ => "",
    };
    write!(f, "{reg}{dst} {operator} {sign_extension}{reg}{}", insn.src)
}

fn stx(f: &mut Formatter<'_>, insn: &Insn) -> fmt::Result {
    let (ty, dst, src, off) = (unsigned_type(insn), insn.dst, insn.src, insn.off);
    match mode(insn) {
        op::MEM => write!(f, "*({ty} *)(r{dst} {off:+}) = r{src}"),
        op::ATOMIC => atomic(f, insn),
        _ => bad(f, insn),
    }
}

fn atomic(f: &mut Formatter<'_>, insn: &Insn) -> fmt::Result {
    let (ty, dst, src, off) = (unsigned_type(insn), insn.dst, insn.src, insn.off);
    let width = if size_bits(insn) == op::DW { "64" } else { "" };
    let alu = insn.imm & !op::FETCH;
    let named_alu = match u8::try_from(alu) {
        Ok(op::ADD) => Some(("+=", "add")),
        Ok(op::AND) => Some(("&=", "and")),
        Ok(op::OR) => Some(("|=", "or")),
        Ok(op::XOR) => Some(("^=", "xor")),
        _ => None,
    };
    match (named_alu, insn.imm) {
        (Some((operator, _)), imm) if imm & op::FETCH == 0 => {
            write!(f, "lock *({ty} *)(r{dst} {off:+}) {operator} r{src}")
        }
        (Some((_, name)), _) => write!(
            f,
            "r{src} = atomic{width}_fetch_{name}(({ty} *)(r{dst} {off:+}), r{src})"
        ),
        (None, op::XCHG) => write!(
            f,
            "r{src} = atomic{width}_xchg(({ty} *)(r{dst} {off:+}), r{src})"
        ),
        (None, op::CMPXCHG) => write!(
            f,
            "r0 = atomic{width}_cmpxchg(({ty} *)(r{dst} {off:+}), r0, r{src})"
        ),
        (None, LOAD_ACQUIRE) => write!(f, "r{dst} = load_acquire(({ty} *)(r{src} {off:+}))"),
        (None, STORE_RELEASE) => {
            write!(f, "store_release(({ty} *)(r{dst} {off:+}), r{src})")
        }
        _ => bad(f, insn),
    }
}

fn st(f: &mut Formatter<'_>, insn: &Insn) -> fmt::Result {
    match mode(insn) {
        op::MEM => write!(
            f,
            "*({} *)(r{} {:+}) = {}",
            unsigned_type(insn),
            insn.dst,
            insn.off,
            insn.imm
        ),
        NOSPEC => f.write_str("nospec"),
        _ => bad(f, insn),
    }
}

fn ldx(f: &mut Formatter<'_>, insn: &Insn) -> fmt::Result {
    let ty = match (mode(insn), size_bits(insn)) {
        (op::MEM, _) => unsigned_type(insn),
        (op::MEMSX, op::W) => "s32",
        (op::MEMSX, op::H) => "s16",
        (op::MEMSX, op::B) => "s8",
        _ => return bad(f, insn),
    };
    write!(f, "r{} = *({ty} *)(r{} {:+})", insn.dst, insn.src, insn.off)
}

fn ld(f: &mut Formatter<'_>, insn: &Insn, next: Option<&Insn>) -> fmt::Result {
    let ty = unsigned_type(insn);
    match mode(insn) {
        op::ABS => return write!(f, "r0 = *({ty} *)skb[{}]", insn.imm),
        op::IND => return write!(f, "r0 = *({ty} *)skb[r{} + {}]", insn.src, insn.imm),
        op::IMM if insn.is_ld_imm64() => {}
        _ => return bad(f, insn),
    }
    let dst = insn.dst;
    let Some(next) = next else {
        return write!(f, "r{dst} = (ld_imm64 missing its second slot)");
    };
    let (low, high) = (insn.imm, next.imm);
    match insn.src {
        0 => {
            let value = (u64::from(high as u32) << 32) | u64::from(low as u32);
            write!(f, "r{dst} = {value:#x} ll")
        }
        PSEUDO_MAP_FD => write!(f, "r{dst} = map[fd:{low}]"),
        PSEUDO_MAP_VALUE => write!(f, "r{dst} = map[fd:{low}][0]+{}", high as u32),
        PSEUDO_MAP_IDX => write!(f, "r{dst} = map[idx:{low}]"),
        PSEUDO_MAP_IDX_VALUE => write!(f, "r{dst} = map[idx:{low}][0]+{}", high as u32),
        PSEUDO_BTF_ID => write!(f, "r{dst} = btf_id[{low}]"),
        PSEUDO_FUNC => write!(f, "r{dst} = func pc{low:+}"),
        other => write!(f, "r{dst} = (ld_imm64 with unknown src {other})"),
    }
}

fn jmp_operator(jmp: u8) -> Option<&'static str> {
    Some(match jmp {
        op::JEQ => "==",
        op::JGT => ">",
        op::JLT => "<",
        op::JGE => ">=",
        op::JLE => "<=",
        op::JSET => "&",
        op::JNE => "!=",
        op::JSGT => "s>",
        op::JSLT => "s<",
        op::JSGE => "s>=",
        op::JSLE => "s<=",
        _ => return None,
    })
}

fn jmp(f: &mut Formatter<'_>, insn: &Insn) -> fmt::Result {
    let is64 = insn.class() == op::JMP;
    let jmp = operation(insn);
    if jmp == op::CALL {
        return call(f, insn);
    }
    match insn.code {
        c if c == op::JMP | op::JA => return write!(f, "goto pc{:+}", insn.off),
        c if c == op::JMP | op::JA | op::X => return write!(f, "gotox r{}", insn.dst),
        c if c == op::JMP | JCOND && insn.src == MAY_GOTO => {
            return write!(f, "may_goto pc{:+}", insn.off)
        }
        c if c == op::JMP32 | op::JA => return write!(f, "gotol pc{:+}", insn.imm),
        c if c == op::JMP | op::EXIT => return f.write_str("exit"),
        _ => {}
    }
    let Some(operator) = jmp_operator(jmp) else {
        return bad(f, insn);
    };
    let reg = if is64 { 'r' } else { 'w' };
    let (dst, off) = (insn.dst, insn.off);
    if source_is_reg(insn) {
        write!(
            f,
            "if {reg}{dst} {operator} {reg}{} goto pc{off:+}",
            insn.src
        )
    } else {
        let imm = insn.imm as u32;
        write!(f, "if {reg}{dst} {operator} {imm:#x} goto pc{off:+}")
    }
}

fn call(f: &mut Formatter<'_>, insn: &Insn) -> fmt::Result {
    match insn.src {
        PSEUDO_CALL => write!(f, "call pc{:+}", insn.imm),
        PSEUDO_KFUNC_CALL => write!(f, "call kernel-function#{}", insn.imm),
        0 => {
            let name = helper::name(insn.imm).unwrap_or("unknown");
            write!(f, "call {name}#{}", insn.imm)
        }
        _ => write!(f, "call unknown#{}", insn.imm),
    }
}
