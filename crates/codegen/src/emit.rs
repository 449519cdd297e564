//! An instruction buffer with forward labels, so the code generator can jump
//! to places it has not emitted yet.
//!
//! The kernel's verifier rejects a program with unreachable instructions,
//! and statements after `return`, `exit()`, `break` or `continue` would be
//! just that. So after an unconditional jump or `exit` the buffer drops
//! what is emitted until a label that some jump targets is bound.

use sonde_isa::{Insn, Reg};

use crate::object::{Reloc, RelocKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(usize);

#[derive(Default)]
pub struct Emitter {
    pub insns: Vec<Insn>,
    pub relocs: Vec<Reloc>,
    labels: Vec<Option<usize>>,
    /// Jumps whose offset is filled in by `finish`: (instruction, target).
    fixups: Vec<(usize, Label)>,
    /// No jump reaches the current position: emitted code is dropped.
    dead: bool,
    /// `ld_imm64` of subprogram addresses: (instruction, subprogram id),
    /// patched when the program's functions are laid out.
    func_refs: Vec<(usize, usize)>,
}

/// A program whose jumps no longer fit the 16-bit offset field.
#[derive(Debug)]
pub struct TooLarge;

impl Emitter {
    pub fn emit(&mut self, insn: Insn) {
        if self.dead {
            return;
        }
        let ends_flow = insn.code == Insn::exit().code || insn.code == Insn::ja(0).code;
        self.insns.push(insn);
        self.dead = ends_flow;
    }

    pub fn emit_all(&mut self, insns: impl IntoIterator<Item = Insn>) {
        for insn in insns {
            self.emit(insn);
        }
    }

    pub fn new_label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    /// The next instruction emitted is where `label` points.
    pub fn bind(&mut self, label: Label) {
        self.labels[label.0] = Some(self.insns.len());
        if self.fixups.iter().any(|&(_, l)| l == label) {
            self.dead = false;
        }
    }

    /// Records a jump at the next instruction, if it is reachable.
    fn fixup(&mut self, label: Label) {
        if !self.dead {
            self.fixups.push((self.insns.len(), label));
        }
    }

    pub fn jump(&mut self, label: Label) {
        self.fixup(label);
        self.emit(Insn::ja(0));
    }

    /// `if dst <jmp> imm goto label`
    pub fn jump_imm(&mut self, jmp: u8, dst: Reg, imm: i32, label: Label) {
        self.fixup(label);
        self.emit(Insn::jmp_imm(jmp, dst, imm, 0));
    }

    /// `if dst <jmp> src goto label`
    pub fn jump_reg(&mut self, jmp: u8, dst: Reg, src: Reg, label: Label) {
        self.fixup(label);
        self.emit(Insn::jmp_reg(jmp, dst, src, 0));
    }

    pub fn ld_imm64(&mut self, dst: Reg, value: u64) {
        self.emit_all(Insn::ld_imm64(dst, value));
    }

    /// A 64-bit immediate the runtime patches before loading.
    pub fn ld_reloc(&mut self, dst: Reg, kind: RelocKind) {
        if self.dead {
            return;
        }
        self.relocs.push(Reloc {
            insn: self.insns.len(),
            kind,
        });
        match kind {
            // The map index stands in for the fd until the runtime patches it,
            // so disassembly before loading still says which map is meant.
            RelocKind::MapFd(map) => self.emit_all(Insn::ld_map_fd(dst, map as i32)),
            RelocKind::StartTimeNs
            | RelocKind::ChildPid
            | RelocKind::TaiOffsetNs
            | RelocKind::NumCpus => self.ld_imm64(dst, 0),
        }
    }

    /// `dst = address of subprogram `id``, resolved by [`link`].
    pub fn ld_func(&mut self, dst: Reg, id: usize) {
        if self.dead {
            return;
        }
        self.func_refs.push((self.insns.len(), id));
        self.emit_all(Insn::ld_func(dst, 0));
    }

    /// `dst = value` choosing the short form when it fits.
    pub fn mov_imm(&mut self, dst: Reg, value: u64) {
        if let Ok(small) = i32::try_from(value as i64) {
            self.emit(Insn::mov64_imm(dst, small));
        } else {
            self.ld_imm64(dst, value);
        }
    }

    pub fn call(&mut self, helper: i32) {
        self.emit(Insn::call(helper));
    }

    pub fn finish(mut self) -> Result<Function, TooLarge> {
        for (at, label) in std::mem::take(&mut self.fixups) {
            let target = self.labels[label.0].expect("every label used is bound");
            let offset = target as i64 - at as i64 - 1;
            self.insns[at].off = i16::try_from(offset).map_err(|_| TooLarge)?;
        }
        Ok(Function {
            insns: self.insns,
            relocs: self.relocs,
            func_refs: self.func_refs,
        })
    }
}

/// One function's finished code, before its program is linked.
#[derive(Debug, Default)]
pub struct Function {
    pub insns: Vec<Insn>,
    pub relocs: Vec<Reloc>,
    /// (instruction, subprogram id) of every `ld_func`.
    pub func_refs: Vec<(usize, usize)>,
}

/// Lays out the main function followed by the subprograms (in id order)
/// and points every subprogram reference at its target.
pub fn link(main: Function, subprogs: Vec<Function>) -> (Vec<Insn>, Vec<Reloc>) {
    let mut starts = Vec::with_capacity(subprogs.len());
    let mut at = main.insns.len();
    for f in &subprogs {
        starts.push(at);
        at += f.insns.len();
    }
    let mut insns = Vec::with_capacity(at);
    let mut relocs = Vec::new();
    for (base, f) in std::iter::once((0, main)).chain(starts.iter().copied().zip(subprogs)) {
        let mut code = f.insns;
        for (insn, id) in &f.func_refs {
            code[*insn].imm = (starts[*id] as i64 - (base + insn) as i64 - 1) as i32;
        }
        insns.extend(code);
        relocs.extend(f.relocs.into_iter().map(|r| Reloc {
            insn: r.insn + base,
            kind: r.kind,
        }));
    }
    (insns, relocs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonde_isa::op;

    #[test]
    fn forward_and_backward_labels() {
        let mut e = Emitter::default();
        let top = e.new_label();
        let end = e.new_label();
        e.bind(top);
        e.jump_imm(op::JEQ, 1, 0, end);
        e.emit(Insn::mov64_imm(0, 1));
        e.jump(top);
        e.bind(end);
        e.emit(Insn::exit());
        let insns = e.finish().unwrap().insns;
        assert_eq!(insns[0].off, 2);
        assert_eq!(insns[2].off, -3);
    }

    #[test]
    fn subprogram_references_point_at_their_function() {
        let mut main = Emitter::default();
        main.emit(Insn::mov64_imm(0, 0));
        main.ld_func(2, 1);
        main.emit(Insn::exit());
        let mut first = Emitter::default();
        first.emit(Insn::exit());
        let mut second = Emitter::default();
        second.ld_func(3, 0);
        second.emit(Insn::exit());
        let (insns, _) = link(
            main.finish().unwrap(),
            vec![first.finish().unwrap(), second.finish().unwrap()],
        );
        // main: 0 mov, 1-2 ld_func, 3 exit; first: 4; second: 5-6, 7.
        assert_eq!(insns.len(), 8);
        assert_eq!(insns[1].imm, 5 - 2);
        assert_eq!(insns[5].imm, 4 - 6);
    }

    #[test]
    fn code_no_jump_reaches_is_dropped() {
        let mut e = Emitter::default();
        let target = e.new_label();
        let unused = e.new_label();
        e.jump_imm(op::JEQ, 1, 0, target);
        e.emit(Insn::mov64_imm(0, 1));
        e.jump(target);
        // Unreachable: after a jump, and a label nothing jumps to.
        e.emit(Insn::mov64_imm(0, 2));
        e.jump_imm(op::JEQ, 1, 0, target);
        e.bind(unused);
        e.emit(Insn::mov64_imm(0, 3));
        e.bind(target);
        e.emit(Insn::exit());
        e.emit(Insn::mov64_imm(0, 4));
        let insns = e.finish().unwrap().insns;
        assert_eq!(
            insns,
            vec![
                Insn::jmp_imm(op::JEQ, 1, 0, 2),
                Insn::mov64_imm(0, 1),
                Insn::ja(0),
                Insn::exit(),
            ]
        );
    }
}
