//! `for` loops. Each body becomes a callback subprogram the kernel calls
//! once per iteration: `bpf_loop` for a range, `bpf_for_each_map_elem` for
//! a map. The verifier checks the callback once, so a loop's trip count
//! need not be known, unlike a `while` loop's.
//!
//! A callback has its own stack frame and cannot name the caller's, so the
//! caller passes its frame pointer as the callback's context. The callback
//! copies the variables its body uses into its own frame on entry and back
//! on every way out; the program's context pointer travels the same way,
//! so builtins and `args` work inside loops. A `return` (or `exit()`) in the
//! body sets a flag in the caller's frame and stops the loop; the caller
//! then leaves too.
//!
//! The layout the callback relies on, all offsets from the caller's frame
//! pointer: the caller's variable slots on the stack, and a [`LoopSlots`]
//! record. Variables in scratch memory the callback reaches directly: it
//! loads the scratch pointer for itself, and its own scratch slots come
//! after the caller's.

use sonde_isa::{helper, op, Insn, Size, R0, R1, R10, R2, R3, R4, R6, R7, R8, R9};
use sonde_lang::sema::typed::{TExpr, TStmt, VarUses};
use sonde_lang::sema::types::Type;

use crate::emit::Emitter;
use crate::frame::{Base, Frame, Slot};
use crate::object::RelocKind;
use crate::program::{frame_depth, ProgramCompiler, Result};

/// More iterations than `bpf_loop` accepts make it fail without running
/// any; a range that long runs this many instead.
const MAX_LOOPS: i32 = 1 << 23;

/// Slots in the caller's frame that a callback reads or writes.
#[derive(Clone, Copy)]
struct LoopSlots {
    /// The program's context pointer (r6).
    prog_ctx: i16,
    /// Set to 1 by the callback when the body returned from the probe.
    returned: i16,
    /// The first value of a range.
    start: i16,
}

/// What a callback receives in its registers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Callback {
    /// `(u64 index, void *ctx)`
    Range,
    /// `(struct bpf_map *map, void *key, void *value, void *ctx)`; a
    /// per-CPU map's value is summed over the CPUs.
    Map {
        map: usize,
        key_size: u32,
        value_size: u32,
        percpu: bool,
    },
}

impl Callback {
    fn ctx_reg(self) -> u8 {
        match self {
            Callback::Range => R2,
            Callback::Map { .. } => R4,
        }
    }
}

/// The per-function state a callback replaces while it is compiled.
struct Saved {
    e: Emitter,
    frame: Frame,
    var_slots: Vec<Slot>,
    loops: Vec<(crate::emit::Label, crate::emit::Label)>,
    exit_label: crate::emit::Label,
    free_regs: Vec<u8>,
    callee_depth: u32,
}

impl ProgramCompiler<'_> {
    pub fn for_range(
        &mut self,
        var: usize,
        start: &TExpr,
        end: &TExpr,
        body: &[TStmt],
    ) -> Result<()> {
        let slots = self.loop_slots();
        let callback = self.callback(Callback::Range, var, body, slots)?;
        self.scalar(start)?;
        self.e.emit(Insn::stx(Size::DW, R10, slots.start, R0));
        self.scalar(end)?;
        // Iterations: end - start, none when that is not positive; plus
        // one that does nothing (see `callback`).
        self.e.emit(Insn::ldx(Size::DW, R1, R10, slots.start));
        self.e.emit(Insn::alu64_reg(op::SUB, R0, R1));
        self.e.emit(Insn::jmp_imm(op::JSGT, R0, 0, 1));
        self.e.emit(Insn::mov64_imm(R0, 0));
        self.e.emit(Insn::jmp_imm(op::JSLT, R0, MAX_LOOPS, 1));
        self.e.emit(Insn::mov64_imm(R0, MAX_LOOPS - 1));
        self.e.emit(Insn::mov64_reg(R1, R0));
        self.e.emit(Insn::alu64_imm(op::ADD, R1, 1));
        self.call_loop(helper::LOOP, callback, slots);
        Ok(())
    }

    pub fn for_map(&mut self, var: usize, map: usize, body: &[TStmt]) -> Result<()> {
        let slots = self.loop_slots();
        let def = crate::layout::map_def(&self.program.maps[map]);
        let kind = Callback::Map {
            map,
            key_size: def.key_size,
            value_size: def.value_size,
            percpu: matches!(
                def.kind,
                crate::object::MapKind::PercpuHash | crate::object::MapKind::LruPercpuHash
            ),
        };
        let callback = self.callback(kind, var, body, slots)?;
        self.e.ld_reloc(R1, RelocKind::MapFd(map));
        self.call_loop(helper::FOR_EACH_MAP_ELEM, callback, slots);
        Ok(())
    }

    /// The caller's slots for one loop; the flag starts clear and the
    /// context pointer is stored, both before the callback can read them.
    fn loop_slots(&mut self) -> LoopSlots {
        // On the stack, where the callback finds them through the
        // caller's frame pointer.
        let mut stack_slot = || self.frame.alloc_stack(8).off;
        let slots = LoopSlots {
            prog_ctx: stack_slot(),
            returned: stack_slot(),
            start: stack_slot(),
        };
        self.e.emit(Insn::stx(Size::DW, R10, slots.prog_ctx, R6));
        self.e.emit(Insn::st_imm(Size::DW, R10, slots.returned, 0));
        self.e.emit(Insn::st_imm(Size::DW, R10, slots.start, 0));
        slots
    }

    /// `helper(r1, callback, frame pointer, 0)`, then leave as the body did
    /// if it returned. r1 is already set.
    fn call_loop(&mut self, helper: i32, callback: usize, slots: LoopSlots) {
        self.e.ld_func(R2, callback);
        self.e.emit(Insn::mov64_reg(R3, R10));
        self.e.emit(Insn::mov64_imm(R4, 0));
        self.e.call(helper);
        self.e.emit(Insn::ldx(Size::DW, R1, R10, slots.returned));
        let exit = self.exit_label;
        self.e.jump_imm(op::JNE, R1, 0, exit);
    }

    /// Compiles `body` as a callback of kind `kind` and returns its id.
    fn callback(
        &mut self,
        kind: Callback,
        var: usize,
        body: &[TStmt],
        slots: LoopSlots,
    ) -> Result<usize> {
        let mut uses = VarUses::of(body);
        if let Some(&at) = uses.addressed.first() {
            // The callback works on copies of the variables, and a pointer
            // to one would not outlive the iteration.
            return Err(sonde_lang::Diagnostic::error(
                at,
                "the address of a variable cannot be taken inside a for loop",
            )
            .with_help("take it before the loop: $p = &$x; for (...) { ... *$p ... }"));
        }
        uses.used.remove(&var);
        uses.written.remove(&var);
        let caller_slots = self.var_slots.clone();
        let saved = self.enter_function();

        let ctx = kind.ctx_reg();
        let ctx_spill = self.frame.alloc_temp();
        self.store(Size::DW, ctx_spill, ctx);
        if let Base::Scratch { reg, .. } = self.frame.base() {
            // The lookup clobbers the argument registers: keep them.
            let received: &[u8] = match kind {
                Callback::Range => &[R1, R2],
                Callback::Map { .. } => &[R1, R2, R3, R4],
            };
            let args: Vec<(u8, Slot)> = received
                .iter()
                .copied()
                .map(|r| {
                    let slot = self.frame.alloc_temp();
                    self.store(Size::DW, slot, r);
                    (r, slot)
                })
                .collect();
            // Never null; stop the loop if it were.
            self.load_scratch(reg, 1);
            for (r, slot) in args {
                self.load(Size::DW, r, slot);
            }
            self.load(Size::DW, ctx, ctx_spill);
        }
        let var_slot = self.alloc_var(var);
        // The loop variable first: the key and value pointers are only
        // good until the first helper call.
        match kind {
            Callback::Range => {
                // Iteration 0 does nothing. A range the verifier can tell
                // is empty would otherwise leave this callback unvisited,
                // and the kernel (6.18) then fails to find it when it
                // compiles the program ("No program to jit").
                let work = self.e.new_label();
                self.e.jump_imm(op::JNE, R1, 0, work);
                self.e.emit(Insn::mov64_imm(R0, 0));
                self.e.emit(Insn::exit());
                self.e.bind(work);
                self.e.emit(Insn::ldx(Size::DW, R3, ctx, slots.start));
                self.e.emit(Insn::alu64_reg(op::ADD, R3, R1));
                self.e.emit(Insn::alu64_imm(op::SUB, R3, 1));
                self.store(Size::DW, var_slot, R3);
            }
            Callback::Map {
                map,
                key_size,
                value_size,
                percpu,
            } => {
                let Type::Tuple(fields) = self.probe.vars[var].clone() else {
                    return Err(sonde_lang::Diagnostic::error(
                        self.probe.span,
                        "internal error: a map loop variable that is not a tuple",
                    ));
                };
                let offsets = Type::tuple_offsets(&fields);
                let key_bytes = fields[0].storage_size().min(key_size);
                let value_bytes = fields[1].storage_size().min(value_size);
                // A large copy is a helper call: keep the value pointer.
                let value_ptr = self.frame.alloc_temp();
                self.store(Size::DW, value_ptr, R3);
                self.copy_from_pointer(R2, 0, var_slot, key_bytes);
                let value_slot = var_slot + offsets[1] as i16;
                if percpu {
                    // The value as user space prints it: summed, least,
                    // greatest or averaged over the CPUs.
                    self.read_aggregation_at(map, var_slot);
                    self.store(Size::DW, value_slot, R0);
                } else {
                    self.load(Size::DW, R3, value_ptr);
                    self.copy_from_pointer(R3, 0, value_slot, value_bytes);
                }
                self.load(Size::DW, ctx, ctx_spill);
            }
        }
        self.e.emit(Insn::ldx(Size::DW, R6, ctx, slots.prog_ctx));
        // Only what the body changes is copied back: that also keeps a
        // pointer to the caller's stack from being stored into it, which
        // the verifier refuses.
        let mut copies = Vec::new();
        for &v in &uses.used {
            let size = self.probe.vars[v].storage_size().max(8);
            let mine = self.alloc_var(v);
            if self.belongs_to_loop(v, var) {
                // Declared in the body: it starts over every iteration and
                // is written before it is read.
                continue;
            }
            let theirs = caller_slots[v];
            // A stack slot of the caller is reached through its frame
            // pointer; scratch memory is the same for both.
            let ptr = if theirs.reg == R10 {
                self.load(Size::DW, ctx, ctx_spill);
                ctx
            } else {
                theirs.reg
            };
            self.copy_from_pointer(ptr, theirs.off, mine, size);
            if uses.written.contains(&v) {
                copies.push((theirs, mine, size));
            }
        }

        let next = self.e.new_label();
        let stop = self.e.new_label();
        self.loops.push((next, stop));
        let result = self.block(body);
        self.loops.pop();
        if result.is_ok() {
            // Falling off the end and `continue`: on to the next iteration.
            self.e.bind(next);
            self.leave(ctx_spill, &copies, None, 0);
            self.e.bind(stop);
            self.leave(ctx_spill, &copies, None, 1);
            let returned = self.exit_label;
            self.e.bind(returned);
            self.leave(ctx_spill, &copies, Some(slots.returned), 1);
        }
        let finished = self.leave_function(saved);
        result?;
        finished
    }

    /// Copies the variables back, sets the caller's `returned` flag if
    /// given, and returns `code` to the helper.
    fn leave(
        &mut self,
        ctx_spill: Slot,
        copies: &[(Slot, Slot, u32)],
        flag: Option<i16>,
        code: i32,
    ) {
        self.load(Size::DW, R2, ctx_spill);
        for &(theirs, mine, size) in copies {
            let base = if theirs.reg == R10 { R2 } else { theirs.reg };
            for word in 0..size.div_ceil(8) {
                let at = crate::memory::word_offset(word);
                self.load(Size::DW, R1, mine + at);
                self.e
                    .emit(Insn::stx(Size::DW, base, theirs.off.saturating_add(at), R1));
            }
        }
        if let Some(flag) = flag {
            self.e.emit(Insn::st_imm(Size::DW, R2, flag, 1));
        }
        self.e.emit(Insn::mov64_imm(R0, code));
        self.e.emit(Insn::exit());
    }

    /// A slot in the current frame for variable `v`.
    /// Whether variable `v` is declared inside the loop whose variable is
    /// `loop_var` (in its scope or a scope within it).
    fn belongs_to_loop(&self, v: usize, loop_var: usize) -> bool {
        let scopes = &self.probe.var_scopes;
        let (Some(&home), Some(&loop_scope)) = (scopes.get(v), scopes.get(loop_var)) else {
            return false;
        };
        let mut scope = Some(home);
        // Scopes nest no deeper than the parser allows; the bound only
        // guards against a malformed tree.
        for _ in 0..=self.probe.scope_parents.len() {
            match scope {
                Some(s) if s == loop_scope => return true,
                Some(s) => scope = self.probe.scope_parents.get(s).copied().flatten(),
                None => return false,
            }
        }
        false
    }

    fn alloc_var(&mut self, v: usize) -> Slot {
        let size = self.probe.vars[v].storage_size().max(8);
        let slot = self.frame.alloc(size);
        self.var_slots[v] = slot;
        slot
    }

    /// Starts compiling a new function; returns what to restore after.
    fn enter_function(&mut self) -> Saved {
        let mut e = Emitter::default();
        let exit_label = e.new_label();
        let vars = self.probe.vars.len();
        let frame = self.frame.nested();
        let free_regs = match frame.base() {
            Base::Stack => vec![R9, R8, R7],
            Base::Scratch { .. } => vec![R8, R7],
        };
        let unset = Slot { reg: R10, off: 0 };
        Saved {
            e: std::mem::replace(&mut self.e, e),
            frame: std::mem::replace(&mut self.frame, frame),
            var_slots: std::mem::replace(&mut self.var_slots, vec![unset; vars]),
            loops: std::mem::take(&mut self.loops),
            exit_label: std::mem::replace(&mut self.exit_label, exit_label),
            free_regs: std::mem::replace(&mut self.free_regs, free_regs),
            callee_depth: std::mem::take(&mut self.callee_depth),
        }
    }

    /// Finishes the function being compiled as a new subprogram and
    /// returns to the one that was being compiled before.
    fn leave_function(&mut self, saved: Saved) -> Result<usize> {
        let depth = frame_depth(self.frame.stack_peak()) + self.callee_depth;
        let code = std::mem::replace(&mut self.e, saved.e);
        let callee = std::mem::replace(&mut self.frame, saved.frame);
        self.frame.absorb(&callee);
        self.var_slots = saved.var_slots;
        self.loops = saved.loops;
        self.exit_label = saved.exit_label;
        self.free_regs = saved.free_regs;
        self.callee_depth = saved.callee_depth.max(depth);
        let function = code.finish().map_err(|_| self.too_large())?;
        self.subprogs.push(function);
        Ok(self.subprogs.len() - 1)
    }
}
