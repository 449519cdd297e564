//! Building the values printed in a form of their own: `buf()` buffers,
//! `ntop()` addresses, `macaddr()` addresses, and byte arrays known at
//! compile time (`pton()`).

use sonde_isa::{helper, op, Insn, Size, R0, R1, R2, R3};
use sonde_lang::sema::typed::{TExpr, TExprKind};
use sonde_lang::sema::types::Type;
use sonde_lang::Diagnostic;

use crate::frame::Slot;
use crate::program::{ProgramCompiler, Result};

impl ProgramCompiler<'_> {
    /// Store a buffer, address or byte-array value `e` at `dst` in the
    /// storage of `ty`; `None` when `e` is not one this module builds (a
    /// copy of one held elsewhere, which the caller handles).
    pub fn place_value(&mut self, e: &TExpr, dst: Slot, ty: &Type) -> Option<Result<()>> {
        Some(match &e.kind {
            TExprKind::Buf { src, len } => {
                self.place_buffer(src, len.as_deref(), &e.ty, dst, ty.storage_size())
            }
            TExprKind::Inet { af, addr } => self.place_inet(af, addr, dst),
            TExprKind::MacAddr(bytes) => self.place_mac(bytes, dst),
            TExprKind::Bytes(bytes) => {
                self.store_bytes(bytes, dst, ty.storage_size());
                Ok(())
            }
            _ => return None,
        })
    }

    /// A buffer or address value held elsewhere, copied whole into the
    /// storage of `ty` at `dst` (zero-padded when it is larger).
    pub fn copy_value(&mut self, e: &TExpr, dst: Slot, ty: &Type) -> Result<()> {
        let (size, own) = (
            ty.storage_size(),
            e.ty.storage_size().min(ty.storage_size()),
        );
        match &e.kind {
            TExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                self.ternary(cond, then, otherwise, |c, arm| c.place(arm, dst, ty))?;
            }
            TExprKind::MapRead { map, key } => {
                self.zero(dst, size);
                let key = self.map_key(*map, key.as_deref())?;
                self.lookup(*map, key);
                let missing = self.e.new_label();
                self.e.jump_imm(op::JEQ, R0, 0, missing);
                self.copy_from_pointer(R0, 0, dst, own);
                self.e.bind(missing);
            }
            _ => {
                let src = self.aggregate(e)?;
                if src != dst {
                    if own < size {
                        self.zero(dst, size);
                    }
                    self.copy_stack(src, dst, own);
                }
            }
        }
        Ok(())
    }

    /// `[u64 length][bytes]`: the bytes of `src` (a value, or memory at an
    /// address), as many as `len` says and the buffer holds.
    fn place_buffer(
        &mut self,
        src: &TExpr,
        len: Option<&TExpr>,
        own: &Type,
        dst: Slot,
        storage: u32,
    ) -> Result<()> {
        let Type::Buffer { size } = *own else {
            return Err(internal(src, "a buffer of a non-buffer type"));
        };
        self.zero(dst, storage);
        // r0 = the source address, kept while the length is computed.
        let user = match (&src.kind, &src.ty) {
            // A value in memory (`buf($s.b, 4)` of a `char[4]` field) is
            // read as raw bytes from where it lies: read as a string, it
            // would end at its first NUL.
            (TExprKind::Deref { addr, user }, ty) if !ty.is_scalar() => {
                self.scalar(addr)?;
                *user
            }
            (_, Type::Int { .. } | Type::Ptr { .. }) => {
                self.scalar(src)?;
                matches!(src.ty, Type::Ptr { user: true, .. })
                    || (self.probe.kind.is_user() && matches!(src.ty, Type::Int { .. }))
            }
            _ => {
                let at = self.aggregate(src)?;
                self.pointer_to_stack(R0, at);
                false
            }
        };
        let address = self.push_r0();
        match len {
            Some(len) => {
                self.scalar(len)?;
                // The verifier needs the size bounded: clamp it.
                self.e.emit(Insn::jmp_imm(op::JLE, R0, size as i32, 1));
                self.e.emit(Insn::mov64_imm(R0, size as i32));
            }
            None => self.e.emit(Insn::mov64_imm(R0, size as i32)),
        }
        self.store(Size::DW, dst, R0);
        self.e.emit(Insn::mov64_reg(R2, R0));
        self.pop(address, R3);
        self.pointer_to_stack(R1, dst + 8);
        self.e.call(if user {
            helper::PROBE_READ_USER
        } else {
            helper::PROBE_READ_KERNEL
        });
        Ok(())
    }

    /// `[u64 family][16 address bytes]`: an integer address is IPv4, its
    /// four bytes as they are in memory.
    fn place_inet(&mut self, af: &TExpr, addr: &TExpr, dst: Slot) -> Result<()> {
        self.zero(dst, 24);
        match &addr.ty {
            Type::Int { .. } => {
                self.scalar(addr)?;
                self.store(Size::W, dst + 8, R0);
            }
            _ => {
                let size = addr.ty.size().min(16);
                let at = self.aggregate(addr)?;
                self.copy_exact(at, dst + 8, size);
            }
        }
        self.scalar(af)?;
        self.store(Size::DW, dst, R0);
        Ok(())
    }

    /// The first six bytes of `bytes`, in an 8-byte slot.
    fn place_mac(&mut self, bytes: &TExpr, dst: Slot) -> Result<()> {
        self.zero(dst, 8);
        let at = self.aggregate(bytes)?;
        self.copy_exact(at, dst, 6);
        Ok(())
    }

    /// Bytes known at compile time, padded with zeros to `storage`.
    fn store_bytes(&mut self, bytes: &[u8], dst: Slot, storage: u32) {
        let mut padded = bytes.to_vec();
        padded.resize(storage.max(8).next_multiple_of(8) as usize, 0);
        for (i, chunk) in padded.chunks(8).enumerate() {
            let word = u64::from_le_bytes(chunk.try_into().expect("padded to 8"));
            let at = dst + (i * 8) as i16;
            self.store_imm(Size::W, at, word as u32 as i32);
            self.store_imm(Size::W, at + 4, (word >> 32) as u32 as i32);
        }
    }
}

fn internal(e: &TExpr, what: &str) -> Diagnostic {
    Diagnostic::error(e.span, format!("internal error: {what} ('{}')", e.ty))
}
