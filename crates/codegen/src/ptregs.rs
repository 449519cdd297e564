//! Reading a `pt_regs` context (kprobes, uprobes, USDT): function arguments,
//! the return value, and USDT arguments in registers, memory or immediates.

use sonde_isa::{helper, op, Insn, Size, R0, R1, R2, R3, R6};
use sonde_lang::sema::env::{UsdtArg, UsdtArgLocation};
use sonde_lang::sema::typed::{TExpr, TExprKind};
use sonde_lang::Diagnostic;

use crate::frame::Slot;
use crate::program::{ProgramCompiler, Result};
use crate::regs::ABI;

impl ProgramCompiler<'_> {
    /// r0 = argument `n` of the probed function.
    pub fn reg_arg(&mut self, n: u8) {
        match ABI.arg(n) {
            Ok(off) => self.e.emit(Insn::ldx(Size::DW, R0, R6, off)),
            Err(from_sp) => {
                let sp = ABI
                    .offset(ABI.sp)
                    .expect("the stack pointer is in the table");
                self.read_user_memory(Some(sp), None, from_sp as i64, 8);
            }
        }
    }

    /// r0 = the return value register.
    pub fn retval(&mut self) {
        let off = ABI
            .offset(ABI.ret)
            .expect("the return register is in the table");
        self.e.emit(Insn::ldx(Size::DW, R0, R6, off));
    }

    /// r0 = register `name` of the context's pt_regs.
    pub fn register(&mut self, e: &TExpr, name: &str) -> Result<()> {
        let off = ABI.offset(name).ok_or_else(|| {
            let known: Vec<&str> = ABI.regs.iter().map(|(n, _)| *n).collect();
            Diagnostic::error(e.span, format!("'{name}' is not a valid register"))
                .with_help(format!("registers are {}", known.join(", ")))
        })?;
        self.e.emit(Insn::ldx(Size::DW, R0, R6, off));
        Ok(())
    }

    /// r0 = 1 when the context's registers were taken in user mode (the
    /// code segment's privilege level is 3); x86-64 only.
    pub fn user_mode(&mut self, e: &TExpr) -> Result<()> {
        let Some(cs) = ABI.offset("cs") else {
            return Err(Diagnostic::error(
                e.span,
                "'usermode' builtin is only supported on x86_64",
            ));
        };
        // perf event programs see `struct bpf_perf_event_data`, whose
        // first member is the pt_regs.
        self.e.emit(Insn::ldx(Size::DW, R0, R6, cs));
        // ((cs & 3) + 1) >> 2 is 1 for privilege level 3 and 0 below it.
        self.e.emit(Insn::alu64_imm(op::AND, R0, 3));
        self.e.emit(Insn::alu64_imm(op::ADD, R0, 1));
        self.e.emit(Insn::alu64_imm(op::RSH, R0, 2));
        Ok(())
    }

    /// r0 = a USDT argument, widened to 64 bits as its size and sign say.
    pub fn usdt_arg(&mut self, e: &TExpr, arg: &UsdtArg) -> Result<()> {
        let reg = |name: &str| {
            ABI.offset(name).ok_or_else(|| {
                Diagnostic::error(
                    e.span,
                    format!(
                        "this USDT argument is in register '{name}', which cannot be read here"
                    ),
                )
            })
        };
        match &arg.location {
            UsdtArgLocation::Const(v) => self.e.mov_imm(R0, *v as u64),
            UsdtArgLocation::Reg(name) => {
                let off = reg(name)?;
                self.e.emit(Insn::ldx(Size::DW, R0, R6, off));
            }
            UsdtArgLocation::RegHigh(name) => {
                let off = reg(name)?;
                self.e.emit(Insn::ldx(Size::DW, R0, R6, off));
                self.e.emit(Insn::alu64_imm(op::RSH, R0, 8));
            }
            UsdtArgLocation::Mem {
                base,
                index,
                offset,
            } => {
                let base = base.as_deref().map(reg).transpose()?;
                let index = match index {
                    Some((name, scale)) => Some((reg(name)?, *scale)),
                    None => None,
                };
                self.read_user_memory(base, index, *offset, arg.size);
            }
            UsdtArgLocation::Symbol { from_site, .. } => {
                // At a uprobe the instruction pointer is the probe site.
                let ip = reg("ip")?;
                self.read_user_memory(Some(ip), None, *from_site, arg.size);
            }
            UsdtArgLocation::Unsupported(why) => {
                return Err(Diagnostic::error(
                    e.span,
                    format!("this USDT argument cannot be read: {why}"),
                ))
            }
        }
        self.extend(arg.size, arg.signed);
        Ok(())
    }

    /// r0 = `size` bytes at `base + index * scale + disp` (registers by
    /// their `pt_regs` offsets), read from the probed address space (zero
    /// if unreadable).
    fn read_user_memory(
        &mut self,
        base: Option<i16>,
        index: Option<(i16, u8)>,
        disp: i64,
        size: u8,
    ) {
        let slot = self.frame.alloc(8);
        self.store_imm(Size::DW, slot, 0);
        match base {
            Some(off) => self.e.emit(Insn::ldx(Size::DW, R3, R6, off)),
            None => self.e.emit(Insn::mov64_imm(R3, 0)),
        }
        if let Some((off, scale)) = index {
            self.e.emit(Insn::ldx(Size::DW, R1, R6, off));
            if scale > 1 {
                self.e
                    .emit(Insn::alu64_imm(op::LSH, R1, scale.trailing_zeros() as i32));
            }
            self.e.emit(Insn::alu64_reg(op::ADD, R3, R1));
        }
        if disp != 0 {
            self.e.mov_imm(R1, disp as u64);
            self.e.emit(Insn::alu64_reg(op::ADD, R3, R1));
        }
        self.pointer_to_stack(R1, slot);
        self.e.emit(Insn::mov64_imm(R2, size as i32));
        self.e.call(if self.probe.kind.is_user() {
            helper::PROBE_READ_USER
        } else {
            helper::PROBE_READ_KERNEL
        });
        self.load(Size::DW, R0, slot);
    }

    /// Keep the low `size` bytes of r0, sign- or zero-extended.
    fn extend(&mut self, size: u8, signed: bool) {
        if size >= 8 {
            return;
        }
        let shift = 64 - 8 * size as i32;
        self.e.emit(Insn::alu64_imm(op::LSH, R0, shift));
        let right = if signed { op::ARSH } else { op::RSH };
        self.e.emit(Insn::alu64_imm(right, R0, shift));
    }
}

impl ProgramCompiler<'_> {
    /// An `args` record (of a function's parameters, or a struct a
    /// kernel function takes by value) at `dst`: each member stored at its
    /// offset with its own width, the rest zero.
    pub fn place_args_record(
        &mut self,
        fields: &[(u32, TExpr)],
        dst: Slot,
        storage: u32,
    ) -> Result<()> {
        self.zero(dst, storage.next_multiple_of(8));
        self.place_members(fields, dst)
    }

    fn place_members(&mut self, fields: &[(u32, TExpr)], dst: Slot) -> Result<()> {
        for (offset, value) in fields {
            if let TExprKind::ArgsRecord(inner) = &value.kind {
                // A struct parameter within `args`: its own members, in
                // place.
                self.place_members(inner, dst + *offset as i16)?;
                continue;
            }
            self.scalar(value)?;
            let width = Size::from_bytes(value.ty.size().clamp(1, 8) as usize).unwrap_or(Size::DW);
            self.store(width, dst + *offset as i16, R0);
        }
        Ok(())
    }
}
