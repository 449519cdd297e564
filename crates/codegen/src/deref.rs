//! Reads through pointers (`probe_read_kernel`/`probe_read_user` into stack
//! buffers) and parts of values the program holds (struct fields, array
//! elements), as scalars or as whole buffers.

use sonde_isa::{helper, op, Insn, Size, R0, R1, R2, R3};
use sonde_lang::sema::typed::{TExpr, TExprKind};
use sonde_lang::sema::types::Type;
use sonde_lang::Diagnostic;

use crate::frame::Slot;
use crate::program::{ProgramCompiler, Result};

impl ProgramCompiler<'_> {
    /// r0 = the scalar of type `e.ty` read from memory at `addr`.
    pub fn deref_scalar(&mut self, e: &TExpr, addr: &TExpr, user: bool) -> Result<()> {
        let size = scalar_width(&e.ty);
        let slot = self.frame.alloc(8);
        self.scalar(addr)?;
        let read = self.read_memory(slot, size, user, false);
        self.check_helper(read, 2, e.span);
        self.load_stack(slot, size, e.ty.is_signed());
        Ok(())
    }

    /// Copy `size` bytes from the address in r0 to `dst`. Strings are
    /// read with the `_str` helper into a zeroed buffer, which keeps the
    /// zero padding after their NUL that string code relies on.
    /// Returns the helper it called.
    pub fn read_memory(&mut self, dst: Slot, size: u32, user: bool, string: bool) -> i32 {
        if string {
            // Clearing a large buffer takes a helper call, which clobbers r0.
            let address = self.push_r0();
            self.zero(dst, size.next_multiple_of(8));
            self.pop(address, R3);
        } else {
            self.e.emit(Insn::mov64_reg(R3, R0));
        }
        self.pointer_to_stack(R1, dst);
        self.e.emit(Insn::mov64_imm(R2, size as i32));
        let read = match (user, string) {
            (true, true) => helper::PROBE_READ_USER_STR,
            (false, true) => helper::PROBE_READ_KERNEL_STR,
            (true, false) => helper::PROBE_READ_USER,
            (false, false) => helper::PROBE_READ_KERNEL,
        };
        self.e.call(read);
        read
    }

    /// r0 = the integer of `size` bytes at `slot`, extended to 64 bits.
    pub fn load_stack(&mut self, slot: Slot, size: u32, signed: bool) {
        let width = Size::from_bytes(size as usize).unwrap_or(Size::DW);
        if (slot.off as i32).rem_euclid(size.max(1) as i32) == 0 {
            self.load(width, R0, slot);
        } else {
            // An unaligned field: assemble it byte by byte.
            self.e.emit(Insn::mov64_imm(R0, 0));
            for i in (0..size as i16).rev() {
                self.e.emit(Insn::alu64_imm(op::LSH, R0, 8));
                self.load(Size::B, R1, slot + i);
                self.e.emit(Insn::alu64_reg(op::OR, R0, R1));
            }
        }
        if signed && size < 8 {
            let shift = 64 - 8 * size as i32;
            self.e.emit(Insn::alu64_imm(op::LSH, R0, shift));
            self.e.emit(Insn::alu64_imm(op::ARSH, R0, shift));
        }
    }

    /// Where the value part at `offset` of `base` starts (possibly
    /// unaligned: read it with `load_stack`).
    pub fn member_slot(&mut self, base: &TExpr, offset: u32) -> Result<Slot> {
        let at = self.aggregate(base)?;
        Ok(at + offset as i16)
    }

    /// An 8-byte aligned buffer holding the member `e` of `base`: the part
    /// itself when it is aligned, else a copy. A string member is copied up
    /// to its NUL into a zeroed buffer, so that string code can rely on the
    /// zero padding after it.
    pub fn member_aggregate(&mut self, e: &TExpr, base: &TExpr, offset: u32) -> Result<Slot> {
        let raw = self.member_slot(base, offset)?;
        let size = e.ty.size();
        if let Type::Str { size } = e.ty {
            let slot = self.frame.alloc(size.next_multiple_of(8));
            self.zero(slot, size.next_multiple_of(8));
            self.pointer_to_stack(R3, raw);
            self.pointer_to_stack(R1, slot);
            self.e.emit(Insn::mov64_imm(R2, size as i32));
            self.e.call(helper::PROBE_READ_KERNEL_STR);
            return Ok(slot);
        }
        // In place only when whole words of it hold nothing else.
        if raw.off % 8 == 0 && size.is_multiple_of(8) {
            return Ok(raw);
        }
        let slot = self.frame.alloc(size.next_multiple_of(8));
        self.zero(slot, size.next_multiple_of(8));
        self.copy_exact(raw, slot, size);
        Ok(slot)
    }

    /// r0 = element `index` of the array value `base`; an index out of
    /// range reads element 0, so the access stays inside the buffer.
    pub fn element_scalar(&mut self, e: &TExpr, base: &TExpr, index: &TExpr) -> Result<()> {
        let Type::Array { elem, len } = &base.ty else {
            return Err(internal(e, "element of a non-array"));
        };
        let stride = elem.size();
        let width = scalar_width(&e.ty);
        let at = self.aggregate(base)?;
        self.scalar(index)?;
        let ok = self.e.new_label();
        self.e.jump_imm(op::JLT, R0, *len as i32, ok);
        self.e.emit(Insn::mov64_imm(R0, 0));
        self.e.bind(ok);
        self.e.emit(Insn::alu64_imm(op::MUL, R0, stride as i32));
        self.e.emit(Insn::alu64_reg(op::ADD, R0, at.reg));
        self.e.emit(Insn::alu64_imm(op::ADD, R0, at.off as i32));
        let w = Size::from_bytes(width as usize).unwrap_or(Size::DW);
        self.e.emit(Insn::ldx(w, R0, R0, 0));
        if e.ty.is_signed() && width < 8 {
            let shift = 64 - 8 * width as i32;
            self.e.emit(Insn::alu64_imm(op::LSH, R0, shift));
            self.e.emit(Insn::alu64_imm(op::ARSH, R0, shift));
        }
        Ok(())
    }

    /// Store the record, array or string `e` at `dst` in its C
    /// layout (`size` bytes, already zeroed beyond `e`'s size).
    pub fn place_bytes(&mut self, e: &TExpr, dst: Slot, size: u32) -> Result<()> {
        let e = self.block_value(e)?;
        let own = e.ty.size().min(size);
        match &e.kind {
            TExprKind::Deref { addr, user } => {
                self.zero(dst, size.next_multiple_of(8));
                self.scalar(addr)?;
                let string = matches!(e.ty, Type::Str { .. });
                self.read_memory(dst, own, *user, string);
                Ok(())
            }
            TExprKind::MapRead { map, key } => {
                self.zero(dst, size.next_multiple_of(8));
                let key_off = self.map_key(*map, key.as_deref())?;
                self.lookup(*map, key_off);
                let skip = self.e.new_label();
                self.e.jump_imm(op::JEQ, R0, 0, skip);
                self.copy_exact(Slot { reg: R0, off: 0 }, dst, own);
                self.e.bind(skip);
                Ok(())
            }
            TExprKind::Cast(inner) => {
                self.zero(dst, size.next_multiple_of(8));
                match inner.ty {
                    Type::Str { .. } => {
                        let src = self.aggregate(inner)?;
                        self.copy_exact(src, dst, own);
                    }
                    _ => {
                        self.scalar(inner)?;
                        let width = Size::from_bytes(own.min(8) as usize).unwrap_or(Size::DW);
                        self.store(width, dst, R0);
                    }
                }
                Ok(())
            }
            TExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                self.ternary(cond, then, otherwise, |c, arm| {
                    c.place_bytes(arm, dst, size)
                })?;
                Ok(())
            }
            TExprKind::Var(_) | TExprKind::TupleField { .. } | TExprKind::Member { .. } => {
                let src = self.aggregate(e)?;
                if src != dst {
                    self.zero(dst, size.next_multiple_of(8));
                    self.copy_exact(src, dst, own);
                }
                Ok(())
            }
            _ => Err(Diagnostic::error(
                e.span,
                format!("a value of type '{}' cannot be built here yet", e.ty),
            )),
        }
    }

    /// Copy exactly `size` bytes from `src` to `dst`, in the widest moves
    /// that fit. The verifier refuses misaligned stack accesses, so each
    /// move is as wide as both addresses' alignment allows.
    pub fn copy_exact(&mut self, src: Slot, dst: Slot, size: u32) {
        let mut done = 0u32;
        while done < size {
            let (s, d) = (src.off as i32 + done as i32, dst.off as i32 + done as i32);
            let (width, bytes) = [(Size::DW, 8), (Size::W, 4), (Size::H, 2), (Size::B, 1)]
                .into_iter()
                .find(|&(_, b)| {
                    size - done >= b && s.rem_euclid(b as i32) == 0 && d.rem_euclid(b as i32) == 0
                })
                .unwrap_or((Size::B, 1));
            self.e.emit(Insn::ldx(width, R1, src.reg, s as i16));
            self.e.emit(Insn::stx(width, dst.reg, d as i16, R1));
            done += bytes;
        }
    }

    /// r0 = the address of variable `var` (on the stack or in scratch memory).
    pub fn var_address(&mut self, var: usize) {
        let slot = self.var_slots[var];
        self.pointer_to_stack(R0, slot);
    }

    /// r0 = an integer array's bytes as one integer (`(uint32)arr`).
    pub fn array_to_int(&mut self, e: &TExpr, inner: &TExpr) -> Result<()> {
        let at = self.aggregate(inner)?;
        self.load_stack(at, scalar_width(&e.ty), e.ty.is_signed());
        Ok(())
    }
}

/// Bytes a scalar of type `ty` takes in memory.
fn scalar_width(ty: &Type) -> u32 {
    match ty.size() {
        1 | 2 | 4 => ty.size(),
        _ => 8,
    }
}

fn internal(e: &TExpr, what: &str) -> Diagnostic {
    Diagnostic::error(e.span, format!("internal error: {what} ('{}')", e.ty))
}
