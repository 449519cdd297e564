//! `@m[k] = tseries(n, interval, count[, agg])`: the update of one
//! interval's slot of a time series (layout in
//! `object::MapValueKind::TSeries`).
//!
//! The slot of an interval is `epoch % count`, where `epoch` is the time
//! divided by the interval, so a slot is reused `count` intervals later: a
//! slot whose stored epoch differs from the current one starts over. Slots
//! are per-CPU; the runtime combines the CPUs' slots of the latest epoch.

use sonde_isa::{op, Insn, Size, R0, R1, R2, R3};
use sonde_lang::sema::typed::{TExpr, TSeriesAgg, TSeriesSpec};

use crate::emit::Label;
use crate::frame::Slot;
use crate::layout::user_key_size;
use crate::program::{ProgramCompiler, Result};

/// Offsets in a slot's value.
const VALUE: i16 = 0;
const META: i16 = 8;
const EPOCH: i16 = 16;

impl ProgramCompiler<'_> {
    pub fn tseries_update(
        &mut self,
        map: usize,
        key: Option<&TExpr>,
        spec: TSeriesSpec,
        value: &TExpr,
        clock: &TExpr,
    ) -> Result<()> {
        // now, epoch and the value, kept on the stack across the helpers.
        let now = self.frame.alloc(8);
        let epoch = self.frame.alloc(8);
        let arg = self.frame.alloc(8);
        self.scalar(clock)?;
        self.store(Size::DW, now, R0);
        self.e.mov_imm(R1, spec.interval_ns);
        self.e.emit(Insn::alu64_reg(op::DIV, R0, R1));
        self.store(Size::DW, epoch, R0);
        self.scalar(value)?;
        self.store(Size::DW, arg, R0);

        let key_off = self.map_key(map, key)?;
        let user_size = user_key_size(&self.program.maps[map]) as i16;
        self.load(Size::DW, R0, epoch);
        self.e.mov_imm(R1, spec.intervals);
        self.e.emit(Insn::alu64_reg(op::MOD, R0, R1));
        self.store(Size::DW, key_off + user_size, R0);

        self.lookup(map, key_off);
        let missing = self.e.new_label();
        let done = self.e.new_label();
        self.e.jump_imm(op::JEQ, R0, 0, missing);
        self.tseries_merge(spec, now, epoch, arg, done);
        self.e.jump(done);

        // A slot seen for the first time on this CPU: its first value.
        self.e.bind(missing);
        let init = self.frame.alloc(24);
        self.load(Size::DW, R1, arg);
        self.store(Size::DW, init, R1);
        match spec.agg {
            TSeriesAgg::Last => {
                self.load(Size::DW, R1, now);
                self.store(Size::DW, init + META, R1);
            }
            TSeriesAgg::Sum => self.store_imm(Size::DW, init + META, 0),
            TSeriesAgg::Min | TSeriesAgg::Max | TSeriesAgg::Avg => {
                self.store_imm(Size::DW, init + META, 1)
            }
        }
        self.load(Size::DW, R1, epoch);
        self.store(Size::DW, init + EPOCH, R1);
        self.update(map, key_off, init);
        self.e.bind(done);
        Ok(())
    }

    /// Fold the value into the slot r0 points at. Per-CPU, so plain
    /// read-modify-write needs no atomics.
    fn tseries_merge(&mut self, spec: TSeriesSpec, now: Slot, epoch: Slot, arg: Slot, done: Label) {
        self.load(Size::DW, R2, arg);
        self.load(Size::DW, R3, epoch);
        if spec.agg == TSeriesAgg::Last {
            // The latest write wins whatever epoch the slot had.
            self.e.emit(Insn::stx(Size::DW, R0, VALUE, R2));
            self.load(Size::DW, R1, now);
            self.e.emit(Insn::stx(Size::DW, R0, META, R1));
            self.e.emit(Insn::stx(Size::DW, R0, EPOCH, R3));
            return;
        }
        // A slot last written in an older epoch starts over.
        self.e.emit(Insn::ldx(Size::DW, R1, R0, EPOCH));
        self.e.emit(Insn::jmp_reg(op::JEQ, R1, R3, 3));
        self.e.emit(Insn::st_imm(Size::DW, R0, VALUE, 0));
        self.e.emit(Insn::st_imm(Size::DW, R0, META, 0));
        self.e.emit(Insn::stx(Size::DW, R0, EPOCH, R3));
        match spec.agg {
            TSeriesAgg::Sum | TSeriesAgg::Avg => {
                self.e.emit(Insn::ldx(Size::DW, R1, R0, VALUE));
                self.e.emit(Insn::alu64_reg(op::ADD, R1, R2));
                self.e.emit(Insn::stx(Size::DW, R0, VALUE, R1));
                if spec.agg == TSeriesAgg::Avg {
                    self.e.emit(Insn::ldx(Size::DW, R1, R0, META));
                    self.e.emit(Insn::alu64_imm(op::ADD, R1, 1));
                    self.e.emit(Insn::stx(Size::DW, R0, META, R1));
                }
            }
            TSeriesAgg::Min | TSeriesAgg::Max => {
                let store = self.e.new_label();
                self.e.emit(Insn::ldx(Size::DW, R1, R0, META));
                self.e.jump_imm(op::JEQ, R1, 0, store);
                self.e.emit(Insn::ldx(Size::DW, R1, R0, VALUE));
                // Keep the stored value when the new one does not beat it.
                let keep = match (spec.agg == TSeriesAgg::Min, spec.signed) {
                    (true, true) => op::JSGE,
                    (true, false) => op::JGE,
                    (false, true) => op::JSLE,
                    (false, false) => op::JLE,
                };
                self.e.jump_reg(keep, R2, R1, done);
                self.e.bind(store);
                self.e.emit(Insn::stx(Size::DW, R0, VALUE, R2));
                self.e.emit(Insn::st_imm(Size::DW, R0, META, 1));
            }
            TSeriesAgg::Last => unreachable!("handled above"),
        }
    }
}
