//! String functions over buffers the program holds: `strncmp`, `strlen`,
//! `strcontains`/`strstr` and `memcmp`, as loops over bytes.
//!
//! The loops run with their index in a register and no helper call inside,
//! so the verifier follows each iteration with the exact index and every
//! byte access stays inside its buffer. Bytes past a string's buffer count
//! as NUL, which the zero padding after each string already guarantees
//! inside the buffer.

use sonde_isa::{helper, op, Insn, Size, R0, R1, R2, R3, R4, R5, R6, R7};
use sonde_lang::sema::typed::{StrFunc, TExpr};
use sonde_lang::Diagnostic;

use crate::emit::{Emitter, Function};
use crate::frame::Slot;
use crate::program::{ProgramCompiler, Result};

/// Searches with nested loops of more steps than this run both loops with
/// `bpf_loop`: the verifier then checks each loop body once, instead of
/// following every step (and giving up after 8192 pending branches).
const INLINE_SEARCH_STEPS: u32 = 1024;

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

    /// [`strstr`](Self::strstr) with `bpf_loop` visiting the haystack
    /// positions and, at each, a nested `bpf_loop` comparing the needle:
    /// the verifier checks each callback once, with an unknown index, where
    /// a loop of its own would be followed step by step, every untaken
    /// branch kept pending (it gives up past 8192 of them). Both callbacks
    /// share a record on the stack: the two buffers' addresses, the result
    /// (-1 until a match is found), the position being compared and
    /// whether the needle still matches there.
    fn strstr_loop(&mut self, (hay, hay_size): (Slot, u32), (needle, needle_size): (Slot, u32)) {
        // bpf_loop passes a context on the stack only.
        let base = self.frame.alloc_stack(RECORD_SIZE);
        self.pointer_to_stack(R1, hay);
        self.store(Size::DW, base + HAY, R1);
        self.pointer_to_stack(R1, needle);
        self.store(Size::DW, base + NEEDLE, R1);
        self.store_imm(Size::DW, base + RESULT, -1);
        self.subprogs.push(compare_callback(hay_size, needle_size));
        let compare = self.subprogs.len() - 1;
        self.subprogs
            .push(position_callback(hay_size, needle_size, compare));
        let id = self.subprogs.len() - 1;
        self.e.emit(Insn::mov64_imm(R1, hay_size as i32));
        self.e.ld_func(R2, id);
        self.pointer_to_stack(R3, base);
        self.e.emit(Insn::mov64_imm(R4, 0));
        self.e.call(helper::LOOP);
        self.load(Size::DW, R0, base + RESULT);
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

/// The record the search callbacks share (see
/// [`ProgramCompiler::strstr_loop`]): field offsets and size.
const HAY: i16 = 0;
const NEEDLE: i16 = 8;
const RESULT: i16 = 16;
const POSITION: i16 = 24;
const MATCHING: i16 = 32;
const RECORD_SIZE: u32 = 40;

/// The outer callback, `(u64 position, void *record)`: compares the needle
/// at `position` with the callback `compare`; returns 1 to stop (a match,
/// or the end of the haystack), 0 to go on with the next position.
fn position_callback(hay_size: u32, needle_size: u32, compare: usize) -> Function {
    let mut e = Emitter::default();
    let stop = e.new_label();
    let compare_here = e.new_label();
    let next = e.new_label();
    // r6: the record, r7: the position (kept across the helper call).
    e.emit(Insn::mov64_reg(R6, R2));
    e.emit(Insn::mov64_reg(R7, R1));
    e.jump_imm(op::JGE, R7, hay_size as i32, stop);
    // The haystack ended before this position: no match here or after
    // (but an empty needle matches an empty haystack at 0).
    e.emit(Insn::ldx(Size::DW, R1, R6, HAY));
    e.emit(Insn::alu64_reg(op::ADD, R1, R7));
    e.emit(Insn::ldx(Size::B, R1, R1, 0));
    e.jump_imm(op::JNE, R1, 0, compare_here);
    e.jump_imm(op::JNE, R7, 0, stop);
    e.bind(compare_here);
    e.emit(Insn::stx(Size::DW, R6, POSITION, R7));
    e.emit(Insn::st_imm(Size::DW, R6, MATCHING, 1));
    e.emit(Insn::mov64_imm(R1, needle_size as i32));
    e.ld_func(R2, compare);
    e.emit(Insn::mov64_reg(R3, R6));
    e.emit(Insn::mov64_imm(R4, 0));
    e.call(helper::LOOP);
    e.emit(Insn::ldx(Size::DW, R1, R6, MATCHING));
    e.jump_imm(op::JEQ, R1, 0, next);
    e.emit(Insn::stx(Size::DW, R6, RESULT, R7));
    e.bind(stop);
    e.emit(Insn::mov64_imm(R0, 1));
    e.emit(Insn::exit());
    e.bind(next);
    e.emit(Insn::mov64_imm(R0, 0));
    e.emit(Insn::exit());
    e.finish()
        .expect("the search callback is small enough to jump within")
}

/// The inner callback, `(u64 index, void *record)`: compares needle byte
/// `index` with the haystack byte at the record's position plus `index`.
/// The needle's NUL (or its end) stops it with the record still matching;
/// a different byte, or the haystack's end, stops it after clearing
/// `MATCHING`.
fn compare_callback(hay_size: u32, needle_size: u32) -> Function {
    let mut e = Emitter::default();
    let stop = e.new_label();
    let mismatch = e.new_label();
    e.emit(Insn::mov64_reg(R6, R2));
    e.jump_imm(op::JGE, R1, needle_size as i32, stop);
    // r2 = needle[index]
    e.emit(Insn::ldx(Size::DW, R2, R6, NEEDLE));
    e.emit(Insn::alu64_reg(op::ADD, R2, R1));
    e.emit(Insn::ldx(Size::B, R2, R2, 0));
    e.jump_imm(op::JEQ, R2, 0, stop);
    // r3 = hay[position + index]: past its end, or its NUL, is a mismatch.
    e.emit(Insn::ldx(Size::DW, R5, R6, POSITION));
    e.emit(Insn::alu64_reg(op::ADD, R5, R1));
    e.jump_imm(op::JGE, R5, hay_size as i32, mismatch);
    e.emit(Insn::ldx(Size::DW, R3, R6, HAY));
    e.emit(Insn::alu64_reg(op::ADD, R3, R5));
    e.emit(Insn::ldx(Size::B, R3, R3, 0));
    e.jump_reg(op::JNE, R3, R2, mismatch);
    e.emit(Insn::mov64_imm(R0, 0));
    e.emit(Insn::exit());
    e.bind(mismatch);
    e.emit(Insn::st_imm(Size::DW, R6, MATCHING, 0));
    e.bind(stop);
    e.emit(Insn::mov64_imm(R0, 1));
    e.emit(Insn::exit());
    e.finish()
        .expect("the compare callback is small enough to jump within")
}
