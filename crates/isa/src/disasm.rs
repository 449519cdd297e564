//! Disassembly in the kernel verifier's syntax.
use crate::Insn;

/// One line per instruction slot, prefixed with its index (`0: r1 = 1`).
pub fn disassemble(insns: &[Insn]) -> Vec<String> {
    let _ = insns;
    todo!("isa helper")
}

/// The text of one instruction; `next` is the following slot for `ld_imm64`.
pub fn disassemble_one(insn: &Insn, next: Option<&Insn>) -> String {
    let _ = (insn, next);
    todo!("isa helper")
}
