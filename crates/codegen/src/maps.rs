//! Map access: keys, lookups, assignments, deletes and the per-CPU
//! aggregation updates (`count`, `sum`, `hist`, ...).

use sonde_isa::{helper, op, Insn, Size, R0, R1, R2, R3, R4};
use sonde_lang::sema::typed::{AggFunc, TExpr};

use crate::frame::Slot;
use crate::layout::{is_histogram, user_key_size};
use crate::object::RelocKind;
use crate::program::{ProgramCompiler, Result};

/// `BPF_ANY` for map updates.
const ANY: i32 = 0;

impl ProgramCompiler<'_> {
    /// Build the kernel key of `map` for `key` on the stack. Histogram keys
    /// get room for the bucket index after the user's key.
    pub fn map_key(&mut self, map: usize, key: Option<&TExpr>) -> Result<Slot> {
        let info = &self.program.maps[map];
        let user_size = user_key_size(info);
        let total = user_size + if is_histogram(&info.value) { 8 } else { 0 };
        let key_ty = info.key.clone();
        let slot = self.frame.alloc(total);
        match (key, key_ty) {
            (Some(k), Some(ty)) => {
                if ty.storage_size() < user_size {
                    self.zero(slot, user_size);
                }
                self.place(k, slot, &ty)?;
            }
            _ => self.store_imm(Size::DW, slot, 0),
        }
        Ok(slot)
    }

    /// r0 = pointer to the value under the key at `r10 + key`, or null.
    pub fn lookup(&mut self, map: usize, key: Slot) {
        self.e.ld_reloc(R1, RelocKind::MapFd(map));
        self.pointer_to_stack(R2, key);
        self.e.call(helper::MAP_LOOKUP_ELEM);
    }

    pub(crate) fn update(&mut self, map: usize, key: Slot, value: Slot) {
        self.e.ld_reloc(R1, RelocKind::MapFd(map));
        self.pointer_to_stack(R2, key);
        self.pointer_to_stack(R3, value);
        self.e.emit(Insn::mov64_imm(R4, ANY));
        self.e.call(helper::MAP_UPDATE_ELEM);
        let span = self.stmt_span;
        self.check_helper(helper::MAP_UPDATE_ELEM, 1, span);
    }

    pub fn assign_map(&mut self, map: usize, key: Option<&TExpr>, value: &TExpr) -> Result<()> {
        let sonde_lang::sema::types::MapValue::Plain(ty) = self.program.maps[map].value.clone()
        else {
            unreachable!("assignment to an aggregation map is rejected by the checker")
        };
        let size = ty.storage_size().max(8);
        let slot = self.frame.alloc(size);
        if ty.storage_size() < 8 {
            self.zero(slot, 8);
        }
        self.place(value, slot, &ty)?;
        let key_off = self.map_key(map, key)?;
        self.update(map, key_off, slot);
        Ok(())
    }

    pub fn delete(&mut self, map: usize, key: Option<&TExpr>) -> Result<()> {
        let key_off = self.map_key(map, key)?;
        self.e.ld_reloc(R1, RelocKind::MapFd(map));
        self.pointer_to_stack(R2, key_off);
        self.e.call(helper::MAP_DELETE_ELEM);
        Ok(())
    }

    /// One aggregation step. Values are per-CPU, so plain read-modify-write
    /// needs no atomics.
    pub fn aggregate_update(
        &mut self,
        map: usize,
        key: Option<&TExpr>,
        func: AggFunc,
        arg: Option<&TExpr>,
    ) -> Result<()> {
        // The initial value: {v} for sum, {v, 1} for min/max/avg/stats, {1}
        // for counts and histogram buckets.
        let init = self.frame.alloc(16);
        match (func, arg) {
            (AggFunc::Count | AggFunc::Hist { .. } | AggFunc::LHist { .. }, _) | (_, None) => {
                self.store_imm(Size::DW, init, 1);
            }
            (_, Some(arg)) => {
                self.scalar(arg)?;
                self.store(Size::DW, init, R0);
                self.store_imm(Size::DW, init + 8, 1);
            }
        }
        let bucket = match (func, arg) {
            (AggFunc::Hist { .. } | AggFunc::LHist { .. }, Some(arg)) => {
                self.scalar(arg)?;
                match func {
                    AggFunc::Hist { bits } => self.log2_bucket(bits),
                    AggFunc::LHist { min, max, step } => self.linear_bucket(min, max, step),
                    _ => unreachable!(),
                }
                Some(self.push_r0())
            }
            _ => None,
        };
        let key_off = self.map_key(map, key)?;
        if let Some(bucket) = bucket {
            let user_size = user_key_size(&self.program.maps[map]);
            self.pop(bucket, R0);
            self.store(Size::DW, key_off + user_size as i16, R0);
        }
        self.lookup(map, key_off);
        let missing = self.e.new_label();
        let done = self.e.new_label();
        self.e.jump_imm(op::JEQ, R0, 0, missing);
        match func {
            AggFunc::Count | AggFunc::Hist { .. } | AggFunc::LHist { .. } => {
                self.e.emit(Insn::ldx(Size::DW, R1, R0, 0));
                self.e.emit(Insn::alu64_imm(op::ADD, R1, 1));
                self.e.emit(Insn::stx(Size::DW, R0, 0, R1));
            }
            AggFunc::Sum => {
                self.e.emit(Insn::ldx(Size::DW, R1, R0, 0));
                self.load(Size::DW, R2, init);
                self.e.emit(Insn::alu64_reg(op::ADD, R1, R2));
                self.e.emit(Insn::stx(Size::DW, R0, 0, R1));
            }
            AggFunc::Avg | AggFunc::Stats => {
                self.e.emit(Insn::ldx(Size::DW, R1, R0, 0));
                self.load(Size::DW, R2, init);
                self.e.emit(Insn::alu64_reg(op::ADD, R1, R2));
                self.e.emit(Insn::stx(Size::DW, R0, 0, R1));
                self.e.emit(Insn::ldx(Size::DW, R1, R0, 8));
                self.e.emit(Insn::alu64_imm(op::ADD, R1, 1));
                self.e.emit(Insn::stx(Size::DW, R0, 8, R1));
            }
            AggFunc::Min | AggFunc::Max => {
                let store = self.e.new_label();
                self.load(Size::DW, R2, init);
                self.e.emit(Insn::ldx(Size::DW, R3, R0, 8));
                // A CPU whose slot was never set takes the value as is.
                self.e.jump_imm(op::JEQ, R3, 0, store);
                self.e.emit(Insn::ldx(Size::DW, R1, R0, 0));
                let keep = if func == AggFunc::Min {
                    op::JSGE
                } else {
                    op::JSLE
                };
                self.e.jump_reg(keep, R2, R1, done);
                self.e.bind(store);
                self.e.emit(Insn::stx(Size::DW, R0, 0, R2));
                self.e.emit(Insn::st_imm(Size::DW, R0, 8, 1));
            }
            AggFunc::TSeries(_) => {
                return Err(sonde_lang::Diagnostic::error(
                    self.stmt_span,
                    "internal error: a tseries update without its clock",
                ))
            }
        }
        self.e.jump(done);
        self.e.bind(missing);
        self.update(map, key_off, init);
        self.e.bind(done);
        Ok(())
    }

    /// r0 = the histogram bucket of r0 with `2^bits` buckets per power of
    /// two: 0 for negatives, `1 + v` for the `2^(bits+1)` smallest values,
    /// then `bits` bits of precision under the top one (see
    /// `sonde_output::AggValue::Hist`).
    fn log2_bucket(&mut self, bits: u8) {
        let done = self.e.new_label();
        let n = 1i32 << bits;
        self.e.emit(Insn::mov64_reg(R1, R0));
        self.e.emit(Insn::mov64_imm(R0, 0));
        self.e.jump_imm(op::JSLT, R1, 0, done);
        // Small values have a bucket each.
        let large = self.e.new_label();
        self.e.jump_imm(op::JGE, R1, 2 * n, large);
        self.e.emit(Insn::mov64_reg(R0, R1));
        self.e.emit(Insn::alu64_imm(op::ADD, R0, 1));
        self.e.jump(done);
        self.e.bind(large);
        // r0 = floor(log2(v)), by halving the range each step; r3 keeps v.
        self.e.emit(Insn::mov64_reg(R3, R1));
        self.e.emit(Insn::mov64_imm(R0, 0));
        for shift in [32, 16, 8, 4, 2, 1] {
            // If v >> shift is non-zero, the top bit is at least `shift` higher.
            self.e.emit(Insn::mov64_reg(R2, R1));
            self.e.emit(Insn::alu64_imm(op::RSH, R2, shift));
            self.e.emit(Insn::jmp_imm(op::JEQ, R2, 0, 2));
            self.e.emit(Insn::alu64_imm(op::ADD, R0, shift));
            self.e.emit(Insn::mov64_reg(R1, R2));
        }
        // The sub-bucket: the `bits` bits under the top one.
        self.e.emit(Insn::mov64_reg(R2, R0));
        self.e.emit(Insn::alu64_imm(op::SUB, R2, i32::from(bits)));
        self.e.emit(Insn::alu64_reg(op::RSH, R3, R2));
        self.e.emit(Insn::alu64_imm(op::AND, R3, n - 1));
        // 1 + 2n + (log2 - bits - 1) * n + sub
        self.e
            .emit(Insn::alu64_imm(op::SUB, R0, i32::from(bits) + 1));
        self.e.emit(Insn::alu64_imm(op::MUL, R0, n));
        self.e.emit(Insn::alu64_reg(op::ADD, R0, R3));
        self.e.emit(Insn::alu64_imm(op::ADD, R0, 1 + 2 * n));
        self.e.bind(done);
    }

    /// r0 = the linear histogram bucket of r0: 0 below `min`, the last
    /// bucket at or above `max`, `1 + (v - min) / step` between.
    fn linear_bucket(&mut self, min: i64, max: i64, step: i64) {
        let done = self.e.new_label();
        let last = 1 + (max - min) / step;
        self.e.emit(Insn::mov64_reg(R1, R0));
        self.e.mov_imm(R2, min as u64);
        self.e.emit(Insn::mov64_imm(R0, 0));
        self.e.jump_reg(op::JSLT, R1, R2, done);
        self.e.mov_imm(R2, max as u64);
        self.e.mov_imm(R0, last as u64);
        self.e.jump_reg(op::JSGE, R1, R2, done);
        self.e.mov_imm(R2, min as u64);
        self.e.emit(Insn::alu64_reg(op::SUB, R1, R2));
        self.e.mov_imm(R2, step as u64);
        self.e.emit(Insn::alu64_reg(op::DIV, R1, R2));
        self.e.emit(Insn::mov64_reg(R0, R1));
        self.e.emit(Insn::alu64_imm(op::ADD, R0, 1));
        self.e.bind(done);
    }
}
