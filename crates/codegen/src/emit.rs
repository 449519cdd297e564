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
            RelocKind::StartTimeNs | RelocKind::ChildPid => self.ld_imm64(dst, 0),
        }
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

    pub fn finish(mut self) -> Result<(Vec<Insn>, Vec<Reloc>), TooLarge> {
        for (at, label) in std::mem::take(&mut self.fixups) {
            let target = self.labels[label.0].expect("every label used is bound");
            let offset = target as i64 - at as i64 - 1;
            self.insns[at].off = i16::try_from(offset).map_err(|_| TooLarge)?;
        }
        Ok((self.insns, self.relocs))
    }
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
        let (insns, _) = e.finish().unwrap();
        assert_eq!(insns[0].off, 2);
        assert_eq!(insns[2].off, -3);
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
        let (insns, _) = e.finish().unwrap();
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
