//! Expressions whose value fits one register: computed into r0, widened to
//! 64 bits (sign- or zero-extended as their type says).

use sonde_isa::{helper, op, Insn, Size, R0, R1, R2, R3, R4, R6};
use sonde_lang::ast::BinOp;
use sonde_lang::sema::typed::{Builtin, Clock, FieldReadKind, PidNs, TExpr, TExprKind, TUnOp};
use sonde_lang::sema::types::Type;
use sonde_lang::Diagnostic;

use crate::object::RelocKind;
use crate::program::{ProgramCompiler, Result};
use crate::syscalls;

impl ProgramCompiler<'_> {
    pub fn scalar(&mut self, e: &TExpr) -> Result<()> {
        match &e.kind {
            TExprKind::Block { .. } => {
                let value = self.block_value(e)?;
                return self.scalar(value);
            }
            TExprKind::Int(v) => self.e.mov_imm(R0, *v),
            TExprKind::Bool(b) => self.e.emit(Insn::mov64_imm(R0, *b as i32)),
            TExprKind::Builtin(b) => self.builtin(*b),
            TExprKind::Arg(n) => self.e.emit(Insn::ldx(Size::DW, R0, R6, *n as i16 * 8)),
            TExprKind::RegArg(n) => self.reg_arg(*n),
            TExprKind::Retval => self.retval(),
            TExprKind::UserMode => self.user_mode(e)?,
            TExprKind::Reg(name) => self.register(e, name)?,
            TExprKind::UsdtArg(arg) => self.usdt_arg(e, arg)?,
            TExprKind::Field(field) => match field.kind {
                FieldReadKind::Int { size, signed } => {
                    self.load_context(field.offset, size, signed)?;
                }
                FieldReadKind::Pointer => self.load_context(field.offset, 8, false)?,
                FieldReadKind::CharArray { .. } | FieldReadKind::DataLocString => {
                    return Err(not_scalar(e));
                }
            },
            TExprKind::Var(i) => {
                let slot = self.var_slots[*i];
                self.load(Size::DW, R0, slot);
            }
            TExprKind::MapRead { map, key } if self.is_aggregation(*map) => {
                self.read_aggregation(*map, key.as_deref())?
            }
            TExprKind::MapRead { map, key } => {
                let key_off = self.map_key(*map, key.as_deref())?;
                self.lookup(*map, key_off);
                self.check_lookup(e.span);
                // A missing entry reads as zero, and r0 is already zero then.
                self.e.emit(Insn::jmp_imm(op::JEQ, R0, 0, 1));
                self.e.emit(Insn::ldx(Size::DW, R0, R0, 0));
            }
            TExprKind::Binary { op: bin, lhs, rhs } => self.binary(e, *bin, lhs, rhs)?,
            TExprKind::Unary { op: un, expr } => match un {
                TUnOp::Neg => {
                    self.scalar(expr)?;
                    self.e.emit(Insn::neg64(R0));
                }
                TUnOp::BitNot => {
                    self.scalar(expr)?;
                    self.e.emit(Insn::alu64_imm(op::XOR, R0, -1));
                }
                TUnOp::Not => self.materialise_bool(e)?,
            },
            TExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                self.ternary(cond, then, otherwise, |c, arm| c.scalar(arm))?;
            }
            TExprKind::TupleField { tuple, index } => {
                let base = self.aggregate(tuple)?;
                let Some(fields) = tuple.ty.tuple_fields() else {
                    return Err(not_scalar(e));
                };
                let off = Type::tuple_offsets(fields)[*index];
                self.load(Size::DW, R0, base + off as i16);
            }
            TExprKind::Cast(inner) if matches!(inner.ty, Type::Array { .. }) => {
                self.array_to_int(e, inner)?
            }
            TExprKind::Cast(inner) => self.cast(inner, &e.ty)?,
            TExprKind::Deref { addr, user } if e.ty.is_scalar() => {
                self.deref_scalar(e, addr, *user)?
            }
            TExprKind::Member { base, offset } if e.ty.is_scalar() => {
                let at = self.member_slot(base, *offset)?;
                let width = match e.ty.size() {
                    1 | 2 | 4 => e.ty.size(),
                    _ => 8,
                };
                self.load_stack(at, width, e.ty.is_signed());
            }
            TExprKind::Element { base, index } if e.ty.is_scalar() => {
                self.element_scalar(e, base, index)?
            }
            TExprKind::AddrOfVar(var) => self.var_address(*var),
            TExprKind::CheckedIndex { index, len } => {
                self.scalar(index)?;
                let ok = self.e.new_label();
                self.e.jump_imm(sonde_isa::op::JLT, R0, *len as i32, ok);
                let kept = self.push_r0();
                self.notify(crate::object::EventDef::Warning {
                    span: e.span,
                    message: "Array access out of bounds. This can lead to unexpected results."
                        .into(),
                    text: String::new(),
                })?;
                self.pop(kept, R0);
                self.e.bind(ok);
            }
            TExprKind::AddrOfMap { map, key } => {
                let key_off = self.map_key(*map, key.as_deref())?;
                self.lookup(*map, key_off);
            }
            TExprKind::Deref { .. } | TExprKind::Member { .. } | TExprKind::Element { .. } => {
                return Err(not_scalar(e))
            }
            TExprKind::UserAddr { vaddr, site_vaddr } => self.user_addr(*vaddr, *site_vaddr),
            TExprKind::PercpuAddr { btf_id, cpu } => self.percpu_addr(*btf_id, cpu.as_deref())?,
            TExprKind::WriteUser { dst, src, len } => self.write_user(dst, src, *len)?,
            TExprKind::StrFunc { func, args } => self.str_func(e, *func, args)?,
            TExprKind::SocketCookie(sk) => {
                // The pointer goes to the helper as loaded: the verifier
                // must still know it is a socket.
                self.scalar(sk)?;
                self.e.emit(Insn::mov64_reg(sonde_isa::R1, R0));
                self.e.call(helper::GET_SOCKET_COOKIE);
            }
            TExprKind::Bswap(inner) => {
                self.scalar(inner)?;
                let bits = 8 * i32::from(e.ty.size() as u8);
                if bits > 8 {
                    // To big-endian from little: the bytes reversed.
                    self.e.emit(Insn::endian(R0, bits, true));
                }
            }
            TExprKind::Delete { map, key } => self.delete_value(*map, key.as_deref())?,
            TExprKind::HasKey { map, key } => self.has_key(*map, key)?,
            TExprKind::MapLen(map) => self.map_len(*map),
            TExprKind::StackLen(stack) => self.stack_len(stack)?,
            TExprKind::Str(_)
            | TExprKind::Tuple(_)
            | TExprKind::ReadStr { .. }
            | TExprKind::Stack(_)
            | TExprKind::ArgsRecord(_)
            | TExprKind::Buf { .. }
            | TExprKind::Inet { .. }
            | TExprKind::MacAddr(_)
            | TExprKind::Bytes(_)
            | TExprKind::Sym { .. } => return Err(not_scalar(e)),
        }
        Ok(())
    }

    fn builtin(&mut self, b: Builtin) {
        match b {
            Builtin::Pid(ns) => {
                self.pid_tgid(ns);
                self.e.emit(Insn::alu64_imm(op::RSH, R0, 32));
            }
            Builtin::Tid(ns) => {
                self.pid_tgid(ns);
                self.zero_extend_32();
            }
            Builtin::Uid => {
                self.e.call(helper::GET_CURRENT_UID_GID);
                self.zero_extend_32();
            }
            Builtin::Gid => {
                self.e.call(helper::GET_CURRENT_UID_GID);
                self.e.emit(Insn::alu64_imm(op::RSH, R0, 32));
            }
            Builtin::Username => {
                self.e.call(helper::GET_CURRENT_UID_GID);
                self.zero_extend_32();
            }
            Builtin::Nsecs(clock) => match clock {
                Clock::Boot => self.e.call(helper::KTIME_GET_BOOT_NS),
                Clock::Monotonic => self.e.call(helper::KTIME_GET_NS),
                Clock::Tai => self.e.call(helper::KTIME_GET_TAI_NS),
                Clock::SwTai => {
                    self.e.call(helper::KTIME_GET_NS);
                    self.e.ld_reloc(R1, RelocKind::TaiOffsetNs);
                    self.e.emit(Insn::alu64_reg(op::ADD, R0, R1));
                }
            },
            Builtin::Elapsed => {
                self.e.call(helper::KTIME_GET_BOOT_NS);
                self.e.ld_reloc(R1, RelocKind::StartTimeNs);
                self.e.emit(Insn::alu64_reg(op::SUB, R0, R1));
            }
            Builtin::Cpu => self.e.call(helper::GET_SMP_PROCESSOR_ID),
            Builtin::Numaid => self.e.call(helper::GET_NUMA_NODE_ID),
            Builtin::Ncpus => self.e.ld_reloc(R0, RelocKind::NumCpus),
            Builtin::Rand => self.e.call(helper::GET_PRANDOM_U32),
            Builtin::Cgroup => self.e.call(helper::GET_CURRENT_CGROUP_ID),
            Builtin::Jiffies => self.e.call(helper::JIFFIES64),
            Builtin::Cpid => self.e.ld_reloc(R0, RelocKind::ChildPid),
            Builtin::Probe => {
                if let Some(index) = self.probe_const {
                    self.e.emit(Insn::mov64_imm(R0, index as i32));
                } else if let [(_, index)] = self.probe.attach.as_slice() {
                    self.e.emit(Insn::mov64_imm(R0, *index as i32));
                } else {
                    // One program serves several attach points; each
                    // attachment carries its probe index as the low half
                    // of the BPF cookie.
                    self.e.emit(Insn::mov64_reg(R1, R6));
                    self.e.call(helper::GET_ATTACH_COOKIE);
                    self.zero_extend_32();
                }
            }
            Builtin::Func => {
                let funcs = &self.shared.probe_funcs;
                let func_of = |probe: &u32| funcs.get(*probe as usize).copied().flatten();
                if let Some(index) = &self.probe_const {
                    let func = func_of(index).unwrap_or(0);
                    self.e.emit(Insn::mov64_imm(R0, func as i32));
                } else if let [(_, index)] = self.probe.attach.as_slice() {
                    let func = func_of(index).unwrap_or(0);
                    self.e.emit(Insn::mov64_imm(R0, func as i32));
                } else {
                    // The high half of the cookie names the function.
                    self.e.emit(Insn::mov64_reg(R1, R6));
                    self.e.call(helper::GET_ATTACH_COOKIE);
                    self.e.emit(Insn::alu64_imm(op::RSH, R0, 32));
                }
            }
            Builtin::CurTask => self.e.call(helper::GET_CURRENT_TASK),
            // r6 keeps the context pointer the program was called with.
            Builtin::Ctx => self.e.emit(Insn::mov64_reg(R0, R6)),
            Builtin::Comm => unreachable!("comm is a string, compiled by aggregate()"),
        }
    }

    /// r0 = tgid << 32 | tid, as seen from sonde's pid namespace when asked
    /// and sonde is not in the initial one.
    fn pid_tgid(&mut self, ns: PidNs) {
        let Some((dev, ino)) = self.opts.pid_namespace.filter(|_| ns == PidNs::Current) else {
            self.e.call(helper::GET_CURRENT_PID_TGID);
            return;
        };
        // struct bpf_pidns_info { u32 pid; u32 tgid; }, zero when the task
        // is not in that namespace.
        let info = self.frame.alloc(8);
        self.store_imm(Size::DW, info, 0);
        self.e.mov_imm(R1, dev);
        self.e.mov_imm(R2, ino);
        self.pointer_to_stack(R3, info);
        self.e.emit(Insn::mov64_imm(R4, 8));
        self.e.call(helper::GET_NS_CURRENT_PID_TGID);
        // The layout matches bpf_get_current_pid_tgid's: tid low, tgid high.
        self.load(Size::DW, R0, info);
    }

    fn zero_extend_32(&mut self) {
        self.e.emit(Insn::alu32_reg(op::MOV, R0, R0));
    }

    /// r0 = the address of a per-CPU kernel variable on CPU `cpu` (NULL
    /// past the last CPU) or on this CPU.
    fn percpu_addr(&mut self, btf_id: u32, cpu: Option<&TExpr>) -> Result<()> {
        match cpu {
            Some(cpu) => {
                self.scalar(cpu)?;
                self.e.emit(Insn::mov64_reg(R2, R0));
                self.e.emit_all(Insn::ld_btf_id(R1, btf_id));
                self.e.call(helper::PER_CPU_PTR);
            }
            None => {
                self.e.emit_all(Insn::ld_btf_id(R1, btf_id));
                self.e.call(helper::THIS_CPU_PTR);
            }
        }
        // The verifier types the result as a pointer to the variable (one
        // that may be NULL, for a given CPU) and refuses arithmetic on it,
        // which field access needs: copy it through the stack with a
        // helper so that it comes back a plain number.
        let slot = self.frame.alloc(16);
        self.store(Size::DW, slot, R0);
        self.pointer_to_stack(R1, slot + 8);
        self.e.emit(Insn::mov64_imm(R2, 8));
        self.pointer_to_stack(R3, slot);
        self.e.call(helper::PROBE_READ_KERNEL);
        self.load(Size::DW, R0, slot + 8);
        Ok(())
    }

    /// r0 = 1 when `bpf_probe_write_user` wrote `len` bytes of `src` at
    /// user address `dst`, else 0.
    fn write_user(&mut self, dst: &TExpr, src: &TExpr, len: u32) -> Result<()> {
        self.scalar(dst)?;
        let kept = self.push_r0();
        let source = self.aggregate(src)?;
        self.pop(kept, R1);
        self.pointer_to_stack(R2, source);
        self.e.emit(Insn::mov64_imm(R3, len as i32));
        self.e.call(helper::PROBE_WRITE_USER);
        let written = self.e.new_label();
        let end = self.e.new_label();
        self.e.jump_imm(op::JEQ, R0, 0, written);
        self.e.emit(Insn::mov64_imm(R0, 0));
        self.e.jump(end);
        self.e.bind(written);
        self.e.emit(Insn::mov64_imm(R0, 1));
        self.e.bind(end);
        Ok(())
    }

    /// r0 = a field of the context record at `offset`.
    fn load_context(&mut self, offset: u32, size: u8, signed: bool) -> Result<()> {
        if let Some(exit) = self.syscall_exit {
            return self.load_syscall_field(exit, offset, size, signed);
        }
        let width = Size::from_bytes(size as usize).expect("fields are 1, 2, 4 or 8 bytes");
        let offset = i16::try_from(offset).map_err(|_| {
            Diagnostic::error(self.probe.span, "tracepoint field offset out of range")
        })?;
        if (offset as u32).is_multiple_of(size as u32) {
            self.e.emit(Insn::ldx(width, R0, R6, offset));
        } else {
            // The verifier only allows aligned context loads; an unaligned
            // field is copied out with a helper.
            let slot = self.frame.alloc(8);
            self.store_imm(Size::DW, slot, 0);
            self.pointer_to_stack(R1, slot);
            self.e.emit(Insn::mov64_imm(R2, size as i32));
            self.e.emit(Insn::mov64_reg(R3, R6));
            self.e.emit(Insn::alu64_imm(op::ADD, R3, offset as i32));
            self.e.call(helper::PROBE_READ_KERNEL);
            self.load(width, R0, slot);
        }
        if signed && size < 8 {
            self.sign_extend(size);
        }
        Ok(())
    }

    /// A syscall tracepoint field read from the raw tracepoint's context
    /// (`pt_regs *regs, long id_or_ret`): the record's `__syscall_nr` at 8
    /// is the id (or `regs->orig_ax` on exit), and from 16 on the record
    /// holds the six arguments (or, on exit, the return value).
    fn load_syscall_field(
        &mut self,
        exit: bool,
        offset: u32,
        size: u8,
        signed: bool,
    ) -> Result<()> {
        match (exit, offset) {
            (false, 8) | (true, 16) => self.e.emit(Insn::ldx(Size::DW, R0, R6, 8)),
            (true, 8) => self.load_pt_regs(syscalls::ORIG_AX_OFFSET),
            (false, off) if (16..64).contains(&off) && off % 8 == 0 => {
                self.load_pt_regs(syscalls::ARG_OFFSETS[(off as usize - 16) / 8])
            }
            _ => {
                return Err(Diagnostic::error(
                    self.probe.span,
                    format!("internal error: no syscall argument at record offset {offset}"),
                ))
            }
        }
        self.narrow(size, signed);
        Ok(())
    }

    /// r0 = the u64 at `offset` in the syscall's `pt_regs` (the context's
    /// first argument), read with a helper: it is kernel memory, not context.
    fn load_pt_regs(&mut self, offset: i32) {
        let slot = self.frame.alloc(8);
        self.store_imm(Size::DW, slot, 0);
        self.pointer_to_stack(R1, slot);
        self.e.emit(Insn::mov64_imm(R2, 8));
        self.e.emit(Insn::ldx(Size::DW, R3, R6, 0));
        self.e.emit(Insn::alu64_imm(op::ADD, R3, offset));
        self.e.call(helper::PROBE_READ_KERNEL);
        self.load(Size::DW, R0, slot);
    }

    /// Keep the low `bytes` of r0, sign- or zero-extended to 64 bits.
    fn narrow(&mut self, bytes: u8, signed: bool) {
        match (bytes, signed) {
            (8, _) => {}
            (4, false) => self.zero_extend_32(),
            (b, false) => {
                let mask = ((1u64 << (8 * b as u32)) - 1) as i32;
                self.e.emit(Insn::alu64_imm(op::AND, R0, mask));
            }
            (b, true) => self.sign_extend(b),
        }
    }

    fn sign_extend(&mut self, bytes: u8) {
        let shift = 64 - 8 * bytes as i32;
        self.e.emit(Insn::alu64_imm(op::LSH, R0, shift));
        self.e.emit(Insn::alu64_imm(op::ARSH, R0, shift));
    }

    fn cast(&mut self, inner: &TExpr, target: &Type) -> Result<()> {
        match target {
            Type::Bool => {
                if let Type::Str { .. } = inner.ty {
                    // A string is true when it is not empty.
                    let base = self.aggregate(inner)?;
                    self.load(Size::B, R0, base);
                } else {
                    self.scalar(inner)?;
                }
                self.e.emit(Insn::jmp_imm(op::JEQ, R0, 0, 1));
                self.e.emit(Insn::mov64_imm(R0, 1));
            }
            Type::Int { bytes, signed } => {
                self.scalar(inner)?;
                self.narrow(*bytes, *signed);
            }
            _ => self.scalar(inner)?,
        }
        Ok(())
    }

    fn binary(&mut self, e: &TExpr, bin: BinOp, lhs: &TExpr, rhs: &TExpr) -> Result<()> {
        if bin.is_comparison() || matches!(bin, BinOp::LogicalAnd | BinOp::LogicalOr) {
            return self.materialise_bool(e);
        }
        let signed = e.ty.is_signed();
        let alu = match bin {
            BinOp::Add => op::ADD,
            BinOp::Sub => op::SUB,
            BinOp::Mul => op::MUL,
            BinOp::Div => op::DIV,
            BinOp::Mod => op::MOD,
            BinOp::BitAnd => op::AND,
            BinOp::BitOr => op::OR,
            BinOp::BitXor => op::XOR,
            BinOp::Shl => op::LSH,
            BinOp::Shr if signed => op::ARSH,
            BinOp::Shr => op::RSH,
            _ => unreachable!("comparisons handled above"),
        };
        let division = matches!(bin, BinOp::Div | BinOp::Mod);
        let signed_division = signed && division;
        self.scalar(lhs)?;
        let by_zero = division && matches!(rhs.kind, TExprKind::Int(0));
        if let (TExprKind::Int(v), false, false) = (&rhs.kind, signed_division, by_zero) {
            if let Ok(mut imm) = i32::try_from(*v as i64) {
                if matches!(alu, op::LSH | op::RSH | op::ARSH) {
                    // The verifier refuses constant shifts of 64 or more;
                    // the CPU masks register shifts the same way.
                    imm &= 63;
                }
                self.e.emit(Insn::alu64_imm(alu, R0, imm));
                return Ok(());
            }
        }
        let kept = self.push_r0();
        self.scalar(rhs)?;
        self.e.emit(Insn::mov64_reg(R1, R0));
        self.pop(kept, R0);
        let end = self.e.new_label();
        if division {
            // As bpftrace: dividing by 0 warns and gives 1.
            let nonzero = self.e.new_label();
            self.e.jump_imm(op::JNE, R1, 0, nonzero);
            self.notify(crate::object::EventDef::Warning {
                span: e.span,
                message: "Divide or modulo by 0 detected. This can lead to unexpected results. \
                          1 is being used as the result."
                    .into(),
                text: String::new(),
            })?;
            self.e.emit(Insn::mov64_imm(R0, 1));
            self.e.jump(end);
            self.e.bind(nonzero);
        }
        if signed_division {
            self.e.emit(Insn::alu64_reg_signed(alu, R0, R1));
        } else {
            self.e.emit(Insn::alu64_reg(alu, R0, R1));
        }
        self.e.bind(end);
        Ok(())
    }

    /// r0 = 1 when the condition `e` holds, else 0.
    pub fn materialise_bool(&mut self, e: &TExpr) -> Result<()> {
        let false_label = self.e.new_label();
        let end = self.e.new_label();
        self.branch(e, false, false_label)?;
        self.e.emit(Insn::mov64_imm(R0, 1));
        self.e.jump(end);
        self.e.bind(false_label);
        self.e.emit(Insn::mov64_imm(R0, 0));
        self.e.bind(end);
        Ok(())
    }
}

fn not_scalar(e: &TExpr) -> Diagnostic {
    Diagnostic::error(
        e.span,
        format!("internal error: '{}' used as a scalar", e.ty),
    )
}
