//! Conditions compiled straight to conditional jumps, so that `if`,
//! predicates, `while` and `&&`/`||` never build a 0/1 value they only test.

use sonde_isa::{op, Insn, Size, R0, R1};
use sonde_lang::ast::BinOp;
use sonde_lang::sema::typed::{TExpr, TExprKind, TUnOp};
use sonde_lang::sema::types::Type;

use crate::emit::Label;
use crate::program::{ProgramCompiler, Result};

impl ProgramCompiler<'_> {
    /// `cond ? then : otherwise`, each arm compiled by `arm`: the one
    /// shape of every ternary, whatever the arms produce (a scalar in R0,
    /// bytes at a destination).
    pub fn ternary(
        &mut self,
        cond: &TExpr,
        then: &TExpr,
        otherwise: &TExpr,
        mut arm: impl FnMut(&mut Self, &TExpr) -> Result<()>,
    ) -> Result<()> {
        let else_label = self.e.new_label();
        let end = self.e.new_label();
        self.branch(cond, false, else_label)?;
        arm(self, then)?;
        self.e.jump(end);
        self.e.bind(else_label);
        arm(self, otherwise)?;
        self.e.bind(end);
        Ok(())
    }

    /// Jump to `target` when the truth of `e` equals `when`; fall through otherwise.
    pub fn branch(&mut self, e: &TExpr, when: bool, target: Label) -> Result<()> {
        let e = self.block_value(e)?;
        match &e.kind {
            TExprKind::Bool(b) => {
                if *b == when {
                    self.e.jump(target);
                }
                Ok(())
            }
            TExprKind::Unary {
                op: TUnOp::Not,
                expr,
            } => self.branch(expr, !when, target),
            TExprKind::Binary {
                op: BinOp::LogicalAnd,
                lhs,
                rhs,
            } => {
                if when {
                    let skip = self.e.new_label();
                    self.branch(lhs, false, skip)?;
                    self.branch(rhs, true, target)?;
                    self.e.bind(skip);
                } else {
                    self.branch(lhs, false, target)?;
                    self.branch(rhs, false, target)?;
                }
                Ok(())
            }
            TExprKind::Binary {
                op: BinOp::LogicalOr,
                lhs,
                rhs,
            } => {
                if when {
                    self.branch(lhs, true, target)?;
                    self.branch(rhs, true, target)?;
                } else {
                    let skip = self.e.new_label();
                    self.branch(lhs, true, skip)?;
                    self.branch(rhs, false, target)?;
                    self.e.bind(skip);
                }
                Ok(())
            }
            TExprKind::Binary { op: bin, lhs, rhs } if bin.is_comparison() => {
                // A buffer's length comes first and its unused bytes are
                // zero, so buffers compare like strings, word by word.
                if let (Type::Str { .. }, Type::Str { .. })
                | (Type::Array { .. }, Type::Array { .. })
                | (Type::Buffer { .. }, Type::Buffer { .. }) = (&lhs.ty, &rhs.ty)
                {
                    self.strings_equal(lhs, rhs)?;
                    let equal_wanted = (*bin == BinOp::Eq) == when;
                    let jmp = if equal_wanted { op::JNE } else { op::JEQ };
                    self.e.jump_imm(jmp, R0, 0, target);
                    return Ok(());
                }
                if let (Type::Tuple(_), Type::Tuple(_)) = (&lhs.ty, &rhs.ty) {
                    self.tuples_equal(lhs, rhs)?;
                    let equal_wanted = (*bin == BinOp::Eq) == when;
                    let jmp = if equal_wanted { op::JNE } else { op::JEQ };
                    self.e.jump_imm(jmp, R0, 0, target);
                    return Ok(());
                }
                let signed = comparison_is_signed(lhs, rhs);
                let jmp = jump_op(*bin, signed, when);
                self.scalar(lhs)?;
                if let TExprKind::Int(v) = &rhs.kind {
                    if let Ok(imm) = i32::try_from(*v as i64) {
                        self.e.jump_imm(jmp, R0, imm, target);
                        return Ok(());
                    }
                }
                let kept = self.push_r0();
                self.scalar(rhs)?;
                self.e.emit(Insn::mov64_reg(R1, R0));
                self.pop(kept, R0);
                self.e.jump_reg(jmp, R0, R1, target);
                Ok(())
            }
            _ => {
                if let Type::Str { .. } = e.ty {
                    let base = self.aggregate(e)?;
                    self.load(Size::B, R0, base);
                } else {
                    self.scalar(e)?;
                }
                let jmp = if when { op::JNE } else { op::JEQ };
                self.e.jump_imm(jmp, R0, 0, target);
                Ok(())
            }
        }
    }
}

/// A literal takes the signedness of the other side, as in arithmetic.
fn comparison_is_signed(l: &TExpr, r: &TExpr) -> bool {
    let literal = |e: &TExpr| matches!(e.kind, TExprKind::Int(v) if v <= i64::MAX as u64);
    let signed = |t: &Type| t.is_signed() || *t == Type::Bool;
    match (literal(l), literal(r)) {
        (true, false) => signed(&r.ty),
        (false, true) => signed(&l.ty),
        _ => signed(&l.ty) && signed(&r.ty),
    }
}

/// The jump taken when `lhs <op> rhs` is `when`.
fn jump_op(bin: BinOp, signed: bool, when: bool) -> u8 {
    let bin = if when { bin } else { negate(bin) };
    match (bin, signed) {
        (BinOp::Eq, _) => op::JEQ,
        (BinOp::Ne, _) => op::JNE,
        (BinOp::Lt, false) => op::JLT,
        (BinOp::Lt, true) => op::JSLT,
        (BinOp::Le, false) => op::JLE,
        (BinOp::Le, true) => op::JSLE,
        (BinOp::Gt, false) => op::JGT,
        (BinOp::Gt, true) => op::JSGT,
        (BinOp::Ge, false) => op::JGE,
        (BinOp::Ge, true) => op::JSGE,
        _ => unreachable!("only comparisons reach jump_op"),
    }
}

fn negate(bin: BinOp) -> BinOp {
    match bin {
        BinOp::Eq => BinOp::Ne,
        BinOp::Ne => BinOp::Eq,
        BinOp::Lt => BinOp::Ge,
        BinOp::Le => BinOp::Gt,
        BinOp::Gt => BinOp::Le,
        BinOp::Ge => BinOp::Lt,
        other => other,
    }
}
