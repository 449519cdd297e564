//! Map functions with a value: reading an aggregation's value inside a
//! probe (summed over the CPUs as user space would print it), `delete` and
//! `has_key` as booleans, and `len`.

use sonde_isa::{helper, op, Insn, Size, R0, R1, R2, R3, R4};
use sonde_lang::sema::typed::TExpr;
use sonde_lang::sema::types::MapValue;

use crate::emit::Emitter;
use crate::frame::Slot;
use crate::object::RelocKind;
use crate::program::{ProgramCompiler, Result};

impl ProgramCompiler<'_> {
    /// Whether `map` holds per-CPU aggregation values (`count()`, ...).
    pub fn is_aggregation(&self, map: usize) -> bool {
        !matches!(self.program.maps[map].value, MapValue::Plain(_))
    }

    /// r0 = the value of an aggregation map under `key`: counts and sums
    /// added over the CPUs, the least or greatest of the CPUs that saw a
    /// value for min/max, and total / count for avg (0 without entries).
    pub fn read_aggregation(&mut self, map: usize, key: Option<&TExpr>) -> Result<()> {
        let key = self.map_key(map, key)?;
        self.read_aggregation_at(map, key);
        Ok(())
    }

    /// [`Self::read_aggregation`] with the key already built at `key`.
    pub fn read_aggregation_at(&mut self, map: usize, key: Slot) {
        let value = self.program.maps[map].value.clone();
        let cpu = self.frame.alloc_temp();
        let acc = self.frame.alloc_temp();
        let count = self.frame.alloc_temp();
        let seen = self.frame.alloc_temp();
        for slot in [cpu, acc, count, seen] {
            self.store_imm(Size::DW, slot, 0);
        }
        let top = self.e.new_label();
        let next = self.e.new_label();
        let done = self.e.new_label();
        self.e.bind(top);
        self.load(Size::DW, R3, cpu);
        // The number of CPUs is patched in before loading, so the verifier
        // sees a loop of known length.
        self.e.ld_reloc(R1, RelocKind::NumCpus);
        self.e.jump_reg(op::JGE, R3, R1, done);
        self.e.ld_reloc(R1, RelocKind::MapFd(map));
        self.pointer_to_stack(R2, key);
        self.e.call(helper::MAP_LOOKUP_PERCPU_ELEM);
        self.e.jump_imm(op::JEQ, R0, 0, next);
        self.e.emit(Insn::ldx(Size::DW, R1, R0, 0));
        self.load(Size::DW, R2, acc);
        match value {
            MapValue::Min | MapValue::Max => {
                // A CPU that never saw a value has its flag clear.
                self.e.emit(Insn::ldx(Size::DW, R3, R0, 8));
                self.e.jump_imm(op::JEQ, R3, 0, next);
                let take = self.e.new_label();
                self.load(Size::DW, R3, seen);
                self.e.jump_imm(op::JEQ, R3, 0, take);
                let keep = if value == MapValue::Min {
                    op::JSGE
                } else {
                    op::JSLE
                };
                self.e.jump_reg(keep, R1, R2, next);
                self.e.bind(take);
                self.store(Size::DW, acc, R1);
                self.store_imm(Size::DW, seen, 1);
            }
            _ => {
                self.e.emit(Insn::alu64_reg(op::ADD, R2, R1));
                self.store(Size::DW, acc, R2);
                if value == MapValue::Avg {
                    self.e.emit(Insn::ldx(Size::DW, R1, R0, 8));
                    self.load(Size::DW, R2, count);
                    self.e.emit(Insn::alu64_reg(op::ADD, R2, R1));
                    self.store(Size::DW, count, R2);
                }
            }
        }
        self.e.bind(next);
        self.load(Size::DW, R3, cpu);
        self.e.emit(Insn::alu64_imm(op::ADD, R3, 1));
        self.store(Size::DW, cpu, R3);
        self.e.jump(top);
        self.e.bind(done);
        self.load(Size::DW, R0, acc);
        if value == MapValue::Avg {
            let empty = self.e.new_label();
            self.load(Size::DW, R1, count);
            self.e.jump_imm(op::JEQ, R1, 0, empty);
            self.e.emit(Insn::alu64_reg_signed(op::DIV, R0, R1));
            self.e.bind(empty);
        }
    }

    /// r0 = 1 when `key` was in `map` and is now deleted, else 0.
    pub fn delete_value(&mut self, map: usize, key: Option<&TExpr>) -> Result<()> {
        self.delete(map, key)?;
        self.zero_to_true();
        Ok(())
    }

    /// r0 = 1 when `map` has an entry for `key`, else 0.
    pub fn has_key(&mut self, map: usize, key: &TExpr) -> Result<()> {
        let key = self.map_key(map, Some(key))?;
        self.lookup(map, key);
        self.e.emit(Insn::jmp_imm(op::JEQ, R0, 0, 1));
        self.e.emit(Insn::mov64_imm(R0, 1));
        Ok(())
    }

    /// r0 = the number of entries of `map`: what `bpf_for_each_map_elem`
    /// counts with a callback that visits every one.
    pub fn map_len(&mut self, map: usize) {
        let mut callback = Emitter::default();
        callback.emit(Insn::mov64_imm(R0, 0));
        callback.emit(Insn::exit());
        let callback = callback
            .finish()
            .expect("a two-instruction function has no jumps");
        self.subprogs.push(callback);
        let id = self.subprogs.len() - 1;
        self.e.ld_reloc(R1, RelocKind::MapFd(map));
        self.e.ld_func(R2, id);
        self.e.emit(Insn::mov64_imm(R3, 0));
        self.e.emit(Insn::mov64_imm(R4, 0));
        self.e.call(helper::FOR_EACH_MAP_ELEM);
    }

    /// r0 = (r0 == 0)
    fn zero_to_true(&mut self) {
        let zero = self.e.new_label();
        let done = self.e.new_label();
        self.e.jump_imm(op::JEQ, R0, 0, zero);
        self.e.emit(Insn::mov64_imm(R0, 0));
        self.e.jump(done);
        self.e.bind(zero);
        self.e.emit(Insn::mov64_imm(R0, 1));
        self.e.bind(done);
    }
}
