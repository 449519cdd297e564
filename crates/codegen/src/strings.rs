//! String functions over buffers the program holds: `strncmp`, `strlen`,
//! `strcontains`/`strstr` and `memcmp`, as loops over bytes.
//!
//! The loops run with their index in a register and no helper call inside,
//! so the verifier follows each iteration with the exact index and every
//! byte access stays inside its buffer. Bytes past a string's buffer count
//! as NUL, which the zero padding after each string already guarantees
//! inside the buffer.

use sonde_isa::{helper, op, Insn, Size, R0, R1, R2, R3, R4, R5};
use sonde_lang::sema::typed::{StrFunc, TExpr};
use sonde_lang::Diagnostic;

use crate::emit::{Emitter, Function};
use crate::frame::Slot;
use crate::program::{ProgramCompiler, Result};

/// Searches with nested loops of more steps than this run the outer loop
/// with `bpf_loop`: the verifier then checks the inner loop once, instead of
/// following every step (and giving up after 8192 pending branches).
const INLINE_SEARCH_STEPS: u32 = 1024;

/// The longest needle the verifier follows through the callback's loop.
const MAX_NEEDLE: u32 = 1024;

impl ProgramCompiler<'_> {
    /// r0 = the value of string function `func` over `args`.
    pub fn str_func(&mut self, e: &TExpr, func: StrFunc, args: &[TExpr]) -> Result<()> {
        let mut slots = Vec::with_capacity(args.len());
        for arg in args {
            slots.push((self.aggregate(arg)?, arg.ty.size()));
        }
        match (func, slots.as_slice()) {
            (StrFunc::Len, &[(s, size)]) => self.strlen(s, size),
            (StrFunc::Ncmp(n), &[a, b]) => self.strncmp(a, b, n),
            (StrFunc::Memcmp(n), &[(a, _), (b, _)]) => self.memcmp(a, b, n),
            (StrFunc::Contains | StrFunc::Find, &[hay, needle]) => {
                if needle.1 > MAX_NEEDLE {
                    return Err(Diagnostic::error(
                        e.span,
                        format!(
                            "a string of {} bytes is too long to search for (at most {MAX_NEEDLE})",
                            needle.1
                        ),
                    )
                    .with_help("shorten it: str(x, N) reads at most N bytes"));
                }
                if hay.1.saturating_mul(needle.1) <= INLINE_SEARCH_STEPS {
                    self.strstr(hay, needle);
                } else {
                    self.strstr_loop(hay, needle);
                }
                if func == StrFunc::Contains {
                    // Found when the index is not negative.
                    self.e.emit(Insn::alu64_imm(op::RSH, R0, 63));
                    self.e.emit(Insn::alu64_imm(op::XOR, R0, 1));
                }
            }
            _ => {
                return Err(Diagnostic::error(
                    e.span,
                    "internal error: string function with the wrong arguments",
                ))
            }
        }
        Ok(())
    }

    /// `dst` = the byte at `slot + index` (index in a register), zero- or
    /// sign-extended.
    fn load_byte(&mut self, dst: u8, slot: Slot, index: u8, signed: bool) {
        self.e.emit(Insn::mov64_reg(dst, slot.reg));
        self.e.emit(Insn::alu64_reg(op::ADD, dst, index));
        self.e.emit(Insn::ldx(Size::B, dst, dst, slot.off));
        if signed {
            self.e.emit(Insn::alu64_imm(op::LSH, dst, 56));
            self.e.emit(Insn::alu64_imm(op::ARSH, dst, 56));
        }
    }

    /// r0 = the characters before the first NUL (at most `size`).
    fn strlen(&mut self, s: Slot, size: u32) {
        let top = self.e.new_label();
        let done = self.e.new_label();
        self.e.emit(Insn::mov64_imm(R0, 0));
        self.e.bind(top);
        self.e.jump_imm(op::JGE, R0, size as i32, done);
        self.load_byte(R1, s, R0, false);
        self.e.jump_imm(op::JEQ, R1, 0, done);
        self.e.emit(Insn::alu64_imm(op::ADD, R0, 1));
        self.e.jump(top);
        self.e.bind(done);
    }

    /// r0 = 0 when the first `n` characters of the strings agree (up to a
    /// NUL in both), else 1.
    fn strncmp(&mut self, (a, size_a): (Slot, u32), (b, size_b): (Slot, u32), n: u32) {
        let common = n.min(size_a).min(size_b);
        let top = self.e.new_label();
        let tail = self.e.new_label();
        let same = self.e.new_label();
        let differ = self.e.new_label();
        let done = self.e.new_label();
        self.e.emit(Insn::mov64_imm(R3, 0));
        self.e.bind(top);
        self.e.jump_imm(op::JGE, R3, common as i32, tail);
        self.load_byte(R1, a, R3, false);
        self.load_byte(R2, b, R3, false);
        self.e.jump_reg(op::JNE, R1, R2, differ);
        self.e.jump_imm(op::JEQ, R1, 0, same);
        self.e.emit(Insn::alu64_imm(op::ADD, R3, 1));
        self.e.jump(top);
        // One buffer ends before `n`: its next character is a NUL, so the
        // other must end there too.
        self.e.bind(tail);
        if common < n && size_a != size_b {
            let longer = if size_a > size_b { a } else { b };
            self.load_byte(R1, longer, R3, false);
            self.e.jump_imm(op::JNE, R1, 0, differ);
        }
        self.e.bind(same);
        self.e.emit(Insn::mov64_imm(R0, 0));
        self.e.jump(done);
        self.e.bind(differ);
        self.e.emit(Insn::mov64_imm(R0, 1));
        self.e.bind(done);
    }

    /// r0 = 0 when the first `n` bytes agree, else the difference of the
    /// first pair that does not, as signed bytes.
    fn memcmp(&mut self, a: Slot, b: Slot, n: u32) {
        let top = self.e.new_label();
        let done = self.e.new_label();
        self.e.emit(Insn::mov64_imm(R3, 0));
        self.e.emit(Insn::mov64_imm(R0, 0));
        self.e.bind(top);
        self.e.jump_imm(op::JGE, R3, n as i32, done);
        self.load_byte(R1, a, R3, true);
        self.load_byte(R2, b, R3, true);
        self.e.emit(Insn::alu64_imm(op::ADD, R3, 1));
        self.e.jump_reg(op::JEQ, R1, R2, top);
        self.e.emit(Insn::mov64_reg(R0, R1));
        self.e.emit(Insn::alu64_reg(op::SUB, R0, R2));
        self.e.bind(done);
    }

    /// [`strstr`](Self::strstr) with the haystack positions visited by
    /// `bpf_loop`, whose callback compares the needle at one position. The
    /// callback's context is a record on the stack: the two buffers'
    /// addresses and the result, -1 until a match is found.
    fn strstr_loop(&mut self, (hay, hay_size): (Slot, u32), (needle, needle_size): (Slot, u32)) {
        // bpf_loop passes a context on the stack only.
        let base = self.frame.alloc_stack(24);
        let (hay_off, needle_off, result_off) = (0, 8, 16);
        self.pointer_to_stack(R1, hay);
        self.store(Size::DW, base + hay_off, R1);
        self.pointer_to_stack(R1, needle);
        self.store(Size::DW, base + needle_off, R1);
        self.store_imm(Size::DW, base + result_off, -1);
        let callback = search_callback(hay_size, needle_size, hay_off, needle_off, result_off);
        self.subprogs.push(callback);
        let id = self.subprogs.len() - 1;
        self.e.emit(Insn::mov64_imm(R1, hay_size as i32));
        self.e.ld_func(R2, id);
        self.pointer_to_stack(R3, base);
        self.e.emit(Insn::mov64_imm(R4, 0));
        self.e.call(helper::LOOP);
        self.load(Size::DW, R0, base + result_off);
    }

    /// r0 = the index of the first place the needle's characters (up to
    /// its NUL) appear in the haystack (before its NUL), or -1.
    fn strstr(&mut self, (hay, hay_size): (Slot, u32), (needle, needle_size): (Slot, u32)) {
        // r4: position in the haystack, r3: position in the needle,
        // r5: r4 + r3.
        let outer = self.e.new_label();
        let inner = self.e.new_label();
        let next = self.e.new_label();
        let found = self.e.new_label();
        let missing = self.e.new_label();
        let done = self.e.new_label();
        self.e.emit(Insn::mov64_imm(R4, 0));
        self.e.bind(outer);
        self.e.emit(Insn::mov64_imm(R3, 0));
        self.e.bind(inner);
        // The whole needle matched.
        self.e.jump_imm(op::JGE, R3, needle_size as i32, found);
        self.load_byte(R2, needle, R3, false);
        self.e.jump_imm(op::JEQ, R2, 0, found);
        self.e.emit(Insn::mov64_reg(R5, R4));
        self.e.emit(Insn::alu64_reg(op::ADD, R5, R3));
        // The haystack ends before the needle does.
        self.e.jump_imm(op::JGE, R5, hay_size as i32, missing);
        self.load_byte(R1, hay, R5, false);
        self.e.jump_imm(op::JEQ, R1, 0, missing);
        self.e.jump_reg(op::JNE, R1, R2, next);
        self.e.emit(Insn::alu64_imm(op::ADD, R3, 1));
        self.e.jump(inner);
        self.e.bind(next);
        self.e.emit(Insn::alu64_imm(op::ADD, R4, 1));
        self.e.jump_imm(op::JLT, R4, hay_size as i32, outer);
        self.e.bind(missing);
        self.e.emit(Insn::mov64_imm(R0, -1));
        self.e.jump(done);
        self.e.bind(found);
        self.e.emit(Insn::mov64_reg(R0, R4));
        self.e.bind(done);
    }
}

/// The `bpf_loop` callback of [`ProgramCompiler::strstr_loop`]:
/// `(u64 position, void *record)`; returns 1 to stop (a match, or the end
/// of the haystack), 0 to go on with the next position.
fn search_callback(
    hay_size: u32,
    needle_size: u32,
    hay_off: i16,
    needle_off: i16,
    result_off: i16,
) -> Function {
    let mut e = Emitter::default();
    let stop = e.new_label();
    let next = e.new_label();
    let inner = e.new_label();
    let found = e.new_label();
    // r4: position, r0: the record, r3: position in the needle. Few
    // branches per step: the verifier keeps each untaken one pending, and
    // gives up past 8192 of them.
    e.emit(Insn::mov64_reg(R4, R1));
    e.emit(Insn::mov64_reg(R0, R2));
    e.jump_imm(op::JGE, R4, hay_size as i32, stop);
    // The haystack ended before this position: no match here or after.
    e.emit(Insn::ldx(Size::DW, R1, R0, hay_off));
    e.emit(Insn::alu64_reg(op::ADD, R1, R4));
    e.emit(Insn::ldx(Size::B, R1, R1, 0));
    e.emit(Insn::mov64_imm(R3, 0));
    e.jump_imm(op::JNE, R1, 0, inner);
    e.jump_imm(op::JNE, R4, 0, stop);
    e.bind(inner);
    e.jump_imm(op::JGE, R3, needle_size as i32, found);
    // r2 = needle[r3]
    e.emit(Insn::ldx(Size::DW, R2, R0, needle_off));
    e.emit(Insn::alu64_reg(op::ADD, R2, R3));
    e.emit(Insn::ldx(Size::B, R2, R2, 0));
    e.jump_imm(op::JEQ, R2, 0, found);
    // r1 = hay[r4 + r3]: past its end, or its NUL, is a mismatch.
    e.emit(Insn::mov64_reg(R5, R4));
    e.emit(Insn::alu64_reg(op::ADD, R5, R3));
    e.jump_imm(op::JGE, R5, hay_size as i32, stop);
    e.emit(Insn::ldx(Size::DW, R1, R0, hay_off));
    e.emit(Insn::alu64_reg(op::ADD, R1, R5));
    e.emit(Insn::ldx(Size::B, R1, R1, 0));
    e.jump_reg(op::JNE, R1, R2, next);
    e.emit(Insn::alu64_imm(op::ADD, R3, 1));
    e.jump(inner);
    e.bind(found);
    e.emit(Insn::stx(Size::DW, R0, result_off, R4));
    e.bind(stop);
    e.emit(Insn::mov64_imm(R0, 1));
    e.emit(Insn::exit());
    e.bind(next);
    e.emit(Insn::mov64_imm(R0, 0));
    e.emit(Insn::exit());
    e.finish()
        .expect("the search callback is small enough to jump within")
}
