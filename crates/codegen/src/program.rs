//! Compiling one probe into one BPF program: prologue, statements, epilogue.

use sonde_isa::{helper, op, Insn, Size, R0, R1, R2, R3, R6, R7, R8, R9};
use sonde_lang::sema::probes::Attach;
use sonde_lang::sema::typed::{
    AggFunc, ProbeKind, TExpr, TExprKind, TStmt, TStmtKind, TypedProbe, TypedProgram,
};
use sonde_lang::sema::types::Type;
use sonde_lang::Diagnostic;

use crate::emit::{link, Emitter, Function, Label};
use crate::frame::{Base, Frame, Slot};
use crate::object::{EventDef, ProgKind, Reloc, RelocKind};
use crate::Options;

pub type Result<T> = std::result::Result<T, Diagnostic>;

/// What all programs of one script share while they are compiled.
pub struct Shared {
    pub events: Vec<EventDef>,
    /// Index of the ring buffer in `Object::maps`.
    pub ringbuf: usize,
    /// Index of the lost-record counter in `Object::maps`.
    pub lost: usize,
    /// `Object::probe_funcs`: by probe index, the index of its function's name.
    pub probe_funcs: Vec<Option<u32>>,
    /// Stack-trace maps the programs use, `(user, frames)`, in the order
    /// they are added to `Object::maps` from index `stack_base`.
    pub stack_maps: Vec<(bool, u32, bool)>,
    pub stack_base: usize,
    /// The scratch memory size of each program that needs it; program `i`
    /// names its scratch map `MapFd(SCRATCH_MAP - i)` until it gets one.
    pub scratch_sizes: Vec<u32>,
}

/// Lays out the variables of `scope` from `start` bytes on, then its child
/// scopes each from where its own variables end; returns the bytes the
/// subtree needs. `ends` gets each variable's end offset.
fn layout_scope(
    scope: usize,
    start: u32,
    children: &[Vec<usize>],
    members: &[Vec<usize>],
    sizes: &[u32],
    ends: &mut [u32],
) -> u32 {
    let mut end = start;
    for &v in &members[scope] {
        end += sizes[v];
        ends[v] = end;
    }
    let mut peak = end;
    for &child in &children[scope] {
        // Scope ids grow inwards: a child always comes after its parent.
        if child > scope {
            peak = peak.max(layout_scope(child, end, children, members, sizes, ends));
        }
    }
    peak
}

/// The stack a function's frame takes as the verifier counts it: rounded
/// up to 32 bytes.
pub fn frame_depth(peak: u32) -> u32 {
    peak.max(1).next_multiple_of(32)
}

/// Where an intermediate scalar waits while another is computed.
#[derive(Clone, Copy)]
pub enum Temp {
    Reg(u8),
    Stack(Slot),
}

pub struct ProgramCompiler<'a> {
    pub e: Emitter,
    pub frame: Frame,
    pub program: &'a TypedProgram,
    pub probe: &'a TypedProbe,
    pub shared: &'a mut Shared,
    pub opts: &'a Options,
    pub var_slots: Vec<Slot>,
    /// (continue target, break target) of the enclosing `while` loops.
    pub loops: Vec<(Label, Label)>,
    pub exit_label: Label,
    pub free_regs: Vec<u8>,
    /// Set when this syscall tracepoint is served through the raw
    /// syscall dispatcher (see `syscalls`): `Some(true)` on the exit side.
    pub syscall_exit: Option<bool>,
    /// The value of `probe` when this program serves one attach point of
    /// several that would otherwise share it.
    pub probe_const: Option<u32>,
    /// Finished callback subprograms (`for` loop bodies), by id.
    pub subprogs: Vec<Function>,
    /// The deepest stack the callbacks this function calls need, each
    /// frame rounded as the verifier rounds it.
    pub callee_depth: u32,
    /// The statement being compiled, where run-time failures point.
    pub stmt_span: sonde_lang::Span,
}

/// One probe's program, and how much memory it needs.
pub struct Compiled {
    pub insns: Vec<Insn>,
    pub relocs: Vec<Reloc>,
    /// Bytes of stack in use at the peak, callback frames included.
    pub stack_peak: u32,
    /// Bytes of scratch memory in use at the peak.
    pub scratch_peak: u32,
}

/// Stands for the program's own scratch map in `RelocKind::MapFd` until
/// the program is placed in the object.
pub const SCRATCH_MAP: usize = usize::MAX;

impl<'a> ProgramCompiler<'a> {
    pub fn new(
        program: &'a TypedProgram,
        probe: &'a TypedProbe,
        shared: &'a mut Shared,
        opts: &'a Options,
        base: Base,
    ) -> Self {
        let mut e = Emitter::default();
        let exit_label = e.new_label();
        // r9 holds the scratch memory's address when there is one.
        let free_regs = match base {
            Base::Stack => vec![R9, R8, R7],
            Base::Scratch { .. } => vec![R8, R7],
        };
        ProgramCompiler {
            e,
            frame: Frame::new(base),
            program,
            probe,
            shared,
            opts,
            var_slots: Vec::new(),
            loops: Vec::new(),
            exit_label,
            free_regs,
            syscall_exit: None,
            probe_const: None,
            subprogs: Vec::new(),
            callee_depth: 0,
            stmt_span: probe.span,
        }
    }

    pub fn compile(mut self) -> Result<Compiled> {
        // The context pointer is needed after helper calls clobber r1.
        self.e.emit(Insn::mov64_reg(R6, R1));
        if self.probe.kind == ProbeKind::Iter {
            // After the last object the kernel runs the program once more
            // with no object (the task pointer, second in every
            // bpf_iter__task* context, is NULL): that is not an element.
            self.e.emit(Insn::ldx(Size::DW, R0, R6, 8));
            let exit = self.exit_label;
            self.e.jump_imm(op::JEQ, R0, 0, exit);
        }
        if let Some(pid) = self.opts.pid_filter {
            // Timers and iterators run in whatever task is current (or
            // none): a pid says nothing about them, as in bpftrace.
            let unscoped = matches!(
                self.probe.kind,
                ProbeKind::Begin | ProbeKind::End | ProbeKind::Bench | ProbeKind::Iter
            ) || self
                .probe
                .attach
                .iter()
                .all(|(a, _)| matches!(a, Attach::Interval { .. }));
            if !unscoped {
                self.e.call(helper::GET_CURRENT_PID_TGID);
                self.e.emit(Insn::alu64_imm(op::RSH, R0, 32));
                let exit = self.exit_label;
                self.e.jump_imm(op::JNE, R0, pid as i32, exit);
            }
        }
        if let Base::Scratch { reg, .. } = self.frame.base() {
            self.load_scratch(reg, 0);
        }
        self.allocate_variables();
        if let Some(pred) = &self.probe.predicate {
            let exit = self.exit_label;
            let mark = self.frame.mark();
            self.branch(pred, false, exit)?;
            self.frame.release(mark);
        }
        for stmt in &self.probe.body {
            self.stmt(stmt)?;
        }
        let exit = self.exit_label;
        self.e.bind(exit);
        self.e.emit(Insn::mov64_imm(R0, 0));
        self.e.emit(Insn::exit());
        // The stack as the verifier counts it: this frame, rounded, and
        // the deepest callback frame below it.
        let stack_peak = frame_depth(self.frame.stack_peak()) + self.callee_depth;
        let scratch_peak = self.frame.scratch_peak();
        let too_large = self.too_large();
        let main = self.e.finish().map_err(|_| too_large)?;
        let (insns, relocs) = link(main, self.subprogs);
        Ok(Compiled {
            insns,
            relocs,
            stack_peak,
            scratch_peak,
        })
    }

    pub fn too_large(&self) -> Diagnostic {
        Diagnostic::error(
            self.probe.span,
            "this probe's program is too large to jump within",
        )
    }

    /// `reg` = this CPU's scratch memory (the only value of the program's
    /// per-CPU scratch map). If the lookup could fail, the function would
    /// return `on_null` at once.
    pub fn load_scratch(&mut self, reg: u8, on_null: i32) {
        let key = self.frame.alloc_temp();
        self.store_imm(Size::DW, key, 0);
        self.e.ld_reloc(R1, RelocKind::MapFd(SCRATCH_MAP));
        self.pointer_to_stack(R2, key);
        self.e.call(helper::MAP_LOOKUP_ELEM);
        let found = self.e.new_label();
        self.e.jump_imm(op::JNE, R0, 0, found);
        self.e.emit(Insn::mov64_imm(R0, on_null));
        self.e.emit(Insn::exit());
        self.e.bind(found);
        self.e.emit(Insn::mov64_reg(reg, R0));
    }

    /// Variables get their slots once, at the start; they start zeroed so
    /// that every path the verifier explores reads initialised stack.
    /// On the stack, variables of scopes on separate branches of the scope
    /// tree never live at the same time, so they share bytes: each scope's variables
    /// follow its enclosing scope's, and sibling scopes start at the same
    /// place. (A variable is always written before it is read, so what a
    /// sibling left there does not matter.)
    fn allocate_variables(&mut self) {
        let probe = self.probe;
        if self.frame.base() != crate::frame::Base::Stack {
            // With scratch memory, large variables live apart from small
            // ones, and the stack is not what runs short: one slot each.
            for ty in &probe.vars {
                let size = ty.storage_size().max(8);
                let slot = self.frame.alloc(size);
                self.zero(slot, size);
                self.var_slots.push(slot);
            }
            return;
        }
        let scopes = probe.scope_parents.len().max(1);
        let scope_of = |v: usize| {
            probe
                .var_scopes
                .get(v)
                .copied()
                .filter(|&s| s < scopes)
                .unwrap_or(0)
        };
        let mut children = vec![Vec::new(); scopes];
        for (scope, parent) in probe.scope_parents.iter().enumerate() {
            if let Some(p) = parent.filter(|&p| p < scopes && p != scope) {
                children[p].push(scope);
            }
        }
        let mut members = vec![Vec::new(); scopes];
        for v in 0..probe.vars.len() {
            // A pointer may point into the stack, and the verifier follows
            // what such bytes hold: a variable sharing them could carry the
            // pointer somewhere it refuses. Pointers get bytes of their own.
            let scope = if matches!(probe.vars[v], Type::Ptr { .. }) {
                0
            } else {
                scope_of(v)
            };
            members[scope].push(v);
        }
        let sizes: Vec<u32> = probe.vars.iter().map(|t| t.storage_size().max(8)).collect();
        let mut ends = vec![0u32; probe.vars.len()];
        let total = layout_scope(0, 0, &children, &members, &sizes, &mut ends);
        if total == 0 {
            return;
        }
        let base = self.frame.alloc(total);
        self.zero(base, total);
        self.var_slots = ends
            .iter()
            .map(|&end| base + (total - end) as i16)
            .collect();
    }

    /// `size` bytes of `slot` become zero. Clobbers r0-r5 for
    /// large slots.
    pub fn zero(&mut self, off: Slot, size: u32) {
        if size > crate::memory::BULK_BYTES {
            // A read from address 0 fails, and a failed read clears its
            // destination: one helper call instead of a store per word.
            self.pointer_to_stack(R1, off);
            self.e.emit(Insn::mov64_imm(R2, size as i32));
            self.e.emit(Insn::mov64_imm(R3, 0));
            self.e.call(helper::PROBE_READ_KERNEL);
            return;
        }
        for word in 0..size.div_ceil(8) {
            self.store_imm(Size::DW, off + (word * 8) as i16, 0);
        }
    }

    pub fn block(&mut self, stmts: &[TStmt]) -> Result<()> {
        for stmt in stmts {
            self.stmt(stmt)?;
        }
        Ok(())
    }

    fn stmt(&mut self, stmt: &TStmt) -> Result<()> {
        self.stmt_span = stmt.span;
        let mark = self.frame.mark();
        let result = self.stmt_inner(stmt);
        self.frame.release(mark);
        result
    }

    fn stmt_inner(&mut self, stmt: &TStmt) -> Result<()> {
        match &stmt.kind {
            TStmtKind::Expr(e) => {
                if e.ty.is_scalar() {
                    self.scalar(e)
                } else if matches!(
                    e.ty,
                    Type::Str { .. }
                        | Type::Tuple(_)
                        | Type::NamedTuple { .. }
                        | Type::Stack(_)
                        | Type::Sym { .. }
                ) {
                    self.aggregate(e).map(|_| ())
                } else {
                    Ok(())
                }
            }
            TStmtKind::AssignVar { var, value } => {
                let slot = self.var_slots[*var];
                let ty = self.probe.vars[*var].clone();
                self.place(value, slot, &ty)
            }
            TStmtKind::ClearVar(var) => {
                let slot = self.var_slots[*var];
                let size = self.probe.vars[*var].storage_size().max(8);
                self.zero(slot, size);
                Ok(())
            }
            TStmtKind::Block(stmts) => self.block(stmts),
            TStmtKind::Async {
                action,
                format,
                args,
            } => self.async_action(*action, format, args, stmt.span),
            TStmtKind::Time(format) => self.notify(EventDef::Time {
                format: format.clone(),
            }),
            TStmtKind::Join { array, sep, size } => self.join(array, sep, *size),
            TStmtKind::Debugf { format, args } => self.debugf(format, args),
            TStmtKind::Signal { sig, thread } => self.signal(sig, *thread),
            TStmtKind::Override(rc) => self.override_return(rc),
            TStmtKind::AssignMap { map, key, value } => self.assign_map(*map, key.as_ref(), value),
            TStmtKind::Aggregate {
                map,
                key,
                func: AggFunc::TSeries(spec),
                arg: Some(arg),
                clock: Some(clock),
            } => self.tseries_update(*map, key.as_ref(), *spec, arg, clock),
            TStmtKind::Aggregate {
                map,
                key,
                func,
                arg,
                ..
            } => self.aggregate_update(*map, key.as_ref(), *func, arg.as_ref()),
            TStmtKind::Delete { map, key } => {
                self.delete(*map, key.as_ref())?;
                // Its value unused, a delete that found nothing is said.
                self.check_helper(helper::MAP_DELETE_ELEM, 1, stmt.span);
                Ok(())
            }
            TStmtKind::Printf { format, args } => self.printf(format, args),
            TStmtKind::Print(value) => self.print_value(value),
            TStmtKind::PrintMap { map, top, div } => self.notify(EventDef::PrintMap {
                map: *map,
                top: *top,
                div: *div,
            }),
            TStmtKind::Clear(map) => self.notify(EventDef::ClearMap { map: *map }),
            TStmtKind::Zero(map) => self.notify(EventDef::ZeroMap { map: *map }),
            TStmtKind::Exit(code) => {
                self.exit(code.as_ref())?;
                let exit = self.exit_label;
                self.e.jump(exit);
                Ok(())
            }
            TStmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                let else_label = self.e.new_label();
                let end = self.e.new_label();
                self.branch(cond, false, else_label)?;
                self.block(then)?;
                if !otherwise.is_empty() {
                    self.e.jump(end);
                }
                self.e.bind(else_label);
                self.block(otherwise)?;
                self.e.bind(end);
                Ok(())
            }
            TStmtKind::While { cond, body } => {
                let top = self.e.new_label();
                let end = self.e.new_label();
                self.e.bind(top);
                self.branch(cond, false, end)?;
                self.loops.push((top, end));
                let result = self.block(body);
                self.loops.pop();
                result?;
                self.e.jump(top);
                self.e.bind(end);
                Ok(())
            }
            TStmtKind::ForRange {
                var,
                start,
                end,
                body,
            } => self.for_range(*var, start, end, body),
            TStmtKind::ForMap { var, map, body } => self.for_map(*var, *map, body),
            TStmtKind::Unroll { count, body } => {
                for _ in 0..*count {
                    self.block(body)?;
                }
                Ok(())
            }
            TStmtKind::Break | TStmtKind::Continue => {
                let Some(&(top, end)) = self.loops.last() else {
                    return Err(Diagnostic::error(
                        stmt.span,
                        "break and continue are only allowed inside loops",
                    ));
                };
                let target = if matches!(stmt.kind, TStmtKind::Break) {
                    end
                } else {
                    top
                };
                self.e.jump(target);
                Ok(())
            }
            TStmtKind::Return => {
                let exit = self.exit_label;
                self.e.jump(exit);
                Ok(())
            }
        }
    }

    /// Runs the statements of a block expression (and of blocks that are
    /// its value) and returns the expression that gives its value.
    pub fn block_value<'e>(&mut self, mut e: &'e TExpr) -> Result<&'e TExpr> {
        while let TExprKind::Block { stmts, value } = &e.kind {
            self.block(stmts)?;
            e = value;
        }
        Ok(e)
    }

    /// Keep r0 while something else is computed.
    pub fn push_r0(&mut self) -> Temp {
        match self.free_regs.pop() {
            Some(reg) => {
                self.e.emit(Insn::mov64_reg(reg, R0));
                Temp::Reg(reg)
            }
            None => {
                let slot = self.frame.alloc_temp();
                self.store(Size::DW, slot, R0);
                Temp::Stack(slot)
            }
        }
    }

    /// Bring a kept value back into `dst`, freeing its place.
    pub fn pop(&mut self, temp: Temp, dst: u8) {
        match temp {
            Temp::Reg(reg) => {
                if reg != dst {
                    self.e.emit(Insn::mov64_reg(dst, reg));
                }
                self.free_regs.push(reg);
            }
            Temp::Stack(slot) => self.load(Size::DW, dst, slot),
        }
    }

    /// The kind of BPF program this probe becomes.
    pub fn prog_kind(&self) -> ProgKind {
        match self.probe.kind {
            ProbeKind::Begin | ProbeKind::End | ProbeKind::Signal => ProgKind::RunOnce,
            ProbeKind::Tracepoint if self.syscall_exit.is_some() => ProgKind::RawTracepoint,
            ProbeKind::Tracepoint => ProgKind::Tracepoint,
            ProbeKind::RawTracepoint => ProgKind::TpBtf,
            ProbeKind::PerfEvent => ProgKind::PerfEvent,
            ProbeKind::Kprobe { .. } | ProbeKind::Uprobe { .. } | ProbeKind::Usdt => {
                ProgKind::Kprobe
            }
            ProbeKind::Fentry => ProgKind::Fentry,
            ProbeKind::Fexit => ProgKind::Fexit,
            ProbeKind::Iter => ProgKind::Iter,
            ProbeKind::Bench => ProgKind::Bench,
        }
    }
}
