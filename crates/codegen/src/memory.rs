//! Values that live in memory (strings and tuples): building them in stack
//! buffers, converting between layouts, comparing strings.
//!
//! Every string buffer this module produces is zero after the string's NUL
//! up to the end of its 8-byte-rounded storage. That invariant lets string
//! copies and comparisons work a word at a time.

use sonde_isa::{helper, op, Insn, Size, R0, R1, R2, R3, R6};
use sonde_lang::sema::typed::{Builtin, FieldReadKind, TExpr, TExprKind};
use sonde_lang::sema::types::Type;
use sonde_lang::Diagnostic;

use crate::frame::Slot;
use crate::program::{ProgramCompiler, Result};

/// Copies and clears larger than this are done by one helper call rather
/// than a load and a store per word.
pub const BULK_BYTES: u32 = 64;

impl ProgramCompiler<'_> {
    /// A stack buffer holding the value of the string or tuple `e`, laid out
    /// as `e.ty`'s storage. Variables are returned in place, not copied.
    pub fn aggregate(&mut self, e: &TExpr) -> Result<Slot> {
        let e = self.block_value(e)?;
        if let TExprKind::Var(i) = e.kind {
            return Ok(self.var_slots[i]);
        }
        if let TExprKind::TupleField { tuple, index } = &e.kind {
            let base = self.aggregate(tuple)?;
            let Some(fields) = tuple.ty.tuple_fields() else {
                return Err(internal(e, "tuple field of a non-tuple"));
            };
            return Ok(base + Type::tuple_offsets(fields)[*index] as i16);
        }
        if let TExprKind::Member { base, offset } = &e.kind {
            return self.member_aggregate(e, base, *offset);
        }
        let size = e.ty.storage_size().max(8);
        let slot = self.frame.alloc(size);
        self.place(e, slot, &e.ty)?;
        Ok(slot)
    }

    /// Store the value of `e` at `r10 + dst`, in the storage layout of `ty`
    /// (which may be wider than `e.ty`: strings are padded, integers widened).
    pub fn place(&mut self, e: &TExpr, dst: Slot, ty: &Type) -> Result<()> {
        let e = self.block_value(e)?;
        if let TExprKind::ArgsRecord(fields) = &e.kind {
            return self.place_args_record(fields, dst, ty.storage_size());
        }
        if let Some(done) = self.place_value(e, dst, ty) {
            return done;
        }
        match ty {
            Type::Str { .. } => self.place_string(e, dst, ty.storage_size()),
            Type::Tuple(_) | Type::NamedTuple { .. } => self.place_tuple(e, dst, ty),
            Type::Record(_) | Type::Array { .. } => self.place_bytes(e, dst, ty.storage_size()),
            Type::Stack(_) | Type::Sym { .. } => self.place_symbolic(e, dst, ty),
            // Copies of buffers and addresses held elsewhere.
            Type::Buffer { .. } | Type::Inet | Type::MacAddr => self.copy_value(e, dst, ty),
            _ => {
                self.scalar(e)?;
                self.store(Size::DW, dst, R0);
                Ok(())
            }
        }
    }

    fn place_string(&mut self, e: &TExpr, dst: Slot, dst_storage: u32) -> Result<()> {
        let e = self.block_value(e)?;
        match &e.kind {
            TExprKind::Str(bytes) => {
                self.store_literal(bytes, dst, dst_storage);
                Ok(())
            }
            TExprKind::Builtin(Builtin::Comm) => {
                // The kernel pads comm with zeros up to the size asked for.
                let size = dst_storage.min(16);
                self.pointer_to_stack(R1, dst);
                self.e.emit(Insn::mov64_imm(R2, size as i32));
                self.e.call(helper::GET_CURRENT_COMM);
                self.zero(dst + size as i16, dst_storage - size);
                Ok(())
            }
            TExprKind::Field(field) => {
                let (size, source_is_data_loc) = match field.kind {
                    FieldReadKind::CharArray { len } => (len, false),
                    FieldReadKind::DataLocString => (e.ty.storage_size(), true),
                    _ => return Err(internal(e, "string read of a non-string field")),
                };
                self.zero(dst, dst_storage);
                if source_is_data_loc {
                    // The low half of the u32 is the string's offset in the record.
                    self.e.emit(Insn::ldx(Size::W, R3, R6, field.offset as i16));
                    self.e.emit(Insn::alu64_imm(op::AND, R3, 0xffff));
                    self.e.emit(Insn::alu64_reg(op::ADD, R3, R6));
                } else {
                    self.e.emit(Insn::mov64_reg(R3, R6));
                    self.e
                        .emit(Insn::alu64_imm(op::ADD, R3, field.offset as i32));
                }
                self.pointer_to_stack(R1, dst);
                self.e
                    .emit(Insn::mov64_imm(R2, size.min(dst_storage) as i32));
                self.e.call(helper::PROBE_READ_KERNEL_STR);
                Ok(())
            }
            TExprKind::ReadStr {
                ptr,
                len,
                limit,
                pad,
            } => {
                let limit = (*limit).min(dst_storage);
                let pad = if limit + pad <= dst_storage { *pad } else { 0 };
                // Integers used as addresses in a user-space probe point
                // into the probed process.
                let user = matches!(ptr.ty, Type::Ptr { user: true, .. })
                    || (self.probe.kind.is_user() && matches!(ptr.ty, Type::Int { .. }));
                self.zero(dst, dst_storage);
                self.scalar(ptr)?;
                match len {
                    Some(len) => {
                        let kept = self.push_r0();
                        self.scalar(len)?;
                        // The verifier needs the size bounded: clamp it.
                        self.e.emit(Insn::jmp_imm(op::JLE, R0, limit as i32, 1));
                        self.e.emit(Insn::mov64_imm(R0, limit as i32));
                        self.e.emit(Insn::mov64_reg(R2, R0));
                        if pad > 0 {
                            self.e.emit(Insn::alu64_imm(op::ADD, R2, pad as i32));
                        }
                        self.pop(kept, R3);
                    }
                    None => {
                        self.e.emit(Insn::mov64_reg(R3, R0));
                        self.e.emit(Insn::mov64_imm(R2, (limit + pad) as i32));
                    }
                }
                self.pointer_to_stack(R1, dst);
                let read = if user {
                    helper::PROBE_READ_USER_STR
                } else {
                    helper::PROBE_READ_KERNEL_STR
                };
                self.e.call(read);
                self.check_helper(read, 2, e.span);
                Ok(())
            }
            TExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                self.ternary(cond, then, otherwise, |c, arm| {
                    c.place_string(arm, dst, dst_storage)
                })?;
                Ok(())
            }
            TExprKind::MapRead { map, key } => {
                self.zero(dst, dst_storage);
                let key_off = self.map_key(*map, key.as_deref())?;
                self.lookup(*map, key_off);
                let skip = self.e.new_label();
                self.e.jump_imm(op::JEQ, R0, 0, skip);
                let src_storage = e.ty.storage_size();
                self.copy_from_pointer(R0, 0, dst, src_storage.min(dst_storage));
                self.e.bind(skip);
                self.terminate_if_truncated(dst, src_storage, dst_storage);
                Ok(())
            }
            TExprKind::Deref { addr, user } => {
                let Type::Str { size } = e.ty else {
                    return Err(internal(e, "string read of a non-string"));
                };
                self.scalar(addr)?;
                self.read_memory(dst, size.min(dst_storage), *user, true);
                self.zero_tail(dst, size.min(dst_storage), dst_storage);
                Ok(())
            }
            TExprKind::Var(_) | TExprKind::TupleField { .. } | TExprKind::Member { .. } => {
                let src = self.aggregate(e)?;
                let src_storage = e.ty.storage_size();
                self.copy_stack(src, dst, src_storage.min(dst_storage));
                if dst_storage > src_storage {
                    self.zero(dst + src_storage as i16, dst_storage - src_storage);
                }
                self.terminate_if_truncated(dst, src_storage, dst_storage);
                Ok(())
            }
            _ => Err(internal(e, "unsupported string expression")),
        }
    }

    /// Zero `dst + from .. dst + to`, whole words only where the helper has
    /// not written (its own zeroing covers the rest).
    fn zero_tail(&mut self, dst: Slot, from: u32, to: u32) {
        let start = from.next_multiple_of(8);
        if to > start {
            self.zero(dst + start as i16, to - start);
        }
    }

    /// When a longer string is stored in a shorter buffer, its last byte
    /// becomes the terminator.
    fn terminate_if_truncated(&mut self, dst: Slot, src_storage: u32, dst_storage: u32) {
        if src_storage > dst_storage {
            let last = dst_storage.saturating_sub(1).min(i16::MAX as u32) as i16;
            self.store_imm(Size::B, dst + last, 0);
        }
    }

    /// Store the tuple or record `e` in the layout of `ty`; a record's
    /// fields go where `ty` has the same names.
    fn place_tuple(&mut self, e: &TExpr, dst: Slot, ty: &Type) -> Result<()> {
        let e = self.block_value(e)?;
        let Some(fields) = ty.tuple_fields() else {
            return Err(internal(e, "tuple layout expected"));
        };
        let offsets = Type::tuple_offsets(fields);
        match &e.kind {
            TExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                self.ternary(cond, then, otherwise, |c, arm| c.place_tuple(arm, dst, ty))?;
                Ok(())
            }
            TExprKind::Tuple(items) => {
                // In the order written, whatever order the layout has.
                for (i, item) in items.iter().enumerate() {
                    let at = field_position(&e.ty, ty, i);
                    self.place(item, dst + offsets[at] as i16, &fields[at])?;
                }
                Ok(())
            }
            _ => {
                if e.ty.tuple_fields().is_none() {
                    return Err(internal(e, "tuple expected"));
                }
                let src = match &e.kind {
                    TExprKind::MapRead { map, key } => {
                        let size = e.ty.storage_size();
                        let slot = self.frame.alloc(size);
                        self.zero(slot, size);
                        let key_off = self.map_key(*map, key.as_deref())?;
                        self.lookup(*map, key_off);
                        let skip = self.e.new_label();
                        self.e.jump_imm(op::JEQ, R0, 0, skip);
                        self.copy_from_pointer(R0, 0, slot, size);
                        self.e.bind(skip);
                        slot
                    }
                    TExprKind::Deref { .. } => {
                        let size = e.ty.storage_size();
                        let slot = self.frame.alloc(size);
                        self.place_bytes(e, slot, size)?;
                        slot
                    }
                    // Values that already have a place of their own.
                    TExprKind::Var(_) | TExprKind::TupleField { .. } | TExprKind::Member { .. } => {
                        self.aggregate(e)?
                    }
                    // Anything else would come back here through aggregate().
                    _ => return Err(internal(e, "a tuple from this kind of expression")),
                };
                if e.ty == *ty {
                    self.copy_stack(src, dst, e.ty.storage_size());
                    return Ok(());
                }
                self.convert(src, &e.ty, dst, ty);
                Ok(())
            }
        }
    }

    /// Copy a value between two layouts of one shape: strings of other
    /// buffer sizes, records with their fields in another order.
    fn convert(&mut self, src: Slot, src_ty: &Type, dst: Slot, dst_ty: &Type) {
        if let (Some(sf), Some(df)) = (src_ty.tuple_fields(), dst_ty.tuple_fields()) {
            let src_offsets = Type::tuple_offsets(sf);
            let dst_offsets = Type::tuple_offsets(df);
            for (j, field) in df.iter().enumerate() {
                let i = field_position(dst_ty, src_ty, j);
                let (s, d) = (src + src_offsets[i] as i16, dst + dst_offsets[j] as i16);
                self.convert(s, &sf[i], d, field);
            }
            return;
        }
        let (ss, ds) = (src_ty.storage_size(), dst_ty.storage_size());
        self.copy_stack(src, dst, ss.min(ds));
        if ds > ss {
            self.zero(dst + ss as i16, ds - ss);
        }
        if matches!(dst_ty, Type::Str { .. }) {
            self.terminate_if_truncated(dst, ss, ds);
        }
    }

    /// Write a string literal and its zero padding, eight bytes at a time.
    pub fn store_literal(&mut self, bytes: &[u8], dst: Slot, dst_storage: u32) {
        let mut padded = bytes.to_vec();
        padded.truncate(dst_storage.saturating_sub(1) as usize);
        padded.resize(dst_storage as usize, 0);
        for (i, chunk) in padded.chunks(8).enumerate() {
            let off = dst + (i * 8) as i16;
            let word = u64::from_le_bytes(chunk.try_into().expect("storage is a multiple of 8"));
            let (lo, hi) = (word as u32 as i32, (word >> 32) as u32 as i32);
            if word == 0 {
                self.store_imm(Size::DW, off, 0);
            } else {
                self.store_imm(Size::W, off, lo);
                self.store_imm(Size::W, off + 4, hi);
            }
        }
    }

    /// r0 = 1 when the strings are equal. With the zero-padding invariant,
    /// equality is equality of the words both buffers have.
    pub fn strings_equal(&mut self, lhs: &TExpr, rhs: &TExpr) -> Result<()> {
        let (literal, other) = match (&lhs.kind, &rhs.kind) {
            (TExprKind::Str(b), _) => (Some(b), rhs),
            (_, TExprKind::Str(b)) => (Some(b), lhs),
            _ => (None, lhs),
        };
        let not_equal = self.e.new_label();
        let end = self.e.new_label();
        match literal {
            Some(bytes) => {
                let needed = bytes.len() as u32 + 1;
                let Type::Str { size } = other.ty else {
                    return Err(internal(other, "string comparison of a non-string"));
                };
                if size < needed {
                    // The other string cannot be this long.
                    self.e.emit(Insn::mov64_imm(R0, 0));
                    return Ok(());
                }
                let base = self.aggregate(other)?;
                let mut padded = bytes.clone();
                padded.resize(needed.next_multiple_of(8) as usize, 0);
                for (i, chunk) in padded.chunks(8).enumerate() {
                    let word = u64::from_le_bytes(chunk.try_into().expect("padded to 8"));
                    self.load(Size::DW, R1, base + (i * 8) as i16);
                    self.e.ld_imm64(R2, word);
                    self.e.jump_reg(op::JNE, R1, R2, not_equal);
                }
            }
            None => {
                let a = self.aggregate(lhs)?;
                let b = self.aggregate(rhs)?;
                let words = lhs.ty.storage_size().min(rhs.ty.storage_size()) / 8;
                for i in 0..words {
                    self.load(Size::DW, R1, a + word_offset(i));
                    self.load(Size::DW, R2, b + word_offset(i));
                    self.e.jump_reg(op::JNE, R1, R2, not_equal);
                }
            }
        }
        self.e.emit(Insn::mov64_imm(R0, 1));
        self.e.jump(end);
        self.e.bind(not_equal);
        self.e.emit(Insn::mov64_imm(R0, 0));
        self.e.bind(end);
        Ok(())
    }

    /// r0 = 1 when two tuples of the same shape are equal: both are laid
    /// out in one layout (strings in the larger buffer, zero-padded) and
    /// compared a word at a time.
    pub fn tuples_equal(&mut self, lhs: &TExpr, rhs: &TExpr) -> Result<()> {
        let layout = common_layout(&lhs.ty, &rhs.ty);
        let size = layout.storage_size().max(8);
        let a = self.frame.alloc(size);
        let b = self.frame.alloc(size);
        self.zero(a, size);
        self.zero(b, size);
        self.place(lhs, a, &layout)?;
        self.place(rhs, b, &layout)?;
        let not_equal = self.e.new_label();
        let end = self.e.new_label();
        for word in 0..size / 8 {
            self.load(Size::DW, R1, a + word_offset(word));
            self.load(Size::DW, R2, b + word_offset(word));
            self.e.jump_reg(op::JNE, R1, R2, not_equal);
        }
        self.e.emit(Insn::mov64_imm(R0, 1));
        self.e.jump(end);
        self.e.bind(not_equal);
        self.e.emit(Insn::mov64_imm(R0, 0));
        self.e.bind(end);
        Ok(())
    }

    pub fn copy_stack(&mut self, src: Slot, dst: Slot, size: u32) {
        if src == dst {
            return;
        }
        if size > BULK_BYTES {
            self.pointer_to_stack(R3, src);
            self.bulk_copy(R3, dst, size);
            return;
        }
        for word in 0..size.div_ceil(8) {
            self.load(Size::DW, R1, src + word_offset(word));
            self.store(Size::DW, dst + word_offset(word), R1);
        }
    }

    /// Copy `size` bytes from `[ptr + off]` (e.g. a map value) to the slot
    /// at `dst`. Clobbers r0-r5 for large copies.
    pub fn copy_from_pointer(&mut self, ptr: u8, off: i16, dst: Slot, size: u32) {
        if size > BULK_BYTES {
            self.e.emit(Insn::mov64_reg(R3, ptr));
            if off != 0 {
                self.e.emit(Insn::alu64_imm(op::ADD, R3, off as i32));
            }
            self.bulk_copy(R3, dst, size);
            return;
        }
        for word in 0..size.div_ceil(8) {
            let at = off.saturating_add(word_offset(word));
            self.e.emit(Insn::ldx(Size::DW, R1, ptr, at));
            self.store(Size::DW, dst + word_offset(word), R1);
        }
    }

    /// `size` bytes from the address in r3 to the slot at `dst`, with one
    /// helper call: the kernel copies between any two kernel addresses, and
    /// the verifier sees the whole destination written.
    fn bulk_copy(&mut self, src_in_r3: u8, dst: Slot, size: u32) {
        debug_assert_eq!(src_in_r3, R3);
        self.pointer_to_stack(R1, dst);
        self.e.emit(Insn::mov64_imm(R2, size as i32));
        self.e.call(helper::PROBE_READ_KERNEL);
    }

    /// `reg` = the address of `slot`.
    pub fn pointer_to_stack(&mut self, reg: u8, slot: Slot) {
        self.e.emit(Insn::mov64_reg(reg, slot.reg));
        self.e.emit(Insn::alu64_imm(op::ADD, reg, slot.off as i32));
    }

    /// `dst = *(size *)slot`
    pub fn load(&mut self, size: Size, dst: u8, slot: Slot) {
        self.e.emit(Insn::ldx(size, dst, slot.reg, slot.off));
    }

    /// `*(size *)slot = src`
    pub fn store(&mut self, size: Size, slot: Slot, src: u8) {
        self.e.emit(Insn::stx(size, slot.reg, slot.off, src));
    }

    /// `*(size *)slot = imm`
    pub fn store_imm(&mut self, size: Size, slot: Slot, imm: i32) {
        self.e.emit(Insn::st_imm(size, slot.reg, slot.off, imm));
    }
}

/// Where field `i` of a value of type `from` goes in a value of type `to`:
/// the field of the same name for records, the same position otherwise.
fn field_position(from: &Type, to: &Type, i: usize) -> usize {
    match (from, to) {
        (Type::NamedTuple { names: a, .. }, Type::NamedTuple { names: b, .. }) => {
            b.iter().position(|n| *n == a[i]).unwrap_or(i)
        }
        _ => i,
    }
}

/// A layout both tuples fit: each string field as large as the larger of
/// the two, integers stored whole.
fn common_layout(a: &Type, b: &Type) -> Type {
    match (a, b) {
        (Type::Tuple(x), Type::Tuple(y)) if x.len() == y.len() => {
            Type::Tuple(x.iter().zip(y).map(|(p, q)| common_layout(p, q)).collect())
        }
        (Type::Str { size: x }, Type::Str { size: y }) => Type::Str { size: (*x).max(*y) },
        (Type::Int { .. }, Type::Int { signed, .. }) => Type::Int {
            bytes: 8,
            signed: *signed,
        },
        _ => a.clone(),
    }
}

/// The offset of word `word` of a slot. Past the reach of an instruction's
/// offset the program is refused for its size, so it only has to stay a
/// number.
pub fn word_offset(word: u32) -> i16 {
    (word.saturating_mul(8)).min(i16::MAX as u32) as i16
}

fn internal(e: &TExpr, what: &str) -> Diagnostic {
    Diagnostic::error(e.span, format!("internal error: {what} ('{}')", e.ty))
}
